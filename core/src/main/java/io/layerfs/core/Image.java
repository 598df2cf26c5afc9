package io.layerfs.core;

import java.util.List;

/**
 * An image of a store: its manifest, config and layers (bottom to top), as resolved from a tag or
 * digest. A value: immutable, equal when all its parts are.
 *
 * @param manifestDigest the digest of the image's manifest (what a container records)
 * @param manifestMediaType the manifest's media type, OCI or Docker
 * @param configDigest the digest of its config (Docker's image ID)
 * @param os the config's {@code os}
 * @param architecture the config's {@code architecture}
 * @param layers its layers, bottom to top
 */
public record Image(Digest manifestDigest, String manifestMediaType, Digest configDigest,
    String os, String architecture, List<Layer> layers) {
  public Image {
    layers = List.copyOf(layers);
  }

  @Override
  public String toString() {
    return "Image[" + manifestDigest + ", " + layers.size() + " layers]";
  }
}
