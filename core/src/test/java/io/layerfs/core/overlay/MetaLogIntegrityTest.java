package io.layerfs.core.overlay;

import static io.layerfs.core.container.ContainerFixture.read;
import static io.layerfs.core.container.ContainerFixture.readString;
import static io.layerfs.core.container.ContainerFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container's metadata files tell a torn last append from corruption: corruption, a missing
 * file the other requires, a zeroed log or an older format refuse the open (naming the file and
 * byte offset) and delete no data file; a torn tail, a compaction stopped half way and a
 * container never written open. Data files missing or short are errors naming the path.
 */
class MetaLogIntegrityTest {
  private static final int HEADER = MetaLog.HEADER;

  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;
  Container c;
  Path dir;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    ContainerFixture.build(store);
    c = Container.open(store, layers, "web", ContainerFixture.IMAGE, false);
    dir = store.stateDir().resolve("containers/web");
  }

  @AfterEach
  void tearDown() throws IOException {
    if (c != null) {
      c.close();
    }
    layers.close();
  }

  // ------------------------------------------------------------------------------ corruption

  @Test
  void aFlippedByteInAMiddleRecordRefusesTheOpenAndDeletesNoDataFile() throws IOException {
    Path crash = crashWithFourRecords();
    List<Long> records = recordOffsets(crash.resolve("meta.log"));
    assertTrue(records.size() >= 4, records.toString());
    long bad = records.get(records.size() / 2);
    flip(crash.resolve("meta.log"), bad + 8 + 3);
    installCrashed(crash);
    List<String> data = dataFiles();
    assertFalse(data.isEmpty());

    for (boolean readOnly : new boolean[] {false, true}) {
      IOException e = assertThrows(IOException.class,
          () -> Container.open(store, layers, "web", null, readOnly));
      assertTrue(e.getMessage().contains(dir.resolve("meta.log").toString()), e.getMessage());
      assertTrue(e.getMessage().contains("byte offset " + bad), e.getMessage());
      assertEquals(data, dataFiles(), "no data file deleted");
    }
    List<String> problems = Container.check(store, "web");
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("byte offset " + bad), problems.toString());
  }

  @Test
  void aDataFileThatIsADirectoryIsReportedAsOneNotByItsSize() throws IOException {
    ContainerFixture.write(c, "/new", "x".repeat(10_000));
    c.close();
    c = null;
    Path data;
    try (Stream<Path> files = Files.list(dir.resolve("data"))) {
      data = files.filter(f -> size(f) == 10_000).findFirst().orElseThrow();
    }
    Files.delete(data);
    Files.createDirectories(data.resolve("x"));
    List<String> problems = Container.check(store, "web");
    assertEquals(List.of("container web: /new: data file data/" + data.getFileName()
        + " is a directory, but the logged state holds 10000 bytes in it"), problems);
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void repairCutsTheLogAtTheBadRecordAndKeepsTheOriginal() throws IOException {
    Path crash = crashWithFourRecords();
    List<Long> records = recordOffsets(crash.resolve("meta.log"));
    long bad = records.get(records.size() - 2);
    flip(crash.resolve("meta.log"), bad + 4);
    installCrashed(crash);
    byte[] original = Files.readAllBytes(dir.resolve("meta.log"));

    List<String> report = Container.repair(store, "web");
    assertEquals(1, report.size(), report.toString());
    assertTrue(report.get(0).startsWith("repaired: cut ") && report.get(0).contains(
        "byte offset " + bad), report.toString());
    try (Stream<Path> s = Files.list(dir)) {
      Path aside = s.filter(p -> p.getFileName().toString().startsWith("meta.log.damaged-"))
          .findFirst().orElseThrow();
      assertArrayEquals(original, Files.readAllBytes(aside));
    }
    assertEquals(bad, Files.size(dir.resolve("meta.log")));
    assertEquals(List.of(), Container.check(store, "web"));
    c = Container.open(store, layers, "web", null, false);
    assertEquals("1", readString(c, "/one"), "records before the bad one kept");
  }

  @Test
  void aTornLastRecordIsCutAndTheRecordsBeforeItKept() throws IOException {
    Path crash = crashWithFourRecords();
    Path log = crash.resolve("meta.log");
    List<Long> records = recordOffsets(log);
    long last = records.get(records.size() - 1);
    // what a killed process leaves: payload and checksum copied, the length not yet set
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(4), last);
    }
    installCrashed(crash);
    assertEquals(List.of(), Container.check(store, "web"));
    c = Container.open(store, layers, "web", null, false);
    assertEquals("1", readString(c, "/one"));
    assertTrue(c.lookup("/two", false).isDirectory());
    assertEquals("3", readString(c, "/three"));
    assertThrows(NoSuchFileException.class, () -> c.lookup("/four", false));
    // the writer cut the tail: new records follow the intact ones
    c.createDirectory("/five", 0755);
    c.close();
    c = Container.open(store, layers, "web", null, false);
    assertTrue(c.lookup("/five", false).isDirectory());
    assertEquals("3", readString(c, "/three"));
  }

  @Test
  void aZeroedLogRefusesTheOpen() throws IOException {
    Path crash = crashWithFourRecords();
    Path log = crash.resolve("meta.log");
    Files.write(log, new byte[(int) Files.size(log)]);
    installCrashed(crash);
    List<String> data = dataFiles();
    IOException e = assertThrows(IOException.class,
        () -> Container.open(store, layers, "web", null, false));
    assertTrue(e.getMessage().contains(dir.resolve("meta.log") + " at byte offset 0"),
        e.getMessage());
    assertEquals(data, dataFiles());
  }

  @Test
  void aDeletedLogRefusesTheOpen() throws IOException {
    // without a snapshot: the data directory says the container was written
    Path crash = crashWithFourRecords();
    Files.delete(crash.resolve("meta.log"));
    installCrashed(crash);
    List<String> data = dataFiles();
    IOException e = assertThrows(IOException.class,
        () -> Container.open(store, layers, "web", null, false));
    assertTrue(e.getMessage().contains(dir.resolve("meta.log") + " and snapshot"),
        e.getMessage());
    assertEquals(data, dataFiles());
    // with a snapshot (starting over from a container never written)
    deleteRecursively(dir.resolve("data"));
    c = Container.open(store, layers, "web", null, false);
    c.createDirectory("/x", 0755);
    c.close();
    c = null;
    Files.delete(dir.resolve("meta.log"));
    e = assertThrows(IOException.class, () -> Container.open(store, layers, "web", null, true));
    assertTrue(e.getMessage().contains("log " + dir.resolve("meta.log") + " is missing"),
        e.getMessage());
  }

  @Test
  void aDeletedSnapshotRefusesTheOpen() throws IOException {
    write(c, "/one", "1");
    c.close(); // compacted: snapshot of generation 1, log empty
    c = Container.open(store, layers, "web", null, false);
    c.createDirectory("/two", 0755);
    Path crash = crashCopy(); // log of generation 1 with a record
    c.close();
    c = null;
    Files.delete(dir.resolve("meta.snap"));
    IOException e = assertThrows(IOException.class,
        () -> Container.open(store, layers, "web", null, false));
    assertTrue(e.getMessage().contains(dir.resolve("meta.snap") + " is missing"),
        e.getMessage());
    assertTrue(Files.exists(dir.resolve("data")));

    Files.delete(crash.resolve("meta.snap"));
    installCrashed(crash);
    e = assertThrows(IOException.class, () -> Container.open(store, layers, "web", null, true));
    assertTrue(e.getMessage().contains(dir.resolve("meta.snap") + " is missing"),
        e.getMessage());
  }

  @Test
  void aLogOlderThanTheSnapshotWasCompactedAlready() throws IOException {
    write(c, "/gone", "g");
    Path crash = crashCopy(); // a log of generation 0 that creates /gone
    c.delete("/gone");
    write(c, "/kept", "k");
    c.close(); // snapshot of generation 1: /kept, no /gone
    c = null;
    // compaction stopped after renaming the snapshot, before emptying the log
    Files.copy(crash.resolve("meta.log"), dir.resolve("meta.log"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertEquals(List.of(), Container.check(store, "web"));
    try (Container ro = Container.open(store, layers, "web", null, true)) {
      assertThrows(NoSuchFileException.class, () -> ro.lookup("/gone", false), "not replayed");
      assertEquals("k", readString(ro, "/kept"));
    }
    c = Container.open(store, layers, "web", null, false);
    assertThrows(NoSuchFileException.class, () -> c.lookup("/gone", false));
    assertEquals(HEADER, Files.size(dir.resolve("meta.log")), "emptied by the writer");
    c.createDirectory("/after", 0755);
    c.close();
    c = Container.open(store, layers, "web", null, false);
    assertTrue(c.lookup("/after", false).isDirectory());
    assertEquals("k", readString(c, "/kept"));
  }

  @Test
  void aContainerOfAnOlderFormatIsRefused() throws IOException {
    c.close();
    c = null;
    Path snap = dir.resolve("meta.snap");
    byte[] s = Files.readAllBytes(snap);
    ByteBuffer.wrap(s).putInt(8, 1);
    Files.write(snap, s);
    IOException e = assertThrows(IOException.class,
        () -> Container.open(store, layers, "web", null, false));
    assertTrue(e.getMessage().contains("unsupported container snapshot version 1"),
        e.getMessage());
    assertTrue(e.getMessage().contains(snap.toString()), e.getMessage());
    // a log without a header, as version 1 wrote it
    Files.delete(snap);
    Files.write(dir.resolve("meta.log"), framed(new byte[] {5, 0, 0, 0, 0, 0, 0, 0, 9}));
    e = assertThrows(IOException.class, () -> Container.open(store, layers, "web", null, true));
    assertTrue(e.getMessage().contains("no header"), e.getMessage());
  }

  /**
   * Version 2 files (version 3 less the IMAGE_KEY op) open as they are, and a writer's close
   * compacts them into version 3; a later version is refused.
   */
  @Test
  void aVersion2ContainerOpensAndALaterVersionIsRefused() throws IOException {
    ContainerFixture.write(c, "/etc/hosts", "changed\n");
    c.close();
    c = null;
    Path snap = dir.resolve("meta.snap");
    assertEquals(MetaLog.VERSION, ByteBuffer.wrap(Files.readAllBytes(snap)).getInt(8));
    ContainerFixture.olderFormat(dir, 2);
    c = Container.open(store, layers, "web", null, false);
    assertEquals("changed\n", readString(c, "/etc/hosts"));
    assertEquals(MetaLog.VERSION, ByteBuffer.wrap(Files.readAllBytes(snap)).getInt(8),
        "compacted into the current version as it opens");
    c.close();
    c = null;
    assertEquals(MetaLog.VERSION, ByteBuffer.wrap(Files.readAllBytes(snap)).getInt(8));

    byte[] s = Files.readAllBytes(snap);
    ByteBuffer.wrap(s).putInt(8, MetaLog.VERSION + 1);
    Files.write(snap, s);
    IOException e = assertThrows(IOException.class,
        () -> Container.open(store, layers, "web", null, true));
    assertTrue(e.getMessage().contains("unsupported container snapshot version "
        + (MetaLog.VERSION + 1)), e.getMessage());
  }

  @Test
  void aContainerNeverWrittenOpens() throws IOException {
    c.close();
    c = null;
    // as left by a crash between writing container.json and the first open
    Files.delete(dir.resolve("meta.log"));
    Files.delete(dir.resolve("meta.snap"));
    deleteRecursively(dir.resolve("data"));
    assertEquals(List.of(), Container.check(store, "web"));
    c = Container.open(store, layers, "web", null, false);
    assertEquals("127.0.0.1 localhost\n", readString(c, "/etc/hosts"));
    c.createDirectory("/new", 0755);
    c.close();
    c = Container.open(store, layers, "web", null, false);
    assertTrue(c.lookup("/new", false).isDirectory());
  }

  // ------------------------------------------------------------------------------ data files

  @Test
  void aDeletedOrShortDataFileIsAnErrorNamingThePath() throws IOException {
    write(c, "/etc/new", "new file\n");
    byte[] one = new byte[] {1};
    write(c, "/big", one, 100_000, StandardOpenOption.WRITE); // copies chunk 1 of the image file
    long newId = id("/etc/new");
    c.close();
    c = null;
    // the copy-up of /big keeps the image file's key: its data file is the other one
    long bigId;
    try (var files = Files.list(dir.resolve("data"))) {
      bigId = Long.parseLong(files.map(f -> f.getFileName().toString())
          .filter(name -> !name.equals(Long.toString(newId))).findFirst().orElseThrow());
    }
    Files.delete(dir.resolve("data/" + newId));
    try (FileChannel ch = FileChannel.open(dir.resolve("data/" + bigId),
        StandardOpenOption.WRITE)) {
      ch.truncate(70_000); // chunk 1 ends at 131,072
    }
    List<String> problems = Container.check(store, "web");
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.contains("/etc/new: data file data/" + newId
        + " is missing")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.contains("/big: data file data/" + bigId
        + " is 70000 bytes")), problems.toString());

    for (boolean readOnly : new boolean[] {true, false}) {
      try (Container o = Container.open(store, layers, "web", null, readOnly)) {
        IOException e = assertThrows(IOException.class, () -> read(o, "/etc/new"));
        assertTrue(e.getMessage().contains("container web: /etc/new: data file data/" + newId
            + " is missing"), e.getMessage());
        e = assertThrows(IOException.class, () -> read(o, "/big"));
        assertTrue(e.getMessage().contains("container web: /big: data file data/" + bigId
            + " is 70000 bytes"), e.getMessage());
        if (!readOnly) {
          e = assertThrows(IOException.class, () -> write(o, "/etc/new", one, 0,
              StandardOpenOption.WRITE));
          assertTrue(e.getMessage().contains("/etc/new"), e.getMessage());
          assertFalse(Files.exists(dir.resolve("data/" + newId)), "not created afresh");
        }
      }
    }
  }

  // ------------------------------------------------------------------------------- helpers

  /** A crashed state (copied while open, not compacted) of four records after the root's. */
  private Path crashWithFourRecords() throws IOException {
    write(c, "/one", "1");
    c.createDirectory("/two", 0755);
    write(c, "/three", "3");
    c.createDirectory("/four", 0755);
    Path crash = crashCopy();
    c.close();
    c = null;
    return crash;
  }

  private long id(String path) throws IOException {
    return c.lookup(path, false).fileKey() & Long.MAX_VALUE;
  }

  private int copies;

  /** The container's files as a killed process leaves them (the log's pages are shared). */
  private Path crashCopy() throws IOException {
    Path to = tmp.resolve("crash" + copies++);
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(dir.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else if (!p.getFileName().toString().equals("lock")) {
          Files.copy(p, t);
        }
      }
    }
    return to;
  }

  private void installCrashed(Path from) throws IOException {
    for (String n : List.of("meta.log", "meta.snap")) {
      Files.deleteIfExists(dir.resolve(n));
      if (Files.exists(from.resolve(n))) {
        Files.copy(from.resolve(n), dir.resolve(n));
      }
    }
    deleteRecursively(dir.resolve("data"));
    if (Files.exists(from.resolve("data"))) {
      try (Stream<Path> s = Files.walk(from.resolve("data"))) {
        for (Path p : s.toList()) {
          Path t = dir.resolve("data").resolve(from.resolve("data").relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(t);
          } else {
            Files.copy(p, t);
          }
        }
      }
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      List<Path> all = new ArrayList<>(s.toList());
      java.util.Collections.reverse(all);
      for (Path q : all) {
        Files.delete(q);
      }
    }
  }

  private List<String> dataFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("data"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Offsets of the intact records after the header. */
  private static List<Long> recordOffsets(Path log) throws IOException {
    byte[] all = Files.readAllBytes(log);
    ByteBuffer b = ByteBuffer.wrap(all);
    List<Long> out = new ArrayList<>();
    int pos = HEADER;
    while (pos + 8 <= all.length) {
      int len = b.getInt(pos);
      if (len <= 0 || len > all.length - pos - 8) {
        break;
      }
      CRC32C crc = new CRC32C();
      crc.update(all, pos + 8, len);
      if ((int) crc.getValue() != b.getInt(pos + 4)) {
        break;
      }
      out.add((long) pos);
      pos += 8 + len;
    }
    return out;
  }

  private static void flip(Path file, long offset) throws IOException {
    byte[] all = Files.readAllBytes(file);
    all[(int) offset] ^= (byte) 0x5a;
    Files.write(file, all);
  }

  private static byte[] framed(byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    return ByteBuffer.allocate(8 + payload.length).putInt(payload.length)
        .putInt((int) crc.getValue()).put(payload).array();
  }
}
