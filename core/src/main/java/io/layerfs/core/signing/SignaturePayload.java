package io.layerfs.core.signing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.SignatureException;
import io.layerfs.core.oci.OciJson;
import java.util.Iterator;
import java.util.List;

/**
 * The JSON payload of an "atomic container signature" (containers-signature(5)), built and
 * parsed as strictly as the format asks: {@code critical} and its sub-objects have exactly the
 * known members with the right types, duplicates and trailing data are refused, unknown members
 * of {@code optional} are accepted (the package documentation shows the shape). Only ever parsed
 * once its OpenPGP signature has verified.
 */
final class SignaturePayload {
  static final String TYPE = "atomic container signature";
  // real payloads are ~300 bytes; anything far bigger is not one
  static final int MAX_JSON = 16 << 10;
  private static final ObjectMapper STRICT =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /** The parts of a payload layerfs checks. */
  record Claims(String dockerReference, Digest manifestDigest) {}

  private SignaturePayload() {}

  /** The payload layerfs signs, members in the order of the format's example. */
  static byte[] build(String dockerReference, Digest manifestDigest, String creator,
      long timestamp) {
    ObjectNode root = OciJson.object();
    ObjectNode critical = root.putObject("critical");
    critical.put("type", TYPE);
    critical.putObject("image").put("docker-manifest-digest", manifestDigest.toString());
    critical.putObject("identity").put("docker-reference", dockerReference);
    ObjectNode optional = root.putObject("optional");
    optional.put("creator", creator);
    optional.put("timestamp", timestamp);
    return OciJson.toBytes(root);
  }

  /**
   * Parses a verified payload.
   *
   * @throws SignatureException saying which member is missing, unexpected or of the wrong type
   */
  static Claims parse(byte[] json) throws SignatureException {
    if (json.length > MAX_JSON) {
      throw new SignatureException(
          "signature payload is larger than " + MAX_JSON + " bytes (" + json.length + ")");
    }
    JsonNode root;
    try {
      root = STRICT.readTree(json);
    } catch (JsonProcessingException e) {
      throw new SignatureException("signature payload is not valid JSON: "
          + e.getOriginalMessage(), e);
    } catch (java.io.IOException e) {
      throw new SignatureException("signature payload is not valid JSON: " + e.getMessage(), e);
    }
    ObjectNode top = object(root, "the signature payload");
    exactly(top, "", List.of("critical", "optional"));
    ObjectNode critical = object(top.get("critical"), "critical");
    exactly(critical, "critical", List.of("type", "image", "identity"));
    String type = string(critical.get("type"), "critical.type");
    if (!TYPE.equals(type)) {
      throw new SignatureException("signature payload has critical.type '" + type
          + "', not '" + TYPE + "'");
    }
    ObjectNode image = object(critical.get("image"), "critical.image");
    exactly(image, "critical.image", List.of("docker-manifest-digest"));
    String digest = string(image.get("docker-manifest-digest"),
        "critical.image.docker-manifest-digest");
    Digest manifest;
    try {
      manifest = Digest.parse(digest);
    } catch (IllegalArgumentException e) {
      throw new SignatureException("signature payload: critical.image.docker-manifest-digest "
          + "is not a supported digest: " + e.getMessage(), e);
    }
    ObjectNode identity = object(critical.get("identity"), "critical.identity");
    exactly(identity, "critical.identity", List.of("docker-reference"));
    String reference = string(identity.get("docker-reference"),
        "critical.identity.docker-reference");
    if (reference.isEmpty()) {
      throw new SignatureException(
          "signature payload: critical.identity.docker-reference is empty");
    }
    ObjectNode optional = object(top.get("optional"), "optional");
    JsonNode creator = optional.get("creator");
    if (creator != null) {
      string(creator, "optional.creator");
    }
    JsonNode timestamp = optional.get("timestamp");
    if (timestamp != null && !(timestamp.isIntegralNumber() && timestamp.canConvertToLong())) {
      throw new SignatureException(
          "signature payload: optional.timestamp is not a 64-bit integer: " + timestamp);
    }
    return new Claims(reference, manifest);
  }

  private static ObjectNode object(JsonNode node, String what) throws SignatureException {
    if (node == null) {
      throw new SignatureException("signature payload: missing member " + what);
    }
    if (!(node instanceof ObjectNode object)) {
      throw new SignatureException("signature payload: " + what + " is not a JSON object");
    }
    return object;
  }

  private static String string(JsonNode node, String what) throws SignatureException {
    if (node == null) {
      throw new SignatureException("signature payload: missing member " + what);
    }
    if (!node.isTextual()) {
      throw new SignatureException("signature payload: " + what + " is not a string");
    }
    return node.textValue();
  }

  /** Rejects members not in {@code known} and requires all of them. */
  private static void exactly(ObjectNode node, String what, List<String> known)
      throws SignatureException {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        throw new SignatureException("signature payload: unknown member '" + quote(name) + "' in "
            + (what.isEmpty() ? "the top-level object" : what)
            + " (rejected as the format requires)");
      }
    }
    for (String name : known) {
      if (!node.has(name)) {
        throw new SignatureException("signature payload: missing member "
            + (what.isEmpty() ? name : what + "." + name));
      }
    }
  }

  private static String quote(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }
}
