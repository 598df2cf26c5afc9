package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.FsckReport;
import io.layerfs.core.GcReport;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One store used by several JVMs at once: two importing and committing the same image, two
 * creating and removing the same container, gc running beside imports and commits, and a reader
 * whose heap is far smaller than the layer indexes it reads. Afterwards every tagged image must
 * verify ({@code fsck}) and read whole. {@code -Dlayerfs.concurrency.rounds=N} runs more rounds
 * than CI's.
 */
class StoreProcessTest {
  private static final int ROUNDS = Integer.getInteger("layerfs.concurrency.rounds", 3);

  @TempDir Path tmp;

  /**
   * The child: {@code work STORE SOURCE ID ROUNDS} imports SOURCE and commits a container of it
   * per round; {@code gc STORE STOPFILE} collects until STOPFILE exists; {@code recreate STORE
   * TAG MS GOFILE} waits for GOFILE, then for MS milliseconds creates container "same" of TAG,
   * writes to it and removes it, a few milliseconds apart, and prints how many times the other
   * JVM let it; {@code mount-volume STORE TAG MS GOFILE} and {@code prune-volumes ...} mount
   * volume "shared" in new containers, or prune volumes, for MS milliseconds; {@code view STORE
   * TAG PATH} prints PATH's bytes read through a view of TAG (of container NAME, read-only, for
   * {@code container:NAME}) once open and for each line read; {@code read STORE TAG} reads every
   * file of TAG and prints how many.
   */
  private static final String SHARED = "type=volume,source=shared,target=/data";

