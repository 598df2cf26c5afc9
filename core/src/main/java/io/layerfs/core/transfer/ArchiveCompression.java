package io.layerfs.core.transfer;

import io.layerfs.core.Compression;
import io.layerfs.core.Limits;
import io.layerfs.core.internal.CountingInputStream;
import io.layerfs.core.internal.InflateLimit;
import io.layerfs.core.internal.OptionalLibrary;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;

/**
 * The compressions an image archive may come in, as {@code docker load} and skopeo's {@code
 * docker-archive:} and {@code oci-archive:} take them: gzip, bzip2, xz and zstd (moby's {@code
 * compression.DecompressStream}), told by their magic bytes, never by the file name. A stream
 * that starts with a tar header is a plain tar even if its first bytes happen to look like a
 * magic (a file named {@code BZh...}).
 *
 * <p>A decompressed stream reports a failed read as an {@link IOException} whose message starts
 * with the compression ({@code gzip: Unexpected end of ZLIB input stream}): the caller names the
 * archive and where in it.
 */
final class ArchiveCompression {
  /** Commons Compress' names of the compressions docker reads, in its order. */
  static final List<String> SUPPORTED = List.of(CompressorStreamFactory.GZIP,
      CompressorStreamFactory.BZIP2, CompressorStreamFactory.XZ,
      CompressorStreamFactory.ZSTANDARD);

  private static final int BUFFER = 1 << 16;

  private ArchiveCompression() {}

  /**
   * The compression of the stream {@code in} is at (which must support mark, as a {@link
   * BufferedInputStream} does), as a name of {@link #SUPPORTED}; null for anything else, a tar
   * included. Reads nothing off the stream.
   */
  static String detect(InputStream in) throws IOException {
    in.mark(Compression.SNIFF_LENGTH);
    byte[] head = in.readNBytes(Compression.SNIFF_LENGTH);
    in.reset();
    if (Compression.detect(head, head.length) == Compression.NONE && head.length > 0
        || TarArchiveInputStream.matches(head, head.length)) {
      return null; // a tar header, whatever its first bytes are
    }
    try {
      String name = CompressorStreamFactory.detect(in);
      return SUPPORTED.contains(name) ? name : null;
    } catch (CompressorException notCompressed) {
      return null;
    }
  }

  /** The compression of {@code file} (see {@link #detect(InputStream)}); null for none. */
  static String detect(Path file) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file),
        Compression.SNIFF_LENGTH)) {
      return detect(in);
    }
  }

  /**
   * {@code in}, decompressed if it is compressed (see {@link #detect(InputStream)}); else {@code
   * in} itself, buffered. Concatenated streams ({@code cat a.gz b.gz}) are read as one, as Go's
   * readers do.
   *
   * @throws OptionalLibrary.Missing for zstd or xz without the library that reads it
   */
  static InputStream decompressed(InputStream in) throws IOException {
    InputStream buffered = in.markSupported() ? in : new BufferedInputStream(in, BUFFER);
    String compression = detect(buffered);
    if (compression == null) {
      return buffered;
    }
    if (compression.equals(CompressorStreamFactory.ZSTANDARD)) {
      OptionalLibrary.ZSTD.require();
    } else if (compression.equals(CompressorStreamFactory.XZ)) {
      OptionalLibrary.XZ.require();
    }
    try {
      return new Labelled(new BufferedInputStream(new CompressorStreamFactory(true)
          .createCompressorInputStream(compression, buffered), BUFFER), label(compression));
    } catch (CompressorException e) {
      // the header was refused, or (bzip2 reads its first block here) the stream ended
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IOException(label(compression) + ": " + message(cause), e);
    }
  }

  /**
   * {@code in} decompressed as {@link #decompressed(InputStream)} does it, bounded by {@code
   * limits} when it is compressed ({@link InflateLimit}); errors call it {@code name}.
   */
  static InputStream decompressed(InputStream in, Limits limits, String name)
      throws IOException {
    CountingInputStream compressed = new CountingInputStream(in);
    InputStream plain = decompressed(compressed);
    return plain instanceof Labelled ? new InflateLimit(plain, compressed, limits, name) : plain;
  }

  /** How errors and messages call a compression: the name of its command-line tool. */
  static String label(String compression) {
    return switch (compression) {
      case CompressorStreamFactory.ZSTANDARD -> "zstd";
      case CompressorStreamFactory.GZIP -> "gzip";
      default -> compression;
    };
  }

  private static String message(Throwable e) {
    return e.getMessage() != null ? e.getMessage()
        : e instanceof EOFException ? "unexpected end of stream" : e.getClass().getSimpleName();
  }

  /** Puts the compression in front of a read error's message, which names no format. */
  private static final class Labelled extends FilterInputStream {
    private final String label;

    Labelled(InputStream in, String label) {
      super(in);
      this.label = label;
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        throw labelled(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        throw labelled(e);
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return in.skip(n);
      } catch (IOException e) {
        throw labelled(e);
      }
    }

    private IOException labelled(IOException e) {
      return new IOException(label + ": " + message(e), e);
    }
  }
}
