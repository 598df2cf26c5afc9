package io.layerfs.core.estargz;

import io.layerfs.core.internal.NameBytes;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a tar block by block, keeping each entry's header blocks exactly as they are (meta
 * entries included: PAX {@code x} and {@code g} records, GNU long names and links) and parsing
 * what a TOC entry records. The eStargz writer copies headers and payloads through unchanged, so
 * every tool sees the entries it would see in the original layer.
 *
 * <p>Not thread-safe; one per tar.
 */
public final class RawTarReader {
  static final int BLOCK = 512;
  /** A time the entry does not give. */
  public static final long NO_TIME = Long.MIN_VALUE;
  /** Meta entries (PAX records, long names) larger than this are refused. */
  private static final int MAX_META = 1 << 20;

  /** One entry: its raw header blocks and what the TOC needs of them. */
  public static final class Entry {
    byte[] header;
    public String name;
    public char type;
    public long size;
    long mode;
    long uid;
    long gid;
    String uname = "";
    String gname = "";
    long mtimeSeconds;
    public String linkName = "";
    long devMajor;
    long devMinor;
    Map<String, byte[]> xattrs = new LinkedHashMap<>();
    // PAX times with their fractions, or NO_TIME
    long mtimeNanos;
    long atimeNanos = NO_TIME;
    long ctimeNanos = NO_TIME;

    /** Permission bits and setuid/setgid/sticky. */
    public int mode() {
      return (int) (mode & 07777);
    }

    public int uid() {
      return (int) uid;
    }

    public int gid() {
      return (int) gid;
    }

    public String userName() {
      return uname;
    }

    public String groupName() {
      return gname;
    }

    /** Modification time in nanoseconds (a PAX {@code mtime}'s fraction kept). */
    public long mtimeNanos() {
      return mtimeNanos;
    }

    /** PAX {@code atime} in nanoseconds, or {@link #NO_TIME}. */
    public long atimeNanos() {
      return atimeNanos;
    }

    /** PAX {@code ctime} in nanoseconds, or {@link #NO_TIME}. */
    public long ctimeNanos() {
      return ctimeNanos;
    }

    public int devMajor() {
      return (int) devMajor;
    }

    public int devMinor() {
      return (int) devMinor;
    }

    /** The {@code SCHILY.xattr.*} records (the map itself). */
    public Map<String, byte[]> xattrs() {
      return xattrs;
    }

    public boolean isRegular() {
      return type == '0' || type == '\0' || type == '7';
    }
  }

  /** A well-formed entry of a kind this reader does not take (a sparse file). */
  public static final class Unsupported extends IOException {
    Unsupported(String message) {
      super(message);
    }
  }

  private final InputStream in;
  private long offset;
  private long payloadLeft;

  public RawTarReader(InputStream in) {
    this.in = in;
  }

  /** The uncompressed offset of the next byte to be read. */
  public long offset() {
    return offset;
  }

