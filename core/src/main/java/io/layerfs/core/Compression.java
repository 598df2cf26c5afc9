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
 * How a layer blob is compressed. {@link ImageBuilder} writes all three; {@link LayerStore}
 * inflates {@link #GZIP} and {@link #ZSTD} once into an uncompressed blob.
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

  /** Wraps a compressed stream so it reads the uncompressed bytes. */
  InputStream decompress(InputStream in) throws IOException {
    return switch (this) {
      case NONE -> in;
      case GZIP -> new GZIPInputStream(new BufferedInputStream(in, BUFFER), BUFFER);
      case ZSTD -> new ZstdCompressorInputStream(new BufferedInputStream(in, BUFFER));
    };
  }

  /** Wraps a stream so bytes written to the result land compressed in {@code out}. */
  OutputStream compress(OutputStream out) throws IOException {
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
