package io.layerfs.provider;

import io.layerfs.core.FileHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.WritableByteChannel;

/**
 * A directory opened for reading, as Linux allows: the channel exists, and {@link
 * LayerFileChannel} fails its reads with EISDIR as the default provider does. It locks through
 * its file system's table of directory locks, under the directory's file key.
 */
final class DirectoryHandle implements FileHandle {
  private final long size;
  private final LayerFileSystem fs;
  private final long fileKey;
  // @GuardedBy("this"); made at the first lock
  private FileChannel lockChannel;

  DirectoryHandle(long size, LayerFileSystem fs, long fileKey) {
    this.size = size;
    this.fs = fs;
    this.fileKey = fileKey;
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    throw new IOException("Is a directory");
  }

  @Override
  public int write(ByteBuffer src, long position) {
    throw new NonWritableChannelException();
  }

  @Override
  public long size() {
    return size;
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
    throw new IOException("Is a directory");
  }

  @Override
  public <T> T map(FileChannel.MapMode mode, long position, long size, Mapper<T> mapper)
      throws IOException {
    throw new IOException("No such device"); // mmap(2) of a directory: ENODEV
  }

  @Override
  public synchronized FileChannel lockChannel() {
    if (lockChannel == null) {
      lockChannel = fs.directoryLockChannel(fileKey);
    }
    return lockChannel;
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
  public void close() {}
}
