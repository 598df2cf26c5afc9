package io.layerfs.testing;

import java.util.List;
import java.util.Objects;

/**
 * What {@link ImageBuilder#build} wrote. Digests are {@code sha256:<hex>} strings: this module
 * knows nothing of core's types. Read the image back through core with {@code
 * Images.resolve(store, built.manifestDigest())}.
 *
 * @param manifestDigest the image manifest
 * @param configDigest the image config
 * @param layerDigests the layer blobs as stored (compressed), bottom to top
 * @param diffIds the uncompressed layer tars, bottom to top, as the config lists them
 */
public record Built(
    String manifestDigest, String configDigest, List<String> layerDigests, List<String> diffIds) {

  public Built {
    Objects.requireNonNull(manifestDigest, "manifestDigest");
    Objects.requireNonNull(configDigest, "configDigest");
    layerDigests = List.copyOf(layerDigests);
    diffIds = List.copyOf(diffIds);
  }
}
