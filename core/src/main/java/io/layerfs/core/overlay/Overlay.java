package io.layerfs.core.overlay;

import io.layerfs.core.Change;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.Clock;
import io.layerfs.core.internal.InJvmLocks;
import io.layerfs.core.internal.NameBytes;
import io.layerfs.core.internal.NotADirectory;
import io.layerfs.core.internal.PathErrors;
import io.layerfs.core.internal.PathNames;
import io.layerfs.core.rootfs.LayerNode;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.MergedTree;
import io.layerfs.core.rootfs.RootFs;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The copy-on-write engine of one container: its merged tree (the image's layers under its
 * upper layer) and every read and change of it, with the results and exceptions of the JDK's
 * default provider on Linux. The facade that names, locks and records the container is {@code
 * io.layerfs.core.store.Container}; see this package's documentation for how a write flows.
 *
 * <p>Thread safety: any number of threads. Lock order: the tree lock (read for lookups, listings
 * and opening for reading; write for every mutation and opening for writing), then an {@link
 * UpperFile}'s monitor, then the {@link MetaLog}'s monitor.
 */
public final class Overlay implements Closeable, FileTree {
  private final Path dir;
  private final List<Layer> layers;
  private final boolean readOnly;
  private final ContainerTree tree;
  private final UpperLayer upper;
  private final ReentrantReadWriteLock rw;
  private volatile boolean closed;
  // locks of files with no lock file to lock (a store this process may not write, or no store),
  // held by the JDK's rules in this process only, and the names that went there; made at the
  // first such lock. @GuardedBy("this")
  private InJvmLocks inJvmLocks;
  private Set<String> inJvmOnly;
  /**
   * Counts the times the write lock was taken (every change takes it, and counts itself before
   * it changes anything): a listing's cursor is current while this is what it was when the
   * listing was made. Written under {@link #rw}'s write lock; volatile so that a reader may
   * compare it without the lock ({@link #current}, {@link #stillFound}).
   */
  private volatile long changes;
  /**
   * Guards {@link #latestReload}: a monitor of its own, as a load takes as long as an open and
   * the view's own monitor guards its table of in-process locks.
   */
  private final Object reloads = new Object();
  // @GuardedBy("reloads"): the latest state loaded again for handles that follow the writer
  private Reload latestReload;

  private Overlay(Path dir, boolean readOnly, ContainerTree tree, ReentrantReadWriteLock rw,
      List<Layer> layers) {
    this.dir = dir;
    this.layers = List.copyOf(layers);
    this.readOnly = readOnly;
    this.tree = tree;
    this.upper = tree.upper();
    this.rw = rw;
  }

  /**
   * Loads the upper layer kept in {@code dirOrNull} (null: a transient read-only view with an
   * empty upper layer) over {@code root}.
   */
  public static Overlay open(Path dirOrNull, boolean readOnly, RootFs root, LayerStore layers)
      throws IOException {
    return open(dirOrNull, null, readOnly, root, layers);
  }

  /**
   * {@link #open(Path, boolean, RootFs, LayerStore)} for the container whose record carries
   * {@code idOrNull}: metadata files that carry another id are refused as another container's,
   * and a writer writes the id into them (null: none, as for a record of an older layerfs).
   */
  public static Overlay open(Path dirOrNull, UUID idOrNull, boolean readOnly, RootFs root,
      LayerStore layers) throws IOException {
    UpperLayer upper = UpperLayer.load(dirOrNull, idOrNull, readOnly, layers, root.layers(),
        root.lookup("/", false));
    ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    return new Overlay(dirOrNull, readOnly, new ContainerTree(root, upper, rw), rw,
        root.layers());
  }

  /**
   * This read-only view's container loaded again from its files, with what its writer (perhaps
   * another process) has changed since, for a handle whose file changed under it: the latest
   * such load, shared, unless it is {@code stale} (the one the handle found stale already), then
   * a new one; null for a transient view, which has no files. Loading costs about what opening
   * costs (some 120 ms for 20,000 files of the container's own), so handles share it. Each is
   * given back with {@link #release}.
   */
  Reload reload(Reload stale) throws IOException {
    if (dir == null) {
      return null;
    }
    synchronized (reloads) { // handles that find the state stale at once wait for one load
      if (latestReload == null || latestReload == stale) {
        Reload fresh = new Reload(open(dir, upper.id(), true, tree.lower(), upper.layerStore()));
        Reload old = latestReload;
        latestReload = fresh;
        if (old != null && old.users == 0) {
          old.overlay.close();
        }
      }
      latestReload.users++;
      return latestReload;
    }
  }

