package io.layerfs.core.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writing {@code meta.log} and {@code meta.snap}: records appended across several growths of the
 * log's mapping, over reopens and compactions, read back whole and in order; a full disk while
 * the log grows fails the append and loses no record before it; a snapshot that does not read
 * (short, a length that disagrees, generation 0) is a problem naming it. The log grows by 1 MiB
 * of zeros past its last record; a reservation holds exactly the room left in the mapping; a
 * record that ends where the file ends (after a reopen cut the zeros) reads.
 */
class MetaLogWriteTest {
  @TempDir Path tmp;
  private int dirs;

  @Test
  void recordsAcrossGrowthsReopensAndCompactionsReadBackInOrder() {
    Props p = Props.tries(10).seed(16);
    p.qt()
        .forAll(p.lists(p.ints(1, 300_000), 1, 14), p.ints(0, 13))
        .checkAssert((sizes, reopenAt) -> unchecked(() -> {
          Path dir = dir();
          List<byte[]> all = new ArrayList<>();
          MetaLog log = MetaLog.openForAppend(dir, MetaLog.load(dir));
          for (int i = 0; i < sizes.size(); i++) {
            byte[] r = record(i, sizes.get(i));
            if (i % 3 == 0) {
              log.reserve(8 + r.length);
            }
            log.append(r);
            all.add(r);
            if (i == reopenAt) {
              log.close();
              log = MetaLog.openForAppend(dir, MetaLog.load(dir));
            }
          }
          log.close();
          MetaLog.State s = MetaLog.load(dir);
          assertEquals(all.size(), s.records.size());
          for (int i = 0; i < all.size(); i++) {
            assertArrayEquals(all.get(i), s.records.get(i), "record " + i);
          }
          long[] valid = new long[1];
          assertEquals(all.size(), MetaLog.read(dir, valid).size());
          long end = MetaLog.HEADER;
          for (byte[] r : all) {
            end += 8 + r.length;
          }
          assertEquals(end, valid[0]);
          // compacted: the snapshot holds them, the log starts over in the next generation
          try (MetaLog w = MetaLog.openForAppend(dir, s)) {
            MetaLog.writeSnapshot(dir, 1, new byte[] {42});
            w.reset(1);
            assertEquals(1, w.generation());
            w.append(new byte[] {7});
          }
          MetaLog.State after = MetaLog.load(dir);
          assertArrayEquals(new byte[] {42}, after.snapshot);
          assertEquals(1, after.generation);
          assertEquals(1, after.records.size());
          assertArrayEquals(new byte[] {7}, after.records.get(0));
        }));
  }

  @Test
  void aFullDiskWhileTheLogGrowsFailsTheAppendAndKeepsTheRecordsBefore() throws IOException {
    Path dir = dir();
    FailingChannel.Disk disk = new FailingChannel.Disk();
    List<byte[]> kept = new ArrayList<>();
    try (MetaLog log = MetaLog.openForAppend(dir, MetaLog.load(dir))) {
      log.wrapChannel(disk::wrap);
      for (int i = 0; i < 3; i++) {
        kept.add(record(i, 300_000));
        log.append(kept.get(i));
      }
      disk.free(10_000);
      IOException e = assertThrows(IOException.class, () -> log.append(record(9, 3 << 20)));
      assertEquals("cannot grow the container metadata log " + dir.resolve(MetaLog.LOG)
          + ": No space left on device", e.getMessage());
      assertThrows(IOException.class, () -> log.reserve(3 << 20));
      disk.heal();
      kept.add(record(3, 3 << 20));
      log.append(kept.get(3)); // the log grows where it failed
    }
    MetaLog.State s = MetaLog.load(dir);
    assertEquals(kept.size(), s.records.size());
    for (int i = 0; i < kept.size(); i++) {
      assertArrayEquals(kept.get(i), s.records.get(i), "record " + i);
    }
  }

