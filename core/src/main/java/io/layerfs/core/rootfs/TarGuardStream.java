package io.layerfs.core.rootfs;

import io.layerfs.core.Limits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The stream a {@link TarIndexer} hands to Commons Compress: counts bytes, follows the tar record
 * structure on its own, and refuses what would make the tar reader allocate without bound.
 *
 * <p>Why a second, minimal tar parser: {@code TarArchiveInputStream} buffers a GNU long name or a
 * PAX header entry whole, whatever size its header claims, so a 4 GiB "long name" (a few MiB of
 * gzip) is an OOM. Following the headers here lets us reject such meta entries (GNU {@code L}/
 * {@code K}, PAX {@code x}/{@code g}) above the {@code headerBytes} limit before a byte of
 * them is buffered. The same walk yields, for free: the byte offset at which each entry's data
 * starts (checked against the count when Commons Compress returns the entry, so the two parsers
 * cannot silently disagree), and the raw bytes of PAX {@code SCHILY.xattr.*} values, which
 * Commons Compress decodes as UTF-8 and so mangles for binary attributes such as {@code
 * security.capability}, and of PAX {@code path} and {@code linkpath}, which it decodes likewise:
 * names that are not UTF-8 keep their bytes ({@link io.layerfs.core.internal.NameBytes}).
 *
 * <p>{@link #skip} reads rather than skips, so a hashing stream below sees every byte.
 */
final class TarGuardStream extends InputStream {

  /** Marks a PAX time the last entry did not have. */
  static final long NO_TIME = Long.MIN_VALUE;

  private static final String[] TIME_KEYS = {"mtime", "atime", "ctime"};

  private static final String XATTR_PREFIX = "SCHILY.xattr.";

  /** The PAX keys whose values are names, kept as bytes: see {@link #entryPaxName}. */
  static final String[] NAME_KEYS = {"path", "linkpath", "uname", "gname"};

  private final InputStream in;
  private final Limits limits;
  // largest GNU long name / long link / PAX header entry accepted
  private final int maxMetaSize;
  private long count;
  private final byte[] header = new byte[512];
  private int headerFill;
  private long dataRemaining;
  private ByteArrayOutputStream capture;
  private boolean captureGlobal;
  private boolean ended;

  private Map<String, byte[]> pendingXattrs;
  private long pendingSize = -1;
  private long globalSize = -1;
  private boolean pendingSparse;
  private final long[] pendingTimes = {NO_TIME, NO_TIME, NO_TIME};
  private final long[] entryTimes = {NO_TIME, NO_TIME, NO_TIME};

  private Map<String, byte[]> entryXattrs = Map.of();
  // raw PAX values of the keys in NAME_KEYS, by their index there
  private final byte[][] pendingNames = new byte[NAME_KEYS.length][];
  private final byte[][] entryNames = new byte[NAME_KEYS.length][];
  private long entryDataStart = -1;

  // checksums of file data: the bytes stream through here anyway (package documentation)
  private final ChunkSums sums = new ChunkSums();
  private final CRC32C chunkCrc = new CRC32C();
  private long fileRemaining;
  private int chunkFill;
  private int entryFirstSum = -1;
  private final byte[] scratch = new byte[8192];

  TarGuardStream(InputStream in, Limits limits) {
    this.in = in;
    this.limits = limits;
    this.maxMetaSize = (int) limits.headerBytes();
  }

  /** Bytes read so far. */
  long count() {
    return count;
  }

  /** Offset of the data of the last non-meta entry whose header was read, or -1. */
  long entryDataStart() {
    return entryDataStart;
  }

  /**
   * The PAX {@code mtime}, {@code atime}, {@code ctime} of the last entry in nanoseconds, or {@link
   * #NO_TIME}: parsed exactly here, as Commons Compress rounds them through a double.
   */
  long entryPaxTime(int which) {
    return entryTimes[which];
  }

  /** Checksums of the file data read so far, per 64 KiB chunk. */
  ChunkSums sums() {
    return sums;
  }

  /** Index in {@link #sums} of the first chunk of the last non-meta entry's data. */
  int entryFirstSum() {
    return entryFirstSum;
  }

  /** The raw PAX value of {@code NAME_KEYS[which]} for the last entry, or null. */
  byte[] entryPaxName(int which) {
    return entryNames[which];
  }

  /** Raw {@code SCHILY.xattr.*} values of the last entry (key without the prefix). */
  Map<String, byte[]> entryXattrs() {
    return entryXattrs;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      count += n;
      scan(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long done = 0;
    while (done < n) {
      int r = read(scratch, 0, (int) Math.min(scratch.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  @Override
  public int available() throws IOException {
    return in.available();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /**
   * Reads the rest of the stream (trailer blocks, padding) and discards it.
   *
   * @throws IOException if the tar ended inside a header or inside an entry's data
   */
  void drain() throws IOException {
    while (read(scratch, 0, scratch.length) >= 0) {
      // discard
    }
    if (!ended && (headerFill != 0 || dataRemaining != 0)) {
      throw new IOException("truncated tar: the stream ends inside "
          + (headerFill != 0 ? "a header" : "an entry's data") + " at offset " + count);
    }
  }

  private void scan(byte[] b, int off, int n) throws IOException {
    int pos = off;
    int end = off + n;
    while (pos < end && !ended) {
      if (dataRemaining > 0) {
        int k = (int) Math.min(dataRemaining, end - pos);
        if (fileRemaining > 0) {
          sum(b, pos, (int) Math.min(k, fileRemaining));
        }
        if (capture != null) {
          int want = Math.max(0, Math.min(k, maxMetaSize - capture.size()));
          capture.write(b, pos, want);
        }
        dataRemaining -= k;
        pos += k;
        if (dataRemaining == 0 && capture != null) {
          finishCapture();
        }
      } else {
        int k = Math.min(512 - headerFill, end - pos);
        System.arraycopy(b, pos, header, headerFill, k);
        headerFill += k;
        pos += k;
        if (headerFill == 512) {
          headerFill = 0;
          onHeader();
        }
      }
    }
  }

  /** Adds {@code n} bytes of file data to the running chunk checksums. */
  private void sum(byte[] b, int off, int n) {
    while (n > 0) {
      int k = Math.min(n, ChunkSums.CHUNK - chunkFill);
      chunkCrc.update(b, off, k);
      chunkFill += k;
      fileRemaining -= k;
      off += k;
      n -= k;
      if (chunkFill == ChunkSums.CHUNK || fileRemaining == 0) {
        sums.add((int) chunkCrc.getValue());
        chunkCrc.reset();
        chunkFill = 0;
      }
    }
  }

  private void onHeader() throws IOException {
    boolean zero = true;
    for (byte x : header) {
      if (x != 0) {
        zero = false;
        break;
      }
    }
    if (zero) {
      ended = true;
      return;
    }
    byte type = header[156];
    long size = parseSize();
    switch (type) {
      case 'L', 'K', 'x', 'g', 'X' -> {
        if (size > maxMetaSize) {
          throw limits.exceeded("headerBytes", "tar meta entry of type '" + (char) type
              + "' at offset " + (count - 512) + " claims " + size + " bytes");
        }
        if (type == 'x' || type == 'X' || type == 'g') {
          capture = new ByteArrayOutputStream((int) size);
          captureGlobal = type == 'g';
        }
        dataRemaining = roundUp(size);
        if (size == 0 && capture != null) {
          finishCapture();
        }
      }
      case 'S' -> throw new IOException("sparse tar entries are not supported (offset "
          + (count - 512) + ")");
      default -> {
        if (pendingSize >= 0) {
          size = pendingSize;
        } else if (globalSize >= 0) {
          size = globalSize;
        }
        if (pendingSparse) {
          throw new IOException("sparse tar entries are not supported (PAX GNU.sparse at offset "
              + (count - 512) + ")");
        }
        entryXattrs = pendingXattrs == null ? Map.of() : pendingXattrs;
        pendingXattrs = null;
        System.arraycopy(pendingNames, 0, entryNames, 0, NAME_KEYS.length);
        java.util.Arrays.fill(pendingNames, null);
        pendingSize = -1;
        System.arraycopy(pendingTimes, 0, entryTimes, 0, 3);
        java.util.Arrays.fill(pendingTimes, NO_TIME);
        entryDataStart = count;
        entryFirstSum = sums.count();
        fileRemaining = size;
        chunkFill = 0;
        chunkCrc.reset();
        // Entries without data in POSIX tar (links, dirs, devices) may still carry a size field;
        // Commons Compress skips that many bytes for every type, and so do we.
        dataRemaining = roundUp(size);
      }
    }
  }

  private void finishCapture() {
    byte[] data = capture.toByteArray();
    capture = null;
    parsePax(data, captureGlobal);
  }

  /** Parses {@code "LEN key=value\n"} records; malformed ones are left to Commons Compress. */
  private void parsePax(byte[] d, boolean global) {
    int i = 0;
    while (i < d.length) {
      int sp = i;
      long len = 0;
      while (sp < d.length && d[sp] >= '0' && d[sp] <= '9' && len < Integer.MAX_VALUE) {
        len = len * 10 + (d[sp] - '0');
        sp++;
      }
      if (sp >= d.length || d[sp] != ' ' || len <= sp - i + 1 || i + len > d.length) {
        return;
      }
      int recEnd = (int) (i + len);
      int eq = sp + 1;
      while (eq < recEnd && d[eq] != '=') {
        eq++;
      }
      if (eq >= recEnd || d[recEnd - 1] != '\n') {
        return;
      }
      String key = new String(d, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
      byte[] value = java.util.Arrays.copyOfRange(d, eq + 1, recEnd - 1);
      if (key.equals("size")) {
        long s = parseDecimal(value);
        if (global) {
          globalSize = s;
        } else {
          pendingSize = s;
        }
      } else if (key.startsWith("GNU.sparse.")) {
        pendingSparse = true;
      } else if (!global && (key.equals("mtime") || key.equals("atime") || key.equals("ctime"))) {
        pendingTimes[java.util.Arrays.asList(TIME_KEYS).indexOf(key)] = parseTime(value);
      } else if (!global && nameKey(key) >= 0) {
        pendingNames[nameKey(key)] = value;
      } else if (!global && key.startsWith(XATTR_PREFIX)) {
        if (pendingXattrs == null) {
          pendingXattrs = new LinkedHashMap<>();
        }
        pendingXattrs.put(key.substring(XATTR_PREFIX.length()), value);
      }
      i = recEnd;
    }
  }

  /** The index of {@code key} in {@link #NAME_KEYS}, or -1. */
  private static int nameKey(String key) {
    for (int i = 0; i < NAME_KEYS.length; i++) {
      if (NAME_KEYS[i].equals(key)) {
        return i;
      }
    }
    return -1;
  }

  /** Decimal seconds ("-12.5", "1700000000.123456789") to nanoseconds; NO_TIME if malformed. */
  private static long parseTime(byte[] v) {
    try {
      java.math.BigDecimal s = new java.math.BigDecimal(new String(v, StandardCharsets.US_ASCII));
      return s.movePointRight(9).setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      return NO_TIME;
    }
  }

  private static long parseDecimal(byte[] v) {
    long r = 0;
    if (v.length == 0) {
      return -1;
    }
    for (byte c : v) {
      if (c < '0' || c > '9' || r > (Long.MAX_VALUE - 9) / 10) {
        return -1;
      }
      r = r * 10 + (c - '0');
    }
    return r;
  }

  /** The size field: octal (NUL/space padded) or GNU base-256. */
  private long parseSize() throws IOException {
    int off = 124;
    int len = 12;
    if ((header[off] & 0x80) != 0) {
      if (header[off] == (byte) 0xff) {
        throw new IOException("negative size in tar header at offset " + (count - 512));
      }
      long r = header[off] & 0x7f;
      for (int i = 1; i < len; i++) {
        if (r > (Long.MAX_VALUE >>> 8)) {
          throw new IOException("size overflow in tar header at offset " + (count - 512));
        }
        r = (r << 8) | (header[off + i] & 0xff);
      }
      return r;
    }
    int i = off;
    int end = off + len;
    while (i < end && (header[i] == ' ' || header[i] == 0)) {
      i++;
    }
    long r = 0;
    while (i < end && header[i] >= '0' && header[i] <= '7') {
      r = (r << 3) | (header[i] - '0');
      i++;
    }
    return r;
  }

  private static long roundUp(long size) throws IOException {
    if (size < 0 || size > Long.MAX_VALUE - 511) {
      throw new IOException("absurd tar entry size " + size);
    }
    return (size + 511) & ~511L;
  }
}
