package io.layerfs.core.estargz;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of an eStargz table of contents ({@code stargz.index.json}), with the fields the
 * stargz-snapshotter's {@code TOCEntry} has: a file, directory, link or device, or a
 * {@code chunk} (the second and later pieces of a large regular file). Zero-valued fields are
 * left out of the JSON, as Go's {@code omitempty} does.
 *
 * @param name the tar entry's name as the tar has it
 * @param type {@code dir}, {@code reg}, {@code symlink}, {@code hardlink}, {@code char},
 *     {@code block}, {@code fifo} or {@code chunk}
 * @param offset where the gzip member holding this chunk's bytes starts in the blob
 * @param innerOffset where, in that member's uncompressed bytes, the chunk starts
 * @param chunkSize this chunk's length; 0 in a TOC means to the end of the file
 */
public record TocEntry(String name, String type, long size, String modtime, String linkName,
    long mode, long uid, long gid, String userName, String groupName, long offset,
    long innerOffset, long devMajor, long devMinor, Map<String, byte[]> xattrs, String digest,
    long chunkOffset, long chunkSize, String chunkDigest) {

  /** The entry types a TOC may use. */
  static final java.util.Set<String> TYPES =
      java.util.Set.of("dir", "reg", "symlink", "hardlink", "char", "block", "fifo", "chunk");

  public TocEntry {
    xattrs = xattrs.isEmpty() ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(xattrs));
  }

  /** True for entries whose bytes are file data: {@code reg} and {@code chunk}. */
  public boolean isData() {
    return type.equals("reg") || type.equals("chunk");
  }

  /** The modification time in seconds since the epoch; 0 when the TOC gives none. */
  public long mtimeSeconds() throws IOException {
    if (modtime.isEmpty()) {
      return 0;
    }
    long seconds = utcSeconds(modtime);
    if (seconds != Long.MIN_VALUE) {
      return seconds;
    }
    try {
      return Instant.parse(modtime).getEpochSecond();
    } catch (DateTimeParseException e) {
      throw new IOException("TOC entry '" + name + "' has a bad modtime '" + modtime + "'");
    }
  }

  /**
   * The seconds of {@code YYYY-MM-DDTHH:MM:SS[.fraction]Z}, the form Go writes a UTC time in
   * (every entry of a TOC has one); {@code Long.MIN_VALUE} for any other form, which {@code
   * Instant.parse} then reads or refuses. A TOC's thousands of entries read this way cost
   * little, where the JDK's general parser took half of indexing a TOC in a fresh JVM.
   */
  static long utcSeconds(String s) {
    int n = s.length();
    if (n < 20 || n == 21 || n > 30 || s.charAt(4) != '-' || s.charAt(7) != '-'
        || s.charAt(10) != 'T' || s.charAt(13) != ':' || s.charAt(16) != ':'
        || s.charAt(n - 1) != 'Z' || (n > 20 && s.charAt(19) != '.')
        || digits(s, 20, n - 21) < 0) {
      return Long.MIN_VALUE;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1
        || day > java.time.YearMonth.of(year, month).lengthOfMonth()
        || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
      return Long.MIN_VALUE; // a leap second or a bad date: the JDK's parser decides
    }
    return java.time.LocalDate.of(year, month, day).toEpochDay() * 86_400
        + hour * 3_600 + minute * 60 + second;
  }

  /** The value of {@code count} decimal digits at {@code from}, or -1 if one is no digit. */
  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  ObjectNode toJson() {
    ObjectNode n = OciJson.object();
    n.put("name", name);
    n.put("type", type);
    putIf(n, "size", size);
    if (!modtime.isEmpty()) {
      n.put("modtime", modtime);
    }
    if (!linkName.isEmpty()) {
      n.put("linkName", linkName);
    }
    putIf(n, "mode", mode);
    putIf(n, "uid", uid);
    putIf(n, "gid", gid);
    if (!userName.isEmpty()) {
      n.put("userName", userName);
    }
    if (!groupName.isEmpty()) {
      n.put("groupName", groupName);
    }
    putIf(n, "offset", offset);
    putIf(n, "innerOffset", innerOffset);
    putIf(n, "devMajor", devMajor);
    putIf(n, "devMinor", devMinor);
    if (!xattrs.isEmpty()) {
      ObjectNode x = n.putObject("xattrs");
      xattrs.forEach((k, v) -> x.put(k, Base64.getEncoder().encodeToString(v)));
    }
    if (!digest.isEmpty()) {
      n.put("digest", digest);
    }
    putIf(n, "chunkOffset", chunkOffset);
    putIf(n, "chunkSize", chunkSize);
    if (!chunkDigest.isEmpty()) {
      n.put("chunkDigest", chunkDigest);
    }
    return n;
  }

  private static void putIf(ObjectNode n, String key, long v) {
    if (v != 0) {
      n.put(key, v);
    }
  }
}
