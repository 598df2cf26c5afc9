package io.layerfs.core.estargz;

import io.layerfs.core.RangedBlob;
import io.layerfs.core.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A {@link RangedBlob} over a local file: a stored blob, or a test's stand-in for a registry. */
public final class FileRangedBlob implements RangedBlob {
  private final Path file;
  private final Digest digest;

  public FileRangedBlob(Path file, Digest digest) {
    this.file = file;
    this.digest = digest;
  }

  @Override
  public Digest digest() {
    return digest;
  }

  @Override
  public long size() throws IOException {
    return Files.size(file);
  }

  @Override
  public InputStream open(long offset, long length) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      long size = ch.size();
      if (offset < 0 || offset > size || (length >= 0 && offset + length > size)) {
        throw new IOException("range " + offset + "+" + length + " is outside blob " + digest
            + " of " + size + " bytes (" + file + ")");
      }
      ch.position(offset);
      InputStream in = Channels.newInputStream(ch);
      return length < 0 ? in : new BoundedInputStream(in, length);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** At most {@code length} bytes of a stream, which it closes. */
  private static final class BoundedInputStream extends java.io.FilterInputStream {
    private long left;

    BoundedInputStream(InputStream in, long length) {
      super(in);
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