  public static void main(String[] args) throws Exception {
    try (Store store = Store.open(Path.of(args[1]))) {
      switch (args[0]) {
        case "work" -> {
          String id = args[3];
          for (int r = 0; r < Integer.parseInt(args[4]); r++) {
            store.importImage("oci:" + args[2] + ":app", "app", Progress.NONE);
            store.importImage("oci:" + args[2] + ":app", "app-" + id + "-" + r, Progress.NONE);
            String name = "k-" + id + "-" + r;
            try (Container c = store.container(name, "app", false)) {
              try (FileHandle h = c.open("/etc/round", Set.of(StandardOpenOption.WRITE,
                  StandardOpenOption.CREATE), 0644)) {
                h.write(ByteBuffer.wrap((id + r).getBytes(StandardCharsets.UTF_8)), 0);
              }
              c.commit("commit-" + id + "-" + r, CommitOptions.defaults(), Progress.NONE);
              c.commit("shared", CommitOptions.defaults(), Progress.NONE);
            }
            store.removeContainer(name);
          }
        }
        case "gc", "prune" -> {
          int runs = 0;
          int pruned = 0;
          while (!Files.exists(Path.of(args[2]))) {
            if (args[0].equals("gc")) {
              store.gc(false);
            } else {
              pruned += store.pruneImages(false).images().size();
            }
            runs++;
            if (runs == 1) {
              Files.createFile(Path.of(args[3])); // the writers start now
            }
          }
          System.out.println(args[0] + " " + runs + " " + pruned);
        }
        case "recreate" -> {
          int done = 0;
          java.util.Random random = new java.util.Random();
          while (!Files.exists(Path.of(args[4]))) {
            Thread.sleep(1); // both start together, their store and classes ready
          }
          long end = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000L;
          for (int r = 0; System.nanoTime() < end; r++) {
            Thread.sleep(random.nextInt(4));
            try {
              try (Container c = store.container("same", args[2], false)) {
                // the other JVM's container too, when it opens the one made there
                c.createDirectory("/round-" + ProcessHandle.current().pid() + "-" + r, 0755);
              }
              store.removeContainer("same");
              done++;
            } catch (IOException e) {
              // the other JVM has it open, or removed it first
              String m = String.valueOf(e.getMessage());
              if (!m.contains("open for writing by another process")
                  && !m.contains("no container same")) {
                throw e;
              }
            }
          }
          System.out.println(done);
        }
        case "view" -> {
          // view STORE TAG PATH: prints PATH's bytes once open and again for each line read
          BufferedReader in = new BufferedReader(new InputStreamReader(System.in,
              StandardCharsets.UTF_8));
          String container = args[2].startsWith("container:") ? args[2].substring(10) : null;
          try (FileTree view = container != null ? store.container(container, null, true)
              : store.view(args[2])) {
            do {
              System.out.println(readString(view, args[3]));
              System.out.flush();
            } while (in.readLine() != null);
          }
        }
        case "mount-volume", "prune-volumes" -> {
          while (!Files.exists(Path.of(args[4]))) {
            Thread.sleep(1);
          }
          long end = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000L;
          int pruned = 0;
          int r = 0;
          for (; System.nanoTime() < end; r++) {
            if (args[0].equals("prune-volumes")) {
              pruned += store.pruneVolumes().volumes().size();
              continue;
            }
            String name = "c" + r;
            store.createVolume("shared"); // there for the other JVM's prunes to take
            try (Container c = store.container(name, args[2], false, List.of(SHARED))) {
              try (FileHandle h = c.open("/data/" + name, Set.of(StandardOpenOption.WRITE,
                  StandardOpenOption.CREATE_NEW), 0644)) {
                h.write(ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8)), 0);
              }
              // the volume this open container writes to is still the store's: no prune in the
              // other JVM took it away meanwhile
              Path file = store.volumePath("shared").resolve(name);
              if (!Files.exists(file)) {
                throw new AssertionError(file + " is gone while container " + name + " is open");
              }
            }
            store.removeContainer(name);
          }
          System.out.println(r + " " + pruned);
        }
        default -> System.out.println(readAll(store.view(args[2]), "/"));
      }
    }
  }

  @Test
  void twoJvmsImportAndCommitTheSameImageAtOnce() throws Exception {
    Path source = source();
    Path store = tmp.resolve("store");
    Process a = child(List.of(), "work", store.toString(), source.toString(), "a", "" + ROUNDS);
    Process b = child(List.of(), "work", store.toString(), source.toString(), "b", "" + ROUNDS);
    assertEquals(0, finish(a), "first writer");
    assertEquals(0, finish(b), "second writer");
    verifyAll(store, 2 + 4 * ROUNDS);
  }

  @Test
  void twoJvmsCreateAndRemoveTheSameContainerAtOnce() throws Exception {
    Path store = tmp.resolve("store");
    try (Store s = Store.open(store)) {
      s.importImage("oci:" + source() + ":app", "app", Progress.NONE);
    }
    Path go = tmp.resolve("go");
    Process a = child(List.of(), "recreate", store.toString(), "app", "3000", go.toString());
    Process b = child(List.of(), "recreate", store.toString(), "app", "3000", go.toString());
    Thread.sleep(1000); // both JVMs up (a slow one only runs alone for a while)
    Files.createFile(go);
    String doneA = new String(a.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String doneB = new String(b.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, finish(a), "first JVM");
    assertEquals(0, finish(b), "second JVM");
    System.out.println("StoreProcessTest: " + doneA + " and " + doneB
        + " creations and removals in 3 s");
    assertTrue(Integer.parseInt(doneA) > 0 && Integer.parseInt(doneB) > 0, doneA + " " + doneB);
    try (Store s = Store.open(store)) {
      // each removal whole: no container, folder or hold left, nothing for gc or fsck to mend
      assertEquals(List.of(), s.containers());
      try (var left = Files.list(store.resolve("layerfs/containers"))) {
        assertEquals(List.of(), left.toList());
      }
      assertEquals(java.util.Map.of(),
          io.layerfs.core.content.ContentStore.open(store).readIndex().holds());
      assertEquals(List.of(), s.gc(false).problems());
      FsckReport report = s.fsck(false, Progress.NONE);
      assertTrue(report.ok(), report.toString());
    }
  }

  /**
   * One JVM creates containers mounting volume "shared" (made first, for prunes to take), writes
   * into it and removes each container, while another prunes unused volumes without pause, for
   * 3 s: a prune never takes the volume from under a container that mounts it, and nothing is
   * left over. (It fails when prune ignores the containers' records; the volume lock's own
   * window, between a record's write and its mount, is too short for it to catch.)
   */
  @Test
  void twoJvmsMountAndPruneOneVolumeAtOnce() throws Exception {
    Path store = tmp.resolve("store");
    try (Store s = Store.open(store)) {
      s.importImage("oci:" + source() + ":app", "app", Progress.NONE);
    }
    Path go = tmp.resolve("go");
    Process a = child(List.of(), "mount-volume", store.toString(), "app", "3000", go.toString());
    Process b = child(List.of(), "prune-volumes", store.toString(), "app", "3000", go.toString());
    Thread.sleep(1000);
    Files.createFile(go);
    String doneA = new String(a.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String doneB = new String(b.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, finish(a), "first JVM");
    assertEquals(0, finish(b), "second JVM");
    System.out.println("StoreProcessTest: containers, and prunes and volumes pruned: " + doneA
        + " and " + doneB);
    try (Store s = Store.open(store)) {
      assertEquals(List.of(), s.containers());
      s.pruneVolumes();
      assertEquals(List.of(), s.volumes());
      try (var left = Files.list(store.resolve("layerfs/volumes"))) {
        assertEquals(List.of(), left.toList());
      }
      assertEquals(List.of(), s.gc(false).problems());
      FsckReport report = s.fsck(false, Progress.NONE);
      assertTrue(report.ok(), report.toString());
    }
  }

  @Test
  void gcInAnotherJvmLosesNothingTagged() throws Exception {
    String[] runs = collectBesideWriters("gc");
    System.out.println("StoreProcessTest: " + runs[1] + " collections beside the writers");
  }

  @Test
  void imagePruneInAnotherJvmRemovesDanglingImagesAndLosesNothingTagged() throws Exception {
    // each commit moves the tag "shared", leaving the image it named dangling for prune
    String[] runs = collectBesideWriters("prune");
    System.out.println("StoreProcessTest: " + runs[1] + " prunes beside the writers removed "
        + runs[2] + " images");
    assertTrue(Integer.parseInt(runs[2]) > 0, "prune removed no dangling image");
  }

  /**
   * Runs {@code gc} or {@code prune} (dangling images) in a JVM of its own, over and over, while
   * two other JVMs import and commit; then every tagged image must verify and read whole.
   * Returns the collector's last line, split: the mode, its runs, images pruned.
   */
  private String[] collectBesideWriters(String mode) throws Exception {
    Path source = source();
    Path store = tmp.resolve("store");
    Path stop = tmp.resolve("stop");
    Path collected = tmp.resolve("collected-once");
    Process gc = child(List.of(), mode, store.toString(), stop.toString(), collected.toString());
    // the writers start once gc has run: on a loaded machine its JVM could otherwise start after
    // they are done, and the second collection, which runs beside them, would never come
    for (long end = System.nanoTime() + 120_000_000_000L; !Files.exists(collected); ) {
      assertTrue(gc.isAlive() && System.nanoTime() < end, "gc did not collect once");
      Thread.sleep(10);
    }
    Process a = child(List.of(), "work", store.toString(), source.toString(), "a", "" + ROUNDS);
    Process b = child(List.of(), "work", store.toString(), source.toString(), "b", "" + ROUNDS);
    assertEquals(0, finish(a), "first writer");
    assertEquals(0, finish(b), "second writer");
    Files.createFile(stop);
    String runs = new String(gc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, finish(gc), mode);
    String[] fields = runs.split(" ");
    assertTrue(Integer.parseInt(fields[1]) > 1, runs);
    verifyAll(store, 2 + 4 * ROUNDS);
    return fields;
  }

  /**
   * A view open in another JVM keeps its image from gc here, as a running container keeps its
   * image in Docker, also once no tag names it; killed without closing, it keeps nothing.
   */
  @Test
  void aViewInAnotherJvmKeepsItsImageUntilItsProcessEnds() throws Exception {
    Path store = tmp.resolve("store");
    ImageBuilder.create(store).layer().file("/etc/motd", "held\n").build("held:1");
    Process view = child(List.of(), "view", store.toString(), "held:1", "/etc/motd");
    BufferedReader out = new BufferedReader(new InputStreamReader(view.getInputStream(),
        StandardCharsets.UTF_8));
    Writer in = new OutputStreamWriter(view.getOutputStream(), StandardCharsets.UTF_8);
    try (Store s = Store.open(store)) {
      assertEquals("held", out.readLine(), "the view's first read");
      assertTrue(s.untag("held:1"));
      GcReport kept = s.gc(false);
      assertEquals(List.of(), kept.removed(GcReport.Kind.BLOB), "gc took the viewed image");
      assertEquals(List.of(), kept.removed(GcReport.Kind.UNCOMPRESSED_LAYER));
      in.write("again\n");
      in.flush();
      assertEquals("held", out.readLine(), "the view's read after gc");

      view.destroyForcibly(); // kill -9: its hold file stays, unlocked
      view.waitFor(60, TimeUnit.SECONDS);
      GcReport freed = s.gc(false);
      assertEquals(3, freed.removed(GcReport.Kind.BLOB).size(), "manifest, config, layer");
      List<GcReport.Item> holds = freed.removed(GcReport.Kind.TEMP_FILE);
      assertEquals(1, holds.size(), "the dead view's hold file: " + holds);
      assertTrue(holds.get(0).name().startsWith("layerfs/views/" + view.pid() + "-"),
          holds.get(0).name());
    }
  }

  /**
   * A container open read-only in another JVM is not removed here, as docker rm refuses a
   * running container: its reads would fail once its files were deleted. Closed, or its process
   * killed, it is removed.
   */
  @Test
  void aContainerOpenReadOnlyInAnotherJvmIsNotRemovedUntilItCloses() throws Exception {
    Path store = tmp.resolve("store");
    ImageBuilder.create(store).layer().file("/etc/motd", "image\n").build("app:1");
    try (Store s = Store.open(store); Container c = s.container("web", "app:1", false)) {
      c.delete("/etc/motd");
      c.createDirectory("/etc/motd", 0755); // an upper directory, then a file in it
      try (FileHandle h = c.open("/etc/motd/mine", Set.of(StandardOpenOption.WRITE,
          StandardOpenOption.CREATE_NEW), 0644)) {
        h.write(ByteBuffer.wrap("mine\n".getBytes(StandardCharsets.UTF_8)), 0);
      }
    }
    for (boolean kill : List.of(false, true)) {
      Process view = child(List.of(), "view", store.toString(), "container:web",
          "/etc/motd/mine");
      BufferedReader out = new BufferedReader(new InputStreamReader(view.getInputStream(),
          StandardCharsets.UTF_8));
      Writer in = new OutputStreamWriter(view.getOutputStream(), StandardCharsets.UTF_8);
      try (Store s = Store.open(store)) {
        assertEquals("mine", out.readLine(), "the view's first read");
        IOException refused = assertThrows(IOException.class, () -> s.removeContainer("web"));
        assertTrue(refused.getMessage().contains("container web is open read-only by another "
            + "process"), refused.getMessage());
        assertTrue(s.hasContainer("web"));
        in.write("again\n");
        in.flush();
        assertEquals("mine", out.readLine(), "the view's read after the refused removal");
        if (kill) {
          view.destroyForcibly(); // kill -9: the OS drops its lock
        } else {
          in.close(); // the view closes and the child ends
        }
        assertEquals(kill, finish(view) != 0);
        if (!kill) {
          continue; // once more, to be killed
        }
        s.removeContainer("web");
        assertFalse(s.hasContainer("web"));
      }
    }
  }

  @Test
  void aSmallHeapReadsManyLayers() throws Exception {
    Path store = tmp.resolve("store");
    ImageBuilder b = ImageBuilder.create(store);
    int files = 0;
    for (int l = 0; l < 30; l++) {
      b.layer(l % 2 == 0 ? LayerCompression.GZIP : LayerCompression.NONE);
      for (int i = 0; i < 2000; i++) {
        b.file("/l" + l + "/d" + i % 50 + "/f" + i, "layer " + l + " file " + i + "\n");
        files++;
      }
    }
    b.build("many");
    Process r = child(List.of("-Xmx64m"), "read", store.toString(), "many");
    String out = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, finish(r), "the reader with 64 MiB of heap");
    assertEquals(String.valueOf(files), out);
  }

  // ------------------------------------------------------------------ helpers

  private Path source() throws IOException {
    Path source = tmp.resolve("source");
    ImageBuilder b = ImageBuilder.create(source).layer(LayerCompression.GZIP);
    for (int i = 0; i < 300; i++) {
      b.file("/usr/share/f" + i, ("file " + i + "\n").repeat(50));
    }
    b.layer(LayerCompression.GZIP).file("/etc/os-release", "ID=test\n").dir("/etc");
    b.build("app");
    return source;
  }

  /** Every tag verifies (fsck finds nothing) and reads whole; there are {@code tags} of them. */
  private static void verifyAll(Path dir, int tags) throws IOException {
    try (Store store = Store.open(dir)) {
      List<String> all = store.tags();
      assertEquals(tags, all.size(), all.toString());
      FsckReport report = store.fsck(false, Progress.NONE);
      assertTrue(report.ok(), report.toString());
      for (String tag : all) {
        assertTrue(readAll(store.view(tag), "/") >= 301, tag);
      }
    }
  }

  /** Reads every file below {@code dir}; returns how many. */
  static int readAll(FileTree t, String dir) throws IOException {
    int n = 0;
    for (String name : t.list(dir)) {
      String p = dir.equals("/") ? "/" + name : dir + "/" + name;
      Node node = t.lookup(p, false);
      if (node.isDirectory()) {
        n += readAll(t, p);
      } else if (node.type() == io.layerfs.core.EntryType.FILE) {
        try (FileHandle h = t.open(p, Set.of(StandardOpenOption.READ), 0)) {
          ByteBuffer b = ByteBuffer.allocate((int) node.size());
          while (b.hasRemaining() && h.read(b, b.position()) > 0) {
            // fill
          }
          if (b.hasRemaining()) {
            throw new IOException(p + " read short");
          }
        }
        n++;
      }
    }
    return n;
  }

  /** A file's bytes read through {@code t}, as text (the whole file, short or not). */
  private static String readString(FileTree t, String path) throws IOException {
    try (FileHandle h = t.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) > 0) {
        // fill
      }
      return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
    }
  }

  private static Process child(List<String> jvm, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(StoreProcessTest.class.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static int finish(Process p) throws InterruptedException {
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("a child did not finish in 300 s");
    }
    return p.exitValue();
  }
}
