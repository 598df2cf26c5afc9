package io.layerfs.core.rootfs;

import io.layerfs.core.LimitException;
import io.layerfs.core.internal.CountingInputStream;
import java.io.InputStream;
import java.util.function.LongFunction;

/**
 * The inflated stream of a compressed layer, refused once it passes a byte count: a
 * decompression bomb stops there, before it fills the disk, rather than at the DiffID check.
 */
final class InflateBound extends CountingInputStream {
  private final long max;
  private final LongFunction<LimitException> exceeded;

  /** {@code exceeded} makes the error from the count reached. */
  InflateBound(InputStream in, long max, LongFunction<LimitException> exceeded) {
    super(in);
    this.max = max;
    this.exceeded = exceeded;
  }

  @Override
  protected void counted(long total) throws LimitException {
    if (total > max) {
      throw exceeded.apply(total);
    }
  }
}
