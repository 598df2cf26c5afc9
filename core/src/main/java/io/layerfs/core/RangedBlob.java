package io.layerfs.core;

import java.io.IOException;
import java.io.InputStream;

/**
 * A blob that can be read by byte ranges without fetching the rest: a registry blob through HTTP
 * {@code Range} requests, or a local file. What the lazy readers build on; it promises nothing
 * about the bytes, which its users verify.
 *
 * <p>Implementations are safe for concurrent use: every {@link #open} is independent.
 */
public interface RangedBlob {
  /** The digest the blob claims (its descriptor's). */
  Digest digest();

  /** The blob's size in bytes. */
  long size() throws IOException;

  /**
   * Where the bytes come from, for messages: " from registry HOST, repository NAME" or the
   * like, with a leading space; empty when there is nothing to add to the digest.
   */
  default String origin() {
    return "";
  }

  /**
   * A stream of the bytes {@code [offset, offset + length)}, or to the end for {@code length}
   * -1. The caller closes it. The stream may end early only on an error (an {@link IOException}).
   */
  InputStream open(long offset, long length) throws IOException;

  /** Reads {@code [offset, offset + length)} whole. */
  default byte[] read(long offset, int length) throws IOException {
    try (InputStream in = open(offset, length)) {
      byte[] b = in.readNBytes(length);
      if (b.length != length) {
        throw new IOException("blob " + digest() + " ended at " + (offset + b.length)
            + " reading " + length + " bytes from " + offset);
      }
      return b;
    }
  }
}
