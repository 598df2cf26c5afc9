package io.layerfs.core.internal;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Opens the small files a view's first open reads (the layout's {@code oci-layout} and {@code
 * index.json}, memos, manifests, a layer index) through {@code java.io} rather than a channel.
 * {@code Files.newInputStream} opens a {@code FileChannel}, whose first use in a fresh JVM loads
 * about 25 classes the JDK's shared archive lacks; an image view's first open paid them for these
 * reads alone. Errors are the {@code java.nio.file} exceptions {@code Files} would throw.
 */
public final class HostFiles {
  /** The largest read that {@code FileInputStream} makes without allocating native memory. */
  private static final int CHUNK = 8192;

  private HostFiles() {}

  /** Opens {@code file} for reading, as {@code Files.newInputStream} does. */
  public static InputStream open(Path file) throws IOException {
    if (file.getFileSystem() != FileSystems.getDefault()) {
      return Files.newInputStream(file);
    }
    try {
      return new FileInputStream(file.toFile());
    } catch (FileNotFoundException e) {
      throw nioException(file, e);
    }
  }

  /**
   * The bytes of {@code file}, at most {@code max} + 1 of them (so that a caller can tell a file
   * longer than {@code max}), as {@code in.readNBytes(max + 1)} gives them: a file cut short while
   * it is read gives what there was.
   */
  public static byte[] read(Path file, int max) throws IOException {
    int limit = max == Integer.MAX_VALUE ? max : max + 1;
    try (InputStream in = open(file)) {
      long size = file.getFileSystem() == FileSystems.getDefault() ? file.toFile().length()
          : Files.size(file);
      byte[] data = new byte[(int) Math.min(limit, size)];
      int n = 0;
      while (true) {
        if (n == data.length) {
          int next = n < limit ? in.read() : -1; // at the size it had: is there more?
          if (next < 0) {
            return data;
          }
          data = Arrays.copyOf(data, (int) Math.min(limit, Math.max(2L * n, n + CHUNK)));
          data[n++] = (byte) next;
          continue;
        }
        // a chunk at a time: FileInputStream allocates native memory for each larger read
        int r = in.read(data, n, Math.min(CHUNK, data.length - n));
        if (r < 0) {
          return Arrays.copyOf(data, n);
        }
        n += r;
      }
    }
  }

  private static IOException nioException(Path file, FileNotFoundException e) {
    if (!Files.exists(file)) {
      return new NoSuchFileException(file.toString());
    }
    if (Files.isDirectory(file)) {
      return new FileSystemException(file.toString(), null, "Is a directory");
    }
    if (!Files.isReadable(file)) {
      return new AccessDeniedException(file.toString());
    }
    return new FileSystemException(file.toString(), null, e.getMessage());
  }
}
