package io.layerfs.provider;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.lazy.LazyEntry;
import io.layerfs.core.lazy.LazyMerge;
import java.io.IOException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.util.List;
import java.util.Set;

/**
 * A read-only view of an image whose plain gzip layers are read lazily and not complete (env
 * {@code lazy} with {@code readOnly}): until something needs the whole tree, lookups by path
 * (attributes, access checks, links, real paths) and reading a file are answered by the lazy
 * merge of the layers ({@link LazyMerge}), which fetches only what the path needs. A listing, a
 * link count or a lookup the merge cannot answer (the root, a directory only entries under it
 * make) first opens the view as a file system that is not lazy opens it ({@code opener}: every
 * layer fetched whole and indexed); from then on that view answers everything.
 *
 * <p>Thread-safe: the merge serves concurrent lookups while another thread opens the view; the
 * view is opened once, under this object's monitor, and {@link #close} waits for an open under
 * way and closes what it made. A file read lazily is held in memory whole while it is open, as
 * {@code Store.readLazily} reads it; one over {@link #MAX_HELD} bytes opens the whole view.
 */
final class LazyView implements FileTree {
  /** Opens the view as a file system that is not lazy opens it. */
  @FunctionalInterface
  interface Opener {
    FileTree open() throws IOException;
  }

  /** The largest file read into memory; a larger one is read through the whole view. */
  static final long MAX_HELD = 64L << 20;

  private final LazyMerge merge;
  private final Opener opener;
  private volatile FileTree full;
  // @GuardedBy("this")
  private boolean closed;

  LazyView(LazyMerge merge, Opener opener) {
    this.merge = merge;
    this.opener = opener;
  }

  /** The view of the whole tree, opened on first call (every layer fetched whole). */
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
        full = opener.open();
      }
      return full;
    }
  }

  /** Whether the whole tree has been opened (so the merge answers nothing any more). */
  boolean opened() {
    return full != null;
  }

  @Override
  public List<Layer> layers() {
    return merge.layers();
  }

  @Override
  public boolean readOnly() {
    return true;
  }

  @Override
  public boolean immutable() {
    return true;
  }

  @Override
  public Node lookup(String absPath, boolean followLast) throws IOException {
    FileTree f = full;
    if (f == null) {
      LazyEntry e = merge.find(absPath, followLast);
      if (e != null) {
        return new LazyNode(this, e);
      }
      f = full();
    }
    return f.lookup(absPath, followLast);
  }

  @Override
  public Node find(String absPath, boolean followLast) throws IOException {
    FileTree f = full;
    if (f == null) {
      LazyEntry e;
      try {
        e = merge.find(absPath, followLast);
      } catch (NoSuchFileException missing) {
        return null; // as a view's find: null for a missing path, other errors thrown
      }
      if (e != null) {
        return new LazyNode(this, e);
      }
      f = full();
    }
    return f.find(absPath, followLast);
  }

  @Override
  public List<String> list(String absDir) throws IOException {
    return full().list(absDir);
  }

  @Override
  public FileHandle open(String absPath, Set<? extends OpenOption> options, int createMode)
      throws IOException {
    FileTree f = full;
    if (f == null) {
      LazyEntry e = merge.find(absPath, !options.contains(LinkOption.NOFOLLOW_LINKS));
      if (e != null && e.type() == EntryType.FILE && e.size() <= MAX_HELD) {
        return new LazyFileHandle(merge.read(e),
            () -> full().open(absPath, options, createMode));
      }
      if (e != null && e.type() != EntryType.DIRECTORY && e.type() != EntryType.SYMLINK) {
        // as a view: devices and fifos of an image are descriptions, not devices
        throw new FileSystemException(absPath, null, "Operation not supported");
      }
      f = full(); // a large file, a directory or a link opened itself: a view's handle
    }
    return f.open(absPath, options, createMode);
  }

  @Override
  public FileHandle openForReading(String absPath, boolean followLast) throws IOException {
    FileTree f = full;
    return f == null ? null : f.openForReading(absPath, followLast);
  }

  @Override
  public java.nio.channels.SeekableByteChannel readChannel(String absPath) throws IOException {
    FileTree f = full;
    return f == null ? null : f.readChannel(absPath);
  }

  @Override
  public void close() throws IOException {
    FileTree f;
    synchronized (this) {
      closed = true;
      f = full;
    }
    if (f != null) {
      f.close();
    }
  }
}
