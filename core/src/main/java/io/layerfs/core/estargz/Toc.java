package io.layerfs.core.estargz;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An eStargz table of contents: its entries in blob order, and for each regular file the chunks
 * its bytes are stored in (where each gzip member starts and ends in the blob, and the digest
 * the chunk must have). Built by {@link EStargzWriter}, parsed by {@link EStargzReader}.
 *
 * <p>Immutable and thread-safe once built.
 */
public final class Toc {
  /** The name of the tar entry the TOC is stored as. */
  public static final String TAR_NAME = "stargz.index.json";

  /** Where one chunk of a file is and what it must hash to. */
  public record Chunk(long fileOffset, long length, long blobOffset, long blobEnd,
      long innerOffset, Digest digest) {}

  private final List<TocEntry> entries;
  private final Map<String, TocEntry> byName = new HashMap<>();
  private final Map<String, List<Chunk>> chunks = new HashMap<>();

  private Toc(List<TocEntry> entries, Map<String, List<Chunk>> chunks) {
    this.entries = List.copyOf(entries);
    for (TocEntry e : entries) {
      if (!e.type().equals("chunk")) {
        byName.put(cleanName(e.name()), e);
      }
    }
    this.chunks.putAll(chunks);
  }

  /** The entries in the order the TOC lists them. */
  public List<TocEntry> entries() {
    return entries;
  }

  /** The entry named {@code name} (cleaned: no leading {@code ./} or {@code /}), or null. */
  public TocEntry entry(String name) {
    return byName.get(cleanName(name));
  }

  /** The chunks of a regular file, in file order; empty for an empty file. */
  public List<Chunk> chunks(String name) {
    return chunks.getOrDefault(cleanName(name), List.of());
  }

  /** A tar name as a TOC path: without {@code ./}, leading or trailing slashes. */
  public static String cleanName(String name) {
    String n = name;
    while (n.startsWith("./") || n.startsWith("/")) {
      n = n.substring(n.startsWith("./") ? 2 : 1);
    }
    while (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n.equals(".") ? "" : n;
  }

  /** The JSON the blob stores (and the TOC digest is taken of). */
  byte[] toJson() {
    ObjectNode root = OciJson.object();
    root.put("version", 1);
    ArrayNode list = root.putArray("entries");
    for (TocEntry e : entries) {
      list.add(e.toJson());
    }
    return OciJson.toBytes(root);
  }

  /** A TOC of {@code entries}, whose chunk data ends where the TOC starts ({@code tocOffset}). */
  static Toc of(List<TocEntry> entries, long tocOffset) throws IOException {
    return new Toc(entries, chunkMap(entries, tocOffset));
  }

  /**
   * Parses and checks a TOC: version 1, known types, and for every regular file contiguous
   * chunks with digests, inside the blob's data, adding up to its size.
   *
   * @throws IOException naming the entry and what is wrong
   */
  static Toc parse(byte[] json, long tocOffset) throws IOException {
    return of(TocReader.read(json), tocOffset);
  }

  private static Map<String, List<Chunk>> chunkMap(List<TocEntry> entries, long tocOffset)
      throws IOException {
    // a chunk's gzip data ends where the next data entry with a greater offset begins
    long[] next = new long[entries.size()];
    long following = tocOffset;
    for (int i = entries.size() - 1; i >= 0; i--) {
      TocEntry e = entries.get(i);
      next[i] = following;
      if (e.isData() && e.offset() > 0) { // an empty file's offset is 0: no data
        following = e.offset();
      }
    }
    Map<String, List<Chunk>> out = new HashMap<>();
    String current = null;
    long fileSize = 0;
    long covered = 0;
    List<Chunk> list = null;
    for (int i = 0; i < entries.size(); i++) {
      TocEntry e = entries.get(i);
      if (e.type().equals("reg")) {
        finish(current, covered, fileSize);
        current = cleanName(e.name());
        fileSize = e.size();
        covered = 0;
        list = new ArrayList<>();
        out.put(current, list);
        if (e.size() == 0) {
          continue;
        }
      } else if (e.type().equals("chunk")) {
        if (current == null || !cleanName(e.name()).equals(current)) {
          throw new IOException("TOC chunk entry " + i + " ('" + e.name()
              + "') does not follow its file");
        }
      } else {
        continue;
      }
      if (e.chunkOffset() != covered) {
        throw new IOException("TOC entry " + i + " ('" + e.name() + "') starts at "
            + e.chunkOffset() + ", expected " + covered);
      }
      long length = e.chunkSize() == 0 ? fileSize - covered : e.chunkSize();
      if (length <= 0 || covered + length > fileSize) {
        throw new IOException("TOC entry " + i + " ('" + e.name() + "') has chunk size "
            + e.chunkSize() + " beyond the file's " + fileSize + " bytes");
      }
      if (e.offset() >= next[i]) {
        throw new IOException("TOC entry " + i + " ('" + e.name() + "') has offset "
            + e.offset() + " outside the blob's data (which ends at " + tocOffset + ")");
      }
      Digest digest;
      try {
        digest = Digest.parse(e.chunkDigest());
      } catch (IllegalArgumentException bad) {
        throw new IOException("TOC entry " + i + " ('" + e.name() + "') has no valid "
            + "chunkDigest ('" + e.chunkDigest() + "'): its bytes cannot be verified");
      }
      list.add(new Chunk(covered, length, e.offset(), next[i], e.innerOffset(), digest));
      covered += length;
    }
    finish(current, covered, fileSize);
    return out;
  }

  private static void finish(String file, long covered, long size) throws IOException {
    if (file != null && covered != size) {
      throw new IOException("TOC file '" + file + "' has chunks for " + covered + " of its "
          + size + " bytes");
    }
  }
}
