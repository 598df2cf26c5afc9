package io.layerfs.core.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.testing.Props;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

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

  /**
   * Blobs of random bytes and runs of zeros (some longer than the writer's buffer, some at the
   * end), written in pieces of random sizes: each is stored byte for byte, whatever runs were
   * left holes.
   */
  @Test
  void zerosLeftAsHolesReadBackAsTheBlob() {
    Props p = Props.tries(60);
    Gen<List<Integer>> runs = p.lists(p.ints(-3 * (1 << 16), 3 * (1 << 16)), 1, 8);
    p.qt().forAll(runs, p.ints(1, 200_000)).checkAssert(Props.io((lengths, piece) -> {
      ByteArrayOutputStream blob = new ByteArrayOutputStream();
      Random random = new Random(lengths.hashCode());
      for (int n : lengths) {
        byte[] run = new byte[Math.abs(n)];
        if (n > 0) {
          random.nextBytes(run); // negative lengths are zeros
        }
        blob.writeBytes(run);
      }
      byte[] data = blob.toByteArray();
      ContentStore store = ContentStore.open(Files.createTempDirectory(tmp, "s"));
      Digest d;
      try (BlobWriter writer = store.newWriter(null, -1)) {
        for (int off = 0; off < data.length; off += piece) {
          writer.write(data, off, Math.min(piece, data.length - off));
        }
        d = writer.commit(Digest.sha256(data), data.length);
      }
      assertArrayEquals(data, Files.readAllBytes(store.blobPath(d)));
    }));
  }

  /**
   * 64 MiB of zeros, then a byte or nothing more: the file is as long as the blob, hashes to its
   * digest, and takes next to no disk.
   */
  @Test
  void aBlobOfZerosTakesNoDisk() throws Exception {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    byte[] zeros = new byte[1 << 20];
    for (boolean tail : new boolean[] {true, false}) {
      Digest d;
      try (BlobWriter writer = store.newWriter(null, -1)) {
        for (int i = 0; i < 64; i++) {
          writer.write(zeros);
        }
        if (tail) {
          writer.write('x');
        }
        d = writer.commit(null, -1);
      }
      Path file = store.blobPath(d);
      assertEquals((64 << 20) + (tail ? 1 : 0), Files.size(file));
      try (var in = Files.newInputStream(file)) {
        assertEquals(d, Digest.sha256(in.readAllBytes()));
      }
      // the JDK does not read a file's allocated blocks: stat(1) does (512-byte blocks)
      Process stat = new ProcessBuilder("stat", "-c", "%b", file.toString()).start();
      long blocks = Long.parseLong(new String(stat.getInputStream().readAllBytes(),
          StandardCharsets.US_ASCII).trim());
      assertEquals(0, stat.waitFor());
      assertTrue(blocks * 512 < 1 << 20, blocks + " blocks allocated");
    }
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
