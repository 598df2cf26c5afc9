package io.layerfs.core.overlay;

import static io.layerfs.core.FileTree.TIME_UNCHANGED;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.DELETE_ON_CLOSE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Image;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.rootfs.RootFs;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's answers where Linux decides something beyond the tree: the group a new entry
 * takes in a set-group-ID directory, the set-user-ID and set-group-ID bits a chown clears
 * (checked against a host file), the option combinations {@code FileChannel.open} refuses
 * (checked against the JDK), and a closed or read-only container.
 */
@ExtendWith(NoRunningCompaction.class)
class OverlayTest {
  @TempDir Path tmp;
  OverlayFixture fx;
  Overlay ov;
  Path host;

  @BeforeEach
  void setUp() throws IOException {
    fx = new OverlayFixture(tmp);
    ov = fx.ov;
    host = fx.host;
  }

  @AfterEach
  void tearDown() throws IOException {
    fx.close();
  }

  @Test
  void aSetGroupIdDirectoryGivesNewEntriesItsGroup() throws IOException {
    ov.createDirectory("/sg", 0775);
    ov.setMode("/sg", false, 02775);
    ov.setOwner("/sg", false, -1, 50);
    assertEquals(02775, ov.lookup("/sg", false).mode(), "a directory keeps its bits on chown");
    ov.open("/sg/f", Set.of(WRITE, CREATE), 0644).close();
    ov.createDirectory("/sg/d", 0755);
    ov.createSymbolicLink("/sg/l", "f");
    for (String name : new String[] {"f", "d", "l"}) {
      assertEquals(50, ov.lookup("/sg/" + name, false).gid(), name);
      assertEquals("", ov.lookup("/sg/" + name, false).groupName(), name);
    }
    assertEquals(02755, ov.lookup("/sg/d", false).mode(), "a new directory takes the bit");
    assertEquals(0644, ov.lookup("/sg/f", false).mode(), "a file does not");

    ov.createDirectory("/plain", 0755);
    ov.createDirectory("/plain/d", 0755);
    assertEquals(0755, ov.lookup("/plain/d", false).mode());
    assertEquals(ov.lookup("/", false).gid(), ov.lookup("/plain/d", false).gid());
  }

  @Test
  void aChownClearsTheSetIdBitsOfAFileAsOnTheHost() throws IOException {
    // the host's file is chowned to its own owner or group, or to -1 and -1 (chown(2) then
    // changes no id but still clears the bits), which needs no privilege
    int uid = hostInt(host, "uid");
    int gid = hostInt(host, "gid");
    int[] modes = {06755, 06745, 04755, 02755, 02745, 0755};
    for (int mode : modes) {
      for (String ids : new String[] {"u", "g", "none"}) {
        String name = Integer.toOctalString(mode) + ids;
        Path h = Files.createFile(host.resolve(name));
        Files.setAttribute(h, "unix:mode", mode);
        switch (ids) {
          case "u" -> Files.setAttribute(h, "unix:uid", uid);
          case "g" -> Files.setAttribute(h, "unix:gid", gid);
          default -> Files.setAttribute(h, "unix:uid", -1); // chown(path, -1, -1)
        }
        ov.open("/" + name, Set.of(WRITE, CREATE), 0644).close();
        ov.setMode("/" + name, false, mode);
        ov.setOwner("/" + name, false, ids.equals("u") ? 7 : -1, ids.equals("g") ? 7 : -1);
        Node n = ov.lookup("/" + name, false);
        assertEquals(hostInt(h, "mode") & 07777, n.mode(), name);
        assertEquals(ids.equals("u") ? 7 : 0, n.uid(), name);
        assertEquals(ids.equals("g") ? 7 : 0, n.gid(), name);
      }
    }
  }

  @Test
  void optionCombinationsTheJdkRefusesAreRefused() throws IOException {
    Path h = Files.writeString(host.resolve("f"), "x");
    for (Set<OpenOption> options : List.<Set<OpenOption>>of(Set.of(READ, APPEND),
        Set.of(APPEND, TRUNCATE_EXISTING), Set.of(WRITE, APPEND, TRUNCATE_EXISTING))) {
      IllegalArgumentException jdk = assertThrows(IllegalArgumentException.class,
          () -> FileChannel.open(h, options));
      IllegalArgumentException mine = assertThrows(IllegalArgumentException.class,
          () -> ov.open("/etc/hosts", options, 0));
      assertEquals(jdk.getMessage(), mine.getMessage(), options.toString());
    }
    // no READ or WRITE: reading; APPEND alone: writing at the end
    try (FileHandle r = ov.open("/etc/hosts", Set.of(), 0)) {
      assertTrue(r.readable());
      assertFalse(r.writable());
    }
    try (FileHandle w = ov.open("/etc/hosts", Set.of(WRITE), 0)) {
      assertTrue(w.writable());
      assertFalse(w.readable());
    }
    try (FileHandle a = ov.open("/etc/hosts", Set.of(APPEND), 0)) {
      assertTrue(a.writable());
      assertFalse(a.readable());
      assertTrue(a.append());
      a.write(ByteBuffer.wrap(new byte[] {'!'}), 0);
    }
    assertEquals(21, ov.lookup("/etc/hosts", false).size());
  }

