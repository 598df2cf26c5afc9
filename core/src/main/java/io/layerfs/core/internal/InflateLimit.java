package io.layerfs.core.internal;

import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import java.io.InputStream;

/**
 * The decompressed stream of a compressed input (an image archive, a file system tar to import),
 * refused once it inflates past the store's {@code inflateRatio} limit times the compressed bytes
 * read so far (and past {@code inflateFloorBytes}), the limits a layer's blob has: a
 * decompression bomb stops there, before it fills the disk or burns the CPU. The compressed size
 * of a stream (standard input) is known only as it is read, so the ratio is checked against what
 * was read up to then.
 */
public final class InflateLimit extends CountingInputStream {
  private final CountingInputStream compressed;
  private final Limits limits;
  private final String name;

  /**
   * Bounds {@code plain}, the decompressed bytes of what {@code compressed} reads, by {@code
   * limits}; the error calls the input {@code name}.
   */
  public InflateLimit(InputStream plain, CountingInputStream compressed, Limits limits,
      String name) {
    super(plain);
    this.compressed = compressed;
    this.limits = limits;
    this.name = name;
  }

  @Override
  protected void counted(long inflated) throws LimitException {
    if (inflated > limits.inflateFloorBytes()
        && inflated / limits.inflateRatio() > compressed.count()) {
      throw limits.exceeded("inflateRatio", name + " inflates to more than " + inflated
          + " bytes, over " + limits.inflateRatio() + " times the " + compressed.count()
          + " compressed bytes read of it (a decompression bomb?)");
    }
  }
}
