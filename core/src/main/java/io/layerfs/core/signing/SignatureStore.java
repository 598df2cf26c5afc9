package io.layerfs.core.signing;

import io.layerfs.core.Digest;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where signatures are kept: {@code layerfs/signatures/ALG/HEX/signature-N}, the layout of
 * containers/image's lookaside stores, written atomically and read with size and count limits.
 */
public final class SignatureStore {
  /** The largest signature stored or read, in bytes (simple signing ones are about 1 KiB). */
  public static final int MAX_SIGNATURE = 64 << 10;

  static final int MAX_SIGNATURES = 1000;
  private static final String PREFIX = "signature-";

  private SignatureStore() {}

  /** The directory holding the signatures of {@code manifest} (it may not exist). */
  public static Path directory(ContentStore store, Digest manifest) {
    return root(store).resolve(manifest.algorithm()).resolve(manifest.hex());
  }

  /** {@code layerfs/signatures/}: one folder per signed manifest digest. */
  public static Path root(ContentStore store) {
    return store.root().resolve(ContentStore.STATE_DIR).resolve("signatures");
  }

  /** The stored signatures of {@code manifest}, {@code signature-1} first; empty if none. */
  public static List<byte[]> list(ContentStore store, Digest manifest) throws IOException {
    Path dir = directory(store, manifest);
    List<byte[]> out = new ArrayList<>();
    for (int i = 1; i <= MAX_SIGNATURES; i++) {
      byte[] data = read(dir.resolve(PREFIX + i));
      if (data == null) {
        break;
      }
      out.add(data);
    }
    return out;
  }

  /**
   * Stores {@code signature} for {@code manifest} under the next free name, or finds it already
   * stored; returns its path. The signature is not verified here (callers check it parses).
   *
   * @throws IllegalArgumentException if it is empty or bigger than {@link
   *     #MAX_SIGNATURE}
   * @throws IOException if the image already has {@value #MAX_SIGNATURES} signatures
   */
  public static Path add(ContentStore store, Digest manifest, byte[] signature)
      throws IOException {
    if (signature.length == 0 || signature.length > MAX_SIGNATURE) {
      throw new IllegalArgumentException("a signature must have 1 to "
          + MAX_SIGNATURE + " bytes, not " + signature.length);
    }
    Path dir = Files.createDirectories(directory(store, manifest));
    Path temp = store.newTempFile("signature");
    try {
      try (FileChannel ch =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(signature);
        while (buffer.hasRemaining()) {
          ch.write(buffer);
        }
        ch.force(true);
      }
      for (int i = 1; i <= MAX_SIGNATURES; i++) {
        Path target = dir.resolve(PREFIX + i);
        byte[] existing = read(target);
        if (existing != null) {
          if (Arrays.equals(existing, signature)) {
            return target;
          }
          continue;
        }
        try {
          Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
          // another writer took this number first: look at what it wrote, then go on
          i--;
          continue;
        }
        FileTrees.fsyncDirectory(dir);
        return target;
      }
      throw new IOException("image " + manifest + " already has " + MAX_SIGNATURES
          + " signatures in " + dir);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** A signature file's bytes (cut one byte past the limit), or null if there is none. */
  private static byte[] read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.readNBytes(MAX_SIGNATURE + 1);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      // a directory in its place fails the read with a bare "Is a directory"
      throw new IOException("signature " + file + " does not read: " + e.getMessage(), e);
    }
  }
}