  @Test
  void aClosedContainerRefusesEverything() throws IOException {
    ov.close();
    ov.close(); // twice: nothing more
    assertThrows(ClosedFileSystemException.class, () -> ov.lookup("/etc", false));
    assertThrows(ClosedFileSystemException.class, () -> ov.find("/etc", false));
    assertThrows(ClosedFileSystemException.class, () -> ov.list("/"));
    assertThrows(ClosedFileSystemException.class, () -> ov.open("/etc/hosts", Set.of(), 0));
    assertThrows(ClosedFileSystemException.class,
        () -> ov.open("/etc/hosts", Set.of(WRITE), 0));
    assertThrows(ClosedFileSystemException.class, () -> ov.createDirectory("/x", 0755));
    assertThrows(ClosedFileSystemException.class, () -> ov.diff());
    fx.reopen(false);
  }

  @Test
  void aReadOnlyContainerRefusesChangesAndMakesOnlyLockFiles() throws IOException {
    ov.createDirectory("/kept", 0755);
    ov.lockFile(0x2a).close();
    ov = fx.reopen(true);
    assertTrue(ov.readOnly());
    assertThrows(ReadOnlyFileSystemException.class, () -> ov.createDirectory("/x", 0755));
    assertThrows(ReadOnlyFileSystemException.class,
        () -> ov.open("/etc/hosts", Set.of(WRITE), 0));
    assertThrows(ReadOnlyFileSystemException.class,
        () -> ov.open("/etc/hosts", Set.of(READ, DELETE_ON_CLOSE), 0));
    // a lock file a writer made is locked for reading; one no writer made yet is made, so the
    // view's lock holds against a writer's later one
    try (FileChannel lock = ov.lockFile(0x2a)) {
      assertNotNull(lock.tryLock(0, Long.MAX_VALUE, true));
      assertThrows(NonWritableChannelException.class, () -> lock.tryLock());
    }
    try (FileChannel lock = ov.lockFile(1);
        FileChannel writer = FileChannel.open(fx.dir.resolve("locks/1"), READ, WRITE)) {
      assertNotNull(lock.tryLock(0, Long.MAX_VALUE, true));
      assertThrows(OverlappingFileLockException.class, () -> writer.tryLock());
    }
    assertTrue(ov.lookup("/kept", false).isDirectory());
    assertEquals(2, ov.layers().size());
  }

  /**
   * A lock of an image file goes through its lock file, and so does every lock of the file once
   * it is copied up (never its data file): a lock taken through a handle opened before the
   * copy-up and one taken after are locks of one file, so within one JVM they overlap as the
   * JDK's rules say, and across processes they exclude each other. The file keeps that lock file
   * in the log (a crash view) and in the snapshot (a reopen).
   */
  @Test
  void aCopiedUpFileKeepsLockingTheImageFilesLockFile() throws IOException {
    long key = ov.lookup("/etc/hosts", false).fileKey();
    Path lockFile = fx.dir.resolve("locks/" + Long.toHexString(key));
    try (FileHandle before = ov.open("/etc/hosts", Set.of(READ), 0);
        FileHandle after = ov.open("/etc/hosts", Set.of(READ, WRITE), 0)) {
      assertTrue(ov.lookup("/etc/hosts", false) instanceof Node.Upper, "copied up");
      FileLock shared = before.lockChannel().lock(0, Long.MAX_VALUE, true);
      assertThrows(OverlappingFileLockException.class, () -> after.lockChannel().tryLock());
      shared.release();
      FileLock exclusive = after.lockChannel().tryLock();
      assertNotNull(exclusive);
      assertThrows(OverlappingFileLockException.class,
          () -> before.lockChannel().tryLock(0, Long.MAX_VALUE, true));
      exclusive.release();
    }
    try (Overlay crashed = fx.crashView();
        FileHandle h = crashed.open("/etc/hosts", Set.of(READ), 0);
        FileChannel other = FileChannel.open(lockFile, READ, WRITE)) {
      assertNotNull(h.lockChannel().tryLock(0, Long.MAX_VALUE, true));
      assertThrows(OverlappingFileLockException.class, () -> other.tryLock());
    }
    ov = fx.reopen(false);
    try (FileHandle h = ov.open("/etc/hosts", Set.of(READ, WRITE), 0);
        FileChannel other = FileChannel.open(lockFile, READ, WRITE)) {
      assertNotNull(h.lockChannel().tryLock());
      assertThrows(OverlappingFileLockException.class, () -> other.tryLock(0, 1, true));
    }
  }

