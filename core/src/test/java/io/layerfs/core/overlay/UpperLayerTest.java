package io.layerfs.core.overlay;

import static io.layerfs.core.FileTree.TIME_UNCHANGED;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The records of a container's upper layer: a record whose checksum holds but whose content
 * does not read (an unknown operation or type, a cut field) refuses the open naming the file and
 * byte offset; a link naming an entry no record made is ignored, as a replay after a drop needs;
 * and a change whose record cannot be logged after it changed memory leaves the layer refusing
 * changes and writing no snapshot, so that a reopen shows the state before it.
 */
@ExtendWith(NoRunningCompaction.class)
class UpperLayerTest {
  private static final int OP_DIR = 1;
  private static final int OP_FILE = 2;
  private static final int OP_LINK = 3;

  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;
  RootFs root;
  Path dir;
  Overlay ov;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    ContainerFixture.build(store);
    root = RootFs.open(store, layers, ContainerFixture.IMAGE);
    dir = Files.createDirectories(tmp.resolve("web"));
  }

  @AfterEach
  void tearDown() throws IOException {
    if (ov != null) {
      ov.close();
    }
    layers.close();
  }

  // ---------------------------------------------------------------------- records that do not read

  @Test
  void anUnknownOperationRefusesTheOpenNamingTheOffset() throws IOException {
    logged(new byte[] {9});
    IOException e = assertThrows(IOException.class, () -> Overlay.open(dir, true, root, layers));
    assertEquals("unknown container metadata operation 9 in " + dir.resolve("meta.log")
        + " at byte offset " + MetaLog.HEADER, e.getMessage());
  }

  @Test
  void aRecordCutInAFieldIsTruncated() throws IOException {
    logged(new byte[] {OP_DIR, 0, 0, 0});
    IOException e = assertThrows(IOException.class, () -> Overlay.open(dir, false, root, layers));
    assertEquals("truncated container metadata record in " + dir.resolve("meta.log")
        + " at byte offset " + MetaLog.HEADER, e.getMessage());
  }

  @Test
  void aNegativeStringLengthIsTruncatedNotACrash() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    out.writeByte(OP_DIR);
    out.writeLong(0);
    out.writeInt(0755);
    out.writeInt(0);
    out.writeInt(0);
    out.writeInt(-1); // the user name's length
    logged(b.toByteArray());
    IOException e = assertThrows(IOException.class, () -> Overlay.open(dir, true, root, layers));
    assertTrue(e.getMessage().startsWith("truncated container metadata record in "),
        e.getMessage());
  }

  @Test
  void anUnknownTypeInTheSnapshotNamesTheSnapshot() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    out.writeByte(OP_FILE);
    out.writeLong(5);
    meta(out);
    out.writeByte(99); // no such entry type
    MetaLog.writeSnapshot(dir, 1, b.toByteArray());
    MetaLog.State s = new MetaLog.State();
    s.generation = 1;
    MetaLog.openForAppend(dir, s).close();
    IOException e = assertThrows(IOException.class, () -> Overlay.open(dir, true, root, layers));
    assertEquals("container metadata record in " + dir.resolve("meta.snap")
        + ": unknown entry type code 99", e.getMessage());
  }

  @Test
  void aLinkToAnEntryNoRecordMadeIsIgnored() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    out.writeByte(OP_DIR);
    out.writeLong(0);
    meta(out);
    out.writeBoolean(true);
    string(out, "/");
    link(out, 0, "gone", 42); // no entry 42
    link(out, 77, "x", 0); // no directory 77
    link(out, 0, "etc", -1); // a whiteout
    out.writeByte(4); // an unlink in no directory 78
    out.writeLong(78);
    string(out, "big");
    logged(b.toByteArray());
    ov = Overlay.open(dir, true, root, layers);
    List<String> names = ov.list("/");
    assertFalse(names.contains("gone"), names.toString());
    assertFalse(names.contains("etc"), names.toString());
    assertTrue(names.contains("big"), names.toString());
    assertThrows(NoSuchFileException.class, () -> ov.lookup("/etc/hosts", false));
  }

  // -------------------------------------------------------------------- a change not logged

  @Test
  void aChangeWhoseRecordCannotBeLoggedBreaksTheLayerUntilReopened() throws IOException {
    FailingChannel.Disk logDisk = new FailingChannel.Disk();
    ov = Overlay.open(dir, false, root, layers);
    ov.tree().upper().wrapChannels(logDisk::wrap, c -> c);
    ov.createDirectory("/kept", 0755);
    // a link logs the file's whole state: its attributes make the record larger than the space
    // reserved for a change, so the log has to grow, on a full disk
    ov.setXattr("/etc/hosts", false, "user.big", new byte[2 << 20]);
    logDisk.free(0);
    IOException e = assertThrows(IOException.class, () -> ov.createLink("/hosts2", "/etc/hosts"));
    assertTrue(e.getMessage().contains("cannot grow the container metadata log"),
        e.getMessage());
    logDisk.heal();
    IOException refused = assertThrows(IOException.class,
        () -> ov.createDirectory("/after", 0755));
    assertTrue(refused.getMessage().contains("an earlier change could not be logged ("
        + e.getMessage() + ")"), refused.getMessage());
    assertTrue(refused.getMessage().startsWith("container web: "), refused.getMessage());
    refused = assertThrows(IOException.class,
        () -> ov.open("/kept/f", Set.of(WRITE, CREATE), 0644).close());
    assertTrue(refused.getMessage().contains("an earlier change could not be logged"),
        refused.getMessage());
    ov.close();
    assertFalse(Files.exists(dir.resolve("meta.snap")),
        "no snapshot of the memory the log does not hold");
    ov = Overlay.open(dir, false, root, layers);
    assertThrows(NoSuchFileException.class, () -> ov.lookup("/hosts2", false));
    assertTrue(ov.lookup("/kept", false).isDirectory());
    assertEquals(1, ov.lookup("/etc/hosts", false).linkCount());
    assertEquals(2 << 20, ov.lookup("/etc/hosts", false).xattrs().get("user.big").length);
    ov.createDirectory("/after", 0755);
    assertTrue(ov.lookup("/after", false).isDirectory());
  }

  @Test
  void aFullLogFailsAChangeBeforeItTouchesMemory() throws IOException {
    FailingChannel.Disk logDisk = new FailingChannel.Disk();
    ov = Overlay.open(dir, false, root, layers);
    ov.tree().upper().wrapChannels(logDisk::wrap, c -> c);
    logDisk.free(0);
    // the attribute's record needs more than the space the log has room for now
    IOException e = assertThrows(IOException.class,
        () -> ov.setXattr("/etc/hosts", false, "user.big", new byte[2 << 20]));
    assertTrue(e.getMessage().contains("cannot grow the container metadata log"),
        e.getMessage());
    assertEquals(List.of(), List.copyOf(ov.lookup("/etc/hosts", false).xattrs().keySet()));
    logDisk.heal();
    ov.createDirectory("/after", 0755); // not broken: nothing was changed
    ov.close();
    ov = Overlay.open(dir, true, root, layers);
    assertTrue(ov.lookup("/after", false).isDirectory());
    assertEquals(List.of(), List.copyOf(ov.lookup("/etc/hosts", false).xattrs().keySet()));
  }

  @Test
  void aChangeFailsBeforeItTouchesMemoryWhenTheLogHasNoRoomLeft() throws IOException {
    FailingChannel.Disk logDisk = new FailingChannel.Disk();
    ov = Overlay.open(dir, false, root, layers);
    ov.tree().upper().wrapChannels(logDisk::wrap, c -> c);
    fillLog();
    logDisk.free(0);
    IOException e = assertThrows(IOException.class, () -> ov.createDirectory("/x", 0755));
    assertTrue(e.getMessage().contains("cannot grow the container metadata log"),
        e.getMessage());
    assertThrows(NoSuchFileException.class, () -> ov.lookup("/x", false));
    logDisk.heal();
    ov.createDirectory("/x", 0755); // not broken: nothing was changed
    ov.close();
    ov = Overlay.open(dir, true, root, layers);
    assertTrue(ov.lookup("/x", false).isDirectory());
  }

  // ---------------------------------------------------------------------- ids and data files

  @Test
  void entriesMadeAfterAReopenGetIdsOfTheirOwn() throws IOException {
    // the highest id logged is a directory's, then a symbolic link's (neither has a data file)
    ov = Overlay.open(dir, false, root, layers);
    ov.createSymbolicLink("/s", "target-s");
    ov.createDirectory("/a", 0755);
    ov.createDirectory("/a/x", 0755);
    ov.close();
    ov = Overlay.open(dir, false, root, layers);
    ov.createDirectory("/b", 0755);
    ov.createDirectory("/b/inner", 0755);
    ov.createSymbolicLink("/t", "target-t");
    ov.close();
    ov = Overlay.open(dir, false, root, layers);
    ov.createDirectory("/c", 0755);
    ov.createSymbolicLink("/u", "target-u");
    ov.close();
    ov = Overlay.open(dir, true, root, layers);
    assertEquals(List.of("x"), ov.list("/a"));
    assertEquals(List.of("inner"), ov.list("/b"));
    assertEquals(List.of(), ov.list("/c"));
    assertEquals("target-s", ov.lookup("/s", false).linkTarget());
    assertEquals("target-t", ov.lookup("/t", false).linkTarget());
    assertEquals("target-u", ov.lookup("/u", false).linkTarget());
  }

  @Test
  void anEmptiedDataFileIsReusedOnceAfterAReopen() throws IOException {
    ov = Overlay.open(dir, false, root, layers);
    write("/f1", "one");
    write("/f2", "two");
    ov.delete("/f2"); // its data file is emptied and kept for reuse
    ov.close(); // the snapshot no longer names its id
    ov = Overlay.open(dir, false, root, layers);
    write("/a", "A");
    write("/b", "B");
    write("/c", "C");
    assertEquals("one", read("/f1"));
    assertEquals("A", read("/a"));
    assertEquals("B", read("/b"));
    assertEquals("C", read("/c"));
    ov.close();
    ov = Overlay.open(dir, true, root, layers);
    assertEquals("A", read("/a"));
    assertEquals("B", read("/b"));
  }

  @Test
  void aFileDeletedWhileOpenHasItsDataFileEmptiedAtTheLastClose() throws IOException {
    ov = Overlay.open(dir, false, root, layers);
    FileHandle h = ov.open("/f", Set.of(WRITE, CREATE), 0644);
    h.write(ByteBuffer.wrap("secret".getBytes(StandardCharsets.UTF_8)), 0);
    Path data = dataFile("/f");
    ov.delete("/f");
    assertEquals(6, Files.size(data), "still in use");
    Object inode = Files.getAttribute(data, "unix:ino");
    h.close();
    assertFalse(Files.exists(data), "the deleted file's name is gone at the last close");
    write("/g", ""); // takes the emptied data file over, under a name no file had
    assertEquals(inode, Files.getAttribute(dataFile("/g"), "unix:ino"));
    assertEquals(0, Files.size(dataFile("/g")), "no deleted bytes left for the next file");
    ov.close();
    ov = Overlay.open(dir, true, root, layers);
    assertEquals("", read("/g"));
  }

  @Test
  void aMappedFileDeletedHasItsDataFileUnlinked() throws IOException {
    ov = Overlay.open(dir, false, root, layers);
    write("/m", "mapped");
    Path data = dataFile("/m");
    ByteBuffer m;
    try (FileHandle h = ov.open("/m", Set.of(READ), 0)) {
      m = h.map(FileChannel.MapMode.READ_ONLY, 0, 6);
    }
    ov.delete("/m");
    assertFalse(Files.exists(data), "unlinked, not emptied: the mapping keeps its bytes");
    assertEquals("mapped", StandardCharsets.UTF_8.decode(m).toString());
  }

  @Test
  void bytesWrittenCountTheCopiedChunks() throws IOException {
    ov = Overlay.open(dir, false, root, layers);
    assertEquals(0, ov.upperBytesWritten());
    write("/new", "0123456789");
    assertEquals(10, ov.upperBytesWritten());
    try (FileHandle h = ov.open("/big", Set.of(WRITE), 0)) {
      h.write(ByteBuffer.allocate(10), 100); // copies chunk 0 first
    }
    assertEquals(10 + 65_536 + 10, ov.upperBytesWritten());
  }

  @Test
  void aNewContainersRootHasTheImagesRootMetadata() throws IOException {
    ov = Overlay.open(dir, false, root, layers);
    Node image = root.lookup("/", false);
    Node mine = ov.lookup("/", false);
    assertEquals(image.mode(), mine.mode());
    assertEquals(image.mtimeNanos(), mine.mtimeNanos());
    assertEquals(image.uid(), mine.uid());
  }

  // --------------------------------------------------------------------- replay after a crash

  @Test
  void aCrashKeepsTheBytesWrittenAndTheTimesLoggedAtClose() throws IOException {
    ov = Overlay.open(dir, false, root, layers);
    try (FileHandle h = ov.open("/f", Set.of(WRITE, CREATE), 0644)) {
      h.write(ByteBuffer.allocate(10), 0);
    }
    ov.setTimes("/f", false, 5_000_000_000L, TIME_UNCHANGED);
    try (FileHandle h = ov.open("/f", Set.of(WRITE), 0)) {
      h.write(ByteBuffer.allocate(10), 10); // new size and mtime, logged as the handle closes
    }
    long mtime = ov.lookup("/f", false).mtimeNanos();
    assertTrue(mtime != 5_000_000_000L);
    try (FileHandle h = ov.open("/f", Set.of(WRITE), 0)) {
      h.write(ByteBuffer.allocate(5), 20); // still open at the crash: its size is not logged
      Path crash = crashCopy();
      try (Overlay replayed = Overlay.open(crash, true, root, layers)) {
        Node f = replayed.lookup("/f", false);
        assertEquals(25, f.size(), "the data file's length: bytes written are kept");
        assertEquals(mtime, f.mtimeNanos());
      }
    }
  }

  @Test
  void aContainerClosedWithoutAChangeWritesNothing() throws IOException {
    ov = Overlay.open(dir, false, root, layers);
    write("/a", "a");
    ov.close();
    Map<String, String> before = filesOf(dir);
    ov = Overlay.open(dir, false, root, layers);
    assertEquals("a", read("/a"));
    ov.list("/");
    ov.close();
    ov = null;
    assertEquals(before, filesOf(dir), "the container's files after an open without a change");
  }

  @Test
  void aWriteThroughAHandleLeftOpenIsSavedByTheClose() throws IOException {
    ov = Overlay.open(dir, false, root, layers);
    write("/a", "a");
    ov.close();
    ov = Overlay.open(dir, false, root, layers);
    FileHandle h = ov.open("/a", Set.of(WRITE), 0);
    h.write(ByteBuffer.wrap(new byte[] {'b', 'c'}), 1); // an upper file's times: not logged yet
    long mtime = ov.lookup("/a", false).mtimeNanos();
    ov.close(); // the handle is still open: only the close's snapshot holds the new times
    ov = Overlay.open(dir, true, root, layers);
    assertEquals("abc", read("/a"));
    assertEquals(mtime, ov.lookup("/a", false).mtimeNanos(), "the write's modification time");
  }

  @Test
  void closingTheContainerClosesEveryFileItOpened() throws IOException {
    // only the container's own files count: the process's total moves with other threads and
    // with the cleaner closing files earlier tests left open
    assertEquals(List.of(), OpenDescriptors.under(dir));
    ov = Overlay.open(dir, false, root, layers);
    write("/a", "a");
    FileHandle h = ov.open("/b", Set.of(WRITE, CREATE), 0644);
    h.write(ByteBuffer.allocate(3), 0);
    try (FileHandle w = ov.open("/big", Set.of(WRITE), 0)) {
      w.write(ByteBuffer.allocate(1), 0);
    }
    List<String> open = OpenDescriptors.under(dir);
    for (String file : List.of("meta.log", "data", "data/" + id("/b"))) {
      assertTrue(open.contains(dir.toRealPath().resolve(file).toString()),
          () -> file + " is open while the container is: " + open);
    }
    ov.close();
    ov = null;
    assertEquals(List.of(), OpenDescriptors.under(dir), "files left open");
  }

  // ------------------------------------------------------------------------------ helpers

  /** Log records that leave less room in the log's mapping than a change reserves. */
  private void fillLog() throws IOException {
    // a change reserves room for its own attributes only; a file's record logged as a handle
    // closes reserves none, and this one holds 1.1 MB of them
    try (FileHandle h = ov.open("/filler", Set.of(WRITE, CREATE), 0644)) {
      ov.setXattr("/filler", false, "user.big", new byte[1100 << 10]);
      h.write(ByteBuffer.allocate(1), 0);
    }
  }

  private void write(String path, String content) throws IOException {
    try (FileHandle h = ov.open(path, Set.of(WRITE, CREATE), 0644)) {
      h.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)), 0);
    }
  }

  private String read(String path) throws IOException {
    try (FileHandle h = ov.open(path, Set.of(READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) >= 0) {
        // until full
      }
      return new String(b.array(), StandardCharsets.UTF_8);
    }
  }

  private Path dataFile(String path) throws IOException {
    long id = ((UpperEntry) ov.tree().resolve(path, false, false).obj).id;
    return dir.resolve("data").resolve(Long.toString(id));
  }

  /** Every file under {@code root}, by relative path: its size, modification time and CRC-32. */
  private static Map<String, String> filesOf(Path root) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        CRC32 crc = new CRC32();
        crc.update(Files.readAllBytes(p));
        files.put(root.relativize(p).toString(), Files.size(p) + " bytes, "
            + Files.getLastModifiedTime(p) + ", crc " + crc.getValue());
      }
    }
    return files;
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

  private long id(String path) throws IOException {
    return ((UpperEntry) ov.tree().resolve(path, false, false).obj).id;
  }

  /** A container directory whose log holds the one record {@code payload}. */
  private void logged(byte[] payload) throws IOException {
    try (MetaLog log = MetaLog.openForAppend(dir, MetaLog.load(dir))) {
      log.append(payload);
    }
  }

  private static void meta(DataOutputStream out) throws IOException {
    out.writeInt(0755);
    out.writeInt(0);
    out.writeInt(0);
    string(out, "root");
    string(out, "root");
    out.writeLong(1);
    out.writeLong(1);
    out.writeLong(1);
    out.writeInt(0); // no extended attributes
  }

  private static void link(DataOutputStream out, long parent, String name, long child)
      throws IOException {
    out.writeByte(OP_LINK);
    out.writeLong(parent);
    string(out, name);
    out.writeLong(child);
  }

  private static void string(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }
}
