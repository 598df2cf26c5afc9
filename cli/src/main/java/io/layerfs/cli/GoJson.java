package io.layerfs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON as Go's {@code json.MarshalIndent(v, "", "    ")} writes it, which is how skopeo prints
 * {@code inspect}: four spaces an level, {@code "key": value}, {@code []} and {@code {}} when
 * empty, and {@code <}, {@code >}, {@code &}, U+2028 and U+2029 escaped as {@code \u003c}...
 * (Go escapes them for HTML). Output that matches byte for byte lets a script diff the two.
 */
final class GoJson {
  private static final String INDENT = "    ";
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

  private GoJson() {}

  /** {@code node}, indented, without a final newline. */
  static String indent(JsonNode node) {
    StringBuilder out = new StringBuilder();
    write(node, "", out);
    return out.toString();
  }

  /**
   * A timestamp as Go's {@code time.Time} marshals it (RFC 3339, the fraction without trailing
   * zeros, {@code Z} for UTC), or {@code text} as it is when it is no RFC 3339 time.
   */
  static String time(String text) {
    OffsetDateTime t;
    try {
      t = OffsetDateTime.parse(text);
    } catch (DateTimeException e) {
      return text;
    }
    StringBuilder s = new StringBuilder(SECONDS.format(t));
    if (t.getNano() != 0) {
      String fraction = String.format("%09d", t.getNano()).replaceFirst("0+$", "");
      s.append('.').append(fraction);
    }
    ZoneOffset offset = t.getOffset();
    s.append(offset.getTotalSeconds() == 0 ? "Z" : offset.getId());
    return s.toString();
  }

  private static void write(JsonNode node, String indent, StringBuilder out) {
    if (node.isObject()) {
      if (node.isEmpty()) {
        out.append("{}");
        return;
      }
      out.append('{');
      String inner = indent + INDENT;
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        out.append('\n').append(inner);
        string(field.getKey(), out);
        out.append(": ");
        write(field.getValue(), inner, out);
        if (fields.hasNext()) {
          out.append(',');
        }
      }
      out.append('\n').append(indent).append('}');
    } else if (node.isArray()) {
      if (node.isEmpty()) {
        out.append("[]");
        return;
      }
      out.append('[');
      String inner = indent + INDENT;
      for (int i = 0; i < node.size(); i++) {
        out.append('\n').append(inner);
        write(node.get(i), inner, out);
        if (i < node.size() - 1) {
          out.append(',');
        }
      }
      out.append('\n').append(indent).append(']');
    } else if (node.isTextual()) {
      string(node.textValue(), out);
    } else {
      out.append(node); // numbers, booleans, null: as JSON writes them
    }
  }

  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
