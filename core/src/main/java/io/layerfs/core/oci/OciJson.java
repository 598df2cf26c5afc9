package io.layerfs.core.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import java.io.IOException;

/**
 * Jackson plumbing shared by the OCI model: reading and writing trees, and field readers that turn
 * a missing or mistyped field into an {@link IOException} naming the document it came from.
 *
 * <p>The model reads the tree, not bound classes, so fields it does not know survive a
 * read-modify-write of index.json untouched (umoci, skopeo and others add their own). No
 * {@code ObjectMapper} is built for it (see {@link JsonTrees}): opening an image stays cheap in a
 * fresh JVM.
 */
public final class OciJson {
  private OciJson() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static ArrayNode arrayNode() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /**
   * Parses one JSON value of any kind.
   *
   * @throws JsonProcessingException if it is not JSON (with nothing after the value)
   */
  public static JsonNode readTree(byte[] json) throws IOException {
    return JsonTrees.read(json);
  }

  /** Parses one JSON value of any kind; {@code what} names the document in errors. */
  public static JsonNode parse(byte[] json, String what) throws IOException {
    try {
      return JsonTrees.read(json);
    } catch (JsonProcessingException e) {
      throw new IOException("malformed JSON in " + what + ": " + e.getOriginalMessage(), e);
    }
  }

  /** Parses a JSON object; {@code what} names the document in errors. */
  public static ObjectNode parseObject(byte[] json, String what) throws IOException {
    JsonNode node = parse(json, what);
    if (!(node instanceof ObjectNode object)) {
      throw new IOException("expected a JSON object in " + what);
    }
    return object;
  }

  /**
   * The string field {@code field} of the JSON object {@code json}, or null when absent; callers
   * that need one field see no Jackson type (so loading them loads none).
   */
  public static String stringField(byte[] json, String field, String what) throws IOException {
    return optString(parseObject(json, what), field, what);
  }

  /** Compact UTF-8 JSON; object fields keep their insertion order, so output is deterministic. */
  public static byte[] toBytes(JsonNode node) {
    return JsonTrees.write(node, false);
  }

  /** As {@link #toBytes}, indented for files people read. */
  public static byte[] toPrettyBytes(JsonNode node) {
    return JsonTrees.write(node, true);
  }

  /** A string field, or null when absent or JSON null. */
  public static String optString(JsonNode node, String field, String what) throws IOException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new IOException("field '" + field + "' in " + what + " is not a string");
    }
    return value.textValue();
  }

  public static String string(JsonNode node, String field, String what) throws IOException {
    String value = optString(node, field, what);
    if (value == null) {
      throw new IOException("missing field '" + field + "' in " + what);
    }
    return value;
  }

  static long nonNegativeLong(JsonNode node, String field, String what) throws IOException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new IOException("missing field '" + field + "' in " + what);
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
      throw new IOException("field '" + field + "' in " + what + " is not a size: " + value);
    }
    return value.longValue();
  }

  static Digest digest(JsonNode node, String field, String what) throws IOException {
    return parseDigest(string(node, field, what), what);
  }

  static Digest parseDigest(String s, String what) throws IOException {
    try {
      return Digest.parse(s);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage() + " in " + what, e);
    }
  }

  /** An array field; absent or null reads as empty (umoci writes {@code "manifests":null}). */
  public static Iterable<JsonNode> array(JsonNode node, String field, String what) throws IOException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return java.util.List.of();
    }
    if (!value.isArray()) {
      throw new IOException("field '" + field + "' in " + what + " is not an array");
    }
    return value;
  }
}
