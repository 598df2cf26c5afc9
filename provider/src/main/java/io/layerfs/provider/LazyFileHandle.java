package io.layerfs.provider;

import io.layerfs.core.FileHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.WritableByteChannel;

/**
 * A file of a {@link LazyTree} opened for reading: its bytes, read whole through the lazy merge
 * at open, served from memory. Mapping it needs a host file, so a map is made of the same file
 * opened in the view's full tree ({@code mapped}, opened then and closed with this handle).
 */
final class LazyFileHandle implements FileHandle {
  /** Opens the file in the view's full tree. */
  @FunctionalInterface
  interface Whole {
    FileHandle open() throws IOException;
  }

  private final byte[] bytes;
  private final Whole whole;
  // @GuardedBy("this")
  private FileHandle mapped;

  LazyFileHandle(byte[] bytes, Whole whole) {
    this.bytes = bytes;
    this.whole = whole;
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
    FileHandle h;
    synchronized (this) {
      if (mapped == null) {
        mapped = whole.open();
      }
      h = mapped;
    }
    return h.map(mode, position, size, mapper);
  }

  @Override
  public FileChannel lockChannel() {
    return null;
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
    if (mapped != null) {
      mapped.close();
    }
  }
}
