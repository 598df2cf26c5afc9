package io.layerfs.core.overlay;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileHandle;
import io.layerfs.core.Node;
import io.layerfs.core.OpenDescriptors;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunks of a file copied up from the image: which ones a write copies (none it covers
 * whole), what a truncate keeps of them, which bytes a read and a transfer take from the data
 * file and which from the image, the metadata a copy-up keeps, and a data file shorter than its
 * copied chunks being damage. Expected bytes come from the same changes applied to a host file.
 */
class UpperFileChunksTest {
  private static final int CHUNK = UpperFile.CHUNK;

  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;
  RootFs root;
  Path dir;
  Overlay ov;
  byte[] big;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    ContainerFixture.build(store);
    root = RootFs.open(store, layers, ContainerFixture.IMAGE);
    dir = Files.createDirectories(tmp.resolve("web"));
    ov = Overlay.open(dir, false, root, layers);
    big = ContainerFixture.big();
  }

  @AfterEach
  void tearDown() throws IOException {
    ov.close();
    layers.close();
  }

  @Test
  void aWriteCopiesOnlyTheChunksItDoesNotCoverWhole() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      h.write(ByteBuffer.allocate(CHUNK), CHUNK); // chunk 1 whole
      assertEquals(CHUNK, ov.upperBytesWritten());
      h.write(ByteBuffer.allocate(CHUNK), 0); // chunk 0 whole, ending where chunk 1 starts
      assertEquals(2 * CHUNK, ov.upperBytesWritten());
      h.write(ByteBuffer.allocate(1), 3 * CHUNK + 5); // chunk 3 copied first
      assertEquals(3 * CHUNK + 1, ov.upperBytesWritten());
    }
    Arrays.fill(big, 0, 2 * CHUNK, (byte) 0);
    big[3 * CHUNK + 5] = 0;
    assertArrayEquals(big, read("/big"));
  }

  @Test
  void aTruncateKeepsTheChunksCopiedBelowTheNewSize() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      h.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 100);
      h.write(ByteBuffer.wrap(new byte[] {4}), CHUNK + 100);
      h.truncate(CHUNK + 1000);
    }
    byte[] expect = Arrays.copyOf(big, CHUNK + 1000);
    expect[100] = 1;
    expect[101] = 2;
    expect[102] = 3;
    expect[CHUNK + 100] = 4;
    assertArrayEquals(expect, read("/big"));
    ov.close();
    ov = Overlay.open(dir, true, root, layers);
    assertArrayEquals(expect, read("/big"));
  }

  @Test
  void bytesAppendedAtAChunkBoundaryPastTheImageBytesReadBack() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      h.truncate(2 * CHUNK); // the image's bytes now end at a chunk boundary
      h.write(ByteBuffer.wrap(new byte[] {'X'}), 2 * CHUNK);
      ByteBuffer last = ByteBuffer.allocate(1);
      assertEquals(1, h.read(last, 2 * CHUNK));
      assertEquals('X', last.get(0));
    }
    byte[] expect = Arrays.copyOf(big, 2 * CHUNK + 1);
    expect[2 * CHUNK] = 'X';
    assertArrayEquals(expect, read("/big"));
  }

  @Test
  void aFileWithEveryChunkButTheLastCopiedStillReadsTheLastFromTheImage() throws IOException {
    int chunks = (big.length + CHUNK - 1) / CHUNK;
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      for (int c = 0; c < chunks - 2; c++) {
        h.write(ByteBuffer.wrap(new byte[] {7}), (long) c * CHUNK);
        big[c * CHUNK] = 7;
      }
      assertArrayEquals(big, read(h));
    }
  }

  @Test
  void transfersTakeCopiedChunksFromTheDataFileAndTheRestFromTheImage() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      h.write(ByteBuffer.wrap(new byte[] {9}), CHUNK + 10); // only chunk 1 copied
      big[CHUNK + 10] = 9;
      for (long[] pc : new long[][] {{0, 1000}, {1000, 100_000}, {CHUNK, CHUNK}, {5, 300_000},
          {600_000, 200_000}}) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = h.transferTo(pc[0], pc[1], Channels.newChannel(out));
        int end = (int) Math.min(big.length, pc[0] + pc[1]);
        assertEquals(end - pc[0], n, Arrays.toString(pc));
        assertArrayEquals(Arrays.copyOfRange(big, (int) pc[0], end), out.toByteArray(),
            Arrays.toString(pc));
      }
    }
  }

  @Test
  void aCopyUpKeepsTheImagesMetadata() throws IOException {
    Node image = root.lookup("/etc/passwd", false);
    ov.open("/etc/passwd", Set.of(WRITE), 0).close();
    Node mine = ov.lookup("/etc/passwd", false);
    assertEquals(0600, mine.mode());
    assertEquals(image.mode(), mine.mode());
    assertEquals(image.mtimeNanos(), mine.mtimeNanos());
    assertEquals(image.uid(), mine.uid());
    // a symbolic link copied up for a chown keeps its target and size
    ov.setOwner("/lnk", false, 5, -1);
    Node link = ov.lookup("/lnk", false);
    assertEquals(5, link.uid());
    assertEquals("d1/a", link.linkTarget());
    assertEquals(4, link.size());
  }

  @Test
  void aDataFileShorterThanItsCopiedChunkIsDamageAndLeavesNothingOpen() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(WRITE), 0)) {
      h.write(ByteBuffer.allocate(1), 100); // chunk 0 copied: 65,536 bytes
    }
    long id = ((UpperEntry) ov.tree().resolve("/big", false, false).obj).id;
    ov.close();
    try (FileChannel c = FileChannel.open(dir.resolve("data/" + id), StandardOpenOption.WRITE)) {
      c.truncate(1000);
    }
    ov = Overlay.open(dir, true, root, layers);
    List<String> before = OpenDescriptors.under(dir); // only the container's: see that class
    for (int i = 0; i < 3; i++) {
      IOException e = assertThrows(IOException.class, () -> read("/big"));
      assertTrue(e.getMessage().contains("data file data/" + id + " is 1000 bytes, shorter than "
          + "the " + CHUNK + " bytes"), e.getMessage());
    }
    assertEquals(before, OpenDescriptors.under(dir), "the short data file is closed again");
  }

  // ------------------------------------------------------------------------------ helpers

  private byte[] read(String path) throws IOException {
    try (FileHandle h = ov.open(path, Set.of(READ), 0)) {
      return read(h);
    }
  }

  private static byte[] read(FileHandle h) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) h.size());
    while (b.hasRemaining() && h.read(b, b.position()) >= 0) {
      // until full
    }
    return b.array();
  }
}