  /**
   * A directory's lock and an image file's lock are locks of two files, even where the
   * directory's path hashes to the file's key (its lock file was {@code locks/HASHCODE} then,
   * the image file's {@code locks/KEY}); so are the locks of two directories whose paths have one
   * hash code ({@code Aa} and {@code BB}).
   */
  @Test
  void directoryLocksExcludeNoFileAndNoOtherDirectory() throws IOException {
    long key = ov.lookup("/etc/hosts", false).fileKey();
    assertTrue(key >= 0 && key <= Integer.MAX_VALUE, "a key a hash code can take: " + key);
    String dir = pathHashingTo((int) key);
    assertEquals((int) key, dir.hashCode());
    ov.createDirectory(dir, 0755);
    try (FileHandle d = ov.open(dir, Set.of(READ), 0);
        FileHandle f = ov.open("/etc/hosts", Set.of(READ), 0)) {
      FileLock onDir = d.lockChannel().tryLock();
      assertNotNull(onDir);
      assertNotNull(f.lockChannel().tryLock(), "the file's lock is not the directory's");
    }
    ov.createDirectory("/Aa", 0755);
    ov.createDirectory("/BB", 0755);
    assertEquals("/Aa".hashCode(), "/BB".hashCode());
    try (FileHandle a = ov.open("/Aa", Set.of(READ), 0);
        FileHandle b = ov.open("/BB", Set.of(READ), 0)) {
      assertNotNull(a.lockChannel().tryLock());
      assertNotNull(b.lockChannel().tryLock(), "two directories, two locks");
    }
    // one directory is one lock: a second handle of it overlaps, as the JDK's rules say
    try (FileHandle a = ov.open("/Aa", Set.of(READ), 0);
        FileHandle again = ov.open("/Aa", Set.of(READ), 0)) {
      assertNotNull(a.lockChannel().tryLock());
      assertThrows(OverlappingFileLockException.class, () -> again.lockChannel().tryLock());
    }
  }

  /**
   * A top-level path {@code /} + two CJK characters whose {@code String.hashCode} is {@code
   * target}: a prefix of ASCII letters is tried until the two last characters can make up the
   * difference.
   */
  private static String pathHashingTo(int target) {
    for (int n = 0; ; n++) {
      String prefix = "/d" + Integer.toString(n, 36);
      long rest = Integer.toUnsignedLong(target - prefix.hashCode() * 31 * 31);
      for (char last = 0x4e00; last < 0x4e00 + 31; last++) {
        long first = (rest - last) / 31;
        if ((rest - last) % 31 == 0 && first >= 0x4e00 && first <= 0x9fff) {
          return prefix + (char) first + last;
        }
      }
    }
  }

  /**
   * A read-only view locks a copied-up file nobody locked yet for real (as it locked the data
   * file before the lock went through the image file's lock file): it makes the lock file.
   */
  @Test
  void aReadOnlyViewLocksACopiedUpFileForReal() throws IOException {
    long key = ov.lookup("/etc/hosts", false).fileKey();
    try (FileHandle h = ov.open("/etc/hosts", Set.of(WRITE, APPEND), 0)) {
      h.write(ByteBuffer.wrap(new byte[] {'x'}), h.size());
    }
    try (Overlay view = fx.crashView();
        FileHandle h = view.open("/etc/hosts", Set.of(READ), 0)) {
      FileChannel lock = h.lockChannel();
      assertNotNull(lock, "a real lock, not bookkeeping");
      assertNotNull(lock.tryLock(0, Long.MAX_VALUE, true));
      try (FileChannel writer = FileChannel.open(
          fx.dir.resolve("locks/" + Long.toHexString(key)), READ, WRITE)) {
        assertThrows(OverlappingFileLockException.class, () -> writer.tryLock());
      }
    }
  }

  @Test
  void findAndListAnswerAsLookupDoes() throws IOException {
    assertNull(ov.find("/nope", false));
    assertNull(ov.find("/nope/deeper", false));
    assertEquals("/etc/hosts", ov.find("/etc/hosts", false).path());
    assertThrows(NotDirectoryException.class, () -> ov.list("/etc/hosts"));
    assertThrows(NotDirectoryException.class, () -> ov.list("/etc/hosts/x"));
    assertFalse(ov.readOnly());
    try (FileChannel lock = ov.lockFile(0x2a)) {
      assertTrue(lock.isOpen());
      assertTrue(Files.exists(fx.dir.resolve("locks/2a")));
    }
  }

