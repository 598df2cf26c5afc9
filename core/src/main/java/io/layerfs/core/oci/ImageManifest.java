package io.layerfs.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An image manifest: OCI ({@code application/vnd.oci.image.manifest.v1+json}) or Docker schema 2
 * ({@code application/vnd.docker.distribution.manifest.v2+json}); both have the same shape.
 *
 * @param layers bottom to top
 */
public record ImageManifest(String mediaType, Descriptor config, List<Descriptor> layers) {

  public ImageManifest {
    layers = List.copyOf(layers);
  }

  /**
   * Parses a manifest blob.
   *
   * @param what names the blob in errors (its digest)
   */
  public static ImageManifest parse(byte[] json, String what) throws IOException {
    ObjectNode root = OciJson.parseObject(json, "manifest " + what);
    String mediaType = mediaTypeOf(root, what);
    if (!MediaTypes.isManifest(mediaType)) {
      throw new IOException("not an image manifest: " + what + " has media type " + mediaType);
    }
    checkSchemaVersion(root, what);
    String where = "manifest " + what;
    JsonNode configNode = root.get("config");
    if (configNode == null) {
      throw new IOException("missing field 'config' in " + where);
    }
    Descriptor config = Descriptor.parse(configNode, where);
    List<Descriptor> layers = new ArrayList<>();
    for (JsonNode layer : OciJson.array(root, "layers", where)) {
      layers.add(Descriptor.parse(layer, where));
    }
    return new ImageManifest(mediaType, config, layers);
  }

  /**
   * The media type of a manifest or index blob: its {@code mediaType} field, or (the field is
   * optional in OCI) inferred from its shape.
   */
  public static String mediaTypeOf(byte[] json, String what) throws IOException {
    return mediaTypeOf(OciJson.parseObject(json, what), what);
  }

  public static String mediaTypeOf(ObjectNode root, String what) throws IOException {
    String mediaType = OciJson.optString(root, "mediaType", what);
    if (mediaType != null) {
      return mediaType;
    }
    if (root.has("manifests")) {
      return MediaTypes.OCI_INDEX;
    }
    if (root.has("config") || root.has("layers")) {
      return MediaTypes.OCI_MANIFEST;
    }
    throw new IOException("neither an image manifest nor an image index: " + what);
  }

  static void checkSchemaVersion(JsonNode root, String what) throws IOException {
    JsonNode version = root.get("schemaVersion");
    if (version == null || !version.isInt() || version.intValue() != 2) {
      throw new IOException("unsupported schemaVersion " + version + " in " + what);
    }
  }
}
