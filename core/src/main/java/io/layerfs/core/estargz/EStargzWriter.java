package io.layerfs.core.estargz;

import io.layerfs.core.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Converts an uncompressed layer tar into eStargz, as containerd's stargz-snapshotter defines it:
 * every regular file's payload (in chunks of at most {@link #DEFAULT_CHUNK_SIZE}) starts its own
 * gzip member; the TOC ({@value Toc#TAR_NAME}) is a tar entry in a gzip member of its own after
 * the files, followed by the tar's end; the last 51 bytes are an empty gzip member whose extra
 * field gives the TOC's offset. The whole blob is still one valid tar.gz.
 *
 * <p>Headers and payloads are copied byte for byte (PAX records and long names included), and a
 * {@code .no.prefetch.landmark} entry comes first, as the snapshotter's converter writes when no
 * files are prioritized. The DiffID is the digest of the new uncompressed stream (the original
 * tar's end-of-archive blocks are replaced by the TOC entry and a new end).
 *
 * <p>Not thread-safe; one instance per conversion.
 */
public final class EStargzWriter {
  /** The chunk size of the stargz-snapshotter's writer. */
  public static final int DEFAULT_CHUNK_SIZE = 4 << 20;
  /** The name of the entry that says no file is to be prefetched. */
  public static final String NO_PREFETCH_LANDMARK = ".no.prefetch.landmark";
  static final int FOOTER_SIZE = 51;

  /** What a conversion wrote. */
  public record Result(Digest diffId, Digest tocDigest, long uncompressedSize,
      long compressedSize) {}

  private final CountingOutput out;
  private final int chunkSize;
  private final int level;
  private final MessageDigest diffId = Digest.newMessageDigest("sha256");
  private final List<TocEntry> entries = new ArrayList<>();
  private GZIPOutputStream member;
  private long uncompressed;

  private EStargzWriter(OutputStream out, int chunkSize, int level) {
    this.out = new CountingOutput(out);
    this.chunkSize = chunkSize;
    this.level = level;
  }

  /** Converts {@code tar} with the default chunk size and compression level. */
  public static Result convert(InputStream tar, OutputStream out) throws IOException {
    return convert(tar, out, DEFAULT_CHUNK_SIZE, Deflater.DEFAULT_COMPRESSION);
  }

  /**
   * Converts {@code tar} (read to its end-of-archive) and writes the eStargz blob to {@code out}
   * (not closed).
   *
   * @throws IOException if the tar is malformed (naming the offset) or writing fails
   */
  public static Result convert(InputStream tar, OutputStream out, int chunkSize, int level)
      throws IOException {
    if (chunkSize <= 0) {
      throw new IllegalArgumentException("chunk size must be positive: " + chunkSize);
    }
    return new EStargzWriter(out, chunkSize, level).run(new RawTarReader(tar));
  }

  private Result run(RawTarReader tar) throws IOException {
    byte[] landmark = {0xf};
    appendRegular(TarHeaders.regular(NO_PREFETCH_LANDMARK, landmark.length, 0644),
        NO_PREFETCH_LANDMARK, 0644, 0, 0, "", "", 0, Map.of(),
        new ByteArrayInputStream(landmark), landmark.length);
    write(new byte[RawTarReader.BLOCK - landmark.length]);
    RawTarReader.Entry e;
    byte[] buf = new byte[64 << 10];
    while ((e = tar.next()) != null) {
      String clean = Toc.cleanName(e.name);
      if (clean.equals(Toc.TAR_NAME) || clean.equals(NO_PREFETCH_LANDMARK)
          || clean.equals(".prefetch.landmark")) {
        // a layer converted twice keeps one TOC and one landmark, as the snapshotter does
        skip(tar, e, buf);
        continue;
      }
      if (e.isRegular()) {
        final RawTarReader r = tar;
        InputStream payload = new InputStream() {
          @Override
          public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            return r.readPayload(b, off, len);
          }
        };
        appendRegular(e.header, e.name, e.mode, e.uid, e.gid, e.uname, e.gname,
            e.mtimeSeconds, e.xattrs, payload, e.size);
        write(tar.readPadding(e.size));
      } else {
        String type = tocType(e); // the types left carry no payload
        openMember();
        write(e.header);
        entries.add(new TocEntry(e.name, type, 0, modtime(e.mtimeSeconds), e.linkName, e.mode,
            e.uid, e.gid, e.uname, e.gname, 0, 0, e.devMajor, e.devMinor, e.xattrs, "", 0, 0,
            ""));
      }
    }
    closeMember();
    long tocOffset = out.count;
    Toc toc = Toc.of(entries, tocOffset);
    byte[] json = toc.toJson();
    openMember();
    write(TarHeaders.regular(Toc.TAR_NAME, json.length, 0));
    write(json);
    write(new byte[(RawTarReader.BLOCK - json.length % RawTarReader.BLOCK)
        % RawTarReader.BLOCK]);
    write(new byte[2 * RawTarReader.BLOCK]);
    closeMember();
    out.write(footer(tocOffset));
    out.flush();
    return new Result(Digest.of("sha256", diffId.digest()), Digest.sha256(json), uncompressed,
        out.count);
  }

  private void appendRegular(byte[] header, String name, long mode, long uid, long gid,
      String uname, String gname, long mtime, Map<String, byte[]> xattrs,
      InputStream payload, long size) throws IOException {
    openMember();
    write(header);
    MessageDigest whole = Digest.newMessageDigest("sha256");
    byte[] buf = new byte[(int) Math.min(chunkSize, 64 << 10)];
    long written = 0;
    boolean first = true;
    do {
      long length = Math.min(chunkSize, size - written);
      TocEntry entry;
      if (length == 0) {
        entry = new TocEntry(name, "reg", 0, modtime(mtime), "", mode, uid, gid, uname, gname,
            0, 0, 0, 0, xattrs, Digest.sha256(new byte[0]).toString(), 0, 0, "");
        entries.add(entry);
        return;
      }
      closeMember();
      long offset = out.count;
      openMember();
      MessageDigest chunk = Digest.newMessageDigest("sha256");
      long left = length;
      while (left > 0) {
        int n = payload.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          throw new IOException("tar ends inside '" + name + "'");
        }
        write(buf, n);
        chunk.update(buf, 0, n);
        whole.update(buf, 0, n);
        left -= n;
      }
      String chunkDigest = Digest.of("sha256", chunk.digest()).toString();
      // as the snapshotter's writer: the size is recorded for full chunks only
      long chunkSizeField = size - written >= chunkSize ? chunkSize : 0;
      entry = first
          ? new TocEntry(name, "reg", size, modtime(mtime), "", mode, uid, gid, uname, gname,
              offset, 0, 0, 0, xattrs, "", 0, chunkSizeField, chunkDigest)
          : new TocEntry(name, "chunk", 0, "", "", 0, 0, 0, "", "", offset, 0, 0, 0,
              Map.of(), "", written, chunkSizeField, chunkDigest);
      entries.add(entry);
      written += length;
      first = false;
    } while (written < size);
    // the file's digest goes into its first entry, known only now
    int at = entries.size() - 1;
    while (!entries.get(at).type().equals("reg")) {
      at--;
    }
    TocEntry reg = entries.get(at);
    entries.set(at, new TocEntry(reg.name(), reg.type(), reg.size(), reg.modtime(), "",
        reg.mode(), reg.uid(), reg.gid(), reg.userName(), reg.groupName(), reg.offset(), 0, 0, 0,
        reg.xattrs(), Digest.of("sha256", whole.digest()).toString(), 0, reg.chunkSize(),
        reg.chunkDigest()));
  }

  private static void skip(RawTarReader tar, RawTarReader.Entry e, byte[] buf)
      throws IOException {
    while (tar.payloadLeft() > 0) {
      tar.readPayload(buf, 0, buf.length);
    }
    tar.readPadding(e.size);
  }

  private static String tocType(RawTarReader.Entry e) throws IOException {
    return switch (e.type) {
      case '1' -> "hardlink";
      case '2' -> "symlink";
      case '3' -> "char";
      case '4' -> "block";
      case '5' -> "dir";
      case '6' -> "fifo";
      default -> throw new IOException("unsupported tar entry type '" + e.type + "' for '"
          + e.name + "'");
    };
  }

  private static String modtime(long seconds) {
    if (seconds == 0) {
      return "";
    }
    return DateTimeFormatter.ISO_INSTANT.format(
        Instant.ofEpochSecond(seconds).atOffset(ZoneOffset.UTC).toInstant());
  }

  static byte[] footer(long tocOffset) {
    byte[] b = new byte[FOOTER_SIZE];
    b[0] = 0x1f;
    b[1] = (byte) 0x8b;
    b[2] = 8;
    b[3] = 4; // FEXTRA
    b[9] = (byte) 0xff;
    b[10] = 26; // XLEN
    b[12] = 'S';
    b[13] = 'G';
    b[14] = 22; // subfield length
    String sub = String.format("%016x", tocOffset) + "STARGZ";
    System.arraycopy(sub.getBytes(StandardCharsets.US_ASCII), 0, b, 16, 22);
    b[38] = 1; // a final stored block of no bytes
    b[41] = (byte) 0xff;
    b[42] = (byte) 0xff;
    return b; // CRC32 and ISIZE of nothing are 0
  }

  private void openMember() throws IOException {
    if (member == null) {
      member = new GZIPOutputStream(new Unclosable(out), 64 << 10) {
        {
          def.setLevel(level);
        }
      };
    }
  }

  private void closeMember() throws IOException {
    if (member != null) {
      member.finish();
      member = null;
    }
  }

  private void write(byte[] b) throws IOException {
    write(b, b.length);
  }

  private void write(byte[] b, int n) throws IOException {
    member.write(b, 0, n);
    diffId.update(b, 0, n);
    uncompressed += n;
  }

  /** Counts what reaches the blob: the offsets the TOC records. */
  private static final class CountingOutput extends OutputStream {
    final OutputStream out;
    long count;

    CountingOutput(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }

  private static final class Unclosable extends java.io.FilterOutputStream {
    Unclosable(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
