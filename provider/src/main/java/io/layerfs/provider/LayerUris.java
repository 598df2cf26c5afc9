package io.layerfs.provider;

import io.layerfs.core.internal.NameBytes;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;

/**
 * The URI form of layerfs paths: {@code layerfs://NAME/abs/path}.
 *
 * <p>The path is percent-encoded as the JDK encodes {@code file:} URIs on Unix: every UTF-8 byte
 * outside RFC 2396 {@code pchar}, {@code ;} and {@code /} becomes {@code %XX} (upper-case hex), so
 * {@code %}, {@code #}, {@code ?}, spaces and non-ASCII are always escaped. Unlike the JDK, no
 * trailing slash is added for directories: that would need I/O. The name is escaped too, except
 * for ASCII letters, digits and {@code -_.~} (all a container name may hold), so that any name
 * round-trips.
 *
 * <p>Decoding accepts escaped or raw characters (a URI built from a string may hold raw non-ASCII)
 * and requires valid UTF-8. Stateless.
 */
final class LayerUris {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  // RFC 2396 pchar plus ";" and "/", minus "%": what the JDK leaves unescaped in file URIs
  private static final String PATH_SAFE = "-_.!~*'():@&=+$,;/";
  private static final String NAME_SAFE = "-_.~";

  private LayerUris() {}

  /** The URI of {@code absolutePath} (not normalized: "." and ".." stay) in file system NAME. */
  static URI uri(String scheme, String name, String absolutePath) {
    StringBuilder sb = new StringBuilder(scheme).append("://");
    escape(sb, name, NAME_SAFE);
    escape(sb, absolutePath, PATH_SAFE);
    try {
      return new URI(sb.toString());
    } catch (URISyntaxException e) {
      throw new AssertionError("escaped URI did not parse: " + sb, e);
    }
  }

  /**
   * The decoded path of a URI of file system {@code name}.
   *
   * @throws IllegalArgumentException when the URI is not a hierarchical URI of that scheme and
   *     name with a path and without query or fragment, or its path holds NUL (bytes that are not
   *     UTF-8 are a name's own: see {@code NameBytes})
   */
  static String path(String scheme, String name, URI uri) {
    if (!uri.isAbsolute()) {
      throw new IllegalArgumentException("URI is not absolute: " + uri);
    }
    if (uri.isOpaque()) {
      throw new IllegalArgumentException("URI is not hierarchical: " + uri);
    }
    if (!scheme.equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("URI scheme is not \"" + scheme + "\": " + uri);
    }
    if (!name.equals(uri.getAuthority())) {
      throw new IllegalArgumentException("URI authority is not \"" + name + "\": " + uri);
    }
    if (uri.getRawFragment() != null) {
      throw new IllegalArgumentException("URI has a fragment component: " + uri);
    }
    if (uri.getRawQuery() != null) {
      throw new IllegalArgumentException("URI has a query component: " + uri);
    }
    String raw = uri.getRawPath();
    if (raw == null || raw.isEmpty()) {
      throw new IllegalArgumentException("URI path component is empty: " + uri);
    }
    String decoded = decode(raw, uri);
    if (decoded.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(LayerPath.NUL_MESSAGE + ": " + uri);
    }
    return decoded;
  }

  private static void escape(StringBuilder sb, String s, String safe) {
    for (byte b : NameBytes.encode(s)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || safe.indexOf(c) >= 0) {
        sb.append(c);
      } else {
        sb.append('%').append(HEX[(b >> 4) & 0x0f]).append(HEX[b & 0x0f]);
      }
    }
  }

  private static String decode(String raw, URI uri) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); ) {
      char c = raw.charAt(i);
      if (c == '%') {
        int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
        int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("Bad escape in URI path: " + uri);
        }
        bytes.write((hi << 4) | lo);
        i += 3;
      } else {
        int cp = raw.codePointAt(i);
        byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        bytes.write(utf8, 0, utf8.length);
        i += Character.charCount(cp);
      }
    }
    // bytes that are not UTF-8 are a name's own, as toUri escaped them (NameBytes)
    return NameBytes.decode(bytes.toByteArray());
  }
}
