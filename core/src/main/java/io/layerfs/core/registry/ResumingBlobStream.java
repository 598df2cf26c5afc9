package io.layerfs.core.registry;

import io.layerfs.core.Digest;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A blob's bytes {@code [position, end)} from a registry, resumed with a {@code Range} request
 * from the first byte not yet read when the connection fails or ends early, at most {@code
 * maxAttempts} times in all. A registry that ignores {@code Range} and sends the whole blob is
 * read past what was already delivered. Not thread-safe, as streams are not.
 */
final class ResumingBlobStream extends InputStream {
  private final RegistryClient client;
  private final Reference repository;
  private final Digest digest;
  private final long end;
  private final int maxResumes;
  private long position;
  private long blobSize = -1;
  private InputStream in;
  private int resumes;
  private boolean closed;

  /** @param end the first byte not wanted, or -1 for the blob's end */
  ResumingBlobStream(RegistryClient client, Reference repository, Digest digest, long position,
      long end, int maxResumes) {
    this.client = client;
    this.repository = repository;
    this.digest = digest;
    this.position = position;
    this.end = end;
    this.maxResumes = maxResumes;
  }

  /** Sends the first request; returns the blob's size (-1 when the registry did not say). */
  long open() throws IOException {
    RegistryClient.Opened opened = client.openRange(repository, digest, position, end);
    if (opened.start() < position) {
      long skip = position - opened.start();
      opened.body().skipNBytes(skip); // an EOFException when the body is shorter
    }
    in = opened.body();
    blobSize = opened.blobSize();
    return blobSize;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    long wanted = end >= 0 ? end : blobSize;
    if (len == 0) {
      return 0;
    }
    if (wanted >= 0 && position >= wanted) {
      return -1;
    }
    if (wanted >= 0) {
      len = (int) Math.min(len, wanted - position);
    }
    while (true) {
      IOException failure;
      try {
        int n = in.read(b, off, len);
        if (n > 0) {
          position += n;
          return n;
        }
        if (n < 0 && (wanted < 0 || position >= wanted)) {
          return -1;
        }
        failure = new EOFException("connection ended at byte " + position + " of " + wanted);
      } catch (IOException e) {
        failure = e;
      }
      if (Thread.currentThread().isInterrupted() || resumes >= maxResumes) {
        throw new IOException("registry " + repository.endpoint() + ": blob " + digest + " of "
            + repository.name() + ": cut off at byte " + position
            + (resumes > 0 ? " after " + resumes + " resumed downloads" : "") + ": "
            + RegistryHttp.describe(failure), failure);
      }
      resumes++;
      closeQuietly();
      open();
    }
  }

  @Override
  public void close() throws IOException {
    if (!closed) {
      closed = true;
      if (in != null) {
        in.close();
      }
    }
  }

  private void closeQuietly() {
    try {
      if (in != null) {
        in.close();
      }
    } catch (IOException e) {
      // the connection is gone already
    }
  }
}
