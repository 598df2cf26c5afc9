package io.layerfs.core.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Properties of reading {@code meta.log} as {@link MetaLog} writes it: any flipped bit in a
 * record with a record after it is corruption at that record's offset; a last record without its
 * length (what a killed process leaves) or cut anywhere is a torn tail, and the records before it
 * are kept; any flipped bit in the header is corruption. A scan that races a writer's compaction
 * (through the {@link MetaLog.Reader} seam) reads both files again, at most three times in all,
 * and a problem without a race is read once.
 */
class MetaLogScanTest {
  @TempDir Path tmp;
  private int dirs;

  @Test
  void aFlippedBitInARecordWithOneAfterItIsCorruptionAtItsOffset() {
    Props p = Props.tries(200).seed(13);
    p.qt()
        .forAll(p.lists(p.byteArrays(1, 300), 2, 12), p.ints(0, Integer.MAX_VALUE),
            p.ints(0, Integer.MAX_VALUE))
        .checkAssert((records, which, bit) -> unchecked(() -> {
          Path dir = written(records);
          List<Long> offsets = offsets(records);
          int k = which % (records.size() - 1);
          long start = offsets.get(k);
          int span = 8 + records.get(k).length;
          flipBit(dir.resolve(MetaLog.LOG), start * 8 + bit % (span * 8L));
          MetaLog.State s = MetaLog.scan(dir);
          assertEquals(start, s.corruptAt, s.problems.toString());
          assertEquals(1, s.problems.size());
          assertTrue(s.problems.get(0).contains("byte offset " + start), s.problems.get(0));
          assertEquals(k, s.records.size(), "the records before it");
        }));
  }

  @Test
  void aLastRecordWithoutItsLengthOrCutShortIsATornTail() {
    Props p = Props.tries(200).seed(14);
    p.qt()
        .forAll(p.lists(p.byteArrays(1, 300), 1, 12), p.booleans(),
            p.ints(0, Integer.MAX_VALUE))
        .checkAssert((records, unset, cut) -> unchecked(() -> {
          Path dir = written(records);
          Path log = dir.resolve(MetaLog.LOG);
          long last = offsets(records).get(records.size() - 1);
          try (FileChannel c = FileChannel.open(log, StandardOpenOption.WRITE)) {
            if (unset) {
              c.write(ByteBuffer.allocate(4), last); // payload and checksum, no length yet
            } else {
              c.truncate(last + 1 + cut % (8 + records.get(records.size() - 1).length - 1));
            }
          }
          MetaLog.State s = MetaLog.scan(dir);
          assertEquals(List.of(), s.problems);
          assertEquals(last, s.logEnd);
          assertEquals(records.size() - 1, s.records.size());
          for (int i = 0; i < s.records.size(); i++) {
            assertArrayEquals(records.get(i), s.records.get(i));
          }
        }));
  }

  @Test
  void aFlippedBitInTheHeaderIsCorruption() {
    Props p = Props.tries(100).seed(15);
    p.qt()
        .forAll(p.lists(p.byteArrays(1, 300), 0, 4), p.ints(0, MetaLog.HEADER * 8 - 1))
        .checkAssert((records, bit) -> unchecked(() -> {
          Path dir = written(records);
          flipBit(dir.resolve(MetaLog.LOG), bit);
          MetaLog.State s = MetaLog.scan(dir);
          assertFalse(s.problems.isEmpty(), "bit " + bit);
          assertTrue(s.problems.get(0).contains(dir.resolve(MetaLog.LOG).toString()));
        }));
  }

  @Test
  void aScanThatRacesACompactionReadsBothFilesAgain() throws IOException {
    Path dir = written(List.of(new byte[] {1}, new byte[] {2}));
    Racing racing = new Racing(dir, 1);
    MetaLog.State s = MetaLog.scan(dir, racing);
    assertEquals(List.of(), s.problems);
    assertEquals(2, racing.logReads, "read again once");
    assertEquals(1, s.generation);
    assertArrayEquals(new byte[] {42}, s.snapshot);
    assertEquals(0, s.records.size(), "compacted into the snapshot");
  }