  /** Gives back a {@link #reload}: closed once no handle reads it and a newer one is made. */
  void release(Reload reload) throws IOException {
    synchronized (reloads) {
      reload.users--;
      if (reload.users == 0 && (reload != latestReload || closed)) {
        reload.overlay.close();
      }
    }
  }

  /** A state loaded again ({@link #reload}) and the handles reading it. */
  static final class Reload {
    final Overlay overlay;
    // @GuardedBy("the reloads monitor of the Overlay that made it")
    int users;

    Reload(Overlay overlay) {
      this.overlay = overlay;
    }
  }

  /** Compacts the metadata into the snapshot; open handles stop working. */
  @Override
  public void close() throws IOException {
    lockForChange();
    try {
      if (closed) {
        return;
      }
      closed = true;
      upper.close();
    } finally {
      rw.writeLock().unlock();
    }
    synchronized (reloads) {
      if (latestReload != null && latestReload.users == 0) {
        latestReload.overlay.close(); // one handles still read is closed as they close
      }
    }
  }

  @Override
  public boolean readOnly() {
    return readOnly;
  }

  /** The image's layers, bottom to top. */
  @Override
  public List<Layer> layers() {
    return layers;
  }

  /** Bytes written into data files since this container was opened (copied chunks included). */
  public long upperBytesWritten() {
    return upper.written();
  }

  // ------------------------------------------------------------------------------------ reading

  /** Looks up an absolute path, as {@link RootFs#lookup}; symlinks resolve chroot-style. */
  public Node lookup(String absPath, boolean followLast) throws IOException {
    rw.readLock().lock();
    try {
      checkOpen();
      return tree.node(tree.resolveReading(absPath, followLast, false));
    } finally {
      rw.readLock().unlock();
    }
  }

  /**
   * {@link #lookup}, but null where lookup throws {@link NoSuchFileException} (see {@link
   * MergedTree#find}).
   */
  public Node find(String absPath, boolean followLast) throws IOException {
    rw.readLock().lock();
    try {
      checkOpen();
      ContainerTree.Found f = tree.findReading(absPath, followLast);
      return f == null ? null : tree.node(f);
    } catch (NoSuchFileException e) {
      return null; // a directory on the way is missing
    } finally {
      rw.readLock().unlock();
    }
  }

  /** The sorted names in a directory. */
  public List<String> list(String absDir) throws IOException {
    rw.readLock().lock();
    try {
      checkOpen();
      return tree.list(listedDirectory(absDir).dir);
    } finally {
      rw.readLock().unlock();
    }
  }

  /** The directory {@code absDir} resolves to, with the errors opendir(3) gives. */
  private ContainerTree.Found listedDirectory(String absDir) throws IOException {
    ContainerTree.Found f;
    try {
      f = tree.directoryReading(absDir);
    } catch (FileSystemException e) {
      // opendir(3) gives ENOTDIR for a non-directory anywhere in the path
      if ("Not a directory".equals(e.getReason())) {
        throw new NotDirectoryException(absDir);
      }
      throw e;
    }
    if (!f.isDirectory()) {
      throw new NotDirectoryException(absDir);
    }
    return f;
  }

  /** A listing that keeps the directory's cursor, for {@link #findChild} while nothing changes. */
  @Override
  public Listing listing(String absDir) throws IOException {
    rw.readLock().lock();
    try {
      checkOpen();
      ContainerTree.Found f = listedDirectory(absDir);
      return new CursorListing(absDir, tree.list(f.dir), this, f.dir, changes);
    } finally {
      rw.readLock().unlock();
    }
  }

  /**
   * The child {@code name} of a listed directory, from its cursor in one step while the
   * container has not changed since the listing; else null, and the caller looks the path up.
   */
  @Override
  public Node findChild(Listing dir, String name) throws IOException {
    if (!(dir instanceof CursorListing c) || !PathNames.isPlainName(name)) {
      return null;
    }
    rw.readLock().lock();
    try {
      checkOpen();
      if (c.overlay != this || c.changes != changes) {
        return null;
      }
      ContainerTree.Found f = tree.childFound(c.cursor, name);
      return f == null ? null : tree.node(f);
    } finally {
      rw.readLock().unlock();
    }
  }

