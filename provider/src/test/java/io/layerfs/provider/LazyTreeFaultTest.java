package io.layerfs.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.store.Store;
import io.layerfs.provider.FaultRegistry.Fault;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.MergeImage;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lazy view or container whose registry misbehaves, as a user of java.nio.file sees it: each
 * call either gives what a view of the image read whole gives, or throws a checked {@link
 * IOException} of one line that names the registry or the blob; once the registry behaves again
 * the same file system reads right, and the store holds nothing wrong.
 */
class LazyTreeFaultTest {
  /** Files a lazy read serves from the top layers, and a noise file deep in the bottom one. */
  private static final List<String> FILES = List.of("/etc/issue", "/etc/hosts",
      "/usr/lib/os-release", "/usr/local/bin/sh", "/" + MergeImage.NOISE + "/f1003");

  @TempDir Path tmp;
  private Path remote;
  private Built built;
  private int stores;

  @BeforeEach
  void image() throws IOException {
    remote = tmp.resolve("remote");
    built = MergeImage.layers(ImageBuilder.create(remote), 16).build("merge");
  }

  private FaultRegistry registry() throws IOException {
    return new FaultRegistry(remote, built.manifestDigest().toString());
  }

  private Path store;

  private FileSystem lazy(FaultRegistry registry, boolean readOnly) throws IOException {
    store = tmp.resolve("local" + stores++);
    Map<String, Object> env = new HashMap<>();
    env.put("store", store);
    env.put("image", registry.address() + "/test/merge:1");
    env.put("lazy", true);
    env.put("readOnly", readOnly);
    return FileSystems.newFileSystem(URI.create("layerfs://fault-" + stores), env);
  }

