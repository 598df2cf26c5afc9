package io.layerfs.core.overlay;

import io.layerfs.core.FileHandle;
import io.layerfs.core.Node;
import io.layerfs.core.rootfs.LayerNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * A {@link FileHandle} of a container: an {@link UpperFile}, or a lower file opened for reading
 * (which reads the copy once the file is copied up: {@link LowerReaders}), or a directory opened
 * for reading (whose reads fail with EISDIR, as on Linux).
 *
 * <p>A read-only view's handle that has handed out no bytes yet follows the container's writer,
 * perhaps another process: when its file's data file no longer holds what the view loaded (the
 * writer truncated, deleted or replaced the file since), the container's state is loaded again
 * and the path opened in it, and this and later reads go there, as an open on the host made now
 * would read. Once bytes are handed out, such a read is an error, as before: one stream never
 * mixes two files' bytes. A data file that does not hold what even the state loaded again says
 * is damage, and its error stays.
 *
 * <p>Thread-safe: the file's monitor orders its data state.
 */
final class ContainerHandle implements FileHandle, PositionalRead {
  /** Loads of the state a read may take when the writer keeps changing the file under it. */
  private static final int RELOADS = 3;

  private final Overlay container;
  private final String path;
  private final UpperFile file;
  private final Node.Lower lower;
  /** A lower file's copy-up, once there is one; then read instead of the lower bytes. */
  private volatile UpperFile copy;
  private final boolean read;
  private final boolean write;
  private final boolean append;
  private final boolean deleteOnClose;
  private FileChannel lockChannel;
  private volatile boolean closed;
  /** Whether a read returned bytes: from then on the handle no longer follows the writer. */
  private volatile boolean handedOut;
  /** A read-only view's handle in its state loaded again (see above), or null. */
  private volatile ContainerHandle follower;
  // @GuardedBy("this"): the state the follower is of, given back with it
  private Overlay.Reload followed;

  ContainerHandle(Overlay container, String path, UpperFile file, Node.Lower lower, boolean read,
      boolean write, boolean append, boolean deleteOnClose) {
    this.container = container;
    this.path = path;
    this.file = file;
    this.lower = lower;
    this.read = read;
    this.write = write;
    this.append = append;
    this.deleteOnClose = deleteOnClose;
    if (file != null) {
      file.acquire();
    }
  }

  private void checkOpen() throws ClosedChannelException {
    if (closed) {
      throw new ClosedChannelException();
    }
    try {
      container.checkOpen();
    } catch (RuntimeException e) {
      throw new ClosedChannelException();
    }
  }

  private boolean isDirectory() {
    return file == null && lower == null;
  }

  /** The upper file this reads, or null while it reads an image file (or is a directory's). */
  private UpperFile upperFile() {
    return file != null ? file : copy;
  }

  /** The lower file this reads is now {@code upper}: read it (see {@link LowerReaders}). */
  synchronized void copiedUp(UpperFile upper) {
    if (!closed && copy == null) {
      upper.acquire();
      copy = upper;
    }
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    checkOpen();
    if (!read) {
      throw new NonReadableChannelException();
    }
    if (isDirectory()) {
      throw new IOException("Is a directory");
    }
    if (position < 0) {
      throw new IllegalArgumentException("negative position");
    }
    for (int reloads = 0; ; reloads++) {
      ContainerHandle h = follower; // read once: a close may drop it meanwhile
      if (h == null) {
        h = this;
      }
      try {
        int r = h.readHere(dst, position);
        if (r > 0 && !handedOut) {
          handedOut = true; // written once: a volatile write on every read costs a fence
        }
        return r;
      } catch (DataFileDamage e) {
        followWriter(e, reloads);
      }
    }
  }

  private int readHere(ByteBuffer dst, long position) throws IOException {
    UpperFile f = upperFile();
    if (f == null) {
      return container.tree().lower().read(lower, dst, position);
    }
    return f.read(dst, position);
  }

  /**
   * After {@code damage} met by a read, loads the container's state again and opens this path
   * in it for the reads from now on, if this is a read-only view's handle that has handed out
   * no bytes and {@code reloads} (those this read took already) allows; else throws the damage,
   * naming the path. A file the writer has deleted since is an error too: its bytes are gone.
   */
  private synchronized void followWriter(DataFileDamage damage, int reloads)
      throws IOException {
    if (!container.readOnly() || reloads == RELOADS || closed || handedOut) {
      throw damage.at(path);
    }
    Overlay.Reload fresh = container.reload(followed);
    if (fresh == null) {
      throw damage.at(path);
    }
    ContainerHandle next;
    try {
      FileHandle opened = fresh.overlay.open(path, Set.of(StandardOpenOption.READ), 0);
      if (!(opened instanceof ContainerHandle h) || h.isDirectory()) {
        opened.close();
        throw damage.at(path);
      }
      next = h;
    } catch (NoSuchFileException e) {
      container.release(fresh);
      throw new IOException("container " + container.tree().upper().name() + ": " + path
          + ": the file was deleted by the container's writer after this read-only view "
          + "loaded", damage);
    } catch (IOException | RuntimeException e) {
      container.release(fresh);
      throw e;
    }
    dropFollower();
    follower = next;
    followed = fresh;
  }

