package io.layerfs.provider;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Loads, on a thread of its own, the classes that opening an image view and walking it
 * need, while the opening thread goes on (issue 15: in a fresh JVM, loading and verifying them
 * from the jars is most of the open's CPU time; the JDK's own classes come verified from its
 * shared archive). Started by the first {@code newFileSystem} of a JVM, so a program that only
 * lists the installed providers starts nothing; not at all on a single processor, where it
 * would only take turns with the opening thread, nor when system property {@code
 * layerfs.preload} is {@code false}.
 *
 * <p>It only loads (reads a class from its jar, parses and defines it): it neither links nor
 * initializes, so it runs no static initializer and cannot deadlock against the opening
 * thread's, and it loads nothing but the listed classes and their supertypes (linking by
 * reflection, {@code getDeclaredFields}, would load the fields' types too). A class the opening
 * thread needs while this one loads it is waited for, not loaded twice. The thread is a daemon
 * and ends after its lists; a class it cannot load is left for the opening thread to fail on
 * with the usual error. {@code LayerFsWalkClassesTest} keeps the lists equal to the classes an
 * open and a walk of an image view load.
 */
final class ClassPreload implements Runnable {
  /**
   * The classes an open and a walk of an image view load, layerfs's and the JDK's that verifying
   * them loads from the runtime image because Java 17's default class data archive lacks them,
   * in the order the opening thread first needs them. This thread loads {@link #AHEAD} first, the
   * layer store, the merged tree and the paths, while the opening thread loads these itself (it
   * needs them at once, and a class both ask for at the same time is loaded once while the other
   * waits); then these, in case it has not got to them yet.
   */
  static final String[] AT_ONCE = {
    "io.layerfs.provider.LayerEnv",
    "io.layerfs.provider.LayerFileSystemProvider$Stores",
    "io.layerfs.core.store.Store",
    "java.lang.IllegalStateException",
    "io.layerfs.core.FileTree",
    "io.layerfs.core.SignatureException",
    "io.layerfs.core.RangedBlob",
    "io.layerfs.core.Limits",
    "java.lang.NumberFormatException",
    "io.layerfs.core.Limits$Builder",
    "io.layerfs.core.content.ContentStore",
    "io.layerfs.core.content.BlobWriter",
    "io.layerfs.core.LimitException",
    "java.lang.InterruptedException",
    "java.io.InterruptedIOException",
    "io.layerfs.provider.LayerFileSystemProvider$Stores$Handle",
    "io.layerfs.core.registry.RegistryOptions",
    "io.layerfs.core.Progress",
    "io.layerfs.core.Progress$1",
    "io.layerfs.core.image.Images",
    "io.layerfs.core.image.ResolvedImages",
    "java.util.zip.CRC32C",
    "io.layerfs.core.image.ResolvedImages$Input",
    "io.layerfs.core.Digest",
    "java.security.GeneralSecurityException",
    "java.security.NoSuchAlgorithmException",
    "io.layerfs.core.Layer",
    "io.layerfs.core.image.ResolvedImages$Entry",
    "io.layerfs.core.Image",
    "io.layerfs.core.container.ContainerDirectory",
    "io.layerfs.core.lazy.LazyLayers",
    "io.layerfs.core.lazy.LazyLayers$Step",
  };

  /** What the opening thread needs once it has resolved the image: loaded first. */
  static final String[] AHEAD = {
    "io.layerfs.core.rootfs.LayerStore",
    "java.util.function.ToLongBiFunction",
    "io.layerfs.core.internal.LruCache",
    "io.layerfs.core.rootfs.LayerStore$IndexWeigher",
    "io.layerfs.core.internal.LruCache$Silent",
    "io.layerfs.core.rootfs.RootFs",
    "java.nio.file.ReadOnlyFileSystemException",
    "io.layerfs.core.Node",
    "io.layerfs.core.Node$Lower",
    "io.layerfs.core.FileHandle",
    "io.layerfs.core.rootfs.LayerStore$Build",
    "io.layerfs.core.rootfs.LayerIndex",
    "io.layerfs.core.EntryType",
    "io.layerfs.core.internal.LruCache$Weighed",
    "io.layerfs.core.rootfs.MergedTree",
    "io.layerfs.core.rootfs.LayerNode",
    "java.util.concurrent.atomic.AtomicReferenceArray",
    "io.layerfs.core.rootfs.MergedTree$DirCache",
    "io.layerfs.core.rootfs.MergedTree$Dir",
    "io.layerfs.provider.LayerFileSystem",
    "io.layerfs.provider.LayerFileSystemProvider$1",
    "java.nio.file.ClosedFileSystemException",
    "io.layerfs.provider.ReadOnlyViewException",
    "java.nio.file.attribute.UserPrincipalLookupService",
    "io.layerfs.provider.LayerFileSystem$1",
    "java.nio.file.WatchService",
    "java.nio.file.DirectoryNotEmptyException",
    "java.nio.file.attribute.UserPrincipalNotFoundException",
    "io.layerfs.provider.MissingFileException",
    "io.layerfs.provider.LayerAttributeViews$Source",
    "io.layerfs.provider.LayerPath",
    "java.nio.file.InvalidPathException",
    "io.layerfs.provider.LayerBasicAttributes",
    "java.nio.file.SecureDirectoryStream",
    "io.layerfs.provider.LayerDirectoryStream",
    "java.nio.file.ClosedDirectoryStreamException",
    "io.layerfs.core.rootfs.MergedTree$Children",
    "io.layerfs.provider.LayerDirectoryStream$1",
    "java.util.ConcurrentModificationException",
    "java.nio.file.DirectoryIteratorException",
    "java.util.NoSuchElementException",
    "io.layerfs.core.internal.PathNames",
  };

  private static final AtomicBoolean started = new AtomicBoolean();

  private final ClassLoader loader;

  private ClassPreload(ClassLoader loader) {
    this.loader = loader;
  }

  /** Starts the preload once per JVM (per loader of this class), unless it cannot help. */
  static void startOnce() {
    if (started.get() || !started.compareAndSet(false, true)
        || "false".equals(System.getProperty("layerfs.preload"))
        || Runtime.getRuntime().availableProcessors() < 2) {
      return;
    }
    // no inherited thread locals: the caller's are none of this thread's business
    Thread thread = new Thread(null, new ClassPreload(ClassPreload.class.getClassLoader()),
        "layerfs-class-preload", 0, false);
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void run() {
    if (load(AHEAD)) {
      load(AT_ONCE);
    }
  }

  /** Whether every class of {@code names} loaded. */
  private boolean load(String[] names) {
    for (String name : names) {
      try {
        Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        return false; // the opening thread meets the same error where it needs the class
      }
    }
    return true;
  }
}
