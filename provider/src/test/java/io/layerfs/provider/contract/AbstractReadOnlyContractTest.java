package io.layerfs.provider.contract;

import static io.layerfs.provider.contract.Checks.perms;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.provider.contract.Checks.Mismatches;
import io.layerfs.provider.contract.Fixture.Entry;
import io.layerfs.provider.contract.Fixture.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * The NIO contract of a read-only view of {@link Fixture}'s tree, as Jimfs's
 * AbstractJimfsIntegrationTest and containerd's ContentSuite do it: one class of expectations,
 * run against every implementation. {@link DefaultFsContractTest} runs it on the JDK's default
 * file system over a host copy of the tree (the control: Linux is the oracle, so a failure there
 * is a wrong test); {@link LayerFsContractTest} runs it on the fixture image opened with layerfs.
 *
 * <p>Every path is relative to {@link #root()}. Expectations are concrete values taken from the
 * fixture's description and exact exception classes as the JDK on Linux throws them (messages
 * are not compared). Absolute and escaping symbolic links are only read here, never followed:
 * the host copy would resolve them outside the tree ({@link LayerFsChrootTest} follows them).
 *
 * <p>Loops over many entries collect every mismatch before failing, so one run lists them all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
abstract class AbstractReadOnlyContractTest {

  /** The directory holding the fixture tree. */
  protected abstract Path root();

  /**
   * The size every directory reports, where the implementation promises one; empty where it is
   * the host file system's own. A directory's size is its file system's bookkeeping, which a tar
   * does not carry (0 in its entries): ext4 gives a directory 4096 bytes until its entries need
   * more blocks, which {@code stat} shows in a Docker container too (overlay2 on ext4); tmpfs
   * gives 20 bytes an entry, btrfs the names' lengths twice. layerfs reports ext4's.
   */
  protected OptionalLong directorySize() {
    return OptionalLong.of(4096);
  }

  /** A path of the fixture, relative to the root; "" is the root. */
  final Path p(String rel) {
    return rel.isEmpty() ? root() : root().resolve(rel);
  }

  private static final String BIG = "data/100000.bin";
  private static final String HARD = "data/100000.hard";
  private static final List<String> SIZED =
      List.of("data/empty", "data/one", "data/4095.bin", "data/4096.bin", BIG);

  // ---------------------------------------------------------------- contents

  @Test
  void readAllBytesOfEveryRegularFile() throws IOException {
    Mismatches m = new Mismatches();
    for (String file : Fixture.regularFiles()) {
      byte[] expected = Fixture.data(file);
      byte[] actual = Files.readAllBytes(p(file));
      m.check(file, "length", expected.length, actual.length);
      m.check(file, "mismatch index", -1, Arrays.mismatch(expected, actual));
    }
    assertTrue(Fixture.regularFiles().size() > 300, "fixture has the many/ files");
    m.assertNone();
  }

  @Test
  void upperLayerReplacesFileContents() throws IOException {
    assertEquals("ID=contract\nVERSION=2\n", Files.readString(p("etc/os-release")));
    assertEquals(List.of("many/f123"), Files.readAllLines(p("many/f123")));
    assertEquals(4097, Files.size(p("etc/conf")));
    assertArrayEquals(Fixture.content("etc/conf", 4097), Files.readAllBytes(p("etc/conf")));
  }

  @Test
  void inputStreamReadsSkipsAndEndsWithMinusOne() throws IOException {
    byte[] data = Fixture.data(BIG);
    try (InputStream in = Files.newInputStream(p(BIG))) {
      assertEquals(data[0] & 0xff, in.read());
      byte[] ten = new byte[10];
      assertEquals(10, in.readNBytes(ten, 0, 10));
      assertArrayEquals(Arrays.copyOfRange(data, 1, 11), ten);
      assertEquals(1000, in.skip(1000));
      byte[] rest = in.readAllBytes();
      assertArrayEquals(Arrays.copyOfRange(data, 1011, data.length), rest);
      assertEquals(-1, in.read());
      assertEquals(-1, in.read(new byte[8]));
      assertEquals(-1, in.read(new byte[8], 0, 8));
    }
    try (InputStream in = Files.newInputStream(p("data/empty"))) {
      assertEquals(-1, in.read());
      assertEquals(-1, in.read(new byte[1]));
    }
  }

  @Test
  void byteChannelSizePositionAndEnd() throws IOException {
    Mismatches m = new Mismatches();
    for (String file : SIZED) {
      byte[] data = Fixture.data(file);
      try (SeekableByteChannel ch = Files.newByteChannel(p(file))) {
        m.check(file, "size", (long) data.length, ch.size());
        m.check(file, "initial position", 0L, ch.position());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(1000);
        int n;
        while ((n = ch.read(buf.clear())) > 0) {
          all.write(buf.array(), 0, n);
        }
        m.check(file, "last read", -1, n);
        m.check(file, "contents", -1, Arrays.mismatch(data, all.toByteArray()));
        m.check(file, "position at end", (long) data.length, ch.position());
        m.check(file, "read again at end", -1, ch.read(buf.clear()));

        long mid = data.length / 2;
        ch.position(mid);
        ByteBuffer part = ByteBuffer.allocate(300);
        int got = ch.read(part);
        int want = (int) Math.min(300, data.length - mid);
        m.check(file, "read from middle", want == 0 ? -1 : want, got);
        if (got > 0) {
          m.check(file, "bytes from middle", -1, Arrays.mismatch(
              Arrays.copyOfRange(data, (int) mid, (int) mid + got),
              Arrays.copyOf(part.array(), got)));
        }
        m.check(file, "position after middle read", mid + Math.max(got, 0), ch.position());

        ch.position(data.length + 10L);
        m.check(file, "position past end", data.length + 10L, ch.position());
        m.check(file, "read past end", -1, ch.read(buf.clear()));
        m.check(file, "position unchanged by read past end", data.length + 10L, ch.position());
      }
    }
    m.assertNone();
    try (SeekableByteChannel ch = Files.newByteChannel(p(BIG))) {
      assertThrowsExactly(IllegalArgumentException.class, () -> ch.position(-1));
    }
  }

  @Test
  void readOnlyChannelRefusesWrites() throws IOException {
    try (FileChannel ch = FileChannel.open(p(BIG), StandardOpenOption.READ)) {
      assertThrowsExactly(NonWritableChannelException.class,
          () -> ch.write(ByteBuffer.wrap(new byte[] {1})));
      assertThrowsExactly(NonWritableChannelException.class,
          () -> ch.write(ByteBuffer.wrap(new byte[] {1}), 0));
      assertThrowsExactly(NonWritableChannelException.class, () -> ch.truncate(10));
      assertThrowsExactly(NonWritableChannelException.class,
          () -> ch.transferFrom(Channels.newChannel(InputStream.nullInputStream()), 0, 1));
      assertThrowsExactly(NonWritableChannelException.class,
          () -> ch.map(FileChannel.MapMode.READ_WRITE, 0, 10));
      assertThrowsExactly(NonWritableChannelException.class,
          () -> ch.map(FileChannel.MapMode.PRIVATE, 0, 10));
      assertEquals(100_000L, ch.size());
    }
  }

  /**
   * Shared locks of one file in one JVM overlap no more than exclusive ones, through any channel
   * or hard link: the JDK refuses the second with {@link OverlappingFileLockException}; ranges
   * apart lock, and a channel's close releases its locks.
   */
  @Test
  void sharedLocksOfOneFileExcludeEachOtherInOneJvm() throws IOException {
    try (FileChannel one = FileChannel.open(p(BIG), StandardOpenOption.READ);
        FileChannel linked = FileChannel.open(p(HARD), StandardOpenOption.READ)) {
      FileLock first = one.lock(0, 10, true);
      assertTrue(first.isShared() && first.isValid());
      assertThrowsExactly(OverlappingFileLockException.class, () -> one.tryLock(5, 10, true));
      assertThrowsExactly(OverlappingFileLockException.class,
          () -> linked.tryLock(0, Long.MAX_VALUE, true));
      try (FileChannel other = FileChannel.open(p(BIG), StandardOpenOption.READ)) {
        assertNotNull(other.tryLock(10, 10, true), "a range next to a held one locks");
      }
      assertNotNull(linked.tryLock(10, 10, true), "a closed channel's locks are released");
      first.release();
      assertNotNull(linked.tryLock(0, 10, true), "a released range locks again");
    }
  }