  @Test
  void newEntriesKeepOnlyThePermissionBitsOfTheirMode() throws IOException {
    // open(2) and mkdir(2) take the mode's low 12 bits
    ov.open("/f", Set.of(WRITE, CREATE), 0100000 | 04755).close();
    ov.createDirectory("/d", 0040000 | 01777);
    ov.setMode("/f", false, 0170000 | 0640);
    assertEquals(0640, ov.lookup("/f", false).mode());
    assertEquals(01777, ov.lookup("/d", false).mode());
    ov.open("/g", Set.of(WRITE, CREATE), 0100000 | 04755).close();
    assertEquals(04755, ov.lookup("/g", false).mode());
  }

  @Test
  void aSymbolicLinkHasTheSizeAndModeOfOneOnTheHost() throws IOException {
    String target = "d\u00e9j\u00e0/\u00fcber"; // 9 characters, 12 bytes in UTF-8
    Path h = Files.createSymbolicLink(host.resolve("l"), Path.of(target));
    ov.createSymbolicLink("/l", target);
    Node n = ov.lookup("/l", false);
    assertEquals(Files.getAttribute(h, "unix:size", LinkOption.NOFOLLOW_LINKS), n.size());
    assertEquals(12L, n.size());
    assertEquals(hostInt(h, "mode", LinkOption.NOFOLLOW_LINKS) & 07777, n.mode());
    assertEquals(target, n.linkTarget());
  }

  @Test
  void creatingAndRemovingNamesSetsTheDirectorysModificationTime() throws IOException {
    List<IoAction> changes = List.of(
        () -> ov.open("/etc/new", Set.of(WRITE, CREATE), 0644).close(),
        () -> ov.createDirectory("/etc/dir", 0755),
        () -> ov.createSymbolicLink("/etc/lnk", "hosts"),
        () -> ov.createLink("/etc/hl", "/etc/hosts"),
        () -> ov.delete("/etc/hl"),
        () -> ov.move("/etc/new", "/etc/new2", false),
        () -> ov.move("/etc/new2", "/d1/new2", false));
    for (int i = 0; i < changes.size(); i++) {
      ov.setTimes("/etc", false, 1000, 2000);
      ov.setTimes("/d1", false, 1000, 2000);
      changes.get(i).run();
      Node etc = ov.lookup("/etc", false);
      assertTrue(etc.mtimeNanos() > 1000, "change " + i);
      assertEquals(2000, etc.atimeNanos(), "change " + i);
      assertEquals(i == changes.size() - 1, ov.lookup("/d1", false).mtimeNanos() > 1000,
          "change " + i);
    }
    // the directories' new times were logged with the change
    try (Overlay crashed = fx.crashView()) {
      assertEquals(ov.lookup("/etc", false).mtimeNanos(),
          crashed.lookup("/etc", false).mtimeNanos());
      assertEquals(ov.lookup("/d1", false).mtimeNanos(),
          crashed.lookup("/d1", false).mtimeNanos());
    }
  }

  @Test
  void aNewEntryHasItsTimesSetToNow() throws IOException {
    long start = Instant.now().getEpochSecond() * 1_000_000_000L;
    ov.open("/f", Set.of(WRITE, CREATE), 0644).close();
    ov.createDirectory("/d", 0755);
    ov.createSymbolicLink("/l", "f");
    for (String p : List.of("/f", "/d", "/l")) {
      Node n = ov.lookup(p, false);
      assertTrue(n.mtimeNanos() >= start, p);
      assertEquals(n.mtimeNanos(), n.atimeNanos(), p);
      assertEquals(n.mtimeNanos(), n.ctimeNanos(), p);
    }
  }

