package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FileChannel operations the differential property leaves out, each checked against the
 * same operation on a host copy of the file: read-write {@code map}, {@code transferFrom},
 * {@code force}, and {@code lock}/{@code tryLock} with the JDK's rules.
 */
class ContainerChannelTest {
  @TempDir Path store;
  @TempDir Path host;

  private FileSystem open(String name) throws IOException {
    FixtureImages.build(store);
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store, "image", FixtureImages.TAG));
  }

  /** The same steps on any file: returns the bytes afterwards. */
  private static byte[] mapAndTransfer(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 10, 100);
      for (int i = 0; i < 100; i++) {
        map.put(i, (byte) (255 - i));
      }
      map.force();
      byte[] extra = new byte[5000];
      Arrays.fill(extra, (byte) 7);
      long n = ch.transferFrom(Channels.newChannel(new java.io.ByteArrayInputStream(extra)),
          ch.size(), extra.length);
      assertEquals(extra.length, n);
      ch.force(true);
    }
    return Files.readAllBytes(file);
  }

  @Test
  void mapReadWriteAndTransferFromAgreeWithTheHost() throws IOException {
    try (FileSystem fs = open("channels-map")) {
      Path lower = fs.getPath("/data/4096.bin");
      Path copy = host.resolve("4096.bin");
      Files.copy(lower, copy);
      byte[] expected = mapAndTransfer(copy);
      assertArrayEquals(expected, mapAndTransfer(lower));
      assertEquals(-1, (int) Files.getAttribute(lower, "layer:index"), "copied up");
    }
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://channels-map"),
        Map.of("store", store))) {
      assertArrayEquals(Files.readAllBytes(host.resolve("4096.bin")),
          Files.readAllBytes(fs.getPath("/data/4096.bin")), "after reopening");
    }
  }

  @Test
  void locksFollowTheJdkRules() throws IOException {
    try (FileSystem fs = open("channels-lock")) {
      Path file = fs.getPath("/data/one");
      try (FileChannel writer = FileChannel.open(file, StandardOpenOption.WRITE);
          FileChannel other = FileChannel.open(file, StandardOpenOption.WRITE);
          FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
        FileLock lock = writer.lock();
        assertTrue(lock.isValid());
        assertEquals(writer, lock.channel());
        // one JVM may not hold overlapping locks of one file, through any channel
        assertThrows(OverlappingFileLockException.class, () -> other.tryLock());
        assertThrows(OverlappingFileLockException.class, () -> writer.tryLock(0, 1, false));
        assertThrows(NonWritableChannelException.class, () -> reader.lock(0, 1, false));
        lock.release();
        FileLock again = other.tryLock(0, 10, false);
        assertNotNull(again);
        again.release();
        FileLock shared = reader.lock(0, Long.MAX_VALUE, true);
        assertTrue(shared.isShared());
        shared.release();
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        FileLock lock = ch.tryLock();
        assertNotNull(lock);
        ch.close();
        assertTrue(!lock.isValid(), "closing the channel releases its locks");
      }
    }
  }

  /** The changes of the read-only test, on a container's files and on their host copies. */
  private static void change(Path dir) throws IOException {
    Files.createFile(dir.resolve("made")); // a new file that never had bytes: no data file
    for (String name : List.of("empty", "4096.bin")) { // copied up for their metadata only
      Files.setPosixFilePermissions(dir.resolve(name),
          PosixFilePermissions.fromString("rw-------"));
    }
    try (FileChannel ch = FileChannel.open(dir.resolve("100000.bin"), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 70000); // its second chunk only
    }
  }

  /** The bytes of a read-only mapping of [position, position + length) of {@code file}. */
  private static byte[] mapped(Path file, long position, int length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, position, length);
      byte[] bytes = new byte[map.remaining()];
      map.get(bytes);
      return bytes;
    }
  }

  /** Whether a shared lock, by {@code lock} then by {@code tryLock}, works on a read channel. */
  private static boolean sharedLocks(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      FileLock lock = ch.lock(0, Long.MAX_VALUE, true);
      boolean held = lock.isValid() && lock.isShared();
      lock.release();
      FileLock tried = ch.tryLock(0, 10, true);
      held &= tried != null && tried.isValid() && tried.isShared();
      tried.release();
      return held && !tried.isValid();
    }
  }

  /**
   * A read-only view serves files the container holds without a data file, or with some chunks
   * only, as the host serves their copies: mappings of their bytes (the image's where no chunk
   * was copied, never copying up) and shared locks.
   */
  @Test
  void aReadOnlyViewMapsAndLocksFilesWithoutDataFilesAsTheHostDoes() throws IOException {
    try (FileSystem fs = open("channels-readonly")) {
      for (String name : List.of("one", "empty", "4096.bin", "100000.bin")) {
        Files.copy(fs.getPath("/data", name), host.resolve(name));
      }
      change(fs.getPath("/data"));
      change(host);
    }
    try (FileSystem view = FileSystems.newFileSystem(URI.create("layerfs://channels-readonly"),
        Map.of("store", store, "readOnly", true))) {
      for (String name : List.of("one", "made", "empty", "4096.bin", "100000.bin")) {
        Path file = view.getPath("/data", name);
        Path copy = host.resolve(name);
        int size = (int) Files.size(copy);
        assertEquals(size, Files.size(file), name);
        assertArrayEquals(mapped(copy, 0, size), mapped(file, 0, size), name);
        assertEquals(sharedLocks(copy), sharedLocks(file), name);
        assertTrue(sharedLocks(file), name);
      }
      Path partly = view.getPath("/data/100000.bin");
      Path copy = host.resolve("100000.bin");
      // the image's bytes alone, the data file's alone, and both
      for (long[] range : new long[][] {{0, 1000}, {66000, 20000}, {60000, 10003}, {0, 0}}) {
        assertArrayEquals(mapped(copy, range[0], (int) range[1]),
            mapped(partly, range[0], (int) range[1]), () -> Arrays.toString(range));
      }
      assertEquals(-1, (int) Files.getAttribute(partly, "layer:index"), "in the container");
    }
  }

  @Test
  void aChunkWrittenIsSeenAndTheRestStaysTheImages() throws IOException {
    try (FileSystem fs = open("channels-coherent")) {
      Path file = fs.getPath("/data/100000.bin");
      byte[] original = Files.readAllBytes(file);
      try (FileChannel writer = FileChannel.open(file, StandardOpenOption.WRITE)) {
        writer.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 70000);
        // a channel opened after the copy-up sees the write at once, before any close
        try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
          ByteBuffer b = ByteBuffer.allocate(3);
          reader.read(b, 70000);
          assertArrayEquals(new byte[] {1, 2, 3}, b.array());
          assertEquals(original.length, reader.size());
        }
      }
      byte[] now = Files.readAllBytes(file);
      byte[] expected = original.clone();
      expected[70000] = 1;
      expected[70001] = 2;
      expected[70002] = 3;
      assertArrayEquals(expected, now);
    }
  }
}
