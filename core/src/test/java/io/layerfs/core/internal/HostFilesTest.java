package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HostFiles reads as Files.readAllBytes and Files.newInputStream do, with their exceptions. */
class HostFilesTest {
  @TempDir
  Path dir;

  @Test
  void readsWholeFilesOfEverySizeAroundItsChunk() throws IOException {
    Random random = new Random(7);
    for (int size : new int[] {0, 1, 8191, 8192, 8193, 3 * 8192 + 5, 1 << 20}) {
      byte[] data = new byte[size];
      random.nextBytes(data);
      Path file = Files.write(dir.resolve("f" + size), data);
      assertArrayEquals(data, HostFiles.read(file, 1 << 21), "size " + size);
      assertArrayEquals(data, HostFiles.read(file, size), "size " + size + ", max = size");
    }
  }

  @Test
  void readsOneByteMoreThanTheMaximumAsReadNBytesDoes() throws IOException {
    Path file = Files.write(dir.resolve("f"), new byte[100]);
    assertEquals(51, HostFiles.read(file, 50).length);
    assertEquals(100, HostFiles.read(file, 99).length);
    assertEquals(100, HostFiles.read(file, Integer.MAX_VALUE).length);
  }

  @Test
  void errorsAreThoseOfFiles() throws IOException {
    NoSuchFileException missing =
        assertThrows(NoSuchFileException.class, () -> HostFiles.open(dir.resolve("none")));
    assertEquals(dir.resolve("none").toString(), missing.getFile());
    Path link = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("none"));
    assertThrows(NoSuchFileException.class, () -> HostFiles.read(link, 10));
    FileSystemException directory =
        assertThrows(FileSystemException.class, () -> HostFiles.read(dir, 10));
    assertEquals(dir.toString(), directory.getFile());
  }

  @Test
  void aPathOfAnotherFileSystemIsReadThroughItsProvider() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      Path file = Files.write(fs.getPath("/f"), new byte[] {1, 2, 3});
      assertArrayEquals(new byte[] {1, 2, 3}, HostFiles.read(file, 10));
      try (InputStream in = HostFiles.open(file)) {
        assertEquals(1, in.read());
      }
      assertThrows(NoSuchFileException.class, () -> HostFiles.open(fs.getPath("/none")));
    }
  }
}
