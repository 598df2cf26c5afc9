package io.layerfs.core;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.OpenOption;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.List;
import java.util.Set;

/**
 * A root file system as the provider sees it: a container (an image plus its writable layer) or a
 * read-only view of an image. Paths are normalized absolute strings; symbolic links resolve
 * inside the tree, as in a chroot. Results and exceptions are those of the JDK's default provider
 * on Linux; a read-only tree refuses every change with {@link ReadOnlyFileSystemException}.
 */
public interface FileTree extends Closeable {

  /** The image's layers, bottom to top. */
  List<Layer> layers();

  /** True when every change is refused. */
  boolean readOnly();

  /** The mounts of this tree ({@code docker run --mount}), in the order given; none by default. */
  default List<Mount> mounts() {
    return List.of();
  }

  /**
   * The mount that holds {@code absPath} (its parent's links followed, the last name's too with
   * {@code followLast}; a missing last name belongs where it would be created), or null when the
   * tree itself holds it.
   */
  default Mount mountOf(String absPath, boolean followLast) throws IOException {
    return null;
  }

  /**
   * The host directory that the directory {@code absDir} (links followed) is, where processes
   * other than this JVM's file system change it too: one of a bind mount or a named volume; null
   * for the tree's own directories and a tmpfs's (by default, null).
   */
  default java.nio.file.Path hostDirectory(String absDir) throws IOException {
    return null;
  }

  /** The file store under {@code mount}: the host's for a volume or bind mount, a tmpfs's own. */
  default FileStore storeOf(Mount mount) throws IOException {
    throw new IllegalArgumentException("not a mount of this tree: " + mount);
  }

  /** Looks up a path; with {@code followLast}, a symbolic link in the last name is followed. */
  Node lookup(String absPath, boolean followLast) throws IOException;

  /** {@link #lookup}, but null for a missing path (no exception is built for it). */
  Node find(String absPath, boolean followLast) throws IOException;

  /**
   * The extended attributes of a file, by full name ({@code user.NAME}); a fresh map. A mount
   * reads its own file system's, which its nodes do not carry.
   */
  default java.util.Map<String, byte[]> xattrs(String absPath, boolean followLast)
      throws IOException {
    return lookup(absPath, followLast).xattrs();
  }

  /**
   * One extended attribute of a file, by full name; null where the file has none of that name.
   * A mount asks its own file system, whose error it reports where that keeps no such attributes
   * ({@code FileSystemException} "Operation not supported", as {@code getxattr(2)}'s ENOTSUP).
   */
  default byte[] xattr(String absPath, boolean followLast, String name) throws IOException {
    return xattrs(absPath, followLast).get(name);
  }

  /** The sorted names in a directory. */
  List<String> list(String absDir) throws IOException;

  /**
   * Lists a directory (its links followed) for a caller that will look its children up by the
   * names listed ({@link #findChild}): a walk does. The default is {@link #list} with the path.
   */
  default Listing listing(String absDir) throws IOException {
    return new Listing(absDir, list(absDir));
  }

  /**
   * What a directory stream opened on {@code absDir} (links followed) starts from: {@link
   * #listing}, or null where the stream would list the directory again as its iteration starts
   * anyway (one that changes outside this tree's knowledge): then the directory is only checked,
   * failing as {@link #listing} would for a missing name or a non-directory, and listed once, as
   * Linux reads a directory at its first {@code readdir}. By default the listing.
   */
  default Listing listingToOpen(String absDir) throws IOException {
    return listing(absDir);
  }

  /**
   * The child {@code name} (one name, as {@code dir} listed it) as {@link #find}{@code (dir's
   * path + "/" + name, false)} would find it, found in one step from what the listing kept; null
   * when the tree cannot tell so (by default; a container changed since, or a missing name): the
   * caller then looks the path up.
   */
  default Node findChild(Listing dir, String name) throws IOException {
    return null;
  }

  /**
   * True when {@code listing}, one this tree made, still says what listing its directory again
   * would (nothing changed since); false by default, when the caller should list it again.
   */
  default boolean current(Listing listing) throws IOException {
    return immutable();
  }

  /**
   * True when {@code node}, which {@link #findChild} found from {@code listing}, is still what it
   * would find: a caller may keep the node with its path and ask this instead of finding it
   * again, which costs less (no lock, no lookup). By default {@link #immutable}.
   */
  default boolean stillFound(Listing listing, Node node) {
    return immutable();
  }

