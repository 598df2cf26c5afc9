package io.layerfs.core.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * File names as the bytes a tar holds, kept exactly in a {@code String}: UTF-8 where the bytes
 * are UTF-8, and each byte that is not as the lone surrogate {@code U+DC80..U+DCFF} (the scheme
 * of Python's {@code surrogateescape}, PEP 383). Linux names are bytes, and Docker and umoci
 * keep them as they are; a decoder that replaced such bytes with {@code ?} or {@code U+FFFD}
 * would make two files one and rename them on commit.
 *
 * <p>The mapping is one to one on the strings {@link #isCanonical} accepts: those that decode
 * from some bytes. A string whose escapes spell valid UTF-8 ({@code "\uDCC3\uDCA9"}, the bytes
 * of "é") is not canonical; callers that take names from users refuse it.
 */
public final class NameBytes {
  private static final char FIRST_ESCAPE = '\uDC80';
  private static final char LAST_ESCAPE = '\uDCFF';

  private NameBytes() {}

  /** The name held in {@code bytes}. */
  public static String decode(byte[] bytes) {
    return decode(bytes, 0, bytes.length);
  }

  /** The name held in {@code len} bytes of {@code b} from {@code off}. */
  public static String decode(byte[] b, int off, int len) {
    String s = new String(b, off, len, StandardCharsets.UTF_8);
    // malformed input decodes to U+FFFD: a name without one (nearly all of them) was UTF-8
    return s.indexOf('\uFFFD') < 0 ? s : decodeEscaping(ByteBuffer.wrap(b, off, len));
  }

  /** The bytes of {@code name}: UTF-8, each escape its own byte. */
  public static byte[] encode(String name) {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    // the JDK writes '?' for a lone surrogate: a name without '?' had none
    for (byte x : utf8) {
      if (x == '?') {
        return hasSurrogate(name) ? encodeEscaping(name) : utf8;
      }
    }
    return utf8;
  }

  /**
   * {@code text} with each escape as U+FFFD, for output that must be UTF-8 (JSON), as Go's
   * {@code encoding/json} writes such bytes.
   */
  public static String replacingEscapes(String text) {
    StringBuilder b = null;
    for (int i = 0; i < text.length(); i++) {
      if (isEscape(text.charAt(i)) && !paired(text, i)) {
        if (b == null) {
          b = new StringBuilder(text);
        }
        b.setCharAt(i, '\uFFFD');
      }
    }
    return b == null ? text : b.toString();
  }

  /** Whether {@code c} stands for one byte that is not UTF-8. */
  public static boolean isEscape(char c) {
    return c >= FIRST_ESCAPE && c <= LAST_ESCAPE;
  }

  /**
   * Whether {@code name} is what some bytes decode to: no NUL test here, only surrogates, which
   * must pair or be escapes that do not together spell UTF-8.
   */
  public static boolean isCanonical(String name) {
    boolean escapes = false;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < name.length()
          && Character.isLowSurrogate(name.charAt(i + 1))) {
        i++;
      } else if (isEscape(c)) {
        escapes = true;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return !escapes || decode(encode(name)).equals(name);
  }

  /** Whether {@code s} holds an escape: a byte of a name that is not UTF-8. */
  public static boolean hasEscape(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (isEscape(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code s} holds a surrogate (an escape, or half of a pair). */
  public static boolean hasSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static String decodeEscaping(ByteBuffer in) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    CharBuffer out = CharBuffer.allocate(in.remaining());
    while (true) {
      CoderResult r = decoder.decode(in, out, true);
      if (r.isUnderflow()) {
        break;
      }
      if (!r.isError()) {
        throw new IllegalStateException(r.toString()); // cannot overflow: a byte makes <= 1 char
      }
      for (int k = 0; k < r.length(); k++) {
        out.put((char) (0xDC00 | (in.get() & 0xff)));
      }
    }
    decoder.flush(out);
    return out.flip().toString();
  }

  private static byte[] encodeEscaping(String name) {
    ByteBuffer out = ByteBuffer.allocate(name.length() * 3);
    int start = 0;
    for (int i = 0; i <= name.length(); i++) {
      if (i == name.length() || isEscape(name.charAt(i)) && !paired(name, i)) {
        out.put(utf8(name.substring(start, i)));
        if (i < name.length()) {
          out.put((byte) name.charAt(i));
        }
        start = i + 1;
      }
    }
    byte[] bytes = new byte[out.position()];
    out.flip().get(bytes);
    return bytes;
  }

  /** Whether the low surrogate at {@code i} pairs with a high one before it. */
  private static boolean paired(String s, int i) {
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  private static byte[] utf8(String s) {
    try {
      ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(s));
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      return bytes;
    } catch (CharacterCodingException e) {
      // a surrogate that neither pairs nor escapes a byte: no bytes decode to it
      throw new IllegalArgumentException("not a file name (a lone surrogate): " + s, e);
    }
  }
}
