package io.layerfs.core.mount;

import io.layerfs.core.FileHandle;
import io.layerfs.core.internal.InJvmLocks;
import io.layerfs.core.internal.PrivateMapping;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An open file of a mount: the host's (or a tmpfs's) own {@link FileChannel}, so volume and bind
 * mount I/O is the host's. A tmpfs that is full says so as a full disk does ({@code ENOSPC}), and
 * its file's locks are held in the mount's {@link InJvmLocks}.
 */
final class DirHandle implements FileHandle {
  private static final Path SHARED_MEMORY = Path.of("/dev/shm");

  private final FileChannel channel;
  private final boolean readable;
  private final boolean writable;
  private final boolean append;
  /** A tmpfs's lock table and the file's key in it; null for a host file. */
  private final InJvmLocks locks;
  private final Object fileKey;

  /** A host file's handle. */
  DirHandle(FileChannel channel, boolean readable, boolean writable, boolean append) {
    this(channel, readable, writable, append, null, null);
  }

  /** A tmpfs file's handle, whose locks are held in {@code locks} under Jimfs's file key. */
  DirHandle(FileChannel channel, boolean readable, boolean writable, boolean append,
      InJvmLocks locks, Object fileKey) {
    this.channel = channel;
    this.readable = readable;
    this.writable = writable;
    this.append = append;
    this.locks = locks;
    this.fileKey = fileKey;
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return channel.read(dst, position);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int n = 0;
    try {
      while (src.hasRemaining()) {
        n += append ? channel.write(src) : channel.write(src, position + n);
      }
    } catch (IOException e) {
      throw full(e);
    }
    return n;
  }

  @Override
  public long size() throws IOException {
    return channel.size();
  }

  @Override
  public void truncate(long size) throws IOException {
    channel.truncate(size);
  }

  @Override
  public void force(boolean metaData) throws IOException {
    channel.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    return channel.transferTo(position, count, target);
  }

  /**
   * The host file's mapping; a tmpfs's file, which Jimfs cannot map, maps as a copy of its range
   * in the host's shared memory ({@code /dev/shm}, never a disk), so {@code READ_ONLY} and
   * {@code PRIVATE} only: a {@code READ_WRITE} mapping's writes could not reach the file.
   */
  @Override
  public <T> T map(FileChannel.MapMode mode, long position, long size, Mapper<T> mapper)
      throws IOException {
    if (!tmpfs()) {
      return mapper.map(channel, mode, position, size);
    }
    if (mode == FileChannel.MapMode.READ_WRITE) {
      throw new UnsupportedOperationException("a file of a tmpfs mount maps READ_ONLY or PRIVATE"
          + " (a copy in memory), not READ_WRITE");
    }
    if (!Files.isDirectory(SHARED_MEMORY) || !Files.isWritable(SHARED_MEMORY)) {
      throw new UnsupportedOperationException("a file of a tmpfs mount maps as a copy in "
          + SHARED_MEMORY + ", which this host lacks or does not let us write");
    }
    return PrivateMapping.in(SHARED_MEMORY, channel::read, position, size, mode, mapper);
  }

  /** The host file's channel; a tmpfs file's locks are the mount's (Jimfs's never conflict). */
  @Override
  public FileChannel lockChannel() {
    return tmpfs() ? locks.channel(fileKey) : channel;
  }

  /** A host file opened for reading only: its channel is all there is (a tmpfs's is Jimfs's). */
  @Override
  public FileChannel hostChannel() {
    return !tmpfs() && readable && !writable ? channel : null;
  }

  /** The host file's channel, opened for this handle (a tmpfs's says "full" as Linux does). */
  @Override
  public FileChannel ownChannel() {
    return tmpfs() ? null : channel;
  }

  @Override
  public boolean readable() {
    return readable;
  }

  @Override
  public boolean writable() {
    return writable;
  }

  @Override
  public boolean append() {
    return append;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Whether the file is a tmpfs's (Jimfs's), not the host's. */
  private boolean tmpfs() {
    return locks != null;
  }

  /** Jimfs's "out of disk space" as Linux says it when a tmpfs is full. */
  private IOException full(IOException e) {
    if (tmpfs() && e.getClass() == IOException.class
        && "out of disk space".equals(e.getMessage())) {
      FileSystemException full = new FileSystemException(null, null, "No space left on device");
      full.initCause(e);
      return full;
    }
    return e;
  }
}
