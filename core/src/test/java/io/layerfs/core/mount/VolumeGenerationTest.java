package io.layerfs.core.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileHandle;
import io.layerfs.core.FsckReport;
import io.layerfs.core.Progress;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.container.Volumes;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.fsck.Fsck;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A named volume's generation counter: a change of its directories made through layerfs, in
 * this JVM or another, shows at once in every container reading it through kept directories; a
 * change behind layerfs's back shows after the next change through layerfs (never a host path
 * through a link); a damaged or missing counter falls back to checking every directory, and so
 * does a change left under way, until the next writable open that no other live process shares
 * (or fsck's repair) ends it.
 */
class VolumeGenerationTest {
  private static final String SPEC = "type=volume,source=shared,target=/data";

  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    ContainerFixture.build(store);
  }

  @AfterEach
  void tearDown() throws IOException {
    layers.close();
  }

  /**
   * The child process: {@code STORE CONTAINER} opens the container with the shared volume at
   * /data, renames /data/a to /data/old, makes /data/new/b/f ("new") and links /data/a to
   * {@code new}, then says "done". {@code STORE --begin} begins a change of the shared volume,
   * says "begun" and waits to be killed, never ending it.
   */
  public static void main(String[] args) throws Exception {
    ContentStore store = ContentStore.open(Path.of(args[0]));
    if (args[1].equals("--begin")) {
      VolumeGeneration g = VolumeGeneration.open(Volumes.generationFile(store, "shared"), true);
      g.beginChange();
      System.out.println("begun");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, args[1], ContainerFixture.IMAGE, false,
            List.of(SPEC))) {
      renameAndLink(c);
    }
    System.out.println("done");
  }

  private static void renameAndLink(Container c) throws IOException {
    c.move("/data/a", "/data/old", false);
    c.createDirectory("/data/new", 0755);
    c.createDirectory("/data/new/b", 0755);
    ContainerFixture.write(c, "/data/new/b/f", "new\n");
    c.createSymbolicLink("/data/a", "new");
  }

  private Container open(String name) throws IOException {
    return Container.open(store, layers, name, ContainerFixture.IMAGE, false, List.of(SPEC));
  }

  /** Reads as the provider reads a file: the mount's shortcut first, else resolution. */
  private static String read(Container c, String path) throws IOException {
    FileHandle h = c.openForReading(path, true);
    if (h == null) {
      return ContainerFixture.readString(c, path);
    }
    try (h) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      h.read(b, 0);
      return new String(b.array(), StandardCharsets.UTF_8);
    }
  }

  /** /data/a/b/f ("first") in the volume, then read by {@code c} so that a and a/b stay open. */
  private void prepare(Container c) throws IOException {
    c.createDirectory("/data/a", 0755);
    c.createDirectory("/data/a/b", 0755);
    ContainerFixture.write(c, "/data/a/b/f", "first\n");
    assertEquals("first\n", read(c, "/data/a/b/f"));
    assertEquals("first\n", read(c, "/data/a/b/f")); // the second through the kept ones
  }

  /**
   * The shared volume's generation, read through this JVM's open of the counter (opening and
   * closing the file otherwise would drop the JVM's lock on it).
   */
  private long generation() throws IOException {
    try (VolumeGeneration g = VolumeGeneration.open(counter(), false)) {
      return g.current();
    }
  }

  private long stable() throws IOException {
    try (VolumeGeneration g = VolumeGeneration.open(counter(), false)) {
      return g.stable();
    }
  }

  private Path counter() throws IOException {
    return Volumes.generationFile(store, "shared");
  }

  /** The raw words of the counter: only while this JVM has it open nowhere. */
  private long[] words() throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(counter())).order(ByteOrder.nativeOrder());
    return new long[] {b.getLong(0), b.getLong(8), b.getLong(16)};
  }

  /** A child JVM that began a change of the shared volume and never ends it. */
  private Process beginInChild() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        VolumeGenerationTest.class.getName(), store.root().toString(), "--begin")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("begun", out.readLine());
    return p;
  }

  private static void kill(Process p) throws InterruptedException {
    p.destroyForcibly();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
  }

  @Test
  void aRenameAndALinkInOneContainerShowAtOnceInAnotherOfTheSameJvm() throws IOException {
    try (Container reader = open("reader"); Container writer = open("writer")) {
      prepare(reader);
      long before = generation();
      renameAndLink(writer);
      assertTrue(generation() > before, "the rename was counted");
      assertEquals("new\n", read(reader, "/data/a/b/f"), "the link, resolved in the container");
      assertEquals("first\n", read(reader, "/data/old/b/f"));
      writer.delete("/data/a");
      writer.move("/data/old", "/data/a", false);
      assertEquals("first\n", read(reader, "/data/a/b/f"), "moved back");
      writer.delete("/data/a/b/f");
      writer.delete("/data/a/b");
      assertThrows(NoSuchFileException.class, () -> read(reader, "/data/a/b/f"));
    }
  }

  @Test
  void readsBetweenSwapsOfTwoDirectoriesByAnotherThreadAlwaysFindTheCurrentOne()
      throws Exception {
    try (Container reader = open("reader"); Container writer = open("writer")) {
      writer.createDirectory("/data/p", 0755);
      for (String d : List.of("a", "b")) {
        writer.createDirectory("/data/p/" + d, 0755);
        ContainerFixture.write(writer, "/data/p/" + d + "/f", d);
      }
      // the test's own seqlock: odd while a swap is under way, even (2 per swap) after it
      java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong();
      int swaps = 300;
      Thread swapper = new Thread(() -> {
        try {
          for (int i = 0; i < swaps; i++) {
            version.incrementAndGet();
            writer.move("/data/p/a", "/data/p/t", false);
            writer.move("/data/p/b", "/data/p/a", false);
            writer.move("/data/p/t", "/data/p/b", false);
            version.incrementAndGet();
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      swapper.start();
      int checked = 0;
      while (swapper.isAlive() || checked == 0) {
        long v1 = version.get();
        String found;
        try {
          found = read(reader, "/data/p/a/f");
        } catch (NoSuchFileException e) {
          found = "missing"; // between two renames of a swap, or wrong: see below
        }
        if (v1 % 2 == 0 && version.get() == v1) {
          // no swap overlapped this read: /data/p/a is the directory the last swap left there
          assertEquals((v1 / 2) % 2 == 0 ? "a" : "b", found, "after " + v1 / 2 + " swaps");
          checked++;
        }
      }
      swapper.join();
      assertEquals(swaps % 2 == 0 ? "a" : "b", read(reader, "/data/p/a/f"));
      assertTrue(checked > 0);
    }
  }

  @Test
  void aRenameAndALinkInAnotherJvmShowAtOnce() throws Exception {
    try (Container reader = open("reader")) {
      prepare(reader);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          VolumeGenerationTest.class.getName(), store.root().toString(), "writer")
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try (BufferedReader out = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        assertEquals("done", out.readLine());
      }
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue());
      assertEquals("new\n", read(reader, "/data/a/b/f"), "the link, resolved in the container");
      assertEquals("first\n", read(reader, "/data/old/b/f"));
    }
  }

  @Test
  void aHostRenameBehindLayerfsShowsAfterTheNextChangeThroughLayerfsNeverThroughALink()
      throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("outside/b"));
    Files.writeString(outside.resolve("f"), "outside\n");
    try (Container c = open("c")) {
      prepare(c);
      Path data = Volumes.dataDir(store, "shared");
      // a host process moves the kept directory out of the volume and links to another one
      Files.move(data.resolve("a"), tmp.resolve("moved-a"));
      Files.createSymbolicLink(data.resolve("a"), tmp.resolve("outside"));
      assertEquals("first\n", read(c, "/data/a/b/f"),
          "the moved directory, read at its old name as Docker's rule allows");
      // any change of the volume's directories through layerfs: checked again from then on
      c.createDirectory("/data/x", 0755);
      c.delete("/data/x");
      assertThrows(NoSuchFileException.class, () -> read(c, "/data/a/b/f"),
          "the link resolves in the container, where " + tmp + " does not exist");
    }
  }

  @Test
  void aDamagedCounterIsAFallbackToCheckingEveryDirectory() throws IOException {
    try (Container c = open("c")) {
      prepare(c);
      Path counter = Volumes.generationFile(store, "shared");
      try (var ch = java.nio.channels.FileChannel.open(counter,
          java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap("garbage!".getBytes(StandardCharsets.US_ASCII)), 0);
      }
      hostSwapShowsAtOnce(c);
    }
  }

  @Test
  void aChangeUnderWayInThisJvmIsAFallbackToCheckingEveryDirectoryAndIsNotReset()
      throws IOException {
    try (Container c = open("c")) {
      prepare(c);
      try (VolumeGeneration writer = VolumeGeneration.open(counter(), true)) {
        writer.beginChange(); // as a rename in another container of this JVM, not yet ended
        try (Container other = open("other")) {
          assertEquals(VolumeGeneration.UNKNOWN, stable(), "a live change is not reset");
          hostSwapShowsAtOnce(c);
        }
        writer.endChange();
      }
      assertNotEquals(VolumeGeneration.UNKNOWN, stable());
    }
  }

  @Test
  void aChangeLeftUnderWayByAKilledProcessIsResetByTheNextOpenWhenNoOtherProcessUsesIt()
      throws Exception {
    open("c").close();
    long before = words()[1];
    kill(beginInChild());
    long[] left = words();
    assertEquals(1, left[2], "the killed process left its change under way");
    try (Container c = open("c")) {
      assertNotEquals(VolumeGeneration.UNKNOWN, stable(), "reset by the open");
      assertTrue(generation() > left[1] && left[1] > before,
          "raised, so that nothing checked before the reset stands");
      prepare(c);
      // the fast path again: a host rename behind layerfs is not seen (Docker's rule allows it)
      Path data = Volumes.dataDir(store, "shared");
      Files.move(data.resolve("a"), data.resolve("host-moved"));
      assertEquals("first\n", read(c, "/data/a/b/f"), "read through the kept directories");
    }
  }

  @Test
  void aChangeUnderWayInALiveProcessIsNotResetAndIsResetOnceThatProcessWasKilled()
      throws Exception {
    open("c").close(); // makes the volume
    Process child = beginInChild();
    try {
      try (Container c = open("c")) {
        prepare(c);
        try (Container other = open("other")) {
          assertEquals(VolumeGeneration.UNKNOWN, stable(), "the child is alive: not reset");
          assertEquals(0, Fsck.run(store, () -> layers, true, Progress.NONE)
              .problems(FsckReport.Kind.ABANDONED_VOLUME_CHANGE).size(), "nor by fsck");
          assertEquals(VolumeGeneration.UNKNOWN, stable());
        }
        kill(child);
        assertEquals(VolumeGeneration.UNKNOWN, stable(), "not reset by a read-only open of "
            + "the file while this JVM has it open, but...");
        try (Container other = open("other")) {
          // ... an open of a container while this JVM has the volume open resets it: none of
          // this JVM's changes is under way and no other process uses the volume
          assertNotEquals(VolumeGeneration.UNKNOWN, stable());
        }
        hostSwapShowsAtOnce(c); // c's kept directories were checked before: it checks again
      }
    } finally {
      kill(child);
    }
  }

  @Test
  void fsckReportsAChangeLeftUnderWayByAKilledProcessAndARepairResetsIt() throws Exception {
    open("c").close();
    kill(beginInChild());
    List<FsckReport.Problem> found = Fsck.run(store, () -> layers, false, Progress.NONE)
        .problems(FsckReport.Kind.ABANDONED_VOLUME_CHANGE);
    assertEquals(1, found.size(), found.toString());
    assertEquals("shared", found.get(0).object());
    assertTrue(found.get(0).message().contains(counter().toString()), found.get(0).message());
    assertFalse(found.get(0).repaired());
    assertEquals(1, words()[2], "a check changes nothing");
    List<FsckReport.Problem> repaired = Fsck.run(store, () -> layers, true, Progress.NONE)
        .problems(FsckReport.Kind.ABANDONED_VOLUME_CHANGE);
    assertEquals(1, repaired.size(), repaired.toString());
    assertTrue(repaired.get(0).repaired());
    assertEquals(0, words()[2]);
    assertEquals(0, Fsck.run(store, () -> layers, false, Progress.NONE)
        .problems(FsckReport.Kind.ABANDONED_VOLUME_CHANGE).size());
  }

  @Test
  void aCounterThatCannotBeMadeIsAFallbackToCheckingEveryDirectory() throws IOException {
    Files.createDirectories(Volumes.generationFile(store, "shared"));
    try (Container c = open("c")) {
      prepare(c);
      hostSwapShowsAtOnce(c);
    }
  }

  @Test
  void aMissingCounterIsMadeAgainAndAReadOnlyOpenWithoutOneChecksEveryDirectory()
      throws IOException {
    open("c").close();
    Path counter = Volumes.generationFile(store, "shared");
    assertTrue(Files.size(counter) == 24, "made at the first open");
    Files.delete(counter);
    try (Container c = Container.open(store, layers, "c", null, true)) {
      Path data = Volumes.dataDir(store, "shared");
      Files.createDirectories(data.resolve("a/b"));
      Files.writeString(data.resolve("a/b/f"), "first\n");
      assertEquals("first\n", read(c, "/data/a/b/f"));
      assertEquals("first\n", read(c, "/data/a/b/f"));
      assertFalse(Files.exists(counter), "a read-only open makes nothing");
      hostSwapShowsAtOnce(c);
    }
    try (Container c = open("c")) {
      assertEquals(24, Files.size(counter), "made again");
      assertNotEquals(-1, generation());
    }
  }

  @Test
  void aCounterDeletedWhileThisJvmHasItOpenIsMadeAgainByTheNextOpen() throws IOException {
    try (Container c = open("c")) {
      Files.delete(counter());
      try (Container other = open("other")) {
        assertEquals(24, Files.size(counter()), "made again, not the deleted one used");
        long before = generation();
        other.createDirectory("/data/x", 0755);
        other.delete("/data/x");
        assertTrue(generation() > before, "counted in the new file");
      }
    }
  }

  @Test
  void aCounterMappedForReadingOnlyRefusesToCountAChangeNamingIt() throws IOException {
    open("c").close();
    Path counter = Volumes.generationFile(store, "shared");
    try (VolumeGeneration g = VolumeGeneration.open(counter, false)) {
      long before = g.stable();
      assertNotEquals(VolumeGeneration.UNKNOWN, before);
      java.nio.file.FileSystemException e =
          assertThrows(java.nio.file.FileSystemException.class, g::beginChange);
      assertEquals(counter.toString(), e.getFile());
      assertEquals(before, g.stable(), "nothing counted");
    }
  }

  /** A host rename shows at once, as in a bind mount: every directory was checked. */
  private void hostSwapShowsAtOnce(Container c) throws IOException {
    Path data = Volumes.dataDir(store, "shared");
    Files.move(data.resolve("a"), data.resolve("host-moved"));
    Files.createDirectories(data.resolve("a/b"));
    Files.writeString(data.resolve("a/b/f"), "replaced\n");
    assertEquals("replaced\n", read(c, "/data/a/b/f"));
    assertEquals("first\n", read(c, "/data/host-moved/b/f"));
  }
}
