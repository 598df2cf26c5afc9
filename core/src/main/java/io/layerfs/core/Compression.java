package io.layerfs.core;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;

/**
 * How a layer blob is compressed. A commit writes any of the three ({@link CommitOptions});
 * {@code LayerStore} inflates {@link #GZIP} and {@link #ZSTD} once into an uncompressed blob,
 * choosing by {@link #detect} from the blob's first bytes rather than by media type.
 *
 * <p>Both codecs are deterministic for a given input (the JDK's gzip header carries no time or
 * name; zstd runs single-threaded at a fixed level), which keeps built images reproducible.
 */
public enum Compression {
  NONE,
  GZIP,
  ZSTD;

  // inflating reads in large chunks: the JDK's default 512-byte gzip buffer is slow
  private static final int BUFFER = 1 << 16;
  private static final int ZSTD_LEVEL = 3;

  /** How many leading bytes {@link #detect} looks at: one tar header block. */
  public static final int SNIFF_LENGTH = 512;

  private static final int TAR_MAGIC_OFFSET = 257;
  private static final int TAR_CHECKSUM_OFFSET = 148;

  /**
   * The compression of a blob that starts with {@code head[0..n)} (at least {@link #SNIFF_LENGTH}
   * bytes unless the blob is shorter): gzip ({@code 1f 8b}), zstd ({@code 28 b5 2f fd}), else
   * {@link #NONE} if the first block is a tar header ({@code ustar} magic at offset 257, or an
   * old-style header whose checksum is right), an all-zero block (an empty archive) or the blob
   * is empty; null when it is none of these.
   */
  public static Compression detect(byte[] head, int n) {
    if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (n >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5
        && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    if (n == 0) {
      return NONE;
    }
    if (n < SNIFF_LENGTH) {
      return null;
    }
    if (head[TAR_MAGIC_OFFSET] == 'u' && head[TAR_MAGIC_OFFSET + 1] == 's'
        && head[TAR_MAGIC_OFFSET + 2] == 't' && head[TAR_MAGIC_OFFSET + 3] == 'a'
        && head[TAR_MAGIC_OFFSET + 4] == 'r') {
      return NONE;
    }
    return allZero(head) || oldTarChecksumMatches(head) ? NONE : null;
  }

  private static boolean allZero(byte[] head) {
    for (int i = 0; i < SNIFF_LENGTH; i++) {
      if (head[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** V7 header: octal checksum at 148 = sum of the block with the field as spaces. */
  private static boolean oldTarChecksumMatches(byte[] head) {
    long stored = 0;
    int i = TAR_CHECKSUM_OFFSET;
    int end = TAR_CHECKSUM_OFFSET + 8;
    while (i < end && (head[i] == ' ' || head[i] == 0)) {
      i++;
    }
    int digits = 0;
    while (i < end && head[i] >= '0' && head[i] <= '7') {
      stored = stored * 8 + (head[i++] - '0');
      digits++;
    }
    if (digits == 0 || (i < end && head[i] != ' ' && head[i] != 0)) {
      return false;
    }
    long unsigned = 0;
    long signed = 0;
    for (int k = 0; k < SNIFF_LENGTH; k++) {
      int b = k >= TAR_CHECKSUM_OFFSET && k < end ? ' ' : head[k];
      unsigned += b & 0xff;
      signed += b;
    }
    return stored == unsigned || stored == signed;
  }

  /** Wraps a compressed stream so it reads the uncompressed bytes. */
  public InputStream decompress(InputStream in) throws IOException {
    return switch (this) {
      case NONE -> in;
      case GZIP -> new GZIPInputStream(new BufferedInputStream(in, BUFFER), BUFFER);
      case ZSTD -> new ZstdCompressorInputStream(new BufferedInputStream(in, BUFFER));
    };
  }

  /** Wraps a stream so bytes written to the result land compressed in {@code out}. */
  public OutputStream compress(OutputStream out) throws IOException {
    return switch (this) {
      case NONE -> out;
      case GZIP -> new GZIPOutputStream(out, BUFFER);
      case ZSTD ->
          ZstdCompressorOutputStream.builder()
              .setOutputStream(out)
              .setLevel(ZSTD_LEVEL)
              .setWorkers(0)
              .get();
    };
  }
}
