package io.layerfs.core.estargz;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the TOC JSON token by token straight into {@link TocEntry} records. A TOC of a base
 * image holds thousands of entries (6,780 in 1.8 MB for Debian): a JSON tree of it first made
 * hundreds of thousands of short-lived nodes, whose garbage collections, not the parsing, took
 * most of the time of a lazy image's first read. The rules are those of a tree read: fields it
 * does not know are skipped, a null or missing field is empty or 0, a repeated field's last value
 * wins, and nothing may follow the TOC object.
 */
final class TocReader {
  private static final JsonFactory FACTORY = new JsonFactory();

  private TocReader() {}

  /** The entries of a TOC of version 1, in the order it lists them. */
  static List<TocEntry> read(byte[] json) throws IOException {
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("expected a JSON object in eStargz TOC");
      }
      boolean version1 = false;
      JsonToken versionToken = null;
      List<TocEntry> entries = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("version")) {
          versionToken = value;
          version1 = value == JsonToken.VALUE_NUMBER_INT
              && p.getNumberType() == JsonParser.NumberType.INT && p.getIntValue() == 1;
        } else if (field.equals("entries")) {
          entries = value == JsonToken.START_ARRAY ? entries(p) : null;
          if (entries == null) {
            p.skipChildren();
          }
        } else {
          p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        throw new IOException("malformed JSON in eStargz TOC: content after the end of the "
            + "first value");
      }
      if (!version1) {
        throw new IOException("eStargz TOC has version "
            + (versionToken == null ? "null" : versionToken) + ", expected 1");
      }
      if (entries == null) {
        throw new IOException("eStargz TOC has no entries array");
      }
      return entries;
    } catch (JsonProcessingException e) {
      throw new IOException("malformed JSON in eStargz TOC: " + e.getOriginalMessage(), e);
    }
  }

  private static List<TocEntry> entries(JsonParser p) throws IOException {
    List<TocEntry> out = new ArrayList<>();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t != JsonToken.START_OBJECT) {
        throw new IOException("TOC entry " + out.size() + " is not an object");
      }
      out.add(entry(p, out.size()));
    }
    return out;
  }

  /** One entry, the parser on its START_OBJECT; the fields as {@link TocEntry} names them. */
  private static TocEntry entry(JsonParser p, int index) throws IOException {
    String name = "";
    String type = "";
    String modtime = "";
    String linkName = "";
    String userName = "";
    String groupName = "";
    String digest = "";
    String chunkDigest = "";
    long size = 0;
    long mode = 0;
    long uid = 0;
    long gid = 0;
    long offset = 0;
    long innerOffset = 0;
    long devMajor = 0;
    long devMinor = 0;
    long chunkOffset = 0;
    long chunkSize = 0;
    Map<String, byte[]> xattrs = Map.of();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "name" -> name = text(p, field, index);
        case "type" -> type = text(p, field, index);
        case "modtime" -> modtime = text(p, field, index);
        case "linkName" -> linkName = text(p, field, index);
        case "userName" -> userName = text(p, field, index);
        case "groupName" -> groupName = text(p, field, index);
        case "digest" -> digest = text(p, field, index);
        case "chunkDigest" -> chunkDigest = text(p, field, index);
        case "size" -> size = number(p, field, index);
        case "mode" -> mode = number(p, field, index);
        case "uid" -> uid = number(p, field, index);
        case "gid" -> gid = number(p, field, index);
        case "offset" -> offset = number(p, field, index);
        case "innerOffset" -> innerOffset = number(p, field, index);
        case "devMajor" -> devMajor = number(p, field, index);
        case "devMinor" -> devMinor = number(p, field, index);
        case "chunkOffset" -> chunkOffset = number(p, field, index);
        case "chunkSize" -> chunkSize = number(p, field, index);
        case "xattrs" -> xattrs = xattrs(p, index);
        default -> p.skipChildren();
      }
    }
    if (!TocEntry.TYPES.contains(type)) {
      throw new IOException("TOC entry " + index + " ('" + name + "') has an unknown type '"
          + type + "'");
    }
    return new TocEntry(name, type, size, modtime, linkName, mode, uid, gid, userName,
        groupName, offset, innerOffset, devMajor, devMinor, xattrs, digest, chunkOffset,
        chunkSize, chunkDigest);
  }

  private static String text(JsonParser p, String field, int index) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_NULL -> "";
      case VALUE_STRING -> p.getText();
      default -> throw new IOException("TOC entry " + index + ": '" + field
          + "' is not a string");
    };
  }

  private static long number(JsonParser p, String field, int index) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return 0;
    }
    if (t != JsonToken.VALUE_NUMBER_INT
        || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0) {
      throw new IOException("TOC entry " + index + ": '" + field
          + "' is not a non-negative integer");
    }
    return p.getLongValue();
  }

  /** Names to base64 values; a value that is no string counts as its text, as a tree's would. */
  private static Map<String, byte[]> xattrs(JsonParser p, int index) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return Map.of();
    }
    if (t != JsonToken.START_OBJECT) {
      throw new IOException("TOC entry " + index + " has xattrs that are not an object");
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      JsonToken v = p.nextToken();
      String text = v.isStructStart() ? "" : p.getText();
      p.skipChildren();
      try {
        out.put(key, Base64.getDecoder().decode(text));
      } catch (IllegalArgumentException bad) {
        throw new IOException("TOC entry " + index + " has a bad xattr " + key);
      }
    }
    return out;
  }
}
