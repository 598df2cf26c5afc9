package io.layerfs.core.rootfs;

import io.layerfs.core.FileHandle;
import io.layerfs.core.Node;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.WritableByteChannel;

/**
 * A file of an image opened for reading: a window onto its layer's uncompressed tar. Opening
 * costs no system call; reads are positional reads of the layer's one shared channel.
 */
final class ImageFileHandle implements FileHandle {
  private final RootFs root;
  private final Node.Lower node;

  ImageFileHandle(RootFs root, Node.Lower node) {
    this.root = root;
    this.node = node;
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return root.read(node, dst, position);
  }

  @Override
  public int write(ByteBuffer src, long position) {
    throw new NonWritableChannelException();
  }

  @Override
  public long size() {
    return node.size();
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
    return root.transferTo(node, position, count, target);
  }

  @Override
  public <T> T map(FileChannel.MapMode mode, long position, long size, Mapper<T> mapper)
      throws IOException {
    if (mode != FileChannel.MapMode.READ_ONLY) {
      throw new NonWritableChannelException();
    }
    return root.map(node, position, size, mapper);
  }

  /** The view's own lock of the file (nothing on disk is the file), with the JDK's rules. */
  @Override
  public FileChannel lockChannel() {
    return root.locks.channel(node.fileKey());
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
