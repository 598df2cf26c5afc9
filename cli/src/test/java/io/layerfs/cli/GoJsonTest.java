package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Go's json.MarshalIndent layout and time format, as skopeo prints them. */
class GoJsonTest {
  @Test
  void indentsAsGoWithHtmlCharactersEscaped() throws IOException {
    String json = "{\"a\":[1,\"<b>&\u2028\"],\"e\":[],\"o\":{},\"n\":null,\"t\":true,"
        + "\"c\":\"\\u0001\\n\\\"\"}";
    assertEquals("{\n    \"a\": [\n        1,\n        \"\\u003cb\\u003e\\u0026\\u2028\"\n"
        + "    ],\n    \"e\": [],\n    \"o\": {},\n    \"n\": null,\n    \"t\": true,\n"
        + "    \"c\": \"\\u0001\\n\\\"\"\n}", GoJson.indent(new ObjectMapper().readTree(json)));
  }

  @Test
  void timesAsGoMarshalsThem() {
    assertEquals("2024-05-06T07:08:09Z", GoJson.time("2024-05-06T07:08:09.000000000Z"));
    assertEquals("2024-05-06T07:08:09.1234Z", GoJson.time("2024-05-06T07:08:09.123400+00:00"));
    assertEquals("2024-05-06T07:08:09.5+02:00", GoJson.time("2024-05-06T07:08:09.5+02:00"));
    assertEquals("not a time", GoJson.time("not a time"));
  }
}
