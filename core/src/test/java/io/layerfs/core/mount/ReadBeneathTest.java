package io.layerfs.core.mount;

import static io.layerfs.core.container.ContainerFixture.readString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads of a bind mount's files by one {@code openat2} ({@link ReadBeneath}): taken for a plain
 * path, never for a path with a link on it, whoever made the link (the container, or a host
 * process swapping a directory), which resolves in the container's namespace instead. The build
 * runs the tests with native access enabled (the surefire argLine).
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "openat2 is Linux's")
@EnabledForJreRange(min = JRE.JAVA_22,
    disabledReason = "the Foreign Function and Memory API is final from Java 22; Java 17-21 "
        + "take the usual path, which ContainerMountsTest covers")
class ReadBeneathTest {
  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;
  Path host;
  Path outside;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    ContainerFixture.build(store);
    host = Files.createDirectory(tmp.resolve("host"));
    Files.createDirectories(host.resolve("a/b"));
    Files.writeString(host.resolve("a/b/f"), "inside\n");
    outside = Files.createDirectory(tmp.resolve("outside"));
    Files.createDirectories(outside.resolve("b"));
    Files.writeString(outside.resolve("b/f"), "outside\n");
  }

  @AfterEach
  void tearDown() throws IOException {
    layers.close();
  }

  private Container open() throws IOException {
    return Container.open(store, layers, "c", ContainerFixture.IMAGE, false,
        List.of("type=bind,source=" + host + ",target=/mnt/h"));
  }

  private static String read(SeekableByteChannel ch) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) ch.size() + 8);
    while (ch.read(b) >= 0) {
      // to the end
    }
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }

  @Test
  void aPlainPathIsReadThroughTheShortcut() throws IOException {
    assertTrue(ReadBeneath.Availability.AVAILABLE, "run with --enable-native-access");
    try (Container c = open(); SeekableByteChannel ch = c.readChannel("/mnt/h/a/b/f")) {
      assertInstanceOf(FdChannel.class, ch);
      assertEquals(7, ch.size());
      assertEquals("inside\n", read(ch));
      assertEquals(7, ch.position());
      assertEquals(-1, ch.read(ByteBuffer.allocate(4)), "at the end");
      assertEquals(0, ch.position(3).read(ByteBuffer.allocate(0)));
      ByteBuffer direct = ByteBuffer.allocateDirect(3);
      assertEquals(3, ch.read(direct));
      assertEquals("ide", StandardCharsets.UTF_8.decode(direct.flip()).toString());
      assertEquals(6, ch.position());
      assertThrows(IllegalArgumentException.class, () -> ch.position(-1));
      assertThrows(IllegalArgumentException.class,
          () -> ch.read(ByteBuffer.allocate(4).asReadOnlyBuffer()));
      assertThrows(NonWritableChannelException.class, () -> ch.write(ByteBuffer.allocate(1)));
      assertThrows(NonWritableChannelException.class, () -> ch.truncate(0));
      Files.writeString(host.resolve("a/b/f"), "grown on the host\n");
      assertEquals(18, ch.size(), "fstat, each time");
      ch.close();
      assertFalse(ch.isOpen());
      ch.close();
      assertThrows(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(1)));
      assertThrows(ClosedChannelException.class, ch::size);
      assertThrows(ClosedChannelException.class, ch::position);
      assertThrows(ClosedChannelException.class, () -> ch.position(0));
      assertThrows(ClosedChannelException.class, () -> ch.write(ByteBuffer.allocate(1)));
      assertThrows(ClosedChannelException.class, () -> ch.truncate(0));
    }
  }

  @Test
  void theChannelIsAFileChannelAsTheDefaultProvidersIs() throws IOException {
    Path file = host.resolve("a/b/f");
    try (Container c = open(); FileChannel ch = (FileChannel) c.readChannel("/mnt/h/a/b/f");
        FileChannel jdk = FileChannel.open(file)) {
      assertInstanceOf(FdChannel.class, ch);
      ByteBuffer at = ByteBuffer.allocate(4);
      assertEquals(4, ch.read(at, 2));
      assertEquals("side", new String(at.array(), StandardCharsets.UTF_8));
      assertEquals(0, ch.position(), "a positional read leaves the position");
      ByteBuffer[] parts =
          {ByteBuffer.allocate(2), ByteBuffer.allocate(3), ByteBuffer.allocate(9)};
      assertEquals(7, ch.read(parts));
      assertEquals("in|sid|e\n", new String(parts[0].array(), StandardCharsets.UTF_8) + "|"
          + new String(parts[1].array(), StandardCharsets.UTF_8) + "|"
          + new String(parts[2].array(), 0, parts[2].position(), StandardCharsets.UTF_8));
      assertEquals(-1, ch.read(new ByteBuffer[] {ByteBuffer.allocate(1)}));
      assertEquals(StandardCharsets.UTF_8.decode(jdk.map(FileChannel.MapMode.READ_ONLY, 0, 7)),
          StandardCharsets.UTF_8.decode(ch.map(FileChannel.MapMode.READ_ONLY, 0, 7)));
      assertThrows(NonWritableChannelException.class,
          () -> ch.map(FileChannel.MapMode.READ_WRITE, 0, 7));
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      assertEquals(5, ch.transferTo(2, 100, java.nio.channels.Channels.newChannel(out)));
      assertEquals("side\n", out.toString(StandardCharsets.UTF_8));
      assertThrows(NonWritableChannelException.class,
          () -> ch.transferFrom(java.nio.channels.Channels.newChannel(
              new java.io.ByteArrayInputStream(new byte[1])), 0, 1));
      assertThrows(NonWritableChannelException.class, () -> ch.write(ByteBuffer.allocate(1), 0));
      FileLock lock = ch.tryLock(0, Long.MAX_VALUE, true);
      assertSame(ch, lock.channel());
      assertTrue(lock.isValid());
      // one JVM, one file: the JDK's rule for a second lock over the first
      assertThrows(OverlappingFileLockException.class, () -> jdk.tryLock(0, 1, true));
      Files.delete(file);
      assertEquals(7, ch.map(FileChannel.MapMode.READ_ONLY, 0, 7).remaining(), "unlinked");
      ch.close();
      assertFalse(lock.isValid(), "released with its channel");
      assertNotNull(jdk.tryLock(0, 1, true));
      assertThrows(ClosedChannelException.class,
          () -> ch.map(FileChannel.MapMode.READ_ONLY, 0, 1));
      assertThrows(ClosedChannelException.class, () -> ch.tryLock(0, 1, true));
    }
  }

  @Test
  void aLargeFileIsReadWhole() throws IOException {
    byte[] data = new byte[3 * LinuxCalls.MAX_READ + 5];
    new java.util.Random(7).nextBytes(data);
    Files.write(host.resolve("a/large"), data);
    try (Container c = open(); SeekableByteChannel ch = c.readChannel("/mnt/h/a/large")) {
      assertInstanceOf(FdChannel.class, ch);
      ByteBuffer b = ByteBuffer.allocate(data.length);
      assertEquals(data.length, ch.read(b));
      assertArrayEquals(data, b.array());
    }
  }

  @Test
  void linksMadeInTheContainerAreLeftToResolutionThere() throws IOException {
    Files.createSymbolicLink(host.resolve("rel"), Path.of("a"));
    Files.createSymbolicLink(host.resolve("abs"), Path.of("/etc/hosts"));
    Files.createSymbolicLink(host.resolve("a/b/last"), Path.of("f"));
    Files.createSymbolicLink(host.resolve("out"), outside);
    try (Container c = open()) {
      assertNull(c.readChannel("/mnt/h/rel/b/f"), "a link in the middle");
      assertNull(c.readChannel("/mnt/h/a/b/last"), "a link as the last name");
      assertNull(c.readChannel("/mnt/h/abs"));
      assertNull(c.readChannel("/mnt/h/out/b/f"));
      assertEquals("inside\n", readString(c, "/mnt/h/rel/b/f"));
      assertEquals("inside\n", readString(c, "/mnt/h/a/b/last"));
      assertEquals("127.0.0.1 localhost\n", readString(c, "/mnt/h/abs"), "the container's");
      assertThrows(NoSuchFileException.class, () -> readString(c, "/mnt/h/out/b/f"),
          "the link resolves in the container, where " + outside + " does not exist");
    }
  }

  @Test
  void aDirectorySwappedForALinkByAHostProcessIsNeverFollowedOut() throws IOException {
    try (Container c = open()) {
      try (SeekableByteChannel ch = c.readChannel("/mnt/h/a/b/f")) {
        assertInstanceOf(FdChannel.class, ch);
      }
      // a host process moves a out of the source and links to a directory outside it
      Files.move(host.resolve("a"), tmp.resolve("moved-a"));
      Files.createSymbolicLink(host.resolve("a"), outside);
      assertNull(c.readChannel("/mnt/h/a/b/f"));
      assertThrows(NoSuchFileException.class, () -> readString(c, "/mnt/h/a/b/f"));
      // a relative link up and out of the source
      Files.delete(host.resolve("a"));
      Files.createSymbolicLink(host.resolve("a"), Path.of("../outside"));
      assertNull(c.readChannel("/mnt/h/a/b/f"));
      assertThrows(NoSuchFileException.class, () -> readString(c, "/mnt/h/a/b/f"));
    }
  }

  @Test
  void noRegularFileTakesTheUsualPath() throws Exception {
    Path fifo = host.resolve("fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertEquals(0, mkfifo.waitFor());
    Files.createDirectory(host.resolve("\u00e9t\u00e9"));
    Files.writeString(host.resolve("\u00e9t\u00e9/f"), "accented\n");
    try (Container c = open()) {
      assertNull(c.readChannel("/mnt/h/fifo"), "no open that blocks, no channel");
      assertNull(c.readChannel("/mnt/h/a/b"), "a directory");
      assertNull(c.readChannel("/mnt/h/a/missing"));
      assertNull(c.readChannel("/mnt/h"), "the mount's root");
      assertNull(c.readChannel("/mnt/h/\u00e9t\u00e9/f"), "names are taken as ASCII only");
      assertNull(c.readChannel("/etc/hosts"), "no mount");
    }
  }

  @Test
  void channelsOutliveTheMountAndTheMountsDirectoryClosesOnce() throws IOException {
    SeekableByteChannel ch;
    DirTree tree = DirTree.open(host, true, new Devices(), null);
    ch = tree.readChannelBeneath("/a/b/f");
    tree.close();
    assertEquals(1, descriptorsUnder(host),
        "the channel's alone: the root's O_PATH descriptor closed with the tree's streams");
    try (ch) {
      assertEquals("inside\n", read(ch), "a channel stays open when its mount closes");
    }
    assertNull(tree.readChannelBeneath("/a/b/f"), "a closed mount opens nothing");
  }

  @Test
  void aDescriptorInUseIsClosedByItsLastUser() throws IOException {
    Path file = host.resolve("a/b/f").toRealPath();
    byte[] name = (file + "\0").getBytes(StandardCharsets.US_ASCII);
    int fd = LinuxCalls.openat2(LinuxCalls.AT_FDCWD, name, LinuxCalls.O_CLOEXEC, 0);
    assertTrue(fd >= 0);
    Path proc = Path.of("/proc/self/fd/" + fd);
    SharedFd shared = new SharedFd(fd, null);
    assertEquals(fd, shared.acquire());
    shared.close();
    assertFalse(shared.isOpen());
    assertEquals(-1, shared.acquire(), "closed for new users");
    assertEquals(file, proc.toRealPath(), "held: not closed under its user");
    shared.release();
    assertFalse(Files.exists(proc) && proc.toRealPath().equals(file), "closed by its last user");
    shared.close();
  }

  /** This process's descriptors that lead to {@code dir} or below it. */
  private static long descriptorsUnder(Path dir) throws IOException {
    Path real = dir.toRealPath();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(p -> {
        try {
          return Files.readSymbolicLink(p).startsWith(real);
        } catch (IOException e) {
          return false;
        }
      }).count();
    }
  }
}