  /** A file store answers every question {@code FileStore} asks, its block size too. */
  @Test
  void theFileStoreHasABlockSize() throws IOException {
    java.nio.file.FileStore store = Files.getFileStore(p(BIG));
    assertTrue(store.getBlockSize() > 0 && Long.bitCount(store.getBlockSize()) == 1,
        () -> "block size " + store);
    assertTrue(store.getTotalSpace() >= 0);
  }

  /**
   * A directory opened as a channel locks as a file does: one JVM holds no two overlapping
   * locks of it, through any channel or a link to it; another directory's locks are its own, and
   * closing a channel releases its locks.
   */
  @Test
  void locksOfADirectoryExcludeEachOtherInOneJvm() throws IOException {
    try (FileChannel one = FileChannel.open(p("data/nested"), StandardOpenOption.READ);
        FileChannel linked = FileChannel.open(p("links/dir"), StandardOpenOption.READ)) {
      FileLock first = one.lock(0, Long.MAX_VALUE, true);
      assertTrue(first.isShared() && first.isValid());
      assertThrowsExactly(OverlappingFileLockException.class, () -> linked.tryLock(0, 1, true));
      assertThrowsExactly(NonWritableChannelException.class, () -> linked.tryLock(0, 1, false));
      try (FileChannel parent = FileChannel.open(p("data"), StandardOpenOption.READ)) {
        assertNotNull(parent.tryLock(0, Long.MAX_VALUE, true),
            "another directory's locks are its own");
      }
      one.close();
      assertFalse(first.isValid(), "closing a channel releases its locks");
      assertNotNull(linked.tryLock(0, Long.MAX_VALUE, true), "and its range locks again");
    }
  }

