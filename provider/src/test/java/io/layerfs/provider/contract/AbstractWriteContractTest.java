package io.layerfs.provider.contract;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.COPY_ATTRIBUTES;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * The NIO contract of writes to a tree that starts as {@link Fixture}'s merged tree, the write
 * side of {@link AbstractReadOnlyContractTest}: one class of expectations, run against every
 * implementation. {@link DefaultFsWriteContractTest} runs it on the JDK's default file system over
 * a host copy of the tree (the control: Linux is the oracle, so a failure there is a wrong test);
 * {@link LayerFsWriteContractTest} runs it on a writable layerfs container of the fixture image,
 * where every starting path lies in a lower layer, so each change to one goes through copy-up.
 *
 * <p>Each test gets a fresh tree ({@link #freshTree}); {@link #reopen} closes and reopens it, so a
 * test can check what outlives its file system (layerfs: the container's upper layer; the host:
 * the same directory). To add a case, write a {@code @Test} on paths from {@link #p}, asserting
 * values and the exception class the JDK throws on Linux (with {@link #fails}), and run it on the
 * control first. Never follow {@code chroot/} links or climb above the root: on the host that
 * would write outside the tree. Leave {@code data/100000.bin} and its hard link alone: overlay2
 * breaks a lower hard link on copy-up, the host keeps it.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
abstract class AbstractWriteContractTest {
  private Path root;

  /** A new tree holding the fixture, for the test {@code name}; returns its root. */
  protected abstract Path freshTree(String name) throws Exception;

  /** Closes the current tree's file system and opens it again; returns the root. */
  protected abstract Path reopenTree() throws IOException;

  /** Releases the current tree. */
  protected abstract void disposeTree() throws IOException;

  /** Whether the tree stores {@code user:} xattrs (the host's file system may not). */
  protected boolean storesUserXattrs() {
    return true;
  }

  @BeforeEach
  final void openTree(TestInfo info) throws Exception {
    root = freshTree(info.getTestMethod().orElseThrow().getName());
  }

  @AfterEach
  final void closeTree() throws IOException {
    disposeTree();
  }

  /** Closes and reopens the tree; paths from {@link #p} taken before are stale. */
  final void reopen() throws IOException {
    root = reopenTree();
  }

  /** A path of the tree, relative to the root; "" is the root. */
  final Path p(String rel) {
    return rel.isEmpty() ? root : root.resolve(rel);
  }

  // ---------------------------------------------------------------- listed paths

  /**
   * Paths a directory stream made, and whose attributes were read, read the tree as it is after
   * later changes, as paths made anew do (a container keeps a listed path's node only while it
   * has not changed since the listing): a file deleted, one renamed over another, one rewritten,
   * one replaced by a directory, a directory by a file, and a name created after the listing.
   */
  @Test
  void pathsListedBeforeChangesReadTheChangedTree() throws IOException {
    Files.createDirectory(p("data/nested/was-dir"));
    Map<String, Path> listed = new java.util.HashMap<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(p("data"))) {
      for (Path q : s) {
        Files.readAttributes(q, BasicFileAttributes.class, NOFOLLOW_LINKS);
        listed.put(q.getFileName().toString(), q);
      }
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(p("data/nested"))) {
      for (Path q : s) {
        Files.readAttributes(q, BasicFileAttributes.class);
        listed.put(q.getFileName().toString(), q);
      }
    }
    Files.delete(listed.get("empty"));
    Files.move(listed.get("one"), listed.get("4095.bin"), REPLACE_EXISTING);
    Files.write(listed.get("4096.bin"), new byte[] {1, 2, 3}, TRUNCATE_EXISTING);
    Files.delete(p("data/nested/a/b/deep.txt"));
    Files.delete(p("data/nested/a/b"));
    Files.delete(listed.get("a"));
    Files.createFile(p("data/nested/a"));
    Files.delete(listed.get("was-dir"));
    Files.createFile(p("data/nested/was-dir"));
    Files.setLastModifiedTime(listed.get("4096.bin"), FileTime.fromMillis(86_400_000L));

    assertFalse(Files.exists(listed.get("empty"), NOFOLLOW_LINKS));
    fails(NoSuchFileException.class, () -> Files.readAttributes(listed.get("empty"),
        BasicFileAttributes.class, NOFOLLOW_LINKS));
    assertFalse(Files.exists(listed.get("one")));
    BasicFileAttributes moved =
        Files.readAttributes(listed.get("4095.bin"), BasicFileAttributes.class, NOFOLLOW_LINKS);
    assertEquals(1L, moved.size());
    BasicFileAttributes rewritten = Files.readAttributes(listed.get("4096.bin"),
        BasicFileAttributes.class);
    assertEquals(3L, rewritten.size());
    assertEquals(FileTime.fromMillis(86_400_000L), rewritten.lastModifiedTime());
    assertTrue(Files.isRegularFile(listed.get("a"), NOFOLLOW_LINKS));
    assertTrue(Files.isRegularFile(listed.get("was-dir")));
    assertFalse(Files.isDirectory(listed.get("was-dir")));
  }

  /**
   * The same for directories no change touched before the listing (in a container, only in the
   * image's layers): changes inside them, and the directory moved away and made anew, show
   * through paths listed before (a container finds a listed path from its listing only while
   * nothing changed since).
   */
  @Test
  void pathsListedInAnUnchangedDirectoryReadItsLaterChanges() throws IOException {
    Map<String, Path> bin = listAndRead(p("usr/bin"));
    Map<String, Path> names = listAndRead(p("names"));
    Files.delete(bin.get("tool"));
    Files.delete(bin.get("su"));
    Files.createDirectory(p("usr/bin/su"));
    Files.move(p("names"), p("names-moved"));
    Files.createDirectory(p("names"));
    Files.write(p("names/plain.md"), new byte[] {1, 2, 3, 4, 5, 6});

    assertFalse(Files.exists(bin.get("tool"), NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(bin.get("su"), NOFOLLOW_LINKS));
    assertFalse(Files.exists(names.get("with space.txt"), NOFOLLOW_LINKS));
    fails(NoSuchFileException.class, () -> Files.readAttributes(names.get(".hidden-dir"),
        BasicFileAttributes.class, NOFOLLOW_LINKS));
    assertEquals(6L, Files.readAttributes(names.get("plain.md"), BasicFileAttributes.class,
        NOFOLLOW_LINKS).size());
  }

  /**
   * A listed file's attributes follow writes through a channel opened before the listing, which
   * change no name (a container keeps a listed path's node only while it cannot change so): a
   * file made in the tree and one of the image's.
   */
  @Test
  void listedFilesReadWritesThroughChannelsOpenedBefore() throws IOException {
    Files.write(p("data/grow"), new byte[] {1});
    try (SeekableByteChannel made = Files.newByteChannel(p("data/grow"), WRITE);
        SeekableByteChannel image = Files.newByteChannel(p("etc/os-release"), WRITE)) {
      long imageSize = image.size();
      Map<String, Path> data = listAndRead(p("data"));
      Map<String, Path> etc = listAndRead(p("etc"));
      made.position(1).write(ByteBuffer.wrap(new byte[] {2, 3}));
      image.position(imageSize).write(ByteBuffer.wrap(new byte[] {4}));
      assertEquals(3L, Files.size(data.get("grow")));
      assertEquals(imageSize + 1, Files.readAttributes(etc.get("os-release"),
          BasicFileAttributes.class, NOFOLLOW_LINKS).size());
    }
  }

  /** The paths a stream lists in {@code dir}, by name, each read once as a walk reads it. */
  private static Map<String, Path> listAndRead(Path dir) throws IOException {
    Map<String, Path> listed = new java.util.HashMap<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path q : s) {
        Files.readAttributes(q, BasicFileAttributes.class, NOFOLLOW_LINKS);
        listed.put(q.getFileName().toString(), q);
      }
    }
    return listed;
  }

  // ---------------------------------------------------------------- create

  @Test
  void createFileMakesAnEmptyFileListedInItsDirectory() throws IOException {
    assertEquals(p("data/new"), Files.createFile(p("data/new")));
    assertTrue(Files.isRegularFile(p("data/new"), NOFOLLOW_LINKS));
    assertEquals(0L, Files.size(p("data/new")));
    assertTrue(names("data").contains("new"));
    assertRecent(Files.getLastModifiedTime(p("data/new")));
  }

  @Test
  void createFileWithPermissionsAttribute() throws IOException {
    // 0600 and 0700 survive every usual umask, so the expectation holds on any host
    Files.createFile(p("data/private"),
        PosixFilePermissions.asFileAttribute(Checks.perms(0600)));
    assertEquals(0600, mode("data/private"));
    Files.createDirectory(p("data/private-dir"),
        PosixFilePermissions.asFileAttribute(Checks.perms(0700)));
    assertEquals(0700, mode("data/private-dir"));
  }

  @Test
  void createFileOnAnExistingNameFails() throws IOException {
    for (String existing : List.of("data/one", "etc/os-release", "data/nested", "links/rel",
        "links/dangling", "tmp")) {
      FileAlreadyExistsException e = fails(FileAlreadyExistsException.class,
          () -> Files.createFile(p(existing)));
      assertEquals(p(existing).toString(), e.getFile());
    }
    assertArrayEquals(Fixture.data("data/one"), bytes("data/one"));
    assertFalse(Files.exists(p("links/missing-target"), NOFOLLOW_LINKS), "O_EXCL follows no link");
  }

  @Test
  void createNewOptionOnAnExistingFileFails() throws IOException {
    byte[] before = bytes("etc/os-release");
    fails(FileAlreadyExistsException.class,
        () -> Files.write(p("etc/os-release"), data(10, 1), CREATE_NEW));
    fails(FileAlreadyExistsException.class,
        () -> Files.newByteChannel(p("etc/os-release"), CREATE_NEW, WRITE).close());
    fails(FileAlreadyExistsException.class,
        () -> FileChannel.open(p("etc/conf"), CREATE_NEW, WRITE).close());
    fails(FileAlreadyExistsException.class,
        () -> Files.newOutputStream(p("data/nested"), CREATE_NEW).close());
    assertArrayEquals(before, bytes("etc/os-release"));
    assertArrayEquals(Fixture.data("etc/conf"), bytes("etc/conf"));
  }

  @Test
  void createFileWhereTheParentIsMissingOrAFile() {
    fails(NoSuchFileException.class, () -> Files.createFile(p("nope/x")));
    fails(NoSuchFileException.class, () -> Files.createFile(p("etc/gone/file")));
    fails(NoSuchFileException.class, () -> Files.createFile(p("opaque/old-dir/x")));
    // ENOTDIR is neither "missing" nor "exists"
    fails(FileSystemException.class, () -> Files.createFile(p("data/one/x")));
    fails(FileSystemException.class, () -> Files.createDirectory(p("etc/conf/x")));
  }

  @Test
  void createDirectoryMakesAnEmptyDirectory() throws IOException {
    Files.createDirectory(p("data/new-dir"));
    assertTrue(Files.isDirectory(p("data/new-dir"), NOFOLLOW_LINKS));
    assertEquals(List.of(), names("data/new-dir"));
    Files.write(p("data/new-dir/f"), data(10, 2));
    assertEquals(List.of("f"), names("data/new-dir"));
    fails(FileAlreadyExistsException.class, () -> Files.createDirectory(p("data/nested")));
    fails(FileAlreadyExistsException.class, () -> Files.createDirectory(p("data/one")));
    fails(FileAlreadyExistsException.class, () -> Files.createDirectory(p("links/dir")));
    fails(FileAlreadyExistsException.class, () -> Files.createDirectory(p("data/new-dir")));
    fails(NoSuchFileException.class, () -> Files.createDirectory(p("nope/deeper")));
  }

  @Test
  void createDirectoriesMakesEveryMissingParent() throws IOException {
    Files.createDirectories(p("d1/d2/d3"));
    assertTrue(Files.isDirectory(p("d1/d2/d3")));
    Files.createDirectories(p("data/nested/a/new/deeper"));
    assertEquals(List.of("b", "new"), names("data/nested/a"));
    // existing directories, and a link to one, are accepted as they are
    Files.createDirectories(p("data/nested"));
    Files.createDirectories(p("links/dir"));
    Files.createDirectories(p("links/dir/a/via-link"));
    assertTrue(Files.isDirectory(p("data/nested/a/via-link"), NOFOLLOW_LINKS));
    fails(FileAlreadyExistsException.class, () -> Files.createDirectories(p("data/one")));
    fails(FileAlreadyExistsException.class, () -> Files.createDirectories(p("links/rel")));
    fails(FileSystemException.class, () -> Files.createDirectories(p("data/one/x")));
  }

  // ---------------------------------------------------------------- write

  @Test
  void writeReplacesAnImageFileKeepingModeAndOwner() throws IOException {
    byte[] data = data(5000, 3);
    Files.write(p("data/4096.bin"), data);
    assertArrayEquals(data, bytes("data/4096.bin"));
    assertEquals(5000L, Files.size(p("data/4096.bin")));
    assertEquals("640 65534:1000", modeAndOwner("data/4096.bin"));
    assertRecent(Files.getLastModifiedTime(p("data/4096.bin")));
    Files.writeString(p("etc/conf"), "short");
    assertEquals("short", Files.readString(p("etc/conf")));
    assertEquals("600 0:0", modeAndOwner("etc/conf"));
  }

  @Test
  void rootWritesAFileWhoseModeForbidsWriting() throws IOException {
    // deep.txt is 0444: root has CAP_DAC_OVERRIDE, so the mode does not stop it
    Files.writeString(p("data/nested/a/b/deep.txt"), "changed\n");
    assertEquals("changed\n", Files.readString(p("data/nested/a/b/deep.txt")));
    assertEquals(0444, mode("data/nested/a/b/deep.txt"));
  }

  @Test
  void writeWithoutCreateOnAMissingFileFails() {
    fails(NoSuchFileException.class, () -> Files.write(p("data/missing"), data(1, 1), WRITE));
    fails(NoSuchFileException.class,
        () -> Files.write(p("data/removed"), data(1, 1), TRUNCATE_EXISTING));
    fails(NoSuchFileException.class, () -> Files.newOutputStream(p("data/missing"), APPEND));
    fails(NoSuchFileException.class, () -> FileChannel.open(p("data/missing"), WRITE));
    fails(NoSuchFileException.class, () -> Files.write(p("nope/x"), data(1, 1)));
    assertFalse(Files.exists(p("data/missing")));
    assertFalse(Files.exists(p("data/removed")));
  }

  @Test
  void writeCreatesAFileOverAWhiteout() throws IOException {
    // data/removed exists in the bottom layer and is whited out in the next
    Files.write(p("data/removed"), data(7, 4));
    assertArrayEquals(data(7, 4), bytes("data/removed"));
    assertTrue(names("data").contains("removed"));
  }

  @Test
  void namesHiddenInLowerLayersCanBeUsedAgain() throws IOException {
    // opaque/old is below the opaque marker, etc/gone below a whiteout
    Files.move(p("many/f001"), p("opaque/old"));
    assertEquals(List.of("new", "old"), names("opaque"));
    assertEquals("many/f001\n", Files.readString(p("opaque/old")));
    Files.createDirectory(p("etc/gone"));
    assertEquals(List.of(), names("etc/gone"), "the lower etc/gone/file stays hidden");
    Files.createDirectory(p("opaque/old-dir"));
    assertEquals(List.of(), names("opaque/old-dir"));
  }

  @Test
  void namesLikeWhiteoutsAreOrdinaryNames() throws IOException {
    Files.createFile(p("data/.wh.one"));
    Files.write(p("data/.wh..wh..opq"), data(4, 36));
    Files.createDirectory(p(".wh.etc"));
    List<String> expected = new ArrayList<>(Fixture.children("data"));
    expected.addAll(List.of(".wh..wh..opq", ".wh.one"));
    expected.sort(null);
    assertEquals(expected, names("data"));
    assertArrayEquals(Fixture.data("data/one"), bytes("data/one"));
    reopen();
    assertEquals(expected, names("data"));
    assertArrayEquals(data(4, 36), bytes("data/.wh..wh..opq"));
    assertTrue(Files.isDirectory(p(".wh.etc")));
    assertEquals(Fixture.children("etc"), names("etc"));
  }

  @Test
  void syncAndSparseOptionsWriteAsUsual() throws IOException {
    Files.write(p("data/sync"), data(10, 37), CREATE_NEW, WRITE, StandardOpenOption.SYNC);
    Files.write(p("data/sync"), data(10, 38), APPEND, StandardOpenOption.DSYNC);
    assertArrayEquals(concat(data(10, 37), data(10, 38)), bytes("data/sync"));
    Files.write(p("data/sparse"), data(10, 39), CREATE_NEW, WRITE, StandardOpenOption.SPARSE);
    assertArrayEquals(data(10, 39), bytes("data/sparse"));
  }

  @Test
  void writingADirectoryFails() {
    // open(2) for writing a directory gives EISDIR, a plain FileSystemException
    fails(FileSystemException.class, () -> Files.write(p("data"), data(1, 1)));
    fails(FileSystemException.class, () -> Files.newByteChannel(p("data/nested"), WRITE));
    fails(FileSystemException.class, () -> Files.write(p("links/dir"), data(1, 1), APPEND));
  }

  @Test
  void appendAddsAtTheEnd() throws IOException {
    byte[] extra = data(100, 5);
    Files.write(p("data/4095.bin"), extra, APPEND);
    assertArrayEquals(concat(Fixture.data("data/4095.bin"), extra), bytes("data/4095.bin"));
    Files.write(p("data/empty"), extra, APPEND);
    assertArrayEquals(extra, bytes("data/empty"));
    Files.write(p("data/appended"), extra, CREATE, APPEND);
    Files.write(p("data/appended"), extra, CREATE, APPEND);
    assertArrayEquals(concat(extra, extra), bytes("data/appended"));
    assertEquals(0644, mode("data/4095.bin"));
  }

  @Test
  void appendChannelWritesAtTheEndWhateverItsPosition() throws IOException {
    byte[] original = Fixture.data("usr/bin/tool");
    try (SeekableByteChannel ch = Files.newByteChannel(p("usr/bin/tool"), APPEND)) {
      assertEquals(4096L, ch.position(), "an append channel is positioned at the end");
      assertEquals(3, ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3})));
      assertEquals(4099L, ch.position());
      ch.position(0);
      assertEquals(2, ch.write(ByteBuffer.wrap(new byte[] {4, 5})));
      assertEquals(4101L, ch.size());
      assertEquals(4101L, ch.position());
    }
    assertArrayEquals(concat(original, new byte[] {1, 2, 3, 4, 5}), bytes("usr/bin/tool"));
  }

  @Test
  void appendWithReadOrTruncateIsRefused() {
    fails(IllegalArgumentException.class,
        () -> Files.newByteChannel(p("data/one"), APPEND, READ).close());
    fails(IllegalArgumentException.class,
        () -> Files.newByteChannel(p("data/one"), APPEND, TRUNCATE_EXISTING).close());
    fails(IllegalArgumentException.class,
        () -> Files.newOutputStream(p("data/one"), READ).close());
  }

  @Test
  void truncateExistingEmptiesAFileOpenedForWriting() throws IOException {
    try (OutputStream out = Files.newOutputStream(p("usr/bin/tool"), WRITE, TRUNCATE_EXISTING)) {
      assertEquals(0L, Files.size(p("usr/bin/tool")), "truncated on open, before any write");
    }
    assertEquals(0L, Files.size(p("usr/bin/tool")));
    assertEquals(0755, mode("usr/bin/tool"));
    // for a channel opened to read only, TRUNCATE_EXISTING is ignored
    try (SeekableByteChannel ch = Files.newByteChannel(p("etc/conf"), READ, TRUNCATE_EXISTING)) {
      assertEquals(4097L, ch.size());
    }
    assertArrayEquals(Fixture.data("etc/conf"), bytes("etc/conf"));
  }

  @Test
  void writeInsideAnImageFileKeepsTheRest() throws IOException {
    byte[] expected = Fixture.data("data/4096.bin").clone();
    try (SeekableByteChannel ch = Files.newByteChannel(p("data/4096.bin"), WRITE)) {
      assertEquals(0L, ch.position());
      ch.position(4094);
      assertEquals(1, ch.write(ByteBuffer.wrap(new byte[] {9})));
      assertEquals(4095L, ch.position());
      assertEquals(4096L, ch.size());
    }
    expected[4094] = 9;
    assertArrayEquals(expected, bytes("data/4096.bin"));
  }

  @Test
  void positionalWritePastTheEndLeavesAZeroFilledGap() throws IOException {
    byte[] original = Fixture.data("data/4095.bin");
    byte[] extra = data(10, 6);
    try (FileChannel ch = FileChannel.open(p("data/4095.bin"), READ, WRITE)) {
      assertEquals(10, ch.write(ByteBuffer.wrap(extra), 70_000));
      assertEquals(0L, ch.position(), "a positional write leaves the position alone");
      assertEquals(70_010L, ch.size());
      ByteBuffer gap = ByteBuffer.allocate(200);
      assertEquals(200, ch.read(gap, 4000));
      byte[] expectedGap = Arrays.copyOfRange(original, 4000, 4200);
      Arrays.fill(expectedGap, 95, 200, (byte) 0);
      assertArrayEquals(expectedGap, gap.array());
    }
    byte[] expected = Arrays.copyOf(original, 70_010);
    System.arraycopy(extra, 0, expected, 70_000, 10);
    assertArrayEquals(expected, bytes("data/4095.bin"));
  }

  @Test
  void writeAfterSeekingPastTheEndOfANewFile() throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(p("tmp/sparse"), CREATE_NEW, WRITE)) {
      ch.position(65_537);
      assertEquals(0L, ch.size(), "a position past the end does not grow the file");
      assertEquals(3, ch.write(ByteBuffer.wrap(new byte[] {7, 8, 9})));
      assertEquals(65_540L, ch.position());
      assertEquals(65_540L, ch.size());
    }
    byte[] expected = new byte[65_540];
    expected[65_537] = 7;
    expected[65_538] = 8;
    expected[65_539] = 9;
    assertArrayEquals(expected, bytes("tmp/sparse"));
  }

  @Test
  void seekingPastTheEndWithoutWritingChangesNothing() throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(p("data/one"), WRITE)) {
      ch.position(1_000_000);
      assertEquals(1_000_000L, ch.position());
      assertEquals(1L, ch.size());
    }
    assertArrayEquals(Fixture.data("data/one"), bytes("data/one"));
  }

  @Test
  void channelSizeAndPositionFollowTheWrites() throws IOException {
    try (FileChannel ch = FileChannel.open(p("data/channel"), CREATE_NEW, READ, WRITE)) {
      assertEquals(0L, ch.size());
      assertEquals(100, ch.write(ByteBuffer.wrap(data(100, 7))));
      assertEquals(100L, ch.position());
      assertEquals(100L, ch.size());
      assertEquals(20, ch.write(ByteBuffer.wrap(data(20, 8)), 50));
      assertEquals(100L, ch.position());
      assertEquals(100L, ch.size());
      assertEquals(20, ch.write(ByteBuffer.wrap(data(20, 8)), 90));
      assertEquals(110L, ch.size());
      ch.position(5);
      ByteBuffer back = ByteBuffer.allocate(10);
      assertEquals(10, ch.read(back));
      assertArrayEquals(Arrays.copyOfRange(data(100, 7), 5, 15), back.array());
      assertEquals(15L, ch.position());
      ByteBuffer[] gather = {ByteBuffer.wrap(data(3, 9)), ByteBuffer.wrap(data(4, 9))};
      assertEquals(7L, ch.write(gather), "a gathering write");
      assertEquals(22L, ch.position());
      assertEquals(110L, ch.size());
    }
    assertEquals(110L, Files.size(p("data/channel")));
  }

  /**
   * Linux refuses a positional read or write whose end would pass the largest offset
   * ({@code EINVAL}), whatever the file system, and one that ends there reads the end of the
   * file; the channel stays usable.
   */
  @Test
  void readsAndWritesPastTheLargestOffsetAreInvalid() throws IOException {
    try (FileChannel ch = FileChannel.open(p("data/one"), READ, WRITE)) {
      IOException read = fails(IOException.class,
          () -> ch.read(ByteBuffer.allocate(4), Long.MAX_VALUE - 1));
      assertEquals("Invalid argument", read.getMessage());
      fails(IOException.class, () -> ch.write(ByteBuffer.allocate(4), Long.MAX_VALUE - 1));
      assertEquals(-1, ch.read(ByteBuffer.allocate(4), Long.MAX_VALUE - 4));
      assertEquals(0, ch.read(ByteBuffer.allocate(0), Long.MAX_VALUE));
      assertEquals(0, ch.read(ByteBuffer.allocate(0), 1 << 20)); // past the end: no byte asked
      // (no position(Long.MAX_VALUE - 1) here: ext4 refuses to seek past its 16 TiB, tmpfs not)
      ByteBuffer all = ByteBuffer.allocate((int) ch.size());
      ch.read(all, 0);
      assertArrayEquals(bytes("data/one"), all.array());
    }
  }

  @Test
  void truncateShrinksAndMovesThePositionBack() throws IOException {
    try (FileChannel ch = FileChannel.open(p("etc/conf"), READ, WRITE)) {
      ch.position(3000);
      assertEquals(ch, ch.truncate(1000));
      assertEquals(1000L, ch.size());
      assertEquals(1000L, ch.position(), "a position past the new size is set to it");
      ch.position(10);
      ch.truncate(500);
      assertEquals(10L, ch.position(), "a position within the new size stays");
    }
    assertArrayEquals(Arrays.copyOf(Fixture.data("etc/conf"), 500), bytes("etc/conf"));
  }

  @Test
  void truncateToALargerSizeChangesNothing() throws IOException {
    try (FileChannel ch = FileChannel.open(p("usr/bin/tool"), WRITE)) {
      ch.position(100);
      ch.truncate(1_000_000);
      assertEquals(4096L, ch.size());
      assertEquals(100L, ch.position());
      fails(IllegalArgumentException.class, () -> ch.truncate(-1));
    }
    assertArrayEquals(Fixture.data("usr/bin/tool"), bytes("usr/bin/tool"));
  }

  @Test
  void truncateToZeroThenWrite() throws IOException {
    try (FileChannel ch = FileChannel.open(p("data/4095.bin"), WRITE)) {
      ch.truncate(0);
      assertEquals(0L, ch.size());
      ch.write(ByteBuffer.wrap(data(5, 10)));
    }
    assertArrayEquals(data(5, 10), bytes("data/4095.bin"));
  }

  // ---------------------------------------------------------------- read after write

  @Test
  void aChannelOpenedAfterAWriteSeesIt() throws IOException {
    try (FileChannel writer = FileChannel.open(p("etc/os-release"), WRITE)) {
      writer.write(ByteBuffer.wrap("ID=mine".getBytes(UTF_8)), 0);
      writer.write(ByteBuffer.wrap("!".getBytes(UTF_8)), 100);
      // no close, no force: another channel of this process sees the bytes at once
      try (FileChannel reader = FileChannel.open(p("etc/os-release"), READ)) {
        assertEquals(101L, reader.size());
        ByteBuffer b = ByteBuffer.allocate(101);
        assertEquals(101, reader.read(b));
        assertEquals("ID=mine", new String(b.array(), 0, 7, UTF_8));
        assertEquals("ract\nVERSION=2\n", new String(b.array(), 7, 15, UTF_8));
        assertEquals('!', b.array()[100]);
      }
      assertEquals(101L, Files.size(p("etc/os-release")));
    }
  }

  @Test
  void aChannelOpenedBeforeAWriteSeesIt() throws IOException {
    // a file written once already (on layerfs: in the container's own layer), an image file
    // written once, and image files first written by the writer below (on layerfs: a channel of
    // the image's bytes, moved onto the copy-up)
    Files.write(p("data/new"), data(100, 30));
    Files.write(p("data/4096.bin"), data(1, 31), APPEND);
    for (String file : List.of("data/new", "data/4096.bin", "data/4095.bin", "data/one")) {
      try (FileChannel reader = FileChannel.open(p(file), READ)) {
        long size = reader.size();
        try (FileChannel writer = FileChannel.open(p(file), WRITE)) {
          writer.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 10);
          writer.write(ByteBuffer.wrap(new byte[] {4}), size + 900);
        }
        ByteBuffer b = ByteBuffer.allocate(3);
        assertEquals(3, reader.read(b, 10));
        assertArrayEquals(new byte[] {1, 2, 3}, b.array(), file);
        assertEquals(size + 901, reader.size(), file);
      }
    }
  }

  @Test
  void aChannelOpenedBeforeARenameOrAChmodSeesLaterWrites() throws IOException {
    // on layerfs each copies an image file up without its bytes; the channel moves onto it
    try (FileChannel renamed = FileChannel.open(p("etc/os-release"), READ);
        FileChannel chmodded = FileChannel.open(p("data/4095.bin"), READ)) {
      Files.move(p("etc/os-release"), p("etc/renamed"));
      Files.setPosixFilePermissions(p("data/4095.bin"),
          PosixFilePermissions.fromString("rw-------"));
      try (FileChannel writer = FileChannel.open(p("etc/renamed"), WRITE)) {
        writer.write(ByteBuffer.wrap("X".getBytes(UTF_8)), 0);
        writer.write(ByteBuffer.wrap("!".getBytes(UTF_8)), 99);
      }
      Files.write(p("data/4095.bin"), data(3, 32), TRUNCATE_EXISTING);
      ByteBuffer b = ByteBuffer.allocate(3);
      assertEquals(3, renamed.read(b, 0));
      assertEquals("XD=", new String(b.array(), UTF_8));
      assertEquals(100L, renamed.size());
      ByteBuffer all = ByteBuffer.allocate(10);
      assertEquals(3, chmodded.read(all, 0));
      assertArrayEquals(data(3, 32), Arrays.copyOf(all.array(), 3));
      assertEquals(3L, chmodded.size());
    }
  }

  /**
   * One JVM holds no two overlapping locks of a file, through any of its channels or names (a
   * hard link locks the same file), shared or not: the JDK refuses the second with
   * {@link OverlappingFileLockException} before it asks the kernel. Ranges apart, and other
   * files, lock; a lock lasts until released or its channel closes, then the range locks again.
   */
  @Test
  void locksOfOneFileExcludeEachOtherInOneJvmThroughEveryChannelAndName() throws IOException {
    Files.write(p("data/locked"), data(100, 7));
    Files.createLink(p("data/locked-link"), p("data/locked"));
    Files.write(p("data/other"), data(10, 8));
    try (FileChannel writer = FileChannel.open(p("data/locked"), WRITE);
        FileChannel reader = FileChannel.open(p("data/locked"), READ);
        FileChannel linked = FileChannel.open(p("data/locked-link"), READ, WRITE);
        FileChannel other = FileChannel.open(p("data/other"), WRITE)) {
      FileLock first = writer.tryLock(0, 10, false);
      assertNotNull(first);
      assertSame(writer, first.channel());
      assertTrue(first.isValid());
      assertThrows(OverlappingFileLockException.class, () -> writer.tryLock(5, 10, false));
      assertThrows(OverlappingFileLockException.class, () -> writer.lock(0, 1, false));
      assertThrows(OverlappingFileLockException.class, () -> reader.tryLock(9, 1, true));
      assertThrows(OverlappingFileLockException.class, () -> linked.tryLock());
      assertThrows(NonWritableChannelException.class, () -> reader.tryLock(50, 1, false));
      FileLock apart = linked.tryLock(10, 10, false);
      assertNotNull(apart, "a range next to a held one locks");
      FileLock shared = reader.lock(20, 10, true);
      assertTrue(shared.isShared());
      assertThrows(OverlappingFileLockException.class, () -> linked.tryLock(25, 1, true),
          "shared locks of one JVM overlap no more than exclusive ones");
      FileLock otherFile = other.tryLock();
      assertNotNull(otherFile, "another file's locks are its own");
      first.release();
      assertFalse(first.isValid());
      FileLock again = reader.tryLock(0, 10, true);
      assertNotNull(again, "a released range locks again");
      linked.close();
      assertFalse(apart.isValid(), "closing a channel releases its locks");
      assertTrue(shared.isValid() && again.isValid(), "and only its own");
      assertThrows(OverlappingFileLockException.class, () -> writer.tryLock());
      again.release();
      shared.release();
      FileLock whole = writer.tryLock();
      assertNotNull(whole, "once all are released the whole file locks");
      assertEquals(Long.MAX_VALUE, whole.size());
    }
    try (FileChannel ch = FileChannel.open(p("data/locked"), WRITE)) {
      assertNotNull(ch.tryLock(), "the locks of closed channels are gone");
    }
  }

  /**
   * A directory's locks follow the directory, as Linux's follow its inode: they hold in one JVM
   * through a link to it, while it changes (a container copies an image directory up) and after
   * a rename.
   */
  @Test
  void locksOfADirectoryFollowItThroughLinksChangesAndRenames() throws IOException {
    Object key = Files.readAttributes(p("data"), BasicFileAttributes.class).fileKey();
    try (FileChannel image = FileChannel.open(p("data"), READ)) {
      assertNotNull(image.tryLock(0, Long.MAX_VALUE, true));
      Files.createDirectory(p("data/locking")); // the first write in the directory
      assertEquals(key, Files.readAttributes(p("data"), BasicFileAttributes.class).fileKey());
      Files.createSymbolicLink(p("data/locking-link"), p("data").relativize(p("data/locking")));
      locksOfADirectoryFollowIt();
    }
  }

  private void locksOfADirectoryFollowIt() throws IOException {
    try (FileChannel own = FileChannel.open(p("data/locking"), READ);
        FileChannel linked = FileChannel.open(p("data/locking-link"), READ)) {
      FileLock first = own.tryLock(0, 10, true);
      assertNotNull(first);
      assertThrows(OverlappingFileLockException.class, () -> linked.tryLock(5, 1, true));
      assertNotNull(linked.tryLock(10, 10, true), "a range next to a held one locks");
      Files.write(p("data/locking/in"), data(3, 9));
      Files.write(p("data/in-data"), data(3, 9));
      try (FileChannel changed = FileChannel.open(p("data"), READ)) {
        assertThrows(OverlappingFileLockException.class, () -> changed.tryLock(0, 1, true),
            "a directory written in keeps its locks");
      }
      Files.move(p("data/locking"), p("data/renamed"));
      try (FileChannel renamed = FileChannel.open(p("data/renamed"), READ)) {
        assertThrows(OverlappingFileLockException.class, () -> renamed.tryLock(0, 1, true),
            "a renamed directory keeps its locks");
        first.release();
        assertNotNull(renamed.tryLock(0, 1, true), "a released range locks again");
      }
    }
  }

  /**
   * An asynchronous lock's range, and an overlap with a lock this JVM holds, are checked in the
   * caller's thread, as the JDK's channel adds the lock to its table there; once the channel is
   * closed, a lock fails with {@code ClosedChannelException} and a truncate says
   * {@code AsynchronousCloseException}, as the JDK's.
   */
  @Test
  void anAsynchronousLockChecksItsRangeAndOverlapAtOnce() throws Exception {
    Path file = p("data/async-lock");
    try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(file, CREATE_NEW, READ,
        WRITE)) {
      assertEquals("Negative position",
          assertThrows(IllegalArgumentException.class, () -> ch.lock(-1, 1, true)).getMessage());
      assertEquals("Negative size",
          assertThrows(IllegalArgumentException.class, () -> ch.lock(0, -1, false)).getMessage());
      assertEquals("Negative position + size", assertThrows(IllegalArgumentException.class,
          () -> ch.lock(Long.MAX_VALUE, 2, true)).getMessage());
      FileLock held = ch.lock(0, 10, false).get();
      assertThrows(OverlappingFileLockException.class, () -> ch.lock(5, 10, false));
      assertThrows(OverlappingFileLockException.class, () -> ch.lock(5, 10, false, null,
          new CompletionHandler<FileLock, Object>() {
            @Override
            public void completed(FileLock lock, Object attachment) {}

            @Override
            public void failed(Throwable e, Object attachment) {}
          }));
      held.release();
      ch.lock(5, 10, false).get().release();
    }
    AsynchronousFileChannel closed = AsynchronousFileChannel.open(file, READ, WRITE);
    closed.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> closed.lock().get());
    assertEquals(ClosedChannelException.class, e.getCause().getClass());
    assertThrows(java.nio.channels.AsynchronousCloseException.class, () -> closed.truncate(0));
  }

  @Test
  void anAsynchronousFileChannelReadsWritesAndLocksAsTheJdks() throws Exception {
    try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(p("data/async"), CREATE_NEW,
        READ, WRITE)) {
      assertEquals(5, ch.write(ByteBuffer.wrap("hello".getBytes(UTF_8)), 0).get());
      assertEquals(5L, ch.size());
      ByteBuffer b = ByteBuffer.allocate(10);
      assertEquals(5, ch.read(b, 0).get());
      assertEquals("hello", new String(b.array(), 0, 5, UTF_8));
      assertEquals(-1, ch.read(ByteBuffer.allocate(1), 5).get());
      assertEquals(0, ch.read(ByteBuffer.allocate(0), 0).get());
      CompletableFuture<String> written = new CompletableFuture<>();
      ch.write(ByteBuffer.wrap("!".getBytes(UTF_8)), 10, "mine",
          new CompletionHandler<Integer, String>() {
            @Override
            public void completed(Integer n, String attachment) {
              written.complete(attachment + " " + n);
            }

            @Override
            public void failed(Throwable e, String attachment) {
              written.completeExceptionally(e);
            }
          });
      assertEquals("mine 1", written.get());
      assertEquals(11L, ch.size());
      FileLock lock = ch.lock(0, 0, false).get();
      assertSame(ch, lock.acquiredBy());
      assertTrue(lock.isValid());
      lock.release();
      assertFalse(lock.isValid());
      FileLock shared = ch.tryLock(0, 1, true);
      assertNotNull(shared);
      assertTrue(shared.isShared());
      ch.truncate(3);
      assertEquals(3L, ch.size());
      ch.force(true);
      assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(1), -1));
      assertThrows(IllegalArgumentException.class,
          () -> ch.read(ByteBuffer.allocate(1).asReadOnlyBuffer(), 0));
      assertThrows(IllegalArgumentException.class, () -> ch.truncate(-1));
    }
    assertEquals("hel", Files.readString(p("data/async")));
    AsynchronousFileChannel reader = AsynchronousFileChannel.open(p("etc/os-release"));
    try (reader) {
      assertThrows(NonWritableChannelException.class,
          () -> reader.write(ByteBuffer.wrap(new byte[1]), 0));
      assertThrows(NonWritableChannelException.class, () -> reader.lock(0, 1, false));
      assertThrows(NonWritableChannelException.class, () -> reader.truncate(0));
      ByteBuffer b = ByteBuffer.allocate(100);
      assertEquals(22, reader.read(b, 0).get());
      assertEquals("ID=contract\nVERSION=2\n", new String(b.array(), 0, 22, UTF_8));
    }
    ExecutionException closed = assertThrows(ExecutionException.class,
        () -> reader.read(ByteBuffer.allocate(1), 0).get());
    assertEquals(ClosedChannelException.class, closed.getCause().getClass());
    assertThrows(UnsupportedOperationException.class,
        () -> AsynchronousFileChannel.open(p("data/async"), WRITE, APPEND));
    fails(NoSuchFileException.class, () -> AsynchronousFileChannel.open(p("data/missing")));
    fails(FileAlreadyExistsException.class,
        () -> AsynchronousFileChannel.open(p("data/async"), CREATE_NEW, WRITE));
  }

  @Test
  void anOpenChannelFollowsItsFileThroughRenameAndDelete() throws IOException {
    try (FileChannel ch = FileChannel.open(p("etc/os-release"), READ, WRITE)) {
      Files.move(p("etc/os-release"), p("etc/renamed"));
      ch.write(ByteBuffer.wrap("X".getBytes(UTF_8)), 0);
      assertEquals("XD=contract\nVERSION=2\n", Files.readString(p("etc/renamed")));
      Files.delete(p("etc/renamed"));
      // an unlinked file lives on while a channel holds it
      ch.write(ByteBuffer.wrap("Y".getBytes(UTF_8)), 1);
      ByteBuffer b = ByteBuffer.allocate(3);
      assertEquals(3, ch.read(b, 0));
      assertEquals("XY=", new String(b.array(), UTF_8));
      assertEquals(22L, ch.size());
      assertFalse(Files.exists(p("etc/renamed")));
    }
    assertFalse(names("etc").contains("renamed"));
  }

  // ---------------------------------------------------------------- delete

  @Test
  void deleteAnImageFile() throws IOException {
    Files.delete(p("data/one"));
    assertFalse(Files.exists(p("data/one"), NOFOLLOW_LINKS));
    assertTrue(Files.notExists(p("data/one")));
    assertFalse(names("data").contains("one"));
    fails(NoSuchFileException.class, () -> Files.readAllBytes(p("data/one")));
    fails(NoSuchFileException.class, () -> Files.readAllBytes(p("links/rel")));
    fails(NoSuchFileException.class, () -> Files.delete(p("data/one")));
    Files.delete(p("etc/conf")); // a file over a lower directory of the same name
    fails(NoSuchFileException.class, () -> Files.readAllBytes(p("etc/conf/inner")));
    assertFalse(names("etc").contains("conf"));
  }

  @Test
  void deleteEmptyDirectoriesOfTheImage() throws IOException {
    Files.delete(p("tmp"));
    assertFalse(Files.exists(p("tmp"), NOFOLLOW_LINKS));
    // opaque shows only opaque/new: the lower children it hides do not make it non-empty
    Files.delete(p("opaque/new"));
    assertEquals(List.of(), names("opaque"));
    Files.delete(p("opaque"));
    assertFalse(Files.exists(p("opaque")));
    assertFalse(names("").contains("opaque"));
  }

  @Test
  void deleteANonEmptyDirectoryFails() throws IOException {
    for (String dir : List.of("data/nested", "many", "opaque", "etc/was-file")) {
      fails(DirectoryNotEmptyException.class, () -> Files.delete(p(dir)));
    }
    if (p("").getParent() == null) { // a file system's root is busy (EBUSY) before anything
      FileSystemException x = assertThrows(FileSystemException.class,
          () -> Files.delete(p("")));
      assertEquals("Device or resource busy", x.getReason());
    } else {
      fails(DirectoryNotEmptyException.class, () -> Files.delete(p("")));
    }
    fails(DirectoryNotEmptyException.class, () -> Files.deleteIfExists(p("data/nested/a")));
    assertEquals(List.of("a"), names("data/nested"));
    assertEquals(Fixture.MANY, names("many").size());
  }

  @Test
  void deleteAMissingPathFails() {
    for (String missing : List.of("data/missing", "data/removed", "etc/gone", "etc/gone/file",
        "opaque/old", "nope/x", "links/dir/missing")) {
      NoSuchFileException e = fails(NoSuchFileException.class, () -> Files.delete(p(missing)));
      assertEquals(p(missing).toString(), e.getFile());
    }
    fails(FileSystemException.class, () -> Files.delete(p("data/one/x")));
  }

  @Test
  void deleteIfExistsSaysWhetherItDeleted() throws IOException {
    assertTrue(Files.deleteIfExists(p("data/4095.bin")));
    assertFalse(Files.deleteIfExists(p("data/4095.bin")));
    assertFalse(Files.deleteIfExists(p("data/removed")));
    assertFalse(Files.deleteIfExists(p("etc/gone")));
    assertTrue(Files.deleteIfExists(p("names/.hidden-dir/inside")));
    assertTrue(Files.deleteIfExists(p("names/.hidden-dir")));
    assertFalse(Files.exists(p("names/.hidden-dir")));
  }

  @Test
  void deleteThenRecreateAnImageFile() throws IOException {
    Files.delete(p("etc/os-release"));
    Files.createFile(p("etc/os-release"));
    assertEquals(0L, Files.size(p("etc/os-release")), "nothing of the lower file comes back");
    Files.writeString(p("etc/os-release"), "ID=new\n", APPEND);
    assertEquals("ID=new\n", Files.readString(p("etc/os-release")));
    Files.delete(p("usr/bin/su"));
    Files.createFile(p("usr/bin/su"), PosixFilePermissions.asFileAttribute(Checks.perms(0700)));
    assertEquals(0700, mode("usr/bin/su"), "the new file's mode, not the lower 04755");
  }

  @Test
  void deleteThenRecreateAnImageDirectory() throws IOException {
    Files.delete(p("data/nested/a/b/deep.txt"));
    Files.delete(p("data/nested/a/b"));
    Files.createDirectory(p("data/nested/a/b"));
    assertEquals(List.of(), names("data/nested/a/b"), "the lower deep.txt stays hidden");
    fails(NoSuchFileException.class, () -> Files.size(p("data/nested/a/b/deep.txt")));
    Files.writeString(p("data/nested/a/b/fresh.txt"), "fresh\n");
    assertEquals(List.of("fresh.txt"), names("data/nested/a/b"));
    // a directory merged over two layers, and an opaque one
    for (String dir : List.of("etc/was-file", "opaque")) {
      for (String child : names(dir)) {
        Files.delete(p(dir).resolve(child));
      }
      Files.delete(p(dir));
      Files.createDirectory(p(dir));
      assertEquals(List.of(), names(dir), dir);
    }
  }

  @Test
  void deleteALinkNotItsTarget() throws IOException {
    Files.delete(p("links/rel"));
    Files.delete(p("links/dir"));
    Files.delete(p("links/dangling"));
    assertFalse(Files.exists(p("links/rel"), NOFOLLOW_LINKS));
    assertArrayEquals(Fixture.data("data/one"), bytes("data/one"));
    assertEquals(List.of("a"), names("data/nested"));
    assertFalse(names("links").contains("dir"));
  }

  // ---------------------------------------------------------------- move

  @Test
  void moveRenamesAnImageFileKeepingItsAttributes() throws IOException {
    Files.move(p("data/4095.bin"), p("etc/moved"));
    assertFalse(Files.exists(p("data/4095.bin")));
    assertArrayEquals(Fixture.data("data/4095.bin"), bytes("etc/moved"));
    assertEquals("644 1000:65534", modeAndOwner("etc/moved"));
    assertEquals(Fixture.get("data/4095.bin").mtime(), Files.getLastModifiedTime(p("etc/moved")));
    assertTrue(names("etc").contains("moved"));
    assertFalse(names("data").contains("4095.bin"));
    // the old name is free for a new file
    Files.writeString(p("data/4095.bin"), "new");
    assertEquals("new", Files.readString(p("data/4095.bin")));
    assertEquals(4095L, Files.size(p("etc/moved")));
  }

  @Test
  void moveOntoAnExistingFile() throws IOException {
    fails(FileAlreadyExistsException.class, () -> Files.move(p("data/one"), p("etc/conf")));
    assertArrayEquals(Fixture.data("data/one"), bytes("data/one"));
    Files.move(p("data/one"), p("etc/conf"), REPLACE_EXISTING);
    assertArrayEquals(Fixture.data("data/one"), bytes("etc/conf"));
    assertEquals("600 1000:1000", modeAndOwner("etc/conf"));
    assertFalse(Files.exists(p("data/one")));
    // rename(2) replaces: an atomic move does too, whatever REPLACE_EXISTING says
    Files.move(p("data/4096.bin"), p("usr/bin/tool"), ATOMIC_MOVE);
    assertArrayEquals(Fixture.data("data/4096.bin"), bytes("usr/bin/tool"));
    assertFalse(Files.exists(p("data/4096.bin")));
  }

  @Test
  void moveAFileOntoItselfChangesNothing() throws IOException {
    Files.move(p("data/one"), p("data/one"));
    Files.move(p("data/one"), p("data/../data/one"), REPLACE_EXISTING);
    assertArrayEquals(Fixture.data("data/one"), bytes("data/one"));
  }

  @Test
  void moveAMissingSourceFails() {
    fails(NoSuchFileException.class, () -> Files.move(p("data/missing"), p("data/x")));
    fails(NoSuchFileException.class, () -> Files.move(p("data/removed"), p("data/x")));
    fails(NoSuchFileException.class, () -> Files.move(p("data/one"), p("nope/x")));
    fails(NoSuchFileException.class,
        () -> Files.move(p("etc/gone/file"), p("data/x"), ATOMIC_MOVE));
    assertFalse(Files.exists(p("data/x")));
  }

  /**
   * rename(2) resolves the source's parent before the target's: a source under a dangling link
   * is ENOENT and one under a file ENOTDIR, also where the target is under a file (ENOTDIR had
   * the target's parent been looked up first). Found by the differential test (seed 22).
   */
  @Test
  void anAtomicMoveReportsTheSourcesPathBeforeTheTargets() {
    fails(NoSuchFileException.class,
        () -> Files.move(p("links/dangling/x"), p("data/one/x"), ATOMIC_MOVE));
    fails(NoSuchFileException.class,
        () -> Files.move(p("data/missing/x"), p("data/one/x"), ATOMIC_MOVE));
    FileSystemException underAFile = fails(FileSystemException.class,
        () -> Files.move(p("data/4096.bin/x"), p("links/dangling/x"), ATOMIC_MOVE));
    assertEquals("Not a directory", underAFile.getReason());
    // the source's parent is fine and the source missing: the target's parent comes first
    FileSystemException targetUnderAFile = fails(FileSystemException.class,
        () -> Files.move(p("data/missing"), p("data/one/x"), ATOMIC_MOVE));
    assertEquals("Not a directory", targetUnderAFile.getReason());
  }

  /**
   * A move's source through a file: the JDK reads the source's attributes first, which Java 25
   * (JDK-8356678) reports as a missing file and earlier JDKs as "Not a directory"; an atomic
   * move is rename(2) alone, "Not a directory" on every JDK. Found on Java 25 by the
   * differential tests through a bind mount and a volume.
   */
  @Test
  void aMovesSourceThroughAFileIsReportedAsTheJdkReadsIt() {
    Class<? extends FileSystemException> read = Runtime.version().feature() >= 25
        ? NoSuchFileException.class : FileSystemException.class;
    fails(read, () -> Files.move(p("data/one/x"), p("data/y")));
    fails(read, () -> Files.move(p("data/one/x"), p("data/y"), REPLACE_EXISTING));
    FileSystemException atomic = fails(FileSystemException.class,
        () -> Files.move(p("data/one/x"), p("data/y"), ATOMIC_MOVE));
    assertEquals("Not a directory", atomic.getReason());
    assertFalse(Files.exists(p("data/y")));
  }

  /**
   * rename(2) resolves the source before it replaces the target, so an atomic move finds a
   * source reached through the link it replaces; without ATOMIC_MOVE the JDK unlinks the target
   * first, and then finds no source. Found by the differential test (seed 66).
   */
  @Test
  void anAtomicMoveFindsASourceReachedThroughTheLinkItReplaces() throws IOException {
    // links/dir -> ../data/nested, so links/dir/../one is data/one
    Files.move(p("links/dir/../one"), p("links/dir"), ATOMIC_MOVE);
    assertFalse(Files.isSymbolicLink(p("links/dir")));
    assertArrayEquals(Fixture.data("data/one"), bytes("links/dir"));
    assertFalse(Files.exists(p("data/one")));
    // links/dir-dots -> ../links/./../data/nested/a: without ATOMIC_MOVE the link goes first
    fails(NoSuchFileException.class, () -> Files.move(p("links/dir-dots/../../4096.bin"),
        p("links/dir-dots"), REPLACE_EXISTING));
    assertFalse(Files.exists(p("links/dir-dots"), NOFOLLOW_LINKS));
    assertArrayEquals(Fixture.data("data/4096.bin"), bytes("data/4096.bin"));
  }

  @Test
  void moveAnImageDirectoryWithItsContent() throws IOException {
    Files.move(p("data/nested"), p("moved"));
    assertFalse(Files.exists(p("data/nested")));
    assertEquals(List.of("a"), names("moved"));
    assertEquals(List.of("b"), names("moved/a"));
    assertEquals("deep\n", Files.readString(p("moved/a/b/deep.txt")));
    assertEquals("700 1000:1000", modeAndOwner("moved/a"));
    assertFalse(Files.exists(p("links/dir")), "the link to the old name dangles");
    // the old name can be a new, empty directory
    Files.createDirectory(p("data/nested"));
    assertEquals(List.of(), names("data/nested"));
  }

  @Test
  void moveADirectoryKeepsItsModeOwnerAndMtime() throws IOException {
    Files.move(p("usr/local"), p("local"));
    assertEquals("2755 0:1000", modeAndOwner("local"));
    assertEquals(Fixture.get("usr/local").mtime(), Files.getLastModifiedTime(p("local")));
    reopen();
    assertEquals("2755 0:1000", modeAndOwner("local"));
    assertEquals(List.of("setgid-file"), names("local"));
    assertEquals("2711 0:1000", modeAndOwner("local/setgid-file"));
  }

  @Test
  void atomicMoveOfAMergedDirectory() throws IOException {
    // many/ holds files of two layers
    Files.move(p("many"), p("data/many"), ATOMIC_MOVE);
    assertEquals(Fixture.MANY, names("data/many").size());
    assertEquals("many/f000\n", Files.readString(p("data/many/f000")));
    assertEquals("many/f299\n", Files.readString(p("data/many/f299")));
    assertFalse(Files.exists(p("many")));
  }

  @Test
  void moveADirectoryOntoAnExistingDirectory() throws IOException {
    fails(FileAlreadyExistsException.class, () -> Files.move(p("names"), p("tmp")));
    fails(DirectoryNotEmptyException.class,
        () -> Files.move(p("names"), p("data/nested"), REPLACE_EXISTING));
    assertEquals(List.of("a"), names("data/nested"));
    // replacing an empty directory works
    Files.move(p("names"), p("tmp"), REPLACE_EXISTING);
    assertTrue(names("tmp").contains("plain.md"));
    assertFalse(Files.exists(p("names")));
  }

  @Test
  void atomicMoveOntoANonEmptyDirectoryFails() throws IOException {
    // rename(2) gives ENOTEMPTY, which the JDK reports as a plain FileSystemException
    assertEquals("Directory not empty", fails(FileSystemException.class,
        () -> Files.move(p("tmp"), p("data/nested"), ATOMIC_MOVE)).getReason());
    assertTrue(Files.isDirectory(p("tmp")));
    assertEquals(List.of("a"), names("data/nested"));
  }

  /**
   * rename(2) onto a directory the source lies in says ENOTEMPTY before it looks at either one's
   * type (a file onto a directory is EISDIR elsewhere).
   */
  @Test
  void atomicMoveOntoADirectoryHoldingTheSourceFails() throws IOException {
    assertEquals("Directory not empty", fails(FileSystemException.class,
        () -> Files.move(p("data/nested/a/b/deep.txt"), p("data/nested"), ATOMIC_MOVE))
        .getReason());
    assertEquals("Directory not empty", fails(FileSystemException.class,
        () -> Files.move(p("data/nested/a/b"), p("data/nested/a"), ATOMIC_MOVE)).getReason());
    assertEquals("Is a directory", fails(FileSystemException.class,
        () -> Files.move(p("data/one"), p("tmp"), ATOMIC_MOVE)).getReason());
    assertEquals("deep\n", Files.readString(p("data/nested/a/b/deep.txt")));
  }

  @Test
  void moveADirectoryIntoItselfFails() throws IOException {
    fails(FileSystemException.class, () -> Files.move(p("data/nested"), p("data/nested/a/x")));
    fails(FileSystemException.class,
        () -> Files.move(p("data"), p("data/nested/inside"), ATOMIC_MOVE));
    assertEquals(List.of("a"), names("data/nested"));
    assertEquals(List.of("b"), names("data/nested/a"));
  }

  @Test
  void atomicMoveOfADirectoryOntoAnEmptyDirectoryInsideItFails() throws IOException {
    // rename(2) says EINVAL before it looks at the target: nothing is replaced
    Files.createDirectory(p("data/hollow"));
    Files.createDirectory(p("data/nested/a/hollow"));
    fails(FileSystemException.class, () -> Files.move(p("data"), p("data/hollow"), ATOMIC_MOVE));
    assertTrue(Files.isDirectory(p("data/hollow"), NOFOLLOW_LINKS));
    fails(FileSystemException.class, () -> Files.move(p("data/nested"), p("data/nested/a/hollow"),
        ATOMIC_MOVE, REPLACE_EXISTING));
    assertTrue(Files.isDirectory(p("data/nested/a/hollow"), NOFOLLOW_LINKS));
    assertEquals(List.of("a"), names("data/nested"));
  }

  @Test
  void moveReplacingAFileByADirectoryAndBack() throws IOException {
    Files.move(p("data/nested"), p("data/one"), REPLACE_EXISTING);
    assertTrue(Files.isDirectory(p("data/one"), NOFOLLOW_LINKS));
    assertEquals("deep\n", Files.readString(p("data/one/a/b/deep.txt")));
    // and a file can replace an empty directory
    Files.move(p("etc/os-release"), p("tmp"), REPLACE_EXISTING);
    assertTrue(Files.isRegularFile(p("tmp"), NOFOLLOW_LINKS));
    assertEquals("ID=contract\nVERSION=2\n", Files.readString(p("tmp")));
  }

  @Test
  void moveALinkMovesTheLinkItself() throws IOException {
    Files.move(p("links/rel"), p("links/rel-moved"));
    assertTrue(Files.isSymbolicLink(p("links/rel-moved")));
    assertEquals("../data/one", Files.readSymbolicLink(p("links/rel-moved")).toString());
    assertArrayEquals(Fixture.data("data/one"), bytes("links/rel-moved"));
    // moving a file onto a link replaces the link, not its target
    Files.move(p("etc/os-release"), p("links/chain-3"), REPLACE_EXISTING);
    assertFalse(Files.isSymbolicLink(p("links/chain-3")));
    assertEquals("ID=contract\nVERSION=2\n", Files.readString(p("links/chain-1")));
    assertEquals(100_000L, Files.size(p("data/100000.bin")));
  }

  // ---------------------------------------------------------------- copy

  @Test
  void copyAnImageFile() throws IOException {
    assertEquals(p("etc/copy"), Files.copy(p("data/4096.bin"), p("etc/copy")));
    assertArrayEquals(Fixture.data("data/4096.bin"), bytes("etc/copy"));
    assertEquals(0640, mode("etc/copy"), "the source's mode less the umask");
    assertRecent(Files.getLastModifiedTime(p("etc/copy")));
    // two files now: a write to the copy leaves the source alone
    Files.write(p("etc/copy"), data(3, 11), APPEND);
    assertArrayEquals(Fixture.data("data/4096.bin"), bytes("data/4096.bin"));
    assertEquals(4099L, Files.size(p("etc/copy")));
  }

  @Test
  void copyOntoAnExistingTarget() throws IOException {
    fails(FileAlreadyExistsException.class, () -> Files.copy(p("data/one"), p("etc/conf")));
    assertArrayEquals(Fixture.data("etc/conf"), bytes("etc/conf"));
    Files.copy(p("data/one"), p("etc/conf"), REPLACE_EXISTING);
    assertArrayEquals(Fixture.data("data/one"), bytes("etc/conf"));
    fails(DirectoryNotEmptyException.class,
        () -> Files.copy(p("data/one"), p("data/nested"), REPLACE_EXISTING));
    Files.copy(p("data/one"), p("tmp"), REPLACE_EXISTING);
    assertTrue(Files.isRegularFile(p("tmp"), NOFOLLOW_LINKS));
    // a copy onto itself does nothing
    Files.copy(p("data/one"), p("data/one"), REPLACE_EXISTING);
    assertArrayEquals(Fixture.data("data/one"), bytes("data/one"));
  }

  @Test
  void copyFromAnInputStream() throws IOException {
    assertEquals(10L, Files.copy(new ByteArrayInputStream(data(10, 40)), p("data/streamed")));
    assertArrayEquals(data(10, 40), bytes("data/streamed"));
    fails(FileAlreadyExistsException.class,
        () -> Files.copy(new ByteArrayInputStream(data(10, 41)), p("data/one")));
    Files.copy(new ByteArrayInputStream(data(10, 41)), p("data/one"), REPLACE_EXISTING);
    assertArrayEquals(data(10, 41), bytes("data/one"));
    assertEquals("644 0:0", modeAndOwner("data/one"), "a new file, not the image's");
  }

  @Test
  void copyAMissingSourceFails() {
    fails(NoSuchFileException.class, () -> Files.copy(p("data/missing"), p("data/x")));
    fails(NoSuchFileException.class, () -> Files.copy(p("links/dangling"), p("data/x")));
    fails(NoSuchFileException.class, () -> Files.copy(p("data/one"), p("nope/x")));
    assertFalse(Files.exists(p("data/x")));
  }

  @Test
  void copyAttributesKeepsMtimePermissionsAndOwner() throws IOException {
    Files.copy(p("data/4096.bin"), p("tmp/a"), COPY_ATTRIBUTES);
    assertEquals("640 65534:1000", modeAndOwner("tmp/a"));
    assertEquals(Fixture.get("data/4096.bin").mtime(), Files.getLastModifiedTime(p("tmp/a")));
    Files.copy(p("usr/bin/su"), p("tmp/su"), COPY_ATTRIBUTES);
    assertEquals("4755 0:0", modeAndOwner("tmp/su"));
    Files.copy(p("data/nested/a"), p("tmp/dir"), COPY_ATTRIBUTES);
    assertEquals("700 1000:1000", modeAndOwner("tmp/dir"));
    assertEquals(Fixture.get("data/nested/a").mtime(), Files.getLastModifiedTime(p("tmp/dir")));
  }

  @Test
  void copyADirectoryCopiesNoChildren() throws IOException {
    Files.copy(p("data/nested"), p("tmp/nested"));
    assertTrue(Files.isDirectory(p("tmp/nested"), NOFOLLOW_LINKS));
    assertEquals(List.of(), names("tmp/nested"));
    assertEquals(List.of("a"), names("data/nested"));
  }

  @Test
  void copyALinkWithAndWithoutNoFollowLinks() throws IOException {
    Files.copy(p("links/rel"), p("links/as-file"));
    assertFalse(Files.isSymbolicLink(p("links/as-file")));
    assertArrayEquals(Fixture.data("data/one"), bytes("links/as-file"));
    Files.copy(p("links/rel"), p("links/as-link"), NOFOLLOW_LINKS);
    assertTrue(Files.isSymbolicLink(p("links/as-link")));
    assertEquals("../data/one", Files.readSymbolicLink(p("links/as-link")).toString());
    Files.copy(p("links/dangling"), p("links/dangling-copy"), NOFOLLOW_LINKS);
    assertEquals("missing-target", Files.readSymbolicLink(p("links/dangling-copy")).toString());
    Files.copy(p("links/dir"), p("links/dir-copy"), NOFOLLOW_LINKS, COPY_ATTRIBUTES);
    assertTrue(Files.isSymbolicLink(p("links/dir-copy")));
    assertEquals(List.of("a"), names("links/dir-copy"));
  }

  // ---------------------------------------------------------------- symbolic links

  @Test
  void createASymbolicLink() throws IOException {
    Path target = p("").getFileSystem().getPath("../data/4096.bin");
    assertEquals(p("etc/link"), Files.createSymbolicLink(p("etc/link"), target));
    assertTrue(Files.isSymbolicLink(p("etc/link")));
    assertEquals(target, Files.readSymbolicLink(p("etc/link")));
    assertArrayEquals(Fixture.data("data/4096.bin"), bytes("etc/link"));
    assertTrue(names("etc").contains("link"));
    assertEquals(0777, mode("etc/link"), "a link's mode is always 0777 on Linux");
    assertEquals(0777, mode("links/rel"));
    Files.createSymbolicLink(p("etc/dangling"), target.getFileSystem().getPath("nowhere"));
    assertTrue(Files.isSymbolicLink(p("etc/dangling")));
    assertFalse(Files.exists(p("etc/dangling")));
    fails(FileAlreadyExistsException.class, () -> Files.createSymbolicLink(p("data/one"), target));
    fails(FileAlreadyExistsException.class,
        () -> Files.createSymbolicLink(p("links/dangling"), target));
    fails(NoSuchFileException.class, () -> Files.createSymbolicLink(p("nope/l"), target));
  }

  @Test
  void writeThroughASymbolicLinkChangesTheTarget() throws IOException {
    Files.write(p("links/rel"), data(20, 12));
    assertTrue(Files.isSymbolicLink(p("links/rel")));
    assertArrayEquals(data(20, 12), bytes("data/one"));
    assertEquals("600 1000:1000", modeAndOwner("data/one"));
    Files.writeString(p("links/dir/a/b/deep.txt"), "via link\n", APPEND);
    assertEquals("deep\nvia link\n", Files.readString(p("data/nested/a/b/deep.txt")));
    Files.writeString(p("links/dir/a/new.txt"), "new\n");
    assertEquals(List.of("b", "new.txt"), names("data/nested/a"));
  }

  @Test
  void writeThroughADanglingLinkCreatesItsTarget() throws IOException {
    Files.write(p("links/dangling"), data(9, 13));
    assertTrue(Files.isSymbolicLink(p("links/dangling")));
    assertTrue(Files.isRegularFile(p("links/missing-target"), NOFOLLOW_LINKS));
    assertArrayEquals(data(9, 13), bytes("links/missing-target"));
  }

  @Test
  void openingALinkForWritingWithNoFollowLinksFails() throws IOException {
    // O_NOFOLLOW on a link gives ELOOP; the JDK reports it as a plain IOException, layerfs as
    // a FileSystemException: only "an IOException" is checked
    assertThrows(IOException.class,
        () -> Files.newByteChannel(p("links/rel"), WRITE, NOFOLLOW_LINKS).close());
    assertThrows(IOException.class,
        () -> Files.newOutputStream(p("links/dangling"), CREATE, NOFOLLOW_LINKS).close());
    assertThrows(IOException.class,
        () -> FileChannel.open(p("links/dir"), WRITE, NOFOLLOW_LINKS).close());
    assertArrayEquals(Fixture.data("data/one"), bytes("data/one"));
    assertFalse(Files.exists(p("links/missing-target"), NOFOLLOW_LINKS));
  }

  /**
   * An open not for writing ignores CREATE, CREATE_NEW and TRUNCATE_EXISTING, as the JDK's, and
   * the JDK asks for O_NOFOLLOW only without CREATE_NEW: such an open follows a link (odd calls,
   * answered as the default provider answers them).
   */
  @Test
  void aReadingOpenWithCreateNewFollowsALinkDespiteNoFollowLinks() throws IOException {
    try (FileChannel c = FileChannel.open(p("links/rel"), CREATE_NEW, NOFOLLOW_LINKS)) {
      assertEquals(Fixture.data("data/one").length, c.size());
    }
    assertThrows(NoSuchFileException.class,
        () -> FileChannel.open(p("links/dangling"), READ, CREATE_NEW, NOFOLLOW_LINKS).close());
    assertThrows(NoSuchFileException.class,
        () -> FileChannel.open(p("data/not-made"), READ, CREATE).close());
    try (FileChannel c = FileChannel.open(p("data/one"), READ, TRUNCATE_EXISTING)) {
      assertEquals(Fixture.data("data/one").length, c.size());
    }
    assertFalse(Files.exists(p("links/missing-target"), NOFOLLOW_LINKS));
    assertFalse(Files.exists(p("data/not-made"), NOFOLLOW_LINKS));
  }

  // ---------------------------------------------------------------- hard links

  @Test
  void hardLinksShareContentsAndCount() throws IOException {
    Files.write(p("data/h1"), data(100, 14));
    assertEquals(p("data/h2"), Files.createLink(p("data/h2"), p("data/h1")));
    assertEquals(2, nlink("data/h1"));
    assertEquals(2, nlink("data/h2"));
    assertTrue(Files.isSameFile(p("data/h1"), p("data/h2")));
    Files.write(p("data/h1"), data(10, 15), APPEND);
    assertArrayEquals(concat(data(100, 14), data(10, 15)), bytes("data/h2"));
    Files.setPosixFilePermissions(p("data/h2"), Checks.perms(0604));
    assertEquals(0604, mode("data/h1"));
    Files.createLink(p("etc/h3"), p("data/h2"));
    assertEquals(3, nlink("data/h1"));
    Files.delete(p("data/h1"));
    assertEquals(2, nlink("data/h2"));
    assertArrayEquals(concat(data(100, 14), data(10, 15)), bytes("etc/h3"));
  }

  /** link(2) does not follow a symbolic link: the new name is the link itself. */
  @Test
  void aHardLinkToASymbolicLinkLinksTheLinkItself() throws IOException {
    Files.createLink(p("etc/hl"), p("links/rel"));
    assertTrue(Files.isSymbolicLink(p("etc/hl")));
    assertEquals(p("").getFileSystem().getPath("../data/one"),
        Files.readSymbolicLink(p("etc/hl")));
    assertEquals(2, nlink("links/rel"));
    assertEquals(1, nlink("data/one"), "the target is not linked");
  }

  @Test
  void hardLinkToAnImageFile() throws IOException {
    Files.createLink(p("etc/h"), p("data/4095.bin"));
    assertEquals(2, nlink("data/4095.bin"));
    assertEquals("644 1000:65534", modeAndOwner("etc/h"));
    Files.write(p("etc/h"), data(5, 33));
    assertArrayEquals(data(5, 33), bytes("data/4095.bin"));
    reopen();
    assertEquals(2, nlink("etc/h"));
    Files.write(p("data/4095.bin"), data(1, 34), APPEND);
    assertArrayEquals(concat(data(5, 33), data(1, 34)), bytes("etc/h"));
  }

  @Test
  void moveOntoAnotherNameOfTheSameFileKeepsBoth() throws IOException {
    // rename(2) of two names of one inode does nothing, and the JDK does not call it
    Files.write(p("data/h1"), data(3, 35));
    Files.createLink(p("data/h2"), p("data/h1"));
    Files.move(p("data/h1"), p("data/h2"));
    Files.move(p("data/h1"), p("data/h2"), ATOMIC_MOVE);
    assertTrue(names("data").containsAll(List.of("h1", "h2")));
    assertEquals(2, nlink("data/h2"));
  }

  @Test
  void hardLinkToAnExistingNameOrADirectoryFails() throws IOException {
    Files.write(p("data/h1"), data(5, 16));
    fails(FileAlreadyExistsException.class, () -> Files.createLink(p("data/one"), p("data/h1")));
    fails(NoSuchFileException.class, () -> Files.createLink(p("data/h2"), p("data/missing")));
    fails(NoSuchFileException.class, () -> Files.createLink(p("nope/h2"), p("data/h1")));
    // link(2) of a directory gives EPERM, a plain FileSystemException; EEXIST comes first
    assertEquals("Operation not permitted", fails(FileSystemException.class,
        () -> Files.createLink(p("data/h3"), p("tmp"))).getReason());
    fails(FileAlreadyExistsException.class, () -> Files.createLink(p("data/h1"), p("tmp")));
    assertEquals(1, nlink("data/h1"));
  }

  /**
   * A copy makes its target with the source's mode, set-id and sticky bits included, as open(2)
   * and mkdir(2) keep them (mkdir keeps only the sticky bit). Found by the differential tests
   * through a bind mount and a volume, where they were lost.
   */
  @Test
  void aCopyKeepsSetIdAndStickyBits() throws IOException {
    Files.copy(p("usr/local/setgid-file"), p("data/setgid"));
    Files.copy(p("usr/bin/su"), p("data/setuid"));
    Files.copy(p("tmp"), p("data/sticky"));
    assertEquals(02000, mode("data/setgid") & 07000);
    assertEquals(04000, mode("data/setuid") & 07000);
    assertEquals(01000, mode("data/sticky") & 07000);
    assertEquals(Fixture.data("usr/bin/su").length, Files.size(p("data/setuid")));
  }

  /**
   * link(2) resolves the existing file before the new name's directory: an existing path
   * through a file is ENOTDIR even where the new name's directory is missing (ENOENT had that
   * been looked up first). Found by the bind-mount differential test.
   */
  @Test
  void hardLinkReportsTheExistingPathBeforeTheNewName() {
    FileSystemException throughAFile = fails(FileSystemException.class,
        () -> Files.createLink(p("nope/h"), p("links/rel/x")));
    assertEquals("Not a directory", throughAFile.getReason());
    fails(NoSuchFileException.class, () -> Files.createLink(p("data/one/h"), p("data/missing")));
  }

  // ---------------------------------------------------------------- attributes

  @Test
  void setPosixFilePermissionsOnImageFilesAndDirectories() throws IOException {
    Files.setPosixFilePermissions(p("usr/bin/su"), Checks.perms(0700));
    assertEquals(0700, mode("usr/bin/su"), "chmod sets every bit: the set-user-ID bit goes");
    assertEquals(Checks.perms(0700), Files.getPosixFilePermissions(p("usr/bin/su")));
    Files.setPosixFilePermissions(p("data/nested"), Checks.perms(0500));
    assertEquals(0500, mode("data/nested"));
    assertEquals("deep\n", Files.readString(p("data/nested/a/b/deep.txt")), "root reads on");
    Files.setPosixFilePermissions(p("links/rel"), Checks.perms(0666));
    assertEquals(0666, mode("data/one"), "through the link");
    assertArrayEquals(Fixture.data("usr/bin/su"), bytes("usr/bin/su"));
    assertEquals(Fixture.get("usr/bin/su").mtime(), Files.getLastModifiedTime(p("usr/bin/su")));
    fails(NoSuchFileException.class,
        () -> Files.setPosixFilePermissions(p("data/missing"), Checks.perms(0600)));
  }

  @Test
  void setOwnerOfAnImageFile() throws IOException {
    Files.setAttribute(p("data/empty"), "unix:uid", 4242);
    Files.setAttribute(p("data/empty"), "unix:gid", 77);
    assertEquals("644 4242:77", modeAndOwner("data/empty"));
  }

  @Test
  void setLastModifiedTimeOnImageFilesAndDirectories() throws IOException {
    FileTime t = FileTime.from(Instant.parse("2019-05-06T07:08:09.123456789Z"));
    for (String path : List.of("etc/conf", "data/nested", "data/empty")) {
      assertEquals(p(path), Files.setLastModifiedTime(p(path), t));
      assertEquals(t, Files.getLastModifiedTime(p(path)), path);
    }
    Files.setLastModifiedTime(p("links/rel"), t);
    assertEquals(t, Files.getLastModifiedTime(p("data/one")), "through the link");
    assertArrayEquals(Fixture.data("etc/conf"), bytes("etc/conf"));
    fails(NoSuchFileException.class, () -> Files.setLastModifiedTime(p("data/missing"), t));
  }

  @Test
  void setLastAccessTime() throws IOException {
    FileTime t = FileTime.from(Instant.parse("2019-05-06T07:08:09.5Z"));
    Files.getFileAttributeView(p("data/one"), BasicFileAttributeView.class).setTimes(null, t, null);
    assertEquals(t, Files.getAttribute(p("data/one"), "lastAccessTime"));
    assertEquals(Fixture.get("data/one").mtime(), Files.getLastModifiedTime(p("data/one")));
  }

  @Test
  void mtimeChangesWithTheDataOnly() throws IOException {
    FileChannel.open(p("data/4096.bin"), WRITE).close();
    try (FileChannel ch = FileChannel.open(p("names/plain.md"), WRITE)) {
      assertEquals(0, ch.write(ByteBuffer.allocate(0)));
    }
    try (FileChannel ch = FileChannel.open(p("usr/bin/tool"), WRITE)) {
      ch.truncate(10_000);
    }
    Files.setPosixFilePermissions(p("data/4095.bin"), Checks.perms(0600));
    Files.setAttribute(p("etc/conf"), "unix:gid", 5);
    for (String path : List.of("data/4096.bin", "names/plain.md", "usr/bin/tool",
        "data/4095.bin", "etc/conf")) {
      assertEquals(Fixture.get(path).mtime(), Files.getLastModifiedTime(p(path)), path);
    }
    // O_TRUNC marks the file modified even when it was empty already
    FileChannel.open(p("data/empty"), WRITE, TRUNCATE_EXISTING).close();
    assertRecent(Files.getLastModifiedTime(p("data/empty")));
  }

  @Test
  void writingAFileSetsItsMtime() throws IOException {
    assertEquals(Fixture.get("etc/conf").mtime(), Files.getLastModifiedTime(p("etc/conf")));
    try (FileChannel ch = FileChannel.open(p("etc/conf"), WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1}), 100);
    }
    assertRecent(Files.getLastModifiedTime(p("etc/conf")));
    try (FileChannel ch = FileChannel.open(p("usr/bin/tool"), WRITE)) {
      ch.truncate(10);
    }
    assertRecent(Files.getLastModifiedTime(p("usr/bin/tool")));
  }

  @Test
  void creatingAndDeletingChangeTheDirectoryMtime() throws IOException {
    Files.createFile(p("data/nested/new"));
    assertRecent(Files.getLastModifiedTime(p("data/nested")));
    Files.delete(p("names/plain.md"));
    assertRecent(Files.getLastModifiedTime(p("names")));
    Files.move(p("etc/os-release"), p("usr/local/os-release"));
    assertRecent(Files.getLastModifiedTime(p("etc")));
    assertRecent(Files.getLastModifiedTime(p("usr/local")));
  }

  @Test
  void setIdBitsUnderChownChmodAndWrites() throws IOException {
    // root's chown of an executable clears set-user-ID; root's writes (CAP_FSETID) keep it
    Files.setAttribute(p("usr/bin/su"), "unix:uid", 1000);
    assertEquals("755 1000:0", modeAndOwner("usr/bin/su"));
    Files.setAttribute(p("usr/bin/tool"), "unix:mode", 04755);
    Files.write(p("usr/bin/tool"), data(2, 32), APPEND);
    assertEquals("4755 0:0", modeAndOwner("usr/bin/tool"));
    Files.setAttribute(p("data/4096.bin"), "unix:mode", 02750);
    assertEquals("2750 65534:1000", modeAndOwner("data/4096.bin"));
    // the set-group-ID bit of a group-executable file goes with a chgrp too
    Files.setAttribute(p("usr/local/setgid-file"), "unix:gid", 0);
    assertEquals("711 0:0", modeAndOwner("usr/local/setgid-file"));
  }

  @Test
  void aSetGroupIdDirectoryGivesItsGroupToNewEntries() throws IOException {
    // usr/local is 02755 root:1000 in the image
    Files.createFile(p("usr/local/f"));
    Files.createDirectory(p("usr/local/d"));
    assertEquals("644 0:1000", modeAndOwner("usr/local/f"));
    assertEquals("2755 0:1000", modeAndOwner("usr/local/d"), "a new directory keeps the bit");
  }

  /**
   * Linux moves a file's change time ({@code unix:ctime}) at each change of its metadata or
   * data: a mode, a write, times set (to any time), a new name by a hard link, a rename.
   */
  @Test
  void eachChangeOfAFileMovesItsChangeTime() throws Exception {
    Path file = Files.writeString(p("ctime-file"), "a");
    List<String> steps = List.of("chmod", "append", "set times", "hard link", "rename");
    FileTime before = (FileTime) Files.getAttribute(file, "unix:ctime");
    for (String step : steps) {
      Thread.sleep(30); // past the kernel's clock tick, which stamps its times
      switch (step) {
        case "chmod" -> Files.setPosixFilePermissions(file,
            PosixFilePermissions.fromString("rw-------"));
        case "append" -> Files.writeString(file, "b", StandardOpenOption.APPEND);
        case "set times" -> Files.setLastModifiedTime(file, FileTime.fromMillis(1_000));
        case "hard link" -> Files.createLink(p("ctime-link"), file);
        default -> file = Files.move(file, p("ctime-moved"));
      }
      FileTime after = (FileTime) Files.getAttribute(file, "unix:ctime");
      assertTrue(after.compareTo(before) > 0, step + ": " + before + " then " + after);
      assertTrue(after.compareTo(Files.getLastModifiedTime(file)) >= 0, step);
      before = after;
    }
  }

  /**
   * A file keeps its key ({@code fileKey}, {@code unix:ino}) through changes of its metadata and
   * data, a hard link, a rename and a reopen, as a Linux inode does; in a container a file of the
   * image too, whose first change copies it up (overlayfs keeps such a file's inode number).
   */
  @Test
  void aFileKeepsItsKeyThroughItsChanges() throws Exception {
    Path file = p("etc/os-release");
    Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    Object ino = Files.getAttribute(file, "unix:ino");
    assertEquals(1, Files.getAttribute(file, "unix:nlink"), "the fixture gives it one name");
    List<String> steps = List.of("chmod", "append", "hard link", "rename", "reopen");
    for (String step : steps) {
      switch (step) {
        case "chmod" -> Files.setPosixFilePermissions(file,
            PosixFilePermissions.fromString("rw-------"));
        case "append" -> Files.writeString(file, "b", StandardOpenOption.APPEND);
        case "hard link" -> assertEquals(key, Files.readAttributes(
            Files.createLink(p("etc/key-link"), file), BasicFileAttributes.class).fileKey());
        case "rename" -> file = Files.move(file, p("etc/key-moved"));
        default -> {
          reopen();
          file = p("etc/key-moved");
        }
      }
      assertEquals(key, Files.readAttributes(file, BasicFileAttributes.class).fileKey(), step);
      assertEquals(ino, Files.getAttribute(file, "unix:ino"), step);
    }
  }

  /** A directory keeps its key through a change of its mode, a new child, a rename and a reopen. */
  @Test
  void aDirectoryKeepsItsKeyThroughItsChanges() throws Exception {
    Path dir = p("data/nested/a");
    Object key = Files.readAttributes(dir, BasicFileAttributes.class).fileKey();
    List<String> steps = List.of("chmod", "new child", "rename", "reopen");
    for (String step : steps) {
      switch (step) {
        case "chmod" -> Files.setPosixFilePermissions(dir,
            PosixFilePermissions.fromString("rwxr-x---"));
        case "new child" -> Files.writeString(dir.resolve("child"), "c");
        case "rename" -> dir = Files.move(dir, p("data/nested/renamed"));
        default -> {
          reopen();
          dir = p("data/nested/renamed");
        }
      }
      assertEquals(key, Files.readAttributes(dir, BasicFileAttributes.class).fileKey(), step);
    }
  }

  // ---------------------------------------------------------------- user xattrs

  @Test
  void userXattrsWriteReadListAndDelete() throws IOException {
    assumeTrue(storesUserXattrs(), "the tree's file system stores user xattrs");
    UserDefinedFileAttributeView view = userView("etc/os-release");
    assertEquals(List.of(), view.list());
    assertEquals(7, view.write("comment", ByteBuffer.wrap(data(7, 17))));
    assertEquals(3, view.write("b", ByteBuffer.wrap(data(3, 18))));
    assertEquals(List.of("b", "comment"), sorted(view.list()));
    assertEquals(7, view.size("comment"));
    assertArrayEquals(data(7, 17), read(view, "comment"));
    assertEquals(1, view.write("comment", ByteBuffer.wrap(data(1, 19))), "replaces the value");
    assertArrayEquals(data(1, 19), read(view, "comment"));
    assertEquals(0, view.write("empty", ByteBuffer.allocate(0)));
    assertEquals(0, view.size("empty"));
    view.delete("b");
    assertEquals(List.of("comment", "empty"), sorted(view.list()));
    assertEquals("ID=contract\nVERSION=2\n", Files.readString(p("etc/os-release")));
    assertArrayEquals(data(1, 19), (byte[]) Files.getAttribute(p("etc/os-release"),
        "user:comment"));
  }

  /**
   * Linux's limits on an extended attribute, the file system's aside: a name of at most 255
   * bytes with its {@code user.} prefix ({@code ERANGE}), a value of at most 64 KiB
   * ({@code E2BIG}); a refused write changes nothing.
   */
  @Test
  void userXattrNamesAndValuesKeepLinuxLimits() throws IOException {
    assumeTrue(storesUserXattrs(), "the tree's file system stores user xattrs");
    UserDefinedFileAttributeView view = userView("etc/os-release");
    String longest = "a".repeat(248) + "\u00e9"; // "user." and 250 bytes
    view.write(longest, ByteBuffer.wrap(data(3, 1)));
    FileSystemException name = fails(FileSystemException.class,
        () -> view.write("b" + longest, ByteBuffer.wrap(data(3, 1))));
    FileSystemException value = fails(FileSystemException.class,
        () -> view.write("big", ByteBuffer.wrap(new byte[65537])));
    assertEquals("'user.b" + longest + "' is too big", name.getReason());
    assertEquals(p("etc/os-release").toString(), name.getFile());
    assertEquals("Error writing extended attribute 'big': Argument list too long",
        value.getReason());
    fails(FileSystemException.class, () -> view.size("b" + longest));
    fails(FileSystemException.class, () -> view.delete("b" + longest));
    assertEquals(List.of(longest), view.list());
    assertArrayEquals(data(3, 1), read(view, longest));
  }

  /**
   * rmdir(2) and rename(2) refuse a last name {@code .}, {@code ..} or {@code /} whatever it
   * names (EINVAL, ENOTEMPTY, EBUSY), so such a path never removes or renames the directory it
   * names; and link(2)'s and rename(2)'s errors name both paths, as the JDK's do.
   */
  @Test
  void dotNamesAreNeitherRemovedNorMovedAndBothPathsAreNamed() throws IOException {
    Path e = p("data/dots/e");
    Files.createDirectories(e);
    Path f = p("data/dots/f");
    Files.writeString(f, "f");
    Path z = p("data/dots/z");
    FileSystemException x = assertThrows(FileSystemException.class,
        () -> Files.delete(e.resolve(".")));
    assertEquals("Invalid argument", x.getReason());
    assertEquals(e.resolve(".").toString(), x.getFile());
    assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(e.resolve("..")));
    NoSuchFileException missing = assertThrows(NoSuchFileException.class,
        () -> Files.delete(p("data/dots/nope/.")));
    assertThrows(FileAlreadyExistsException.class, () -> Files.createFile(f.resolve(".")));
    assertThrows(FileAlreadyExistsException.class,
        () -> Files.newByteChannel(p("data/dots/nope/."), CREATE_NEW, WRITE));
    x = assertThrows(FileSystemException.class,
        () -> Files.delete(e.getFileSystem().getPath("/")));
    assertEquals("Device or resource busy", x.getReason());
    for (java.nio.file.CopyOption[] options : List.of(new java.nio.file.CopyOption[0],
        new java.nio.file.CopyOption[] {ATOMIC_MOVE})) {
      x = assertThrows(FileSystemException.class, () -> Files.move(e.resolve("."), z, options));
      assertEquals("Device or resource busy", x.getReason());
      assertEquals(z.toString(), x.getOtherFile());
      if (options.length == 0) {
        Files.move(e.resolve("."), e); // one directory: the JDK finds nothing to do
      } else {
        assertThrows(FileSystemException.class, () -> Files.move(e.resolve("."), e, options));
      }
    }
    missing = assertThrows(NoSuchFileException.class,
        () -> Files.move(e, p("data/dots/nope/.")));
    assertEquals(p("data/dots/nope/.").toString(), missing.getOtherFile());
    assertThrows(FileAlreadyExistsException.class, () -> Files.move(f, e.resolve("..")));
    assertThrows(DirectoryNotEmptyException.class,
        () -> Files.move(f, e.resolve(".."), REPLACE_EXISTING));
    x = assertThrows(FileSystemException.class,
        () -> Files.move(f, e.resolve("."), ATOMIC_MOVE));
    assertEquals("Device or resource busy", x.getReason());
    assertTrue(Files.isDirectory(e));
    assertFalse(Files.exists(z, NOFOLLOW_LINKS));
    assertEquals("f", Files.readString(f));
    missing = assertThrows(NoSuchFileException.class,
        () -> Files.move(p("data/dots/nope"), z, ATOMIC_MOVE));
    assertEquals(z.toString(), missing.getOtherFile());
    FileAlreadyExistsException taken = assertThrows(FileAlreadyExistsException.class,
        () -> Files.createLink(f, p("data/one")));
    assertEquals(f.toString(), taken.getFile());
    assertEquals(p("data/one").toString(), taken.getOtherFile());
    missing = assertThrows(NoSuchFileException.class,
        () -> Files.createLink(p("data/dots/nope/l"), f));
    assertEquals(f.toString(), missing.getOtherFile());
  }

  /**
   * A move's error names the path it is about, as the JDK's Linux provider names it: an existing
   * target not to be replaced and a non-empty directory in the target's place name the target
   * (and only it), a missing source the source.
   */
  @Test
  void aMovesErrorsNameThePathTheyAreAbout() throws IOException {
    Files.write(p("data/mover"), data(3, 1));
    Files.createDirectories(p("data/full/inside"));
    Files.write(p("data/taken"), data(3, 2));
    FileAlreadyExistsException exists = fails(FileAlreadyExistsException.class,
        () -> Files.move(p("data/mover"), p("data/taken")));
    assertEquals(p("data/taken").toString(), exists.getFile());
    assertNull(exists.getOtherFile());
    DirectoryNotEmptyException full = fails(DirectoryNotEmptyException.class,
        () -> Files.move(p("data/mover"), p("data/full"), REPLACE_EXISTING));
    assertEquals(p("data/full").toString(), full.getFile());
    assertNull(full.getOtherFile());
    NoSuchFileException missing = fails(NoSuchFileException.class,
        () -> Files.move(p("data/absent"), p("data/taken"), REPLACE_EXISTING));
    assertEquals(p("data/absent").toString(), missing.getFile());
    assertArrayEquals(data(3, 1), bytes("data/mover"));
    assertArrayEquals(data(3, 2), bytes("data/taken"));
  }

  /**
   * An empty name (the bare {@code user.} prefix) names no attribute: every call on it fails with
   * Linux's EINVAL, in the JDK's words, once the file is reached; nothing is written.
   */
  @Test
  void userXattrsOfAnEmptyNameAreInvalid() throws IOException {
    assumeTrue(storesUserXattrs(), "the tree's file system stores user xattrs");
    UserDefinedFileAttributeView view = userView("data/4096.bin");
    assertEquals("Error writing extended attribute '': Invalid argument",
        fails(FileSystemException.class, () -> view.write("", ByteBuffer.wrap(data(2, 1))))
            .getReason());
    assertEquals("Unable to get size of extended attribute '': Invalid argument",
        fails(FileSystemException.class, () -> view.size("")).getReason());
    assertEquals("Error reading extended attribute '': Invalid argument",
        fails(FileSystemException.class, () -> view.read("", ByteBuffer.allocate(4)))
            .getReason());
    assertEquals("Unable to delete extended attribute '': Invalid argument",
        fails(FileSystemException.class, () -> view.delete("")).getReason());
    assertEquals(List.of(), view.list());
    fails(NoSuchFileException.class, () -> userView("data/absent").size(""));
  }

  /**
   * ENODATA from getxattr(2) and removexattr(2), ERANGE for a buffer too small: a plain
   * {@code FileSystemException} whose reason names the call and the attribute, in the JDK's
   * words, as code that reports or matches them sees them.
   */
  @Test
  void userXattrsOfMissingNamesFail() throws IOException {
    assumeTrue(storesUserXattrs(), "the tree's file system stores user xattrs");
    UserDefinedFileAttributeView view = userView("data/4096.bin");
    assertEquals("Unable to get size of extended attribute 'absent': No data available",
        fails(FileSystemException.class, () -> view.size("absent")).getReason());
    assertEquals("Error reading extended attribute 'absent': No data available",
        fails(FileSystemException.class,
            () -> view.read("absent", ByteBuffer.allocate(10))).getReason());
    assertEquals("Unable to delete extended attribute 'absent': No data available",
        fails(FileSystemException.class, () -> view.delete("absent")).getReason());
    assertEquals("Unable to get size of extended attribute 'absent': No data available",
        fails(FileSystemException.class,
            () -> Files.readAttributes(p("data/4096.bin"), "user:absent")).getReason());
    view.write("tag", ByteBuffer.wrap(data(5, 1)));
    ByteBuffer small = ByteBuffer.allocate(4);
    assertEquals("Error reading extended attribute 'tag': Insufficient space in buffer",
        fails(FileSystemException.class, () -> view.read("tag", small)).getReason());
    assertEquals(0, small.position(), "nothing read");
    fails(IllegalArgumentException.class,
        () -> view.read("tag", ByteBuffer.allocate(5).asReadOnlyBuffer()));
    assertArrayEquals(Fixture.data("data/4096.bin"), bytes("data/4096.bin"));
  }

  @Test
  void userXattrsOnDirectoriesAndNewFiles() throws IOException {
    assumeTrue(storesUserXattrs(), "the tree's file system stores user xattrs");
    userView("data/nested").write("d", ByteBuffer.wrap(data(4, 20)));
    assertArrayEquals(data(4, 20), read(userView("data/nested"), "d"));
    assertEquals(List.of("a"), names("data/nested"));
    Files.createFile(p("tmp/new"));
    userView("tmp/new").write("n", ByteBuffer.wrap(data(5, 21)));
    assertArrayEquals(data(5, 21), read(userView("tmp/new"), "n"));
    userView("links/rel").write("via", ByteBuffer.wrap(data(2, 22)));
    assertEquals(List.of("via"), userView("data/one").list(), "through the link");
  }

  @Test
  void userXattrsMoveWithTheFileAndCopyOnlyWithCopyAttributes() throws IOException {
    assumeTrue(storesUserXattrs(), "the tree's file system stores user xattrs");
    userView("data/4095.bin").write("tag", ByteBuffer.wrap(data(6, 23)));
    Files.move(p("data/4095.bin"), p("etc/moved"));
    assertArrayEquals(data(6, 23), read(userView("etc/moved"), "tag"));
    Files.copy(p("etc/moved"), p("etc/plain-copy"));
    assertEquals(List.of(), userView("etc/plain-copy").list());
    Files.copy(p("etc/moved"), p("etc/attr-copy"), COPY_ATTRIBUTES);
    assertArrayEquals(data(6, 23), read(userView("etc/attr-copy"), "tag"));
  }

  /**
   * A symbolic link itself has no {@code user:} attributes to read or write: the JDK's view
   * opens it with {@code O_NOFOLLOW} and says so; followed, the link reaches its target's.
   */
  @Test
  void userXattrsOfALinkNotFollowedAreRefused() throws IOException {
    assumeTrue(storesUserXattrs(), "the tree's file system stores user xattrs");
    UserDefinedFileAttributeView link = Files.getFileAttributeView(p("links/rel"),
        UserDefinedFileAttributeView.class, NOFOLLOW_LINKS);
    String reason =
        "Too many levels of symbolic links or unable to access attributes of symbolic link";
    assertEquals(reason, fails(FileSystemException.class, link::list).getReason());
    assertEquals(reason, fails(FileSystemException.class,
        () -> link.write("a", ByteBuffer.wrap(data(1, 1)))).getReason());
    assertEquals(reason, fails(FileSystemException.class, () -> link.size("a")).getReason());
    assertEquals(reason, fails(FileSystemException.class, () -> link.delete("a")).getReason());
    fails(FileSystemException.class,
        () -> Files.readAttributes(p("links/rel"), "user:*", NOFOLLOW_LINKS));
    assertEquals(List.of(), userView("data/one").list(), "nothing reached the target");
    userView("links/rel").write("b", ByteBuffer.wrap(data(1, 2)));
    assertEquals(List.of("b"), userView("data/one").list());
  }

  /**
   * A file store's space by name, as {@code getAttribute} reads it: each the call's own, another
   * name unsupported.
   */
  @Test
  void theFileStoreAnswersItsSpaceByName() throws IOException {
    java.nio.file.FileStore store = Files.getFileStore(p("data/one"));
    assertEquals(store.getTotalSpace(), store.getAttribute("totalSpace"));
    assertTrue((Long) store.getAttribute("usableSpace") >= 0);
    assertTrue((Long) store.getAttribute("unallocatedSpace") >= 0);
    assertEquals("'bytesPerSector' not recognized", fails(UnsupportedOperationException.class,
        () -> store.getAttribute("bytesPerSector")).getMessage());
  }

  /**
   * The {@code dos} view, as the JDK's Linux provider gives it where user xattrs are kept: its
   * flags live in {@code user.DOSATTRIB} (written as {@code "0x21"} with a NUL), by class and by
   * name; an invalid value is an error; a link not followed is refused, as for the user view.
   * Commons IO's {@code PathUtils.setReadOnly} takes this view where it exists.
   */
  @Test
  void theDosViewKeepsItsFlagsInAUserXattr() throws IOException {
    assumeTrue(storesUserXattrs(), "the tree's file system stores user xattrs");
    Path file = p("data/one");
    assertTrue(file.getFileSystem().supportedFileAttributeViews().contains("dos"));
    assertTrue(Files.getFileStore(file).supportsFileAttributeView("dos"));
    assertTrue(Files.getFileStore(file).supportsFileAttributeView(
        java.nio.file.attribute.DosFileAttributeView.class));
    java.nio.file.attribute.DosFileAttributeView dos = Files.getFileAttributeView(file,
        java.nio.file.attribute.DosFileAttributeView.class);
    assertEquals("dos", dos.name());
    java.nio.file.attribute.DosFileAttributes none = dos.readAttributes();
    assertFalse(none.isReadOnly() || none.isHidden() || none.isSystem() || none.isArchive());
    assertEquals(Files.size(file), none.size());
    assertEquals(List.of(), userView("data/one").list(), "no flag set, nothing written");
    dos.setReadOnly(true);
    dos.setArchive(true);
    assertArrayEquals("0x21\0".getBytes(UTF_8), read(userView("data/one"), "DOSATTRIB"));
    java.nio.file.attribute.DosFileAttributes set = Files.readAttributes(file,
        java.nio.file.attribute.DosFileAttributes.class);
    assertTrue(set.isReadOnly() && set.isArchive() && !set.isHidden() && !set.isSystem());
    Files.writeString(file, "a read-only flag stops no write");
    Files.setAttribute(file, "dos:readonly", false);
    Files.setAttribute(file, "dos:hidden", true);
    assertEquals(Map.of("readonly", false, "hidden", true, "system", false, "archive", true),
        Files.readAttributes(file, "dos:readonly,hidden,system,archive"));
    assertEquals(13, Files.readAttributes(file, "dos:*").size());
    userView("data/one").write("DOSATTRIB", ByteBuffer.wrap("20".getBytes(UTF_8)));
    IOException invalid = fails(IOException.class, dos::readAttributes);
    assertEquals(IOException.class, invalid.getClass(), "no file named, as the JDK words it");
    assertEquals("Value of user.DOSATTRIB attribute is invalid", invalid.getMessage());
    assertEquals(
        "Too many levels of symbolic links or unable to access attributes of symbolic link",
        fails(FileSystemException.class, () -> Files.getFileAttributeView(p("links/rel"),
            java.nio.file.attribute.DosFileAttributeView.class, NOFOLLOW_LINKS)
            .setHidden(true)).getReason());
  }

  // ---------------------------------------------------------------- directory listings

  @Test
  void directoryStreamShowsCreatesAndDeletes() throws IOException {
    Files.createFile(p("data/x"));
    Files.createDirectory(p("data/sub"));
    Files.createSymbolicLink(p("data/l"), p("").getFileSystem().getPath("one"));
    Files.delete(p("data/one"));
    Files.move(p("data/4096.bin"), p("data/renamed"));
    List<String> expected = new ArrayList<>(Fixture.children("data"));
    expected.removeAll(List.of("one", "4096.bin"));
    expected.addAll(List.of("x", "sub", "l", "renamed"));
    expected.sort(null);
    assertEquals(expected, names("data"));
    List<String> globbed = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("data"), "*.bin")) {
      ds.forEach(q -> globbed.add(q.getFileName().toString()));
    }
    globbed.sort(null);
    assertEquals(List.of("100000.bin", "4095.bin"), globbed);
  }

  @Test
  void directoryStreamOfADirectoryMergedOverLayers() throws IOException {
    Files.delete(p("many/f000"));
    Files.delete(p("many/f299"));
    Files.writeString(p("many/f150"), "changed\n");
    Files.createFile(p("many/new"));
    List<String> names = names("many");
    assertEquals(Fixture.MANY - 1, names.size());
    assertFalse(names.contains("f000"));
    assertFalse(names.contains("f299"));
    assertTrue(names.contains("f150"));
    assertTrue(names.contains("new"));
    assertEquals("changed\n", Files.readString(p("many/f150")));
  }

  /**
   * Linux reads an open directory's entries at the first readdir: a stream lists what is there
   * when iteration starts, not when it was opened (the JDK's stream reads as it iterates).
   */
  @Test
  void aDirectoryStreamListsWhatIsThereWhenIterationStarts() throws IOException {
    Files.createDirectory(p("data/listed"));
    Files.createFile(p("data/listed/kept"));
    Files.createFile(p("data/listed/deleted"));
    List<String> seen = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("data/listed"))) {
      Files.delete(p("data/listed/deleted"));
      Files.createFile(p("data/listed/created"));
      ds.forEach(q -> seen.add(q.getFileName().toString()));
    }
    seen.sort(null);
    assertEquals(List.of("created", "kept"), seen);
    // a directory removed after the stream opened reads empty, as its open descriptor does
    Files.createDirectory(p("data/gone"));
    Files.createFile(p("data/gone/f"));
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("data/gone"))) {
      Files.delete(p("data/gone/f"));
      Files.delete(p("data/gone"));
      assertFalse(ds.iterator().hasNext());
    }
  }

  // ---------------------------------------------------------------- reopen

  @Test
  void changesOutliveReopening() throws IOException {
    Files.write(p("etc/os-release"), data(300, 24));
    try (FileChannel ch = FileChannel.open(p("data/4096.bin"), WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {5}), 10_000);
    }
    try (FileChannel ch = FileChannel.open(p("etc/conf"), WRITE)) {
      ch.truncate(7);
    }
    Files.delete(p("data/one"));
    Files.move(p("data/nested"), p("moved"));
    Files.createDirectories(p("d1/d2"));
    Files.createSymbolicLink(p("d1/link"), p("").getFileSystem().getPath("../moved/a"));
    Files.write(p("d1/h1"), data(30, 25));
    Files.createLink(p("d1/h2"), p("d1/h1"));
    Files.setPosixFilePermissions(p("usr/bin/tool"), Checks.perms(0711));
    FileTime t = FileTime.from(Instant.parse("2018-02-03T04:05:06.789Z"));
    Files.setLastModifiedTime(p("data/4095.bin"), t);
    Files.setAttribute(p("data/empty"), "unix:uid", 4242);

    reopen();

    assertArrayEquals(data(300, 24), bytes("etc/os-release"));
    assertEquals(10_001L, Files.size(p("data/4096.bin")));
    assertArrayEquals(Arrays.copyOf(Fixture.data("etc/conf"), 7), bytes("etc/conf"));
    assertFalse(Files.exists(p("data/one"), NOFOLLOW_LINKS));
    assertFalse(Files.exists(p("data/nested"), NOFOLLOW_LINKS));
    assertEquals("deep\n", Files.readString(p("d1/link/b/deep.txt")));
    assertEquals(List.of("d2", "h1", "h2", "link"), names("d1"));
    assertEquals(2, nlink("d1/h2"));
    Files.write(p("d1/h2"), data(1, 26), APPEND);
    assertEquals(31L, Files.size(p("d1/h1")), "still one file after reopening");
    assertEquals(0711, mode("usr/bin/tool"));
    assertEquals(t, Files.getLastModifiedTime(p("data/4095.bin")));
    assertEquals("644 4242:0", modeAndOwner("data/empty"));
  }

  @Test
  void deletedAndRecreatedDirectoriesOutliveReopening() throws IOException {
    Files.delete(p("opaque/new"));
    Files.delete(p("opaque"));
    Files.createDirectory(p("opaque"));
    Files.writeString(p("opaque/again"), "again\n");
    Files.delete(p("tmp"));
    Files.delete(p("etc/was-file/inner"));
    Files.delete(p("etc/was-file"));
    Files.writeString(p("etc/was-file"), "a file again\n");

    reopen();

    assertEquals(List.of("again"), names("opaque"));
    assertFalse(Files.exists(p("tmp"), NOFOLLOW_LINKS));
    assertFalse(names("").contains("tmp"));
    assertEquals("a file again\n", Files.readString(p("etc/was-file")));
    fails(FileSystemException.class, () -> Files.readAllBytes(p("etc/was-file/inner")));
  }

  @Test
  void userXattrsOutliveReopening() throws IOException {
    assumeTrue(storesUserXattrs(), "the tree's file system stores user xattrs");
    userView("etc/conf").write("kept", ByteBuffer.wrap(data(8, 27)));
    userView("data/nested").write("dir", ByteBuffer.wrap(data(2, 28)));
    userView("many/f000").write("gone", ByteBuffer.wrap(data(2, 29)));
    userView("many/f000").delete("gone");

    reopen();

    assertArrayEquals(data(8, 27), read(userView("etc/conf"), "kept"));
    assertArrayEquals(data(2, 28), read(userView("data/nested"), "dir"));
    assertEquals(List.of(), userView("many/f000").list());
  }

  /**
   * When several errors apply to a move, the one Linux reports wins: a missing source before a
   * target beneath it or a missing target parent; a target inside the source before the rest.
   */
  @Test
  void moveReportsTheErrorLinuxReports() {
    fails(NoSuchFileException.class, () -> Files.move(p("nope"), p("nope/sub")));
    fails(NoSuchFileException.class, () -> Files.move(p("nope"), p("nowhere/x")));
    fails(NoSuchFileException.class,
        () -> Files.move(p("nope"), p("data/one"), REPLACE_EXISTING));
    fails(NoSuchFileException.class, () -> Files.move(p("data/one"), p("nowhere/x")));
    fails(FileSystemException.class, () -> Files.move(p("usr"), p("usr/local/x")));
    // the JDK sees the existing target before rename(2) could say EINVAL
    fails(FileAlreadyExistsException.class, () -> Files.move(p("usr"), p("usr/local")));
    fails(NoSuchFileException.class, () -> Files.move(p("nope"), p("nope/sub"), ATOMIC_MOVE));
    fails(NoSuchFileException.class, () -> Files.move(p("nope"), p("nowhere/x"), ATOMIC_MOVE));
    fails(FileSystemException.class, () -> Files.move(p("usr"), p("usr/local/x"), ATOMIC_MOVE));
    fails(FileAlreadyExistsException.class, () -> Files.move(p("data/one"), p("data/empty")));
    fails(DirectoryNotEmptyException.class,
        () -> Files.move(p("data/one"), p("usr"), REPLACE_EXISTING));
  }

  /** Kinds of source for {@link #moveAndCopyErrorsMatchTheDefaultProviderInEveryCombination}. */
  private static final List<String> SOURCES =
      List.of("missing", "file", "emptyDir", "fullDir", "linkToDir", "danglingLink");

  /** Kinds of target: where it is, and what is there already. */
  private static final List<String> TARGETS = List.of("free", "noParent", "parentIsFile",
      "insideSource", "source", "file", "emptyDir", "fullDir", "linkToDir");

  private static final List<String> OPERATIONS =
      List.of("move", "move-replace", "move-atomic", "copy", "copy-replace");

  /**
   * Every combination of a source kind, a target kind and an operation, run on the tree and on
   * a scratch directory of the default provider, must end in the same outcome (which exception,
   * or success) and the same state of both names: when several errors apply, the one Linux
   * reports wins (issue 16, "which error wins"). On the control this compares the host with
   * itself.
   */
  @Test
  void moveAndCopyErrorsMatchTheDefaultProviderInEveryCombination() throws IOException {
    Path host = Files.createTempDirectory("layerfs-precedence-");
    try {
      List<String> differences = new ArrayList<>();
      int n = 0;
      for (String source : SOURCES) {
        for (String target : TARGETS) {
          for (String op : OPERATIONS) {
            String name = "precedence" + n++;
            String mine = precedenceCase(p(name), source, target, op);
            String theirs = precedenceCase(host.resolve(name), source, target, op);
            if (!mine.equals(theirs)) {
              differences.add(op + " " + source + " -> " + target + ": " + mine + " instead of "
                  + theirs);
            }
          }
        }
      }
      assertEquals(List.of(), differences);
      assertEquals(SOURCES.size() * TARGETS.size() * OPERATIONS.size(), n);
    } finally {
      try (var walk = Files.walk(host)) {
        for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(q);
        }
      }
    }
  }

  /** Sets up one case in a new directory {@code dir}; returns its outcome and the names after. */
  private static String precedenceCase(Path dir, String source, String target, String op)
      throws IOException {
    Files.createDirectory(dir);
    Path s = dir.resolve("s");
    switch (source) {
      case "file" -> Files.writeString(s, "source");
      case "emptyDir" -> Files.createDirectory(s);
      case "fullDir" -> {
        Files.createDirectory(s);
        Files.writeString(s.resolve("inner"), "inner");
      }
      case "linkToDir" -> {
        Files.createDirectory(dir.resolve("real"));
        Files.createSymbolicLink(s, dir.getFileSystem().getPath("real"));
      }
      case "danglingLink" -> Files.createSymbolicLink(s, dir.getFileSystem().getPath("nowhere"));
      default -> { } // missing
    }
    Path t = switch (target) {
      case "noParent" -> dir.resolve("absent/t");
      case "parentIsFile" -> {
        Files.writeString(dir.resolve("plain"), "plain");
        yield dir.resolve("plain/t");
      }
      case "insideSource" -> s.resolve("t");
      case "source" -> s;
      default -> dir.resolve("t");
    };
    switch (target) {
      case "file" -> Files.writeString(t, "target");
      case "emptyDir" -> Files.createDirectory(t);
      case "fullDir" -> {
        Files.createDirectory(t);
        Files.writeString(t.resolve("inner"), "inner");
      }
      case "linkToDir" -> {
        Files.createDirectories(dir.resolve("other"));
        Files.createSymbolicLink(t, dir.getFileSystem().getPath("other"));
      }
      default -> { }
    }
    String outcome;
    try {
      switch (op) {
        case "move" -> Files.move(s, t);
        case "move-replace" -> Files.move(s, t, REPLACE_EXISTING);
        case "move-atomic" -> Files.move(s, t, ATOMIC_MOVE);
        case "copy" -> Files.copy(s, t);
        default -> Files.copy(s, t, REPLACE_EXISTING);
      }
      outcome = "ok";
    } catch (IOException | RuntimeException e) {
      outcome = Checks.apiType(e).getSimpleName();
    }
    List<String> after = new ArrayList<>();
    try (var walk = Files.walk(dir)) {
      for (Path q : walk.sorted().toList()) {
        after.add(dir.relativize(q) + (Files.isSymbolicLink(q) ? "@"
            : Files.isDirectory(q, NOFOLLOW_LINKS) ? "/" : ""));
      }
    }
    return outcome + " " + after;
  }

  // ---------------------------------------------------------------- arguments and result types

  /** An option no provider knows. */
  private static final class OddOption implements java.nio.file.OpenOption,
      java.nio.file.CopyOption {}

  @Test
  void unknownOpenOptionsAreUnsupportedAndCreateNothing() {
    OddOption odd = new OddOption();
    fails(UnsupportedOperationException.class,
        () -> Files.newByteChannel(p("data/new"), java.util.Set.of(CREATE, WRITE, odd)).close());
    fails(UnsupportedOperationException.class,
        () -> Files.newOutputStream(p("data/new"), CREATE, odd).close());
    fails(UnsupportedOperationException.class,
        () -> FileChannel.open(p("data/new"), CREATE, WRITE, odd).close());
    fails(UnsupportedOperationException.class,
        () -> Files.newInputStream(p("data/one"), odd).close());
    assertFalse(Files.exists(p("data/new"), NOFOLLOW_LINKS));
  }

  @Test
  void nullOpenOptionsAreNullPointers() {
    java.util.Set<java.nio.file.OpenOption> withNull = new java.util.HashSet<>();
    withNull.add(null);
    withNull.add(READ);
    fails(NullPointerException.class, () -> Files.newByteChannel(p("data/one"), withNull).close());
    fails(NullPointerException.class,
        () -> Files.newInputStream(p("data/one"), (java.nio.file.OpenOption) null).close());
    fails(NullPointerException.class,
        () -> FileChannel.open(p("data/new"), CREATE, WRITE, null).close());
    assertFalse(Files.exists(p("data/new"), NOFOLLOW_LINKS));
  }

  @Test
  void unknownOrNullCopyOptionsChangeNothing() throws IOException {
    OddOption odd = new OddOption();
    fails(UnsupportedOperationException.class, () -> Files.copy(p("data/one"), p("data/c"), odd));
    fails(NullPointerException.class,
        () -> Files.copy(p("data/one"), p("data/c"), (java.nio.file.CopyOption) null));
    fails(UnsupportedOperationException.class, () -> Files.move(p("data/one"), p("data/m"), odd));
    fails(UnsupportedOperationException.class,
        () -> Files.move(p("data/one"), p("data/m"), COPY_ATTRIBUTES));
    fails(NullPointerException.class,
        () -> Files.move(p("data/one"), p("data/m"), (java.nio.file.CopyOption) null));
    assertFalse(Files.exists(p("data/c"), NOFOLLOW_LINKS));
    assertFalse(Files.exists(p("data/m"), NOFOLLOW_LINKS));
    assertArrayEquals(Fixture.data("data/one"), bytes("data/one"));
  }

  @Test
  void nullArgumentsAreNullPointersAndChangeNothing() throws IOException {
    fails(NullPointerException.class, () -> Files.isSameFile(p("data/one"), null));
    fails(NullPointerException.class, () -> Files.setOwner(p("data/one"), null));
    fails(NullPointerException.class, () -> Files.getFileAttributeView(p("data/one"),
        java.nio.file.attribute.PosixFileAttributeView.class).setGroup(null));
    fails(NullPointerException.class, () -> Files.setPosixFilePermissions(p("data/one"), null));
    fails(NullPointerException.class,
        () -> Files.setAttribute(p("data/one"), "posix:permissions", null));
    fails(NullPointerException.class,
        () -> Files.setAttribute(p("data/one"), "posix:owner", null));
    fails(NullPointerException.class, () -> Files.setLastModifiedTime(p("data/one"), null));
    assertEquals("600 1000:1000", modeAndOwner("data/one"));
    // null times mean "leave it", also through setAttribute
    FileTime before = Files.getLastModifiedTime(p("data/one"));
    Files.setAttribute(p("data/one"), "lastModifiedTime", null);
    Files.getFileAttributeView(p("data/one"), BasicFileAttributeView.class)
        .setTimes(null, null, null);
    assertEquals(before, Files.getLastModifiedTime(p("data/one")));
  }

  @Test
  void nullXattrNamesAreNullPointers() throws IOException {
    assumeTrue(storesUserXattrs(), "the host file system stores no user xattrs");
    UserDefinedFileAttributeView view = userView("data/one");
    fails(NullPointerException.class, () -> view.write(null, ByteBuffer.allocate(1)));
    fails(NullPointerException.class, () -> view.read(null, ByteBuffer.allocate(1)));
    fails(NullPointerException.class, () -> view.size(null));
    fails(NullPointerException.class, () -> view.delete(null));
    assertFalse(view.list().contains("null"), view.list().toString());
  }

  @Test
  void readingIntoAReadOnlyBufferIsAnIllegalArgument() throws IOException {
    try (FileChannel c = FileChannel.open(p("data/one"))) {
      fails(IllegalArgumentException.class,
          () -> c.read(ByteBuffer.allocate(4).asReadOnlyBuffer()));
      fails(IllegalArgumentException.class,
          () -> c.read(ByteBuffer.allocate(4).asReadOnlyBuffer(), 0));
      assertEquals(0, c.position());
    }
    try (SeekableByteChannel c = Files.newByteChannel(p("data/one"))) {
      fails(IllegalArgumentException.class,
          () -> c.read(ByteBuffer.allocate(4).asReadOnlyBuffer()));
    }
  }

  /**
   * Scatter reads and gather writes check their range of buffers first, then the channel, as
   * the JDK's do: a range past the array is out of bounds, empty buffers on a channel not open
   * for the call still refuse it.
   */
  @Test
  void scatterAndGatherCheckTheirRangeAndChannelFirst() throws IOException {
    Files.write(p("data/gather"), data(8, 3));
    ByteBuffer[] two = {ByteBuffer.allocate(2), null};
    try (FileChannel reader = FileChannel.open(p("data/gather"), READ);
        FileChannel writer = FileChannel.open(p("data/gather"), WRITE)) {
      fails(IndexOutOfBoundsException.class, () -> reader.read(two, 1, 2));
      fails(IndexOutOfBoundsException.class, () -> reader.read(two, -1, 1));
      fails(IndexOutOfBoundsException.class, () -> writer.write(two, 2, 1));
      fails(NonReadableChannelException.class, () -> writer.read(new ByteBuffer[0]));
      fails(NonWritableChannelException.class, () -> reader.write(new ByteBuffer[0]));
      ByteBuffer[] parts = {ByteBuffer.allocate(3), ByteBuffer.allocate(0), ByteBuffer.allocate(9)};
      assertEquals(8L, reader.read(parts, 0, 3));
      assertEquals(8L, reader.position());
      assertEquals(-1L, reader.read(parts, 0, 3));
    }
    assertEquals("READ + APPEND not allowed", fails(IllegalArgumentException.class,
        () -> FileChannel.open(p("data/gather"), READ, APPEND)).getMessage());
    assertEquals("APPEND + TRUNCATE_EXISTING not allowed", fails(IllegalArgumentException.class,
        () -> FileChannel.open(p("data/gather"), APPEND, TRUNCATE_EXISTING)).getMessage());
    FileChannel closed = FileChannel.open(p("data/gather"), READ);
    closed.close();
    fails(IndexOutOfBoundsException.class, () -> closed.read(two, 3, 1));
    fails(ClosedChannelException.class, () -> closed.read(two, 0, 1));
    assertArrayEquals(data(8, 3), bytes("data/gather"));
  }

  @Test
  void attributesAndPrincipalsHaveTheTypesAskedFor() throws IOException {
    java.nio.file.attribute.BasicFileAttributes basic =
        Files.readAttributes(p("data/one"), java.nio.file.attribute.BasicFileAttributes.class);
    assertFalse(basic instanceof java.nio.file.attribute.PosixFileAttributes,
        basic.getClass().getName());
    java.nio.file.attribute.UserPrincipal owner = Files.getOwner(p("data/one"));
    assertFalse(owner instanceof java.nio.file.attribute.GroupPrincipal,
        owner.getClass().getName());
    java.nio.file.attribute.GroupPrincipal group = Files.readAttributes(p("data/one"),
        java.nio.file.attribute.PosixFileAttributes.class).group();
    assertEquals(group, Files.getAttribute(p("data/one"), "posix:group"));
    assertFalse(owner.equals(group), "a user and a group with one number are not equal");
    fails(ClassCastException.class,
        () -> Files.setAttribute(p("data/one"), "posix:group", owner)); // a user is no group
    assertEquals(group, Files.getAttribute(p("data/one"), "posix:group"));
  }

  @Test
  void aDirectorysUriEndsWithASlashSoResolvingKeepsIt() throws IOException {
    java.net.URI dir = p("etc").toUri();
    assertTrue(dir.getPath().endsWith("/"), dir.toString());
    assertEquals(p("etc/os-release").toUri(), dir.resolve("os-release"));
    assertFalse(p("etc/os-release").toUri().getPath().endsWith("/"));
    assertFalse(p("data/missing").toUri().getPath().endsWith("/"));
    assertEquals(p("etc").toAbsolutePath(), Path.of(dir));
  }

  @Test
  void mapWithANullModeIsANullPointer() throws IOException {
    try (FileChannel c = FileChannel.open(p("data/one"))) {
      fails(NullPointerException.class, () -> c.map(null, 0, 1));
    }
  }

  @Test
  void mappingPastTheEndGrowsAWritableFileInEveryMode() throws IOException {
    byte[] one = Fixture.data("data/one");
    try (FileChannel c = FileChannel.open(p("data/one"), READ, WRITE)) {
      java.nio.MappedByteBuffer ro = c.map(FileChannel.MapMode.READ_ONLY, 0, one.length + 100);
      assertEquals(one.length + 100, c.size());
      assertEquals(one[0], ro.get(0));
      assertEquals(0, ro.get(one.length + 99));
      c.map(FileChannel.MapMode.PRIVATE, 0, one.length + 200);
      assertEquals(one.length + 200, c.size());
      fails(IllegalArgumentException.class,
          () -> c.map(FileChannel.MapMode.READ_ONLY, 0, 3L << 30));
      fails(IllegalArgumentException.class,
          () -> c.map(FileChannel.MapMode.READ_ONLY, Long.MAX_VALUE - 10, 100));
      assertEquals(one.length + 200, c.size());
    }
    assertEquals(one.length + 200, Files.size(p("data/one")));
    try (FileChannel c = FileChannel.open(p("etc/os-release"))) {
      long size = c.size();
      fails(IOException.class, () -> c.map(FileChannel.MapMode.READ_ONLY, 0, size + 1));
      fails(java.nio.channels.NonWritableChannelException.class,
          () -> c.map(FileChannel.MapMode.PRIVATE, 0, 1));
      assertEquals(size, c.size());
    }
  }

  /**
   * A write through a mapping changes the file's mtime, as a write through a channel does
   * (Linux: at the first write to the mapping); a mapping that writes nothing changes nothing.
   */
  @Test
  void aWriteThroughAMappingChangesTheModificationTime() throws IOException {
    FileTime old = FileTime.from(Instant.parse("2001-02-03T04:05:06Z"));
    Files.setLastModifiedTime(p("data/4096.bin"), old);
    try (FileChannel c = FileChannel.open(p("data/4096.bin"), READ, WRITE)) {
      c.map(FileChannel.MapMode.READ_WRITE, 0, 0);
    }
    assertEquals(old, Files.getLastModifiedTime(p("data/4096.bin")), "an empty mapping");
    try (FileChannel c = FileChannel.open(p("data/4096.bin"), READ, WRITE)) {
      java.nio.MappedByteBuffer b = c.map(FileChannel.MapMode.READ_WRITE, 1, 2);
      b.put(new byte[] {'x', 'y'});
      b.force();
    }
    FileTime now = Files.getLastModifiedTime(p("data/4096.bin"));
    assertTrue(now.toInstant().isAfter(Instant.now().minusSeconds(600)), now.toString());
    byte[] bytes = Fixture.data("data/4096.bin").clone();
    bytes[1] = 'x';
    bytes[2] = 'y';
    assertArrayEquals(bytes, Files.readAllBytes(p("data/4096.bin")));
    reopen();
    assertEquals(now, Files.getLastModifiedTime(p("data/4096.bin")));
    assertArrayEquals(bytes, Files.readAllBytes(p("data/4096.bin")));
  }

  @Test
  void deleteOnCloseRemovesTheNameAtOnceAndNeverFollowsALink() throws IOException {
    byte[] one = Fixture.data("data/one");
    try (SeekableByteChannel c = Files.newByteChannel(p("data/one"), READ,
        StandardOpenOption.DELETE_ON_CLOSE)) {
      assertFalse(Files.exists(p("data/one"), NOFOLLOW_LINKS), "unlinked when opened");
      ByteBuffer b = ByteBuffer.allocate(one.length + 1);
      assertEquals(one.length, c.read(b));
      assertArrayEquals(one, Arrays.copyOf(b.array(), one.length));
    }
    assertFalse(Files.exists(p("data/one"), NOFOLLOW_LINKS));
    try (SeekableByteChannel c = Files.newByteChannel(p("data/scratch"), CREATE, READ, WRITE,
        StandardOpenOption.DELETE_ON_CLOSE)) {
      assertFalse(Files.exists(p("data/scratch"), NOFOLLOW_LINKS));
      c.write(ByteBuffer.wrap("scratch".getBytes(UTF_8)));
      ByteBuffer b = ByteBuffer.allocate(7);
      c.position(0);
      assertEquals(7, c.read(b));
      assertEquals("scratch", new String(b.array(), UTF_8));
      Files.writeString(p("data/scratch"), "another file of that name");
    }
    assertEquals("another file of that name", Files.readString(p("data/scratch")));
    // O_NOFOLLOW: a link is ELOOP, which the default provider reports as a plain IOException
    fails(IOException.class, () -> Files.newByteChannel(p("links/rel"), READ,
        StandardOpenOption.DELETE_ON_CLOSE).close());
    fails(IOException.class, () -> Files.newByteChannel(p("links/rel"), WRITE,
        StandardOpenOption.DELETE_ON_CLOSE).close());
    fails(IOException.class, () -> Files.newByteChannel(p("links/dangling"), CREATE, WRITE,
        StandardOpenOption.DELETE_ON_CLOSE).close());
    assertTrue(Files.isSymbolicLink(p("links/rel")));
    assertTrue(Files.isSymbolicLink(p("links/dangling")));
    assertTrue(Files.exists(p("etc/os-release")));
    // unlink(2): a directory stays, an empty one too
    Files.createDirectory(p("data/empty-dir"));
    for (String dir : List.of("data/empty-dir", "data/nested")) {
      Files.newByteChannel(p(dir), READ, StandardOpenOption.DELETE_ON_CLOSE).close();
      assertTrue(Files.isDirectory(p(dir), NOFOLLOW_LINKS), dir);
    }
  }

  @Test
  void anOpenForWritingWithoutFollowingALinkFailsAsTheJdksOpen() throws IOException {
    // O_NOFOLLOW: ELOOP, which the default provider reports as a plain IOException
    for (String link : List.of("links/rel", "links/dangling", "links/dir")) {
      fails(IOException.class, () -> Files.newByteChannel(p(link), WRITE, NOFOLLOW_LINKS)
          .close());
      fails(IOException.class, () -> FileChannel.open(p(link), CREATE, READ, WRITE,
          NOFOLLOW_LINKS).close());
      assertTrue(Files.isSymbolicLink(p(link)), link);
    }
    assertFalse(Files.exists(p("links/missing-target"), NOFOLLOW_LINKS));
  }

  @Test
  void aMappingKeepsTheBytesOfItsFileAfterTheFileIsDeletedOrReplaced() throws IOException {
    byte[] first = data(200_000, 1);
    byte[] second = data(200_000, 2);
    Files.write(p("data/mapped"), first);
    Files.write(p("data/replaced"), first);
    java.nio.MappedByteBuffer deleted;
    java.nio.MappedByteBuffer replaced;
    try (FileChannel c = FileChannel.open(p("data/mapped"), READ)) {
      deleted = c.map(FileChannel.MapMode.READ_ONLY, 0, first.length);
    }
    try (FileChannel c = FileChannel.open(p("data/replaced"), READ, WRITE)) {
      replaced = c.map(FileChannel.MapMode.READ_WRITE, 0, first.length);
    }
    Files.delete(p("data/mapped"));
    Files.write(p("data/other"), second);
    Files.move(p("data/other"), p("data/replaced"), REPLACE_EXISTING);
    for (int i = 0; i < 5; i++) {
      Files.write(p("data/new-" + i), second); // new files must not take the mapped data
    }
    byte[] a = new byte[first.length];
    deleted.get(0, a);
    assertArrayEquals(first, a, "a deleted file's mapping");
    replaced.get(0, a);
    assertArrayEquals(first, a, "a replaced file's mapping");
    assertArrayEquals(second, bytes("data/replaced"));
  }

  @Test
  void onAnInterruptedThreadStreamsAndOpensCompleteAndChannelIoIsInterrupted()
      throws IOException {
    byte[] one = Fixture.data("data/one");
    FileChannel reader;
    FileChannel writer;
    Thread.currentThread().interrupt();
    try {
      assertArrayEquals(one, Files.readAllBytes(p("data/one")));
      try (java.io.InputStream in = Files.newInputStream(p("data/one"))) {
        assertArrayEquals(one, in.readAllBytes());
      }
      Files.writeString(p("data/written"), "written while interrupted");
      reader = FileChannel.open(p("data/one"));
      fails(java.nio.channels.ClosedByInterruptException.class,
          () -> reader.read(ByteBuffer.allocate(4)));
      // O_TRUNC is part of open(2), which an interrupt does not stop
      writer = FileChannel.open(p("etc/os-release"), WRITE, TRUNCATE_EXISTING);
      fails(java.nio.channels.ClosedByInterruptException.class,
          () -> writer.write(ByteBuffer.wrap("x".getBytes(UTF_8))));
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt stays set");
    } finally {
      Thread.interrupted();
    }
    assertFalse(reader.isOpen());
    assertFalse(writer.isOpen());
    assertEquals("written while interrupted", Files.readString(p("data/written")));
    assertEquals(0, Files.size(p("etc/os-release")));
    reopen();
    assertEquals(0, Files.size(p("etc/os-release")), "memory and log agree");
    assertEquals("written while interrupted", Files.readString(p("data/written")));
    assertArrayEquals(one, bytes("data/one"));
  }

  @Test
  void anInterruptClosesTheInterruptedChannelAloneAndChangesNothing() throws IOException {
    byte[] one = Fixture.data("data/one");
    ByteBuffer x = ByteBuffer.wrap("x".getBytes(UTF_8));
    try (FileChannel other = FileChannel.open(p("data/one"), READ, WRITE)) {
      List<FileChannel> interrupted = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        interrupted.add(FileChannel.open(p("data/one"), READ, WRITE));
      }
      FileChannel appender = FileChannel.open(p("data/one"), APPEND);
      FileChannel appenderAsked = FileChannel.open(p("data/one"), APPEND);
      interrupted.add(appender);
      interrupted.add(appenderAsked);
      Thread.currentThread().interrupt();
      try {
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> interrupted.get(0).read(ByteBuffer.allocate(4), 0));
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> interrupted.get(1).read(ByteBuffer.allocate(4)));
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> interrupted.get(2).write(x.duplicate(), 0));
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> interrupted.get(3).write(ByteBuffer.allocate(0)));
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> interrupted.get(4).size());
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> interrupted.get(5).truncate(1));
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> interrupted.get(6).position());
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> interrupted.get(7).position(1));
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> appender.write(x.duplicate()));
        fails(java.nio.channels.ClosedByInterruptException.class,
            () -> appenderAsked.position());
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt stays set");
      } finally {
        Thread.interrupted();
      }
      for (FileChannel ch : interrupted) {
        assertFalse(ch.isOpen(), () -> "interrupted channel " + interrupted.indexOf(ch)
            + " is closed");
        fails(java.nio.channels.ClosedChannelException.class,
            () -> ch.read(ByteBuffer.allocate(4), 0));
      }
      assertTrue(other.isOpen(), "another channel of the same file stays open");
      ByteBuffer all = ByteBuffer.allocate(one.length + 1);
      assertEquals(one.length, other.read(all, 0));
      assertArrayEquals(one, Arrays.copyOf(all.array(), one.length), "nothing was written");
      assertEquals(one.length, other.size());
    }
    assertArrayEquals(one, bytes("data/one"));
  }

  /**
   * A walk that follows links knows a directory it is already in by its file key: a link back
   * to an ancestor is a {@code FileSystemLoopException} at the link, a link to a directory
   * elsewhere is walked into, and two names of one directory are walked both.
   */
  @Test
  void aWalkFollowingLinksFindsLoopsByFileKey() throws IOException {
    Files.createDirectories(p("data/loop/a/b"));
    Files.writeString(p("data/loop/a/b/file"), "x");
    Files.createDirectories(p("data/elsewhere"));
    Files.writeString(p("data/elsewhere/there"), "y");
    Path fs = p("data").getFileSystem().getPath("");
    Files.createSymbolicLink(p("data/loop/a/b/up"), fs.resolve("../.."));
    Files.createSymbolicLink(p("data/loop/a/out"), fs.resolve("../../elsewhere"));
    List<String> events = new ArrayList<>();
    Path start = p("data/loop");
    Files.walkFileTree(start, java.util.EnumSet.of(java.nio.file.FileVisitOption.FOLLOW_LINKS),
        Integer.MAX_VALUE, new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult preVisitDirectory(Path dir,
              BasicFileAttributes attrs) {
            events.add("dir " + start.relativize(dir));
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            events.add("file " + start.relativize(file));
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
            events.add("failed " + start.relativize(file) + " " + e.getClass().getSimpleName());
            return java.nio.file.FileVisitResult.CONTINUE;
          }
        });
    events.sort(null);
    assertEquals(List.of("dir ", "dir a", "dir a/b", "dir a/out", "failed a/b/up "
        + "FileSystemLoopException", "file a/b/file", "file a/out/there"), events);
    Object key = Files.readAttributes(start, BasicFileAttributes.class).fileKey();
    assertEquals(key, Files.readAttributes(p("data/loop/a/b/up"), BasicFileAttributes.class)
        .fileKey(), "a link followed has its target's key");
    assertNotEquals(key, Files.readAttributes(p("data/loop/a/b/up"), BasicFileAttributes.class,
        NOFOLLOW_LINKS).fileKey(), "and the link, not followed, its own");
  }

  @Test
  void aSecureDirectoryStreamWorksRelativeToItsDirectory() throws IOException {
    Files.createDirectories(p("data/tree/sub"));
    Files.writeString(p("data/tree/file"), "file");
    Files.writeString(p("data/tree/sub/inner"), "inner");
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("data/tree"))) {
      assertTrue(ds instanceof java.nio.file.SecureDirectoryStream, ds.getClass().getName());
      @SuppressWarnings("unchecked")
      java.nio.file.SecureDirectoryStream<Path> sds =
          (java.nio.file.SecureDirectoryStream<Path>) ds;
      Path file = p("data").getFileSystem().getPath("file");
      Path sub = p("data").getFileSystem().getPath("sub");
      Path inner = p("data").getFileSystem().getPath("inner");
      assertTrue(sds.getFileAttributeView(sub, BasicFileAttributeView.class,
          NOFOLLOW_LINKS).readAttributes().isDirectory());
      try (SeekableByteChannel c = sds.newByteChannel(file, java.util.Set.of(READ))) {
        ByteBuffer b = ByteBuffer.allocate(4);
        c.read(b);
        assertEquals("file", new String(b.array(), UTF_8));
      }
      // its errors name the path as it was given, as the JDK's stream names it
      assertEquals("sub", fails(FileSystemException.class, () -> sds.deleteFile(sub)).getFile());
      assertEquals("file",
          fails(FileSystemException.class, () -> sds.deleteDirectory(file)).getFile());
      NoSuchFileException gone = fails(NoSuchFileException.class,
          () -> sds.move(inner, sds, p("data").getFileSystem().getPath("g")));
      assertEquals("inner", gone.getFile());
      assertEquals("g", gone.getOtherFile());
      assertEquals("file", fails(java.nio.file.NotDirectoryException.class,
          () -> sds.newDirectoryStream(file, NOFOLLOW_LINKS).close()).getFile());
      Path missing = p("data").getFileSystem().getPath("missing");
      assertEquals("missing", fails(NoSuchFileException.class, () -> sds.getFileAttributeView(
          missing, BasicFileAttributeView.class, NOFOLLOW_LINKS).readAttributes()).getFile());
      assertEquals("missing", fails(NoSuchFileException.class, () -> sds.getFileAttributeView(
          missing, java.nio.file.attribute.PosixFileAttributeView.class).setPermissions(
              java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))).getFile());
      assertEquals("missing", fails(NoSuchFileException.class,
          () -> sds.newByteChannel(missing, java.util.Set.of(READ)).close()).getFile());
      assertEquals("file", fails(FileAlreadyExistsException.class, () -> sds.newByteChannel(file,
          java.util.Set.of(WRITE, StandardOpenOption.CREATE_NEW)).close()).getFile());
      // a path through a file is "Not a directory" on every JDK, also where Java 25's Files
      // methods say missing (changing attributes, and the source of a move)
      Path through = p("data").getFileSystem().getPath("file", "x");
      for (Executable op : List.<Executable>of(
          () -> sds.getFileAttributeView(through, BasicFileAttributeView.class)
              .setTimes(FileTime.fromMillis(0), null, null),
          () -> sds.getFileAttributeView(through, java.nio.file.attribute.PosixFileAttributeView
              .class).setPermissions(java.nio.file.attribute.PosixFilePermissions
              .fromString("rw-------")),
          () -> sds.move(through, sds, p("data").getFileSystem().getPath("g")))) {
        assertEquals("Not a directory", fails(FileSystemException.class, op).getReason());
      }
      try (java.nio.file.SecureDirectoryStream<Path> child =
          sds.newDirectoryStream(sub, NOFOLLOW_LINKS)) {
        child.move(inner, sds, p("data").getFileSystem().getPath("moved"));
        assertEquals("inner",
            fails(NoSuchFileException.class, () -> child.deleteFile(inner)).getFile());
      }
      sds.deleteDirectory(sub);
      sds.deleteFile(file);
    }
    assertEquals(List.of("moved"), names("data/tree"));
    assertEquals("inner", Files.readString(p("data/tree/moved")));
  }

  /**
   * A secure stream's attribute views find their file on each call, through the stream: they
   * fail once it is closed, see a file replaced since, and {@code setTimes} with no time still
   * finds the file; they are the basic, POSIX and owner views only.
   */
  @Test
  void aSecureDirectoryStreamsViewsFindTheFileOnEachCall() throws IOException {
    Files.createDirectories(p("data/views"));
    Files.writeString(p("data/views/file"), "file");
    Path file = p("data").getFileSystem().getPath("file");
    Path missing = p("data").getFileSystem().getPath("missing");
    BasicFileAttributeView fileView;
    BasicFileAttributeView ownView;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("data/views"))) {
      @SuppressWarnings("unchecked")
      java.nio.file.SecureDirectoryStream<Path> sds =
          (java.nio.file.SecureDirectoryStream<Path>) ds;
      fileView = sds.getFileAttributeView(file, BasicFileAttributeView.class);
      ownView = sds.getFileAttributeView(BasicFileAttributeView.class);
      assertEquals(4, fileView.readAttributes().size());
      assertTrue(ownView.readAttributes().isDirectory());
      Files.delete(p("data/views/file"));
      Files.createDirectory(p("data/views/file"));
      assertTrue(fileView.readAttributes().isDirectory(), "the file as it is now");
      BasicFileAttributeView gone = sds.getFileAttributeView(missing,
          BasicFileAttributeView.class);
      fails(NoSuchFileException.class, () -> gone.setTimes(null, null, null));
      // the JDK's secure stream answers the owner view with its POSIX one
      assertEquals("posix", sds.getFileAttributeView(file,
          java.nio.file.attribute.FileOwnerAttributeView.class).name());
      assertNull(sds.getFileAttributeView(file,
          java.nio.file.attribute.UserDefinedFileAttributeView.class));
      assertNull(sds.getFileAttributeView(
          java.nio.file.attribute.UserDefinedFileAttributeView.class));
    }
    fails(java.nio.file.ClosedDirectoryStreamException.class, fileView::readAttributes);
    fails(java.nio.file.ClosedDirectoryStreamException.class, ownView::readAttributes);
    fails(java.nio.file.ClosedDirectoryStreamException.class,
        () -> fileView.setTimes(FileTime.fromMillis(0), null, null));
  }

  @Test
  void transfersCheckTheOtherChannelEvenForNoBytes() throws IOException {
    Files.write(p("data/sink"), new byte[0]);
    try (FileChannel c = FileChannel.open(p("data/one"), READ, WRITE)) {
      FileChannel closed = FileChannel.open(p("data/sink"), WRITE);
      closed.close();
      fails(java.nio.channels.ClosedChannelException.class, () -> c.transferTo(0, 0, closed));
      fails(java.nio.channels.ClosedChannelException.class, () -> c.transferTo(1 << 20, 5, closed));
      fails(java.nio.channels.ClosedChannelException.class, () -> c.transferFrom(closed, 0, 0));
      try (FileChannel readOnly = FileChannel.open(p("data/sink"));
          FileChannel writeOnly = FileChannel.open(p("data/sink"), WRITE)) {
        fails(java.nio.channels.NonWritableChannelException.class,
            () -> c.transferTo(0, 0, readOnly));
        fails(java.nio.channels.NonReadableChannelException.class,
            () -> c.transferFrom(writeOnly, 0, 0));
      }
    }
  }

  // ---------------------------------------------------------------- watching

  @Test
  void aWatchServiceReportsChangesMadeInTheDirectory() throws Exception {
    try (java.nio.file.WatchService w = p("data").getFileSystem().newWatchService()) {
      java.nio.file.WatchKey key = p("data").register(w,
          java.nio.file.StandardWatchEventKinds.ENTRY_CREATE,
          java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY,
          java.nio.file.StandardWatchEventKinds.ENTRY_DELETE);
      assertEquals(p("data"), key.watchable());
      Files.writeString(p("data/new"), "x");
      Files.setLastModifiedTime(p("data/one"), FileTime.fromMillis(0));
      Files.delete(p("data/one"));
      Files.move(p("data/new"), p("data/moved"));
      List<String> expected = List.of("ENTRY_CREATE new", "ENTRY_MODIFY new", "ENTRY_MODIFY one",
          "ENTRY_DELETE one", "ENTRY_DELETE new", "ENTRY_CREATE moved");
      java.util.Set<String> seen = new java.util.LinkedHashSet<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!seen.containsAll(expected) && System.nanoTime() < deadline) {
        java.nio.file.WatchKey k = w.poll(100, TimeUnit.MILLISECONDS);
        if (k == null) {
          continue;
        }
        assertEquals(key, k);
        for (java.nio.file.WatchEvent<?> e : k.pollEvents()) {
          seen.add(e.kind().name() + " " + e.context());
          assertTrue(e.count() >= 1);
        }
        assertTrue(k.reset());
      }
      assertTrue(seen.containsAll(expected), () -> "seen " + seen);
      fails(java.nio.file.NotDirectoryException.class, () -> p("data/moved").register(w,
          java.nio.file.StandardWatchEventKinds.ENTRY_CREATE));
      key.cancel();
      assertFalse(key.isValid());
      assertFalse(key.reset());
      w.close();
      fails(java.nio.file.ClosedWatchServiceException.class, () -> w.poll());
      fails(java.nio.file.ClosedWatchServiceException.class, () -> w.take());
    }
  }

  /**
   * A watched directory removed ends its key, which is queued so that a taker learns it: its
   * last events, then {@code reset} false; so does one replaced by a directory moved onto it.
   */
  @Test
  void aWatchKeyEndsWithItsDirectory() throws Exception {
    Files.createDirectories(p("data/w"));
    Files.createFile(p("data/w/f"));
    Files.createDirectory(p("data/x"));
    Files.createDirectory(p("data/y"));
    try (WatchService w = p("data").getFileSystem().newWatchService()) {
      WatchKey key = p("data/w").register(w, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
      Files.delete(p("data/w/f"));
      Files.delete(p("data/w"));
      assertEquals(List.of("ENTRY_DELETE f x1"), nextEvents(w, key));
      assertFalse(key.isValid());
      assertFalse(key.reset());
      WatchKey replaced = p("data/x").register(w, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
      Files.move(p("data/y"), p("data/x"), ATOMIC_MOVE);
      assertEquals(List.of(), nextEvents(w, replaced));
      assertFalse(replaced.isValid());
      assertNull(w.poll(200, TimeUnit.MILLISECONDS));
    }
  }

  /** A key follows its directory through a rename, as an inotify watch follows its inode. */
  @Test
  void aWatchKeyFollowsItsDirectoryThroughARename() throws Exception {
    Files.createDirectories(p("data/w"));
    try (WatchService w = p("data").getFileSystem().newWatchService()) {
      WatchKey key = p("data/w").register(w, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
      Files.move(p("data/w"), p("data/v"));
      Files.createFile(p("data/v/f"));
      assertEquals(List.of("ENTRY_CREATE f x1"), nextEvents(w, key));
      assertTrue(key.isValid());
      assertEquals(p("data/w"), key.watchable());
      WatchKey image = p("data/nested").register(w, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
      Files.move(p("data/nested"), p("data/moved"));
      Files.createFile(p("data/moved/f"));
      assertEquals(List.of("ENTRY_CREATE f x1"), nextEvents(w, image));
    }
  }

  /**
   * A name's modification counts in its last pending one, as the JDK's keys count it; a write
   * of nothing is no modification (and no new time), as Linux's {@code write(2)} of no bytes.
   */
  @Test
  void aWatchKeyCountsAModificationInTheLastPendingOne() throws Exception {
    Files.createDirectories(p("data/w"));
    Files.writeString(p("data/w/f"), "x");
    Files.setLastModifiedTime(p("data/w/f"), FileTime.fromMillis(0));
    try (WatchService w = p("data").getFileSystem().newWatchService()) {
      WatchKey key = p("data/w").register(w, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
      try (FileChannel c = FileChannel.open(p("data/w/f"), WRITE)) {
        c.write(ByteBuffer.allocate(0));
        c.write(ByteBuffer.allocate(0), 5);
        assertEquals(0, Files.getLastModifiedTime(p("data/w/f")).toMillis());
        c.write(ByteBuffer.wrap(new byte[] {1}));
      }
      Files.createFile(p("data/w/g"));
      Files.setLastModifiedTime(p("data/w/f"), FileTime.fromMillis(0));
      assertEquals(List.of("ENTRY_MODIFY f x2", "ENTRY_CREATE g x1"), nextEvents(w, key));
    }
  }

  /** A copy creates its target and then writes it, as the JDK's copy does, if it has bytes. */
  @Test
  void aWatchKeySeesACopyCreateAndWrite() throws Exception {
    Files.createDirectories(p("data/w"));
    try (WatchService w = p("data").getFileSystem().newWatchService()) {
      WatchKey key = p("data/w").register(w, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
      Files.copy(p("data/one"), p("data/w/copy"));
      Files.copy(p("data/empty"), p("data/w/copied-empty"));
      assertEquals(List.of("ENTRY_CREATE copy x1", "ENTRY_MODIFY copy x1",
          "ENTRY_CREATE copied-empty x1"), nextEvents(w, key));
    }
  }

  /**
   * The 513th pending event replaces them all with one {@code OVERFLOW} that counts the rest, as
   * the JDK's keys do; the list of events polled is the caller's to change.
   */
  @Test
  void aWatchKeyOverflowsAsTheJdks() throws Exception {
    Files.createDirectories(p("data/w"));
    try (WatchService w = p("data").getFileSystem().newWatchService()) {
      WatchKey key = p("data/w").register(w, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
      for (int i = 0; i < 600; i++) {
        Files.createFile(p("data/w/n" + i));
      }
      assertEquals(List.of("OVERFLOW null x88"), nextEvents(w, key));
      Files.delete(p("data/w/n0"));
      assertNotNull(w.poll(10, TimeUnit.SECONDS));
      List<java.nio.file.WatchEvent<?>> events = key.pollEvents();
      events.clear();
      assertTrue(key.reset());
    }
  }

  /**
   * The events of the key {@code w} queues next, which must be {@code key}, as "KIND name xN":
   * taken a moment after it is queued, for the host's inotify reports arrive one by one.
   */
  private static List<String> nextEvents(WatchService w, WatchKey key) throws Exception {
    WatchKey queued = w.poll(10, TimeUnit.SECONDS);
    assertEquals(key, queued);
    Thread.sleep(500);
    List<String> seen = new ArrayList<>();
    for (java.nio.file.WatchEvent<?> e : queued.pollEvents()) {
      seen.add(e.kind().name() + " " + e.context() + " x" + e.count());
    }
    queued.reset();
    return seen;
  }

  // ---------------------------------------------------------------- NIO clients

  /**
   * The JDK's own zip file system on a file of the tree, a NIO client nobody here wrote: it
   * makes a zip, and updates one (a temp file beside it, written and moved over the zip), as a
   * program patching a jar in an image does; the bytes are a zip {@code java.util.zip} reads.
   */
  @Test
  void theJdksZipFileSystemMakesAndUpdatesAZipInTheTree() throws IOException {
    Path jar = p("tmp/app.jar");
    try (java.nio.file.FileSystem zip = java.nio.file.FileSystems.newFileSystem(jar,
        Map.of("create", "true"))) {
      Files.createDirectories(zip.getPath("META-INF"));
      Files.writeString(zip.getPath("META-INF/MANIFEST.MF"), "Manifest-Version: 1.0\n");
      Files.write(zip.getPath("data.bin"), data(100_000, 5));
    }
    try (java.nio.file.FileSystem zip = java.nio.file.FileSystems.newFileSystem(jar)) {
      Files.write(zip.getPath("data.bin"), data(3_000, 6));
      Files.copy(p("etc/os-release"), zip.getPath("os-release"));
      Files.delete(zip.getPath("META-INF/MANIFEST.MF"));
    }
    assertEquals(List.of("app.jar"), names("tmp"), "the zip's temp file is gone");
    Map<String, byte[]> entries = new java.util.TreeMap<>();
    try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(
        Files.newInputStream(jar))) {
      for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
        entries.put(e.getName(), in.readAllBytes());
      }
    }
    assertEquals(List.of("META-INF/", "data.bin", "os-release"), List.copyOf(entries.keySet()));
    assertArrayEquals(data(3_000, 6), entries.get("data.bin"));
    assertArrayEquals(bytes("etc/os-release"), entries.get("os-release"));
    reopen();
    try (java.nio.file.FileSystem zip = java.nio.file.FileSystems.newFileSystem(p("tmp/app.jar"))) {
      assertArrayEquals(data(3_000, 6), Files.readAllBytes(zip.getPath("data.bin")));
    }
  }

  // ---------------------------------------------------------------- name and path lengths

  /**
   * Linux's limit on a name (255 bytes, NAME_MAX): a name of 255 bytes is made by each call that
   * makes one and outlives a reopen; one of 256 is "File name too long" and nothing is made.
   */
  @Test
  void aNameOfMoreThan255BytesIsTooLongToMake() throws IOException {
    String max = "n".repeat(250) + "\u00e9\u00e9x"; // 250 + 2 * 2 + 1 bytes
    String over = "o" + max;
    Files.write(p("tmp/" + max), data(10, 1));
    Files.createDirectory(p("data/nested/" + max));
    Files.createSymbolicLink(p("links/" + max), p("tmp/" + max).getFileSystem().getPath(max));
    Files.copy(p("data/one"), p("data/" + max));
    List<String> before = List.of(names("tmp").toString(), names("data").toString(),
        names("links").toString());

    tooLong("tmp/" + over, () -> Files.createFile(p("tmp/" + over)));
    tooLong("tmp/" + over, () -> Files.createDirectory(p("tmp/" + over)));
    tooLong("tmp/" + over, () -> Files.newByteChannel(p("tmp/" + over), CREATE, WRITE).close());
    tooLong("tmp/" + over, () -> Files.newOutputStream(p("tmp/" + over)).close());
    tooLong("tmp/" + over, () -> FileChannel.open(p("tmp/" + over), CREATE_NEW, WRITE).close());
    tooLong("links/" + over,
        () -> Files.createSymbolicLink(p("links/" + over), p("data/one").getFileName()));
    tooLong("tmp/" + over, () -> Files.createLink(p("tmp/" + over), p("data/one")));
    tooLong("tmp/" + over, () -> Files.copy(p("data/one"), p("tmp/" + over)));
    tooLong("tmp/" + over, () -> Files.copy(new ByteArrayInputStream(data(3, 2)),
        p("tmp/" + over)));
    FileSystemException moved = fails(FileSystemException.class,
        () -> Files.move(p("data/one"), p("tmp/" + over)));
    assertEquals("File name too long", moved.getReason());
    assertEquals(p("data/one").toString(), moved.getFile());
    assertEquals(p("tmp/" + over).toString(), moved.getOtherFile());
    fails(FileSystemException.class,
        () -> Files.move(p("data/nested"), p("tmp/" + over), ATOMIC_MOVE));

    reopen();
    assertEquals(before, List.of(names("tmp").toString(), names("data").toString(),
        names("links").toString()));
    assertArrayEquals(data(10, 1), bytes("tmp/" + max));
    assertTrue(Files.isDirectory(p("data/nested/" + max)));
    assertEquals(max, Files.readSymbolicLink(p("links/" + max)).toString());
    assertArrayEquals(bytes("data/one"), bytes("data/" + max));
  }

  /**
   * Looking up a missing name of more than 255 bytes is "File name too long" too, where its
   * directory exists (Linux's lookup in that directory refuses it), so {@code Files.notExists}
   * is false as well as {@code exists}; below a missing directory it is missing.
   */
  @Test
  void aMissingNameOfMoreThan255BytesIsTooLongToLookUp() throws IOException {
    String over = "m".repeat(256);
    tooLong(over, () -> Files.readAttributes(p(over), BasicFileAttributes.class));
    tooLong("data/" + over, () -> Files.readAttributes(p("data/" + over),
        BasicFileAttributes.class, NOFOLLOW_LINKS));
    tooLong("data/" + over, () -> Files.newByteChannel(p("data/" + over)).close());
    tooLong("data/" + over, () -> Files.newDirectoryStream(p("data/" + over)).close());
    tooLong("data/" + over, () -> Files.readSymbolicLink(p("data/" + over)));
    tooLong("data/" + over, () -> Files.delete(p("data/" + over)));
    tooLong("data/" + over, () -> Files.deleteIfExists(p("data/" + over)));
    tooLong("data/" + over + "/x", () -> Files.size(p("data/" + over + "/x")));
    tooLong("data/" + over + "/x", () -> Files.createFile(p("data/" + over + "/x")));
    assertFalse(Files.exists(p("data/" + over)));
    assertFalse(Files.notExists(p("data/" + over)), "Linux cannot tell");
    fails(NoSuchFileException.class, () -> Files.size(p("data/absent/" + over)));
    fails(NoSuchFileException.class, () -> Files.createFile(p("data/absent/" + over)));
    fails(FileAlreadyExistsException.class, () -> Files.createDirectory(p("data")));
  }

  /**
   * Linux's limit on a path (4,096 bytes with its terminating zero, PATH_MAX): a path of 4,095
   * bytes is made and read, one of 4,096 is "File name too long" whether it exists or not, and a
   * link's target of 4,096 bytes is refused too.
   */
  @Test
  void aPathOfMoreThan4095BytesIsTooLong() throws IOException {
    String dir = "data";
    while (utf8(p(dir).toString()) + 101 <= 3750) {
      dir = dir + "/" + "d".repeat(100);
      Files.createDirectory(p(dir));
    }
    dir = dir + "/" + "e".repeat(3893 - utf8(p(dir).toString())); // leaves 200 bytes
    Files.createDirectory(p(dir));
    int room = 4095 - utf8(p(dir).toString()) - 1;
    String longest = dir + "/" + "f".repeat(room);
    String over = dir + "/" + "f".repeat(room + 1);
    Files.write(p(longest), data(5, 3));
    assertArrayEquals(data(5, 3), bytes(longest));
    tooLong(over, () -> Files.createFile(p(over)));
    tooLong(over, () -> Files.createDirectory(p(over)));
    tooLong(over, () -> Files.readAttributes(p(over), BasicFileAttributes.class));
    tooLong(longest + "/", () -> Files.readAttributes(p(longest + "/."),
        BasicFileAttributes.class)); // an existing file, named by a longer path
    String target = "t/".repeat(2047) + "t";
    Path link = p("links/long-target");
    Files.createSymbolicLink(link, link.getFileSystem().getPath(target));
    assertEquals(target, Files.readSymbolicLink(link).toString());
    tooLong("links/longer-target", () -> Files.createSymbolicLink(p("links/longer-target"),
        link.getFileSystem().getPath(target + "t")));
    reopen();
    assertArrayEquals(data(5, 3), bytes(longest));
    assertFalse(Files.exists(p(over), NOFOLLOW_LINKS));
    assertFalse(Files.exists(p("links/longer-target"), NOFOLLOW_LINKS));
  }

  /** Asserts that {@code op} throws the default provider's exception for ENAMETOOLONG. */
  private void tooLong(String rel, Executable op) {
    FileSystemException e = fails(FileSystemException.class, op);
    assertEquals("File name too long", e.getReason(), () -> "thrown: " + e);
    if (!rel.endsWith("/")) {
      assertEquals(p(rel).toString(), e.getFile());
    }
  }

  private static int utf8(String s) {
    return s.getBytes(UTF_8).length;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Runs {@code op}, which must throw {@code type} as the JDK names it ({@link Checks#apiType}:
   * a provider's own subclass counts as its nearest {@code java.*} class); returns what it threw.
   */
  static <T extends Throwable> T fails(Class<T> type, Executable op) {
    Throwable thrown = assertThrows(Throwable.class, op);
    assertEquals(type, Checks.apiType(thrown), () -> "thrown: " + thrown);
    return type.cast(thrown);
  }

  /** Deterministic bytes ({@link ContainerOps.Data}). */
  static byte[] data(int size, int seed) {
    return new ContainerOps.Data(size, seed).bytes();
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private byte[] bytes(String rel) throws IOException {
    return Files.readAllBytes(p(rel));
  }

  /** The sorted names of a directory, through {@code newDirectoryStream}. */
  private List<String> names(String dir) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p(dir))) {
      ds.forEach(q -> names.add(q.getFileName().toString()));
    }
    names.sort(null);
    return names;
  }

  /** {@code st_mode & 07777}, the last link not followed. */
  private int mode(String rel) throws IOException {
    return (Integer) Files.getAttribute(p(rel), "unix:mode", NOFOLLOW_LINKS) & 07777;
  }

  private int nlink(String rel) throws IOException {
    return (Integer) Files.getAttribute(p(rel), "unix:nlink", NOFOLLOW_LINKS);
  }

  /** Octal mode and uid:gid, as {@code "640 65534:1000"}. */
  private String modeAndOwner(String rel) throws IOException {
    Map<String, Object> a = Files.readAttributes(p(rel), "unix:mode,uid,gid", NOFOLLOW_LINKS);
    return Integer.toOctalString((Integer) a.get("mode") & 07777) + " " + a.get("uid") + ":"
        + a.get("gid");
  }

  private UserDefinedFileAttributeView userView(String rel) {
    return Files.getFileAttributeView(p(rel), UserDefinedFileAttributeView.class);
  }

  private static byte[] read(UserDefinedFileAttributeView view, String name) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(view.size(name));
    view.read(name, b);
    return Arrays.copyOf(b.array(), b.position());
  }

  private static List<String> sorted(List<String> names) {
    List<String> copy = new ArrayList<>(names);
    copy.sort(null);
    return copy;
  }

  /** An mtime set by the clock during this test: within the last minute, not in the future. */
  private static void assertRecent(FileTime t) {
    long now = System.currentTimeMillis();
    long ms = t.to(TimeUnit.MILLISECONDS);
    assertTrue(ms > now - 60_000 && ms <= now + 1000, () -> "not recent: " + t);
  }
}