  /**
   * A directory as {@link #listing} listed it: its path as given and its sorted names. A tree's
   * subclass keeps what its {@link #findChild} needs to find a child in one step.
   */
  class Listing {
    private final String path;
    private final List<String> names;

    public Listing(String path, List<String> names) {
      this.path = path;
      this.names = names;
    }

    /** The directory's absolute path, as given to {@link #listing}. */
    public final String path() {
      return path;
    }

    /** The names listed, sorted. */
    public final List<String> names() {
      return names;
    }
  }

  /**
   * True when this tree never changes once open (a read-only view of an image): a node it gave
   * stays true for as long as the tree is open, so a caller may keep it with the path it came
   * from instead of looking the path up again. False by default (a container changes).
   */
  default boolean immutable() {
    return false;
  }

  /**
   * Opens a file with the options of {@code FileChannel.open}; {@code createMode} for a new one.
   */
  FileHandle open(String absPath, Set<? extends OpenOption> options, int createMode)
      throws IOException;

  /**
   * Opens {@code absPath} for reading when the tree can do it cheaply (a file inside a mount: one
   * relative {@code stat} per directory on the way, then {@code openat} without following), with
   * the host's results: a directory opens, and its reads fail with {@code EISDIR}. Null when the
   * caller should look it up and open it as usual: a link (to follow or not), a missing name, or
   * any tree without such a shortcut (the default).
   */
  default FileHandle openForReading(String absPath, boolean followLast) throws IOException {
    return null;
  }

  /**
   * A channel of the tree's own reading the regular file at {@code absPath}, for the caller to
   * hand out as it is (a file inside a volume or bind mount on Java 22+ opened by one {@code
   * openat2} that follows no link: see the mount package). Null when the caller should open the
   * file as usual: a link anywhere on the path, a missing name, no regular file, any failure, or
   * any tree without such a channel (the default).
   */
  default java.nio.channels.SeekableByteChannel readChannel(String absPath) throws IOException {
    return null;
  }

  /** Creates a directory (the parent path's symbolic links followed, not the last name). */
  default void createDirectory(String absPath, int mode) throws IOException {
    throw new ReadOnlyFileSystemException();
  }

  default void createSymbolicLink(String absLink, String target) throws IOException {
    throw new ReadOnlyFileSystemException();
  }

  default void createLink(String absLink, String absExisting) throws IOException {
    throw new ReadOnlyFileSystemException();
  }

  default void delete(String absPath) throws IOException {
    throw new ReadOnlyFileSystemException();
  }

  default void move(String absSource, String absTarget, boolean replaceExisting)
      throws IOException {
    throw new ReadOnlyFileSystemException();
  }

  /**
   * As {@link #move}; {@code rename}: as rename(2) (an atomic move), which takes two names of one
   * file for one file only where the file system does: overlay2 takes two names of an image's
   * hard link for two files, as its inode for each name is its own.
   */
  default void move(String absSource, String absTarget, boolean replaceExisting, boolean rename)
      throws IOException {
    move(absSource, absTarget, replaceExisting);
  }

  default void setMode(String absPath, boolean follow, int mode) throws IOException {
    throw new ReadOnlyFileSystemException();
  }

  default void setOwner(String absPath, boolean follow, int uid, int gid) throws IOException {
    throw new ReadOnlyFileSystemException();
  }

  /**
   * The time {@link #setTimes} leaves as it is: a value no {@code FileTime} of this millennium
   * has (-1, used before, is 1969-12-31T23:59:59.999999999Z, a time one may set).
   */
  long TIME_UNCHANGED = Long.MIN_VALUE;

  /** Sets the times given, in nanoseconds since the epoch; {@link #TIME_UNCHANGED} leaves one. */
  default void setTimes(String absPath, boolean follow, long mtimeNanos, long atimeNanos)
      throws IOException {
    throw new ReadOnlyFileSystemException();
  }

  default void setXattr(String absPath, boolean follow, String name, byte[] value)
      throws IOException {
    throw new ReadOnlyFileSystemException();
  }

  default void removeXattr(String absPath, boolean follow, String name) throws IOException {
    throw new ReadOnlyFileSystemException();
  }
}