  private FileSystem whole() throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://fault-whole-" + stores),
        Map.of("store", remote, "image", "merge", "readOnly", true));
  }

  @Test
  void transientFaultsAreRetriedOrResumedUnseen() throws IOException {
    for (Fault f : List.of(Fault.UNAVAILABLE, Fault.TOO_MANY, Fault.CUT, Fault.SHORT,
        Fault.WHOLE)) {
      for (boolean readOnly : List.of(true, false)) {
        try (FaultRegistry registry = registry();
            FileSystem whole = whole();
            FileSystem lazy = lazy(registry, readOnly)) {
          registry.inject(f, 2);
          for (String p : FILES) {
            assertArrayEquals(Files.readAllBytes(whole.getPath(p)),
                Files.readAllBytes(lazy.getPath(p)), f + " " + p);
            assertEquals(attributes(whole.getPath(p)), attributes(lazy.getPath(p)), f + " " + p);
          }
          assertEquals(0, registry.faultsLeft(), f + ": the faults were met");
          registry.inject(f, 2);
          assertEquals(Files.getAttribute(whole.getPath("/usr/bin"), "unix:nlink"),
              Files.getAttribute(lazy.getPath("/usr/bin"), "unix:nlink"), f.toString());
          assertEquals(0, registry.faultsLeft(), f + ": the faults were met");
          assertEquals(walk(whole), walk(lazy), f.toString());
          if (!readOnly) {
            Files.writeString(lazy.getPath("/etc/issue"), "changed\n");
            assertEquals("changed\n", Files.readString(lazy.getPath("/etc/issue")));
          }
        }
        assertClean(store);
      }
    }
  }

  @Test
  void persistentFaultsThrowOneLineIoExceptionsAndTheSameFileSystemReadsOnceTheyEnd()
      throws IOException {
    for (Fault f : List.of(Fault.UNAVAILABLE, Fault.CUT, Fault.SHORT, Fault.TOO_MANY)) {
      for (boolean readOnly : List.of(true, false)) {
        for (boolean warm : List.of(false, true)) {
          try (FaultRegistry registry = registry();
              FileSystem whole = whole();
              FileSystem lazy = lazy(registry, readOnly)) {
            String what = f + (readOnly ? " view" : " container") + (warm ? " warm" : "");
            if (warm) {
              readLazily(whole, lazy);
            }
            int before = registry.rangeRequests();
            registry.inject(f, Integer.MAX_VALUE);
            failsOrIsRight(what, whole, lazy, registry);
            assertTrue(registry.rangeRequests() > before, what);
            if (!readOnly) {
              stillLocked(store, "fault-" + stores);
            }
            registry.inject(f, 0);
            isRight(whole, lazy, readOnly);
          }
          assertClean(store);
        }
      }
    }
  }

  /**
   * Reads {@link #FILES} and stats {@code /usr/bin} lazily, so that later lookups of them need
   * no request: what is asked of the registry after that is the whole tree.
   */
  private static void readLazily(FileSystem whole, FileSystem lazy) throws IOException {
    for (String p : FILES) {
      assertArrayEquals(Files.readAllBytes(whole.getPath(p)),
          Files.readAllBytes(lazy.getPath(p)), p);
    }
    assertEquals(attributes(whole.getPath("/usr/bin")), attributes(lazy.getPath("/usr/bin")));
  }

  @Test
  void aRegistryGoneAfterTheOpenThrowsIoExceptionsAndTheSameFileSystemReadsOnceBack()
      throws IOException {
    for (boolean readOnly : List.of(true, false)) {
      try (FaultRegistry registry = registry();
          FileSystem whole = whole();
          FileSystem lazy = lazy(registry, readOnly)) {
        readLazily(whole, lazy);
        registry.stop();
        failsOrIsRight("refused " + (readOnly ? "view" : "container"), whole, lazy, registry);
        if (!readOnly) {
          stillLocked(store, "fault-" + stores);
        }
        registry.restart();
        isRight(whole, lazy, readOnly);
      }
      assertClean(store);
    }
  }

  /** Each call of a lazy read and of a switch to the whole tree: right, or an IOException. */
  private static void failsOrIsRight(String what, FileSystem whole, FileSystem lazy,
      FaultRegistry registry) throws IOException {
    for (String p : FILES) {
      Path w = whole.getPath(p);
      Path l = lazy.getPath(p);
      same(what + " bytes " + p, registry, Files.readAllBytes(w), () -> Files.readAllBytes(l));
      same(what + " stat " + p, registry, attributes(w), () -> attributes(l));
    }
    if (!lazy.isReadOnly()) {
      // a lock of a container's file is its lock file's: the container opens whole
      same(what + " lock", registry, true, () -> {
        try (FileChannel ch = FileChannel.open(lazy.getPath("/etc/hosts"));
            FileLock lock = ch.lock(0, Long.MAX_VALUE, true)) {
          return lock.isValid();
        }
      });
    }
    same(what + " nlink", registry, Files.getAttribute(whole.getPath("/usr/bin"), "unix:nlink"),
        () -> Files.getAttribute(lazy.getPath("/usr/bin"), "unix:nlink"));
    same(what + " listing", registry, walk(whole), () -> walk(lazy));
    if (!lazy.isReadOnly()) {
      same(what + " write", registry, "written",
          () -> {
            Files.writeString(lazy.getPath("/srv/new"), "written");
            return Files.readString(lazy.getPath("/srv/new"));
          });
    }
  }

  /** Container {@code name} of {@code store} is locked for writing (by its file system). */
  private static void stillLocked(Path store, String name) throws IOException {
    try (Store s = Store.open(store)) {
      IOException busy = assertThrows(IOException.class,
          () -> s.prepareContainer(name, null).close());
      assertTrue(busy.getMessage().contains("open for writing"), busy.toString());
    }
  }

  /** Everything reads as the whole view does, and a container takes a write. */
  private static void isRight(FileSystem whole, FileSystem lazy, boolean readOnly)
      throws IOException {
    for (String p : FILES) {
      assertArrayEquals(Files.readAllBytes(whole.getPath(p)),
          Files.readAllBytes(lazy.getPath(p)), p);
      assertEquals(attributes(whole.getPath(p)), attributes(lazy.getPath(p)), p);
    }
    assertEquals(Files.getAttribute(whole.getPath("/usr/bin"), "unix:nlink"),
        Files.getAttribute(lazy.getPath("/usr/bin"), "unix:nlink"));
    if (!readOnly) {
      Files.writeString(lazy.getPath("/srv/new"), "written");
      assertEquals("written", Files.readString(lazy.getPath("/srv/new")));
    }
    List<String> actual = walk(lazy);
    actual.removeIf(s -> s.startsWith("/srv/new "));
    assertEquals(walk(whole), actual);
  }

  private interface Call<T> {
    T call() throws IOException;
  }

  /**
   * {@code call} gives {@code expected}, or throws an IOException of one line naming the
   * registry or a blob; never an unchecked exception.
   */
  private static <T> void same(String what, FaultRegistry registry, T expected, Call<T> call) {
    T actual;
    try {
      actual = call.call();
    } catch (IOException e) {
      System.out.println(what + ": " + e);
      String m = e.getMessage();
      assertTrue(m != null && !m.contains("\n"), what + ": " + e);
      // the registry and the blob, also when fetched bytes do not verify
      assertTrue(m.contains(registry.address()) && m.contains("sha256:"),
          what + ": does not name both the registry and the blob: " + e);
      return;
    } catch (RuntimeException e) {
      java.io.StringWriter trace = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(trace));
      fail(what + ": an unchecked exception out of a java.nio.file call: " + trace);
      return;
    }
    if (expected instanceof byte[] b) {
      assertArrayEquals(b, (byte[]) actual, what);
    } else {
      assertEquals(expected, actual, what);
    }
  }

  /**
   * Plain gzip: a byte the registry sent wrong is served unverified (gzip's CRC and the DiffID
   * are checked at the layer's end), by this file system and, from {@code layerfs/lazy/}, by one
   * reopened; the whole tree refuses it (the completion's digest check, an IOException naming
   * the blob) and stores nothing while the registry sends it; once the registry sends it right,
   * the whole tree has the right bytes and the store is clean.
   */
  @Test
  void aWrongByteIsServedUnverifiedButNeverStored() throws IOException {
    String noise = "/" + MergeImage.NOISE + "/f1003";
    String bottom = built.layerDigests().get(0);
    int inFile = 100_000;
    // the same file system; one reopened after the whole tree refused the byte; one reopened
    // before anything checked it (the byte waits in layerfs/lazy/, served again unverified)
    for (int round = 0; round < 3; round++) {
      boolean reopen = round > 0;
      try (FaultRegistry registry = registry();
          FileSystem whole = whole()) {
        byte[] right = Files.readAllBytes(whole.getPath(noise));
        registry.flipAt(bottom, offsetOf(bottom, right, inFile), Integer.MAX_VALUE);
        FileSystem lazy = lazy(registry, true);
        try {
          rightOrFlippedAt(right, Files.readAllBytes(lazy.getPath(noise)), inFile);
          if (round < 2) {
            same("listing", registry, walk(whole), () -> walk(lazy));
            assertFalse(Files.exists(blobFile(store, bottom)), "stored");
          }
          registry.inject(Fault.FLIP_AT, 0);
          FileSystem now = lazy;
          if (reopen) {
            lazy.close();
            now = FileSystems.newFileSystem(URI.create("layerfs://fault-reopened"),
                Map.of("store", store, "image", registry.address() + "/test/merge:1", "lazy",
                    true, "readOnly", true));
          }
          try (FileSystem after = now) {
            rightOrFlippedAt(right, Files.readAllBytes(after.getPath(noise)), inFile);
            assertEquals(walk(whole), walk(after));
            assertArrayEquals(right, Files.readAllBytes(after.getPath(noise)));
          }
        } finally {
          lazy.close();
        }
      }
      assertClean(store);
      assertTrue(Files.exists(blobFile(store, bottom)), "stored once right");
    }
  }

  /**
   * Plain gzip: a byte the registry sent wrong, served unverified by a lazy view, is found when
   * a lookup reads its layer to the end (gzip's CRC; fetched again, found again while the
   * registry still sends it: an IOException naming both). Once the registry sends it right,
   * the same file system, and a channel opened in it before, serve the right bytes, without
   * the whole tree opened.
   */
  @Test
  void aWrongByteFoundAtTheLayersEndIsNotServedAgainByTheSameFileSystem() throws IOException {
    String noise = "/" + MergeImage.NOISE + "/f1003";
    String bottom = built.layerDigests().get(0);
    int inFile = 100_000;
    try (FaultRegistry registry = registry();
        FileSystem whole = whole()) {
      byte[] right = Files.readAllBytes(whole.getPath(noise));
      registry.flipAt(bottom, offsetOf(bottom, right, inFile), Integer.MAX_VALUE);
      try (FileSystem lazy = lazy(registry, true);
          SeekableByteChannel before = Files.newByteChannel(lazy.getPath(noise))) {
        byte[] wrong = Files.readAllBytes(lazy.getPath(noise));
        rightOrFlippedAt(right, wrong, inFile);
        assertNotEquals(right[inFile], wrong[inFile], "the registry's byte, served unverified");
        Path nothing = lazy.getPath("/nothing");
        IOException found = assertThrows(IOException.class,
            () -> Files.readAttributes(nothing, PosixFileAttributes.class));
        assertFalse(found instanceof NoSuchFileException, found.toString());
        assertTrue(found.getMessage().contains(registry.address())
            && found.getMessage().contains(bottom), found.getMessage());

        registry.inject(Fault.FLIP_AT, 0); // right from now on
        assertThrows(NoSuchFileException.class,
            () -> Files.readAttributes(nothing, PosixFileAttributes.class));
        assertArrayEquals(right, Files.readAllBytes(lazy.getPath(noise)));
        assertArrayEquals(right, readAll(before), "a channel opened before");
        assertFalse(Files.exists(blobFile(store, bottom)), "read lazily, not completed");
      }
    }
  }

  private static byte[] readAll(SeekableByteChannel ch) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) ch.size());
    ch.position(0);
    while (b.hasRemaining() && ch.read(b) >= 0) {
      // until full
    }
    return b.array();
  }

  private static Path blobFile(Path store, String digest) {
    return store.resolve("blobs").resolve(digest.replace(':', '/'));
  }

  /** {@code got} is {@code right}, or differs from it only at byte {@code at}. */
  private static void rightOrFlippedAt(byte[] right, byte[] got, int at) {
    assertEquals(right.length, got.length);
    byte[] expected = right.clone();
    expected[at] = got[at];
    assertArrayEquals(expected, got, "differs elsewhere than at the flipped byte");
    System.out.println("lazy read with a byte sent wrong: "
        + (got[at] == right[at] ? "right" : "the wrong byte served unverified"));
  }

  /** Where byte {@code inFile} of {@code content} (stored, as gzip keeps noise) is in the blob. */
  private long offsetOf(String blob, byte[] content, int inFile) throws IOException {
    byte[] b = Files.readAllBytes(remote.resolve("blobs").resolve(blob.replace(':', '/')));
    byte[] run = java.util.Arrays.copyOfRange(content, inFile, inFile + 64);
    for (int i = 0; i + run.length <= b.length; i++) {
      if (java.util.Arrays.equals(b, i, i + run.length, run, 0, run.length)) {
        return i;
      }
    }
    throw new AssertionError("not stored as is");
  }

  /** The attributes a stat shows. */
  private static String attributes(Path p) throws IOException {
    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class);
    return a.size() + " " + a.permissions() + " " + a.owner() + " " + a.lastModifiedTime()
        + " " + Files.readAttributes(p, "unix:mode,uid,gid");
  }

  /** Every path of a walk from the root, with its type and size. */
  private static List<String> walk(FileSystem fs) throws IOException {
    try (Stream<Path> s = Files.walk(fs.getPath("/"))) {
      List<String> out = new ArrayList<>();
      for (Path p : (Iterable<Path>) s::iterator) {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS);
        out.add(p + " " + a.permissions() + " " + a.size());
      }
      return out;
    }
  }

  private static void assertClean(Path store) throws IOException {
    try (Store s = Store.open(store)) {
      assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
    }
  }
}
