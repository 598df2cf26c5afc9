package io.layerfs.core.lazy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The saved list of a partial blob's held pieces ({@value PartialBlob#RANGES}), text in US-ASCII.
 * Version 2 starts with the line {@code layerfs-ranges 2 crc32c 65536}; each further line is a
 * run of held bytes, {@code START END SUM...}, cut at every multiple of 65536 into pieces, one
 * SUM each (the CRC32C of the piece's bytes as 8 hex digits, or {@code -} for a piece held before
 * sums were kept). A run ends where the next piece does not begin at a multiple of 65536 right
 * after it. A list without the header (version 1, lines {@code START END}) is read as pieces
 * with no sums: their bytes are trusted on first read, as they were before, and summed then.
 *
 * <p>Stateless; each method reads or writes one file.
 */
final class RangeList {
  static final String HEADER = "layerfs-ranges 2 crc32c " + PartialBlob.PIECE;
  private static final String UNKNOWN = "-";

  /** A held piece: its end and, if {@code known}, the CRC32C of its bytes. */
  record Piece(long end, int crc, boolean known) {}

  private RangeList() {}

  /** Thrown for a list that is torn or not one: the caller forgets it and fetches again. */
  static final class Unreadable extends Exception {
    Unreadable(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The pieces {@code lines} list, each within {@code [0, limit)} and disjoint.
   *
   * @throws Unreadable if a line is torn or out of bounds
   */
  static TreeMap<Long, Piece> parse(List<String> lines, long limit) throws Unreadable {
    TreeMap<Long, Piece> pieces = new TreeMap<>();
    boolean sums = !lines.isEmpty() && lines.get(0).startsWith("layerfs-ranges ");
    if (sums && !lines.get(0).equals(HEADER)) {
      throw new Unreadable("unknown header '" + lines.get(0) + "'");
    }
    for (int i = sums ? 1 : 0; i < lines.size(); i++) {
      String[] parts = lines.get(i).trim().split(" ");
      long start;
      long end;
      try {
        start = Long.parseLong(parts[0]);
        end = Long.parseLong(parts[1]);
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        throw new Unreadable("line " + (i + 1) + " is torn");
      }
      if (start < 0 || end <= start || end > limit || (!sums && parts.length != 2)) {
        throw new Unreadable("line " + (i + 1) + " is out of bounds");
      }
      int k = 2;
      for (long at = start; at < end; ) {
        long to = Math.min(end, (at / PartialBlob.PIECE + 1) * PartialBlob.PIECE);
        Piece p;
        if (!sums) {
          p = new Piece(to, 0, false);
        } else if (k >= parts.length) {
          throw new Unreadable("line " + (i + 1) + " lacks sums");
        } else if (parts[k].equals(UNKNOWN)) {
          p = new Piece(to, 0, false);
          k++;
        } else {
          try {
            p = new Piece(to, Integer.parseUnsignedInt(parts[k++], 16), true);
          } catch (NumberFormatException e) {
            throw new Unreadable("line " + (i + 1) + " has a torn sum");
          }
        }
        var before = pieces.floorEntry(at);
        var after = pieces.ceilingEntry(at);
        if ((before != null && before.getValue().end() > at)
            || (after != null && after.getKey() < to)) {
          throw new Unreadable("line " + (i + 1) + " overlaps another");
        }
        pieces.put(at, p);
        at = to;
      }
      if (sums && k != parts.length) {
        throw new Unreadable("line " + (i + 1) + " has more sums than pieces");
      }
    }
    return pieces;
  }

  /** The text of {@code pieces} in version 2. */
  static String format(Map<Long, Piece> pieces) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    StringBuilder sums = new StringBuilder();
    long runStart = -1;
    long runEnd = -1;
    for (var e : pieces.entrySet()) {
      long start = e.getKey();
      Piece p = e.getValue();
      boolean continues = start == runEnd && runEnd % PartialBlob.PIECE == 0;
      if (!continues) {
        if (runStart >= 0) {
          sb.append(runStart).append(' ').append(runEnd).append(sums).append('\n');
        }
        runStart = start;
        sums.setLength(0);
      }
      sums.append(' ').append(p.known() ? String.format("%08x", p.crc()) : UNKNOWN);
      runEnd = p.end();
    }
    if (runStart >= 0) {
      sb.append(runStart).append(' ').append(runEnd).append(sums).append('\n');
    }
    return sb.toString();
  }

  /**
   * The bytes the list in {@code file} names, in either version; -1 when it is torn. What gc
   * reports of a sparse partial blob.
   */
  static long heldBytes(Path file) throws IOException {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
      long held = 0;
      for (var e : parse(lines, Long.MAX_VALUE).entrySet()) {
        held += e.getValue().end() - e.getKey();
      }
      return held;
    } catch (Unreadable | java.nio.charset.CharacterCodingException torn) {
      return -1;
    }
  }
}
