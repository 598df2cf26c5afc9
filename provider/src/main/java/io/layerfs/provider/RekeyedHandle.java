package io.layerfs.provider;

import io.layerfs.core.FileHandle;
import io.layerfs.core.internal.InJvmLocks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A file of a {@link LazyTree} view's whole tree, opened after the switch, that locks in the
 * lazy view's table under the key the view gives the file ({@link RekeyedNode}'s): a lock taken
 * through a file read lazily before the switch and one taken after are locks of one file. All
 * else is the tree's handle.
 */
final class RekeyedHandle implements FileHandle {
  /** The key the view gives the opened file, looked up at the first lock. */
  @FunctionalInterface
  interface Key {
    long of() throws IOException;
  }

  private final FileHandle handle;
  private final InJvmLocks locks;
  private final Key key;
  // @GuardedBy("this"); made at the first lock
  private FileChannel lockChannel;

  RekeyedHandle(FileHandle handle, InJvmLocks locks, Key key) {
    this.handle = handle;
    this.locks = locks;
    this.key = key;
  }

  @Override
  public synchronized FileChannel lockChannel() {
    if (lockChannel == null) {
      try {
        lockChannel = locks.channel(key.of());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return lockChannel;
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return handle.read(dst, position);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    return handle.write(src, position);
  }

  @Override
  public long size() throws IOException {
    return handle.size();
  }

  @Override
  public void truncate(long size) throws IOException {
    handle.truncate(size);
  }

  @Override
  public void force(boolean metaData) throws IOException {
    handle.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    return handle.transferTo(position, count, target);
  }

  @Override
  public <T> T map(FileChannel.MapMode mode, long position, long size, Mapper<T> mapper)
      throws IOException {
    return handle.map(mode, position, size, mapper);
  }

  @Override
  public FileChannel hostChannel() {
    return handle.hostChannel();
  }

  @Override
  public FileChannel ownChannel() {
    return handle.ownChannel();
  }

  @Override
  public boolean readable() {
    return handle.readable();
  }

  @Override
  public boolean writable() {
    return handle.writable();
  }

  @Override
  public boolean append() {
    return handle.append();
  }

  @Override
  public void close() throws IOException {
    handle.close();
  }
}
