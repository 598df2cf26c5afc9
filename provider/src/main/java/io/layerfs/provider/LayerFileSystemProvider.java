package io.layerfs.provider;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Limits;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.internal.NotADirectory;
import io.layerfs.core.internal.PathErrors;
import io.layerfs.core.internal.PathLimits;
import io.layerfs.core.lazy.LazyMerge;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.core.store.BackgroundFetch;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * The {@code layerfs:} scheme: {@code FileSystems.newFileSystem(URI.create("layerfs://web"), env)}
 * opens the root file system of a container (or, with {@code readOnly}, a view of an image).
 *
 * <p>This class is a registry and a thin delegation layer, as Jimfs's provider is: it keeps the
 * open file systems by name and the stores they share, checks each path argument, and hands the
 * work to {@link LayerFileSystem}, which holds the {@code FileTree} that core's {@code
 * Store.open} returned. The env keys are those of {@link LayerEnv}.
 *
 * <p>Thread safety: all methods are safe for concurrent use.
 */
public final class LayerFileSystemProvider extends FileSystemProvider {
  static final String SCHEME = "layerfs";
  /** Docker's rule for container names (checked by {@link #isContainerName}). */
  private static final String NAME = "[a-zA-Z0-9][a-zA-Z0-9_.-]*";

  /**
   * Java 21 and later: the default provider's move asks access(2) whether a source directory
   * may be written before it looks at the target, which a directory on a read-only mount may not
   * (EROFS, naming the source alone); Java 17 to 20 go on to rename(2), whose error names both.
   */
  private static final boolean MOVE_ASKS_DIRECTORY_WRITABLE = Runtime.version().feature() >= 21;

  private final Map<String, LayerFileSystem> fileSystems = new ConcurrentHashMap<>();
  /** The open views of image files opened by path: not found by URI, but named in its error. */
  private final Set<LayerFileSystem> pathViews = ConcurrentHashMap.newKeySet();
  private final Stores stores = new Stores();

  /**
   * The store used when the env names none: system property {@code layerfs.store}, then
   * {@code $LAYERFS_STORE}, then {@code $XDG_DATA_HOME/layerfs}, then
   * {@code ~/.local/share/layerfs}.
   */
  public static Path defaultStore() {
    return LayerEnv.defaultStore();
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  /**
   * Opens container NAME of {@code layerfs://NAME}: created from env {@code image} on first use,
   * reopened with all its writes afterwards. With {@code readOnly}, an existing container gives a
   * read-only view of its current state, and a name no container has gives a read-only view of
   * the image alone. A store directory that does not exist is a {@link NoSuchFileException}
   * unless env {@code image} is given (to pull into a new store): the store made then is removed
   * again if the open fails.
   */
  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
    String name = nameOf(uri);
    LayerEnv config = LayerEnv.parse(env);
    if (fileSystems.containsKey(name)) {
      throw alreadyOpen(name);
    }
    // a store is made where there is none only for an image to create the container from, and
    // removed again when the open fails: a mistyped store path leaves no directories behind
    Path made = firstMissing(config.store());
    if (made != null && config.image() == null) {
      throw new NoSuchFileException(config.store().toString(), null,
          "no store: the directory does not exist ("
          + (env.containsKey("store") ? "env key 'store'" : "the default store: env key 'store'"
              + " not given") + "); give env key 'store' the directory of a store, or env key"
          + " 'image' to create container " + name + " in a new store there");
    }
    Stores.Handle handle = stores.acquire(config.store(), config.limits(), made);
    try {
      String image;
      String lazyImage = null;
      if (config.lazy()) {
        // read from the registry as needed (core's Store.lazyImage); a container reopened
        // without env image names its own
        String given = config.image() != null ? config.image()
            : handle.store().hasContainer(name)
                ? handle.store().containerInfo(name).image() : null;
        lazyImage = given == null ? null : handle.store().lazyImage(given, registry(config));
        image = config.image() == null ? null : lazyImage;
      } else {
        // a registry reference the store lacks is pulled first (core's Store.imageOrPull); the
        // registry's options only then: a fresh JVM's open of a held image loads fewer classes
        image = config.image() == null || handle.store().holdsImage(config.image())
            ? config.image()
            : handle.store().imageOrPull(config.image(), registry(config), null);
      }
      FileTree tree = lazyTree(handle.store(), name, image, lazyImage, config);
      if (tree == null) {
        tree = lazySnapshot(handle.store(), name, config);
      }
      if (tree == null) {
        tree = handle.store().open(name, image, config.readOnly(), config.mounts(),
            config.signedBy(), config.signedIdentity());
      }
      BackgroundFetch fetch;
      try {
        fetch = config.lazyBackground() && lazyImage != null
            ? handle.store().completeLazyInBackground(lazyImage) : null;
      } catch (IOException | RuntimeException e) {
        tree.close();
        throw e;
      }
      LayerFileSystem[] self = new LayerFileSystem[1];
      // a class, not a lambda: a fresh JVM's first call of a lambda spins a class at run time
      Runnable onClose = new Runnable() {
        @Override
        public void run() {
          fileSystems.remove(name, self[0]);
          try {
            if (fetch != null) {
              fetch.close(); // never outlives the file system
            }
          } catch (IOException e) {
            Thread.currentThread().interrupt(); // close was interrupted: keep the flag
          } finally {
            handle.release();
          }
        }
      };
      // a container's file store shows the host's; an image view (which never changes) has none
      LayerFileSystem fs = new LayerFileSystem(this, name, tree,
          tree.immutable() ? null : config.store(), onClose);
      self[0] = fs;
      if (fileSystems.putIfAbsent(name, fs) != null) {
        fs.close();
        throw alreadyOpen(name);
      }
      handle.keep();
      return fs;
    } catch (IOException | RuntimeException e) {
      if (handle.releaseAfter(e) && e.getClass() == IOException.class) {
        // "no image 'debian:12' in store DIR; pulling ... failed" of a mistyped DIR: say that
        throw new IOException(e.getMessage() + "; there was no store at " + config.store()
            + " (the directory did not exist; none is left there)", e);
      }
      throw e;
    }
  }

