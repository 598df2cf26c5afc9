package io.layerfs.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * An OCI content descriptor: what a manifest, index or index.json says about a blob it points
 * to. Only the fields layerfs uses are modeled; {@link OciIndex} keeps the raw JSON of entries so
 * nothing else is lost on rewrite.
 *
 * @param platform null unless the descriptor carries one (entries of an image index)
 */
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    Map<String, String> annotations,
    Platform platform) {

  public Descriptor {
    // sorted: Map.copyOf's iteration order changes from run to run, JSON output must not
    annotations = Collections.unmodifiableMap(new TreeMap<>(annotations));
  }

  public Descriptor(String mediaType, Digest digest, long size) {
    this(mediaType, digest, size, Map.of(), null);
  }

  /** The os/architecture[/variant] an image index entry is for. */
  record Platform(String os, String architecture, String variant) {
    @Override
    public String toString() {
      return os + "/" + architecture + (variant == null || variant.isEmpty() ? "" : "/" + variant);
    }
  }

  /** The tag of an index.json entry ({@link RefNames#fromRefName} of its ref.name), or null. */
  public String refName() {
    return RefNames.fromRefName(annotations.get(MediaTypes.REF_NAME));
  }

  static Descriptor parse(JsonNode node, String what) throws IOException {
    if (!node.isObject()) {
      throw new IOException("descriptor in " + what + " is not an object");
    }
    String mediaType = OciJson.optString(node, "mediaType", what);
    Digest digest = OciJson.digest(node, "digest", what);
    long size = OciJson.nonNegativeLong(node, "size", what);
    Map<String, String> annotations = new LinkedHashMap<>();
    JsonNode a = node.get("annotations");
    if (a != null && a.isObject()) {
      for (Map.Entry<String, JsonNode> e : a.properties()) {
        if (e.getValue().isTextual()) {
          annotations.put(e.getKey(), e.getValue().textValue());
        }
      }
    }
    Platform platform = null;
    JsonNode p = node.get("platform");
    if (p != null && p.isObject()) {
      platform =
          new Platform(
              OciJson.optString(p, "os", what),
              OciJson.optString(p, "architecture", what),
              OciJson.optString(p, "variant", what));
    }
    return new Descriptor(mediaType, digest, size, annotations, platform);
  }

  /** The JSON form, fields in the order the OCI spec lists them. */
  public ObjectNode toJson() {
    ObjectNode node = OciJson.object();
    node.put("mediaType", mediaType);
    node.put("digest", digest.toString());
    node.put("size", size);
    if (!annotations.isEmpty()) {
      ObjectNode a = node.putObject("annotations");
      annotations.forEach(a::put);
    }
    if (platform != null) {
      ObjectNode p = node.putObject("platform");
      p.put("architecture", platform.architecture());
      p.put("os", platform.os());
      if (platform.variant() != null) {
        p.put("variant", platform.variant());
      }
    }
    return node;
  }
}
