package io.layerfs.core.overlay;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.core.FileHandle;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a container's file does with its data file's channel, seen through {@link
 * TracingChannel} around the channels {@link UpperLayer#wrapChannels} hands out: a forced handle
 * forces its data file, then the log; a file whose bytes are all in its data file (written new,
 * written or truncated until no image chunk is left, mapped, or copied up empty) is streamed by
 * the data file's own {@code transferTo}, which lets the OS copy, while one still reading image
 * chunks is not; short reads and writes, which the channel contract allows, lose no byte; a data
 * file cut while open is damage, never zeros, and a write to a file whose data file is short
 * fails before writing. Also: the chunk bitmap a truncate logs, and a write after a copy-up for
 * a mapping whose record failed surviving a crash.
 */
@ExtendWith(NoRunningCompaction.class)
class UpperFileChannelTest {
  private static final int CHUNK = UpperFile.CHUNK;

  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;
  RootFs root;
  Path dir;
  Overlay ov;
  final TracingChannel.Trace trace = new TracingChannel.Trace();
  byte[] big;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    ContainerFixture.build(store);
    root = RootFs.open(store, layers, ContainerFixture.IMAGE);
    dir = Files.createDirectories(tmp.resolve("web"));
    ov = Overlay.open(dir, false, root, layers);
    ov.tree().upper().wrapChannels(trace.as("log"), trace.as("data"));
    big = ContainerFixture.big();
  }

  @AfterEach
  void tearDown() throws IOException {
    ov.close();
    layers.close();
  }

  // ------------------------------------------------------------------------------- force

  @Test
  void aForcedHandleForcesItsDataFileThenTheLog() throws IOException {
    try (FileHandle h = ov.open("/new", Set.of(WRITE, CREATE), 0644)) {
      h.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
      trace.clear();
      h.force(true);
      assertEquals(List.of("data force true", "log force false"), trace.events());
      trace.clear();
      h.force(false);
      assertEquals(List.of("data force false", "log force false"), trace.events());
    }
    // a file whose data file was never opened has nothing of its own to force
    try (FileHandle h = ov.open("/big", Set.of(WRITE), 0)) {
      trace.clear();
      h.force(true);
      assertEquals(List.of("log force false"), trace.events());
    }
  }

  // ------------------------------------------------------------------- the OS's transfers

  @Test
  void aNewFileIsStreamedByItsDataFile() throws IOException {
    byte[] bytes = random(3 * CHUNK + 5);
    try (FileHandle h = ov.open("/new", Set.of(READ, WRITE, CREATE), 0644)) {
      h.write(ByteBuffer.wrap(bytes), 0);
      assertStreamed(h, bytes, true);
      assertEquals(0, h.transferTo(bytes.length, 10, Channels.newChannel(
          new ByteArrayOutputStream())), "nothing at the end");
    }
  }

  @Test
  void aFileStillReadingImageChunksIsNotStreamedByItsDataFile() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      h.write(ByteBuffer.wrap(new byte[] {9}), CHUNK + 10); // only chunk 1 copied
      big[CHUNK + 10] = 9;
      assertStreamed(h, big, false);
    }
  }

  @Test
  void aFileWithEveryChunkWrittenIsStreamedByItsDataFile() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      for (int at = 0; at < big.length; at += CHUNK) {
        h.write(ByteBuffer.wrap(new byte[] {7}), at);
        big[at] = 7;
        if (at + CHUNK < big.length) {
          assertStreamed(h, big, false); // the last chunk still comes from the image
        }
      }
      assertStreamed(h, big, true);
    }
  }

  @Test
  void aFileTruncatedToItsCopiedChunksIsStreamedByItsDataFile() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      h.write(ByteBuffer.wrap(new byte[] {5}), 10);
      h.write(ByteBuffer.wrap(new byte[] {6}), CHUNK + 10);
      big[10] = 5;
      big[CHUNK + 10] = 6;
      h.truncate(2 * CHUNK); // a chunk boundary: chunks 0 and 1 are the whole file
      assertStreamed(h, Arrays.copyOf(big, 2 * CHUNK), true);
    }
  }

  @Test
  void aMappedFileIsStreamedByItsDataFile() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) { // an upper file's handle
      h.map(FileChannel.MapMode.READ_ONLY, 0, 10);
      assertStreamed(h, big, true);
    }
    byte[] a = "lower a v2\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (FileHandle h = ov.open("/d1/a", Set.of(READ, WRITE), 0)) { // the second layer's file
      h.map(FileChannel.MapMode.READ_WRITE, 0, a.length);
      assertStreamed(h, a, true);
    }
  }

  @Test
  void anEmptyImageFileWrittenIsStreamedByItsDataFile() throws IOException {
    ov.close();
    ImageBuilder.create(store.root()).layer().file("/empty", new byte[0]).build("empty");
    RootFs empty = RootFs.open(store, layers, "empty");
    ov = Overlay.open(Files.createDirectories(tmp.resolve("e")), false, empty, layers);
    ov.tree().upper().wrapChannels(trace.as("log"), trace.as("data"));
    byte[] bytes = {1, 2, 3};
    try (FileHandle h = ov.open("/empty", Set.of(READ, WRITE), 0)) {
      h.write(ByteBuffer.wrap(bytes), 0);
      assertStreamed(h, bytes, true);
    }
  }

  // ---------------------------------------------------------------- short reads and writes

  @Test
  void readsAndWritesInShortPiecesLoseNoByte() throws IOException {
    trace.piece = 1000;
    byte[] bytes = random(10_000);
    try (FileHandle h = ov.open("/new", Set.of(READ, WRITE, CREATE), 0644)) {
      h.write(ByteBuffer.wrap(bytes), 0);
      assertArrayEquals(bytes, read(h));
    }
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      h.write(ByteBuffer.wrap(new byte[] {1, 2}), 3 * CHUNK + 100); // chunk 3 copied first
      big[3 * CHUNK + 100] = 1;
      big[3 * CHUNK + 101] = 2;
      assertArrayEquals(big, read(h));
    }
    trace.piece = 0;
    reopen();
    assertArrayEquals(bytes, read("/new"));
    assertArrayEquals(big, read("/big"));
  }

  @Test
  void aDataFileCutWhileOpenIsDamageNotZeros() throws IOException {
    try (FileHandle h = ov.open("/new", Set.of(READ, WRITE, CREATE), 0644)) {
      h.write(ByteBuffer.wrap(random(1000)), 0);
      long id = ((UpperEntry) ov.tree().resolve("/new", false, false).obj).id;
      try (FileChannel c = FileChannel.open(dir.resolve("data/" + id), WRITE)) {
        c.truncate(100);
      }
      assertEquals(50, h.read(ByteBuffer.allocate(50), 0), "the bytes still there read");
      IOException e = assertThrows(IOException.class, () -> h.read(ByteBuffer.allocate(1000), 0));
      assertEquals("container web: /new: data file data/" + id + " is 100 bytes, shorter than "
          + "the 1000 bytes the logged state holds in it", e.getMessage());
    }
  }

  @Test
  void aWriteToAFileWhoseDataFileIsShortIsDamageAndWritesNothing() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(WRITE), 0)) {
      h.write(ByteBuffer.wrap(new byte[] {1}), 100); // chunk 0 copied: 65,536 bytes
    }
    long id = ((UpperEntry) ov.tree().resolve("/big", false, false).obj).id;
    ov.close();
    Path data = dir.resolve("data/" + id);
    try (FileChannel c = FileChannel.open(data, WRITE)) {
      c.truncate(1000);
    }
    ov = Overlay.open(dir, false, root, layers);
    ov.tree().upper().wrapChannels(trace.as("log"), trace.as("data"));
    trace.clear();
    try (FileHandle h = ov.open("/big", Set.of(WRITE), 0)) {
      // a write elsewhere would fill the lost bytes of chunk 0 with zeros
      IOException e = assertThrows(IOException.class,
          () -> h.write(ByteBuffer.wrap(new byte[] {2}), 3 * CHUNK));
      assertEquals("container web: /big: data file data/" + id + " is 1000 bytes, shorter than "
          + "the " + CHUNK + " bytes the logged state holds in it", e.getMessage());
      assertEquals(List.of("data close"), trace.events(), "the short data file closed again");
    }
    assertEquals(1000, Files.size(data));
  }

  // ---------------------------------------------------------------------- the chunk bitmap

  @Test
  void aTruncateUnmarksTheChunksPastTheNewSize() throws IOException {
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      for (int c = 1; c <= 3; c++) {
        h.write(ByteBuffer.wrap(new byte[] {3}), (long) c * CHUNK + 1);
        big[c * CHUNK + 1] = 3;
      }
      assertEquals(bits(1, 2, 3), file("/big").chunks);
      h.truncate(2 * CHUNK); // chunk 0 is still the image's: the origin stays
      assertEquals(bits(1), file("/big").chunks);
      assertArrayEquals(Arrays.copyOf(big, 2 * CHUNK), read(h));
    }
    reopen();
    assertEquals(bits(1), file("/big").chunks, "as logged");
    assertArrayEquals(Arrays.copyOf(big, 2 * CHUNK), read("/big"));
  }

  // ---------------------------------------------------------------------- a failed record

  @Test
  void aWriteAfterAMappingWhoseRecordFailedSurvivesACrash() throws IOException {
    FailingChannel.Disk logDisk = new FailingChannel.Disk();
    ov.tree().upper().wrapChannels(logDisk::wrap, c -> c);
    // a record larger than the log space a change reserves
    ov.setXattr("/big", false, "user.big", new byte[2 << 20]);
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      logDisk.free(0);
      assertThrows(IOException.class, () -> h.map(FileChannel.MapMode.READ_ONLY, 0, 10));
      logDisk.heal();
      h.write(ByteBuffer.wrap(new byte[] {1}), 100);
      big[100] = 1;
      assertArrayEquals(big, read(h));
      Path crash = crashCopy();
      try (Overlay replayed = Overlay.open(crash, true, root, layers);
          FileHandle r = replayed.open("/big", Set.of(READ), 0)) {
        assertArrayEquals(big, read(r), "the write is in the log's chunk bitmap");
      }
    }
  }

  // ------------------------------------------------------------------------------ helpers

  /** Transfers {@code h} whole: its bytes are {@code expect}, through the data file's channel? */
  private void assertStreamed(FileHandle h, byte[] expect, boolean byDataFile)
      throws IOException {
    trace.clear();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long n = h.transferTo(0, expect.length + 100L, Channels.newChannel(out));
    assertEquals(expect.length, n);
    assertArrayEquals(expect, out.toByteArray());
    assertEquals(byDataFile ? 1 : 0, trace.count("data transferTo"), trace.events().toString());
  }

  private UpperFile file(String path) throws IOException {
    long id = ((UpperEntry) ov.tree().resolve(path, false, false).obj).id;
    return ov.tree().upper().files.get(id);
  }

  private static BitSet bits(int... set) {
    BitSet b = new BitSet();
    for (int i : set) {
      b.set(i);
    }
    return b;
  }

  private void reopen() throws IOException {
    ov.close();
    ov = Overlay.open(dir, false, root, layers);
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

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

  /** The container's files as a killed process leaves them (the log's pages are shared). */
  private Path crashCopy() throws IOException {
    Path to = tmp.resolve("crash");
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(dir.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return to;
  }
}