  /**
   * A listing of this overlay is current while nothing changed since it was made. No lock: a
   * change counts itself before it changes anything, so the count read unchanged means that no
   * change had begun when it was read.
   */
  @Override
  public boolean current(Listing listing) {
    return listing instanceof CursorListing c && c.overlay == this && c.changes == changes
        && !closed;
  }

  /**
   * A node found from a current listing still holds, unless it is an upper regular file: writes
   * through its open channels change its size and times without a change of the tree.
   */
  @Override
  public boolean stillFound(Listing listing, Node node) {
    return current(listing) && !(node instanceof Node.Upper && node.type() == EntryType.FILE);
  }

  private static final class CursorListing extends Listing {
    final Overlay overlay;
    final ContainerTree.Cursor cursor;
    final long changes;

    CursorListing(String path, List<String> names, Overlay overlay, ContainerTree.Cursor cursor,
        long changes) {
      super(path, names);
      this.overlay = overlay;
      this.cursor = cursor;
      this.changes = changes;
    }
  }

  /** Takes the write lock for a change: listings made before it stop finding children. */
  private void lockForChange() {
    rw.writeLock().lock();
    changes++;
    tree.forget();
  }

  // ------------------------------------------------------------------------------------ files

  /**
   * Opens a file with the JDK's semantics: no READ/WRITE/APPEND means READ, APPEND means WRITE,
   * CREATE and CREATE_NEW only apply when writing, CREATE_NEW never follows a last symlink,
   * CREATE through a dangling symlink creates its target. Opening a lower file for writing copies
   * its metadata up; its bytes are copied by chunks as they are written.
   *
   * @param createMode permission bits of a new file (the caller applies its umask)
   */
  public FileHandle open(String absPath, Set<? extends OpenOption> options, int createMode)
      throws IOException {
    boolean read = options.contains(StandardOpenOption.READ);
    boolean write = options.contains(StandardOpenOption.WRITE);
    boolean append = options.contains(StandardOpenOption.APPEND);
    boolean truncate = options.contains(StandardOpenOption.TRUNCATE_EXISTING);
    boolean create = options.contains(StandardOpenOption.CREATE);
    boolean createNew = options.contains(StandardOpenOption.CREATE_NEW);
    boolean noFollow = options.contains(LinkOption.NOFOLLOW_LINKS);
    boolean deleteOnClose = options.contains(StandardOpenOption.DELETE_ON_CLOSE);
    if (append) {
      write = true; // no READ or WRITE: reading, which the read-only path below always allows
    }
    if (read && append) {
      throw new IllegalArgumentException("READ + APPEND not allowed");
    }
    if (append && truncate) {
      throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
    }
    if (write || deleteOnClose) {
      checkWritable();
    }
    if (!write) {
      rw.readLock().lock();
      try {
        checkOpen();
        ContainerTree.Found f = tree.resolveReading(absPath, !noFollow, false);
        checkNoFollow(absPath, noFollow, f);
        if (f.isDirectory()) {
          return new ContainerHandle(this, absPath, null, null, true, false, false,
              deleteOnClose);
        }
        checkRegular(absPath, f);
        if (f.obj instanceof UpperFile) {
          return new ContainerHandle(this, absPath, (UpperFile) f.obj, null, true, false, false,
              deleteOnClose);
        }
        LayerNode image = (LayerNode) tree.node(f);
        ContainerHandle h = new ContainerHandle(this, absPath, null, image, true, false, false,
            deleteOnClose);
        tree.readers.add(image, h);
        return h;
      } finally {
        rw.readLock().unlock();
      }
    }
    lockForChange();
    try {
      checkOpen();
      ContainerTree.Found f;
      if (createNew) {
        f = tree.resolve(absPath, false, true);
        if (f.exists()) {
          throw new FileAlreadyExistsException(absPath);
        }
      } else {
        f = tree.resolve(absPath, !noFollow, create);
        checkNoFollow(absPath, noFollow, f);
      }
      if (f.isDirectory()) {
        throw new FileSystemException(absPath, null, "Is a directory");
      }
      UpperLayer.Batch b = upper.batch();
      UpperFile file;
      boolean existed = true;
      if (!f.exists()) {
        if (f.parent == null) {
          throw new FileAlreadyExistsException(absPath);
        }
        UpperDir parent = tree.ensureUpper(f.parent, b);
        file = upper.newFile(EntryType.FILE);
        file.mode = createMode & 07777;
        file.born(Clock.nanos());
        inheritGroup(parent, file);
        b.file(file);
        b.put(parent, f.name, file);
        touch(parent, b);
        existed = false;
      } else {
        checkRegular(absPath, f);
        file = tree.copyUp(f, b);
      }
      upper.commit(b);
      ContainerHandle h = new ContainerHandle(this, absPath, file, null, read, true, append,
          deleteOnClose);
      if (truncate && existed) {
        // O_TRUNC sets the times even of an empty file
        try {
          file.truncate(0);
        } catch (DataFileDamage e) {
          closeAfterFailure(h, e);
          throw e.at(absPath);
        } catch (IOException | RuntimeException e) {
          closeAfterFailure(h, e);
          throw e;
        }
      }
      return h;
    } finally {
      rw.writeLock().unlock();
    }
  }

