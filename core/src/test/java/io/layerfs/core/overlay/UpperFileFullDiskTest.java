package io.layerfs.core.overlay;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileHandle;
import io.layerfs.core.Node;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write, copy-up or truncate of a container's file that meets a full disk (in the data file,
 * or in the metadata log it must grow) fails with nothing half done: the file reads and sizes as
 * before, the data file holds no bytes past the size (which a reopen would count as written),
 * the caller's buffer is where it was, and the container keeps working once there is room. The
 * disk fills on demand through {@link UpperLayer#wrapChannels}. Also: a data file's channel that
 * the JDK closed because its thread was interrupted is opened again.
 */
@ExtendWith(NoRunningCompaction.class)
class UpperFileFullDiskTest {
  private static final byte[] HOSTS = "127.0.0.1 localhost\n".getBytes(StandardCharsets.UTF_8);

  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;
  RootFs root;
  Path dir;
  Overlay ov;
  final FailingChannel.Disk logDisk = new FailingChannel.Disk();
  final FailingChannel.Disk dataDisk = new FailingChannel.Disk();

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    ContainerFixture.build(store);
    root = RootFs.open(store, layers, ContainerFixture.IMAGE);
    dir = Files.createDirectories(tmp.resolve("web"));
    open();
  }

  @AfterEach
  void tearDown() throws IOException {
    logDisk.heal();
    dataDisk.heal();
    ov.close();
    layers.close();
  }

  private void open() throws IOException {
    ov = Overlay.open(dir, false, root, layers);
    ov.tree().upper().wrapChannels(logDisk::wrap, dataDisk::wrap);
  }

  private void reopen() throws IOException {
    logDisk.heal();
    dataDisk.heal();
    ov.close();
    open();
  }

  // ------------------------------------------------------------------------- the data file

  @Test
  void aWriteToANewFileThatFillsTheDiskLeavesItEmpty() throws IOException {
    try (FileHandle h = ov.open("/new", Set.of(WRITE, CREATE), 0644)) {
      dataDisk.free(50);
      ByteBuffer src = ByteBuffer.allocate(100);
      assertThrows(IOException.class, () -> h.write(src, 0));
      assertEquals(0, src.position(), "the caller's buffer as it was");
      assertEquals(0, h.size());
      assertEquals(0, Files.size(dataFile("/new")), "the 50 bytes that fitted are cut");
    }
    reopen();
    assertEquals(0, ov.lookup("/new", false).size(), "no unlogged bytes counted on reopen");
  }

  @Test
  void aCopyUpWriteThatFillsTheDiskLeavesTheImageBytes() throws IOException {
    byte[] big = ContainerFixture.big();
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      // chunks 0 and 1 are copied (the write covers neither whole); the second does not fit
      dataDisk.free(100_000);
      ByteBuffer src = ByteBuffer.wrap(new byte[10_000]);
      IOException e = assertThrows(IOException.class, () -> h.write(src, 60_000));
      assertEquals("No space left on device", e.getMessage());
      assertEquals(0, src.position());
      assertArrayEquals(big, read(h));
      dataDisk.heal();
      assertEquals(10_000, h.write(ByteBuffer.wrap(new byte[10_000]), 60_000));
      Arrays.fill(big, 60_000, 70_000, (byte) 0);
      assertArrayEquals(big, read(h));
    }
    reopen();
    assertArrayEquals(big, read("/big"));
  }

  @Test
  void aWritePastACopiedUpFileThatFillsTheDiskCutsWhatItAdded() throws IOException {
    Node before = ov.lookup("/etc/hosts", false);
    try (FileHandle h = ov.open("/etc/hosts", Set.of(READ, WRITE), 0)) {
      dataDisk.free(HOSTS.length + 30); // the copy of the 20 bytes, then 30 of the 100
      assertThrows(IOException.class, () -> h.write(ByteBuffer.allocate(100), 10));
      assertEquals(HOSTS.length, h.size());
      assertEquals(HOSTS.length, Files.size(dataFile("/etc/hosts")), "cut to the size");
      assertArrayEquals(HOSTS, read(h));
      assertEquals(before.mtimeNanos(), ov.lookup("/etc/hosts", false).mtimeNanos());
    }
    reopen();
    assertArrayEquals(HOSTS, read("/etc/hosts"));
  }

  @Test
  void aFailedCutAfterAFailedWriteIsReportedWithIt() throws IOException {
    try (FileHandle h = ov.open("/new", Set.of(WRITE, CREATE), 0644)) {
      dataDisk.free(50);
      dataDisk.failTruncate = true;
      IOException e = assertThrows(IOException.class, () -> h.write(ByteBuffer.allocate(100), 0));
      assertEquals("No space left on device", e.getMessage());
      assertEquals(1, e.getSuppressed().length, Arrays.toString(e.getSuppressed()));
      assertEquals("Input/output error", e.getSuppressed()[0].getMessage());
      assertEquals(0, h.size());
    }
  }

  @Test
  void aMappingWhoseCopyUpFillsTheDiskLeavesTheImageBytes() throws IOException {
    byte[] big = ContainerFixture.big();
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      dataDisk.free(100_000);
      assertThrows(IOException.class, () -> h.map(FileChannel.MapMode.READ_ONLY, 0, 10));
      assertArrayEquals(big, read(h));
      dataDisk.heal();
      ByteBuffer m = h.map(FileChannel.MapMode.READ_ONLY, 0, big.length);
      byte[] mapped = new byte[big.length];
      m.get(mapped);
      assertArrayEquals(big, mapped);
    }
  }

  // ------------------------------------------------------------------------------ the log

  /**
   * A file whose record (its attributes) is larger than the log space reserved for a change:
   * logging its copy-up has to grow the log, which a full disk fails.
   */
  private void largeRecord(String path) throws IOException {
    ov.setXattr(path, false, "user.big", new byte[2 << 20]);
  }

  @Test
  void aCopyUpWriteWhoseRecordFindsTheLogFullLeavesTheFileAsItWas() throws IOException {
    largeRecord("/etc/hosts");
    Node before = ov.lookup("/etc/hosts", false);
    try (FileHandle h = ov.open("/etc/hosts", Set.of(READ, WRITE), 0)) {
      logDisk.free(0);
      ByteBuffer src = ByteBuffer.wrap("0123456789".repeat(10).getBytes(StandardCharsets.UTF_8));
      IOException e = assertThrows(IOException.class, () -> h.write(src, 10));
      assertTrue(e.getMessage().contains("cannot grow the container metadata log"),
          e.getMessage());
      assertEquals(0, src.position());
      assertEquals(HOSTS.length, h.size(), "the size as it was");
      assertArrayEquals(HOSTS, read(h), "the chunk read from the image again");
      assertEquals(HOSTS.length, Files.size(dataFile("/etc/hosts")), "cut to the size");
      Node after = ov.lookup("/etc/hosts", false);
      assertEquals(before.mtimeNanos(), after.mtimeNanos());
      assertEquals(before.ctimeNanos(), after.ctimeNanos());
      logDisk.heal();
      assertEquals(100, h.write(src, 10), "not a broken layer: the change was undone");
    }
    reopen();
    assertEquals(110, ov.lookup("/etc/hosts", false).size());
  }

  @Test
  void aCopyUpWriteWithinTheImageBytesWhoseRecordFindsTheLogFull() throws IOException {
    byte[] big = ContainerFixture.big();
    largeRecord("/big");
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      logDisk.free(0);
      assertThrows(IOException.class, () -> h.write(ByteBuffer.wrap(new byte[10]), 100));
      assertArrayEquals(big, read(h), "chunk 0 not marked copied: the image's bytes");
      // written whole: the file no longer needs its image bytes, unless the record fails
      byte[] other = big.clone();
      Arrays.fill(other, 100, 110, (byte) 1);
      assertThrows(IOException.class, () -> h.write(ByteBuffer.wrap(other), 0));
      assertArrayEquals(big, read(h));
    }
    reopen();
    assertArrayEquals(big, read("/big"));
  }

  @Test
  void aTruncateWhoseRecordFindsTheLogFullChangesNothing() throws IOException {
    byte[] big = ContainerFixture.big();
    largeRecord("/big");
    Node before = ov.lookup("/big", false);
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      logDisk.free(0);
      assertThrows(IOException.class, () -> h.truncate(100_000));
      assertThrows(IOException.class, () -> h.truncate(0));
      assertEquals(big.length, h.size());
      assertArrayEquals(big, read(h));
      assertEquals(before.mtimeNanos(), ov.lookup("/big", false).mtimeNanos());
      logDisk.heal();
      h.truncate(100_000);
      assertArrayEquals(Arrays.copyOf(big, 100_000), read(h));
    }
    reopen();
    assertArrayEquals(Arrays.copyOf(big, 100_000), read("/big"));
  }

  @Test
  void aMappingWhoseRecordFindsTheLogFullKeepsReadingTheImage() throws IOException {
    byte[] big = ContainerFixture.big();
    largeRecord("/big");
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      logDisk.free(0);
      assertThrows(IOException.class, () -> h.map(FileChannel.MapMode.READ_ONLY, 0, 10));
      assertArrayEquals(big, read(h));
    }
    reopen();
    assertArrayEquals(big, read("/big"));
  }

  @Test
  void aCopyUpFailsBeforeCopyingWhenTheLogHasNoRoomLeft() throws IOException {
    byte[] big = ContainerFixture.big();
    try (FileHandle h = ov.open("/big", Set.of(READ, WRITE), 0)) {
      fillLog();
      logDisk.free(0);
      IOException e = assertThrows(IOException.class,
          () -> h.write(ByteBuffer.allocate(10), 100));
      assertTrue(e.getMessage().contains("cannot grow the container metadata log"),
          e.getMessage());
      assertFalse(Files.exists(dataFile("/big")), "nothing copied");
      assertThrows(IOException.class, () -> h.truncate(10));
      assertThrows(IOException.class, () -> h.map(FileChannel.MapMode.READ_ONLY, 0, 10));
      assertFalse(Files.exists(dataFile("/big")), "nothing copied");
      assertArrayEquals(big, read(h));
    }
  }

  @Test
  void aDataFileClosedByAnInterruptIsOpenedAgain() throws IOException {
    ov.tree().upper().wrapChannels(c -> c, c -> c); // the JDK's own channels, as they close
    try (FileHandle h = ov.open("/new", Set.of(READ, WRITE, CREATE), 0644)) {
      h.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.UTF_8)), 0);
      Thread.currentThread().interrupt();
      try {
        // the JDK closes a channel used by an interrupted thread
        assertThrows(java.nio.channels.ClosedByInterruptException.class,
            () -> h.read(ByteBuffer.allocate(3), 0));
      } finally {
        Thread.interrupted();
      }
      assertArrayEquals("abc".getBytes(StandardCharsets.UTF_8), read(h));
      h.write(ByteBuffer.wrap("d".getBytes(StandardCharsets.UTF_8)), 3);
      assertEquals(4, h.size());
    }
    reopen();
    assertArrayEquals("abcd".getBytes(StandardCharsets.UTF_8), read("/new"));
  }

  /** Log records that leave less room in the log's mapping than a change reserves. */
  private void fillLog() throws IOException {
    // a change reserves room for its own attributes only; a file's record logged as a handle
    // closes reserves none, and this one holds 1.1 MB of them
    try (FileHandle h = ov.open("/filler", Set.of(WRITE, CREATE), 0644)) {
      ov.setXattr("/filler", false, "user.big", new byte[1100 << 10]);
      h.write(ByteBuffer.allocate(1), 0);
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private Path dataFile(String path) throws IOException {
    long id = ((UpperEntry) ov.tree().resolve(path, false, false).obj).id;
    return dir.resolve("data").resolve(Long.toString(id));
  }

  private byte[] read(String path) throws IOException {
    try (FileHandle h = ov.open(path, Set.<OpenOption>of(READ), 0)) {
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
