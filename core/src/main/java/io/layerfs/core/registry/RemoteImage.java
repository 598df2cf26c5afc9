package io.layerfs.core.registry;

import io.layerfs.core.Digest;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.ImageConfig;
import java.util.List;
import java.util.Objects;

/**
 * An image as a registry holds it, resolved for one platform without downloading its layers:
 * the manifest (bytes as served, verified against its digest), the image index it was picked
 * from if any, the config (bytes verified) and the layer descriptors, bottom first.
 *
 * @param reference the repository and the reference asked for
 * @param manifest the platform manifest's descriptor (digest, media type, size)
 * @param manifestBytes exactly as the registry served them, which hash to {@code
 *     manifest.digest()}
 * @param indexOrNull the image index or manifest list the reference named, or null
 * @param indexBytesOrNull its bytes, or null
 * @param config the config's descriptor
 * @param configBytes verified against {@code config}
 * @param parsedConfig os, architecture and diff_ids of the config
 * @param layers the layers, bottom first; as many as {@code parsedConfig.diffIds()}
 */
public record RemoteImage(Reference reference, Descriptor manifest, byte[] manifestBytes,
    Descriptor indexOrNull, byte[] indexBytesOrNull, Descriptor config, byte[] configBytes,
    ImageConfig parsedConfig, List<Descriptor> layers) {

  public RemoteImage {
    Objects.requireNonNull(reference, "reference");
    layers = List.copyOf(layers);
  }

  /** The digest of the platform manifest. */
  public Digest manifestDigest() {
    return manifest.digest();
  }

  /** The sum of the layers' compressed sizes. */
  public long layerBytes() {
    return layers.stream().mapToLong(Descriptor::size).sum();
  }
}
