package io.layerfs.core;

import io.layerfs.core.internal.Printable;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * A content digest as OCI descriptors write it: {@code sha256:<64 lowercase hex>} or {@code
 * sha512:<128 lowercase hex>}.
 *
 * <p>Parsing is strict because a digest becomes a file name in the content store: anything but
 * the two known algorithms followed by exactly the right number of lowercase hex digits is
 * rejected, so no digest string can ever name a path outside {@code blobs/<algorithm>/}.
 *
 * <p>Immutable and thread-safe. Ordered by algorithm, then hex.
 */
public final class Digest implements Comparable<Digest> {
  private static final String SHA256 = "sha256";
  private static final String SHA512 = "sha512";
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  // error messages quote the bad input, but never more than this much of it
  private static final int MAX_QUOTED = 200;

  private final String algorithm;
  private final String hex;

  private Digest(String algorithm, String hex) {
    this.algorithm = algorithm;
    this.hex = hex;
  }

  /**
   * Parses {@code sha256:<hex>} or {@code sha512:<hex>}.
   *
   * @throws IllegalArgumentException naming the string when it is not a valid digest
   */
  public static Digest parse(String s) {
    if (s == null) {
      throw new IllegalArgumentException("invalid digest: null");
    }
    int colon = s.indexOf(':');
    if (colon < 0) {
      throw invalid(s);
    }
    String algorithm = s.substring(0, colon);
    int length = hexLength(algorithm);
    if (length < 0 || s.length() - colon - 1 != length) {
      throw invalid(s);
    }
    for (int i = colon + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        throw invalid(s);
      }
    }
    return new Digest(algorithm.equals(SHA256) ? SHA256 : SHA512, s.substring(colon + 1));
  }

  /** The SHA-256 digest of {@code data}. */
  public static Digest sha256(byte[] data) {
    return of(SHA256, newMessageDigest(SHA256).digest(data));
  }

  /**
   * A digest from its algorithm ({@code sha256} or {@code sha512}) and raw digest bytes.
   *
   * @throws IllegalArgumentException if the algorithm is unknown or {@code raw} has the wrong
   *     length for it
   */
  public static Digest of(String algorithm, byte[] raw) {
    int length = hexLength(algorithm);
    if (length < 0) {
      throw new IllegalArgumentException("unknown digest algorithm: " + quote(algorithm));
    }
    if (raw.length * 2 != length) {
      throw new IllegalArgumentException(
          algorithm + " digest needs " + length / 2 + " bytes, got " + raw.length);
    }
    char[] chars = new char[length];
    for (int i = 0; i < raw.length; i++) {
      chars[2 * i] = HEX[(raw[i] >> 4) & 0xf];
      chars[2 * i + 1] = HEX[raw[i] & 0xf];
    }
    return new Digest(algorithm.equals(SHA256) ? SHA256 : SHA512, new String(chars));
  }

  /** A fresh JDK {@link MessageDigest} for {@code algorithm} ({@code sha256} or {@code sha512}). */
  public static MessageDigest newMessageDigest(String algorithm) {
    String jdkName;
    if (SHA256.equals(algorithm)) {
      jdkName = "SHA-256";
    } else if (SHA512.equals(algorithm)) {
      jdkName = "SHA-512";
    } else {
      throw new IllegalArgumentException("unknown digest algorithm: " + quote(algorithm));
    }
    try {
      return MessageDigest.getInstance(jdkName);
    } catch (NoSuchAlgorithmException e) {
      // every Java platform must provide SHA-256 and SHA-512
      throw new IllegalStateException(e);
    }
  }

  /** A fresh hasher for this digest's algorithm. */
  public MessageDigest newMessageDigest() {
    return newMessageDigest(algorithm);
  }

  /** {@code sha256} or {@code sha512}. */
  public String algorithm() {
    return algorithm;
  }

  /** The lowercase hex digits. */
  public String hex() {
    return hex;
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest other && algorithm.equals(other.algorithm) && hex.equals(other.hex);
  }

  @Override
  public int hashCode() {
    return Objects.hash(algorithm, hex);
  }

  @Override
  public int compareTo(Digest o) {
    int c = algorithm.compareTo(o.algorithm);
    return c != 0 ? c : hex.compareTo(o.hex);
  }

  private static int hexLength(String algorithm) {
    if (SHA256.equals(algorithm)) {
      return 64;
    }
    if (SHA512.equals(algorithm)) {
      return 128;
    }
    return -1;
  }

  private static IllegalArgumentException invalid(String s) {
    return new IllegalArgumentException("invalid digest: " + quote(s));
  }

  private static String quote(String s) {
    if (s == null) {
      return "null";
    }
    String shown = s.length() > MAX_QUOTED ? s.substring(0, MAX_QUOTED) + "..." : s;
    // shown, not obeyed: a newline or a terminal escape in a digest a registry sent would
    // break the error's one line or write to the user's terminal
    return "'" + Printable.shown(shown) + "'";
  }
}
