package io.layerfs.provider;

import io.layerfs.core.FileHandle;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileTree;
import io.layerfs.core.Layer;
import io.layerfs.core.Mount;
import io.layerfs.core.Node;
import io.layerfs.core.internal.InJvmLocks;
import io.layerfs.core.internal.PathErrors;
import io.layerfs.core.internal.PathNames;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.WatchEvent;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.Set;

/**
 * One open container, or one read-only view of an image, named by the authority of its URIs
 * ({@code layerfs://NAME/...}).
 *
 * <p>All the work is in core's {@link FileTree}: a container (image plus writable upper layer) or
 * a read-only view of an image. This class holds the open/closed state, turns paths
 * into the absolute strings core looks up, and names the caller's path in errors. Thread safety:
 * every method may be called from any thread; {@link #close} makes later operations throw
 * {@link ClosedFileSystemException}, as the JDK's providers do.
 */
final class LayerFileSystem extends FileSystem {
  private final LayerFileSystemProvider provider;
  private final String name;
  /** Null only for a file system of path algebra alone. */
  private final FileTree tree;
  /** The watch services with keys; signalled after each change. */
  private final Set<LayerWatchService> watchers =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  /**
   * Made on first use, as the file store: a walk reads neither, and a fresh JVM then loads none
   * of their classes. The store is made by a factory typed as the JDK's {@link FileStore}, so
   * that verifying this class loads none of the store classes either.
   */
  private volatile ContainerAccounts accounts;
  // @GuardedBy("this")
  private FileStore store;
  private final Runnable onClose;
  private final LayerPath rootPath;
  private final List<Layer> layers;
  private final Path hostStore;
  private volatile boolean open = true;
  // the locks of directories opened as channels, made at the first; @GuardedBy("this")
  private InJvmLocks directoryLocks;

  /** A file system over {@code tree}; {@code hostStore} is shown by the file store, if given. */
  LayerFileSystem(LayerFileSystemProvider provider, String name, FileTree tree, Path hostStore,
      Runnable onClose) {
    this.provider = provider;
    this.name = name;
    this.tree = tree;
    this.onClose = onClose;
    this.rootPath = LayerPath.parse(this, "/");
    this.layers = tree != null ? tree.layers() : List.of();
    this.hostStore = hostStore;
  }

  /** A file system for path algebra only: its lookups fail. Tests of paths use it. */
  LayerFileSystem(LayerFileSystemProvider provider, String name) {
    this(provider, name, null, null, () -> {});
  }

  List<Layer> layers() {
    ensureOpen();
    return tree.layers();
  }

  /**
   * The container of this file system, or null for a view of an image alone; a container opened
   * lazily opens its whole tree for this.
   */
  Container container() throws IOException {
    ensureOpen();
    FileTree t = tree instanceof LazyTree lazy && !lazy.readOnly()
        ? Uninterrupted.call(lazy::full) : tree;
    return t instanceof Container c ? c : null;
  }

  /**
   * The tree to change at {@code path}, or the JDK's exception for a read-only file system, with a
   * message naming this file system and the path.
   */
  FileTree writable(LayerPath path) {
    ensureOpen();
    if (tree == null || tree.readOnly()) {
      throw ReadOnlyViewException.of(this, path.toString(), provider.isRegistered(this));
    }
    return tree;
  }

