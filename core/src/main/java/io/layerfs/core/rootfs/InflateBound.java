package io.layerfs.core.rootfs;

import io.layerfs.core.LimitException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongFunction;

/**
 * The inflated stream of a compressed layer, refused once it passes a byte count: a
 * decompression bomb stops there, before it fills the disk, rather than at the DiffID check.
 */
final class InflateBound extends FilterInputStream {
  private final long max;
  private final LongFunction<LimitException> exceeded;
  private long count;

  /** {@code exceeded} makes the error from the count reached. */
  InflateBound(InputStream in, long max, LongFunction<LimitException> exceeded) {
    super(in);
    this.max = max;
    this.exceeded = exceeded;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      counted(1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      counted(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long k = in.skip(n);
    if (k > 0) {
      counted(k);
    }
    return k;
  }

  private void counted(long n) throws LimitException {
    count += n;
    if (count > max) {
      throw exceeded.apply(count);
    }
  }
}