  @Test
  void anEmptyRecordIsRefused() throws IOException {
    Path dir = dir();
    try (MetaLog log = MetaLog.openForAppend(dir, MetaLog.load(dir))) {
      assertThrows(IllegalArgumentException.class, () -> log.append(new byte[0]));
      assertThrows(IllegalArgumentException.class, () -> log.append(new byte[] {1, 2}, 0));
      log.append(new byte[] {1, 2}, 1);
    }
    MetaLog.State s = MetaLog.load(dir);
    assertEquals(1, s.records.size());
    assertArrayEquals(new byte[] {1}, s.records.get(0));
  }

  @Test
  void aDirectoryHasAnUpperLayerOnceAnyOfItsFilesExists() throws IOException {
    for (String name : new String[] {MetaLog.LOG, MetaLog.SNAP, MetaLog.DATA}) {
      Path dir = dir();
      assertFalse(MetaLog.hasUpperLayer(dir));
      Files.createFile(dir.resolve(name));
      assertTrue(MetaLog.hasUpperLayer(dir), name);
    }
  }

  @Test
  void aSnapshotThatDoesNotReadIsAProblemNamingIt() throws IOException {
    Path dir = dir();
    Path snap = dir.resolve(MetaLog.SNAP);
    MetaLog.writeSnapshot(dir, 0, new byte[] {1, 2, 3});
    assertEquals("corrupt container snapshot (generation 0): " + snap,
        MetaLog.scan(dir).problems.get(0));

    MetaLog.writeSnapshot(dir, 3, new byte[] {1, 2, 3});
    byte[] good = Files.readAllBytes(snap);
    assertEquals(3, MetaLog.scan(dir).generation);
    Files.write(snap, Arrays.copyOf(good, good.length - 1));
    assertEquals("corrupt container snapshot (length or checksum): " + snap,
        MetaLog.scan(dir).problems.get(0));
    Files.write(snap, Arrays.copyOf(good, good.length + 1));
    assertEquals("corrupt container snapshot (length or checksum): " + snap,
        MetaLog.scan(dir).problems.get(0));
    byte[] negative = good.clone();
    ByteBuffer.wrap(negative).putInt(20, -1);
    Files.write(snap, negative);
    assertEquals("corrupt container snapshot (length or checksum): " + snap,
        MetaLog.scan(dir).problems.get(0));
    Files.write(snap, Arrays.copyOf(good, 27));
    assertEquals("not a layerfs container snapshot: " + snap, MetaLog.scan(dir).problems.get(0));
    // an empty payload reads
    MetaLog.writeSnapshot(dir, 4, new byte[0]);
    assertEquals(0, MetaLog.scan(dir).snapshot.length);
  }

  @Test
  void aSnapshotWithAFlippedByteFailsItsChecksum() throws IOException {
    Path dir = dir();
    Path snap = dir.resolve(MetaLog.SNAP);
    MetaLog.writeSnapshot(dir, 3, new byte[] {1, 2, 3});
    byte[] good = Files.readAllBytes(snap);
    for (int at : new int[] {13, 19, 28, 30}) { // the generation, then the payload
      byte[] bad = good.clone();
      bad[at] ^= 0x10;
      Files.write(snap, bad);
      assertEquals("corrupt container snapshot (length or checksum): " + snap,
          MetaLog.scan(dir).problems.get(0), "byte " + at);
    }
  }

