package io.layerfs.core.rootfs;

import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds small tar archives in memory for tests (independent of ImageBuilder). */
final class TestTars {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream out;

  TestTars() {
    out = new TarArchiveOutputStream(bytes, "UTF-8");
    out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  /** Uses GNU long-name entries ('L'/'K') instead of PAX for long names. */
  TestTars gnuLongNames() {
    out.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
    return this;
  }

  TestTars file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  TestTars file(String name, byte[] content, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(content.length);
    e.setMode(0100000 | mode);
    return put(e, content);
  }

  TestTars dir(String name, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
    e.setMode(040000 | mode);
    return put(e, null);
  }

  TestTars symlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
    e.setLinkName(target);
    e.setMode(0120777);
    return put(e, null);
  }

  TestTars hardlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK);
    e.setLinkName(target);
    return put(e, null);
  }

  TestTars device(String name, byte type, int major, int minor) {
    TarArchiveEntry e = new TarArchiveEntry(name, type);
    e.setDevMajor(major);
    e.setDevMinor(minor);
    e.setMode(0600);
    return put(e, null);
  }

  /** Adds an entry with metadata set by the caller (PAX headers etc.). */
  TestTars entry(TarArchiveEntry e, byte[] content) {
    return put(e, content);
  }

  TestTars withPax(String name, String content, Map<String, String> pax) {
    byte[] c = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(c.length);
    pax.forEach(e::addPaxHeader);
    return put(e, c);
  }

  private TestTars put(TarArchiveEntry e, byte[] content) {
    try {
      out.putArchiveEntry(e);
      if (content != null) {
        out.write(content);
      }
      out.closeArchiveEntry();
      return this;
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  byte[] bytes() {
    try {
      out.finish();
      out.close();
      return bytes.toByteArray();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  /**
   * A raw 512-byte ustar header with a valid checksum; {@code size} is written in octal, or in
   * base-256 when {@code base256}.
   */
  static byte[] rawHeader(String name, byte type, long size, boolean base256) {
    byte[] h = new byte[512];
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(n, 0, h, 0, Math.min(100, n.length));
    octal(h, 100, 8, 0644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    if (base256) {
      h[124] = (byte) 0x80;
      for (int i = 0; i < 8; i++) {
        h[135 - i] = (byte) (size >>> (8 * i));
      }
    } else {
      octal(h, 124, 12, size);
    }
    octal(h, 136, 12, 0);
    h[156] = type;
    System.arraycopy("ustar\00000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    return h;
  }

  private static void octal(byte[] h, int off, int len, long v) {
    String s = Long.toOctalString(v);
    while (s.length() < len - 1) {
      s = "0" + s;
    }
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, len - 1);
    h[off + len - 1] = 0;
  }

  /** Pads to a 512 multiple. */
  static byte[] pad(byte[] data) {
    byte[] r = new byte[(data.length + 511) / 512 * 512];
    System.arraycopy(data, 0, r, 0, data.length);
    return r;
  }

  /** One PAX record "LEN key=value\n" with raw value bytes. */
  static byte[] paxRecord(String key, byte[] value) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int body = 1 + k.length + 1 + value.length + 1;
    int len = body + Integer.toString(body).length();
    if (Integer.toString(len).length() != Integer.toString(body).length()) {
      len++;
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes((len + " " + key + "=").getBytes(StandardCharsets.UTF_8));
    b.writeBytes(value);
    b.write('\n');
    return b.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }
}
