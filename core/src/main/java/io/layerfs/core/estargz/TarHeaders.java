package io.layerfs.core.estargz;

import java.nio.charset.StandardCharsets;

/** ustar headers for the entries the eStargz writer adds itself: the landmark and the TOC. */
final class TarHeaders {
  private TarHeaders() {}

  /** A ustar header of a regular file owned by root, with no time, as Go's writer makes it. */
  static byte[] regular(String name, long size, int mode) {
    byte[] h = new byte[RawTarReader.BLOCK];
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    if (n.length > 100) {
      throw new IllegalArgumentException("name too long for a ustar header: " + name);
    }
    System.arraycopy(n, 0, h, 0, n.length);
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, 0);
    h[156] = '0';
    System.arraycopy("ustar\0".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 6);
    h[263] = '0';
    h[264] = '0';
    long sum = 0;
    for (int i = 0; i < h.length; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
    }
    octal(h, 148, 7, sum);
    h[155] = ' ';
    return h;
  }

  /** {@code len - 1} octal digits, zero-padded, then a NUL. */
  private static void octal(byte[] h, int off, int len, long v) {
    String s = Long.toOctalString(v);
    if (s.length() > len - 1) {
      throw new IllegalArgumentException("value too large for a ustar field: " + v);
    }
    s = "0".repeat(len - 1 - s.length()) + s;
    System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
    h[off + len - 1] = 0;
  }
}
