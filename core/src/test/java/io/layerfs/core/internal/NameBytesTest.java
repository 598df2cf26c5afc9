package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NameBytesTest {

  /** Any bytes a tar may hold come back from their name as they were. */
  @Test
  void everyByteSequenceRoundTrips() {
    Props p = Props.tries(2000);
    p.qt().forAll(p.byteArrays(0, 40)).checkAssert(bytes -> {
      String name = NameBytes.decode(bytes);
      assertArrayEquals(bytes, NameBytes.encode(name));
      assertTrue(NameBytes.isCanonical(name), name);
    });
  }

  /** Bytes that are UTF-8, mixed with a few that are not, as names in real layers are. */
  @Test
  void utf8WithStrayBytesRoundTripsAndKeepsTheText() {
    Props p = Props.tries(1000);
    p.qt().forAll(p.strings(p.anyChar(), 0, 20), p.byteArrays(0, 3), p.ints(0, 20))
        .checkAssert((text, stray, at) -> {
          String valid = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
          byte[] utf8 = valid.getBytes(StandardCharsets.UTF_8);
          int cut = Math.min(at, utf8.length);
          byte[] bytes = new byte[utf8.length + stray.length];
          System.arraycopy(utf8, 0, bytes, 0, cut);
          System.arraycopy(stray, 0, bytes, cut, stray.length);
          System.arraycopy(utf8, cut, bytes, cut + stray.length, utf8.length - cut);
          assertArrayEquals(bytes, NameBytes.encode(NameBytes.decode(bytes)));
          // UTF-8 alone decodes and encodes as the JDK does
          assertEquals(valid, NameBytes.decode(utf8));
          assertArrayEquals(utf8, NameBytes.encode(valid));
        });
  }

  /** A string is a name only if bytes decode to it; those that do come back the same. */
  @Test
  void canonicalStringsRoundTrip() {
    Props p = Props.tries(2000);
    // escapes, pairs, halves of pairs, and escapes that together spell "é"
    String alphabet = "a?\u00e9\ud83d\ude00\udce9\udcc3\udca9\udc41\udcff";
    p.qt().forAll(p.strings(p.chars(alphabet), 0, 12))
        .checkAssert(s -> {
          if (NameBytes.isCanonical(s)) {
            assertEquals(s, NameBytes.decode(NameBytes.encode(s)));
          }
        });
  }

  @Test
  void escapesAreTheBytesAndOnlyThose() {
    byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9};
    assertEquals("caf\udce9", NameBytes.decode(latin1));
    assertArrayEquals(latin1, NameBytes.encode("caf\udce9"));
    assertEquals("caf?", NameBytes.decode(new byte[] {'c', 'a', 'f', '?'}));
    assertEquals("caf\ufffd", NameBytes.decode("caf\ufffd".getBytes(StandardCharsets.UTF_8)));
    assertEquals("😀", NameBytes.decode("😀".getBytes(StandardCharsets.UTF_8)));
    assertTrue(NameBytes.isCanonical("a\udcff?😀"));
    // the escapes of "é"'s two bytes spell UTF-8: "é" is the name of those bytes
    assertFalse(NameBytes.isCanonical("\udcc3\udca9"));
    assertFalse(NameBytes.isCanonical("a\ud800"), "a lone high surrogate escapes nothing");
    assertFalse(NameBytes.isCanonical("\udc41"), "U+DC41 would be 'A', which has a name");
    assertEquals("caf\ufffd \ud83d\ude00 ok", NameBytes.replacingEscapes("caf\udce9 😀 ok"));
    String plain = "no escape";
    assertTrue(plain == NameBytes.replacingEscapes(plain), "the same string when none");
  }
}
