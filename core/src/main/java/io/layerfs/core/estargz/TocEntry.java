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
    try {
      return Instant.parse(modtime).getEpochSecond();
    } catch (DateTimeParseException e) {
      throw new IOException("TOC entry '" + name + "' has a bad modtime '" + modtime + "'");
    }
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