  /** The registry options env gives (tlsVerify given as true is skopeo's: HTTPS on loopback). */
  private static RegistryOptions registry(LayerEnv config) {
    return RegistryOptions.defaults()
        .withTlsVerify(!Boolean.FALSE.equals(config.tlsVerify()))
        .withLoopbackHttp(config.tlsVerify() == null || !config.tlsVerify())
        .withCertDir(config.certDir())
        .withRegistriesConf(config.registriesConf());
  }

  /**
   * A tree of a lazily read image that answers lookups through the lazy merge until it needs the
   * whole tree ({@link LazyTree}): a read-only view of the image (no container of that name), or
   * a container opened for writing whose writable layer is empty; without mounts or a signature
   * to check, over an image whose layers are all plain gzip layers read lazily and not all
   * complete. Null otherwise: the store opens the tree, fetching the layers whole.
   */
  private static FileTree lazyTree(Store store, String name, String image, String lazyImage,
      LayerEnv config) throws IOException {
    if (lazyImage == null || config.signedBy() != null
        || (config.mounts() != null && !config.mounts().isEmpty())) {
      return null;
    }
    boolean exists = store.hasContainer(name);
    if (config.readOnly()) {
      if (exists || image == null) {
        return null;
      }
      LazyMerge merge = store.lazyMerge(lazyImage);
      return merge == null ? null : LazyTree.ofImage(merge, store, image);
    }
    LazyMerge merge = store.lazyMerge(lazyImage);
    if (merge == null) {
      return null;
    }
    Container.Prepared prepared = store.prepareContainer(name, image);
    try {
      if (prepared.written() || prepared.hasMounts()
          || !prepared.image().manifestDigest().equals(store.image(lazyImage).manifestDigest())) {
        return prepared.build(); // a container with changes opens whole, as before
      }
      return LazyTree.ofContainer(merge, prepared);
    } catch (IOException | RuntimeException e) {
      prepared.close();
      throw e;
    }
  }

  /**
   * A read-only open of a container not yet written, without mounts, whose image's plain gzip
   * layers were attached lazily ({@code create --lazy}): its snapshot is its image, read by
   * path through the lazy merge ({@link LazyTree}) and, once the whole tree is needed, through
   * a view of that image, the same snapshot (a writer that starts meanwhile is not seen, as by
   * any read-only open). Null otherwise: the store opens it. Needs no env {@code lazy}, so the
   * CLI's {@code cat NAME PATH} reads such a container lazily.
   */
  private static FileTree lazySnapshot(Store store, String name, LayerEnv config)
      throws IOException {
    if (!config.readOnly() || config.signedBy() != null
        || (config.mounts() != null && !config.mounts().isEmpty())) {
      return null;
    }
    String image = store.lazyContainerImage(name);
    LazyMerge merge = image == null ? null : store.lazyMerge(image);
    return merge == null ? null : LazyTree.ofImage(merge, store, image);
  }

  private static FileSystemAlreadyExistsException alreadyOpen(String name) {
    return new FileSystemAlreadyExistsException("layerfs://" + name + " is already open in this"
        + " JVM: FileSystems.getFileSystem(uri) returns it (close it to open it again)");
  }