  /** Closes the state this handle followed the writer into, if any. */
  private synchronized void dropFollower() throws IOException {
    ContainerHandle h = follower;
    Overlay.Reload o = followed;
    follower = null;
    followed = null;
    if (h != null) {
      try {
        h.close();
      } finally {
        container.release(o);
      }
    }
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    checkOpen();
    if (!write) {
      throw new NonWritableChannelException();
    }
    if (position < 0) {
      throw new IllegalArgumentException("negative position");
    }
    try {
      if (append) {
        synchronized (file) {
          return file.write(src, file.size());
        }
      }
      return file.write(src, position);
    } catch (DataFileDamage e) {
      throw e.at(path);
    }
  }

  @Override
  public long size() throws IOException {
    checkOpen();
    if (isDirectory()) {
      return 0;
    }
    ContainerHandle h = follower;
    if (h != null) {
      return h.size();
    }
    UpperFile f = upperFile();
    return f != null ? f.size() : lower.size();
  }

  @Override
  public void truncate(long size) throws IOException {
    checkOpen();
    if (size < 0) {
      throw new IllegalArgumentException("negative size");
    }
    if (!write) {
      throw new NonWritableChannelException();
    }
    try {
      file.shrink(size);
    } catch (DataFileDamage e) {
      throw e.at(path);
    }
  }

  @Override
  public void force(boolean metaData) throws IOException {
    checkOpen();
    // through any channel of the file, as fsync(2) of any descriptor of it
    UpperFile f = upperFile();
    if (f != null) {
      f.force(metaData);
      flushMeta(f);
      container.tree().upper().sync();
    }
  }

  private void flushMeta(UpperFile f) throws IOException {
    boolean dirty;
    synchronized (f) {
      dirty = f.dirty;
    }
    if (dirty) {
      container.tree().upper().logFile(f);
      container.compactIfDue();
    }
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    checkOpen();
    if (!read) {
      throw new NonReadableChannelException();
    }
    if (position < 0 || count < 0) {
      throw new IllegalArgumentException("negative position or count");
    }
    if (isDirectory()) {
      throw new IOException("Is a directory");
    }
    UpperFile f = upperFile();
    if (f == null) {
      return container.tree().lower().transferTo(lower, position, count, target);
    }
    if (container.readOnly()) {
      // a read at a time, each following the writer as read() does: a transfer that failed
      // part way could not be started again, its first bytes sent
      return PositionalRead.transfer(this, position, count, target);
    }
    try {
      return f.transferTo(position, count, target);
    } catch (DataFileDamage e) {
      throw e.at(path);
    }
  }

  @Override
  public <T> T map(FileChannel.MapMode mode, long position, long size, Mapper<T> mapper)
      throws IOException {
    checkOpen();
    if (mode != FileChannel.MapMode.READ_ONLY && !(read && write)) { // the JDK's rule
      throw new NonWritableChannelException();
    }
    if (!read) {
      throw new NonReadableChannelException();
    }
    if (isDirectory()) {
      throw new IOException("Is a directory");
    }
    UpperFile f = upperFile();
    if (f != null) {
      try {
        return f.map(mode, position, size, mapper);
      } catch (DataFileDamage e) {
        throw e.at(path);
      }
    }
    if (mode != FileChannel.MapMode.READ_ONLY) {
      throw new NonWritableChannelException();
    }
    return container.tree().lower().map(lower, position, size, mapper);
  }

  @Override
  public synchronized FileChannel lockChannel() {
    try {
      if (file != null && file.imageKey == UpperFile.NO_IMAGE_KEY) {
        FileChannel data;
        try {
          data = file.lockChannel();
        } catch (DataFileDamage e) {
          throw e.at(path);
        }
        if (data != null) {
          return data;
        }
        if (lockChannel == null) {
          // no data file, which a read-only container cannot make: this process's own table
          lockChannel = container.inJvmLockFile("u-" + Long.toHexString(file.id));
        }
        return lockChannel;
      }
      if (lockChannel == null) {
        if (isDirectory()) {
          lockChannel = container.directoryLockFile(path);
        } else {
          // an image file, or a file copied up from one: the image file's lock file
          lockChannel = container.lockFile(file != null ? file.imageKey : lower.fileKey());
        }
      }
      return lockChannel;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean readable() {
    return read;
  }

  @Override
  public boolean writable() {
    return write;
  }

  @Override
  public boolean append() {
    return append;
  }

  @Override
  public void close() throws IOException {
    UpperFile copied;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      copied = copy;
      if (lower instanceof LayerNode image) {
        container.tree().readers.remove(image, this);
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    }
    if (copied != null) {
      copied.release();
    }
    if (file != null) {
      try {
        flushMeta(file);
      } finally {
        file.release();
      }
    }
    dropFollower();
    if (deleteOnClose) {
      try {
        container.delete(path);
      } catch (IOException | RuntimeException e) {
        // gone already, or the container is closed: nothing left to delete
      }
    }
  }
}
