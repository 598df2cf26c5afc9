package io.layerfs.core.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.core.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BlobWriter} on blobs larger than its writeback step, where the bytes written so far are
 * written back on another thread while writing goes on: the blob is stored whole and verified,
 * and a writer dropped or refused mid-way leaves no file behind.
 */
class BlobWriterTest {
  @TempDir Path tmp;

  private static final byte[] DATA = new byte[(int) (2.5 * BlobWriter.WRITEBACK_STEP)];

  static {
    new Random(7).nextBytes(DATA);
  }

  @Test
  void aBlobWrittenBackWhileWrittenIsStoredWholeAndVerified() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Digest expected = Digest.sha256(DATA);
    try (BlobWriter writer = store.newWriter(expected, DATA.length)) {
      // odd-sized writes, so that steps fall inside the writer's buffer as well as at its end
      for (int off = 0; off < DATA.length; off += 100_003) {
        writer.write(DATA, off, Math.min(100_003, DATA.length - off));
      }
      assertEquals(expected, writer.commit(expected, DATA.length));
    }
    assertArrayEquals(DATA, Files.readAllBytes(store.blobPath(expected)));
    assertEquals(0, tempFiles(store));
  }

  @Test
  void aWriterDroppedMidWayOrRefusedLeavesNoFile() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    try (BlobWriter writer = store.newWriter(null, -1)) {
      writer.write(DATA, 0, DATA.length - 1); // writebacks started, one maybe still under way
    }
    Digest other = Digest.sha256(new byte[1]);
    try (BlobWriter writer = store.newWriter(other, DATA.length)) {
      writer.write(DATA);
      IOException e = assertThrows(IOException.class, () -> writer.commit(other, DATA.length));
      assertEquals("digest mismatch: expected " + other + ", actual " + Digest.sha256(DATA),
          e.getMessage());
    }
    assertEquals(0, tempFiles(store));
    assertEquals(false, store.contains(Digest.sha256(DATA)));
  }

  private static long tempFiles(ContentStore store) throws IOException {
    Path tmp = store.root().resolve(ContentStore.STATE_DIR).resolve("tmp");
    if (!Files.isDirectory(tmp)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(tmp)) {
      return files.filter(f -> f.getFileName().toString().startsWith("blob")).count();
    }
  }
}