  @Test
  void newLinksAndMovesSurviveAReopen() throws IOException {
    ov.createSymbolicLink("/etc/l", "hosts");
    ov.setMode("/d1/sub", false, 0700);
    int d3Mode = ov.lookup("/d3", false).mode();
    ov.move("/d3", "/moved3", false); // a lower directory: an upper one redirected to it
    ov.move("/etc/passwd", "/d1/passwd", false); // a lower file: a metacopy
    ov.move("/d1/sub", "/sub2", false);
    for (String when : List.of("open", "crashed", "reopened")) {
      Overlay o = when.equals("open") ? ov : when.equals("crashed") ? fx.crashView()
          : fx.reopen(true);
      assertEquals("hosts", o.lookup("/etc/l", false).linkTarget(), when);
      assertEquals(List.of("new"), o.list("/moved3"), when); // opaque in the upper layer
      assertEquals(d3Mode, o.lookup("/moved3", false).mode(), when);
      assertEquals(0700, o.lookup("/sub2", false).mode(), when);
      assertEquals(List.of("x", "y"), o.list("/sub2"), when);
      Node passwd = o.lookup("/d1/passwd", false);
      assertEquals(0600, passwd.mode(), when);
      assertEquals(26, passwd.size(), when);
      assertNull(o.find("/etc/passwd", false), when);
      assertNull(o.find("/d3", false), when);
      try (FileHandle h = o.open("/d1/passwd", Set.of(READ), 0)) {
        ByteBuffer b = ByteBuffer.allocate(64);
        h.read(b, 0);
        assertEquals("root:x:0:0::/root:/bin/sh\n",
            new String(b.array(), 0, b.position(), StandardCharsets.UTF_8), when);
      }
      if (when.equals("crashed")) {
        o.close();
      }
    }
  }

  @Test
  void setTimesKeepsATimeGivenAsMinusOne() throws IOException {
    ov.setTimes("/etc/hosts", false, 5000, 6000);
    ov.setTimes("/etc/hosts", false, TIME_UNCHANGED, 7000);
    assertEquals(5000, ov.lookup("/etc/hosts", false).mtimeNanos());
    assertEquals(7000, ov.lookup("/etc/hosts", false).atimeNanos());
    ov.setTimes("/etc/hosts", false, 8000, TIME_UNCHANGED);
    assertEquals(8000, ov.lookup("/etc/hosts", false).mtimeNanos());
    assertEquals(7000, ov.lookup("/etc/hosts", false).atimeNanos());
  }

  @Test
  void aHardLinkIsRefusedAsOnTheHost() throws IOException {
    Files.createDirectory(host.resolve("etc"));
    Files.writeString(host.resolve("etc/hosts"), "x");
    List<String[]> cases = List.of(
        new String[] {"/etc/hl", "/etc/nope"}, // no such file
        new String[] {"/etc/hosts", "/etc/hosts"}, // the name exists
        new String[] {"/etc/hl", "/etc"}); // a directory
    for (String[] c : cases) {
      FileSystemException jdk = assertThrows(FileSystemException.class,
          () -> Files.createLink(host.resolve(c[0].substring(1)), host.resolve(c[1].substring(1))));
      FileSystemException mine = assertThrows(FileSystemException.class,
          () -> ov.createLink(c[0], c[1]));
      String what = c[0] + " -> " + c[1];
      assertEquals(jdk.getClass(), mine.getClass(), what);
      assertEquals(jdk.getReason(), mine.getReason(), what);
      assertEquals(c[0], mine.getFile(), what);
      assertEquals(c[1], mine.getOtherFile(), what);
    }
  }

  @Test
  void aHardLinkChangesTheFilesCtime() throws IOException {
    ov.open("/f", Set.of(WRITE, CREATE), 0644).close();
    ov.setTimes("/f", false, 1000, 1000);
    long before = ov.lookup("/f", false).ctimeNanos();
    ov.createLink("/g", "/f");
    assertTrue(ov.lookup("/f", false).ctimeNanos() >= before);
    assertEquals(2, ov.lookup("/f", false).linkCount());
    assertEquals(ov.lookup("/f", false).fileKey(), ov.lookup("/g", false).fileKey());
  }

  @Test
  void movingAFileOntoAnotherNameOfItDoesNothingAsOnTheHost() throws IOException {
    Path a = Files.writeString(host.resolve("a"), "a");
    Path b = Files.createLink(host.resolve("b"), a);
    Files.move(a, b); // the JDK returns early for the same file, before the exists check
    assertTrue(Files.exists(a) && Files.exists(b));

    ov.move("/hl1", "/hl2", false); // two names of one image file
    ov.open("/u1", Set.of(WRITE, CREATE), 0644).close();
    ov.createLink("/u2", "/u1");
    ov.move("/u1", "/u2", true);
    ov.move("/d1", "/d1", false);
    ov.move("/d1", "/d1/.", true);
    for (String p : List.of("/hl1", "/hl2", "/u1", "/u2", "/d1/a")) {
      assertTrue(ov.find(p, false) != null, p);
    }
    assertEquals(List.of("A /u1", "A /u2"), ov.diff().stream().map(Object::toString).toList());
  }

