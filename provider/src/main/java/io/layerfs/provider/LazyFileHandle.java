package io.layerfs.provider;

import io.layerfs.core.FileHandle;
import io.layerfs.core.internal.InJvmLocks;
import io.layerfs.core.lazy.LazyEntry;
import io.layerfs.core.lazy.LazyMerge;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.WritableByteChannel;

/**
 * A file of a {@link LazyTree} opened for reading: its bytes, read whole through the lazy merge
 * at open, served from memory. Mapping it needs a host file, and locking a container's file its
 * lock file, so for those the same file is opened in the whole tree ({@code opened}, opened then
 * and closed with this handle); a view's file locks in the view's own table.
 *
 * <p>The bytes are not verified (a plain gzip layer is checked at its end); when the merge drops
 * held bytes of its layers after a failed check ({@link LazyMerge#drops} moved: the registry sent
 * one wrong), the next read reads the file again through the merge rather than serve what the
 * dropped bytes inflated to (or fails as that read fails, naming the layer and the registry).
 */
final class LazyFileHandle implements FileHandle {
  /** Opens the file in the view's full tree. */
  @FunctionalInterface
  interface Whole {
    FileHandle open() throws IOException;
  }

  private final LazyMerge merge;
  private final LazyEntry file;
  // the file's bytes and the merge's drops() they were read at
  private volatile Held held;
  // taken to read the file again, not the monitor: a whole-tree open under it takes long
  private final Object reading = new Object();
  private final Whole whole;
  // a view's table of locks, or null for a container's file, whose locks are its lock file's
  private final InJvmLocks viewLocks;
  // @GuardedBy("this")
  private FileHandle opened;
  // @GuardedBy("this"); a view's file's channel in viewLocks, made at the first lock
  private FileChannel viewLockChannel;

  private record Held(byte[] bytes, long drops) {}

  /**
   * Reads {@code file} (a regular file {@code merge} found) whole; {@code viewLocks}: a view's
   * table, in which its files lock under their keys; null for a container's file, whose locks
   * are its lock file's.
   */
  LazyFileHandle(LazyMerge merge, LazyEntry file, Whole whole, InJvmLocks viewLocks)
      throws IOException {
    this.merge = merge;
    this.file = file;
    this.whole = whole;
    this.viewLocks = viewLocks;
    this.held = read();
  }

  private Held read() throws IOException {
    long drops = merge.drops(); // before the read: a drop during it reads again next time
    return new Held(merge.read(file), drops);
  }

  /** The file's bytes, read again if the merge dropped held bytes since they were read. */
  private byte[] bytes() throws IOException {
    Held h = held;
    if (h.drops() == merge.drops()) {
      return h.bytes();
    }
    synchronized (reading) {
      if (held.drops() != merge.drops()) {
        held = read();
      }
      return held.bytes();
    }
  }

  private synchronized FileHandle opened() throws IOException {
    if (opened == null) {
      opened = whole.open();
    }
    return opened;
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    byte[] bytes = bytes();
    if (position >= bytes.length) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), bytes.length - position);
    dst.put(bytes, (int) position, n);
    return n;
  }

  @Override
  public int write(ByteBuffer src, long position) {
    throw new NonWritableChannelException();
  }

  @Override
  public long size() throws IOException {
    return bytes().length;
  }

  @Override
  public void truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public void force(boolean metaData) {}

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    byte[] bytes = bytes();
    if (position >= bytes.length || count <= 0) {
      return 0;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, (int) position,
        (int) Math.min(count, bytes.length - position));
    long n = 0;
    while (b.hasRemaining()) {
      int w = target.write(b);
      if (w <= 0) {
        break; // a non-blocking target that takes nothing now
      }
      n += w;
    }
    return n;
  }

  @Override
  public <T> T map(FileChannel.MapMode mode, long position, long size, Mapper<T> mapper)
      throws IOException {
    if (mode != FileChannel.MapMode.READ_ONLY) {
      throw new NonWritableChannelException();
    }
    return opened().map(mode, position, size, mapper);
  }

  /** A view's file: the view's table, under the file's key; a container's: its lock file. */
  @Override
  public synchronized FileChannel lockChannel() {
    if (viewLocks != null) {
      if (viewLockChannel == null) {
        viewLockChannel = viewLocks.channel(file.fileKey());
      }
      return viewLockChannel;
    }
    try {
      return Uninterrupted.call(this::opened).lockChannel();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public boolean readable() {
    return true;
  }

  @Override
  public boolean writable() {
    return false;
  }

  @Override
  public boolean append() {
    return false;
  }

  @Override
  public synchronized void close() throws IOException {
    if (opened != null) {
      opened.close();
    }
  }
}
