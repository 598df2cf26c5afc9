package io.layerfs.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.internal.NameBytes;
import java.io.IOException;
import java.io.PrintWriter;

/**
 * The {@code --format json} output: pretty-printed Jackson trees, one document per command (or
 * one compact document a line where docker prints so). The
 * trees come from the node factory alone; the {@code ObjectMapper} that prints them is built on
 * the first print, as building it costs a fresh JVM about 50 ms and table output never needs it.
 * A name's bytes that are not UTF-8 are U+FFFD there, as Go's {@code encoding/json} has them:
 * JSON is UTF-8.
 */
final class Json {
  private Json() {}

  static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  static void print(PrintWriter out, JsonNode node) throws JsonProcessingException {
    if (node.isContainerNode() && node.isEmpty()) {
      // "[]" as docker and jq print it, where Jackson's pretty printer writes "[ ]"
      out.println(node.isArray() ? "[]" : "{}");
      return;
    }
    out.println(NameBytes.replacingEscapes(
        Printer.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node)));
  }

  /**
   * One compact document on one line, as {@code docker volume ls --format json} prints a row:
   * programs read such output a line at a time ({@code jq -c}, {@code while read}).
   */
  static void printLine(PrintWriter out, JsonNode node) throws JsonProcessingException {
    out.println(NameBytes.replacingEscapes(Printer.MAPPER.writeValueAsString(node)));
  }

  /**
   * Parses a JSON object from the store (an image config); errors name {@code what}.
   *
   * @throws IOException if the bytes are no JSON object
   */
  static ObjectNode parseObject(byte[] json, String what) throws IOException {
    JsonNode node;
    try {
      node = Printer.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IOException("malformed JSON in " + what + ": " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new IOException(what + " is not a JSON object");
    }
    return (ObjectNode) node;
  }

  /** Holds the mapper: initialized on the first {@link #print} or {@link #parseObject}. */
  private static final class Printer {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }
}
