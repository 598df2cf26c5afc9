package io.layerfs.core.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileHandle;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.container.Volumes;
import io.layerfs.core.content.ContentStore;
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
 * through a link); a damaged or missing counter falls back to checking every directory.
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
   * {@code new}, then says "done".
   */
  public static void main(String[] args) throws Exception {
    ContentStore store = ContentStore.open(Path.of(args[0]));
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

  private long generation() throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(Volumes.generationFile(store, "shared")))
        .order(ByteOrder.nativeOrder());
    return b.getLong(8);
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
  void aChangeLeftUnderWayByAWriterThatDiedIsAFallbackToCheckingEveryDirectory()
      throws IOException {
    try (Container c = open("c")) {
      prepare(c);
      Path counter = Volumes.generationFile(store, "shared");
      try (var ch = java.nio.channels.FileChannel.open(counter,
          java.nio.file.StandardOpenOption.WRITE)) {
        ByteBuffer one = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, 1);
        ch.write(one, 16); // one change begun, never ended
      }
      hostSwapShowsAtOnce(c);
    }
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
