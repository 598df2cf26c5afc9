package io.layerfs.core.mount;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A regular file opened for reading by {@link Openat2Dir}, as a channel: {@code pread} at a
 * position of its own, {@code fstat} for the size, and the JDK's file channel's answers where it
 * has no bytes to give: {@link ClosedChannelException} once closed, {@link
 * NonWritableChannelException} on a write or truncate, {@link IllegalArgumentException} for a
 * read-only buffer or a negative position. The descriptor is a {@link SharedFd}: a close while
 * another thread reads closes it once that read ended, never under it (that read completes; the
 * JDK's would end in {@code AsynchronousCloseException}). Not interruptible, as the provider's
 * other channels for {@code newByteChannel}: an interrupt is left set. A failed {@code pread} or
 * {@code fstat} (an I/O error) is asked again through the JDK on {@code /proc/self/fd}, which
 * reports it as the default provider would. Loaded only on Java 22+ (see {@link ReadBeneath}).
 *
 * <p>Thread safety: any number of threads; the position is guarded by this object.
 */
final class FdChannel implements SeekableByteChannel {
  private final SharedFd fd;
  private long position;

  FdChannel(int fd) {
    this.fd = new SharedFd(fd, this);
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

  /** Reads at {@code offset} until {@code dst} is full or the file ends: -1 at its end. */
  private int read(ByteBuffer dst, long offset) throws IOException {
    int fileDescriptor = fd.acquire();
    if (fileDescriptor < 0) {
      throw new ClosedChannelException();
    }
    try {
      if (dst.isReadOnly()) {
        throw new IllegalArgumentException("Read-only buffer");
      }
      int total = 0;
      while (dst.hasRemaining()) {
        int count = Math.min(dst.remaining(), LinuxCalls.MAX_READ);
        long n = LinuxCalls.pread(fileDescriptor, MemorySegment.ofBuffer(dst), count,
            offset + total);
        if (n < 0) {
          n = jdkRead(fileDescriptor, dst.slice(dst.position(), count), offset + total);
        }
        if (n <= 0) {
          return total == 0 ? -1 : total; // the file's end
        }
        dst.position(dst.position() + (int) n);
        total += (int) n;
        if (n < count) {
          break; // the file's end, or as much as the kernel gives at once
        }
      }
      return total;
    } finally {
      fd.release();
    }
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    ensureOpen();
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
  public SeekableByteChannel position(long newPosition) throws IOException {
    ensureOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException();
    }
    synchronized (this) {
      position = newPosition;
    }
    return this;
  }

  @Override
  public long size() throws IOException {
    int fileDescriptor = fd.acquire();
    if (fileDescriptor < 0) {
      throw new ClosedChannelException();
    }
    try {
      long[] stat = LinuxCalls.modeAndSize(fileDescriptor);
      return stat != null ? stat[1] : Files.size(proc(fileDescriptor));
    } finally {
      fd.release();
    }
  }

  @Override
  public SeekableByteChannel truncate(long size) throws IOException {
    ensureOpen();
    if (size < 0) {
      throw new IllegalArgumentException("Negative size");
    }
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return fd.isOpen();
  }

  @Override
  public void close() {
    fd.close();
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!fd.isOpen()) {
      throw new ClosedChannelException();
    }
  }

  /** A read that failed, again through the JDK, for its error (or, by chance, the bytes). */
  private static int jdkRead(int fileDescriptor, ByteBuffer dst, long offset) throws IOException {
    try (FileChannel again = FileChannel.open(proc(fileDescriptor), StandardOpenOption.READ)) {
      return again.read(dst, offset);
    }
  }

  private static Path proc(int fileDescriptor) {
    return Path.of("/proc/self/fd/" + fileDescriptor);
  }
}
