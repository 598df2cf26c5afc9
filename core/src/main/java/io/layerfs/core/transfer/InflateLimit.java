package io.layerfs.core.transfer;

import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.internal.CountingInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The decompressed stream of a compressed image archive, refused once it inflates past the
 * store's {@code inflateRatio} limit times the compressed bytes read so far (and past {@code
 * inflateFloorBytes}), the limits a layer's blob has: a decompression bomb stops there, before
 * it fills the disk. The compressed size of a stream (standard input) is known only as it is
 * read, so the ratio is checked against what was read up to then.
 */
final class InflateLimit extends CountingInputStream {
  private final CountingInputStream compressed;
  private final Limits limits;
  private final String name;

  private InflateLimit(InputStream plain, CountingInputStream compressed, Limits limits,
      String name) {
    super(plain);
    this.compressed = compressed;
    this.limits = limits;
    this.name = name;
  }

  /**
   * {@code in} decompressed as {@link ArchiveCompression#decompressed(InputStream)} does it,
   * bounded by {@code limits} when it is compressed; errors call it {@code name}.
   */
  static InputStream decompressed(InputStream in, Limits limits, String name)
      throws IOException {
    CountingInputStream compressed = new CountingInputStream(in);
    InputStream plain = ArchiveCompression.decompressed(compressed);
    return ArchiveCompression.isDecompressing(plain)
        ? new InflateLimit(plain, compressed, limits, name) : plain;
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