  @Test
  void aCorruptRecordIsNamedWithWhyItDoesNotRead() throws IOException {
    Path dir = dir();
    try (MetaLog log = MetaLog.openForAppend(dir, MetaLog.load(dir))) {
      for (int i = 0; i < 3; i++) {
        log.append(record(i, 100));
      }
    }
    Path file = dir.resolve(MetaLog.LOG);
    byte[] good = Files.readAllBytes(file);
    int second = MetaLog.HEADER + 108;
    int third = second + 108;
    byte[] payload = good.clone();
    payload[second + 50] ^= 1;
    byte[] length = good.clone();
    ByteBuffer.wrap(length).putInt(second, Integer.MAX_VALUE);
    byte[] zero = good.clone();
    ByteBuffer.wrap(zero).putInt(second, 0);
    String[] why = {"checksum mismatch", "record length 2147483647 out of range",
        "no record (length 0)"};
    byte[][] damaged = {payload, length, zero};
    for (int i = 0; i < why.length; i++) {
      Files.write(file, damaged[i]);
      assertEquals(List.of("corrupt container metadata log " + file + " at byte offset " + second
          + ": " + why[i] + ", yet an intact record follows at byte offset " + third),
          MetaLog.scan(dir).problems);
    }
  }

  @Test
  void theLogGrowsAMebibyteOfZerosPastItsLastRecord() throws IOException {
    Path dir = dir();
    Path file = dir.resolve(MetaLog.LOG);
    try (MetaLog log = MetaLog.openForAppend(dir, MetaLog.load(dir))) {
      assertEquals(MetaLog.HEADER, Files.size(file));
      log.append(record(0, 5000));
      long end = MetaLog.HEADER + 8 + 5000;
      assertEquals(end + MetaLog.GROW, Files.size(file));
      log.append(record(1, 2 << 20)); // past the mapping: mapped again from the page of the end
      end += 8 + (2 << 20);
      assertEquals(end + MetaLog.GROW, Files.size(file));
      byte[] all = Files.readAllBytes(file);
      for (int i = (int) end; i < all.length; i++) {
        assertEquals(0, all[i], "byte " + i);
      }
    }
  }

  @Test
  void aReservationHoldsExactlyTheRoomLeftInTheMapping() throws IOException {
    Path dir = dir();
    Path file = dir.resolve(MetaLog.LOG);
    FailingChannel.Disk disk = new FailingChannel.Disk();
    int room = MetaLog.GROW - (8 + 900_000); // the first growth, less the second record
    try (MetaLog log = MetaLog.openForAppend(dir, MetaLog.load(dir))) {
      log.wrapChannel(disk::wrap);
      log.append(record(0, 900_000));
      log.append(record(1, 900_000)); // within the first growth
      assertEquals(room, Files.size(file) - MetaLog.HEADER - 2 * (8 + 900_000));
      disk.free(0);
      log.reserve(room); // nothing to grow
      assertThrows(IOException.class, () -> log.reserve(room + 1));
      log.append(record(2, room - 8)); // fills the mapping to its last byte
      assertThrows(IOException.class, () -> log.append(record(3, 1)));
    }
    MetaLog.State s = MetaLog.load(dir);
    assertEquals(3, s.records.size());
    assertArrayEquals(record(2, room - 8), s.records.get(2));
  }

  @Test
  void aRecordEndingWhereTheFileEndsReads() throws IOException {
    Path dir = dir();
    try (MetaLog log = MetaLog.openForAppend(dir, MetaLog.load(dir))) {
      log.append(record(0, 10));
      log.append(record(1, 20));
    }
    // reopening for appending cuts the zeros the log grew by: the file ends with the record
    MetaLog.openForAppend(dir, MetaLog.load(dir)).close();
    assertEquals(MetaLog.HEADER + 18 + 28, Files.size(dir.resolve(MetaLog.LOG)));
    MetaLog.State s = MetaLog.load(dir);
    assertEquals(2, s.records.size());
    assertArrayEquals(record(1, 20), s.records.get(1));
  }

  private Path dir() throws IOException {
    return Files.createDirectories(tmp.resolve("c" + dirs++));
  }

  /** A record of {@code size} bytes that differs from every other one. */
  private static byte[] record(int index, int size) {
    byte[] r = new byte[size];
    for (int i = 0; i < size; i++) {
      r[i] = (byte) (index * 31 + i * 7);
    }
    return r;
  }

  private interface IoBody {
    void run() throws IOException;
  }

  private static void unchecked(IoBody body) {
    try {
      body.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
