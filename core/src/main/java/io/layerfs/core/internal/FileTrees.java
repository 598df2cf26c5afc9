package io.layerfs.core.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/** Small file and stream chores several classes of the store share. */
public final class FileTrees {
  private FileTrees() {}

  /** Makes a directory's entries durable: a rename or create in it survives a crash. */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** Deletes {@code dir} and everything below it, children first; a missing tree is no error. */
  public static void deleteTree(Path dir) throws IOException {
    List<Path> all;
    try (Stream<Path> walk = Files.walk(dir)) {
      all = new ArrayList<>(walk.toList());
    } catch (NoSuchFileException e) {
      return;
    }
    Collections.reverse(all);
    for (Path p : all) {
      Files.deleteIfExists(p);
    }
  }

  /**
   * {@code out} behind a stream whose {@code close} only flushes, for writers (tar, compressors)
   * that close what they wrap while the caller still has work to do on it.
   */
  public static OutputStream shielded(OutputStream out) {
    return new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }
}
