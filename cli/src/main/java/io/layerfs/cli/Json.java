package io.layerfs.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.PrintWriter;

/** The {@code --format json} output: pretty-printed Jackson trees, one document per command. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  static com.fasterxml.jackson.databind.node.ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  static void print(PrintWriter out, JsonNode node) throws JsonProcessingException {
    out.println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node));
  }
}
