package io.layerfs.testing;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.GZIPOutputStream;

/**
 * How {@link ImageBuilder} compresses a layer blob.
 *
 * <p>Both codecs are deterministic for a given input (the JDK's gzip header carries no time or
 * name; zstd runs single-threaded at a fixed level), which keeps built images reproducible.
 */
public enum LayerCompression {
  NONE,
  GZIP,
  ZSTD;

  private static final int BUFFER = 1 << 16;
  private static final int ZSTD_LEVEL = 3;

  /** Wraps {@code out} so that bytes written to the result land compressed in it. */
  OutputStream compress(OutputStream out) throws IOException {
    return switch (this) {
      case NONE -> out;
      case GZIP -> new GZIPOutputStream(out, BUFFER);
      case ZSTD -> new ZstdOutputStream(out, ZSTD_LEVEL).setWorkers(0);
    };
  }

  /** The layer media type for this compression in an OCI or a Docker schema 2 manifest. */
  String mediaType(boolean docker) {
    if (docker) {
      return switch (this) {
        case NONE -> OciLayout.DOCKER_LAYER;
        case GZIP -> OciLayout.DOCKER_LAYER + ".gzip";
        case ZSTD -> throw new IllegalArgumentException("Docker manifests have no zstd layers");
      };
    }
    return switch (this) {
      case NONE -> OciLayout.OCI_LAYER;
      case GZIP -> OciLayout.OCI_LAYER + "+gzip";
      case ZSTD -> OciLayout.OCI_LAYER + "+zstd";
    };
  }
}
