package io.layerfs.provider;

import io.layerfs.core.FileHandle;
import io.layerfs.core.Layer;
import io.layerfs.core.container.Container;
import io.layerfs.core.rootfs.Node;
import io.layerfs.core.rootfs.RootFs;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.WatchService;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.List;
import java.util.Set;

/**
 * One open container, or one read-only view of an image, named by the authority of its URIs
 * ({@code layerfs://NAME/...}).
 *
 * <p>All the work is in core: a {@link Container} (image plus writable upper layer) or, for a
 * view of an image alone, a {@link RootFs}. This class holds the open/closed state, turns paths
 * into the absolute strings core looks up, and names the caller's path in errors. Thread safety:
 * every method may be called from any thread; {@link #close} makes later operations throw
 * {@link ClosedFileSystemException}, as the JDK's providers do.
 */
final class LayerFileSystem extends FileSystem {
  private final LayerFileSystemProvider provider;
  private final String name;
  private final RootFs root;
  private final Container container;
  private final Runnable onClose;
  private final LayerPath rootPath;
  private final LayerFileStore store;
  private volatile boolean open = true;

  /** A file system over exactly one of {@code root} (an image view) and {@code container}. */
  LayerFileSystem(LayerFileSystemProvider provider, String name, RootFs root,
      Container container, Path hostStore, Runnable onClose) {
    this.provider = provider;
    this.name = name;
    this.root = root;
    this.container = container;
    this.onClose = onClose;
    this.rootPath = LayerPath.parse(this, "/");
    List<Layer> layers = container != null ? container.layers()
        : root != null ? root.layers() : List.of();
    this.store = new LayerFileStore(name, layers, isReadOnly(), hostStore);
  }

  /** A file system for path algebra only: its lookups fail. Tests of paths use it. */
  LayerFileSystem(LayerFileSystemProvider provider, String name) {
    this(provider, name, null, null, null, () -> {});
  }

  List<Layer> layers() {
    ensureOpen();
    return container != null ? container.layers() : root.layers();
  }

  /** The container of this file system, or null for a view of an image alone. */
  Container container() {
    ensureOpen();
    return container;
  }

  /** The container to change, or the JDK's exception for a read-only file system. */
  Container writable() {
    ensureOpen();
    if (container == null || container.readOnly()) {
      throw new ReadOnlyFileSystemException();
    }
    return container;
  }

  /**
   * Opens a file. Reading an image file is a window onto its layer; a container opens it with
   * its own copy-on-write rules.
   */
  FileHandle open(LayerPath path, Set<? extends OpenOption> options, int createMode)
      throws IOException {
    ensureOpen();
    try {
      if (container != null) {
        return container.open(path.absolute(), options, createMode);
      }
      Node node = root.lookup(path.absolute(), !options.contains(LinkOption.NOFOLLOW_LINKS));
      return new ImageFileHandle(root, node);
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  /** Runs a change of the container, naming the caller's path in its errors. */
  void change(LayerPath path, Change change) throws IOException {
    Container target = writable();
    try {
      change.apply(target, path.absolute());
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  /** One change of a container at one absolute path. */
  interface Change {
    void apply(Container container, String absolutePath) throws IOException;
  }

  /** The container (or image view) name: the authority of this file system's URIs. */
  String name() {
    return name;
  }

  /** Looks a path up; with {@code follow}, a symbolic link in the last name is followed too. */
  Node lookup(LayerPath path, boolean follow) throws IOException {
    ensureOpen();
    try {
      String absolute = path.absolute();
      return container != null ? container.lookup(absolute, follow)
          : root.lookup(absolute, follow);
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  /** {@link #lookup}, but null for a missing path (no exception is built for it). */
  Node find(LayerPath path, boolean follow) throws IOException {
    ensureOpen();
    try {
      String absolute = path.absolute();
      return container != null ? container.find(absolute, follow)
          : root.find(absolute, follow);
    } catch (FileSystemException e) {
      throw named(e, path);
    }
  }

  List<String> list(LayerPath dir) throws IOException {
    ensureOpen();
    try {
      String absolute = dir.absolute();
      return container != null ? container.list(absolute) : root.list(absolute);
    } catch (FileSystemException e) {
      throw named(e, dir);
    }
  }

  /** The same error naming the path as the caller wrote it, as the default provider does. */
  static FileSystemException named(FileSystemException e, LayerPath path) {
    String file = path.toString();
    if (file.equals(e.getFile())) {
      return e;
    }
    FileSystemException renamed;
    if (e instanceof NoSuchFileException) {
      renamed = new NoSuchFileException(file);
    } else if (e instanceof NotDirectoryException) {
      renamed = new NotDirectoryException(file);
    } else if (e instanceof FileAlreadyExistsException) {
      renamed = new FileAlreadyExistsException(file, e.getOtherFile(), e.getReason());
    } else if (e instanceof DirectoryNotEmptyException) {
      renamed = new DirectoryNotEmptyException(file);
    } else if (e instanceof AccessDeniedException) {
      renamed = new AccessDeniedException(file, e.getOtherFile(), e.getReason());
    } else if (e.getClass() == FileSystemException.class) {
      renamed = new FileSystemException(file, e.getOtherFile(), e.getReason());
    } else {
      return e;
    }
    renamed.initCause(e);
    return renamed;
  }

  LayerFileStore fileStore() {
    ensureOpen();
    return store;
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
    try {
      if (container != null) {
        container.close();
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
    return container == null || container.readOnly();
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
    return List.of(store);
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

  /** Users and groups are the image's numeric ids: a name is looked up as a number. */
  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    ensureOpen();
    return new UserPrincipalLookupService() {
      @Override
      public UserPrincipal lookupPrincipalByName(String name) throws IOException {
        return new LayerPrincipal(parseId(name), false);
      }

      @Override
      public GroupPrincipal lookupPrincipalByGroupName(String group) throws IOException {
        return new LayerPrincipal(parseId(group), true);
      }
    };
  }

  private static int parseId(String name) throws UserPrincipalNotFoundException {
    try {
      int id = Integer.parseInt(name);
      if (id >= 0) {
        return id;
      }
    } catch (NumberFormatException e) {
      // fall through: not a numeric id
    }
    throw new UserPrincipalNotFoundException(name);
  }

  @Override
  public WatchService newWatchService() {
    throw new UnsupportedOperationException("layerfs images never change: nothing to watch");
  }

  @Override
  public String toString() {
    return "layerfs://" + name;
  }
}
