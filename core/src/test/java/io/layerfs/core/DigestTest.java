package io.layerfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class DigestTest {
  private static final Props P = Props.tries(1000);
  private static final Gen<String> SHA256_HEX = P.strings("0123456789abcdef", 64, 64);

  @Test
  void sha256RoundTrips() {
    P.qt().forAll(SHA256_HEX).checkAssert(hex -> {
      Digest d = Digest.parse("sha256:" + hex);
      assertEquals("sha256", d.algorithm());
      assertEquals(hex, d.hex());
      assertEquals("sha256:" + hex, d.toString());
      assertEquals(d, Digest.parse(d.toString()));
    });
  }

  @Test
  void sha512RoundTrips() {
    P.qt().forAll(P.byteArrays(0, 255)).checkAssert(data -> {
      Digest d = Digest.of("sha512", Digest.newMessageDigest("sha512").digest(data));
      assertEquals(128, d.hex().length());
      assertEquals(d, Digest.parse(d.toString()));
      assertEquals(0, d.compareTo(Digest.parse(d.toString())));
    });
  }

  @Test
  void rawBytesRoundTrip() {
    P.qt().forAll(P.byteArrays(0, 255)).checkAssert(data -> {
      Digest d = Digest.sha256(data);
      Digest again = Digest.of("sha256", Digest.newMessageDigest("sha256").digest(data));
      assertEquals(d, again);
      assertEquals(d.hashCode(), again.hashCode());
    });
  }

  @Test
  void rejectsUppercase() {
    P.qt().forAll(SHA256_HEX, P.ints(0, 63)).checkAssert((hex, at) -> {
      char c = hex.charAt(at);
      String upper = hex.substring(0, at) + (c >= 'a' ? Character.toUpperCase(c) : 'A')
          + hex.substring(at + 1);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:" + upper));
      assertTrue(e.getMessage().contains(upper), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> Digest.parse("SHA256:" + hex));
    });
  }

  @Test
  void rejectsShortAndLong() {
    Gen<String> wrongLengthHex = P.filter(P.strings("0123456789abcdef", 0, 300),
        s -> s.length() != 64 && s.length() != 128);
    P.qt().forAll(wrongLengthHex).checkAssert(hex -> {
      assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:" + hex));
      assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha512:" + hex));
    });
  }

  @Test
  void rejectsUnknownAlgorithms() {
    Gen<String> algorithms = P.oneOf(
        P.choose("md5", "sha1", "sha384", "blake3", "sha256+b64", "", "sha256 ", " sha256"),
        P.filter(P.strings(P.charRanges("AZaz09"), 0, 10),
            s -> !s.equals("sha256") && !s.equals("sha512")));
    P.qt().forAll(SHA256_HEX, algorithms).checkAssert((hex, algorithm) ->
        assertThrows(IllegalArgumentException.class, () -> Digest.parse(algorithm + ":" + hex)));
  }

  @Test
  void arbitraryStringsNeverParseUnlessCanonical() {
    P.qt().forAll(P.strings(P.anyChar(), 0, 255)).checkAssert(s -> {
      try {
        Digest d = Digest.parse(s);
        assertEquals(s, d.toString());
      } catch (IllegalArgumentException e) {
        assertTrue(e.getMessage().startsWith("invalid digest"), e.getMessage());
      }
    });
  }

  @Test
  void rejectsPathLikeStrings() {
    for (String s :
        new String[] {
          "sha256:../../etc",
          "sha256:../../etc/passwd",
          "sha256/../../x",
          "../sha256:" + "a".repeat(64),
          "sha256:" + "a".repeat(62) + "/.",
          "sha256:" + "a".repeat(63) + "\0",
          "sha256:" + "a".repeat(64) + "\n",
          "sha256:" + "a".repeat(64) + ":",
          "sha256:" + "g".repeat(64),
          "sha256::" + "a".repeat(63),
          "sha256",
          "",
          ":",
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Digest.parse(s), s);
      assertTrue(e.getMessage().contains("invalid digest"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> Digest.parse(null));
  }

  @Test
  void errorNamesTheBadString() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:../../etc"));
    assertTrue(e.getMessage().contains("'sha256:../../etc'"), e.getMessage());
  }

  @Test
  void knownVector() {
    assertEquals(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        Digest.sha256(new byte[0]).toString());
    assertEquals(
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        Digest.sha256("abc".getBytes(StandardCharsets.US_ASCII)).toString());
  }

  @Test
  void ofChecksLengthAndAlgorithm() {
    assertThrows(IllegalArgumentException.class, () -> Digest.of("sha256", new byte[31]));
    assertThrows(IllegalArgumentException.class, () -> Digest.of("sha512", new byte[32]));
    assertThrows(IllegalArgumentException.class, () -> Digest.of("md5", new byte[16]));
  }

  @Test
  void ordersByAlgorithmThenHex() {
    Digest a = Digest.parse("sha256:" + "0".repeat(64));
    Digest b = Digest.parse("sha256:" + "f".repeat(64));
    Digest c = Digest.parse("sha512:" + "0".repeat(128));
    assertTrue(a.compareTo(b) < 0);
    assertTrue(b.compareTo(c) < 0);
    assertNotEquals(a, b);
  }
}
