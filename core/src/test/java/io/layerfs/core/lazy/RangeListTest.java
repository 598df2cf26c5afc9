package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.testing.Props;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

/** The saved list of held pieces: what is written reads back, torn lists are refused. */
class RangeListTest {
  private static final int PIECE = PartialBlob.PIECE;

  @Test
  void piecesReadBackAsWritten() {
    Props.tries(200).qt()
        .forAll(Generate.longRange(0, Long.MAX_VALUE), Generate.range(0, 40))
        .checkAssert((seed, fetches) -> {
          TreeMap<Long, RangeList.Piece> pieces = pieces(new Random(seed), fetches);
          assertEquals(pieces, parse(RangeList.format(pieces)));
        });
  }

  @Test
  void aListOfVersion1IsReadAsPiecesWithoutSums() throws RangeList.Unreadable {
    TreeMap<Long, RangeList.Piece> expected = new TreeMap<>();
    expected.put(10L, new RangeList.Piece(PIECE, 0, false));
    expected.put((long) PIECE, new RangeList.Piece(PIECE + 5, 0, false));
    expected.put(3L * PIECE, new RangeList.Piece(3L * PIECE + 1, 0, false));
    assertEquals(expected, RangeList.parse(
        List.of("10 " + (PIECE + 5), 3 * PIECE + " " + (3 * PIECE + 1)), 1L << 30));
  }

  @Test
  void tornOrForeignListsAreRefused() {
    String h = RangeList.HEADER;
    for (List<String> lines : List.of(
        List.of(h, "0 10"), // no sum
        List.of(h, "0 10 0000000a 0000000b"), // a sum too many
        List.of(h, "0 10 zz"),
        List.of(h, "0 " + (PIECE + 1) + " 00000001"), // two pieces, one sum
        List.of(h, "0 10 00000001", "5 20 00000002"), // overlap
        List.of(h, "0 2000 00000001"), // past the limit
        List.of(h, "0"),
        List.of("layerfs-ranges 3 crc32c 65536", "0 10 00000001"),
        List.of("0 10 20"))) {
      assertThrows(RangeList.Unreadable.class, () -> RangeList.parse(lines, 1000),
          lines.toString());
    }
  }

  /** What a series of fetches of random ranges holds, cut into pieces as a fetch cuts them. */
  private static TreeMap<Long, RangeList.Piece> pieces(Random r, int fetches) {
    TreeMap<Long, RangeList.Piece> pieces = new TreeMap<>();
    long at = 0;
    for (int i = 0; i < fetches; i++) {
      at += r.nextInt(3) == 0 ? r.nextInt(3 * PIECE) : 0; // a gap, or right after the last
      long end = at + 1 + r.nextInt(4 * PIECE);
      for (long s = at; s < end; ) {
        long e = Math.min(end, (s / PIECE + 1) * PIECE);
        pieces.put(s, r.nextInt(8) == 0
            ? new RangeList.Piece(e, 0, false)
            : new RangeList.Piece(e, r.nextInt(), true));
        s = e;
      }
      at = end;
    }
    return pieces;
  }

  private static TreeMap<Long, RangeList.Piece> parse(String text) {
    try {
      return RangeList.parse(text.lines().toList(), Long.MAX_VALUE);
    } catch (RangeList.Unreadable e) {
      throw new AssertionError(e.getMessage() + " in\n" + text, e);
    }
  }
}
