package io.layerfs.provider;

import io.layerfs.core.FileHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.WritableByteChannel;

/**
 * A file of a {@link LazyTree} opened for reading: its bytes, read whole through the lazy merge
 * at open, served from memory. Mapping it needs a host file, and locking a container's file its
 * lock file, so for those the same file is opened in the whole tree ({@code opened}, opened then
 * and closed with this handle).
 */
final class LazyFileHandle implements FileHandle {
  /** Opens the file in the view's full tree. */
  @FunctionalInterface
  interface Whole {
    FileHandle open() throws IOException;
  }

  private final byte[] bytes;
  private final Whole whole;
  private final boolean lockable;
  // @GuardedBy("this")
  private FileHandle opened;

  /** {@code lockable}: a container's file, whose locks are its lock file's. */
  LazyFileHandle(byte[] bytes, Whole whole, boolean lockable) {
    this.bytes = bytes;
    this.whole = whole;
    this.lockable = lockable;
  }

  private synchronized FileHandle opened() throws IOException {
    if (opened == null) {
      opened = whole.open();
    }
    return opened;
  }

  @Override
  public int read(ByteBuffer dst, long position) {
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
  public long size() {
    return bytes.length;
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

  /** None for a view's file (locks are the caller's bookkeeping); a container's lock file. */
  @Override
  public FileChannel lockChannel() {
    if (!lockable) {
      return null;
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