  private static void closeAfterFailure(ContainerHandle h, Exception failure) {
    try {
      h.close();
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  private static void checkNoFollow(String path, boolean noFollow, ContainerTree.Found f)
      throws IOException {
    if (noFollow && f.isSymlink()) {
      throw PathErrors.linkNotFollowedAtOpen(path);
    }
  }

  private static void checkRegular(String path, ContainerTree.Found f) throws IOException {
    EntryType t = f.obj instanceof UpperFile ? ((UpperFile) f.obj).type : ((Node) f.obj).type();
    if (t != EntryType.FILE) {
      // devices and fifos of an image are descriptions, not devices
      throw new FileSystemException(path, null, "Operation not supported");
    }
  }

  // ------------------------------------------------------------------------------ mutations

  /**
   * A new entry in a set-group-ID directory takes the directory's group, and a new directory
   * the set-group-ID bit too, as Linux does; elsewhere it takes root's group.
   */
  private static void inheritGroup(UpperDir parent, UpperEntry entry) {
    if ((parent.mode & 02000) != 0) {
      entry.gid = parent.gid;
      entry.groupName = parent.groupName;
      if (entry instanceof UpperDir) {
        entry.mode |= 02000;
      }
    }
  }

  /** Creates a directory (the parent path's symlinks followed, not the last name). */
  public void createDirectory(String absPath, int mode) throws IOException {
    mutate(() -> {
      ContainerTree.Found f = tree.resolve(absPath, false, true);
      if (f.exists()) {
        throw new FileAlreadyExistsException(absPath);
      }
      UpperLayer.Batch b = upper.batch();
      UpperDir parent = tree.ensureUpper(f.parent, b);
      UpperDir d = upper.newDir();
      d.mode = mode & 07777;
      d.born(Clock.nanos());
      inheritGroup(parent, d);
      d.lower = null; // new, or opaque over a deleted lower name
      b.dir(d);
      b.put(parent, f.name, d);
      touch(parent, b);
      upper.commit(b);
    });
  }

  public void createSymbolicLink(String absLink, String target) throws IOException {
    mutate(() -> {
      ContainerTree.Found f = tree.resolve(absLink, false, true);
      if (f.exists()) {
        throw new FileAlreadyExistsException(absLink);
      }
      UpperLayer.Batch b = upper.batch();
      UpperDir parent = tree.ensureUpper(f.parent, b);
      UpperFile s = upper.newFile(EntryType.SYMLINK);
      s.mode = 0777;
      s.linkTarget = target;
      s.size = NameBytes.encode(target).length;
      s.born(Clock.nanos());
      inheritGroup(parent, s);
      b.file(s);
      b.put(parent, f.name, s);
      touch(parent, b);
      upper.commit(b);
    });
  }

  /** Creates a hard link to an existing non-directory (not following a last symlink). */
  public void createLink(String absLink, String absExisting) throws IOException {
    mutate(() -> {
      ContainerTree.Found e;
      try {
        e = tree.resolve(absExisting, false, false);
      } catch (NoSuchFileException x) {
        throw new NoSuchFileException(absLink, absExisting, null);
      }
      ContainerTree.Found f = tree.resolve(absLink, false, true);
      if (f.exists()) {
        throw new FileAlreadyExistsException(absLink, absExisting, null);
      }
      if (e.isDirectory()) {
        throw new FileSystemException(absLink, absExisting, "Operation not permitted");
      }
      UpperLayer.Batch b = upper.batch();
      UpperFile file = tree.copyUp(e, b);
      UpperDir parent = tree.ensureUpper(f.parent, b);
      synchronized (file) {
        file.ctime = Clock.nanos();
      }
      b.entry(file);
      b.put(parent, f.name, file);
      touch(parent, b);
      upper.commit(b);
    });
  }

  /** Deletes a file, link or empty directory; a lower one leaves a whiteout. */
  public void delete(String absPath) throws IOException {
    mutate(() -> {
      ContainerTree.Found f = tree.resolve(absPath, false, false);
      if (f.isDirectory() && !tree.list(f.dir).isEmpty()) {
        throw new DirectoryNotEmptyException(absPath);
      }
      if (f.parent == null) {
        throw new FileSystemException(absPath, null, "Device or resource busy");
      }
      UpperLayer.Batch b = upper.batch();
      UpperDir parent = tree.ensureUpper(f.parent, b);
      b.remove(parent, f.name, tree.hasLower(f.parent, f.name));
      touch(parent, b);
      upper.commit(b);
    });
  }

  /**
   * Moves a file or directory as the JDK's default provider does without ATOMIC_MOVE (same file:
   * nothing; existing target: FileAlreadyExistsException unless {@code replaceExisting}, then it
   * is deleted, DirectoryNotEmptyException for a non-empty directory), in one atomic record. A
   * lower directory moves as an upper directory redirected to it: no data copied.
   */
  public void move(String absSource, String absTarget, boolean replaceExisting)
      throws IOException {
    move(absSource, absTarget, replaceExisting, false);
  }

  /**
   * As above; with {@code rename} (an atomic move, rename(2)), only a name and itself or two
   * names of a file linked in the container are one file: two names of an image's hard link are
   * two, as overlay2 gives each its own inode, so the target is replaced by the source's copy-up.
   */
  @Override
  public void move(String absSource, String absTarget, boolean replaceExisting, boolean rename)
      throws IOException {
    mutate(() -> {
      ContainerTree.Found s;
      try {
        s = tree.resolve(absSource, false, false);
      } catch (FileSystemException x) {
        throw NotADirectory.whenRead(x); // the JDK reads the source's attributes first
      }
      ContainerTree.Found t;
      try {
        t = tree.resolve(absTarget, false, true);
      } catch (NoSuchFileException x) {
        throw new NoSuchFileException(absSource, absTarget, null);
      } catch (FileSystemException x) {
        throw new FileSystemException(absSource, absTarget, x.getReason());
      }
      if (t.exists()) {
        if (rename ? s.obj == t.obj || s.path.equals(t.path) : sameFile(s, t)) {
          return;
        }
        if (!replaceExisting) {
          throw new FileAlreadyExistsException(absTarget);
        }
        if (t.isDirectory() && !tree.list(t.dir).isEmpty()) {
          throw new DirectoryNotEmptyException(absTarget);
        }
        if (t.parent != null && t.isSymlink()) {
          // the JDK unlinks the target before rename(2); when the source or the target's
          // parent was reached through that link, rename then finds nothing
          UpperLayer.Batch b = upper.batch();
          UpperDir parent = tree.ensureUpper(t.parent, b);
          b.remove(parent, t.name, tree.hasLower(t.parent, t.name));
          touch(parent, b);
          upper.commit(b);
          try {
            s = tree.resolve(absSource, false, false);
            t = tree.resolve(absTarget, false, true);
          } catch (FileSystemException x) {
            throw new NoSuchFileException(absSource, absTarget, null);
          }
        }
      }
      if (s.isDirectory() && (s.parent == null || t.path.equals(s.path)
          || t.path.startsWith(s.path + "/"))) {
        if (t.exists() && t.parent != null) {
          // the JDK deletes the target before rename(2) fails, so does this
          UpperLayer.Batch b = upper.batch();
          UpperDir parent = tree.ensureUpper(t.parent, b);
          b.remove(parent, t.name, tree.hasLower(t.parent, t.name));
          touch(parent, b);
          upper.commit(b);
        }
        throw new FileSystemException(absSource, absTarget, "Invalid argument");
      }
      if (t.parent == null) {
        throw new FileSystemException(absSource, absTarget, "Device or resource busy");
      }
      UpperLayer.Batch b = upper.batch();
      UpperDir from = tree.ensureUpper(s.parent, b);
      boolean whiteout = tree.hasLower(s.parent, s.name);
      long renamed = Clock.nanos(); // Linux's file systems change a renamed inode's ctime
      UpperEntry moved;
      if (s.obj instanceof UpperEntry) {
        moved = b.detach(from, s.name, whiteout);
        synchronized (moved) {
          moved.ctime = renamed;
        }
        b.entry(moved);
      } else {
        LayerNode n = (LayerNode) s.obj;
        if (s.isDirectory()) {
          UpperDir d = upper.newDir();
          d.copyUpFrom(n, s.dir.lower); // the redirect: it keeps showing the lower directory
          d.ctime = renamed;
          b.dirWithImageKey(d);
          moved = d;
        } else {
          moved = tree.copyOf(n, renamed, b); // recorded once, its ctime stamped
        }
        b.remove(from, s.name, whiteout);
      }
      UpperDir to = tree.ensureUpper(t.parent, b);
      b.put(to, t.name, moved);
      touch(from, b);
      if (to != from) {
        touch(to, b);
      }
      upper.commit(b);
    });
  }

  private static boolean sameFile(ContainerTree.Found a, ContainerTree.Found b) {
    if (a.obj instanceof Node && b.obj instanceof Node) {
      Node x = (Node) a.obj;
      Node y = (Node) b.obj;
      return x.isDirectory() ? a.path.equals(b.path) : x.fileKey() == y.fileKey();
    }
    return a.obj == b.obj;
  }

  /**
   * Sets the permission bits. A symbolic link's own are refused, as Linux refuses
   * {@code fchmodat(AT_SYMLINK_NOFOLLOW)} of one ({@code EOPNOTSUPP}): a link has none to set.
   */
  public void setMode(String absPath, boolean follow, int mode) throws IOException {
    mutate(() -> {
      ContainerTree.Found f = tree.resolve(absPath, follow, false);
      if (!follow && f.isSymlink()) {
        throw new FileSystemException(absPath, null,
            "Operation not supported (a symbolic link has no mode of its own)");
      }
      changeFound(f, e -> e.mode = mode & 07777);
    });
  }

  /**
   * Sets owner and group; -1 keeps one. As chown(2) on Linux, root included, a file loses its
   * set-user-ID bit, and its set-group-ID bit when group-executable, even when both are -1.
   */
  public void setOwner(String absPath, boolean follow, int uid, int gid) throws IOException {
    changeMeta(absPath, follow, e -> {
      if (uid != -1 && uid != e.uid) {
        e.uid = uid;
        e.userName = "";
      }
      if (gid != -1 && gid != e.gid) {
        e.gid = gid;
        e.groupName = "";
      }
      if (!(e instanceof UpperDir)) {
        e.mode &= (e.mode & 010) != 0 ? ~06000 : ~04000;
      }
    });
  }

  /** Sets modification and access times; {@link #TIME_UNCHANGED} keeps one. */
  public void setTimes(String absPath, boolean follow, long mtimeNanos, long atimeNanos)
      throws IOException {
    changeMeta(absPath, follow, e -> {
      if (mtimeNanos != TIME_UNCHANGED) {
        e.mtime = mtimeNanos;
      }
      if (atimeNanos != TIME_UNCHANGED) {
        e.atime = atimeNanos;
      }
    });
  }

  /** Sets an extended attribute (for example {@code user.NAME} of the {@code user:} view). */
  public void setXattr(String absPath, boolean follow, String name, byte[] value)
      throws IOException {
    byte[] v = value.clone();
    mutate(() -> {
      ContainerTree.Found f = tree.resolve(absPath, follow, false);
      checkUserXattrs(tree.node(f), absPath, name);
      // the record holds every attribute of the entry: reserve room for them beyond the usual
      long bytes = v.length + name.length() * 4L;
      for (Map.Entry<String, byte[]> x : tree.node(f).xattrs().entrySet()) {
        bytes += x.getKey().length() * 4L + x.getValue().length;
      }
      upper.reserveLog((int) Math.min(Integer.MAX_VALUE / 2, UpperLayer.RESERVE + bytes));
      changeFound(f, e -> e.xattrs.put(name, v));
    });
  }

  /** Removes an extended attribute; a missing one is ENODATA, as on Linux. */
  public void removeXattr(String absPath, boolean follow, String name) throws IOException {
    mutate(() -> {
      ContainerTree.Found f = tree.resolve(absPath, follow, false);
      checkUserXattrs(tree.node(f), absPath, name);
      if (!tree.node(f).xattrs().containsKey(name)) {
        throw new FileSystemException(absPath, null, "No data available");
      }
      changeFound(f, e -> e.xattrs.remove(name));
    });
  }

  /** Linux keeps {@code user.} attributes on regular files and directories only (EPERM). */
  private static void checkUserXattrs(Node node, String absPath, String name)
      throws FileSystemException {
    if (name.startsWith("user.") && node.type() != EntryType.FILE
        && node.type() != EntryType.DIRECTORY) {
      throw new FileSystemException(absPath, null, "Operation not permitted");
    }
  }

  private void changeMeta(String absPath, boolean follow, MetaChange change) throws IOException {
    mutate(() -> changeFound(tree.resolve(absPath, follow, false), change));
  }

  /** Copies up metadata only (a metacopy for a lower file) and changes it; ctime is now. */
  private void changeFound(ContainerTree.Found f, MetaChange change) throws IOException {
    UpperLayer.Batch b = upper.batch();
    UpperEntry e = tree.copyUpMeta(f, b);
    synchronized (e) {
      change.apply(e);
      e.ctime = Clock.nanos();
    }
    b.entry(e);
    upper.commit(b);
  }

  private static void touch(UpperDir d, UpperLayer.Batch b) {
    long now = Clock.nanos();
    d.mtime = now;
    d.ctime = now;
    b.dir(d);
  }

  private interface MetaChange {
    void apply(UpperEntry e);
  }

  // ------------------------------------------------------------------------------ images

  /**
   * The container's changes against its image, as {@code docker diff} prints them, sorted by
   * path (see {@link ChangeWalk} for what counts as added, changed and deleted).
   */
  public List<Change> diff() throws IOException {
    checkOpen();
    rw.readLock().lock();
    try {
      return ChangeWalk.walk(tree).changes();
    } finally {
      rw.readLock().unlock();
    }
  }

  /**
   * Writes the container's changes as a new layer on top of its image's layers and a new image
   * (config and history extended, an OCI manifest), tagged {@code tagOrNull} if given, else kept
   * untagged.
   *
   * <p>The layer is a plain OCI layer tar: whiteouts, opaque markers, hard links, parents before
   * children, names in sorted order; equal container states give an equal layer, and with a
   * {@link CommitOptions#sourceDateEpoch} an equal image. A container without changes gives an
   * image with one empty layer (a tar of only its end marker), as {@code docker commit} does.
   * Mutations wait while the commit runs; writes through handles already open should be
   * finished first (as Docker pauses the container), or their bytes may land half in the layer.
   */
  public Image commit(ContentStore store, Image image, String message, String tagOrNull,
      CommitOptions options, Progress progress)
      throws IOException {
    checkOpen();
    rw.readLock().lock();
    try {
      ChangeWalk walk = ChangeWalk.walk(tree);
      return LayerCommit.write(store, image, walk, true, options,
          message, tagOrNull, progress);
    } finally {
      rw.readLock().unlock();
    }
  }

  /**
   * Writes the container's whole merged file system to {@code out} as one tar, as {@code docker
   * export} does: every path the container shows but the root (no {@code ./} entry, as docker
   * writes none), no whiteouts, hard links kept as links, in the same deterministic layout as a
   * committed layer. {@code out} is not closed.
   */
  public void export(OutputStream out, Progress progress) throws IOException {
    checkOpen();
    rw.readLock().lock();
    try {
      ChangeWalk walk = ChangeWalk.walkAll(tree);
      walk.dropRoot();
      progress.start("export", LayerTarWriter.dataBytes(walk));
      try (ExportFollow follow = new ExportFollow(this)) {
        new LayerTarWriter(walk, null, progress, readOnly && dir != null ? follow : null)
            .write(out);
      }
      progress.done();
    } finally {
      rw.readLock().unlock();
    }
  }

  /**
   * The item an export writes for {@code path} (not followed if a link), as {@link
   * ChangeWalk#walkAll} makes it; null where nothing is at the path, or only through a link.
   */
  ChangeWalk.Item exportItem(String path) throws IOException {
    rw.readLock().lock();
    try {
      checkOpen();
      ContainerTree.Found f = tree.find(path, false);
      if (f == null || !f.path.equals(path)) {
        return null;
      }
      return new ChangeWalk.Item(ChangeWalk.Op.ENTRY, path, tree.node(f),
          f.isDirectory() ? null : f.obj, Change.Kind.ADDED);
    } catch (FileSystemException e) {
      return null; // a directory on the way is gone, a file now, or links loop
    } finally {
      rw.readLock().unlock();
    }
  }

  private interface Mutation {
    void run() throws IOException;
  }

  private void mutate(Mutation m) throws IOException {
    checkWritable();
    lockForChange();
    try {
      checkOpen();
      m.run();
      upper.compactIfDue();
    } finally {
      rw.writeLock().unlock();
    }
  }

  /**
   * Compacts the container's metadata log if it is due and no one holds the tree now (else a
   * later change does): for changes logged outside {@link #mutate}, a file's size at its close.
   */
  void compactIfDue() {
    // not inside a change of this thread's own (a handle it closes on a failure): it is half made
    if (upper.compactionDue() && !rw.isWriteLockedByCurrentThread()
        && rw.writeLock().tryLock()) {
      try {
        if (!closed) {
          upper.compactIfDue();
        }
      } finally {
        rw.writeLock().unlock();
      }
    }
  }

  private void checkWritable() {
    if (readOnly) {
      throw new ReadOnlyFileSystemException();
    }
  }

  public void checkOpen() {
    if (closed) {
      throw new ClosedFileSystemException();
    }
  }

  public ContainerTree tree() {
    return tree;
  }

  /**
   * A channel on {@code locks/KEY} for lock requests on an image file, or on a file copied up
   * from one ({@code KEY}: the image file's key in hex). A read-only container, which changes
   * nothing else, makes the lock file too when no writer made it yet, so that its lock holds
   * against a writer's later one; where it cannot (a store it may not write), it opens the lock
   * file for reading if a writer made it, else locks in this process's own table, by the JDK's
   * rules for one JVM (no other process sees that lock).
   */
  public FileChannel lockFile(long key) throws IOException {
    return lockFileNamed(Long.toHexString(key));
  }

  /**
   * A channel on {@code locks/d-SHA256} for lock requests on the directory at {@code path}, as
   * {@link #lockFile(long)} does for a file: the {@code d-} prefix and the hash of the whole path
   * keep a directory's lock file apart from every file's (whose names are bare hex) and from
   * every other directory's, where the path's 32-bit hash code collided with both.
   */
  public FileChannel directoryLockFile(String path) throws IOException {
    return lockFileNamed(directoryLockName(path));
  }

  /**
   * A channel of this process's own table of locks, for the lock file {@code name} no host file
   * backs: a {@code u-ID} name is the container's own file ID with no data file.
   */
  synchronized FileChannel inJvmLockFile(String name) {
    if (inJvmLocks == null) {
      inJvmLocks = new InJvmLocks();
    }
    return inJvmLocks.channel(name);
  }

  /** The name of the directory at {@code path}'s lock file in {@code locks/}. */
  static String directoryLockName(String path) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256")
          .digest(NameBytes.encode(path));
      return "d-" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private FileChannel lockFileNamed(String name) throws IOException {
    if (dir == null && !readOnly) {
      throw new UnsupportedOperationException("file locks need a container directory");
    }
    if (dir == null) {
      return inJvmLockFile(name); // a transient view of an image: no process sees its files
    }
    Path locks = dir.resolve("locks");
    if (readOnly) {
      synchronized (this) {
        if (inJvmOnly != null && inJvmOnly.contains(name)) {
          return inJvmLockFile(name); // its locks here stay where the first went
        }
      }
      try {
        return FileChannel.open(locks.resolve(name), StandardOpenOption.READ);
      } catch (NoSuchFileException e) {
        try {
          Files.createDirectories(locks);
          return FileChannel.open(locks.resolve(name),
              StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | UnsupportedOperationException | SecurityException cannot) {
          synchronized (this) {
            if (inJvmOnly == null) {
              inJvmOnly = new HashSet<>();
            }
            inJvmOnly.add(name);
          }
          return inJvmLockFile(name);
        }
      }
    }
    Files.createDirectories(locks);
    return FileChannel.open(locks.resolve(name), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

}
