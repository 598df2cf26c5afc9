package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerfs.core.internal.NameBytes;
import io.layerfs.testing.Props;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The path order is the order of the names' bytes, as umoci and GNU tar sort them, also for
 * bytes that are not UTF-8: an escape ({@link NameBytes}) compared by its code point sorted
 * U+DC80 ("\x80") after "é", where its byte comes before, and a lazy search would then skip the
 * part of the tar that holds the name it looks for.
 */
class TarNamesTest {

  @Test
  void thePathOrderIsTheOrderOfTheBytes() {
    Props p = Props.tries(3000);
    // ASCII, a separator, "é", a pair (😀), escapes of a continuation byte and of lead bytes
    String alphabet = "a/\u00e9\ud83d\ude00\udc80\udcc3\udce9\udcf0\udcff";
    p.qt().forAll(p.strings(p.chars(alphabet), 0, 6), p.strings(p.chars(alphabet), 0, 6))
        .checkAssert((x, y) -> {
          String a = canonical(x);
          String b = canonical(y);
          int expected = Integer.signum(
              Arrays.compareUnsigned(NameBytes.encode(a), NameBytes.encode(b)));
          assertEquals(expected, Integer.signum(TarNames.compare(TarNames.Order.PATH, a, b)),
              a + " / " + b);
        });
  }

  @Test
  void anEscapedByteSortsAsItsByte() {
    assertEquals(-1, Integer.signum(TarNames.compare(TarNames.Order.PATH, "\udc80", "\u00e9")));
    String smile = "\ud83d\ude00"; // F0 9F 98 80, below the byte FF
    assertEquals(1, Integer.signum(TarNames.compare(TarNames.Order.PATH, "\udcff", smile)));
    // in a walk a separator still ends a component first
    assertEquals(-1, Integer.signum(TarNames.compare(TarNames.Order.WALK, "a/\udce9", "a\udc80")));
  }

  /** What bytes decode to: a name a tar can hold (escapes that spell UTF-8 are not one). */
  private static String canonical(String s) {
    String pairsWhole = s.replaceAll("\ud83d(?!\ude00)", "").replaceAll("(?<!\ud83d)\ude00", "");
    return NameBytes.decode(NameBytes.encode(pairsWhole));
  }
}
