package io.layerfs.core.oci;

import io.layerfs.core.Compression;
import java.io.IOException;

/**
 * The OCI and Docker media types layerfs reads and writes.
 *
 * <p>Layers: the OCI tar, tar+gzip and tar+zstd types, their (deprecated) nondistributable
 * variants, and Docker's rootfs diff types. Any other layer type is refused with an {@link
 * IOException} naming it, so an image is never half understood.
 */
public final class MediaTypes {
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
  public static final String OCI_LAYER_GZIP = OCI_LAYER + "+gzip";
  public static final String OCI_LAYER_ZSTD = OCI_LAYER + "+zstd";
  public static final String OCI_LAYER_ND = "application/vnd.oci.image.layer.nondistributable.v1.tar";
  public static final String OCI_LAYER_ND_GZIP = OCI_LAYER_ND + "+gzip";
  public static final String OCI_LAYER_ND_ZSTD = OCI_LAYER_ND + "+zstd";

  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
  public static final String DOCKER_LAYER_GZIP = DOCKER_LAYER + ".gzip";
  public static final String DOCKER_LAYER_FOREIGN_GZIP =
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

  /** The annotation that tags a descriptor in index.json. */
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  private MediaTypes() {}

  public static boolean isManifest(String mediaType) {
    return OCI_MANIFEST.equals(mediaType) || DOCKER_MANIFEST.equals(mediaType);
  }

  public static boolean isIndex(String mediaType) {
    return OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
  }

  /**
   * The compression of a layer media type.
   *
   * @throws IOException naming the media type when it is not a known layer type
   */
  public static Compression layerCompression(String mediaType) throws IOException {
    if (mediaType == null) {
      throw new IOException("layer descriptor has no mediaType");
    }
    return switch (mediaType) {
      case OCI_LAYER, OCI_LAYER_ND, DOCKER_LAYER -> Compression.NONE;
      case OCI_LAYER_GZIP, OCI_LAYER_ND_GZIP, DOCKER_LAYER_GZIP, DOCKER_LAYER_FOREIGN_GZIP ->
          Compression.GZIP;
      case OCI_LAYER_ZSTD, OCI_LAYER_ND_ZSTD -> Compression.ZSTD;
      default -> throw new IOException("unsupported layer media type: " + mediaType);
    };
  }

  /** The layer media type layerfs writes for a compression and manifest format. */
  public static String layerType(Compression compression, boolean docker) {
    if (docker) {
      return switch (compression) {
        case NONE -> DOCKER_LAYER;
        case GZIP -> DOCKER_LAYER_GZIP;
        case ZSTD -> throw new IllegalArgumentException("Docker manifests have no zstd layers");
      };
    }
    return switch (compression) {
      case NONE -> OCI_LAYER;
      case GZIP -> OCI_LAYER_GZIP;
      case ZSTD -> OCI_LAYER_ZSTD;
    };
  }
}
