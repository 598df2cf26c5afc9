package io.layerfs.core.estargz;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.oci.OciJson;
import io.layerfs.testing.Props;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

/** The streaming TOC reader: what the writer writes reads back, and bad TOCs are refused. */
class TocReaderTest {
  private static final String[] TYPES =
      {"dir", "reg", "symlink", "hardlink", "char", "block", "fifo", "chunk"};

  @Test
  void randomEntriesReadBackAsWritten() {
    Props.tries(100).qt()
        .forAll(Generate.longRange(0, Long.MAX_VALUE), Generate.range(0, 30))
        .checkAssert(Props.io((seed, n) -> {
          Random r = new Random(seed);
          List<TocEntry> written = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            written.add(randomEntry(r));
          }
          List<TocEntry> read = TocReader.read(OciJson.toBytes(toc(written)));
          assertEquals(written.size(), read.size());
          for (int i = 0; i < n; i++) {
            // the JSON form compares xattr values by content, not by array identity
            assertArrayEquals(OciJson.toBytes(written.get(i).toJson()),
                OciJson.toBytes(read.get(i).toJson()), "entry " + i);
          }
        }));
  }

  @Test
  void unknownFieldsAreSkippedNullsAreEmptyAndTheLastOfARepeatedFieldWins() throws IOException {
    String json = "{\"x\":{\"y\":[1,{\"z\":2}]},\"entries\":[{\"name\":\"a\",\"type\":\"dir\","
        + "\"extra\":[{\"name\":\"no\"}],\"mode\":null,\"linkName\":null,\"uid\":5,\"uid\":7,"
        + "\"xattrs\":{\"user.k\":\"dg==\"}}],\"version\":1}";
    TocEntry e = TocReader.read(json.getBytes(UTF_8)).get(0);
    assertEquals("a", e.name());
    assertEquals(0, e.mode());
    assertEquals("", e.linkName());
    assertEquals(7, e.uid());
    assertArrayEquals("v".getBytes(UTF_8), e.xattrs().get("user.k"));
  }

  @Test
  void badTocsAreRefusedNamingWhatIsWrong() {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("{\"entries\":[]}", "version null");
    cases.put("{\"version\":2,\"entries\":[]}", "version VALUE_NUMBER_INT");
    cases.put("{\"version\":1}", "no entries array");
    cases.put("{\"version\":1,\"entries\":{}}", "no entries array");
    cases.put("{\"version\":1,\"entries\":[]} {}", "content after");
    cases.put("{\"version\":1,\"entries\":[", "malformed JSON");
    cases.put("[]", "expected a JSON object");
    cases.put("{\"version\":1,\"entries\":[3]}", "TOC entry 0 is not an object");
    cases.put("{\"version\":1,\"entries\":[{\"name\":\"a\",\"type\":\"sock\"}]}",
        "unknown type 'sock'");
    cases.put("{\"version\":1,\"entries\":[{\"type\":\"dir\",\"name\":4}]}",
        "'name' is not a string");
    cases.put("{\"version\":1,\"entries\":[{\"type\":\"reg\",\"size\":-1}]}",
        "'size' is not a non-negative integer");
    cases.put("{\"version\":1,\"entries\":[{\"type\":\"reg\",\"size\":1.5}]}",
        "'size' is not a non-negative integer");
    cases.put("{\"version\":1,\"entries\":[{\"type\":\"reg\",\"size\":99999999999999999999}]}",
        "'size' is not a non-negative integer");
    cases.put("{\"version\":1,\"entries\":[{\"type\":\"reg\",\"xattrs\":[]}]}",
        "xattrs that are not an object");
    cases.put("{\"version\":1,\"entries\":[{\"type\":\"reg\",\"xattrs\":{\"k\":\"!\"}}]}",
        "bad xattr k");
    cases.forEach((json, expected) -> {
      IOException e = assertThrows(IOException.class,
          () -> TocReader.read(json.getBytes(UTF_8)), json);
      assertTrue(e.getMessage().contains(expected), json + ": " + e.getMessage());
    });
  }

  private static ObjectNode toc(List<TocEntry> entries) {
    ObjectNode root = OciJson.object();
    root.put("version", 1);
    ArrayNode list = root.putArray("entries");
    entries.forEach(e -> list.add(e.toJson()));
    return root;
  }

  private static TocEntry randomEntry(Random r) {
    Map<String, byte[]> xattrs = new LinkedHashMap<>();
    for (int i = r.nextInt(3); i > 0; i--) {
      byte[] v = new byte[r.nextInt(5)];
      r.nextBytes(v);
      xattrs.put("user.k" + r.nextInt(100), v);
    }
    return new TocEntry(text(r), TYPES[r.nextInt(TYPES.length)], number(r),
        r.nextBoolean() ? "" : "2024-01-0" + (1 + r.nextInt(9)) + "T00:00:00Z", text(r),
        number(r), number(r), number(r), text(r), text(r), number(r), number(r), number(r),
        number(r), xattrs, text(r), number(r), number(r), text(r));
  }

  private static String text(Random r) {
    if (r.nextInt(3) == 0) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = r.nextInt(12); i >= 0; i--) {
      sb.append((char) (r.nextInt(4) == 0 ? 0x20 + r.nextInt(0x3000) : 'a' + r.nextInt(26)));
    }
    return sb.toString();
  }

  private static long number(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> 0;
      case 1 -> r.nextInt(1000);
      case 2 -> Long.MAX_VALUE - r.nextInt(10);
      default -> r.nextLong() & Long.MAX_VALUE;
    };
  }
}
