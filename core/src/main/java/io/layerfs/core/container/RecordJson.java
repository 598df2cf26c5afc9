package io.layerfs.core.container;

import static io.layerfs.core.container.ContainerRecord.NO_ID;
import static io.layerfs.core.container.ContainerRecord.VERSION;
import static io.layerfs.core.container.ContainerRecord.VERSION_MOUNTS;
import static io.layerfs.core.container.ContainerRecord.bad;
import static io.layerfs.core.container.ContainerRecord.checkFolder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.Mount;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The JSON form of a {@link ContainerRecord}, {@code container.json}: apart from the record so
 * that a container opened from its memo ({@link RecordMemo}) loads no JSON classes, not even
 * for the verifier.
 */
final class RecordJson {
  private RecordJson() {}

  /** The pretty-printed JSON of {@code r}. */
  static byte[] toBytes(ContainerRecord r) throws IOException {
    ObjectNode root = OciJson.object();
    root.put("version", r.mounts().isEmpty() ? VERSION : VERSION_MOUNTS);
    root.put("name", r.name());
    if (r.id() != null) {
      root.put("id", r.id().toString());
    }
    root.put("image", r.image());
    root.put("created", r.created().toString());
    root.put("manifest", r.manifest().toString());
    root.put("config", r.config().toString());
    ArrayNode array = root.putArray("layers");
    for (Layer layer : r.layers()) {
      ObjectNode l = array.addObject();
      l.put("mediaType", layer.mediaType());
      l.put("digest", layer.digest().toString());
      l.put("size", layer.size());
      l.put("diffId", layer.diffId().toString());
    }
    if (!r.mounts().isEmpty()) {
      ArrayNode specs = root.putArray("mounts");
      r.mounts().forEach(specs::add);
    }
    return OciJson.toPrettyBytes(root);
  }

  /** The record in {@code bytes}, read from {@code file}; every defect an exception naming it. */
  static ContainerRecord parse(Path file, byte[] bytes) throws IOException {
    JsonNode root;
    try {
      root = OciJson.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new IOException("container record " + file + " is not valid JSON (truncated?): "
          + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw bad(file, "expected a JSON object");
    }
    JsonNode version = root.get("version");
    if (version == null) {
      throw bad(file, "it has no 'version' (written by an older layerfs); this layerfs reads "
          + "version " + VERSION + ": remove the container and create it again");
    }
    if (!version.isInt()
        || (version.intValue() != VERSION && version.intValue() != VERSION_MOUNTS)) {
      throw bad(file, "it has version " + version + "; this layerfs reads versions " + VERSION
          + " and " + VERSION_MOUNTS);
    }
    List<String> mounts = new ArrayList<>();
    JsonNode mountsNode = root.get("mounts");
    if (version.intValue() == VERSION_MOUNTS) {
      if (mountsNode == null || !mountsNode.isArray()) {
        throw bad(file, "'mounts' is missing or not an array of mount specs");
      }
      for (int i = 0; i < mountsNode.size(); i++) {
        JsonNode m = mountsNode.get(i);
        if (!m.isTextual()) {
          throw bad(file, "'mounts[" + i + "]' is not a string (a --mount spec)");
        }
        try {
          mounts.add(recordedSpec(m.textValue()));
        } catch (IllegalArgumentException e) {
          throw bad(file, "'mounts[" + i + "]': " + e.getMessage());
        }
      }
    }
    String created = string(file, root, "created", "an ISO-8601 instant");
    Instant instant;
    try {
      instant = Instant.parse(created);
    } catch (DateTimeParseException e) {
      throw bad(file, "'created' is '" + created + "', expected an ISO-8601 instant");
    }
    JsonNode layers = root.get("layers");
    if (layers == null || !layers.isArray()) {
      throw bad(file, "'layers' is missing or not an array of layer descriptors");
    }
    List<Layer> list = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      JsonNode layer = layers.get(i);
      String where = "layers[" + i + "]";
      if (!layer.isObject()) {
        throw bad(file, "'" + where + "' is not an object");
      }
      JsonNode size = layer.get("size");
      if (size == null || !size.canConvertToLong() || !size.isIntegralNumber()
          || size.longValue() < 0) {
        throw bad(file, "'" + where + ".size' is missing or not a size in bytes");
      }
      list.add(new Layer(string(file, layer, where + ".mediaType", "a media type"),
          digest(file, layer, where + ".digest"), size.longValue(),
          digest(file, layer, where + ".diffId")));
    }
    UUID id = null;
    if (root.has("id")) {
      String text = string(file, root, "id", "a container id (a UUID)");
      try {
        id = UUID.fromString(text);
      } catch (IllegalArgumentException e) {
        throw bad(file, "'id' is '" + text + "', expected a container id (a UUID)");
      }
      if (!id.toString().equals(text) || id.equals(NO_ID)) {
        throw bad(file, "'id' is '" + text + "', expected a container id (a UUID in lower "
            + "case, not all zeros)");
      }
    }
    String name = string(file, root, "name", "the container's name");
    checkFolder(file, name);
    return new ContainerRecord(name,
        string(file, root, "image", "an image reference"), digest(file, root, "manifest"),
        digest(file, root, "config"), list, instant, mounts, id);
  }

  /**
   * {@code spec} as recorded, checked; a spec an older layerfs recorded with a quote in a path
   * (it split specs at commas only, and wrote a path's quotes as they were) is read as it meant
   * and given back in today's form, its fields quoted, so every later parse reads it alike.
   */
  private static String recordedSpec(String spec) {
    try {
      Mount.parse(spec);
      return spec;
    } catch (IllegalArgumentException e) {
      if (spec.indexOf('"') < 0) {
        throw e;
      }
      String quoted =
          Arrays.stream(spec.split(",", -1)).map(Mount::quote).collect(Collectors.joining(","));
      try {
        return Mount.parse(quoted).spec();
      } catch (IllegalArgumentException notOld) {
        throw e;
      }
    }
  }

  /** The string at {@code field}, a name or a dotted path whose last part is the name. */
  private static String string(Path file, JsonNode node, String field, String expected)
      throws IOException {
    JsonNode value = node.get(field.substring(field.lastIndexOf('.') + 1));
    if (value == null || !value.isTextual()) {
      throw bad(file, "'" + field + "' is missing or not a string, expected " + expected);
    }
    return value.textValue();
  }

  private static Digest digest(Path file, JsonNode node, String field) throws IOException {
    String value = string(file, node, field, "a digest such as sha256:<64 hex digits>");
    try {
      return Digest.parse(value);
    } catch (IllegalArgumentException e) {
      throw bad(file, "'" + field + "' is not a valid digest: " + e.getMessage());
    }
  }
}
