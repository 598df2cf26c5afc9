package io.layerfs.core;

import java.util.Objects;

/**
 * One layer of an {@code Image}, as its manifest and config describe it.
 *
 * @param mediaType the layer media type (tar, tar+gzip, tar+zstd, Docker's rootfs diff types)
 * @param digest the digest of the blob as stored (compressed for compressed layers)
 * @param size the stored blob's size in bytes
 * @param diffId the digest of the uncompressed tar, from the config's {@code rootfs.diff_ids}
 */
public record Layer(String mediaType, Digest digest, long size, Digest diffId) {
  public Layer {
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(diffId, "diffId");
    if (size < 0) {
      throw new IllegalArgumentException("negative layer size: " + size);
    }
  }
}
