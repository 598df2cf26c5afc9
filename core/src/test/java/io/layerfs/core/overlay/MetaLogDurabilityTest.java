package io.layerfs.core.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forces that make {@code meta.log} and {@code meta.snap} durable, seen through {@link
 * TracingChannel} (the {@link MetaLog.Opener} and {@link MetaLog#wrapChannel} seams): a new log
 * and a snapshot are forced before they are renamed into place and their directory after; a
 * torn tail's cut is forced; {@link MetaLog#sync} and emptying the log force it; a failed cut
 * closes the log again. Also: records and a snapshot written through channels that write in short
 * pieces.
 */
class MetaLogDurabilityTest {
  @TempDir Path tmp;
  private final TracingChannel.Trace trace = new TracingChannel.Trace();
  /** Names each channel by its file, "dir" for the directory. */
  private final MetaLog.Opener traced = (p, options) -> trace.as(
      Files.isDirectory(p) ? "dir" : p.getFileName().toString()).apply(FileChannel.open(p,
          options));

  @Test
  void aNewLogIsForcedBeforeItsRenameAndItsDirectoryAfter() throws IOException {
    Path dir = tmp;
    try (MetaLog log = MetaLog.openForAppend(dir, MetaLog.load(dir), traced)) {
      assertEquals(List.of("meta.log.tmp force true", "meta.log.tmp close", "dir force true",
          "dir close"), trace.events());
      assertFalse(Files.exists(dir.resolve(MetaLog.LOG + ".tmp")));
      log.append(new byte[] {1});
    }
    assertEquals(1, MetaLog.load(dir).records.size());
  }

  @Test
  void aSnapshotIsForcedBeforeItsRenameAndItsDirectoryAfter() throws IOException {
    MetaLog.writeSnapshot(tmp, 3, new byte[] {4, 5}, traced);
    assertEquals(List.of("meta.snap.tmp force true", "meta.snap.tmp close", "dir force true",
        "dir close"), trace.events());
    assertFalse(Files.exists(tmp.resolve(MetaLog.SNAP + ".tmp")));
    assertArrayEquals(new byte[] {4, 5}, MetaLog.scan(tmp).snapshot);
  }

  @Test
  void aTornTailIsCutAndTheCutForced() throws IOException {
    try (MetaLog log = MetaLog.openForAppend(tmp, MetaLog.load(tmp))) {
      log.append(new byte[] {1, 2, 3});
    }
    long end = MetaLog.HEADER + 8 + 3;
    try (FileChannel c = FileChannel.open(tmp.resolve(MetaLog.LOG), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.allocate(8).putInt(0, 5), end); // a length, no checksum, no payload
    }
    MetaLog.State s = MetaLog.load(tmp);
    assertEquals(end, s.logEnd);
    try (MetaLog log = MetaLog.openForAppend(tmp, s, traced)) {
      assertEquals(List.of("meta.log truncate " + end, "meta.log force false"), trace.events());
      assertEquals(end, Files.size(tmp.resolve(MetaLog.LOG)));
      log.append(new byte[] {4});
    }
    assertEquals(2, MetaLog.load(tmp).records.size());
    // a log that ends where its records end has nothing to cut
    Path fresh = Files.createDirectories(tmp.resolve("fresh"));
    MetaLog.openForAppend(fresh, MetaLog.load(fresh)).close();
    trace.clear();
    MetaLog.openForAppend(fresh, MetaLog.load(fresh), traced).close();
    assertEquals(List.of("meta.log close"), trace.events());
  }

  @Test
  void syncForcesTheLog() throws IOException {
    try (MetaLog log = MetaLog.openForAppend(tmp, MetaLog.load(tmp), traced)) {
      trace.clear();
      log.sync(); // nothing appended (nothing mapped) yet
      assertEquals(List.of("meta.log force false"), trace.events());
      log.append(new byte[] {1});
      trace.clear();
      log.sync();
      assertEquals(List.of("meta.log force false"), trace.events());
    }
  }

  @Test
  void emptyingTheLogCutsItRewritesItsHeaderAndForcesIt() throws IOException {
    try (MetaLog log = MetaLog.openForAppend(tmp, MetaLog.load(tmp))) {
      log.wrapChannel(trace.as("meta.log"));
      log.append(new byte[] {1});
      MetaLog.writeSnapshot(tmp, 1, new byte[] {9});
      trace.clear();
      log.reset(1);
      assertEquals(List.of("meta.log truncate " + MetaLog.HEADER, "meta.log force false"),
          trace.events());
      assertEquals(MetaLog.HEADER, Files.size(tmp.resolve(MetaLog.LOG)));
      trace.clear();
    }
    assertEquals(List.of("meta.log close"), trace.events());
    MetaLog.State s = MetaLog.load(tmp);
    assertEquals(1, s.generation);
    assertEquals(0, s.records.size());
  }

  @Test
  void aCutThatFailsClosesTheLogAgain() throws IOException {
    try (MetaLog log = MetaLog.openForAppend(tmp, MetaLog.load(tmp))) {
      log.append(new byte[] {1});
    }
    FailingChannel.Disk disk = new FailingChannel.Disk();
    disk.failTruncate = true;
    MetaLog.Opener failing = (p, options) -> disk.wrap(traced.open(p, options));
    IOException e = assertThrows(IOException.class,
        () -> MetaLog.openForAppend(tmp, MetaLog.load(tmp), failing));
    assertEquals("Input/output error", e.getMessage());
    assertEquals(List.of("meta.log close"), trace.events());
  }

  @Test
  void recordsAndSnapshotsWrittenInShortPiecesReadBack() throws IOException {
    trace.piece = 1000;
    byte[] big = new byte[3 << 20]; // past the first growth of the log
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 13);
    }
    try (MetaLog log = MetaLog.openForAppend(tmp, MetaLog.load(tmp), traced)) {
      log.append(new byte[] {1});
      log.append(big);
    }
    MetaLog.State s = MetaLog.load(tmp);
    assertEquals(2, s.records.size());
    assertArrayEquals(big, s.records.get(1));
    MetaLog.writeSnapshot(tmp, 1, big, traced);
    assertArrayEquals(big, MetaLog.scan(tmp).snapshot, "a snapshot written in pieces");
  }
}