  /**
   * Opens a file. Reading an image file is a window onto its layer; a container opens it with
   * its own copy-on-write rules.
   */
  FileHandle open(LayerPath path, Set<? extends OpenOption> options, int createMode)
      throws IOException {
    ensureOpen();
    try {
      return Uninterrupted.call(() -> tree.open(path.callPath(), options, createMode));
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  /** Whether the tree has mounts (volumes, bind mounts, tmpfs). */
  boolean hasMounts() {
    return tree != null && !tree.mounts().isEmpty();
  }

  /** Whether any mount is read-only (a loop over the few mounts; no path is resolved). */
  boolean hasReadOnlyMount() {
    if (tree != null) {
      for (Mount m : tree.mounts()) {
        if (m.readOnly()) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A channel through which a directory opened as a channel locks: no tree has a file to lock
   * for it, so this file system holds the locks, by the JDK's rules for one JVM, under the
   * directory's {@code fileKey}, which it keeps through changes and renames as an inode does.
   */
  synchronized FileChannel directoryLockChannel(long fileKey) {
    if (directoryLocks == null) {
      directoryLocks = new InJvmLocks();
    }
    return directoryLocks.channel(fileKey);
  }

  /** {@link FileTree#openForReading}: a regular file opened for reading cheaply, or null. */
  FileHandle openForReading(LayerPath path, boolean follow) throws IOException {
    ensureOpen();
    return Uninterrupted.call(() -> tree.openForReading(path.callPath(), follow));
  }

  /** {@link FileTree#readChannel}: a regular file's channel of the tree's own, or null. */
  java.nio.channels.SeekableByteChannel readChannel(LayerPath path) throws IOException {
    ensureOpen();
    return tree.readChannel(path.callPath());
  }

  /**
   * Runs a change of the container, naming the caller's path in its errors, and reports it to
   * the watch services as {@code event} of that path.
   */
  void change(LayerPath path, Change change, WatchEvent.Kind<Path> event) throws IOException {
    change(path, null, change, event);
  }

  /**
   * {@link #change(LayerPath, Change, WatchEvent.Kind)} of a change that names a second path,
   * {@code other} (a move's target): an error about it names it, as the caller gave it.
   */
  void change(LayerPath path, LayerPath other, Change change, WatchEvent.Kind<Path> event)
      throws IOException {
    FileTree target = writable(path);
    long removed = event == StandardWatchEventKinds.ENTRY_DELETE && watched()
        ? directoryRemoved(path, other) : NO_DIRECTORY;
    try {
      Uninterrupted.call(() -> {
        change.apply(target, path.callPath());
        return null;
      });
    } catch (FileSystemException e) {
      throw other != null && other.absolute().equals(e.getFile()) ? named(e, other)
          : named(e, path);
    }
    changed(path, event);
    if (removed != NO_DIRECTORY) {
      for (LayerWatchService service : watchers) {
        service.gone(removed);
      }
    }
  }

  private static final long NO_DIRECTORY = Long.MIN_VALUE;

  /**
   * The file key of the directory a removal of {@code path} (or a move of it onto {@code
   * other}) would remove, or {@link #NO_DIRECTORY}: a watch of it ends with it.
   */
  private long directoryRemoved(LayerPath path, LayerPath other) {
    try {
      Node node = find(path, false);
      if (other == null) {
        return node != null && node.type() == EntryType.DIRECTORY ? node.fileKey() : NO_DIRECTORY;
      }
      Node replaced = find(other, false);
      return replaced != null && replaced.type() == EntryType.DIRECTORY
          && (node == null || node.fileKey() != replaced.fileKey())
          ? replaced.fileKey() : NO_DIRECTORY;
    } catch (IOException | RuntimeException e) {
      return NO_DIRECTORY; // the change itself will say what is wrong
    }
  }

  /** Reports {@code event} of {@code path} to the watch services of its directory, if any. */
  void changed(LayerPath path, WatchEvent.Kind<Path> event) {
    if (watchers.isEmpty()) {
      return;
    }
    LayerPath absolute = (LayerPath) path.toAbsolutePath().normalize();
    LayerPath parent = (LayerPath) absolute.getParent();
    if (parent == null) {
      return;
    }
    long dir;
    try {
      Node node = find(parent, true);
      if (node == null) {
        return;
      }
      dir = node.fileKey();
    } catch (IOException | RuntimeException e) {
      return; // nothing watches a directory that cannot be found
    }
    String name = absolute.getFileName().toString();
    for (LayerWatchService service : watchers) {
      service.signal(dir, name, event);
    }
  }

  /** {@link FileTree#hostDirectory} of {@code dir}: null unless other processes change it too. */
  Path hostDirectory(LayerPath dir) throws IOException {
    ensureOpen();
    return hasMounts() ? tree.hostDirectory(dir.absolute()) : null;
  }

  /** Whether a watch service has keys here (changes are then worth a lookup to report). */
  boolean watched() {
    return !watchers.isEmpty();
  }

  void watching(LayerWatchService service) {
    watchers.add(service);
  }

  void stopWatching(LayerWatchService service) {
    watchers.remove(service);
  }

  /** One change of a container at one absolute path. */
  interface Change {
    void apply(FileTree tree, String absolutePath) throws IOException;
  }

  /** The container (or image view) name: the authority of this file system's URIs. */
  String name() {
    return name;
  }

  /** Looks a path up; with {@code follow}, a symbolic link in the last name is followed too. */
  Node lookup(LayerPath path, boolean follow) throws IOException {
    ensureOpen();
    try {
      if (!Thread.currentThread().isInterrupted()) {
        Node listed = listed(path, follow); // first: a walk's paths need no string for it
        return listed != null ? listed : tree.lookup(path.callPath(), follow); // without a lambda
      }
      String absolute = path.callPath();
      return Uninterrupted.call(() -> tree.lookup(absolute, follow));
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  /** The extended attributes of a file, read from its mount's file system where it is in one. */
  java.util.Map<String, byte[]> xattrs(LayerPath path, boolean follow) throws IOException {
    ensureOpen();
    String absolute = path.callPath();
    try {
      return Uninterrupted.call(() -> tree.xattrs(absolute, follow));
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  /** One extended attribute of a file, by full name; null where it has none of that name. */
  byte[] xattr(LayerPath path, boolean follow, String name) throws IOException {
    ensureOpen();
    String absolute = path.callPath();
    try {
      return Uninterrupted.call(() -> tree.xattr(absolute, follow, name));
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  /** {@link #lookup}, but null for a missing path (no exception is built for it). */
  Node find(LayerPath path, boolean follow) throws IOException {
    ensureOpen();
    if (tree == null) {
      return null; // a file system of paths only
    }
    try {
      if (!Thread.currentThread().isInterrupted()) {
        Node listed = listed(path, follow);
        return listed != null ? listed : tree.find(path.callPath(), follow); // without a lambda
      }
      String absolute = path.callPath();
      return Uninterrupted.call(() -> tree.find(absolute, follow));
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  /**
   * The node of a path a directory stream made, as {@link #lookup} finds it, in one step from
   * the listing ({@link FileTree#findChild}) rather than from the root: a walk's every path. The
   * node is kept with the path, so a walk that reads a path's attributes twice (the JDK's
   * walker, then its caller) finds it once: for good in a tree that never changes (an image
   * view), else with the listing, while the tree says it still holds ({@link
   * FileTree#stillFound}: in a container, until the next change). Null when the path was not
   * listed so, the tree cannot tell (a container changed since the listing), the name is
   * missing, or {@code follow} meets a symbolic link: the path is then looked up as any other,
   * which also says what is wrong.
   */
  private Node listed(LayerPath path, boolean follow) throws IOException {
    Node node = path.node();
    FileTree.Listing dir = path.listedIn();
    if (node == null || dir != null && !tree.stillFound(dir, node)) {
      if (dir == null) {
        return null;
      }
      node = tree.findChild(dir, path.listedName());
      if (node == null) {
        return null;
      }
      if (tree.immutable()) {
        path.node(node);
      } else if (tree.stillFound(dir, node)) {
        path.nodeFromListing(node);
      }
    }
    return follow && node.type() == EntryType.SYMLINK ? null : node;
  }

  /** Whether a listing this file system made still says what listing again would. */
  boolean current(FileTree.Listing listing) throws IOException {
    ensureOpen();
    return tree.current(listing);
  }

  /** Lists a directory for a stream whose paths find themselves from the listing. */
  FileTree.Listing listing(LayerPath dir) throws IOException {
    ensureOpen();
    try {
      String absolute = dir.callPath();
      if (!Thread.currentThread().isInterrupted()) {
        return tree.listing(absolute); // the usual case, without a lambda
      }
      return Uninterrupted.call(() -> tree.listing(absolute));
    } catch (FileSystemException e) {
      throw named(e, dir);
    }
  }

  /** {@link FileTree#listingToOpen}: what a directory stream on {@code dir} starts from. */
  FileTree.Listing listingToOpen(LayerPath dir) throws IOException {
    ensureOpen();
    try {
      String absolute = dir.callPath();
      if (!Thread.currentThread().isInterrupted()) {
        return tree.listingToOpen(absolute);
      }
      return Uninterrupted.call(() -> tree.listingToOpen(absolute));
    } catch (FileSystemException e) {
      throw named(e, dir);
    }
  }

  /** The sorted names in a directory. */
  List<String> list(LayerPath dir) throws IOException {
    return listing(dir).names();
  }

  /** The same error naming the path as the caller wrote it, as the default provider does. */
  static FileSystemException named(FileSystemException e, LayerPath path) {
    return PathErrors.named(e, path.toString());
  }


  /** The file system's own store (a container's shows the host's space). */
  private synchronized FileStore ownStore() {
    if (store == null) {
      store = LayerFileStore.of(name, layers, isReadOnly(), hostStore);
    }
    return store;
  }

  /** The file store holding {@code path}: the container's, or its mount's. */
  FileStore fileStore(LayerPath path) throws IOException {
    ensureOpen();
    if (!hasMounts()) {
      return ownStore();
    }
    try {
      Mount mount = tree.mountOf(path.absolute(), true);
      return mount == null ? ownStore() : MountFileStore.of(mount, tree.storeOf(mount));
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  /** Whether {@code path} (links followed) lies on a read-only mount. */
  boolean readOnlyMount(LayerPath path) throws IOException {
    ensureOpen();
    if (!hasMounts()) {
      return false;
    }
    Mount mount = tree.mountOf(path.absolute(), true);
    return mount != null && mount.readOnly();
  }

  /**
   * Whether rename(2) finds two paths on one mount: their parent directories' mounts (links
   * followed) are what it compares, so a mount point's own name is renamed in the mount that
   * holds it (and found busy there), never across.
   */
  boolean sameMount(LayerPath a, LayerPath b) throws IOException {
    ensureOpen();
    if (!hasMounts()) {
      return true;
    }
    String from = parent(a.absolute());
    String to = parent(b.absolute());
    try {
      if (!tree.lookup(from, true).isDirectory() || !tree.lookup(to, true).isDirectory()) {
        return true; // rename(2) looks both parents up first: ENOTDIR is its answer, not EXDEV
      }
      return java.util.Objects.equals(tree.mountOf(from, true), tree.mountOf(to, true));
    } catch (FileSystemException e) {
      return true; // a parent missing: rename(2) reports ENOENT, not EXDEV
    }
  }

  /** Whether {@code path} (not followed) is a mount point: on another mount than its parent. */
  boolean mountPoint(LayerPath path) throws IOException {
    ensureOpen();
    if (!hasMounts()) {
      return false;
    }
    try {
      return !java.util.Objects.equals(tree.mountOf(path.absolute(), false),
          tree.mountOf(parent(path.absolute()), true));
    } catch (FileSystemException e) {
      return false;
    }
  }

  /** The directory holding {@code absolute}'s last name ({@code /} for {@code /} itself). */
  private static String parent(String absolute) {
    return absolute.equals("/") ? "/" : PathNames.parent(absolute);
  }

  void ensureOpen() {
    if (!open) {
      throw new ClosedFileSystemException();
    }
  }

  @Override
  public LayerFileSystemProvider provider() {
    return provider;
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (!open) {
        return;
      }
      open = false;
    }
    for (LayerWatchService service : List.copyOf(watchers)) {
      service.close();
    }
    try {
      if (tree != null) {
        tree.close();
      }
    } finally {
      onClose.run();
    }
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public boolean isReadOnly() {
    return tree == null || tree.readOnly();
  }

  @Override
  public String getSeparator() {
    return "/";
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    ensureOpen();
    return List.of(rootPath);
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    ensureOpen();
    if (!hasMounts()) {
      return List.of(ownStore());
    }
    List<FileStore> stores = new java.util.ArrayList<>();
    stores.add(ownStore());
    for (Mount mount : tree.mounts()) {
      try {
        stores.add(MountFileStore.of(mount, tree.storeOf(mount)));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return stores;
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return LayerAttributeViews.SUPPORTED;
  }

  @Override
  public Path getPath(String first, String... more) {
    return LayerPath.parse(this, first, more);
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    return LayerPathMatcher.of(syntaxAndPattern);
  }

  /**
   * Names are looked up in the file system's own {@code /etc/passwd} and {@code /etc/group}, then
   * as decimal ids.
   */
  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    ensureOpen();
    // made there: verifying this class would load the service's class of an anonymous one here
    return ContainerAccounts.lookupService(this);
  }

  /** The names of this file system's users and groups. */
  ContainerAccounts accounts() {
    ContainerAccounts a = accounts;
    if (a == null) {
      synchronized (this) {
        a = accounts;
        if (a == null) {
          a = new ContainerAccounts(this);
          accounts = a;
        }
      }
    }
    return a;
  }

  @Override
  public WatchService newWatchService() {
    ensureOpen();
    return new LayerWatchService(this);
  }

  @Override
  public String toString() {
    return "layerfs://" + name;
  }
}