  /**
   * A scan that reads the log while a running writer empties it (the next snapshot in place, the
   * records cut, here zeroed, which reads the same, the header not yet rewritten) finds nothing
   * wrong with it, but the snapshot it read is not the one in place any more: it reads both
   * again.
   */
  @Test
  void aScanThatReadsALogBeingEmptiedReadsBothFilesAgain() throws IOException {
    Path dir = written(List.of(new byte[] {1}, new byte[] {2}));
    int[] logReads = {0};
    MetaLog.Reader emptying = p -> {
      if (p.getFileName().toString().equals(MetaLog.LOG) && logReads[0]++ == 0) {
        MetaLog.writeSnapshot(dir, 1, new byte[] {42});
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
          c.write(ByteBuffer.allocate((int) (c.size() - MetaLog.HEADER)), MetaLog.HEADER);
        }
      }
      return Files.readAllBytes(p);
    };
    MetaLog.State s = MetaLog.scan(dir, emptying);
    assertEquals(List.of(), s.problems);
    assertEquals(2, logReads[0], "read again once");
    assertEquals(1, s.generation);
    assertArrayEquals(new byte[] {42}, s.snapshot, "not an empty container");
  }

  @Test
  void aScanGivesUpAfterThreeRaces() throws IOException {
    Path dir = written(List.of(new byte[] {1}));
    Racing racing = new Racing(dir, 3);
    MetaLog.State s = MetaLog.scan(dir, racing);
    assertEquals(3, racing.logReads);
    assertEquals(1, s.problems.size(), s.problems.toString());
    assertTrue(s.problems.get(0).contains("(generation 3) does not continue the snapshot"),
        s.problems.get(0));
  }

  @Test
  void aProblemWithoutARaceIsReadOnce() throws IOException {
    Path dir = written(List.of(new byte[] {1}));
    MetaLog.writeSnapshot(dir, 2, new byte[] {42}); // a log two generations behind
    Racing never = new Racing(dir, 0);
    assertEquals(1, MetaLog.scan(dir, never).problems.size());
    assertEquals(1, never.logReads);
    Files.write(dir.resolve(MetaLog.SNAP), new byte[] {1, 2, 3}); // a snapshot that does not read
    never.logReads = 0;
    assertEquals(1, MetaLog.scan(dir, never).problems.size());
    assertEquals(1, never.logReads);
  }

  /**
   * Reads files whole, but compacts the container (a writer closing it: the next snapshot, then
   * the log emptied into its generation) just before each of the first {@code races} reads of
   * the log: what a reader sees when it loses the race against the writer.
   */
  private static final class Racing implements MetaLog.Reader {
    private final Path dir;
    private int races;
    int logReads;

    Racing(Path dir, int races) {
      this.dir = dir;
      this.races = races;
    }

    @Override
    public byte[] read(Path p) throws IOException {
      if (p.getFileName().toString().equals(MetaLog.LOG)) {
        logReads++;
        if (races-- > 0) {
          MetaLog.State before = MetaLog.load(dir);
          long next = before.generation + 1;
          MetaLog.writeSnapshot(dir, next, new byte[] {42});
          try (MetaLog log = MetaLog.openForAppend(dir, before)) {
            log.reset(next);
          }
        }
      }
      return Files.readAllBytes(p);
    }
  }

  /** A container directory whose log holds {@code records}, as a writer left it open. */
  private Path written(List<byte[]> records) throws IOException {
    Path dir = tmp.resolve("c" + dirs++);
    Files.createDirectories(dir);
    MetaLog.State fresh = MetaLog.load(dir);
    try (MetaLog log = MetaLog.openForAppend(dir, fresh)) {
      for (byte[] r : records) {
        log.append(r);
      }
    }
    return dir;
  }

  private static List<Long> offsets(List<byte[]> records) {
    List<Long> out = new ArrayList<>();
    long pos = MetaLog.HEADER;
    for (byte[] r : records) {
      out.add(pos);
      pos += 8 + r.length;
    }
    return out;
  }

  private static void flipBit(Path file, long bit) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, bit / 8);
      b.put(0, (byte) (b.get(0) ^ (1 << (bit % 8))));
      c.write(b.rewind(), bit / 8);
    }
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
