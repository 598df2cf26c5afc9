package io.layerfs.core.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Copies every byte read from a stream, skipped bytes included, to an output stream: the one
 * pass of {@code LayerStore} that feeds the tar indexer while the same bytes are hashed and
 * stored.
 *
 * <p>{@link #close()} closes neither side: the indexer may close its input before the caller
 * has drained the rest (tar padding after the end-of-archive blocks) into the copy.
 */
public final class TeeInputStream extends FilterInputStream {
  private final OutputStream copy;
  private final byte[] skipBuffer = new byte[8192];

  public TeeInputStream(InputStream in, OutputStream copy) {
    super(in);
    this.copy = copy;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      copy.write(b);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      copy.write(b, off, n);
    }
    return n;
  }

  /** Reads what it skips, so the copy sees it. */
  @Override
  public long skip(long n) throws IOException {
    long skipped = 0;
    while (skipped < n) {
      int r = read(skipBuffer, 0, (int) Math.min(skipBuffer.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {}

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  @Override
  public void close() {}

  /** Reads the rest of the stream (copying it) and returns how many bytes that was. */
  public long drain() throws IOException {
    long total = 0;
    byte[] buffer = new byte[1 << 16];
    for (int n; (n = read(buffer, 0, buffer.length)) >= 0; ) {
      total += n;
    }
    return total;
  }
}
