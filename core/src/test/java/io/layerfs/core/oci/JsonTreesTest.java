package io.layerfs.core.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.testing.Props;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link JsonTrees} against Jackson's {@code ObjectMapper}, the oracle it replaces: the same trees
 * from the same text, the same bytes from the same tree.
 */
class JsonTreesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String CHARS = "aZ09 \"\\/\n\t\u00e9\u4e2d\ud83d\ude00{}[],:";

  @Test
  void readsWhatObjectMapperReads() {
    Props p = Props.tries(400);
    p.qt().forAll(p.longs()).checkAssert(seed -> {
      JsonNode tree = randomTree(new Random(seed), 0);
      byte[] compact = write(tree, false);
      byte[] pretty = write(tree, true);
      try {
        assertEquals(MAPPER.readTree(compact), JsonTrees.read(compact));
        assertEquals(MAPPER.readTree(pretty), JsonTrees.read(pretty));
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
  }

  @Test
  void writesWhatObjectMapperWrites() {
    Props p = Props.tries(400);
    p.qt().forAll(p.longs()).checkAssert(seed -> {
      JsonNode tree = randomTree(new Random(seed), 0);
      try {
        assertArrayEquals(MAPPER.writeValueAsBytes(tree), JsonTrees.write(tree, false));
        assertArrayEquals(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree),
            JsonTrees.write(tree, true));
      } catch (JsonProcessingException e) {
        throw new AssertionError(e);
      }
    });
  }

  @Test
  void numbersKeepTheirKinds() throws IOException {
    JsonNode n = JsonTrees.read(
        "[1, 4294967296, 123456789012345678901234567890, 1.5, -0.0, 1e300]"
            .getBytes(StandardCharsets.UTF_8));
    assertTrue(n.get(0).isInt());
    assertTrue(n.get(1).isLong());
    assertTrue(n.get(2).isBigInteger());
    assertTrue(n.get(3).isDouble());
    assertEquals(MAPPER.readTree("[1, 4294967296, 123456789012345678901234567890, 1.5, -0.0,"
        + " 1e300]"), n);
  }

  @Test
  void duplicateNamesKeepTheLastAsObjectMapperDoes() throws IOException {
    byte[] json = "{\"a\":1,\"b\":2,\"a\":3}".getBytes(StandardCharsets.UTF_8);
    assertEquals(MAPPER.readTree(json), JsonTrees.read(json));
  }

  @Test
  void malformedInputIsAnError() {
    for (String bad : new String[] {"", "   ", "{", "{\"a\":}", "[1,]", "{} {}", "[1] x", "nul",
        "{\"a\" 1}", "\"open"}) {
      assertThrows(JsonProcessingException.class,
          () -> JsonTrees.read(bad.getBytes(StandardCharsets.UTF_8)), bad);
    }
  }

  @Test
  void deepNestingIsAnErrorNotAStackOverflow() {
    byte[] deep = "[".repeat(200_000).getBytes(StandardCharsets.UTF_8);
    JsonProcessingException e =
        assertThrows(JsonProcessingException.class, () -> JsonTrees.read(deep));
    assertTrue(e.getMessage().contains("depth"), e.getMessage());
  }

  @Test
  void ociJsonNamesTheDocumentInErrors() {
    IOException e = assertThrows(IOException.class,
        () -> OciJson.parseObject("[]".getBytes(StandardCharsets.UTF_8), "manifest X"));
    assertTrue(e.getMessage().contains("manifest X"), e.getMessage());
    e = assertThrows(IOException.class,
        () -> OciJson.parseObject("{".getBytes(StandardCharsets.UTF_8), "config Y"));
    assertTrue(e.getMessage().startsWith("malformed JSON in config Y"), e.getMessage());
  }

  private static byte[] write(JsonNode tree, boolean pretty) {
    try {
      return pretty ? MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree)
          : MAPPER.writeValueAsBytes(tree);
    } catch (JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }

  private static JsonNode randomTree(Random r, int depth) {
    int kind = depth >= 5 ? 2 + r.nextInt(8) : r.nextInt(10);
    switch (kind) {
      case 0: {
        ObjectNode o = NODES.objectNode();
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
          o.set(randomString(r), randomTree(r, depth + 1));
        }
        return o;
      }
      case 1: {
        ArrayNode a = NODES.arrayNode();
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
          a.add(randomTree(r, depth + 1));
        }
        return a;
      }
      case 2:
        return NODES.textNode(randomString(r));
      case 3:
        return NODES.numberNode(r.nextInt());
      case 4:
        return NODES.numberNode(r.nextLong());
      case 5:
        return NODES.numberNode(new BigInteger(90, r).negate());
      case 6:
        return NODES.numberNode(r.nextDouble() * Math.pow(10, r.nextInt(40) - 20));
      case 7:
        return NODES.booleanNode(r.nextBoolean());
      case 8:
        return NODES.nullNode();
      default:
        return NODES.textNode("");
    }
  }

  private static String randomString(Random r) {
    StringBuilder s = new StringBuilder();
    int n = r.nextInt(8);
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(CHARS.length());
      s.append(CHARS.charAt(c));
    }
    // a lone surrogate would not survive UTF-8 in either implementation: drop unpaired halves
    return s.toString().replaceAll("[\\ud800-\\udbff](?![\\udc00-\\udfff])", "")
        .replaceAll("(?<![\\ud800-\\udbff])[\\udc00-\\udfff]", "");
  }
}
