package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.store.Store;
import io.layerfs.provider.LayerFileSystemProvider;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a walk of an image view opened before loads (issue 15: a fresh JVM's first stat pass pays
 * for every class it loads from the jars, and for each class verifying it loads). The provider
 * and core are loaded afresh by a class loader of their own, so the classes it has loaded are
 * exactly those the open and the walk needed: no channel, file store, account table, POSIX
 * attributes or cache of file data, which only reading a file, its owner or its store needs;
 * nothing that builds a layer index, which the first open stored; nothing of a pull, which an image
 * the store holds needs not; and no class of an error the walk does not meet.
 */
class LayerFsWalkClassesTest {
  @TempDir Path store;

  /** The classes a walk reading basic attributes needs not, and what makes each load. */
  private static final List<String> NOT_FOR_A_WALK = List.of(
      "io.layerfs.provider.LayerFileChannel",
      "io.layerfs.provider.LayerFileStore",
      "io.layerfs.provider.MountFileStore",
      "io.layerfs.provider.ContainerAccounts",
      "io.layerfs.provider.LayerFileAttributes",
      "io.layerfs.core.rootfs.VerifiedChunks",
      // an index already stored is read, not built
      "io.layerfs.core.rootfs.IndexBuilder",
      "io.layerfs.core.internal.TeeInputStream",
      // a held image is not pulled: no registry options, no progress
      "io.layerfs.core.registry.RegistryOptions",
      "io.layerfs.core.Progress",
      // the default limits without their builder
      "io.layerfs.core.Limits$Builder",
      // loaded by verifying the provider and its file system when they made these themselves
      "io.layerfs.provider.LayerAttributeViews$Source",
      "io.layerfs.provider.LazyTree$Opener",
      "io.layerfs.provider.MissingFileException",
      "io.layerfs.provider.ReadOnlyViewException");

  @Test
  void aWalkOfAnImageViewLoadsNoClassOfReadingFilesOwnersOrStores() throws Exception {
    FixtureImages.build(store);
    long expected = pathsAsUsual(); // opening it once stores the layers' indexes
    try (FreshLoader loader = new FreshLoader()) {
      FileSystemProvider provider = (FileSystemProvider) loader
          .loadClass(LayerFileSystemProvider.class.getName()).getConstructor().newInstance();
      try (FileSystem fs = provider.newFileSystem(URI.create("layerfs://walk-classes"),
          Map.of("store", store, "image", FixtureImages.TAG, "readOnly", true))) {
        long paths = 0;
        Path file = null;
        try (Stream<Path> walk = Files.walk(fs.getPath("/"))) {
          for (Iterator<Path> it = walk.iterator(); it.hasNext(); ) {
            Path p = it.next();
            BasicFileAttributes a =
                Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (file == null && a.isRegularFile() && a.size() > 0) {
              file = p;
            }
            paths++;
          }
        }
        assertEquals(expected, paths, "every path, as the provider the JDK found walks");
        assertTrue(loader.loaded("io.layerfs.provider.LayerDirectoryStream"),
            "the loader sees what the walk loaded");
        assertEquals(List.of(), loader.loadedOf(NOT_FOR_A_WALK));

        // each loads once it is needed
        assertTrue(Files.readAllBytes(file).length > 0);
        assertTrue(loader.loaded("io.layerfs.provider.LayerFileChannel"));
        assertTrue(loader.loaded("io.layerfs.core.rootfs.VerifiedChunks"));
        Files.readAttributes(file, PosixFileAttributes.class).owner();
        assertTrue(loader.loaded("io.layerfs.provider.LayerFileAttributes"));
        assertTrue(loader.loaded("io.layerfs.provider.ContainerAccounts"));
        assertTrue(Files.getFileStore(file).isReadOnly());
        assertTrue(loader.loaded("io.layerfs.provider.LayerFileStore"));
        assertFalse(loader.loaded("io.layerfs.provider.MountFileStore"), "an image has no mount");
      }
    }
  }

  @Test
  void aFreshJvmOpensAndWalksAViewHoldingItsImage() throws Exception {
    FixtureImages.build(store);
    pathsAsUsual(); // the layers' indexes stored, as a view's later opens find them
    // the JDK's shared archive lacks FileChannel's classes, some 25 loaded from the JDK's
    // modules (about 3 ms in a fresh JVM): the open avoided them until a view's hold on its
    // image from gc, a file lock, which only a channel takes, needed them
    Process child = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xlog:class+load=info:stdout", "-cp", System.getProperty("java.class.path"),
        Walk.class.getName(), store.toString(), FixtureImages.TAG)
        .redirectErrorStream(true).start();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, child.waitFor(), out);
    assertTrue(out.contains("paths " + pathsAsUsual()), out);
    assertTrue(out.contains(" io.layerfs.core.rootfs.LayerIndex "), "the log names classes");
    assertTrue(out.contains(" sun.nio.ch.FileLockImpl "), "the hold's lock: " + out);
  }

  /** The child JVM: opens a view of an image of STORE, walks it, prints {@code paths N}. */
  static final class Walk {
    private Walk() {}

    public static void main(String[] args) throws IOException {
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://fresh-walk"),
          Map.of("store", Path.of(args[0]), "image", args[1], "readOnly", true));
          Stream<Path> walk = Files.walk(fs.getPath("/"))) {
        long paths = 0;
        for (Iterator<Path> it = walk.iterator(); it.hasNext(); paths++) {
          Files.readAttributes(it.next(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }
        System.out.println("paths " + paths);
      }
    }
  }

  private long pathsAsUsual() throws IOException {
    try (FileSystem fs = FixtureImages.open("walk-classes-usual", store);
        Stream<Path> walk = Files.walk(fs.getPath("/"))) {
      return walk.count();
    }
  }

  /** Loads layerfs's own classes itself, from where the provider and core were loaded. */
  private static final class FreshLoader extends URLClassLoader {
    FreshLoader() {
      super(new URL[] {location(LayerFileSystemProvider.class), location(Store.class)},
          FreshLoader.class.getClassLoader());
    }

    private static URL location(Class<?> type) {
      return type.getProtectionDomain().getCodeSource().getLocation();
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.startsWith("io.layerfs.")) {
        return super.loadClass(name, resolve);
      }
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        if (c == null) {
          c = findClass(name);
        }
        if (resolve) {
          resolveClass(c);
        }
        return c;
      }
    }

    boolean loaded(String name) {
      return findLoadedClass(name) != null;
    }

    List<String> loadedOf(List<String> names) {
      List<String> loaded = new ArrayList<>();
      for (String name : names) {
        if (loaded(name)) {
          loaded.add(name);
        }
      }
      return loaded;
    }
  }
}