  @Test
  void closedChannelThrowsClosedChannelException() throws IOException {
    SeekableByteChannel ch = Files.newByteChannel(p(BIG));
    assertTrue(ch.isOpen());
    ch.close();
    assertFalse(ch.isOpen());
    assertThrowsExactly(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(1)));
    assertThrowsExactly(ClosedChannelException.class, ch::size);
    assertThrowsExactly(ClosedChannelException.class, ch::position);
    ch.close(); // closing twice is allowed
  }

  @Test
  void readingADirectoryThrowsIoException() throws IOException {
    // Linux opens a directory read-only; read(2) then fails with EISDIR, a plain IOException
    assertThrowsExactly(IOException.class, () -> Files.readAllBytes(p("data")));
    assertThrowsExactly(IOException.class, () -> Files.readString(p("data/nested")));
    try (SeekableByteChannel ch = Files.newByteChannel(p("data"))) {
      assertThrowsExactly(IOException.class, () -> ch.read(ByteBuffer.allocate(10)));
    }
    try (InputStream in = Files.newInputStream(p("links/dir"))) {
      assertThrowsExactly(IOException.class, in::read);
    }
    // mmap(2) of a directory: ENODEV, or past its size the JDK's refusal to grow it
    try (FileChannel ch = FileChannel.open(p("data"), StandardOpenOption.READ)) {
      long size = ch.size();
      assertEquals("No such device", assertThrowsExactly(IOException.class,
          () -> ch.map(FileChannel.MapMode.READ_ONLY, 0, 1)).getMessage());
      assertEquals("Channel not open for writing - cannot extend file to required size",
          assertThrowsExactly(IOException.class,
              () -> ch.map(FileChannel.MapMode.READ_ONLY, 0, size + 1)).getMessage());
    }
  }

  @Test
  void asynchronousFileChannelReads() throws Exception {
    byte[] data = Fixture.data(BIG);
    try (java.nio.channels.AsynchronousFileChannel ch =
        java.nio.channels.AsynchronousFileChannel.open(p(BIG))) {
      assertEquals(data.length, ch.size());
      ByteBuffer buf = ByteBuffer.allocate(5000);
      assertEquals(5000, ch.read(buf, 50_000).get());
      assertArrayEquals(Arrays.copyOfRange(data, 50_000, 55_000), buf.array());
      assertEquals(-1, ch.read(ByteBuffer.allocate(10), 100_000).get());
      assertThrowsExactly(java.nio.channels.NonWritableChannelException.class,
          () -> ch.write(ByteBuffer.allocate(1), 0));
    }
  }

  @Test
  void fileChannelPositionalReads() throws IOException {
    byte[] data = Fixture.data(BIG);
    try (FileChannel ch = FileChannel.open(p(BIG), StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(5000);
      assertEquals(5000, ch.read(buf, 50_000));
      assertArrayEquals(Arrays.copyOfRange(data, 50_000, 55_000), buf.array());
      assertEquals(0L, ch.position(), "positional reads leave the position alone");
      ByteBuffer tail = ByteBuffer.allocate(5000);
      assertEquals(40, ch.read(tail, 99_960));
      assertArrayEquals(Arrays.copyOfRange(data, 99_960, 100_000),
          Arrays.copyOf(tail.array(), 40));
      assertEquals(-1, ch.read(ByteBuffer.allocate(10), 100_000));
      assertEquals(-1, ch.read(ByteBuffer.allocate(10), 200_000));
      assertThrowsExactly(IllegalArgumentException.class,
          () -> ch.read(ByteBuffer.allocate(1), -1));
      // the read that crosses 4096 must not be aligned by accident
      ByteBuffer cross = ByteBuffer.allocate(3);
      assertEquals(3, ch.read(cross, 4095));
      assertArrayEquals(Arrays.copyOfRange(data, 4095, 4098), cross.array());
    }
    try (FileChannel ch = FileChannel.open(p("data/empty"), StandardOpenOption.READ)) {
      assertEquals(0L, ch.size());
      assertEquals(-1, ch.read(ByteBuffer.allocate(1), 0));
    }
  }

  @Test
  void readIntoFullBufferReturnsZeroEvenAtEnd() throws IOException {
    try (FileChannel ch = FileChannel.open(p("data/one"), StandardOpenOption.READ)) {
      assertEquals(0, ch.read(ByteBuffer.allocate(0), 0));
      assertEquals(0, ch.read(ByteBuffer.allocate(0), 1), "at the end, nothing asked: 0");
    }
  }

  @Test
  void scatteringRead() throws IOException {
    byte[] data = Fixture.data("data/4096.bin");
    try (FileChannel ch = FileChannel.open(p("data/4096.bin"), StandardOpenOption.READ)) {
      ch.position(4000);
      ByteBuffer a = ByteBuffer.allocate(10);
      ByteBuffer b = ByteBuffer.allocate(200);
      assertEquals(96L, ch.read(new ByteBuffer[] {a, b}));
      assertArrayEquals(Arrays.copyOfRange(data, 4000, 4010), a.array());
      assertArrayEquals(Arrays.copyOfRange(data, 4010, 4096), Arrays.copyOf(b.array(), 86));
      assertEquals(4096L, ch.position());
      assertEquals(-1L, ch.read(new ByteBuffer[] {a.clear(), b.clear()}));
    }
  }

  @Test
  void transferTo() throws IOException {
    byte[] data = Fixture.data(BIG);
    try (FileChannel ch = FileChannel.open(p(BIG), StandardOpenOption.READ)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      long total = 0;
      while (total < data.length) {
        long n = ch.transferTo(total, data.length - total, Channels.newChannel(out));
        assertTrue(n > 0, "transferTo made no progress at " + total);
        total += n;
      }
      assertArrayEquals(data, out.toByteArray());
      assertEquals(0L, ch.position(), "transferTo leaves the position alone");

      ByteArrayOutputStream tail = new ByteArrayOutputStream();
      assertEquals(10L, ch.transferTo(99_990, 100, Channels.newChannel(tail)));
      assertArrayEquals(Arrays.copyOfRange(data, 99_990, 100_000), tail.toByteArray());
      assertEquals(0L, ch.transferTo(100_000, 10, Channels.newChannel(tail)));
      assertEquals(0L, ch.transferTo(100_005, 10, Channels.newChannel(tail)));
    }
  }

  @Test
  void transferToAHostFile() throws IOException {
    byte[] data = Fixture.data("data/4095.bin");
    Path dir = Files.createTempDirectory("contract-transfer");
    Path target = dir.resolve("copy");
    try (FileChannel in = FileChannel.open(p("data/4095.bin"), StandardOpenOption.READ);
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      long total = 0;
      while (total < data.length) {
        total += in.transferTo(total, data.length - total, out);
      }
      assertEquals(4095L, total);
    }
    assertArrayEquals(data, Files.readAllBytes(target));
    Files.delete(target);
    Files.delete(dir);
  }

  /**
   * Setting no time is no change, which the JDK's view accepts at once, without looking at the
   * file or the file system: so a read-only file system (a layerfs view, a read-only mount)
   * accepts it too, directly and through {@code setAttribute} with a null time.
   */
  @Test
  void settingNoTimeIsNoChangeAndAccepted() throws IOException {
    java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(p("data/one"));
    Files.getFileAttributeView(p("data/one"), BasicFileAttributeView.class)
        .setTimes(null, null, null);
    Files.getFileAttributeView(p("data"), PosixFileAttributeView.class)
        .setTimes(null, null, null);
    Files.setAttribute(p("data/one"), "lastModifiedTime", null);
    Files.setAttribute(p("data/one"), "basic:lastAccessTime", null);
    Files.setAttribute(p("data/one"), "creationTime",
        java.nio.file.attribute.FileTime.fromMillis(0)); // Linux has no settable birth time
    Files.getFileAttributeView(p("data/missing"), BasicFileAttributeView.class)
        .setTimes(null, null, null);
    assertEquals(before, Files.getLastModifiedTime(p("data/one")));
  }

  @Test
  void mapReadOnly() throws IOException {
    byte[] data = Fixture.data(BIG);
    try (FileChannel ch = FileChannel.open(p(BIG), StandardOpenOption.READ)) {
      MappedByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, data.length);
      assertTrue(all.isReadOnly());
      assertEquals(data.length, all.remaining());
      byte[] got = new byte[data.length];
      all.get(got);
      assertArrayEquals(data, got);

      MappedByteBuffer part = ch.map(FileChannel.MapMode.READ_ONLY, 4096, 1000);
      assertEquals(1000, part.capacity());
      byte[] slice = new byte[1000];
      part.get(slice);
      assertArrayEquals(Arrays.copyOfRange(data, 4096, 5096), slice);

      // a read-only channel cannot grow the file to the mapped size: Linux's JDK says so
      assertThrowsExactly(IOException.class,
          () -> ch.map(FileChannel.MapMode.READ_ONLY, 0, data.length + 1L));
      assertThrowsExactly(IOException.class,
          () -> ch.map(FileChannel.MapMode.READ_ONLY, data.length - 10L, 100));
    }
  }

  @Test
  void copyToTheHost() throws IOException {
    Path dir = Files.createTempDirectory("contract-copy");
    try {
      Path target = dir.resolve("big");
      Files.copy(p(BIG), target);
      assertArrayEquals(Fixture.data(BIG), Files.readAllBytes(target));
      Path attrs = dir.resolve("attrs");
      Files.copy(p("data/4096.bin"), attrs, StandardCopyOption.COPY_ATTRIBUTES);
      assertEquals(Fixture.get("data/4096.bin").mtime(), Files.getLastModifiedTime(attrs));
      Path viaLink = dir.resolve("via-link");
      Files.copy(p("links/chain-1"), viaLink);
      assertEquals(100_000L, Files.size(viaLink));
      assertFalse(Files.isSymbolicLink(viaLink));
      Path emptyDir = dir.resolve("dir");
      Files.copy(p("data/nested"), emptyDir);
      assertTrue(Files.isDirectory(emptyDir));
      try (Stream<Path> s = Files.list(emptyDir)) {
        assertEquals(0, s.count(), "copying a directory copies no children");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertEquals(4095L, Files.copy(p("data/4095.bin"), out));
      assertArrayEquals(Fixture.data("data/4095.bin"), out.toByteArray());
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path q : s.sorted((a, b) -> b.compareTo(a)).collect(Collectors.toList())) {
          Files.delete(q);
        }
      }
    }
  }

  @Test
  void mismatchAndSize() throws IOException {
    assertEquals(-1L, Files.mismatch(p(BIG), p(HARD)));
    byte[] a = Fixture.data("data/4095.bin");
    byte[] b = Fixture.data("data/4096.bin");
    assertEquals(Arrays.mismatch(a, b), Files.mismatch(p("data/4095.bin"), p("data/4096.bin")));
    Mismatches m = new Mismatches();
    for (String file : SIZED) {
      m.check(file, "Files.size", (long) Fixture.data(file).length, Files.size(p(file)));
    }
    m.check("links/chain-1", "Files.size", 100_000L, Files.size(p("links/chain-1")));
    m.assertNone();
  }

  // ---------------------------------------------------------------- directories

  @Test
  void everyDirectoryListsItsChildren() throws IOException {
    Mismatches m = new Mismatches();
    List<String> dirs = new ArrayList<>();
    dirs.add("");
    Fixture.tree().forEach((path, e) -> {
      if (e.kind() == Kind.DIR) {
        dirs.add(path);
      }
    });
    for (String dir : dirs) {
      List<String> names = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(p(dir))) {
        for (Path entry : ds) {
          names.add(entry.getFileName().toString());
          m.check(dir, "parent of " + entry, p(dir), entry.getParent());
        }
      }
      names.sort(null);
      m.check(dir.isEmpty() ? "/" : dir, "children", Fixture.children(dir), names);
    }
    m.assertNone();
  }

  @Test
  void mergedListingsAreConcrete() throws IOException {
    assertEquals(List.of(".profile", "chroot", "data", "etc", "links", "many", "names", "opaque",
        "special", "tmp", "usr"), list(""));
    assertEquals(Fixture.MANY, list("many").size());
    assertEquals(List.of("new"), list("opaque"));
    assertEquals(List.of("conf", "os-release", "was-file"), list("etc"));
    assertEquals(List.of("inner"), list("etc/was-file"));
    assertEquals(List.of("100000.bin", "100000.hard", "4095.bin", "4096.bin", "empty", "nested",
        "one"), list("data"));
    assertEquals(List.of(".hidden", ".hidden-dir", "plain.md", "with space.txt",
        "ünïcödé 名前.txt"), list("names"));
    try (Stream<Path> s = Files.list(p("many"))) {
      assertEquals(300L, s.count());
    }
  }

  @Test
  void directoryStreamGlobAndFilter() throws IOException {
    List<String> f10x = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("many"), "f1[0-4]?")) {
      ds.forEach(q -> f10x.add(q.getFileName().toString()));
    }
    f10x.sort(null);
    List<String> expected = new ArrayList<>();
    for (int i = 100; i < 150; i++) {
      expected.add("f" + i);
    }
    assertEquals(expected, f10x);
    assertEquals(List.of("with space.txt", "ünïcödé 名前.txt"), glob("names", "*.txt"));
    assertEquals(List.of(".hidden", "plain.md"), glob("names", "{.hidden,plain.md}"));
    assertEquals(Fixture.children("names"), glob("names", "*"));
    assertEquals(List.of(), glob("names", "nothing*"));

    List<String> dirs = new ArrayList<>();
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(p("names"), q -> Files.isDirectory(q))) {
      ds.forEach(q -> dirs.add(q.getFileName().toString()));
    }
    assertEquals(List.of(".hidden-dir"), dirs);
  }

  @Test
  void directoryStreamThroughSymlinkToDirectory() throws IOException {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("links/dir"))) {
      ds.forEach(entries::add);
    }
    assertEquals(List.of(p("links/dir/a")), entries);
    assertEquals(List.of("b"), list("links/dir-dots"));
  }

  @Test
  void directoryStreamErrors() throws IOException {
    NotDirectoryException nd = assertThrowsExactly(NotDirectoryException.class,
        () -> Files.newDirectoryStream(p("data/one")));
    assertEquals(p("data/one").toString(), nd.getFile());
    assertThrowsExactly(NotDirectoryException.class,
        () -> Files.newDirectoryStream(p("links/rel")));
    // (not on the fifo: the JDK opens it first, which blocks until a writer comes)
    assertThrowsExactly(NotDirectoryException.class,
        () -> Files.newDirectoryStream(p("data/one/x")));
    NoSuchFileException nsf = assertThrowsExactly(NoSuchFileException.class,
        () -> Files.newDirectoryStream(p("data/missing")));
    assertEquals(p("data/missing").toString(), nsf.getFile());
    assertThrowsExactly(NoSuchFileException.class,
        () -> Files.newDirectoryStream(p("links/dangling")));
    assertThrowsExactly(FileSystemException.class,
        () -> Files.newDirectoryStream(p("links/loop-a")));
  }

  /**
   * Linux's limits on lookups: a missing name of more than 255 bytes in a directory that exists,
   * or a path of more than 4,095 bytes, is "File name too long", not missing; below a missing
   * directory the path is missing.
   */
  @Test
  void namesAndPathsTooLongForLinuxAreTooLongToLookUp() {
    String over = "m".repeat(200) + "\u00e9".repeat(28); // 256 bytes in 228 chars
    for (String rel : List.of(over, "data/" + over, "data/" + over + "/x",
        "data/nested/" + "a/".repeat(2100))) {
      Path path = p(rel);
      FileSystemException e = assertThrowsExactly(FileSystemException.class,
          () -> Files.readAttributes(path, BasicFileAttributes.class), rel);
      assertEquals("File name too long", e.getReason());
      assertEquals(path.toString(), e.getFile());
      assertThrowsExactly(FileSystemException.class, () -> Files.newByteChannel(path).close());
      assertThrowsExactly(FileSystemException.class,
          () -> Files.newDirectoryStream(path).close());
      assertFalse(Files.exists(path));
      assertFalse(Files.notExists(path), "Linux cannot tell");
    }
    assertThrowsExactly(NoSuchFileException.class, () -> Files.size(p("data/missing/" + over)));
    assertThrowsExactly(NoSuchFileException.class, () -> Files.size(p("links/dangling/" + over)));
  }

  @Test
  void directoryStreamIteratorOnlyOnce() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("data"))) {
      Iterator<Path> it = ds.iterator();
      assertTrue(it.hasNext());
      assertThrowsExactly(IllegalStateException.class, ds::iterator);
    }
    DirectoryStream<Path> closed = Files.newDirectoryStream(p("data"));
    closed.close();
    assertThrowsExactly(IllegalStateException.class, closed::iterator);
  }

  @Test
  void walkListsTheWholeTree() throws IOException {
    List<String> expected = new ArrayList<>();
    expected.add("");
    expected.addAll(Fixture.tree().keySet());
    expected.sort(null);
    List<String> actual;
    try (Stream<Path> s = Files.walk(root())) {
      actual = s.map(q -> root().relativize(q).toString()).sorted().collect(Collectors.toList());
    }
    assertEquals(expected, actual);
  }

  /**
   * A path a directory stream made reads as the same path made anew, following links or not, read
   * twice (layerfs keeps the node of a path an image view listed): from a walk, a
   * walk following links, and a listing through a link to a directory.
   */
  @Test
  void listedPathsReadAsPathsMadeAnew() throws IOException {
    List<Path> listed = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root())) {
      s.forEach(listed::add);
    }
    try (Stream<Path> s = Files.walk(p("links"), FileVisitOption.FOLLOW_LINKS)) {
      s.forEach(listed::add);
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(p("links/dir"))) {
      s.forEach(listed::add);
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(p("links/dir/.."))) {
      s.forEach(listed::add);
    }
    Mismatches m = new Mismatches();
    for (Path q : listed) {
      Path fresh = q.getFileSystem().getPath(q.toString());
      for (int i = 0; i < 2; i++) {
        m.check(q.toString(), "no follow", describe(fresh, LinkOption.NOFOLLOW_LINKS),
            describe(q, LinkOption.NOFOLLOW_LINKS));
        m.check(q.toString(), "follow", describe(fresh), describe(q));
      }
      m.check(q.toString(), "exists", Files.exists(fresh), Files.exists(q));
      m.check(q.toString(), "isReadable", Files.isReadable(fresh), Files.isReadable(q));
      m.check(q.toString(), "isSymbolicLink", Files.isSymbolicLink(fresh), Files.isSymbolicLink(q));
      m.check(q.toString(), "real path", realPath(fresh), realPath(q));
    }
    m.assertNone();
    assertTrue(listed.size() > Fixture.tree().size(), "a walk of the fixture lists each entry");
  }

  /** {@code q}'s real path, its last link not followed, or the class of the exception. */
  private static String realPath(Path q) {
    try {
      return q.toRealPath(LinkOption.NOFOLLOW_LINKS).toString();
    } catch (IOException e) {
      return e.getClass().getName();
    }
  }

  /** What the posix attributes of {@code q} say, or the class of the exception reading them. */
  private static String describe(Path q, LinkOption... options) {
    try {
      PosixFileAttributes a = Files.readAttributes(q, PosixFileAttributes.class, options);
      return (a.isDirectory() ? "d" : a.isSymbolicLink() ? "l" : a.isRegularFile() ? "-" : "o")
          + " " + a.size() + " " + a.lastModifiedTime() + " " + a.fileKey() + " "
          + a.permissions() + " " + a.owner().getName() + ":" + a.group().getName();
    } catch (IOException e) {
      return e.getClass().getName();
    }
  }

  @Test
  void walkWithMaxDepthOne() throws IOException {
    List<String> expected = new ArrayList<>();
    expected.add("");
    expected.addAll(Fixture.children(""));
    try (Stream<Path> s = Files.walk(root(), 1)) {
      assertEquals(expected, s.map(q -> root().relativize(q).toString()).sorted()
          .collect(Collectors.toList()));
    }
  }

  @Test
  void walkFollowingLinks() throws IOException {
    List<String> actual;
    try (Stream<Path> s = Files.walk(p("links"), FileVisitOption.FOLLOW_LINKS)) {
      actual = s.map(q -> p("links").relativize(q).toString()).sorted()
          .collect(Collectors.toList());
    }
    assertEquals(List.of("", "chain-1", "chain-2", "chain-3", "dangling", "dir", "dir-dots",
        "dir-dots/b", "dir-dots/b/deep.txt", "dir/a", "dir/a/b", "dir/a/b/deep.txt", "loop-a",
        "loop-b", "rel", "self", "through-file"), actual);
  }

  @Test
  void findCountsByType() throws IOException {
    Map<Kind, Long> byKind = Fixture.tree().values().stream()
        .collect(Collectors.groupingBy(Entry::kind, Collectors.counting()));
    long files = byKind.getOrDefault(Kind.FILE, 0L) + byKind.getOrDefault(Kind.HARDLINK, 0L);
    assertEquals(files, find((q, a) -> a.isRegularFile()));
    assertEquals((long) byKind.get(Kind.DIR) + 1, find((q, a) -> a.isDirectory()));
    assertEquals((long) byKind.get(Kind.SYMLINK), find((q, a) -> a.isSymbolicLink()));
    assertEquals(1L, find((q, a) -> a.isOther()));
    assertEquals(100L, find((q, a) -> q.getFileName() != null
        && q.getFileName().toString().matches("f0[0-9][0-9]")));
    assertEquals(1L, find((q, a) -> a.isRegularFile() && a.size() == 100_000L
        && q.getFileName().toString().endsWith(".hard")));
  }

  // ---------------------------------------------------------------- attributes

  @Test
  void basicAttributesOfEveryEntry() throws IOException {
    Mismatches m = new Mismatches();
    for (String path : Fixture.tree().keySet()) {
      Entry e = Fixture.stat(path);
      BasicFileAttributes a =
          Files.readAttributes(p(path), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      m.check(path, "isRegularFile", e.kind() == Kind.FILE, a.isRegularFile());
      m.check(path, "isDirectory", e.kind() == Kind.DIR, a.isDirectory());
      m.check(path, "isSymbolicLink", e.kind() == Kind.SYMLINK, a.isSymbolicLink());
      m.check(path, "isOther", e.kind() == Kind.FIFO, a.isOther());
      if (e.kind() == Kind.FILE) {
        m.check(path, "size", (long) e.data().length, a.size());
      } else if (e.kind() == Kind.SYMLINK) {
        m.check(path, "size", (long) e.target().getBytes(UTF_8).length, a.size());
      } else if (e.kind() == Kind.FIFO) {
        m.check(path, "size", 0L, a.size());
      }
      if (e.kind() != Kind.SYMLINK) {
        m.check(path, "lastModifiedTime", e.mtime(), a.lastModifiedTime());
      }
      m.check(path, "fileKey present", true, a.fileKey() != null);
    }
    m.assertNone();
  }

  /**
   * Every directory's size: {@link #directorySize()}, or on the host any size but 0 for one with
   * entries (btrfs gives an empty one 0), the same through every view and an open channel.
   */
  @Test
  void directoriesHaveTheSizeTheirFileSystemKeeps() throws IOException {
    Mismatches m = new Mismatches();
    List<String> dirs = new ArrayList<>(List.of(""));
    Fixture.tree().forEach((path, e) -> {
      if (e.kind() == Kind.DIR) {
        dirs.add(path);
      }
    });
    for (String dir : dirs) {
      Path d = p(dir);
      long size = Files.size(d);
      OptionalLong expected = directorySize();
      if (expected.isPresent()) {
        m.check(dir, "size", expected.getAsLong(), size);
      } else {
        try (Stream<Path> entries = Files.list(d)) {
          if (entries.findAny().isPresent()) {
            m.check(dir, "size > 0, as it has entries", true, size > 0);
          }
        }
      }
      m.check(dir, "basic size", size,
          Files.readAttributes(d, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size());
      m.check(dir, "posix size", size,
          Files.readAttributes(d, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size());
      m.check(dir, "unix:size", size, Files.getAttribute(d, "unix:size"));
      try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
        m.check(dir, "an open channel's size", size, ch.size());
      }
    }
    assertTrue(dirs.size() > 5, "the fixture has directories: " + dirs);
    m.assertNone();
  }

  @Test
  void posixAttributesOfEveryEntry() throws IOException {
    Mismatches m = new Mismatches();
    for (String path : Fixture.tree().keySet()) {
      Entry e = Fixture.stat(path);
      PosixFileAttributes a =
          Files.readAttributes(p(path), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      int bits = e.kind() == Kind.SYMLINK ? 0777 : e.mode() & 0777;
      m.check(path, "permissions", perms(bits), a.permissions());
      m.check(path, "isDirectory", e.kind() == Kind.DIR, a.isDirectory());
    }
    m.assertNone();
  }

  @Test
  void unixAttributesByNameOfEveryEntry() throws IOException {
    Mismatches m = new Mismatches();
    for (String path : Fixture.tree().keySet()) {
      Entry e = Fixture.stat(path);
      Map<String, Object> a =
          Files.readAttributes(p(path), "unix:mode,uid,gid,nlink", LinkOption.NOFOLLOW_LINKS);
      m.check(path, "keys", Set.of("mode", "uid", "gid", "nlink"), a.keySet());
      m.check(path, "mode", Integer.toOctalString(e.statMode()), octal(a.get("mode")));
      boolean link = e.kind() == Kind.SYMLINK;
      m.check(path, "uid", link ? 0 : e.uid(), a.get("uid"));
      m.check(path, "gid", link ? 0 : e.gid(), a.get("gid"));
      if (e.kind() != Kind.DIR) {
        m.check(path, "nlink", Fixture.linkCount(path), a.get("nlink"));
      }
    }
    m.assertNone();
  }

  @Test
  void setIdAndStickyBitsInUnixMode() throws IOException {
    assertEquals("104755", octal(Files.getAttribute(p("usr/bin/su"), "unix:mode")));
    assertEquals("42755", octal(Files.getAttribute(p("usr/local"), "unix:mode")));
    assertEquals("102711", octal(Files.getAttribute(p("usr/local/setgid-file"), "unix:mode")));
    assertEquals("41777", octal(Files.getAttribute(p("tmp"), "unix:mode")));
    assertEquals("10640", octal(Files.getAttribute(p("special/fifo"), "unix:mode")));
    assertEquals("120777",
        octal(Files.getAttribute(p("links/rel"), "unix:mode", LinkOption.NOFOLLOW_LINKS)));
    assertEquals("100600", octal(Files.getAttribute(p("links/rel"), "unix:mode")));
    assertEquals(perms(0755), Files.getPosixFilePermissions(p("usr/bin/su")));
  }

  @Test
  void directoryLinkCountIsTwoPlusSubdirectories() throws IOException {
    Mismatches m = new Mismatches();
    for (Map.Entry<String, Entry> it : Fixture.tree().entrySet()) {
      if (it.getValue().kind() != Kind.DIR) {
        continue;
      }
      String dir = it.getKey();
      long subdirs = Fixture.children(dir).stream()
          .filter(n -> Fixture.get(dir + "/" + n).kind() == Kind.DIR).count();
      m.check(dir, "nlink", (int) (2 + subdirs), Files.getAttribute(p(dir), "unix:nlink"));
    }
    m.assertNone();
  }

  @Test
  void hardLinkCountAndIdentity() throws IOException {
    assertEquals(2, Files.getAttribute(p(BIG), "unix:nlink"));
    assertEquals(2, Files.getAttribute(p(HARD), "unix:nlink"));
    assertEquals(1, Files.getAttribute(p("data/4096.bin"), "unix:nlink"));
    assertEquals(Files.getAttribute(p(BIG), "unix:ino"), Files.getAttribute(p(HARD), "unix:ino"));
    assertNotEquals(Files.getAttribute(p(BIG), "unix:ino"),
        Files.getAttribute(p("data/4096.bin"), "unix:ino"));
    assertEquals(readBasic(BIG).fileKey(), readBasic(HARD).fileKey());
  }

  @Test
  void fileKeysAreDistinctExceptForHardLinks() throws IOException {
    Map<Object, List<String>> byKey = new HashMap<>();
    for (String path : Fixture.tree().keySet()) {
      Object key = Files.readAttributes(p(path), BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS).fileKey();
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(path);
    }
    List<List<String>> shared = byKey.values().stream().filter(l -> l.size() > 1)
        .collect(Collectors.toList());
    assertEquals(List.of(List.of(BIG, HARD)), shared);
  }

  @Test
  void attributeTypesAndSingleNames() throws IOException {
    Path one = p("data/one");
    Map<String, Object> perms = Files.readAttributes(one, "posix:permissions");
    assertEquals(Map.of("permissions", perms(0600)), perms);
    assertEquals(Map.of("size", 1L), Files.readAttributes(one, "basic:size"));
    assertEquals(Map.of("size", 1L), Files.readAttributes(one, "size"));
    assertEquals(Map.of("size", 1L, "isDirectory", false),
        Files.readAttributes(one, "basic:size,isDirectory"));
    assertEquals(Integer.class, Files.getAttribute(one, "unix:uid").getClass());
    assertEquals(1000, Files.getAttribute(one, "unix:uid"));
    assertEquals(1000, Files.getAttribute(one, "unix:gid"));
    assertEquals(Integer.class, Files.getAttribute(one, "unix:mode").getClass());
    assertEquals(Integer.class, Files.getAttribute(one, "unix:nlink").getClass());
    assertEquals(Long.class, Files.getAttribute(one, "unix:ino").getClass());
    assertEquals(Long.class, Files.getAttribute(one, "unix:rdev").getClass());
    assertEquals(0L, Files.getAttribute(p("special/fifo"), "unix:rdev"));
    assertEquals(Fixture.get("data/one").mtime(), Files.getAttribute(one, "lastModifiedTime"));
    assertEquals(Boolean.TRUE, Files.getAttribute(one, "basic:isRegularFile"));
  }

  @Test
  void wildcardAttributeNames() throws IOException {
    Set<String> basic = Set.of("lastModifiedTime", "lastAccessTime", "creationTime", "size",
        "isRegularFile", "isDirectory", "isSymbolicLink", "isOther", "fileKey");
    Set<String> posix = new TreeSet<>(basic);
    posix.addAll(Set.of("permissions", "owner", "group"));
    Set<String> unix = new TreeSet<>(posix);
    unix.addAll(Set.of("mode", "ino", "dev", "rdev", "nlink", "uid", "gid", "ctime"));
    assertEquals(basic, Files.readAttributes(p("data/one"), "*").keySet());
    assertEquals(basic, Files.readAttributes(p("data/one"), "basic:*").keySet());
    assertEquals(posix, new TreeSet<>(Files.readAttributes(p("data/one"), "posix:*").keySet()));
    assertEquals(unix, new TreeSet<>(Files.readAttributes(p("data/one"), "unix:*").keySet()));
    assertEquals(Set.of("owner"), Files.readAttributes(p("data/one"), "owner:*").keySet());
    assertEquals(1L, Files.readAttributes(p("data/one"), "unix:*").get("size"));
  }

  @Test
  void unknownAttributeNamesAndViews() {
    Path one = p("data/one");
    for (String bad : List.of("basic:nosuch", "posix:nosuch", "unix:nosuch", "posix:mode",
        "basic:permissions", "basic:size,nosuch", "nosuch", "owner:size", ":", ":size")) {
      assertThrowsExactly(IllegalArgumentException.class, () -> Files.readAttributes(one, bad),
          bad);
    }
    IllegalArgumentException noView = assertThrowsExactly(IllegalArgumentException.class,
        () -> Files.setAttribute(one, ":lastModifiedTime", null));
    assertEquals(":lastModifiedTime", noView.getMessage()); // the JDK's, before any write
    assertThrowsExactly(IllegalArgumentException.class, () -> Files.getAttribute(one, "unix:x"));
    for (String bad : List.of("nosuchview:size", "nosuchview:*", "layerx:index")) {
      assertThrowsExactly(UnsupportedOperationException.class,
          () -> Files.readAttributes(one, bad), bad);
    }
    assertThrowsExactly(UnsupportedOperationException.class,
        () -> Files.readAttributes(one, CustomAttributes.class));
    assertNull(Files.getFileAttributeView(one, AclFileAttributeView.class));
  }

  @Test
  void attributeViewsByClass() throws IOException {
    Path one = p("data/one");
    BasicFileAttributeView basic = Files.getFileAttributeView(one, BasicFileAttributeView.class);
    assertEquals("basic", basic.name());
    assertEquals(1L, basic.readAttributes().size());
    PosixFileAttributeView posix = Files.getFileAttributeView(one, PosixFileAttributeView.class);
    assertEquals("posix", posix.name());
    assertEquals(perms(0600), posix.readAttributes().permissions());
    FileOwnerAttributeView owner = Files.getFileAttributeView(one, FileOwnerAttributeView.class);
    assertEquals("owner", owner.name());
    UserPrincipalLookupService lookup = root().getFileSystem().getUserPrincipalLookupService();
    assertEquals(lookup.lookupPrincipalByName("1000"), owner.getOwner());
    assertEquals(lookup.lookupPrincipalByName("1000"), Files.getOwner(one));
    assertEquals(lookup.lookupPrincipalByGroupName("1000"), posix.readAttributes().group());
    // a view of a missing file is created; reading it fails
    BasicFileAttributeView missing =
        Files.getFileAttributeView(p("data/missing"), BasicFileAttributeView.class);
    assertNotNull(missing);
    assertThrowsExactly(NoSuchFileException.class, missing::readAttributes);
  }

  @Test
  void attributesFollowLinksUnlessTold() throws IOException {
    BasicFileAttributes follow = readBasic("links/rel");
    assertTrue(follow.isRegularFile());
    assertEquals(1L, follow.size());
    assertEquals(Fixture.get("data/one").mtime(), follow.lastModifiedTime());
    BasicFileAttributes nofollow = Files.readAttributes(p("links/rel"),
        BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    assertTrue(nofollow.isSymbolicLink());
    assertFalse(nofollow.isRegularFile());
    assertEquals(11L, nofollow.size());
    assertEquals(perms(0600), Files.getPosixFilePermissions(p("links/rel")));
    assertEquals(perms(0777),
        Files.getPosixFilePermissions(p("links/rel"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(100_000L, readBasic("links/chain-1").size());
    assertTrue(readBasic("links/dir").isDirectory());
    assertEquals(Fixture.get("data/nested").mtime(), readBasic("links/dir").lastModifiedTime());
    assertEquals(Fixture.get("data/nested/a/b/deep.txt").mtime(),
        readBasic("links/dir/a/b/deep.txt").lastModifiedTime());
  }

  // ---------------------------------------------------------------- symbolic links

  @Test
  void readSymbolicLinkOfEveryLink() throws IOException {
    Mismatches m = new Mismatches();
    int links = 0;
    for (Entry e : Fixture.tree().values()) {
      if (e.kind() != Kind.SYMLINK) {
        continue;
      }
      links++;
      Path target = Files.readSymbolicLink(p(e.path()));
      m.check(e.path(), "target", e.target(), target.toString());
      m.check(e.path(), "absolute", e.target().startsWith("/"), target.isAbsolute());
      m.check(e.path(), "same file system", root().getFileSystem(), target.getFileSystem());
    }
    assertEquals(18, links);
    m.assertNone();
  }

  @Test
  void absoluteLinksWithoutFollowing() throws IOException {
    BasicFileAttributes a = Files.readAttributes(p("chroot/abs"), BasicFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS);
    assertTrue(a.isSymbolicLink());
    assertEquals(9L, a.size());
    assertTrue(Files.exists(p("chroot/abs-dangling"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isSymbolicLink(p("chroot/abs-dir")));
    assertEquals(p("chroot/abs").getFileSystem().getPath("/data/one"),
        Files.readSymbolicLink(p("chroot/abs")));
  }

  @Test
  void readSymbolicLinkErrors() {
    for (String notLink : List.of("data/one", "data", "special/fifo", HARD)) {
      NotLinkException e = assertThrowsExactly(NotLinkException.class,
          () -> Files.readSymbolicLink(p(notLink)), notLink);
      assertEquals(p(notLink).toString(), e.getFile());
    }
    NoSuchFileException e = assertThrowsExactly(NoSuchFileException.class,
        () -> Files.readSymbolicLink(p("links/missing")));
    assertEquals(p("links/missing").toString(), e.getFile());
    // the last name is not followed, but those before it are
    assertEquals("../data/one", assertDoesNotThrowGet(
        () -> Files.readSymbolicLink(p("links/dir/../../links/rel")).toString()));
  }

  @Test
  void existenceOfLinks() {
    assertFalse(Files.exists(p("links/dangling")));
    assertTrue(Files.exists(p("links/dangling"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.notExists(p("links/dangling")));
    assertFalse(Files.exists(p("links/loop-a")));
    assertFalse(Files.notExists(p("links/loop-a")), "ELOOP is not 'does not exist'");
    assertTrue(Files.exists(p("links/loop-a"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(p("links/self")));
    assertTrue(Files.isDirectory(p("links/dir")));
    assertFalse(Files.isDirectory(p("links/dir"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isSymbolicLink(p("links/dir")));
    assertTrue(Files.isRegularFile(p("links/chain-1")));
    assertFalse(Files.isRegularFile(p("links/chain-1"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.isSymbolicLink(p("data/one")));
    assertFalse(Files.exists(p("links/through-file")));
    assertEquals(MISSING_WHEN_READ, Files.notExists(p("links/through-file")),
        "ENOTDIR is 'does not exist' only where Java 25 reads it so");
  }

  @Test
  void readingThroughLinks() throws IOException {
    assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(p("links/rel")));
    assertArrayEquals(Fixture.data(BIG), Files.readAllBytes(p("links/chain-1")));
    assertEquals("deep\n", Files.readString(p("links/dir/a/b/deep.txt")));
    assertEquals("deep\n", Files.readString(p("links/dir-dots/b/deep.txt")));
  }

  @Test
  void loopsFailWithFileSystemException() {
    for (String loop : List.of("links/loop-a", "links/loop-b", "links/self")) {
      FileSystemException e = assertThrowsExactly(FileSystemException.class,
          () -> Files.readAttributes(p(loop), BasicFileAttributes.class), loop);
      assertEquals(p(loop).toString(), e.getFile());
      assertThrowsExactly(FileSystemException.class, () -> Files.readAllBytes(p(loop)), loop);
      assertThrowsExactly(FileSystemException.class, () -> Files.size(p(loop)), loop);
    }
    assertThrowsExactly(FileSystemException.class,
        () -> Files.readAttributes(p("links/loop-a/x"), BasicFileAttributes.class));
  }

  @Test
  void openingALinkWithNoFollowFails() {
    // O_NOFOLLOW on a link gives ELOOP; the JDK reports it as a plain IOException
    assertThrowsExactly(IOException.class,
        () -> Files.newInputStream(p("links/rel"), LinkOption.NOFOLLOW_LINKS));
    assertThrowsExactly(IOException.class, () -> Files.newByteChannel(p("links/rel"),
        StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
    assertThrowsExactly(IOException.class, () -> Files.newByteChannel(p("links/dir"),
        StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void openingAFileWithNoFollowWorks() throws IOException {
    try (InputStream in = Files.newInputStream(p("data/one"), LinkOption.NOFOLLOW_LINKS)) {
      assertArrayEquals(Fixture.data("data/one"), in.readAllBytes());
    }
    // NOFOLLOW_LINKS concerns the last name only
    try (InputStream in = Files.newInputStream(p("links/dir/a/b/deep.txt"),
        LinkOption.NOFOLLOW_LINKS)) {
      assertEquals("deep\n", new String(in.readAllBytes(), UTF_8));
    }
  }

  @Test
  void toRealPath() throws IOException {
    Path real = root().toRealPath();
    assertEquals(real.resolve("data/one"), p("links/rel").toRealPath());
    assertEquals(real.resolve(BIG), p("links/chain-1").toRealPath());
    assertEquals(real.resolve("data/nested/a/b"), p("links/dir/a/b").toRealPath());
    assertEquals(real.resolve("data/nested/a"), p("links/dir-dots").toRealPath());
    assertEquals(real.resolve("data/one"), p("data/./nested/../one").toRealPath());
    assertEquals(real.resolve("data"), p("links/dir/..").toRealPath());
    assertEquals(real.resolve(HARD), p(HARD).toRealPath());
    assertEquals(real.resolve("names/ünïcödé 名前.txt"),
        p("names/ünïcödé 名前.txt").toRealPath());
    assertEquals(real.resolve("links/rel"), p("links/rel").toRealPath(LinkOption.NOFOLLOW_LINKS));
    assertEquals(real.resolve("links/dangling"),
        p("links/dangling").toRealPath(LinkOption.NOFOLLOW_LINKS));
    assertEquals(real.resolve("data/one"),
        p("data/./nested/../one").toRealPath(LinkOption.NOFOLLOW_LINKS));
    // not followed, a link on the way stays, and so does a ".." after it, where the kernel
    // climbs from the link's target (data/nested/.. is data)
    assertEquals(real.resolve("links/dir/a/b").toString(),
        p("links/dir/./a/b").toRealPath(LinkOption.NOFOLLOW_LINKS).toString());
    assertEquals(real.resolve("links/dir/../one").toString(),
        p("links/./dir/../one").toRealPath(LinkOption.NOFOLLOW_LINKS).toString());
    assertEquals(real.resolve("links/dir/..").toString(),
        p("links/dir/..").toRealPath(LinkOption.NOFOLLOW_LINKS).toString());
    assertThrowsExactly(NoSuchFileException.class,
        () -> p("links/dir/../rel").toRealPath(LinkOption.NOFOLLOW_LINKS));
    assertThrowsExactly(NoSuchFileException.class, () -> p("links/dangling").toRealPath());
    assertThrowsExactly(NoSuchFileException.class, () -> p("data/missing").toRealPath());
    assertThrowsExactly(FileSystemException.class, () -> p("links/loop-a").toRealPath());
    assertThrowsExactly(FileSystemException.class, () -> p("data/one/x").toRealPath());
  }

  @Test
  void isSameFile() throws IOException {
    assertTrue(Files.isSameFile(p(BIG), p(HARD)));
    assertTrue(Files.isSameFile(p("links/rel"), p("data/one")));
    assertTrue(Files.isSameFile(p("links/chain-1"), p(HARD)));
    assertTrue(Files.isSameFile(p("links/dir"), p("data/nested")));
    assertTrue(Files.isSameFile(p("links/dir/.."), p("data")));
    assertTrue(Files.isSameFile(p("data/one"), p("data/one")));
    assertTrue(Files.isSameFile(p("data/missing"), p("data/missing")), "equal paths: no I/O");
    assertFalse(Files.isSameFile(p("data/one"), p("data/empty")));
    assertFalse(Files.isSameFile(p("data/4095.bin"), p("data/4096.bin")));
    assertFalse(Files.isSameFile(p("many/f000"), p("many/f150")), "files of two layers");
    assertFalse(Files.isSameFile(p("data"), p("data/nested")));
    assertThrowsExactly(NoSuchFileException.class,
        () -> Files.isSameFile(p("data/missing"), p("data/one")));
  }

  @Test
  void isHidden() throws IOException {
    assertTrue(Files.isHidden(p("names/.hidden")));
    assertTrue(Files.isHidden(p("names/.hidden-dir")));
    assertTrue(Files.isHidden(p(".profile")));
    assertFalse(Files.isHidden(p("names/.hidden-dir/inside")));
    assertFalse(Files.isHidden(p("names/with space.txt")));
    assertFalse(Files.isHidden(p("data/one")));
  }

  @Test
  void checkAccessAsRoot() throws IOException {
    Mismatches m = new Mismatches();
    for (String path : Fixture.tree().keySet()) {
      Entry e = Fixture.stat(path);
      if (e.kind() == Kind.SYMLINK) {
        continue;
      }
      Path q = p(path);
      m.check(path, "READ", "ok", access(q, AccessMode.READ));
      m.check(path, "no mode", "ok", access(q));
      boolean exec = e.kind() == Kind.DIR || (e.mode() & 0111) != 0;
      m.check(path, "EXECUTE", exec ? "ok" : "AccessDeniedException " + q,
          access(q, AccessMode.EXECUTE));
      m.check(path, "isExecutable", exec, Files.isExecutable(q));
      m.check(path, "isReadable", true, Files.isReadable(q));
    }
    m.check("links/rel", "EXECUTE", "AccessDeniedException " + p("links/rel"),
        access(p("links/rel"), AccessMode.EXECUTE));
    m.check("links/dangling", "READ", "NoSuchFileException " + p("links/dangling"),
        access(p("links/dangling"), AccessMode.READ));
    m.check("data/missing", "READ", "NoSuchFileException " + p("data/missing"),
        access(p("data/missing"), AccessMode.READ));
    m.assertNone();
  }

  // ---------------------------------------------------------------- errors

  @Test
  void missingPathsThrowNoSuchFileNamingThePath() {
    Mismatches m = new Mismatches();
    for (String missing : List.of("data/missing", "nope/deeper/x", "links/dangling",
        "links/dir/missing", "missing/..", "data/removed", "opaque/old", "opaque/old-dir",
        "etc/gone", "etc/gone/file", "many/f300")) {
      Path q = p(missing);
      for (Map.Entry<String, Executable> op : operations(q).entrySet()) {
        if (isLink(missing) && op.getKey().matches("readSymbolicLink|.*NOFOLLOW.*")) {
          continue; // these read the link itself
        }
        m.check(missing, op.getKey(), "NoSuchFileException " + q, failure(op.getValue()));
      }
      m.check(missing, "exists", false, Files.exists(q));
      m.check(missing, "notExists", true, Files.notExists(q));
    }
    m.assertNone();
  }

  @Test
  void pathsThroughAFileAreNotDirectories() {
    Mismatches m = new Mismatches();
    for (String through : List.of("data/one/x", "links/rel/x", "data/one/..", "data/one/.",
        "etc/conf/inner", "links/through-file")) {
      Path q = p(through);
      for (Map.Entry<String, Executable> op : operations(q).entrySet()) {
        if (isLink(through) && op.getKey().matches("readSymbolicLink|.*NOFOLLOW.*")) {
          continue; // these read the link itself
        }
        String expected = MISSING_WHEN_READ && READS.contains(op.getKey())
            ? "NoSuchFileException " + q : "FileSystemException " + q;
        m.check(through, op.getKey(), expected, failure(op.getValue()));
      }
      m.check(through, "exists", false, Files.exists(q));
      m.check(through, "notExists", MISSING_WHEN_READ, Files.notExists(q));
    }
    m.assertNone();
  }

  /**
   * A {@code SecureDirectoryStream} reads attributes relative to its directory ({@code
   * fstatat}): a path through a file is "Not a directory" there on every JDK, also on Java 25,
   * where {@code Files.readAttributes} of the same path says missing.
   */
  @Test
  void aSecureDirectoryStreamSaysNotADirectoryForAPathThroughAFile() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("data"))) {
      assertTrue(ds instanceof java.nio.file.SecureDirectoryStream, ds.getClass().getName());
      @SuppressWarnings("unchecked")
      java.nio.file.SecureDirectoryStream<Path> sds =
          (java.nio.file.SecureDirectoryStream<Path>) ds;
      Path through = p("data").getFileSystem().getPath("one", "x");
      Map<String, Executable> reads = new java.util.LinkedHashMap<>();
      reads.put("basic", () -> sds.getFileAttributeView(through, BasicFileAttributeView.class)
          .readAttributes());
      reads.put("basic NOFOLLOW", () -> sds.getFileAttributeView(through,
          BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes());
      reads.put("posix", () -> sds.getFileAttributeView(through, PosixFileAttributeView.class)
          .readAttributes());
      reads.put("owner", () -> sds.getFileAttributeView(through, FileOwnerAttributeView.class)
          .getOwner());
      Mismatches m = new Mismatches();
      for (Map.Entry<String, Executable> read : reads.entrySet()) {
        m.check("one/x", read.getKey(), "FileSystemException: Not a directory",
            notADirectory(read.getValue()));
      }
      m.assertNone();
    }
  }

  /** The JDK type of what {@code op} threw and its reason, or "ok". */
  private static String notADirectory(Executable op) {
    try {
      op.execute();
      return "ok";
    } catch (FileSystemException e) {
      return Checks.apiType(e).getSimpleName() + ": " + e.getReason();
    } catch (Throwable e) {
      return Checks.apiType(e).getSimpleName() + ": " + e.getMessage();
    }
  }

  @Test
  void dotDotAfterALinkIsPhysical() throws IOException {
    // Linux resolves links/dir first, then "..": the parent of data/nested, not of links/dir
    assertEquals(Fixture.get("data").mtime(), readBasic("links/dir/..").lastModifiedTime());
    assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(p("links/dir/../one")));
    assertEquals(Fixture.children("data"), list("links/dir/.."));
    assertThrowsExactly(NoSuchFileException.class,
        () -> Files.readAllBytes(p("links/dir/../../links/../x")));
  }

  // ---------------------------------------------------------------- helpers

  /** The operations that must all fail alike for a path that cannot be reached. */
  /**
   * Since Java 25 (JDK-8356678) the default provider reports a path through a non-directory as
   * missing where it reads attributes or checks access; elsewhere still as "Not a directory".
   */
  private static final boolean MISSING_WHEN_READ = Runtime.version().feature() >= 25;

  /** The {@link #operations} that read attributes or check access. */
  private static final Set<String> READS = Set.of("readAttributes(basic)",
      "readAttributes(posix)", "readAttributes(unix:*)", "readAttributes(NOFOLLOW)", "size",
      "getLastModifiedTime", "checkAccess");

  private static Map<String, Executable> operations(Path q) {
    Map<String, Executable> ops = new java.util.LinkedHashMap<>();
    ops.put("readAllBytes", () -> Files.readAllBytes(q));
    ops.put("newInputStream", () -> Files.newInputStream(q).close());
    ops.put("newByteChannel", () -> Files.newByteChannel(q).close());
    ops.put("FileChannel.open", () -> FileChannel.open(q, StandardOpenOption.READ).close());
    ops.put("readAttributes(basic)", () -> Files.readAttributes(q, BasicFileAttributes.class));
    ops.put("readAttributes(posix)", () -> Files.readAttributes(q, PosixFileAttributes.class));
    ops.put("readAttributes(unix:*)", () -> Files.readAttributes(q, "unix:*"));
    ops.put("readAttributes(NOFOLLOW)", () -> Files.readAttributes(q, BasicFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS));
    ops.put("size", () -> Files.size(q));
    ops.put("getLastModifiedTime", () -> Files.getLastModifiedTime(q));
    ops.put("checkAccess", () -> q.getFileSystem().provider().checkAccess(q));
    ops.put("readSymbolicLink", () -> Files.readSymbolicLink(q));
    ops.put("toRealPath", () -> q.toRealPath());
    return ops;
  }

  /** "ok", or the JDK type of what {@code op} threw ({@link Checks#apiType}) and its file. */
  private static String failure(Executable op) {
    try {
      op.execute();
      return "ok";
    } catch (FileSystemException e) {
      return Checks.apiType(e).getSimpleName() + " " + e.getFile();
    } catch (Throwable e) {
      return Checks.apiType(e).getSimpleName() + ": " + e.getMessage();
    }
  }

  private static boolean isLink(String path) {
    Entry e = Fixture.tree().get(path);
    return e != null && e.kind() == Kind.SYMLINK;
  }

  private static String access(Path q, AccessMode... modes) {
    return failure(() -> q.getFileSystem().provider().checkAccess(q, modes));
  }

  private List<String> list(String dir) throws IOException {
    try (Stream<Path> s = Files.list(p(dir))) {
      return s.map(q -> q.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  private List<String> glob(String dir, String glob) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p(dir), glob)) {
      ds.forEach(q -> names.add(q.getFileName().toString()));
    }
    names.sort(null);
    return names;
  }

  private long find(java.util.function.BiPredicate<Path, BasicFileAttributes> matcher)
      throws IOException {
    try (Stream<Path> s = Files.find(root(), Integer.MAX_VALUE, matcher)) {
      return s.count();
    }
  }

  private BasicFileAttributes readBasic(String path) throws IOException {
    return Files.readAttributes(p(path), BasicFileAttributes.class);
  }

  private static String octal(Object mode) {
    return mode instanceof Integer i ? Integer.toOctalString(i) : String.valueOf(mode);
  }

  private static void assertNotEquals(Object unexpected, Object actual) {
    org.junit.jupiter.api.Assertions.assertNotEquals(unexpected, actual);
  }

  private static <T> T assertDoesNotThrowGet(
      org.junit.jupiter.api.function.ThrowingSupplier<T> supplier) {
    return org.junit.jupiter.api.Assertions.assertDoesNotThrow(supplier);
  }

  /** Attributes no provider knows. */
  interface CustomAttributes extends BasicFileAttributes {}
}
