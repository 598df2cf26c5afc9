package io.layerfs.core.image;

import io.layerfs.core.Compression;
import io.layerfs.core.Image;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.CountingInputStream;
import io.layerfs.core.internal.InflateLimit;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;
import org.apache.commons.io.input.BoundedInputStream;
import org.apache.commons.io.input.TeeInputStream;

/**
 * Makes an image of one layer from a file system tar, as {@code docker import} does with what
 * {@code docker export} wrote: the tar (plain, gzip, zstd or bzip2) becomes the layer as it is,
 * stored gzip-compressed, read through once as a tar on the way so that anything else (a
 * truncated or damaged archive, a file that is no tar) is refused before a tag names it. A
 * compressed tar inflates only as far as the store's {@code inflateRatio} limit lets an archive
 * or a layer inflate.
 */
public final class RootfsImport {
  private static final int RECORD = 512;

  private RootfsImport() {}

  /**
   * Imports the tar read from {@code in}, named {@code source} in errors and in the image's
   * history, and tags the image {@code tag}.
   *
   * @throws IOException naming {@code source} when it is not a (complete) tar
   * @throws LimitException naming {@code source} when it is compressed and inflates past the
   *     store's {@code inflateRatio} limit
   */
  public static Image importTar(ContentStore store, InputStream in, String source, String tag,
      Instant created) throws IOException {
    ContentStore.checkTag(tag); // before the work, not after it
    try (LayerBlob layer = new LayerBlob(store, Compression.GZIP)) {
      OutputStream tar = layer.tar();
      try (BoundedInputStream plain = BoundedInputStream.builder()
              .setInputStream(decompressed(in, store.limits(), source)).get();
          InputStream tee = new TeeInputStream(plain, tar);
          TarArchiveInputStream entries = new TarArchiveInputStream(tee)) {
        long n = 0;
        for (TarArchiveEntry e; (e = entries.getNextEntry()) != null; n++) {
          // Commons Compress skips a cut entry's missing data without a word: count it, as Go's
          // archive/tar (docker import's reader) fails with "unexpected EOF"
          long data = entries.transferTo(OutputStream.nullOutputStream());
          if (!e.isDirectory() && data != e.getSize()) {
            throw new IOException(source + ": cut short in " + e.getName() + ": "
                + data + " of its " + e.getSize() + " bytes");
          }
        }
        if (n == 0) {
          throw new IOException(source + ": an empty tar: no file system to import");
        }
        tee.transferTo(OutputStream.nullOutputStream()); // the end blocks too: the whole tar
        if (plain.getCount() % RECORD != 0) { // a header cut short reads as the end
          throw new IOException(source + ": cut short: " + plain.getCount()
              + " bytes, not a whole number of " + RECORD + "-byte records");
        }
      } catch (IOException e) {
        throw e instanceof LimitException
            || e.getMessage() != null && e.getMessage().startsWith(source) ? e
            : new IOException(source + ": not a complete tar: " + e.getMessage(), e);
      }
      return ImageAssembler.writeAlone(store, layer.commit(), created, "linux",
          hostArchitecture(), "Imported from " + source, tag);
    }
  }

  /**
   * The tar {@code raw} holds: itself, or decompressed, bounded then by {@code limits}' {@code
   * inflateRatio} as a compressed archive or layer is ({@link InflateLimit}), so that a
   * decompression bomb stops with a {@link LimitException} naming {@code source}.
   */
  private static InputStream decompressed(InputStream raw, Limits limits, String source)
      throws IOException {
    CountingInputStream compressed = new CountingInputStream(raw);
    BufferedInputStream in = new BufferedInputStream(compressed, 1 << 16);
    in.mark(Compression.SNIFF_LENGTH);
    byte[] head = in.readNBytes(Compression.SNIFF_LENGTH);
    in.reset();
    Compression known = Compression.detect(head, head.length);
    if (known == Compression.NONE) {
      return in;
    }
    InputStream plain;
    if (known != null) {
      plain = known.decompress(in);
    } else {
      try {
        // what else docker import takes (bzip2, xz): Commons Compress knows them
        plain = new CompressorStreamFactory().createCompressorInputStream(in);
      } catch (CompressorException e) {
        throw new IOException(source + ": neither a tar nor a compressed tar", e);
      }
    }
    return new InflateLimit(plain, compressed, limits, source);
  }

  /** The image architecture of this JVM's machine, as docker import records the daemon's. */
  static String hostArchitecture() {
    String arch = System.getProperty("os.arch");
    return switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64" -> "arm64";
      default -> arch; // ppc64le, s390x, riscv64: the JDK's names are Go's
    };
  }
}
