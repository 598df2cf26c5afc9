package io.layerfs.core.estargz;

import io.layerfs.core.RangedBlob;
import io.layerfs.core.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads an eStargz blob (written by layerfs or by any other tool) through a {@link RangedBlob}:
 * the footer (the last 51 bytes, or the 47 of the older stargz), then the TOC (one range, up to
 * the footer), verified against the digest the manifest's {@code
 * containerd.io/snapshot/stargz/toc.digest} annotation gives; then any chunk of any file with one
 * range request, its bytes checked against the TOC's {@code chunkDigest} before they are
 * returned.
 *
 * <p>Thread-safe: immutable after {@link #open}; reads are independent range requests.
 */
public final class EStargzReader {
  /** The annotation of a manifest's layer descriptor that holds the TOC JSON's digest. */
  public static final String TOC_DIGEST_ANNOTATION = "containerd.io/snapshot/stargz/toc.digest";
  /** The annotation that holds the layer's uncompressed size (containers/storage reads it). */
  public static final String UNCOMPRESSED_SIZE_ANNOTATION =
      "io.containers.estargz.uncompressed-size";

  private static final int LEGACY_FOOTER_SIZE = 47;
  /** A TOC larger than this is refused (the Debian base image's is about 2 MiB). */
  static final int MAX_TOC = 128 << 20;

  private final RangedBlob blob;
  private final long tocOffset;
  private final Digest tocDigest;
  private final Toc toc;

  private EStargzReader(RangedBlob blob, long tocOffset, Digest tocDigest, Toc toc) {
    this.blob = blob;
    this.tocOffset = tocOffset;
    this.tocDigest = tocDigest;
    this.toc = toc;
  }

  /**
   * Reads the footer and the TOC of {@code blob}.
   *
   * @param expectedTocDigest the digest the TOC JSON must have, or null to trust it unchecked
   *     (a blob of the store, verified as a whole already)
   * @throws IOException if the blob is not eStargz (the footer says why), the TOC is damaged or
   *     malformed, or its digest is not the expected one; each names the blob
   */
  public static EStargzReader open(RangedBlob blob, Digest expectedTocDigest)
      throws IOException {
    long size = blob.size();
    long tocOffset;
    long footerSize;
    if (size >= EStargzWriter.FOOTER_SIZE) {
      byte[] tail = blob.read(size - EStargzWriter.FOOTER_SIZE, EStargzWriter.FOOTER_SIZE);
      long off = parseFooter(tail, 12 + 4, 26);
      if (off < 0) {
        byte[] legacy = new byte[LEGACY_FOOTER_SIZE];
        System.arraycopy(tail, tail.length - LEGACY_FOOTER_SIZE, legacy, 0, legacy.length);
        off = parseFooter(legacy, 12, 22);
        footerSize = LEGACY_FOOTER_SIZE;
      } else {
        footerSize = EStargzWriter.FOOTER_SIZE;
      }
      if (off < 0) {
        throw new IOException("blob " + blob.digest() + " is not eStargz: its last "
            + EStargzWriter.FOOTER_SIZE + " bytes are no eStargz footer (a gzip member whose "
            + "extra field holds the TOC offset and \"STARGZ\")");
      }
      tocOffset = off;
    } else {
      throw new IOException("blob " + blob.digest() + " is not eStargz: " + size
          + " bytes is shorter than a footer");
    }
    long tocLength = size - footerSize - tocOffset;
    if (tocOffset < 0 || tocLength <= 0 || tocLength > MAX_TOC) {
      throw new IOException("eStargz footer of blob " + blob.digest() + " gives TOC offset "
          + tocOffset + ", outside the blob of " + size + " bytes");
    }
    byte[] json = tocJson(blob, blob.read(tocOffset, (int) tocLength));
    Digest actual = Digest.sha256(json);
    if (expectedTocDigest != null && !actual.equals(expectedTocDigest)) {
      throw new IOException("eStargz TOC of blob " + blob.digest() + " has digest " + actual
          + ", but the manifest's " + TOC_DIGEST_ANNOTATION + " is " + expectedTocDigest);
    }
    Toc toc;
    try {
      toc = Toc.parse(json, tocOffset);
    } catch (IOException e) {
      throw new IOException("eStargz TOC of blob " + blob.digest() + ": " + e.getMessage(), e);
    }
    return new EStargzReader(blob, tocOffset, actual, toc);
  }

  public Toc toc() {
    return toc;
  }

  /** The digest of the TOC JSON, as the {@value #TOC_DIGEST_ANNOTATION} annotation gives it. */
  public Digest tocDigest() {
    return tocDigest;
  }

  public long tocOffset() {
    return tocOffset;
  }

  public RangedBlob blob() {
    return blob;
  }

  /**
   * The bytes of one chunk: one range request for its gzip member, inflated and checked against
   * its digest.
   *
   * @throws IOException if the range does not inflate or the bytes do not match the digest,
   *     naming the file, the chunk and the blob
   */
  public byte[] readChunk(String file, Toc.Chunk chunk) throws IOException {
    long span = chunk.blobEnd() - chunk.blobOffset();
    if (span > Integer.MAX_VALUE - 8 || chunk.length() > Integer.MAX_VALUE - 8) {
      throw new IOException("chunk of '" + file + "' is too large to read in one piece");
    }
    byte[] data;
    try (InputStream in = new GZIPInputStream(
        blob.open(chunk.blobOffset(), span), 64 << 10)) {
      in.skipNBytes(chunk.innerOffset());
      data = in.readNBytes((int) chunk.length());
    } catch (ZipException | java.io.EOFException e) {
      throw damaged(file, chunk, "does not inflate (" + e.getMessage() + ")");
    }
    if (data.length != chunk.length()) {
      throw damaged(file, chunk, "inflates to " + data.length + " bytes, not "
          + chunk.length());
    }
    MessageDigest md = chunk.digest().newMessageDigest();
    Digest actual = Digest.of(chunk.digest().algorithm(), md.digest(data));
    if (!actual.equals(chunk.digest())) {
      throw damaged(file, chunk, "has digest " + actual + ", the TOC says "
          + chunk.digest());
    }
    return data;
  }

  private IOException damaged(String file, Toc.Chunk chunk, String what) {
    return new IOException("chunk at " + chunk.fileOffset() + " of '" + file + "' (bytes "
        + chunk.blobOffset() + "-" + chunk.blobEnd() + " of blob " + blob.digest() + ") "
        + what);
  }

  /** The TOC offset from a footer, or -1 if {@code f} is not one with this extra layout. */
  private static long parseFooter(byte[] f, int subfieldAt, int xlen) {
    if ((f[0] & 0xff) != 0x1f || (f[1] & 0xff) != 0x8b || f[2] != 8 || (f[3] & 4) == 0) {
      return -1;
    }
    if ((f[10] & 0xff) != xlen || f[11] != 0) {
      return -1;
    }
    if (xlen == 26 && (f[12] != 'S' || f[13] != 'G' || f[14] != 22 || f[15] != 0)) {
      return -1;
    }
    String sub = new String(f, subfieldAt, 22, StandardCharsets.US_ASCII);
    if (!sub.endsWith("STARGZ")) {
      return -1;
    }
    try {
      return Long.parseLong(sub.substring(0, 16), 16);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static byte[] tocJson(RangedBlob blob, byte[] member) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(member))) {
      RawTarReader tar = new RawTarReader(in);
      RawTarReader.Entry e = tar.next();
      if (e == null || !Toc.cleanName(e.name).equals(Toc.TAR_NAME) || !e.isRegular()) {
        throw new IOException("eStargz TOC member of blob " + blob.digest() + " does not hold "
            + Toc.TAR_NAME + (e == null ? "" : " (it holds '" + e.name + "')"));
      }
      if (e.size > MAX_TOC) {
        throw new IOException("eStargz TOC of blob " + blob.digest() + " is " + e.size
            + " bytes, more than " + MAX_TOC);
      }
      byte[] json = new byte[(int) e.size];
      int at = 0;
      while (at < json.length) {
        at += tar.readPayload(json, at, json.length - at);
      }
      return json;
    } catch (ZipException | java.io.EOFException e) {
      throw new IOException("eStargz TOC member of blob " + blob.digest()
          + " is damaged: " + e.getMessage(), e);
    }
  }
}