  /**
   * The next entry, or null at the end of the archive (two zero blocks, or the end of the stream
   * after one; the rest of the stream is left unread). The previous entry's payload must have
   * been read or skipped.
   */
  public Entry next() throws IOException {
    if (payloadLeft != 0) {
      throw new IllegalStateException("payload not consumed");
    }
    java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
    Map<String, String> pax = new LinkedHashMap<>();
    Map<String, byte[]> paxXattrs = new LinkedHashMap<>();
    String longName = null;
    String longLink = null;
    while (true) {
      long at = offset;
      byte[] block = readBlock(true);
      if (block == null || isZero(block)) {
        if (raw.size() != 0) {
          throw new IOException("tar ends after meta entries, at offset " + at);
        }
        return null;
      }
      checkChecksum(block, at);
      raw.write(block);
      char type = (char) block[156];
      long size = number(block, 124, 12, at);
      if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
        if (size < 0 || size > MAX_META) {
          throw new IOException("tar meta entry of " + size + " bytes at offset " + at);
        }
        byte[] data = readPadded((int) size, raw);
        if (type == 'x') {
          parsePax(data, pax, paxXattrs, at);
        } else if (type == 'L') {
          longName = cString(data, 0, data.length);
        } else if (type == 'K') {
          longLink = cString(data, 0, data.length);
        }
        continue;
      }
      Entry e = new Entry();
      e.header = raw.toByteArray();
      e.type = type;
      String name = cString(block, 0, 100);
      String prefix = cString(block, 345, 155);
      if (!prefix.isEmpty() && isUstar(block)) {
        name = prefix + "/" + name;
      }
      e.name = pax.getOrDefault("path", longName != null ? longName : name);
      e.linkName = pax.getOrDefault("linkpath",
          longLink != null ? longLink : cString(block, 157, 100));
      e.mode = number(block, 100, 8, at);
      e.uid = paxNumber(pax, "uid", number(block, 108, 8, at), at);
      e.gid = paxNumber(pax, "gid", number(block, 116, 8, at), at);
      e.size = paxNumber(pax, "size", size, at);
      if (e.size < 0) {
        throw new IOException("negative size in tar header at offset " + at);
      }
      String mtime = pax.get("mtime");
      e.mtimeSeconds = mtime != null ? paxSeconds(mtime, at) : number(block, 136, 12, at);
      e.mtimeNanos = mtime != null ? paxNanos(mtime, "mtime", at) : e.mtimeSeconds * 1_000_000_000L;
      String atime = pax.get("atime");
      e.atimeNanos = atime != null ? paxNanos(atime, "atime", at) : NO_TIME;
      String ctime = pax.get("ctime");
      e.ctimeNanos = ctime != null ? paxNanos(ctime, "ctime", at) : NO_TIME;
      e.uname = pax.getOrDefault("uname", cString(block, 265, 32));
      e.gname = pax.getOrDefault("gname", cString(block, 297, 32));
      if (type == '3' || type == '4') {
        e.devMajor = number(block, 329, 8, at);
        e.devMinor = number(block, 337, 8, at);
      }
      e.xattrs = paxXattrs;
      if (type == 'S' || isPaxSparse(pax)) {
        // a PAX sparse file's payload starts with its map: read as data it would be wrong bytes
        throw new Unsupported("sparse tar entries are not supported: '"
            + pax.getOrDefault("GNU.sparse.name", e.name) + "'");
      }
      // header-only types carry no payload whatever their size field says, as Go's reader
      boolean headerOnly = "123456".indexOf(type) >= 0;
      payloadLeft = headerOnly ? 0 : e.size;
      if (headerOnly) {
        e.size = 0;
      }
      return e;
    }
  }

  /** Payload bytes of the current entry still to read. */
  public long payloadLeft() {
    return payloadLeft;
  }

  /** Reads up to {@code len} payload bytes of the current entry; -1 when it is all read. */
  public int readPayload(byte[] b, int off, int len) throws IOException {
    if (payloadLeft == 0) {
      return -1;
    }
    int n = in.read(b, off, (int) Math.min(len, payloadLeft));
    if (n < 0) {
      throw new EOFException("tar ends inside an entry's data, at offset " + offset);
    }
    payloadLeft -= n;
    offset += n;
    return n;
  }

  /**
   * Skips the rest of the current entry's payload through the stream's {@link InputStream#skip},
   * so a stream that can move without copying (a file, an inflater's frontier) does.
   */
  public void skipPayload() throws IOException {
    while (payloadLeft > 0) {
      long n = in.skip(payloadLeft);
      if (n <= 0) {
        // skip may stop short anywhere: a read tells the end of the stream apart
        if (in.read() < 0) {
          throw new EOFException("tar ends inside an entry's data, at offset " + offset);
        }
        n = 1;
      }
      payloadLeft -= n;
      offset += n;
    }
  }

  /** The padding after the current entry's payload (which must be fully read), as raw bytes. */
  public byte[] readPadding(long payloadSize) throws IOException {
    int pad = (int) ((BLOCK - payloadSize % BLOCK) % BLOCK);
    byte[] b = in.readNBytes(pad);
    if (b.length != pad) {
      throw new EOFException("tar ends inside padding, at offset " + offset);
    }
    offset += pad;
    return b;
  }

  private byte[] readPadded(int size, java.io.ByteArrayOutputStream raw) throws IOException {
    int padded = (size + BLOCK - 1) / BLOCK * BLOCK;
    byte[] b = in.readNBytes(padded);
    if (b.length != padded) {
      throw new EOFException("tar ends inside a meta entry, at offset " + offset);
    }
    offset += padded;
    raw.write(b);
    return Arrays.copyOf(b, size);
  }

  private byte[] readBlock(boolean endOk) throws IOException {
    byte[] b = in.readNBytes(BLOCK);
    if (b.length == 0 && endOk) {
      return null;
    }
    if (b.length != BLOCK) {
      throw new EOFException("tar ends inside a header, at offset " + offset);
    }
    offset += BLOCK;
    return b;
  }

  private static boolean isZero(byte[] block) {
    for (byte x : block) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isUstar(byte[] block) {
    return block[257] == 'u' && block[258] == 's' && block[259] == 't' && block[260] == 'a'
        && block[261] == 'r' && block[262] == 0;
  }

  private static void checkChecksum(byte[] block, long at) throws IOException {
    long stored = number(block, 148, 8, at);
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (block[i] & 0xff);
    }
    if (stored != sum) {
      throw new IOException("bad tar header checksum at offset " + at);
    }
  }

  /** An octal field, or a base-256 one (high bit of the first byte set), as GNU tar writes. */
  static long number(byte[] b, int off, int len, long at) throws IOException {
    if ((b[off] & 0x80) != 0) {
      long v = b[off] & 0x7f;
      for (int i = 1; i < len; i++) {
        if ((v >>> 55) != 0) {
          throw new IOException("tar number overflows at offset " + at);
        }
        v = (v << 8) | (b[off + i] & 0xff);
      }
      return v;
    }
    long v = 0;
    int i = off;
    int end = off + len;
    while (i < end && (b[i] == ' ' || b[i] == 0)) {
      i++;
    }
    for (; i < end && b[i] >= '0' && b[i] <= '7'; i++) {
      v = v * 8 + (b[i] - '0');
    }
    return v;
  }

  private static String cString(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && b[end] != 0) {
      end++;
    }
    return NameBytes.decode(b, off, end - off); // names keep bytes that are not UTF-8
  }

  private static void parsePax(byte[] data, Map<String, String> pax,
      Map<String, byte[]> xattrs, long at) throws IOException {
    int i = 0;
    while (i < data.length) {
      int sp = i;
      while (sp < data.length && data[sp] != ' ') {
        sp++;
      }
      int len;
      try {
        len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
      } catch (NumberFormatException e) {
        throw new IOException("malformed PAX record at offset " + at);
      }
      if (len <= sp - i + 1 || i + len > data.length || data[i + len - 1] != '\n') {
        throw new IOException("malformed PAX record at offset " + at);
      }
      int eq = sp + 1;
      while (eq < i + len && data[eq] != '=') {
        eq++;
      }
      if (eq >= i + len) {
        throw new IOException("malformed PAX record at offset " + at);
      }
      String key = new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
      byte[] value = Arrays.copyOfRange(data, eq + 1, i + len - 1);
      if (key.startsWith("SCHILY.xattr.")) {
        xattrs.put(key.substring("SCHILY.xattr.".length()), value);
      } else {
        pax.put(key, NameBytes.decode(value));
      }
      i += len;
    }
  }

  /** GNU tar's PAX sparse formats (0.0, 0.1 and 1.0) all record {@code GNU.sparse.*} keys. */
  private static boolean isPaxSparse(Map<String, String> pax) {
    for (String key : pax.keySet()) {
      if (key.startsWith("GNU.sparse.")) {
        return true;
      }
    }
    return false;
  }

  private static long paxNumber(Map<String, String> pax, String key, long fallback, long at)
      throws IOException {
    String v = pax.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IOException("malformed PAX " + key + " '" + v + "' at offset " + at);
    }
  }

  private static long paxNanos(String v, String key, long at) throws IOException {
    try {
      return new java.math.BigDecimal(v.trim()).movePointRight(9)
          .setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IOException("malformed PAX " + key + " '" + v + "' at offset " + at);
    }
  }

  private static long paxSeconds(String v, long at) throws IOException {
    try {
      return new java.math.BigDecimal(v.trim()).setScale(0, java.math.RoundingMode.FLOOR)
          .longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IOException("malformed PAX mtime '" + v + "' at offset " + at);
    }
  }
}