  @Test
  void movingADirectoryIntoItselfDeletesTheTargetFirstAsOnTheHost() throws IOException {
    Files.createDirectories(host.resolve("m/e"));
    FileSystemException jdk = assertThrows(FileSystemException.class,
        () -> Files.move(host.resolve("m"), host.resolve("m/e"),
            StandardCopyOption.REPLACE_EXISTING));
    ov.createDirectory("/m", 0755);
    ov.createDirectory("/m/e", 0755);
    ov.setTimes("/m", false, 1000, 1000);
    FileSystemException mine = assertThrows(FileSystemException.class,
        () -> ov.move("/m", "/m/e", true));
    assertEquals(jdk.getReason(), mine.getReason());
    assertEquals(Files.exists(host.resolve("m/e")), ov.find("/m/e", false) != null);
    assertEquals(hostNames(host.resolve("m")), ov.list("/m"));
    assertTrue(ov.lookup("/m", false).mtimeNanos() > 1000);
    try (Overlay crashed = fx.crashView()) {
      assertEquals(List.of(), crashed.list("/m"));
    }
    // a lower directory into its own subdirectory: that one is not empty
    assertThrows(DirectoryNotEmptyException.class, () -> ov.move("/d1", "/d1/sub", true));
    assertThrows(FileSystemException.class, () -> ov.move("/d1", "/d1/sub/new", false));
    assertEquals(List.of("x", "y"), ov.list("/d1/sub"));
  }

