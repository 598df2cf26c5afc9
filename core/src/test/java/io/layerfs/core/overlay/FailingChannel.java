package io.layerfs.core.overlay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;

/**
 * A file channel that behaves as the one it wraps until its {@link Disk} is full: then a write
 * writes what still fits and the next fails as on a full disk ({@code ENOSPC}), and so does a
 * mapping that grows the file. Truncates can be made to fail too (an I/O error).
 */
final class FailingChannel extends ForwardingChannel {
  /** The space left, shared by the channels wrapped with it. */
  static final class Disk {
    /** Bytes that still fit; negative: no limit. */
    private long free = -1;
    volatile boolean failTruncate;

    /** From now on only {@code bytes} more fit. */
    synchronized void free(long bytes) {
      free = bytes;
    }

    synchronized void heal() {
      free = -1;
      failTruncate = false;
    }

    FileChannel wrap(FileChannel c) {
      return new FailingChannel(c, this);
    }

    /** How many of {@code want} bytes fit: at least one, or an {@code IOException}. */
    synchronized int fit(int want) throws IOException {
      if (free < 0 || want == 0) {
        return want;
      }
      if (free == 0) {
        throw new IOException("No space left on device");
      }
      int n = (int) Math.min(want, free);
      free -= n;
      return n;
    }
  }

  private final Disk disk;

  private FailingChannel(FileChannel c, Disk disk) {
    super(c);
    this.disk = disk;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return write(src, -1);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long n = 0;
    for (int i = offset; i < offset + length; i++) {
      n += write(srcs[i]);
    }
    return n;
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    if (disk.failTruncate) {
      throw new IOException("Input/output error");
    }
    return super.truncate(size);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count)
      throws IOException {
    return delegate.transferFrom(src, position, disk.fit((int) Math.min(count, 1 << 30)));
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int n = disk.fit(src.remaining());
    ByteBuffer part = src.duplicate();
    part.limit(part.position() + n);
    int done = position < 0 ? delegate.write(part) : delegate.write(part, position);
    src.position(src.position() + done);
    return done;
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    if (mode != MapMode.READ_ONLY && position + size > delegate.size()) {
      disk.fit((int) Math.min(position + size - delegate.size(), 1 << 30));
    }
    return delegate.map(mode, position, size);
  }
}
