package io.layerfs.bench;

import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A channel that takes every byte and keeps none, without copying: the target of the
 * transferTo benchmark, so it measures the source's side only.
 */
final class NullChannel implements WritableByteChannel {
  private long written;

  @Override
  public int write(ByteBuffer src) {
    int n = src.remaining();
    src.position(src.limit());
    written += n;
    return n;
  }

  long written() {
    return written;
  }

  @Override
  public boolean isOpen() {
    return true;
  }

  @Override
  public void close() {}
}
