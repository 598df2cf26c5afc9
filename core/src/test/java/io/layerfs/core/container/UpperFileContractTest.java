package io.layerfs.core.container;

import static io.layerfs.core.container.ContainerFixture.opts;
import static io.layerfs.core.container.ContainerFixture.read;
import static io.layerfs.core.container.ContainerFixture.write;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerfs.core.FileHandle;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file contract of a container's files where mutation testing found no test looking: the
 * end-of-file results of reads, zeros after a truncate that a later write extends over, a
 * read-write mapping past the end, a mapping of a file written whole, the count a write
 * returns, a directory's link count, and the replay of copy-up writes and truncates after a
 * crash. Each is checked against a host file (the JDK's {@code FileChannel}) doing the same.
 */
class UpperFileContractTest {
  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;
  Container c;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    ContainerFixture.build(store);
    c = Container.open(store, layers, "web", ContainerFixture.IMAGE, false);
  }

  @AfterEach
  void tearDown() throws IOException {
    c.close();
    layers.close();
  }

  /** Three kinds of file: new in the container, copied up (metadata), still only the image's. */
  private static final List<String> FILES = List.of("/new", "/etc/hosts", "/d1/sub/x");

  @Test
  void readsAtAndPastTheEndAsTheJdk() throws IOException {
    write(c, "/new", "0123456789");
    c.setMode("/etc/hosts", true, 0640);
    Path host = tmp.resolve("host");
    for (String path : FILES) {
      byte[] content = read(c, path);
      Files.write(host, content);
      try (FileHandle h = c.open(path, opts(READ), 0);
          FileChannel jdk = FileChannel.open(host, READ)) {
        long size = content.length;
        for (long pos : new long[] {0, 1, size - 1, size, size + 1, size + (1 << 20)}) {
          for (int cap : new int[] {0, 1, 3, 100}) {
            ByteBuffer mine = ByteBuffer.allocate(cap);
            ByteBuffer theirs = ByteBuffer.allocate(cap);
            assertEquals(jdk.read(theirs, pos), h.read(mine, pos),
                path + " read of " + cap + " at " + pos);
            assertEquals(theirs.flip(), mine.flip(), path + " bytes at " + pos);
          }
        }
      }
    }
  }

  @Test
  void aWriteReturnsItsByteCountAndMovesTheBuffer() throws IOException {
    for (String path : FILES) {
      try (FileHandle h = c.open(path, opts(READ, WRITE, CREATE), 0644)) {
        ByteBuffer empty = ByteBuffer.allocate(0);
        assertEquals(0, h.write(empty, 1));
        ByteBuffer src = ByteBuffer.wrap("hello world".getBytes(StandardCharsets.UTF_8), 2, 7);
        assertEquals(7, h.write(src, 3), path);
        assertEquals(9, src.position(), path);
        assertEquals(0, src.remaining());
        // a copy-up write across a chunk boundary of the big image file counts its bytes too
      }
    }
    try (FileHandle h = c.open("/big", opts(READ, WRITE), 0)) {
      ByteBuffer src = ByteBuffer.allocate(100_000);
      assertEquals(100_000, h.write(src, 65_000));
      assertEquals(ContainerFixture.BIG, h.size());
    }
  }

  @Test
  void aTruncateThenAWritePastItLeavesZerosNotOldBytes() throws IOException {
    byte[] big = ContainerFixture.big();
    // a new file, a small image file, the 700 KB image file (chunks still in the layer)
    check("/new", "abcdefghij".getBytes(StandardCharsets.UTF_8), 3, 8);
    check("/etc/hosts", read(c, "/etc/hosts"), 5, 12);
    check("/big", big, 100_000, 300_000);
    check("/big", read(c, "/big"), 0, 70_000);
    // and it stays so after a reopen (the replay of the log)
    c.close();
    c = Container.open(store, layers, "web", null, false);
    byte[] expect = new byte[70_001];
    expect[70_000] = 'Z';
    assertArrayEquals(expect, read(c, "/big"));
  }

  /** Writes {@code content}, truncates to {@code cut}, writes one byte at {@code at}. */
  private void check(String path, byte[] content, long cut, long at) throws IOException {
    write(c, path, content, 0);
    Path host = tmp.resolve("host");
    Files.write(host, content);
    try (FileHandle h = c.open(path, opts(READ, WRITE), 0);
        FileChannel jdk = FileChannel.open(host, READ, WRITE)) {
      h.truncate(cut);
      jdk.truncate(cut);
      assertEquals(jdk.size(), h.size());
      assertEquals(1, h.write(ByteBuffer.wrap(new byte[] {'Z'}), at));
      jdk.write(ByteBuffer.wrap(new byte[] {'Z'}), at);
      assertEquals(jdk.size(), h.size());
    }
    assertArrayEquals(Files.readAllBytes(host), read(c, path), path);
  }

  @Test
  void aReadWriteMapPastTheEndGrowsTheFile() throws IOException {
    for (String path : List.of("/new", "/etc/hosts")) {
      if (path.equals("/new")) {
        write(c, path, "abc");
      }
      byte[] before = read(c, path);
      try (FileHandle h = c.open(path, opts(READ, WRITE), 0)) {
        MappedByteBuffer m = h.map(FileChannel.MapMode.READ_WRITE, 0, before.length + 100L);
        assertEquals(before.length + 100L, h.size(), path);
        m.put(before.length + 50, (byte) 'M');
        m.force();
      }
      byte[] after = read(c, path);
      assertEquals(before.length + 100, after.length);
      assertArrayEquals(before, Arrays.copyOf(after, before.length));
      assertEquals('M', after[before.length + 50]);
      assertEquals(0, after[before.length + 49]);
    }
  }

  @Test
  void aMapOfAFileWrittenWholeShowsItsBytes() throws IOException {
    byte[] data = new byte[3 * 65_536 + 17];
    new java.util.Random(7).nextBytes(data);
    // the image file overwritten whole: every chunk in the data file, none read from the layer
    write(c, "/big", data, 0, WRITE);
    write(c, "/fresh", data, 0);
    for (String path : List.of("/big", "/fresh")) {
      try (FileHandle h = c.open(path, opts(READ), 0)) {
        long size = h.size();
        MappedByteBuffer m = h.map(FileChannel.MapMode.READ_ONLY, 0, size);
        byte[] got = new byte[(int) size];
        m.get(got);
        byte[] expect = path.equals("/big")
            ? concat(data, Arrays.copyOfRange(ContainerFixture.big(), data.length,
                ContainerFixture.BIG))
            : data;
        assertArrayEquals(expect, got, path);
        MappedByteBuffer tail = h.map(FileChannel.MapMode.READ_ONLY, 65_536, 100);
        byte[] t = new byte[100];
        tail.get(t);
        assertArrayEquals(Arrays.copyOfRange(expect, 65_536, 65_636), t, path);
      }
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Test
  void transferToAndReadsOfAPartlyCopiedFileAsTheJdk() throws IOException {
    // /big: one chunk copied up in the middle, then extended far past the image's bytes, so a
    // read crosses layer bytes, data file bytes, zeros after the image's end and a sparse gap
    write(c, "/big", "middle".getBytes(StandardCharsets.UTF_8), 200_000, WRITE);
    write(c, "/big", "end".getBytes(StandardCharsets.UTF_8), 900_000, WRITE);
    write(c, "/small", "0123456789".getBytes(StandardCharsets.UTF_8), 0);
    byte[] expect = new byte[900_003];
    System.arraycopy(ContainerFixture.big(), 0, expect, 0, ContainerFixture.BIG);
    System.arraycopy("middle".getBytes(StandardCharsets.UTF_8), 0, expect, 200_000, 6);
    System.arraycopy("end".getBytes(StandardCharsets.UTF_8), 0, expect, 900_000, 3);
    assertArrayEquals(expect, read(c, "/big"));
    Path host = tmp.resolve("host");
    for (String path : List.of("/big", "/small", "/etc/hosts")) {
      byte[] content = read(c, path);
      Files.write(host, content);
      try (FileHandle h = c.open(path, opts(READ, WRITE), 0);
          FileChannel jdk = FileChannel.open(host, READ)) {
        h.force(true);
        long size = content.length;
        for (long[] pc : new long[][] {{0, size}, {0, size + 10}, {1, 5}, {size - 3, 100},
            {size, 10}, {size + 5, 10}, {65_530, 20}, {699_990, 30}, {0, 0}}) {
          java.io.ByteArrayOutputStream mine = new java.io.ByteArrayOutputStream();
          java.io.ByteArrayOutputStream theirs = new java.io.ByteArrayOutputStream();
          long m = h.transferTo(pc[0], pc[1], java.nio.channels.Channels.newChannel(mine));
          long t = jdk.transferTo(pc[0], pc[1], java.nio.channels.Channels.newChannel(theirs));
          assertEquals(t, m, path + " transferTo " + Arrays.toString(pc));
          assertArrayEquals(theirs.toByteArray(), mine.toByteArray(), path + " bytes "
              + Arrays.toString(pc));
        }
        for (long pos : new long[] {0, 65_535, 65_536, 199_999, 699_999, 700_000, 720_895,
            720_896, 899_999, size - 1}) {
          ByteBuffer mine = ByteBuffer.allocate(70_000);
          ByteBuffer theirs = ByteBuffer.allocate(70_000);
          assertEquals(jdk.read(theirs, pos), h.read(mine, pos), path + " read at " + pos);
          assertEquals(theirs.flip(), mine.flip(), path + " bytes at " + pos);
        }
      }
    }
  }

  @Test
  void aDirectoryCountsTwoLinksPlusItsSubdirectories() throws IOException {
    // /d1 holds a file and the directory sub: 3, as stat on Linux (overlay2 too) reports
    assertEquals(3, c.lookup("/d1", false).linkCount());
    assertEquals(2, c.lookup("/d1/sub", false).linkCount());
    c.createDirectory("/d1/more", 0755);
    assertEquals(4, c.lookup("/d1", false).linkCount());
    write(c, "/d1/file", "f");
    assertEquals(4, c.lookup("/d1", false).linkCount(), "a file is no link of its directory");
    c.delete("/d1/sub/x");
    c.delete("/d1/sub/y");
    c.delete("/d1/sub");
    assertEquals(3, c.lookup("/d1", false).linkCount());
    c.createDirectory("/empty", 0755);
    assertEquals(2, c.lookup("/empty", false).linkCount());
    c.createDirectory("/empty/a", 0755);
    c.createDirectory("/empty/b", 0755);
    assertEquals(4, c.lookup("/empty", false).linkCount());
    Path host = tmp.resolve("hostdir");
    Files.createDirectories(host.resolve("a"));
    Files.createDirectories(host.resolve("b"));
    assertEquals(Files.getAttribute(host, "unix:nlink"), c.lookup("/empty", false).linkCount());
  }

  @Test
  void copyUpWritesAndTruncatesReplayAfterACrash() throws IOException {
    byte[] big = ContainerFixture.big();
    write(c, "/big", "patch".getBytes(StandardCharsets.UTF_8), 70_000, WRITE);
    try (FileHandle h = c.open("/etc/hosts", opts(READ, WRITE), 0)) {
      h.truncate(4);
    }
    try (FileHandle h = c.open("/d1/sub/x", opts(READ, WRITE), 0)) {
      h.truncate(0);
      h.write(ByteBuffer.wrap("long again".getBytes(StandardCharsets.UTF_8)), 5);
    }
    try (FileHandle h = c.open("/big", opts(READ, WRITE), 0)) {
      h.truncate(200_000);
    }
    List<byte[]> expect = new ArrayList<>();
    for (String p : List.of("/big", "/etc/hosts", "/d1/sub/x")) {
      expect.add(read(c, p));
    }
    byte[] bigExpect = Arrays.copyOf(big, 200_000);
    System.arraycopy("patch".getBytes(StandardCharsets.UTF_8), 0, bigExpect, 70_000, 5);
    assertArrayEquals(bigExpect, expect.get(0));
    assertEquals("127.", new String(expect.get(1), StandardCharsets.UTF_8));
    assertEquals("\0\0\0\0\0long again", new String(expect.get(2), StandardCharsets.UTF_8));

    // a crash: the container's directory as it is while the container is open
    Path dir = store.stateDir().resolve("containers/web");
    Path crash = tmp.resolve("crash");
    ContainerFixture.copyState(dir, crash);
    c.close();
    ContainerFixture.replaceState(dir, crash);
    c = Container.open(store, layers, "web", null, false);
    int i = 0;
    for (String p : List.of("/big", "/etc/hosts", "/d1/sub/x")) {
      assertArrayEquals(expect.get(i++), read(c, p), p + " after replay");
    }
  }

}
