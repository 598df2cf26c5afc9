package io.layerfs.core.content;

import io.layerfs.core.Digest;
import io.layerfs.core.Limits;
import io.layerfs.core.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Copies blobs between files and a {@link ContentStore}, verifying size and digest on the way,
 * with errors that name the file the bad bytes came from. Shared by the transports.
 */
public final class VerifiedCopy {
  private static final int BUFFER = 1 << 16;

  private VerifiedCopy() {}

  /**
   * Copies {@code file} into {@code store} as the blob {@code expected} of {@code size} bytes,
   * reporting one progress step. A blob the store already holds is not copied again (the store
   * verified it when it was written).
   *
   * @param what names the file in errors, for example {@code "blobs/sha256/ab.. in x.tar"}
   * @throws IOException naming {@code what}, the expected and the actual digest or size on a
   *     mismatch; nothing is stored then
   */
  public static void copy(ContentStore store, Path file, Digest expected, long size, String what,
      Progress progress) throws IOException {
    progress.start("copy " + expected, size);
    try {
      if (store.contains(expected)) {
        progress.advance(size);
        return;
      }
      try (InputStream in = open(file, what);
          BlobWriter writer = store.newWriter(expected, size)) {
        byte[] buffer = new byte[BUFFER];
        int n;
        while ((n = in.read(buffer)) > 0) {
          writer.write(buffer, 0, n);
          progress.advance(n);
        }
        writer.commit(expected, size);
      } catch (IOException e) {
        throw new IOException(what + ": " + e.getMessage(), e);
      }
    } finally {
      progress.done();
    }
  }

  /**
   * Reads a small file (manifest, config, index) whole and checks it against {@code expected}
   * and, unless -1, {@code size}; {@code limits} bound its size ({@link Limits#jsonBytes()}).
   */
  public static byte[] readSmall(Path file, Digest expected, long size, String what,
      Limits limits) throws IOException {
    byte[] data;
    try (InputStream in = open(file, what)) {
      data = in.readNBytes((int) limits.jsonBytes() + 1);
    }
    if (data.length > limits.jsonBytes()) {
      throw limits.exceeded("jsonBytes", what + " is larger");
    }
    if (expected != null) {
      Digest actual = Digest.of(expected.algorithm(), expected.newMessageDigest().digest(data));
      if (!actual.equals(expected)) {
        throw mismatch(what, expected, actual);
      }
    }
    if (size >= 0 && data.length != size) {
      throw new IOException(
          what + ": size mismatch: expected " + size + " bytes, actual " + data.length);
    }
    return data;
  }

  /** The digest of a file's content. */
  public static Digest hash(Path file, String algorithm) throws IOException {
    java.security.MessageDigest hasher = Digest.newMessageDigest(algorithm);
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        hasher.update(buffer, 0, n);
      }
    }
    return Digest.of(algorithm, hasher.digest());
  }

  public static IOException mismatch(String what, Digest expected, Digest actual) {
    return new IOException(
        what + ": digest mismatch: expected " + expected + ", actual " + actual);
  }

  private static InputStream open(Path file, String what) throws IOException {
    try {
      return Files.newInputStream(file);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, what + " is missing");
    }
  }
}
