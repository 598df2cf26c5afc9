package io.layerfs.core.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts the bytes read (and skipped) through it; a subclass checks each new total in {@link
 * #counted}, as the bounds on inflated layers and archives do. No mark and reset: a reset would
 * count bytes twice.
 */
public class CountingInputStream extends FilterInputStream {
  private long count;

  public CountingInputStream(InputStream in) {
    super(in);
  }

  /** The bytes read and skipped so far. */
  public final long count() {
    return count;
  }

  /**
   * Called with the new total after each read or skip that moved; may throw to refuse it.
   *
   * @throws IOException to stop the stream (the bytes just read are not returned)
   */
  protected void counted(long total) throws IOException {}

  @Override
  public final int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      counted(++count);
    }
    return b;
  }

  @Override
  public final int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      count += n;
      counted(count);
    }
    return n;
  }

  @Override
  public final long skip(long n) throws IOException {
    long k = in.skip(n);
    if (k > 0) {
      count += k;
      counted(count);
    }
    return k;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {
    // not supported (see markSupported)
  }

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }
}
