package io.layerfs.provider;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.internal.InJvmLocks;
import io.layerfs.core.lazy.LazyEntry;
import io.layerfs.core.lazy.LazyMerge;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A view of an image, or a container of it whose writable layer is still empty, opened with env
 * {@code lazy} on an image whose plain gzip layers are read lazily and not complete: until
 * something needs the whole tree, lookups by path (attributes, access checks, links, real paths)
 * and reading a file are answered by the lazy merge of the layers ({@link LazyMerge}), which
 * fetches only what the path needs. A listing, a link count, a lookup the merge cannot answer
 * (the root, a "." or ".." only the tree resolves), or any change first opens the whole tree as
 * a file system that is not lazy opens it ({@code opener}: every layer fetched whole and
 * indexed); from then on that tree answers everything.
 *
 * <p>A file keeps the key the merge gave it ({@code fileKey}, what {@code Files.isSameFile}
 * compares) once the tree is open: the switch matches each key given to the tree's key of the
 * same file, and the tree's nodes of those files show the merge's key ({@link RekeyedNode}).
 *
 * <p>Thread-safe: the merge serves concurrent lookups while another thread opens the tree; the
 * tree is opened once, under this object's monitor, and {@link #close} waits for an open under
 * way and closes what it made (or, never opened, what the opener holds: a container's lock).
 * Lookups of the merge hold {@code switching} shared, and the switch takes it exclusively (after
 * the tree is opened) to match the keys and publish the tree, so no key is given unmatched. A
 * file read lazily is held in memory whole while it is open, as {@code Store.readLazily} reads
 * it; one over {@link #MAX_HELD} bytes opens the whole tree.
 */
final class LazyTree implements FileTree {
  /** Opens the tree as a file system that is not lazy opens it. */
  interface Opener {
    FileTree open() throws IOException;

    /** Releases what the opener holds when the tree is never opened (a container's lock). */
    void discard() throws IOException;
  }

  /**
   * A read-only view of {@code image} read by path through {@code merge} until it is whole.
   * The openers are made here, not in the provider, whose verification would load their type.
   */
  static LazyTree ofImage(LazyMerge merge, Store store, String image) throws IOException {
    Closeable hold = store.holdImage(image); // as a view keeps its image from gc
    return new LazyTree(merge, new Opener() {
      @Override
      public FileTree open() throws IOException {
        FileTree view = store.view(image); // with a hold of its own
        hold.close();
        return view;
      }

      @Override
      public void discard() throws IOException {
        hold.close();
      }
    }, true);
  }

  /** A container not yet written, read by path through {@code merge} until it is whole. */
  static LazyTree ofContainer(LazyMerge merge, Container.Prepared prepared) {
    return new LazyTree(merge, new Opener() {
      @Override
      public FileTree open() throws IOException {
        // a failure (the registry gone while the layers are fetched) keeps the lock: the
        // tree is opened again on the next call that needs it
        return prepared.buildAgainOnFailure();
      }

      @Override
      public void discard() throws IOException {
        prepared.close();
      }
    }, false);
  }

  /** The largest file read into memory; a larger one is read through the whole view. */
  static final long MAX_HELD = 64L << 20;

  private final LazyMerge merge;
  private final Opener opener;
  private final boolean readOnly;
  private final long maxHeld;
  // a view's locks, by the keys it gives its files before and after the switch; null for a
  // container, whose files lock through its lock files
  private final InJvmLocks viewLocks;
  private volatile FileTree full;
  // @GuardedBy("this")
  private boolean closed;
  // held by lookups of the merge, and taken exclusively to open the tree: no key is given after
  // the tree's keys were matched to the merge's
  private final ReadWriteLock switching = new ReentrantReadWriteLock();
  // the whole tree's key of each file the merge gave a key, to that key; set before full is
  private volatile Map<Long, Long> keptKeys = Map.of();

  /** {@code readOnly}: a view of the image; else a container of it, opened for writing. */
  LazyTree(LazyMerge merge, Opener opener, boolean readOnly) {
    this(merge, opener, readOnly, MAX_HELD);
  }

  /** {@code maxHeld}: the largest file read into memory (a test's). */
  LazyTree(LazyMerge merge, Opener opener, boolean readOnly, long maxHeld) {
    this.merge = merge;
    this.opener = opener;
    this.readOnly = readOnly;
    this.maxHeld = maxHeld;
    this.viewLocks = readOnly ? new InJvmLocks() : null;
  }

  /** The whole tree, opened on first call (every layer fetched whole). */
  FileTree full() throws IOException {
    FileTree f = full;
    if (f != null) {
      return f;
    }
    synchronized (this) {
      if (closed) {
        throw new ClosedFileSystemException();
      }
      if (full == null) {
        FileTree opened = opener.open();
        Lock exclusive = switching.writeLock();
        exclusive.lock();
        try {
          keptKeys = keysOf(opened);
          full = opened;
        } finally {
          exclusive.unlock();
        }
      }
      return full;
    }
  }

  /**
   * For each key the merge gave a file, the key {@code tree} gives it: a program that compares
   * the keys of a file ({@code Files.isSameFile}, {@code fileKey}) before and after the switch
   * sees one file, so the tree's nodes show the merge's keys for those files. The tree's other
   * keys cannot equal one of the merge's: those are at least 2^62, a layer's are layer * 2^32 +
   * entry, and a container's own files have the sign bit set.
   */
  private Map<Long, Long> keysOf(FileTree tree) {
    Map<Long, Long> keys = new HashMap<>();
    for (Map.Entry<Long, String> k : merge.keyedPaths().entrySet()) {
      try {
        Node n = tree.lookup(k.getValue(), false);
        if (n instanceof Node.Lower) {
          keys.put(n.fileKey(), k.getKey());
        }
      } catch (IOException e) {
        // the merge found the path, so the tree has it: nothing to keep if it does not
      }
    }
    return Map.copyOf(keys);
  }

  /**
   * {@code n} of the whole tree with the key the merge gave its file, if it gave one: an image
   * file, or a container's copy-up of one, which keeps the image file's key (a container's own
   * files have keys of their own, which the merge never gave).
   */
  private Node kept(Node n) {
    Long key = keptKeys.get(n.fileKey());
    return key == null ? n : RekeyedNode.of(n, key);
  }

  /** The merge's answer (null: it cannot tell), or null once the whole tree is open. */
  private LazyEntry lazyFind(String absPath, boolean followLast) throws IOException {
    Lock shared = switching.readLock();
    shared.lock();
    try {
      return full == null ? merge.find(absPath, followLast) : null;
    } finally {
      shared.unlock();
    }
  }

  @Override
  public List<Layer> layers() {
    return merge.layers();
  }

  @Override
  public boolean readOnly() {
    return readOnly;
  }

  /** A view never changes; a container does. */
  @Override
  public boolean immutable() {
    return readOnly;
  }

  @Override
  public Node lookup(String absPath, boolean followLast) throws IOException {
    FileTree f = full;
    if (f == null) {
      LazyEntry e = lazyFind(absPath, followLast);
      if (e != null) {
        return new LazyNode(this, e);
      }
      f = full();
    }
    return kept(f.lookup(absPath, followLast));
  }

  @Override
  public Node find(String absPath, boolean followLast) throws IOException {
    FileTree f = full;
    if (f == null) {
      LazyEntry e;
      try {
        e = lazyFind(absPath, followLast);
      } catch (NoSuchFileException missing) {
        return null; // as a view's find: null for a missing path, other errors thrown
      }
      if (e != null) {
        return new LazyNode(this, e);
      }
      f = full();
    }
    Node n = f.find(absPath, followLast);
    return n == null ? null : kept(n);
  }

  @Override
  public List<String> list(String absDir) throws IOException {
    return full().list(absDir);
  }

  @Override
  public FileHandle open(String absPath, Set<? extends OpenOption> options, int createMode)
      throws IOException {
    FileTree f = full;
    if (f == null && readsOnly(options)) {
      LazyEntry e = merge.find(absPath, !options.contains(LinkOption.NOFOLLOW_LINKS));
      if (e != null && e.type() == EntryType.FILE && e.size() <= maxHeld) {
        return new LazyFileHandle(merge, e, () -> full().open(absPath, options, createMode),
            viewLocks);
      }
      if (e != null && e.type() != EntryType.FILE && e.type() != EntryType.DIRECTORY
          && e.type() != EntryType.SYMLINK) {
        // as a view: devices and fifos of an image are descriptions, not devices
        throw new FileSystemException(absPath, null, "Operation not supported");
      }
      f = full(); // a large file, a directory or a link opened itself: a view's handle
    }
    return rekeyed((f != null ? f : full()).open(absPath, options, createMode), absPath,
        !options.contains(LinkOption.NOFOLLOW_LINKS));
  }

  /**
   * A view's handle of the whole tree, locking in the view's table under the key the view
   * gives its file, as a file read lazily does; a container's handle as it is.
   */
  private FileHandle rekeyed(FileHandle handle, String absPath, boolean followLast) {
    if (viewLocks == null || handle == null) {
      return handle;
    }
    return new RekeyedHandle(handle, viewLocks, () -> lookup(absPath, followLast).fileKey());
  }

  /** Whether {@code options} open a file for reading only (as a view's open treats any). */
  private boolean readsOnly(Set<? extends OpenOption> options) {
    if (readOnly) {
      return true; // a view opens every file for reading; its checks are the provider's
    }
    for (OpenOption o : options) {
      if (o != StandardOpenOption.READ && o != LinkOption.NOFOLLOW_LINKS) {
        return false;
      }
    }
    return true;
  }

  @Override
  public FileHandle openForReading(String absPath, boolean followLast) throws IOException {
    FileTree f = full;
    return f == null ? null : rekeyed(f.openForReading(absPath, followLast), absPath, followLast);
  }

  @Override
  public java.nio.channels.SeekableByteChannel readChannel(String absPath) throws IOException {
    FileTree f = full;
    return f == null ? null : f.readChannel(absPath);
  }

  // ------------------------------------------------------------------ changes: the whole tree

  @Override
  public void createDirectory(String absPath, int mode) throws IOException {
    full().createDirectory(absPath, mode);
  }

  @Override
  public void createSymbolicLink(String absLink, String target) throws IOException {
    full().createSymbolicLink(absLink, target);
  }

  @Override
  public void createLink(String absLink, String absExisting) throws IOException {
    full().createLink(absLink, absExisting);
  }

  @Override
  public void delete(String absPath) throws IOException {
    full().delete(absPath);
  }

  @Override
  public void move(String absSource, String absTarget, boolean replaceExisting)
      throws IOException {
    full().move(absSource, absTarget, replaceExisting);
  }

  @Override
  public void move(String absSource, String absTarget, boolean replaceExisting, boolean rename)
      throws IOException {
    full().move(absSource, absTarget, replaceExisting, rename);
  }

  @Override
  public void setMode(String absPath, boolean follow, int mode) throws IOException {
    full().setMode(absPath, follow, mode);
  }

  @Override
  public void setOwner(String absPath, boolean follow, int uid, int gid) throws IOException {
    full().setOwner(absPath, follow, uid, gid);
  }

  @Override
  public void setTimes(String absPath, boolean follow, long mtimeNanos, long atimeNanos)
      throws IOException {
    full().setTimes(absPath, follow, mtimeNanos, atimeNanos);
  }

  @Override
  public java.util.Map<String, byte[]> xattrs(String absPath, boolean followLast)
      throws IOException {
    FileTree f = full;
    return f == null ? lookup(absPath, followLast).xattrs() : f.xattrs(absPath, followLast);
  }

  @Override
  public byte[] xattr(String absPath, boolean followLast, String name) throws IOException {
    FileTree f = full;
    return f == null ? lookup(absPath, followLast).xattrs().get(name)
        : f.xattr(absPath, followLast, name);
  }

  @Override
  public void setXattr(String absPath, boolean follow, String name, byte[] value)
      throws IOException {
    full().setXattr(absPath, follow, name, value);
  }

  @Override
  public void removeXattr(String absPath, boolean follow, String name) throws IOException {
    full().removeXattr(absPath, follow, name);
  }

  @Override
  public void close() throws IOException {
    FileTree f;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      f = full;
    }
    if (f != null) {
      f.close();
    } else {
      opener.discard();
    }
  }
}