  /**
   * The outermost of {@code dir} and its parents that does not exist, which opening a store
   * there would make; null when {@code dir} exists.
   */
  private static Path firstMissing(Path dir) {
    Path missing = null;
    for (Path p = dir; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS);
        p = p.getParent()) {
      missing = p;
    }
    return missing;
  }

  /** Whether {@code fs} is the file system {@link #getFileSystem} gives for its name. */
  boolean isRegistered(LayerFileSystem fs) {
    return fileSystems.get(fs.name()) == fs;
  }

  /**
   * Opens an image file read-only, like zipfs opens a zip: an OCI image layout directory, an OCI
   * archive or a docker-archive. An archive is imported into a scratch store that is deleted when
   * the file system closes. The file system is not registered: {@code getFileSystem(URI)} does
   * not find it, as with zipfs's path form. env: {@code image} picks one of several images.
   */
  @Override
  public FileSystem newFileSystem(Path path, Map<String, ?> env) throws IOException {
    LayerEnv config = LayerEnv.parse(env);
    Path file = path.toAbsolutePath();
    if (Files.isDirectory(file)) {
      if (!Files.isRegularFile(file.resolve("oci-layout"))) {
        throw new UnsupportedOperationException(file + " is not an OCI image layout");
      }
      return openLayout(file, config, file, () -> {});
    }
    if (!Store.isArchive(file)) {
      throw new UnsupportedOperationException(
          file + " is neither an OCI image layout directory nor an image archive (tar)");
    }
    Path scratch = Files.createTempDirectory("layerfs-archive-");
    Runnable cleanup = () -> deleteQuietly(scratch);
    try {
      try (Store store = config.limits() == null ? Store.open(scratch)
          : Store.open(scratch, config.limits())) {
        store.importArchive(file, Progress.NONE);
      }
      return openLayout(scratch, config, file, cleanup);
    } catch (IOException | RuntimeException e) {
      cleanup.run();
      throw e;
    }
  }

  private LayerFileSystem openLayout(Path layout, LayerEnv config, Path file, Runnable cleanup)
      throws IOException {
    Stores.Handle handle = stores.acquire(layout, config.limits());
    try {
      FileTree view = lazyView(handle.store(), config);
      if (view == null) {
        view = handle.store().openImage(config.image(), config.signedBy(),
            config.signedIdentity());
      }
      String name = file.getFileName() == null ? "image" : file.getFileName().toString();
      LayerFileSystem[] self = new LayerFileSystem[1];
      self[0] = new LayerFileSystem(this, name, view, null, () -> {
        pathViews.remove(self[0]);
        handle.release();
        cleanup.run();
      });
      pathViews.add(self[0]);
      return self[0];
    } catch (IOException e) {
      handle.release();
      throw layout.equals(file) || e.getClass() != IOException.class ? e
          : new IOException(inArchive(e.getMessage(), layout, file), e);
    } catch (RuntimeException e) {
      handle.release();
      throw layout.equals(file) || e.getClass() != IllegalArgumentException.class ? e
          : new IllegalArgumentException(inArchive(e.getMessage(), layout, file), e);
    }
  }

  /** An error about an archive's scratch store, naming the archive: all its user knows. */
  private static String inArchive(String message, Path scratch, Path archive) {
    return String.valueOf(message).replace("store " + scratch, "archive " + archive)
        .replace("layout " + scratch, "archive " + archive);
  }


  /**
   * A view of a store's image whose plain gzip layers were attached lazily (by {@code cat
   * --lazy}, {@code create --lazy}, env {@code lazy}), opened by the store's path: read by path
   * through the lazy merge as a {@code layerfs:} view with env {@code lazy} is ({@link
   * LazyTree}), so that reading one file of it does not fetch its layers whole. Null for any
   * other image (held whole, eStargz, a signature to check, no image named): the store opens it.
   */
  private static FileTree lazyView(Store store, LayerEnv config) throws IOException {
    String image = config.image();
    if (image == null || config.signedBy() != null) {
      return null;
    }
    LazyMerge merge = store.lazyMerge(image);
    return merge == null ? null : LazyTree.ofImage(merge, store, image);
  }

  private static void deleteQuietly(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a scratch copy in the temp dir; the OS cleans what we could not
    }
  }


  @Override
  public FileSystem getFileSystem(URI uri) {
    String name = nameOf(uri);
    LayerFileSystem fs = fileSystems.get(name);
    if (fs == null) {
      String root = "layerfs://" + name;
      String prefix = uri.toString().equals(root) ? "" : uri + ": ";
      if (pathViews.stream().anyMatch(view -> view.name().equals(name))) {
        // Path.of(path.toUri()) of such a view: the URI cannot find it again, as zipfs's cannot
        throw new FileSystemNotFoundException(prefix + root + " is an image file opened by its"
            + " path (FileSystems.newFileSystem(Path)), which a URI does not find: use the paths"
            + " of the FileSystem that call returned");
      }
      throw new FileSystemNotFoundException(prefix + root + " is not open in this JVM; open it"
          + " first with FileSystems.newFileSystem(URI.create(\"" + root + "\"), env)");
    }
    return fs;
  }

  @Override
  public Path getPath(URI uri) {
    return LayerPath.fromUri((LayerFileSystem) getFileSystem(uri), uri);
  }

  private static String nameOf(URI uri) {
    if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("URI scheme is not '" + SCHEME + "': " + uri);
    }
    String name = uri.getAuthority();
    if (name == null || !isContainerName(name)) {
      throw new IllegalArgumentException("URI " + uri + " does not name a container: "
          + "expected layerfs://NAME with NAME matching " + NAME);
    }
    return name;
  }

  /**
   * Whether {@code name} matches {@link #NAME}: a loop, not a regex, since every open checks a
   * name and compiling a pattern costs a fresh JVM more than the check.
   */
  static boolean isContainerName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean alnum = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
      if (!alnum && (i == 0 || c != '_' && c != '.' && c != '-')) {
        return false;
      }
    }
    return true;
  }

  // --- reading ---

  @Override
  public SeekableByteChannel newByteChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    // not interruptible, so Files.readAllBytes, newInputStream, writeString... complete on an
    // interrupted thread as they do on the default provider (which marks its own channels so);
    // a file of a volume or bind mount opened for reading is the host's channel, which the JDK
    // marks itself; on Java 22+ the mount's own channel over openat2, not interruptible either,
    // unless the thread is interrupted already: then the host's, whose reads fail as the JDK's
    // do outside readAllBytes and streams
    if (attrs.length == 0 && readOnly(options) && !Thread.currentThread().isInterrupted()) {
      LayerPath p = LayerPath.check(path);
      SeekableByteChannel channel = p.fs().readChannel(p);
      if (channel != null) {
        return channel;
      }
    }
    return open(path, options, false, attrs);
  }

  /** Options that only read (none, READ, NOFOLLOW_LINKS: a link is refused there too). */
  private static boolean readOnly(Set<? extends OpenOption> options) {
    for (OpenOption option : options) {
      if (option != StandardOpenOption.READ && option != LinkOption.NOFOLLOW_LINKS) {
        return false;
      }
    }
    return true;
  }

  @Override
  public FileChannel newFileChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    return open(path, options, true, attrs);
  }

  /**
   * As the JDK's on Linux: the file opened as for {@link #newFileChannel} (reading unless {@code
   * WRITE} is given; {@code APPEND} refused), each call a task on {@code executor}, or on a pool
   * of the provider's own when null.
   */
  @Override
  public AsynchronousFileChannel newAsynchronousFileChannel(Path path,
      Set<? extends OpenOption> options, ExecutorService executor, FileAttribute<?>... attrs)
      throws IOException {
    if (options.contains(StandardOpenOption.APPEND)) {
      throw new UnsupportedOperationException("APPEND not allowed");
    }
    boolean writing = options.contains(StandardOpenOption.WRITE);
    boolean reading = options.contains(StandardOpenOption.READ) || !writing;
    // not interruptible: an interrupt of a pool thread must not close the channel
    FileChannel channel = open(path, options, false, attrs);
    return new LayerAsyncFileChannel(channel, reading, writing, executor);
  }

  /**
   * The host's channel of a bind mount's or volume's directory that {@code p} names through a
   * link, opened by its real path as a path without links opens it: its locks then meet those of
   * every channel of that directory. Null for any other directory.
   */
  private static FileChannel mountedDirectory(LayerPath p) throws IOException {
    if (!p.fs().hasMounts()) {
      return null;
    }
    LayerPath real = LayerPath.check(p.toRealPath());
    if (real.equals(p.toAbsolutePath())) {
      return null; // opened by that path already, and not a mount's
    }
    FileHandle file = p.fs().openForReading(real, true);
    if (file == null) {
      return null;
    }
    if (file.hostChannel() == null) {
      file.close();
      return null;
    }
    return file.hostChannel();
  }

  private FileChannel open(Path path, Set<? extends OpenOption> options, boolean interruptible,
      FileAttribute<?>... attrs) throws IOException {
    LayerPath p = LayerPath.check(path);
    boolean write = false;
    for (OpenOption option : options) {
      if (option == null) {
        throw new NullPointerException();
      }
      if (!(option instanceof StandardOpenOption) && option != LinkOption.NOFOLLOW_LINKS) {
        // before anything is created, as the default provider checks
        throw new UnsupportedOperationException(option + " not supported");
      }
      write |= option == StandardOpenOption.WRITE || option == StandardOpenOption.APPEND;
    }
    if (options.contains(StandardOpenOption.APPEND)
        && (options.contains(StandardOpenOption.READ)
            || options.contains(StandardOpenOption.TRUNCATE_EXISTING))) {
      throw new IllegalArgumentException(options.contains(StandardOpenOption.READ)
          ? "READ + APPEND not allowed" : "APPEND + TRUNCATE_EXISTING not allowed"); // the JDK's
    }
    if (write && options.contains(StandardOpenOption.CREATE_NEW) && ".".equals(specialName(p))) {
      // the JDK's channel factory says EEXIST of a last name "." before it asks the kernel
      throw new java.nio.file.FileAlreadyExistsException(p.toString());
    }
    if (!write && (options.contains(StandardOpenOption.CREATE)
        || options.contains(StandardOpenOption.CREATE_NEW)
        || options.contains(StandardOpenOption.TRUNCATE_EXISTING))) {
      // not writing, the JDK ignores these, and asks for O_NOFOLLOW only without CREATE_NEW:
      // such an open reads what is there, following a link, in every tree
      Set<OpenOption> reading = new java.util.HashSet<>(options);
      reading.remove(StandardOpenOption.CREATE);
      reading.remove(StandardOpenOption.TRUNCATE_EXISTING);
      if (reading.remove(StandardOpenOption.CREATE_NEW)) {
        reading.remove(LinkOption.NOFOLLOW_LINKS);
      }
      return open(p, reading, interruptible, attrs);
    }
    if (write) {
      p.fs().writable(p);
    }
    if (options.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
      return openAndUnlink(p, options, interruptible, attrs);
    }
    int mode = LayerAttributes.createMode(attrs, 0666);
    if (!write) {
      FileHandle file = p.fs().openForReading(p, !options.contains(LinkOption.NOFOLLOW_LINKS));
      if (file != null) {
        // a file in a mount; of a volume or bind mount, the host's own channel, which the JDK's
        // readAllBytes and streams make uninterruptible as they make the default provider's
        FileChannel host = file.hostChannel();
        return host != null ? host : LayerFileChannel.of(file, null, interruptible);
      }
      Node node = p.fs().lookup(p, !options.contains(LinkOption.NOFOLLOW_LINKS));
      if (node.type() == EntryType.SYMLINK) {
        // O_NOFOLLOW on a link: ELOOP, which the default provider reports as a plain IOException
        throw PathErrors.linkNotFollowedAtOpen(p.toString());
      }
      if (node.type() == EntryType.DIRECTORY) {
        FileChannel mounted = mountedDirectory(p);
        if (mounted != null) {
          return mounted;
        }
        // Linux opens a directory for reading; the channel's reads then fail with EISDIR
        return LayerFileChannel.ofDirectory(LayerFileAttributes.DIRECTORY_SIZE, p.fs(),
            node.fileKey(), interruptible);
      }
    }
    if (!write) {
      return LayerFileChannel.of(p.fs().open(p, options, mode), null, interruptible);
    }
    boolean created = (options.contains(StandardOpenOption.CREATE)
        || options.contains(StandardOpenOption.CREATE_NEW)) && p.fs().watched()
        && p.fs().find(p, !options.contains(LinkOption.NOFOLLOW_LINKS)) == null;
    FileChannel channel = LayerFileChannel.of(p.fs().open(p, options, mode),
        () -> p.fs().changed(p, ENTRY_MODIFY), interruptible);
    if (created) {
      p.fs().changed(p, ENTRY_CREATE);
    } else if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
      p.fs().changed(p, ENTRY_MODIFY);
    }
    return channel;
  }

  /**
   * DELETE_ON_CLOSE as the JDK does it on Linux: the file is opened without following a last
   * link (so a link is {@code ELOOP}, never its target deleted) and its name removed at once,
   * best effort; the channel keeps the file until it closes, and nothing is left for a crash.
   * A read-only file system opens the file and keeps its name, as a read-only Linux mount (the
   * unlink fails, which the JDK ignores) and zipfs do.
   */
  private FileChannel openAndUnlink(LayerPath p, Set<? extends OpenOption> options,
      boolean interruptible, FileAttribute<?>... attrs) throws IOException {
    Set<OpenOption> opened = new java.util.HashSet<>(options);
    opened.remove(StandardOpenOption.DELETE_ON_CLOSE);
    opened.add(LinkOption.NOFOLLOW_LINKS);
    FileChannel channel = open(p, opened, interruptible, attrs);
    try {
      Node file = p.fs().find(p, false);
      if (file != null && file.type() != EntryType.DIRECTORY && !p.fs().isReadOnly()) {
        // unlink(2): a directory, even an empty one, stays
        p.fs().change(p, FileTree::delete, ENTRY_DELETE);
      }
    } catch (IOException e) {
      // best effort, as the JDK
    }
    return channel;
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(
      Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
    LayerPath p = LayerPath.check(dir);
    try {
      FileTree.Listing listing = p.fs().listingToOpen(p); // null: listed as iteration starts
      return new LayerDirectoryStream(dir, p, null, listing == null ? List.of() : listing.names(),
          listing, filter);
    } catch (java.nio.file.FileSystemException e) {
      if ("Not a directory".equals(e.getReason())) {
        // opendir(3) fails with ENOTDIR for any name of the path: the JDK says NotDirectory
        throw new NotDirectoryException(p.toString());
      }
      throw e;
    }
  }

  @Override
  public Path readSymbolicLink(Path link) throws IOException {
    LayerPath p = LayerPath.check(link);
    Node node = p.fs().lookup(p, false);
    if (node.type() != EntryType.SYMLINK) {
      throw new NotLinkException(p.toString());
    }
    return p.getFileSystem().getPath(node.linkTarget());
  }

  /** The path with every symbolic link resolved inside the image root; not followed, none. */
  Path toRealPath(LayerPath path, LinkOption... options) throws IOException {
    if (follow(options)) {
      return path.getFileSystem().getPath(path.fs().lookup(path, true).path());
    }
    // no link resolved, as the JDK's: "." dropped, ".." taken lexically unless it comes after a
    // link or after a ".." kept (then the kernel would climb from where the link leads)
    LayerPath absolute = (LayerPath) path.toAbsolutePath();
    LayerPath result = (LayerPath) absolute.getRoot();
    boolean afterDotDot = false;
    for (Path element : absolute) {
      String name = element.toString();
      if (name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (!afterDotDot && path.fs().lookup(result, false).type() != EntryType.SYMLINK) {
          LayerPath parent = (LayerPath) result.getParent();
          result = parent != null ? parent : result;
          continue;
        }
        afterDotDot = true;
      } else {
        afterDotDot = false;
      }
      result = (LayerPath) result.resolve(name);
    }
    path.fs().lookup(result, false); // it must exist, as lstat(2) finds it
    return result;
  }

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    LayerPath p = LayerPath.check(path);
    java.util.Objects.requireNonNull(path2);
    if (p.equals(path2)) {
      return true;
    }
    if (!(path2 instanceof LayerPath q) || q.fs() != p.fs()) {
      return false;
    }
    return p.fs().lookup(p, true).fileKey() == q.fs().lookup(q, true).fileKey();
  }

  @Override
  public boolean isHidden(Path path) throws IOException {
    LayerPath p = LayerPath.check(path);
    p.fs().ensureOpen();
    Path name = p.getFileName();
    return name != null && name.toString().startsWith(".");
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    LayerPath p = LayerPath.check(path);
    p.fs().lookup(p, true);
    return p.fs().fileStore(p);
  }

  /**
   * Access as root has it in a container: reading always, executing when any execute bit is set
   * (or for directories), writing unless the file system is read-only.
   */
  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    LayerPath p = LayerPath.check(path);
    Node node;
    try {
      node = p.fs().find(p, true);
    } catch (java.nio.file.FileSystemException e) {
      throw NotADirectory.whenRead(e);
    }
    if (node == null) {
      throw MissingFileException.of(p.toString());
    }
    for (AccessMode mode : modes) {
      if (mode == AccessMode.WRITE && (p.fs().isReadOnly() || p.fs().readOnlyMount(p))) {
        throw new java.nio.file.FileSystemException(p.toString(), null, "Read-only file system");
      }
      if (mode == AccessMode.EXECUTE && node.type() != EntryType.DIRECTORY
          && (node.mode() & 0111) == 0) {
        throw new AccessDeniedException(p.toString());
      }
    }
  }

  /**
   * Whether {@code path} exists, building no exception for a missing one. Java 20 and later call
   * this from {@code Files.exists} (it overrides {@code FileSystemProvider.exists} there); on Java
   * 17 {@code Files.exists} goes through {@link #checkAccess}, which is as cheap for a missing
   * path (see {@link MissingFileException}).
   */
  public boolean exists(Path path, LinkOption... options) {
    LayerPath p = LayerPath.check(path);
    try {
      return p.fs().find(p, follow(options)) != null;
    } catch (IOException e) {
      return false; // as Files.exists: a path that cannot be resolved does not exist
    }
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(
      Path path, Class<V> type, LinkOption... options) {
    LayerPath p = LayerPath.check(path);
    boolean follow = follow(options);
    return LayerAttributeViews.view(type, LayerAttributeViews.source(p, true, follow), p, follow);
  }

  /**
   * The view a {@code SecureDirectoryStream} gives of {@code p}: as {@link
   * #getFileAttributeView}'s, but a path through a file is "Not a directory" on every JDK, as
   * the JDK's secure stream reads attributes relative to its directory ({@code fstatat}), which
   * Java 25 left as it was ({@link NotADirectory}).
   */
  static <V extends FileAttributeView> V secureView(LayerPath p, Class<V> type,
      LinkOption... options) {
    boolean follow = follow(options);
    return LayerAttributeViews.view(type, LayerAttributeViews.source(p, false, follow), p, follow);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <A extends BasicFileAttributes> A readAttributes(
      Path path, Class<A> type, LinkOption... options) throws IOException {
    LayerPath p = LayerPath.check(path);
    if (type == BasicFileAttributes.class) {
      // only what was asked for, as the default provider: not castable to PosixFileAttributes.
      // The usual read (Files.walk makes two per path): one object, no view source.
      Node node;
      try {
        node = p.fs().lookup(p, follow(options));
      } catch (java.nio.file.FileSystemException e) {
        throw NotADirectory.whenRead(e);
      }
      return (A) new LayerBasicAttributes(node);
    }
    if (type == PosixFileAttributes.class) {
      return (A) LayerAttributeViews.source(p, true, follow(options)).read();
    }
    if (type == java.nio.file.attribute.DosFileAttributes.class) {
      boolean follow = follow(options);
      return (A) new LayerDosAttributeView(LayerAttributeViews.source(p, true, follow), p, follow)
          .readAttributes();
    }
    throw new UnsupportedOperationException("attributes of type " + type.getName()
        + " are not supported; use BasicFileAttributes, PosixFileAttributes or"
        + " DosFileAttributes");
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    LayerPath p = LayerPath.check(path);
    return LayerAttributeViews.read(attributes,
        LayerAttributeViews.source(p, true, follow(options)));
  }

  // --- writing: into the container's upper layer, copy-on-write ---

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    int mode = LayerAttributes.createMode(attrs, 0777);
    LayerPath d = LayerPath.check(dir);
    if (d.fs().isReadOnly() && d.fs().find(d, false) != null) {
      // mkdir(2) on a read-only mount says EEXIST for an existing name (createDirectories relies
      // on it), EROFS only for a new one
      throw new java.nio.file.FileAlreadyExistsException(d.toString());
    }
    d.fs().change(d, (c, p) -> c.createDirectory(p, mode), ENTRY_CREATE);
  }

  @Override
  public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs)
      throws IOException {
    LayerPath l = LayerPath.check(link);
    if (attrs.length > 0) {
      throw new UnsupportedOperationException("symbolic links take no initial attributes");
    }
    String to = LayerPath.check(target).toString();
    if (PathLimits.pathTooLong(to)) {
      throw PathLimits.tooLong(l.toString()); // symlink(2) takes its target as a path
    }
    l.fs().change(l, (c, p) -> c.createSymbolicLink(p, to), ENTRY_CREATE);
  }

  @Override
  public void createLink(Path link, Path existing) throws IOException {
    LayerPath l = LayerPath.check(link);
    LayerPath e = LayerPath.check(existing);
    sameFileSystem(l, e);
    try {
      l.fs().change(l, (c, p) -> c.createLink(p, e.callPath()), ENTRY_CREATE);
    } catch (java.nio.file.FileSystemException x) {
      throw PathErrors.named(x, l.toString(), e.toString()); // link(2)'s errors name both
    }
  }

  @Override
  public void delete(Path path) throws IOException {
    LayerPath p = LayerPath.check(path);
    String special = specialName(p);
    if (special != null) {
      p.fs().lookup(p, false); // the JDK's delete looks the path up first
      throw refusedRemoval(p, special);
    }
    p.fs().change(p, FileTree::delete, ENTRY_DELETE);
  }

  /**
   * The last name of {@code p} as given, when rmdir(2) and rename(2) refuse it whatever it
   * names: {@code .}, {@code ..}, or {@code /} for the root; else null.
   */
  private static String specialName(LayerPath p) {
    Path name = p.getFileName();
    if (name == null) {
      return p.isAbsolute() ? "/" : null;
    }
    String n = name.toString();
    return n.equals(".") || n.equals("..") ? n : null;
  }

  /** rmdir(2) of a path whose last name is {@code special}, as the JDK reports it. */
  private static java.nio.file.FileSystemException refusedRemoval(LayerPath p, String special) {
    return switch (special) {
      case "." -> new java.nio.file.FileSystemException(p.toString(), null, "Invalid argument");
      case ".." -> new java.nio.file.DirectoryNotEmptyException(p.toString());
      default -> new java.nio.file.FileSystemException(p.toString(), null,
          "Device or resource busy");
    };
  }

  /**
   * A move without {@code ATOMIC_MOVE} of or onto a path whose last name is special: the JDK's
   * steps up to rename(2), which refuses it (EBUSY). True if there is nothing to do (one file).
   * Unlike the JDK, which deletes a target it may replace before rename(2) fails, the target
   * is kept.
   */
  private static boolean refusedMove(LayerPath s, LayerPath t, boolean replace)
      throws IOException {
    Node source = s.fs().lookup(s, false);
    Node target = t.fs().find(t, false);
    if (target != null) {
      if (source.fileKey() == target.fileKey()) {
        return true;
      }
      if (!replace) {
        throw new java.nio.file.FileAlreadyExistsException(t.toString());
      }
      String special = specialName(t);
      if (special != null) {
        throw refusedRemoval(t, special);
      }
    }
    realSource(s, t); // rename(2) finds both parents first
    checkTargetParent(s, t);
    throw new java.nio.file.FileSystemException(s.toString(), t.toString(),
        "Device or resource busy");
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    LayerCopy.copy(LayerPath.check(source), LayerPath.check(target), options);
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    LayerPath s = LayerPath.check(source);
    LayerPath t = LayerPath.check(target);
    LayerCopy.checkMoveOptions(options);
    if (s.fs() != t.fs()) {
      LayerCopy.moveAcross(s, t, options);
      return;
    }
    List<CopyOption> opts = Arrays.asList(options);
    boolean atomic = opts.contains(StandardCopyOption.ATOMIC_MOVE);
    String from = s.absolute();
    if (atomic) {
      // rename(2) finds both parents first (the source's, then the target's), then compares
      // their mounts (EXDEV), then asks the mount for writing (EROFS); the source so found is
      // found even where the target replaces a link it was reached through (a move without
      // ATOMIC_MOVE unlinks the target first, as the JDK does, and then finds nothing there)
      from = realSource(s, t);
      checkTargetParent(s, t);
      if (!s.fs().sameMount(s, t)) {
        // rename(2) across two mounts: EXDEV, which the default provider reports so
        throw new java.nio.file.AtomicMoveNotSupportedException(s.toString(), t.toString(),
            "Invalid cross-device link");
      }
      if (specialName(s) != null || specialName(t) != null) {
        throw new java.nio.file.FileSystemException(s.toString(), t.toString(),
            "Device or resource busy");
      }
      Path parent = s.toAbsolutePath().getParent();
      if (parent != null && s.fs().readOnlyMount((LayerPath) parent)) {
        // rename(2) asks the mount for writing before it looks either name up
        throw new java.nio.file.FileSystemException(s.toString(), t.toString(),
            "Read-only file system");
      }
      checkRename(s, t);
    }
    boolean replace = atomic || opts.contains(StandardCopyOption.REPLACE_EXISTING);
    if (!atomic && MOVE_ASKS_DIRECTORY_WRITABLE) {
      checkMovableDirectory(s);
    }
    if (!atomic && (specialName(s) != null || specialName(t) != null)
        && refusedMove(s, t, replace)) {
      return;
    }
    String resolved = from;
    try {
      move(s, t, resolved, replace, atomic);
    } catch (java.nio.file.FileSystemException e) {
      if (atomic && e.getOtherFile() == null && s.toString().equals(e.getFile())) {
        throw PathErrors.named(e, s.toString(), t.toString()); // rename(2)'s errors name both
      }
      throw e;
    }
    t.fs().changed(t, ENTRY_CREATE);
  }

  private static void checkMovableDirectory(LayerPath s) throws IOException {
    if (!s.fs().hasReadOnlyMount()) {
      return; // root may write every other directory of a container: no look-up for a move
    }
    Node source;
    try {
      source = s.fs().find(s, false);
    } catch (java.nio.file.FileSystemException e) {
      return; // the move reports it as it always has
    }
    if (source != null && source.type() == EntryType.DIRECTORY && s.fs().readOnlyMount(s)) {
      throw new java.nio.file.FileSystemException(s.toString(), null, "Read-only file system");
    }
  }

  private static void move(LayerPath s, LayerPath t, String resolved, boolean replace,
      boolean atomic) throws IOException {
    try {
      s.fs().change(s, t, (c, p) -> c.move(resolved, t.callPath(), replace, atomic),
          ENTRY_DELETE);
    } catch (java.nio.file.FileSystemException e) {
      if (t.toString().equals(e.getFile()) // change named the target as the caller gave it
          && e.getClass() == java.nio.file.FileSystemException.class && renames(s, t, atomic)) {
        // rename(2) failed on the target's path: the default provider names both
        throw new java.nio.file.FileSystemException(s.toString(), t.toString(), e.getReason());
      }
      throw e;
    }
  }

  /**
   * Whether the default provider's move would have called rename(2): not across two mounts (it
   * copies, and an error about the target names the target alone), nor onto a mount point (it
   * removes the target first, and rmdir(2) says it is busy).
   */
  private static boolean renames(LayerPath s, LayerPath t, boolean atomic) throws IOException {
    return atomic || s.fs().sameMount(s, t) && !t.fs().mountPoint(t);
  }

  /**
   * ATOMIC_MOVE is rename(2): it replaces a target of the same kind (a file, or an empty
   * directory) and fails with rename's errors otherwise, as the default provider reports them.
   */
  private static void checkRename(LayerPath s, LayerPath t) throws IOException {
    Node target;
    try {
      target = t.fs().lookup(t, false);
    } catch (java.nio.file.NoSuchFileException e) {
      target = null;
    } catch (java.nio.file.FileSystemException e) {
      // rename(2) looks up both parents before the source itself
      throw new java.nio.file.FileSystemException(s.toString(), t.toString(), e.getReason());
    }
    Node source;
    try {
      source = s.fs().lookup(s, false);
    } catch (java.nio.file.FileSystemException e) {
      throw PathErrors.named(e, s.toString(), t.toString()); // rename(2)'s errors name both
    }
    if (target == null) {
      return;
    }
    boolean sourceDir = source.type() == EntryType.DIRECTORY;
    if (sourceDir && target.path().startsWith(source.path() + "/")) {
      // rename(2) says EINVAL for a directory moved into itself before it looks at the target,
      // which must not be replaced first
      throw new java.nio.file.FileSystemException(s.toString(), t.toString(), "Invalid argument");
    }
    if (source.path().startsWith(target.path() + "/")) {
      // and ENOTEMPTY for a target the source lies in, before either one's type is looked at
      throw new java.nio.file.FileSystemException(s.toString(), t.toString(),
          "Directory not empty");
    }
    boolean targetDir = target.type() == EntryType.DIRECTORY;
    String reason = null;
    if (sourceDir && !targetDir) {
      reason = "Not a directory";
    } else if (!sourceDir && targetDir) {
      reason = "Is a directory";
    } else if (targetDir && source.fileKey() != target.fileKey() && !t.fs().list(t).isEmpty()
        && !s.fs().mountPoint(s) && !t.fs().mountPoint(t)) {
      reason = "Directory not empty"; // after EBUSY, which a mount point is
    }
    if (reason != null) {
      throw new java.nio.file.FileSystemException(s.toString(), t.toString(), reason);
    }
  }

  /** rename(2)'s error for the target's parent: missing, or not a directory. */
  private static void checkTargetParent(LayerPath s, LayerPath t) throws IOException {
    Path parent = t.toAbsolutePath().getParent();
    if (parent != null) {
      renameDirectory((LayerPath) parent, s, t);
    }
  }

  /**
   * The directory {@code parent} as rename(2) finds a parent, its errors naming source and
   * target as the default provider's do: missing (ENOENT) or not a directory (ENOTDIR).
   */
  private static Node renameDirectory(LayerPath parent, LayerPath s, LayerPath t)
      throws IOException {
    Node dir;
    try {
      dir = parent.fs().lookup(parent, true);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new java.nio.file.NoSuchFileException(s.toString(), t.toString(), null);
    } catch (java.nio.file.FileSystemException e) {
      throw new java.nio.file.FileSystemException(s.toString(), t.toString(), e.getReason());
    }
    if (dir.type() != EntryType.DIRECTORY) {
      throw new java.nio.file.FileSystemException(s.toString(), t.toString(), "Not a directory");
    }
    return dir;
  }

  /**
   * The source's path with its parent resolved (links followed, {@code ..} taken physically),
   * as rename(2) resolves it first, before the target's parent: a source under a missing
   * directory or a dangling link is ENOENT, under a file ENOTDIR, whatever the target's path is.
   */
  private static String realSource(LayerPath s, LayerPath t) throws IOException {
    Path parent = s.toAbsolutePath().getParent();
    Path name = s.getFileName();
    if (parent == null || name == null || name.toString().equals("..")
        || name.toString().equals(".")) {
      return s.absolute(); // the root, or a name rename(2) refuses later (EBUSY, EINVAL)
    }
    String real = renameDirectory((LayerPath) parent, s, t).path();
    return (real.endsWith("/") ? real : real + "/") + name;
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options)
      throws IOException {
    LayerPath p = LayerPath.check(path);
    LayerAttributes.set(p, attribute, value, follow(options));
  }

  static boolean follow(LinkOption... options) {
    for (LinkOption o : options) { // no list: a walk asks this twice per path
      if (o == LinkOption.NOFOLLOW_LINKS) {
        return false;
      }
    }
    return true;
  }

  private static void sameFileSystem(LayerPath a, LayerPath b) {
    if (a.fs() != b.fs()) {
      throw new java.nio.file.ProviderMismatchException(
          "paths of two layerfs file systems: " + a.fs() + ", " + b.fs());
    }
  }

  /** The stores open file systems use, shared and closed with the last of them. */
  private static final class Stores {
    private final Map<Path, Handle> open = new ConcurrentHashMap<>();

    /** The store in {@code dir}, opened with {@code limits} (or the default) if not open. */
    synchronized Handle acquire(Path dir, Limits limits) throws IOException {
      return acquire(dir, limits, null);
    }

    /**
     * {@link #acquire(Path, Limits)} of a store that makes directory {@code made} (null if none)
     * when it opens, which {@link Handle#releaseAfter} removes again.
     */
    synchronized Handle acquire(Path dir, Limits limits, Path made) throws IOException {
      Handle handle = open.get(dir);
      if (handle == null) {
        Store store;
        try {
          store = limits == null ? Store.open(dir) : Store.open(dir, limits);
        } catch (IOException | RuntimeException e) {
          removeMade(made, e);
          throw e;
        }
        handle = new Handle(dir, store, made);
        open.put(dir, handle);
      } else if (limits != null && !limits.equals(handle.store().limits())) {
        throw new IllegalArgumentException("env key 'limits': store " + dir + " is already open"
            + " in this JVM with other limits (" + handle.store().limits() + ")");
      }
      handle.users++;
      return handle;
    }

    /**
     * Deletes {@code made} (nothing when null), a directory this process made, with everything in
     * it; a failure to is added to {@code failure}.
     */
    private static void removeMade(Path made, Exception failure) {
      if (made == null) {
        return;
      }
      try (var walk = Files.walk(made)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException | UncheckedIOException e) {
        failure.addSuppressed(e);
      }
    }

    final class Handle {
      private final Path dir;
      private final Store store;
      /**
       * The directory opening the store made, or null: removed when the opens of the store
       * failed, kept once one succeeded.
       */
      private Path made;
      private int users;

      Handle(Path dir, Store store, Path made) {
        this.dir = dir;
        this.store = store;
        this.made = made;
      }

      /** A file system of the store opened: the store is kept even if later opens fail. */
      void keep() {
        synchronized (Stores.this) {
          made = null;
        }
      }

      /**
       * {@link #release} after an open that failed with {@code failure}: the last user of a
       * store this open made removes it again, and says so (true).
       */
      boolean releaseAfter(Exception failure) {
        synchronized (Stores.this) {
          release();
          if (users == 0 && made != null) {
            removeMade(made, failure);
            return true;
          }
          return false;
        }
      }

      Store store() {
        return store;
      }

      void release() {
        synchronized (Stores.this) {
          if (--users == 0) {
            open.remove(dir);
            try {
              store.close();
            } catch (IOException e) {
              // closing read-only channels loses nothing; the next open starts afresh
            }
          }
        }
      }
    }
  }

}
