package io.layerfs.provider;

import io.layerfs.core.Node;
import io.layerfs.core.RootFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A read-only channel over one file of an image: a window onto its layer's uncompressed tar.
 *
 * <p>Every read is a positional read of the layer's shared channel, so opening costs no system
 * call and any number of channels read one layer at once. {@link #transferTo} and {@link #map}
 * hand the window to the layer's own channel, keeping the kernel's zero-copy paths.
 *
 * <p>Thread safety: as {@link FileChannel} promises; the position is guarded by this object.
 */
final class LayerFileChannel extends FileChannel {
  private final RootFs root;
  private final Node node;
  private final boolean directory;
  private long position;

  LayerFileChannel(RootFs root, Node node, boolean directory) {
    this.root = root;
    this.node = node;
    this.directory = directory;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    synchronized (this) {
      int n = read(dst, position);
      if (n > 0) {
        position += n;
      }
      return n;
    }
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    synchronized (this) {
      long total = 0;
      for (int i = offset; i < offset + length; i++) {
        if (!dsts[i].hasRemaining()) {
          continue;
        }
        int n = read(dsts[i]);
        if (n < 0) {
          return total == 0 ? -1 : total;
        }
        total += n;
        if (dsts[i].hasRemaining()) {
          break;
        }
      }
      return total;
    }
  }

  @Override
  public int read(ByteBuffer dst, long pos) throws IOException {
    ensureOpen();
    if (pos < 0) {
      throw new IllegalArgumentException("negative position: " + pos);
    }
    if (directory) {
      throw new IOException("Is a directory");
    }
    return root.read(node, dst, pos);
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) {
    throw new NonWritableChannelException();
  }

  @Override
  public int write(ByteBuffer src, long pos) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() throws IOException {
    ensureOpen();
    synchronized (this) {
      return position;
    }
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    ensureOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position: " + newPosition);
    }
    synchronized (this) {
      position = newPosition;
    }
    return this;
  }

  @Override
  public long size() throws IOException {
    ensureOpen();
    return node.size();
  }

  @Override
  public FileChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public void force(boolean metaData) throws IOException {
    ensureOpen();
  }

  @Override
  public long transferTo(long pos, long count, WritableByteChannel target) throws IOException {
    ensureOpen();
    if (pos < 0 || count < 0) {
      throw new IllegalArgumentException("negative position or count");
    }
    if (directory) {
      throw new IOException("Is a directory");
    }
    return root.transferTo(node, pos, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long pos, long count) {
    throw new NonWritableChannelException();
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long pos, long size) throws IOException {
    ensureOpen();
    if (mode != MapMode.READ_ONLY) {
      throw new NonWritableChannelException();
    }
    if (pos < 0 || size < 0 || pos + size > node.size()) {
      // the JDK grows a file mapped past its end; a read-only window cannot grow
      throw new IOException("mapping [" + pos + ", " + (pos + size) + ") lies outside the file of "
          + node.size() + " bytes");
    }
    return root.map(node, pos, size);
  }

  /** Shared locks only: the channel is open for reading, as the JDK's rule for READ channels. */
  @Override
  public FileLock lock(long pos, long size, boolean shared) throws IOException {
    return tryLock(pos, size, shared);
  }

  @Override
  public FileLock tryLock(long pos, long size, boolean shared) throws IOException {
    ensureOpen();
    if (!shared) {
      throw new NonWritableChannelException();
    }
    return new ReadLock(this, pos, size);
  }

  @Override
  protected void implCloseChannel() {}

  private void ensureOpen() throws ClosedChannelException {
    if (!isOpen()) {
      throw new ClosedChannelException();
    }
  }

  /** Readers never conflict with each other and the image never changes: a shared lock is free. */
  private static final class ReadLock extends FileLock {
    private volatile boolean valid = true;

    ReadLock(FileChannel channel, long position, long size) {
      super(channel, position, size, true);
    }

    @Override
    public boolean isValid() {
      return valid && channel().isOpen();
    }

    @Override
    public void release() throws IOException {
      if (!channel().isOpen()) {
        throw new ClosedChannelException();
      }
      valid = false;
    }
  }
}
