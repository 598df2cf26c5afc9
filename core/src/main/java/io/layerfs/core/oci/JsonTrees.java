package io.layerfs.core.oci;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * Reads and writes Jackson trees with Jackson's streaming parser and generator only. Building an
 * {@code ObjectMapper} loads about a thousand classes and costs 150–250 ms in a fresh JVM, more
 * than opening an image takes otherwise; the OCI model needs none of its binding, only trees.
 *
 * <p>Numbers become the nodes {@code ObjectMapper.readTree} makes (int, long, big integer,
 * double), so a read-modify-write writes them as before. Unlike {@code readTree}, content after
 * the first value is an error, not ignored.
 */
final class JsonTrees {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonTrees() {}

  /** Parses one JSON value; a {@code JsonProcessingException} if it is malformed. */
  static JsonNode read(byte[] json) throws IOException {
    try (JsonParser parser = FACTORY.createParser(json)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new JsonParseException(parser, "no content");
      }
      JsonNode value = readValue(parser);
      if (parser.nextToken() != null) {
        throw new JsonParseException(parser,
            "content after the end of the first value");
      }
      return value;
    }
  }

  /** Reads the value starting at the current token; a loop, so nesting costs no stack. */
  private static JsonNode readValue(JsonParser parser) throws IOException {
    if (!parser.currentToken().isStructStart()) {
      return scalar(parser);
    }
    Deque<ContainerNode<?>> open = new ArrayDeque<>();
    ContainerNode<?> root = startContainer(parser.currentToken());
    open.push(root);
    String field = null;
    while (!open.isEmpty()) {
      JsonToken token = parser.nextToken();
      if (token == null) {
        throw new JsonParseException(parser, "unexpected end");
      }
      ContainerNode<?> parent = open.peek();
      if (token == JsonToken.FIELD_NAME) {
        field = parser.currentName();
        continue;
      }
      if (token.isStructEnd()) {
        open.pop();
        continue;
      }
      if (token.isStructStart()) {
        ContainerNode<?> container = startContainer(token);
        add(parent, field, container);
        open.push(container);
        continue;
      }
      add(parent, field, scalar(parser));
    }
    return root;
  }

  private static ContainerNode<?> startContainer(JsonToken token) {
    return token == JsonToken.START_OBJECT ? NODES.objectNode() : NODES.arrayNode();
  }

  private static void add(ContainerNode<?> parent, String field, JsonNode child) {
    if (parent instanceof ObjectNode object) {
      object.set(field, child); // a duplicate name: the last wins, as readTree does
    } else {
      ((ArrayNode) parent).add(child);
    }
  }

  private static JsonNode scalar(JsonParser parser) throws IOException {
    switch (parser.currentToken()) {
      case VALUE_STRING:
        return NODES.textNode(parser.getText());
      case VALUE_TRUE:
        return NODES.booleanNode(true);
      case VALUE_FALSE:
        return NODES.booleanNode(false);
      case VALUE_NULL:
        return NODES.nullNode();
      case VALUE_NUMBER_INT:
        switch (parser.getNumberType()) {
          case INT:
            return NODES.numberNode(parser.getIntValue());
          case LONG:
            return NODES.numberNode(parser.getLongValue());
          default:
            return NODES.numberNode(parser.getBigIntegerValue());
        }
      case VALUE_NUMBER_FLOAT:
        return NODES.numberNode(parser.getDoubleValue());
      default:
        throw new JsonParseException(parser,
            "unexpected token " + parser.currentToken());
    }
  }

  /** Compact (or indented) UTF-8 JSON of a tree of plain nodes, fields in insertion order. */
  static byte[] write(JsonNode node, boolean pretty) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator gen = FACTORY.createGenerator(out)) {
      if (pretty) {
        gen.useDefaultPrettyPrinter();
      }
      writeValue(gen, node);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }

  private static void writeValue(JsonGenerator gen, JsonNode node) throws IOException {
    // recursion is bounded by the depth of trees this code built or parsed (StreamReadConstraints)
    switch (node.getNodeType()) {
      case OBJECT -> {
        gen.writeStartObject();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
          gen.writeFieldName(field.getKey());
          writeValue(gen, field.getValue());
        }
        gen.writeEndObject();
      }
      case ARRAY -> {
        gen.writeStartArray();
        for (JsonNode element : node) {
          writeValue(gen, element);
        }
        gen.writeEndArray();
      }
      case STRING -> gen.writeString(node.textValue());
      case BOOLEAN -> gen.writeBoolean(node.booleanValue());
      case NULL -> gen.writeNull();
      case NUMBER -> writeNumber(gen, node);
      default -> throw new IllegalArgumentException("not a plain JSON node: " + node.getNodeType());
    }
  }

  private static void writeNumber(JsonGenerator gen, JsonNode node) throws IOException {
    switch (node.numberType()) {
      case INT -> gen.writeNumber(node.intValue());
      case LONG -> gen.writeNumber(node.longValue());
      case BIG_INTEGER -> gen.writeNumber(node.bigIntegerValue());
      case FLOAT -> gen.writeNumber(node.floatValue());
      case DOUBLE -> gen.writeNumber(node.doubleValue());
      default -> gen.writeNumber(node.decimalValue());
    }
  }
}
