package io.layerfs.core.transfer;

import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The decompressed stream of a compressed image archive, refused once it inflates past the
 * store's {@code inflateRatio} limit times the compressed bytes read so far (and past {@code
 * inflateFloorBytes}), the limits a layer's blob has: a decompression bomb stops there, before
 * it fills the disk. The compressed size of a stream (standard input) is known only as it is
 * read, so the ratio is checked against what was read up to then.
 */
final class InflateLimit extends FilterInputStream {
  private final Counted compressed;
  private final Limits limits;
  private final String name;
  private long inflated;

  private InflateLimit(InputStream plain, Counted compressed, Limits limits, String name) {
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
    Counted compressed = new Counted(in);
    InputStream plain = ArchiveCompression.decompressed(compressed);
    return ArchiveCompression.isDecompressing(plain)
        ? new InflateLimit(plain, compressed, limits, name) : plain;
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
    inflated += n;
    if (inflated > limits.inflateFloorBytes()
        && inflated / limits.inflateRatio() > compressed.count) {
      throw limits.exceeded("inflateRatio", name + " inflates to more than " + inflated
          + " bytes, over " + limits.inflateRatio() + " times the " + compressed.count
          + " compressed bytes read of it (a decompression bomb?)");
    }
  }

  /** Counts the compressed bytes the decompressor reads. */
  private static final class Counted extends FilterInputStream {
    long count;

    Counted(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long k = in.skip(n);
      if (k > 0) {
        count += k;
      }
      return k;
    }

    @Override
    public boolean markSupported() {
      return false; // a reset would count bytes twice: the caller buffers
    }
  }
}
