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

  /*
   * equals and hashCode written out: a record's generated ones are bootstrapped on first use
   * through java.lang.runtime.ObjectMethods, which spins method handle classes that no class data
   * sharing archive holds; every container open compares its record's layers with the image's,
   * and that first comparison cost a fresh JVM (layerfs diff) 75 class loads and about 20 ms.
   */

  @Override
  public boolean equals(Object o) {
    return o instanceof Layer other && size == other.size && mediaType.equals(other.mediaType)
        && digest.equals(other.digest) && diffId.equals(other.diffId);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mediaType, digest, size, diffId);
  }
}