  @Test
  void removingAMissingAttributeIsNoDataAvailable() throws IOException {
    ov.setXattr("/etc/hosts", false, "user.a", new byte[] {1});
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> ov.removeXattr("/etc/hosts", false, "user.b"));
    assertEquals("No data available", e.getReason());
    ov.removeXattr("/etc/hosts", false, "user.a");
    assertEquals(Map.of(), ov.lookup("/etc/hosts", false).xattrs());
  }

  @Test
  void aTransientWritableViewHasNoLockFiles() throws IOException {
    try (Overlay view = Overlay.open(null, false, fx.root, fx.layers)) {
      assertFalse(view.readOnly());
      assertThrows(UnsupportedOperationException.class, () -> view.lockFile(1));
    }
  }

  @Test
  void exportReportsItsProgressAndAClosedContainerNeitherExportsNorCommits()
      throws IOException {
    List<String> events = new ArrayList<>();
    long[] advanced = {0};
    Progress p = new Progress() {
      @Override
      public void start(String step, long total) {
        events.add("start " + step + " " + total);
      }

      @Override
      public void advance(long amount) {
        advanced[0] += amount;
      }

      @Override
      public void done() {
        events.add("done");
      }
    };
    try (FileHandle h = ov.open("/made", Set.of(CREATE, WRITE), 0644)) {
      h.write(ByteBuffer.wrap("made in the container\n".getBytes(StandardCharsets.UTF_8)), 0);
    }
    ov.createLink("/made-too", "/made"); // hard links of an upper file, as /hl1 and /hl2 are lower
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    ov.export(tar, p);
    // the total counts each regular file's bytes once, as the tar holds them: a hard link's
    // second name is a link entry without data
    long total = 0;
    for (String f : List.of("/etc/hosts", "/etc/passwd", "/d1/a", "/d1/sub/x", "/d1/sub/y",
        "/d2/c", "/big", "/hl1", "/d3/new", "/made")) {
      total += ov.lookup(f, false).size();
    }
    long inTar = 0;
    List<String> links = new ArrayList<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        if (e.isLink()) {
          links.add(e.getName() + " -> " + e.getLinkName());
        } else if (e.isFile()) {
          inTar += e.getSize();
        }
      }
    }
    assertEquals(List.of("hl2 -> hl1", "made-too -> made"), links);
    assertEquals(total, inTar);
    assertEquals(List.of("start export " + total, "done"), events);
    assertEquals(total, advanced[0], "the progress reaches exactly 100%");
    assertTrue(advanced[0] >= ContainerFixture.BIG, String.valueOf(advanced[0]));
    // a commit holds the tree's read lock only while it runs
    Image committed =
        ov.commit(fx.store, fx.image, "m", null, CommitOptions.defaults(), Progress.NONE);
    assertEquals(fx.image.layers().size() + 1, committed.layers().size());
    ov.createDirectory("/after", 0755);
    ov.close();
    assertThrows(ClosedFileSystemException.class, () -> ov.export(tar, Progress.NONE));
    assertThrows(ClosedFileSystemException.class, () -> ov.commit(fx.store, fx.image, "m", null,
        CommitOptions.defaults(), Progress.NONE));
  }

  @Test
  void aTargetLinkThatLeadsToTheSourceIsDeletedFirstAsOnTheHost() throws IOException {
    // the JDK unlinks the target, a link the source's path goes through, then rename(2) finds
    // no source
    Path d = Files.createDirectory(host.resolve("d1"));
    Files.writeString(d.resolve("a"), "a");
    Files.createSymbolicLink(host.resolve("ld"), Path.of("d1"));
    FileSystemException jdk = assertThrows(FileSystemException.class,
        () -> Files.move(host.resolve("ld/a"), host.resolve("ld"),
            StandardCopyOption.REPLACE_EXISTING));
    ov.createSymbolicLink("/ld", "d1");
    ov.setTimes("/", false, 1000, 1000);
    FileSystemException mine = assertThrows(FileSystemException.class,
        () -> ov.move("/ld/a", "/ld", true));
    assertEquals(jdk.getClass(), mine.getClass());
    assertEquals(Files.exists(host.resolve("ld"), LinkOption.NOFOLLOW_LINKS),
        ov.find("/ld", false) != null);
    assertTrue(ov.lookup("/", false).mtimeNanos() > 1000);
    try (Overlay crashed = fx.crashView()) {
      assertNull(crashed.find("/ld", false));
      assertTrue(crashed.lookup("/d1/a", false).isRegularFile());
    }
    // a link replaced by a file
    ov.createSymbolicLink("/ld", "d1");
    ov.move("/etc/hosts", "/ld", true);
    assertTrue(ov.lookup("/ld", false).isRegularFile());
    try (Overlay crashed = fx.crashView()) {
      assertEquals(20, crashed.lookup("/ld", false).size()); // /etc/hosts, moved
      assertNull(crashed.find("/etc/hosts", false));
    }
  }

  @Test
  void openingALinkWithoutFollowingItFailsAsOnTheHost() throws IOException {
    Files.writeString(host.resolve("f"), "f");
    Path l = Files.createSymbolicLink(host.resolve("l"), Path.of("f"));
    for (Set<OpenOption> options : List.<Set<OpenOption>>of(Set.of(READ, NOFOLLOW_LINKS),
        Set.of(WRITE, NOFOLLOW_LINKS), Set.of(WRITE, CREATE, NOFOLLOW_LINKS))) {
      // ELOOP, which the JDK says in a plain IOException's message
      IOException jdk = assertThrows(IOException.class,
          () -> FileChannel.open(l, options).close());
      IOException mine = assertThrows(IOException.class,
          () -> ov.open("/lnk", options, 0644).close());
      assertEquals(IOException.class, jdk.getClass());
      assertEquals(IOException.class, mine.getClass(), options.toString());
      assertEquals("/lnk: " + jdk.getMessage(), mine.getMessage(), options.toString());
    }
    try (FileHandle h = ov.open("/etc/hosts", Set.of(READ, NOFOLLOW_LINKS), 0)) {
      assertTrue(h.readable());
    }
    try (FileHandle h = ov.open("/lnk", Set.of(READ), 0)) {
      assertTrue(h.readable());
    }
  }

  @Test
  void aDirectoryOpensForReadingOnly() throws IOException {
    try (FileHandle h = ov.open("/etc", Set.of(READ), 0)) {
      assertTrue(h.readable());
      assertFalse(h.writable());
    }
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> ov.open("/etc", Set.of(WRITE), 0));
    assertEquals("Is a directory", e.getReason());
  }

  @Test
  void aFifoOfTheImageDoesNotOpen() throws IOException {
    ImageBuilder.create(fx.store.root()).layer().dir("/dev").fifo("/dev/p").build("pipes");
    RootFs pipes = RootFs.open(fx.store, fx.layers, "pipes");
    try (Overlay o = Overlay.open(Files.createDirectories(tmp.resolve("pipes")), false, pipes,
        fx.layers)) {
      for (Set<OpenOption> options : List.<Set<OpenOption>>of(Set.of(READ), Set.of(WRITE))) {
        FileSystemException e = assertThrows(FileSystemException.class,
            () -> o.open("/dev/p", options, 0));
        assertEquals("Operation not supported", e.getReason(), options.toString());
      }
      assertEquals(EntryType.FIFO, o.lookup("/dev/p", false).type());
    }
  }

  @Test
  void anAttributeThatCannotBeLoggedForLackOfRoomChangesNothing() throws IOException {
    // every record of the file holds all its attributes: the reservation counts them all
    FailingChannel.Disk logDisk = new FailingChannel.Disk();
    ov.tree().upper().wrapChannels(logDisk::wrap, c -> c);
    for (int i = 0; i < 3; i++) {
      ov.setXattr("/etc/hosts", false, "user.big" + i, new byte[1 << 20]);
    }
    logDisk.free(0);
    IOException e = assertThrows(IOException.class,
        () -> ov.setXattr("/etc/hosts", false, "user.small", new byte[1]));
    assertTrue(e.getMessage().contains("cannot grow the container metadata log"),
        e.getMessage());
    assertEquals(3, ov.lookup("/etc/hosts", false).xattrs().size());
    logDisk.heal();
    ov.createDirectory("/after", 0755); // not broken: nothing was changed
    Overlay o = fx.reopen(true);
    assertTrue(o.lookup("/after", false).isDirectory());
    assertEquals(3, o.lookup("/etc/hosts", false).xattrs().size());
  }

  @Test
  void aTruncatingOpenThatFailsClosesItsHandle() throws IOException {
    ov.open("/f", Set.of(WRITE, CREATE), 0644).close();
    try (FileHandle h = ov.open("/f", Set.of(WRITE), 0)) {
      h.write(ByteBuffer.wrap(new byte[10]), 0);
    }
    FailingChannel.Disk disk = new FailingChannel.Disk();
    List<FileChannel> opened = new ArrayList<>();
    ov.tree().upper().wrapChannels(c -> c, c -> {
      FileChannel w = disk.wrap(c);
      opened.add(w);
      return w;
    });
    disk.failTruncate = true;
    IOException e = assertThrows(IOException.class,
        () -> ov.open("/f", Set.of(WRITE, TRUNCATE_EXISTING), 0));
    assertEquals("Input/output error", e.getMessage());
    assertEquals(1, opened.size());
    assertFalse(opened.get(0).isOpen(), "the handle's data file was closed with it");
  }

  @Test
  void aTruncatingOpenOfAFileWhoseDataIsLostNamesThePath() throws IOException {
    ov.open("/f", Set.of(WRITE, CREATE), 0644).close();
    try (FileHandle h = ov.open("/f", Set.of(WRITE), 0)) {
      h.write(ByteBuffer.wrap(new byte[10]), 0);
    }
    ov = fx.reopen(false);
    UpperFile f = (UpperFile) ov.tree().upper().root().children.get("f");
    Files.delete(ov.tree().upper().dataPath(f.id));
    IOException e = assertThrows(IOException.class,
        () -> ov.open("/f", Set.of(WRITE, TRUNCATE_EXISTING), 0));
    assertTrue(e.getMessage().contains(": /f: data file data/" + f.id + " is missing"),
        e.getMessage());
    assertTrue(e.getCause() instanceof DataFileDamage);
    // the failed open's handle was closed: with the data file back, the next handle is the only
    // user of its channel, which closes with it
    Files.write(ov.tree().upper().dataPath(f.id), new byte[10]);
    List<FileChannel> opened = new ArrayList<>();
    ov.tree().upper().wrapChannels(c -> c, c -> {
      opened.add(c);
      return c;
    });
    try (FileHandle h = ov.open("/f", Set.of(READ), 0)) {
      assertEquals(10, h.read(ByteBuffer.allocate(20), 0));
    }
    assertEquals(1, opened.size());
    assertFalse(opened.get(0).isOpen());
  }

  @Test
  void exportAndCommitOfAFileWhoseDataIsLostNameThePath() throws IOException {
    ov.createDirectory("/d", 0755);
    try (FileHandle h = ov.open("/d/f", Set.of(WRITE, CREATE), 0644)) {
      h.write(ByteBuffer.wrap(new byte[10]), 0);
    }
    ov = fx.reopen(false);
    UpperFile f =
        (UpperFile) ((UpperDir) ov.tree().upper().root().children.get("d")).children.get("f");
    Files.delete(ov.tree().upper().dataPath(f.id));
    String expected = ": /d/f: data file data/" + f.id + " is missing";
    IOException export = assertThrows(IOException.class,
        () -> ov.export(java.io.OutputStream.nullOutputStream(), Progress.NONE));
    assertTrue(export.getMessage().contains(expected), export.getMessage());
    IOException commit = assertThrows(IOException.class, () -> ov.commit(fx.store, fx.image,
        "m", null, CommitOptions.defaults(), Progress.NONE));
    assertTrue(commit.getMessage().contains(expected), commit.getMessage());
  }

  @Test
  void aClosedContainerAnswersOtherThreadsToo() throws Exception {
    // close takes the tree's write lock and gives it back: others then see it closed
    ov.close();
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      Future<?> lookup = other.submit(() -> ov.lookup("/etc", false));
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> lookup.get(1, TimeUnit.MINUTES));
      assertTrue(e.getCause() instanceof ClosedFileSystemException, e.getCause().toString());
    } finally {
      other.shutdownNow();
    }
    fx.reopen(false);
  }

  private interface IoAction {
    void run() throws IOException;
  }

  private static List<String> hostNames(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(x -> x.getFileName().toString()).sorted().toList();
    }
  }

  private static int hostInt(Path p, String attribute, LinkOption... options)
      throws IOException {
    return (Integer) Files.getAttribute(p, "unix:" + attribute, options);
  }
}
