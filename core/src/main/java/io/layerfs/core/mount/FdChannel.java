package io.layerfs.core.mount;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A regular file opened for reading by {@link Openat2Dir}, as a {@link FileChannel} (what the
 * default provider's {@code newByteChannel} gives too): {@code pread} at a position of its own,
 * {@code fstat} for the size; {@code map}, {@code transferTo}, {@code force} and the locks go
 * through a JDK channel of the same file, opened on {@code /proc/self/fd} when first needed; and
 * the JDK's file channel's answers where it has no bytes to give: {@link
 * ClosedChannelException} once closed, {@link NonWritableChannelException} on a write or
 * truncate, {@link IllegalArgumentException} for a read-only buffer or a negative position.
 * The descriptor is a {@link SharedFd}: a close while another thread reads closes it once that
 * read ended, never under it (that read completes; the JDK's would end in {@code
 * AsynchronousCloseException}). Not interruptible, as the provider's other channels for {@code
 * newByteChannel}: an interrupt is left set. A failed {@code pread} or {@code fstat} (an I/O
 * error) is asked again through the JDK on {@code /proc/self/fd}, which reports it as the
 * default provider would. Loaded only on Java 22+ (see {@link ReadBeneath}).
 *
 * <p>Thread safety: any number of threads; the position is guarded by this object.
 */
final class FdChannel extends FileChannel {
  private final SharedFd fd;
  private long position;
  /** Guards {@link #jdk}: not this object, whose monitor a read may hold for long. */
  private final Object jdkLock = new Object();
  /** The JDK's channel of the file, for the calls made through it; null until one is. */
  private FileChannel jdk;

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
  @Override
  public int read(ByteBuffer dst, long offset) throws IOException {
    if (offset < 0) {
      throw new IllegalArgumentException("Negative position");
    }
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
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    java.util.Objects.checkFromIndexSize(offset, length, dsts.length);
    synchronized (this) {
      long total = 0;
      for (int i = offset; i < offset + length; i++) {
        if (!dsts[i].hasRemaining()) {
          continue;
        }
        int n = read(dsts[i], position);
        if (n < 0) {
          return total == 0 ? -1 : total;
        }
        position += n;
        total += n;
        if (dsts[i].hasRemaining()) {
          break; // the file's end
        }
      }
      return total;
    }
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    ensureOpen();
    throw new NonWritableChannelException();
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    ensureOpen();
    throw new NonWritableChannelException();
  }

  @Override
  public int write(ByteBuffer src, long offset) throws IOException {
    ensureOpen();
    throw new NonWritableChannelException();
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long offset, long count) throws IOException {
    ensureOpen();
    throw new NonWritableChannelException();
  }

  @Override
  public long transferTo(long offset, long count, WritableByteChannel target)
      throws IOException {
    return jdk().transferTo(offset, count, target);
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long offset, long size) throws IOException {
    return jdk().map(mode, offset, size);
  }

  @Override
  public void force(boolean metaData) throws IOException {
    jdk().force(metaData);
  }

  @Override
  public FileLock lock(long offset, long size, boolean shared) throws IOException {
    return new Lock(this, jdk().lock(offset, size, shared));
  }

  @Override
  public FileLock tryLock(long offset, long size, boolean shared) throws IOException {
    FileLock lock = jdk().tryLock(offset, size, shared);
    return lock == null ? null : new Lock(this, lock);
  }

  /**
   * The JDK's channel of this file, opened again through {@code /proc/self/fd} (the same file,
   * even once unlinked) when first asked for, and again if an interrupt closed it.
   */
  private FileChannel jdk() throws IOException {
    int fileDescriptor = fd.acquire();
    if (fileDescriptor < 0) {
      throw new ClosedChannelException();
    }
    try {
      synchronized (jdkLock) {
        if (!isOpen()) {
          throw new ClosedChannelException(); // closing: implCloseChannel closes what is here
        }
        if (jdk == null || !jdk.isOpen()) {
          jdk = FileChannel.open(proc(fileDescriptor), StandardOpenOption.READ);
        }
        return jdk;
      }
    } finally {
      fd.release();
    }
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
  public FileChannel truncate(long size) throws IOException {
    ensureOpen();
    if (size < 0) {
      throw new IllegalArgumentException("Negative size");
    }
    throw new NonWritableChannelException();
  }

  @Override
  protected void implCloseChannel() throws IOException {
    fd.close();
    FileChannel opened;
    synchronized (jdkLock) {
      opened = jdk;
    }
    if (opened != null) {
      opened.close(); // and with it the locks taken through it
    }
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!fd.isOpen()) {
      throw new ClosedChannelException();
    }
  }

  /** A lock taken through {@link #jdk}, as this channel's. */
  private static final class Lock extends FileLock {
    private final FileLock lock;

    Lock(FdChannel channel, FileLock lock) {
      super(channel, lock.position(), lock.size(), lock.isShared());
      this.lock = lock;
    }

    @Override
    public boolean isValid() {
      return lock.isValid() && channel().isOpen();
    }

    @Override
    public void release() throws IOException {
      if (!channel().isOpen()) {
        throw new ClosedChannelException();
      }
      lock.release();
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
