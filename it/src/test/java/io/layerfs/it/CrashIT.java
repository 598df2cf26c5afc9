package io.layerfs.it;

import static io.layerfs.it.CrashChild.BIG;
import static io.layerfs.it.CrashChild.CHUNK;
import static io.layerfs.it.CrashChild.CONTAINER;
import static io.layerfs.it.CrashChild.MARK;
import static io.layerfs.it.CrashChild.MARK_AT;
import static io.layerfs.it.CrashChild.TAG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.FsckReport;
import io.layerfs.core.Node;
import io.layerfs.core.GcReport;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM ({@link CrashChild}, {@code Process.destroyForcibly}: SIGKILL) at a seeded
 * random moment after it announced an operation: import of an OCI layout, the first open of an
 * image (inflate and index), copy-up of a large image file, commit, gc, the rename of an image
 * directory in a container, container creation and removal, the first fill of a volume, a pull
 * and a push. Then, in this JVM: the store opens, every tag reads as its fresh reference, the
 * container shows the old or the new state of the operation and nothing else, and the operation
 * run again succeeds. The seed is printed; {@code -Dlayerfs.crash.seed=N} runs it again.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
final class CrashIT {
  private static final int ROUNDS = 4;
  private static final int MAX_DELAY_MS = 400;
  private static final int BIG_SIZE = 8 << 20;

  @TempDir static Path shared;
  private static Path source;
  /** base imported, nothing indexed. */
  private static Path imported;
  /** base indexed, container c with changes (a 4 MiB new file, a delete), junk untagged. */
  private static Path used;
  private static Map<String, String> baseTree;
  private static Map<String, String> containerTree;
  private static byte[] big;
  private static Digest junk;
  /** base indexed, containers r0 to r5, each with 300 files of its own. */
  private static Path removable;
  private static final Map<String, Map<String, String>> removableTrees = new TreeMap<>();
  /** A store of six volumes of 300 files each, for {@code volumeRemovalKilled}. */
  private static Path volumes;
  private static final Map<String, Map<String, String>> volumeTrees = new TreeMap<>();
  private static Random random;

  @BeforeAll
  static void prepare() throws IOException {
    long seed = Long.getLong("layerfs.crash.seed", System.nanoTime());
    System.out.println("CrashIT seed " + seed + " (-Dlayerfs.crash.seed=" + seed + ")");
    random = new Random(seed);
    big = new byte[BIG_SIZE];
    new Random(7).nextBytes(big);
    source = shared.resolve("source");
    ImageBuilder image = ImageBuilder.create(source)
        .layer(LayerCompression.GZIP)
        .file("/etc/hosts", "127.0.0.1 localhost\n")
        .file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        .file(BIG, big)
        .symlink("/lnk", "etc/hosts")
        .file("/d/a", "a");
    for (int i = 0; i < CrashChild.MANY; i++) {
      image.file("/many/f" + i, "image file " + i + "\n");
    }
    image.layer(LayerCompression.ZSTD)
        .whiteout("/d/a")
        .file("/d/b", "b")
        .build(TAG);
    imported = shared.resolve("imported");
    try (Store s = Store.open(imported)) {
      s.importImage("oci:" + source + ":" + TAG, TAG, Progress.NONE);
    }
    Path reference = shared.resolve("reference");
    copy(imported, reference);
    try (Store s = Store.open(reference)) {
      baseTree = tree(s.view(TAG));
    }
    assertTrue(baseTree.containsKey(BIG), baseTree.toString());

    used = shared.resolve("used");
    copy(imported, used);
    try (Store s = Store.open(used)) {
      try (Container c = s.container(CONTAINER, TAG, false)) {
        byte[] data = new byte[4 << 20];
        new Random(8).nextBytes(data);
        c.createDirectory("/new", 0755);
        try (FileHandle h = c.open("/new/data",
            Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), 0644)) {
          h.write(ByteBuffer.wrap(data), 0);
        }
        c.delete("/etc/passwd");
        containerTree = tree(c);
      }
      junk = Digest.parse(ImageBuilder.create(used).file("/junk", "junk").build("junk")
          .manifestDigest());
      assertTrue(s.untag("junk"));
    }

    removable = shared.resolve("removable");
    copy(imported, removable);
    try (Store s = Store.open(removable)) {
      for (int i = 0; i < 6; i++) {
        try (Container c = s.container("r" + i, TAG, false)) {
          c.createDirectory("/own", 0755);
          for (int f = 0; f < 300; f++) {
            try (FileHandle h = c.open("/own/f" + f,
                Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), 0644)) {
              h.write(ByteBuffer.wrap(("r" + i + " " + f).getBytes(StandardCharsets.UTF_8)), 0);
            }
          }
          removableTrees.put("r" + i, tree(c));
        }
      }
    }

    volumes = shared.resolve("volumes");
    try (Store s = Store.open(volumes)) {
      for (int i = 0; i < 6; i++) {
        Path data = s.createVolume("v" + i);
        for (int f = 0; f < 300; f++) {
          Path sub = Files.createDirectories(data.resolve("d" + f % 10));
          Files.writeString(sub.resolve("f" + f), "v" + i + " " + f);
        }
        volumeTrees.put("v" + i, hostTree(data));
      }
    }
  }

  @Test
  void importKilled() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("import", round);
      Files.createDirectories(dir);
      kill("import", dir);
      try (Store s = Store.open(dir)) {
        List<String> tags = s.tags();
        assertTrue(tags.isEmpty() || tags.equals(List.of(TAG)), tags.toString());
        if (!tags.isEmpty()) {
          assertEquals(baseTree, tree(s.view(TAG)));
        }
        assertEquals(List.of(TAG), s.importImage("oci:" + source + ":" + TAG, TAG,
            Progress.NONE));
        assertEquals(baseTree, tree(s.view(TAG)));
        assertEquals(List.of(), s.gc(false).problems());
        assertEquals(baseTree, tree(s.view(TAG)));
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  /** A pull killed at any point: no tag or the whole image, and the next pull succeeds. */
  @Test
  void pullKilled() throws Exception {
    String reference = TestRegistry.address() + "/crash/" + TAG + ":1";
    Tools.run("skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:" + source + ":" + TAG,
        "docker://" + reference);
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("pull", round);
      Files.createDirectories(dir);
      kill("pull", dir, reference);
      try (Store s = Store.open(dir)) {
        List<String> tags = s.tags();
        assertTrue(tags.isEmpty() || tags.equals(List.of(reference)), tags.toString());
        if (!tags.isEmpty()) {
          assertEquals(baseTree, tree(s.view(reference)));
        }
        assertEquals(reference, s.pull(reference, RegistryOptions.defaults().withTlsVerify(false),
            Platform.DEFAULT, Progress.NONE).tag());
        assertEquals(baseTree, tree(s.view(reference)));
        assertEquals(List.of(), s.gc(false).problems());
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  /**
   * A push (in 64 KiB chunks) killed at any point: the store is unharmed, and pushed again the
   * registry serves the image, digest for digest, which pulls back as the image.
   */
  @Test
  void pushKilled() throws Exception {
    RegistryOptions options = RegistryOptions.defaults().withTlsVerify(false)
        .withChunkSize(CrashChild.CHUNK);
    for (int round = 0; round < 2; round++) {
      String reference = TestRegistry.address() + "/crash-push-" + round + "/" + TAG + ":1";
      Path dir = fresh("push", round);
      copy(imported, dir);
      kill("push", dir, reference);
      try (Store s = Store.open(dir)) {
        Digest manifest = s.image(TAG).manifestDigest();
        assertEquals(manifest, s.push(TAG, reference, options, Progress.NONE).manifestDigest());
        assertEquals(manifest.toString(), Tools.run("skopeo", "inspect", "--tls-verify=false",
            "--format", "{{.Digest}}", "docker://" + reference).strip());
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
      try (Store back = Store.open(fresh("push-back", round))) {
        back.pull(reference, options, Platform.DEFAULT, Progress.NONE);
        assertEquals(baseTree, tree(back.view(reference)));
      }
    }
  }

  @Test
  void firstOpenKilled() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("index", round);
      copy(imported, dir);
      kill("index", dir);
      try (Store s = Store.open(dir)) {
        assertEquals(List.of(TAG), s.tags());
        assertEquals(baseTree, tree(s.view(TAG)));
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  @Test
  void copyUpKilled() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("copyup", round);
      copy(used, dir);
      kill("copyup", dir);
      try (Store s = Store.open(dir)) {
        int done;
        try (Container c = s.container(CONTAINER, null, false)) {
          Map<String, String> t = tree(c);
          t.remove(BIG);
          Map<String, String> expected = new TreeMap<>(containerTree);
          expected.remove(BIG);
          assertEquals(expected, t, "only /big may change");
          done = markedPrefix(read(c, BIG));
          System.out.println("CrashIT copyup: " + done + " chunks marked");
          CrashChild.copyUp(c, done);
        }
        try (Container c = s.container(CONTAINER, null, false)) {
          assertEquals(BIG_SIZE / CHUNK, markedPrefix(read(c, BIG)), "after the rerun");
        }
        assertEquals(baseTree, tree(s.view(TAG)));
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  @Test
  void commitKilled() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("commit", round);
      copy(used, dir);
      kill("commit", dir);
      try (Store s = Store.open(dir)) {
        List<String> tags = s.tags();
        assertTrue(tags.equals(List.of(TAG)) || tags.equals(List.of(TAG, "new")),
            tags.toString());
        assertEquals(baseTree, tree(s.view(TAG)));
        if (tags.contains("new")) {
          assertEquals(withoutTimes(containerTree), withoutTimes(tree(s.view("new"))));
        }
        try (Container c = s.container(CONTAINER, null, false)) {
          assertEquals(containerTree, tree(c));
          c.commit("new", CommitOptions.defaults(), Progress.NONE);
        }
        assertEquals(withoutTimes(containerTree), withoutTimes(tree(s.view("new"))));
        assertEquals(List.of(), s.gc(false).problems());
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  @Test
  void gcKilled() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("gc", round);
      copy(used, dir);
      kill("gc", dir);
      try (Store s = Store.open(dir)) {
        assertEquals(List.of(TAG), s.tags());
        assertEquals(baseTree, tree(s.view(TAG)));
        try (Container c = s.container(CONTAINER, null, false)) {
          assertEquals(containerTree, tree(c));
        }
        assertEquals(List.of(), s.gc(false).problems());
        assertFalse(Files.exists(dir.resolve("blobs/sha256/" + junk.hex())), "junk collected");
        assertEquals(baseTree, tree(s.view(TAG)));
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  @Test
  void renameOfAnImageDirectoryKilled() throws Exception {
    Map<String, String> renamed = new TreeMap<>();
    containerTree.forEach((k, v) ->
        renamed.put(k.equals("/d") || k.startsWith("/d/") ? "/moved" + k.substring(2) : k, v));
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("rename", round);
      copy(used, dir);
      kill("rename", dir);
      try (Store s = Store.open(dir)) {
        try (Container c = s.container(CONTAINER, null, false)) {
          Map<String, String> t = tree(c);
          assertTrue(t.equals(containerTree) || t.equals(renamed), t.toString());
          if (t.equals(containerTree)) {
            c.move("/d", "/moved", false);
          }
        }
        try (Container c = s.container(CONTAINER, null, false)) {
          assertEquals(renamed, tree(c));
        }
        assertEquals(baseTree, tree(s.view(TAG)));
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  /**
   * A container changed step by step, each step acknowledged once it returned (a write and a
   * truncate of a copied-up file, each forced; its move, times, mode, xattr and a hard link to
   * it; a file written and forced in a volume), killed: every acknowledged step is there after
   * the kill, and the store passes fsck.
   */
  @Test
  void acknowledgedChangesSurviveAKill() throws Exception {
    int ackedInAll = 0;
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("acked", round);
      copy(imported, dir);
      kill("acked", dir);
      Set<String> acked = Set.copyOf(Files.readAllLines(shared.resolve(dir.getFileName()
          + ".out")).stream().filter(l -> l.startsWith("ack ")).map(l -> l.substring(4))
          .toList());
      ackedInAll += acked.size();
      try (Store s = Store.open(dir)) {
        try (Container c = s.container(CrashChild.ACKED, null, false)) {
          for (int i = 0; i < CrashChild.MANY; i++) {
            checkAcknowledged(c, s.volume("ackvol"), acked, i);
          }
        }
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
    assertTrue(ackedInAll > 0, "no kill came after a step");
  }

  private static void checkAcknowledged(Container c, Path volume, Set<String> acked, int i)
      throws IOException {
    byte[] written = CrashChild.written(i);
    byte[] truncated = Arrays.copyOf(written, CrashChild.TRUNCATED);
    // the write lays its bytes over the start of the longer image file, whose tail stays
    byte[] overwritten = ("image file " + i + "\n").getBytes(StandardCharsets.UTF_8);
    System.arraycopy(written, 0, overwritten, 0, written.length);
    String was = "/many/f" + i;
    String now = "/moved/f" + i;
    if (acked.contains("move " + i)) {
      assertNull(c.find(was, false), was + " moved");
    }
    String at = c.find(now, false) != null ? now : was;
    byte[] bytes = read(c, at);
    if (acked.contains("truncate " + i)) {
      assertArrayEquals(truncated, bytes, at + " truncated");
    } else if (acked.contains("write " + i)) {
      assertTrue(Arrays.equals(overwritten, bytes) || Arrays.equals(truncated, bytes),
          at + " written: " + new String(bytes, StandardCharsets.UTF_8));
    }
    Node n = c.lookup(at, false);
    if (acked.contains("times " + i)) {
      assertEquals(CrashChild.mtime(i), n.mtimeNanos(), at + " mtime");
    }
    if (acked.contains("mode " + i)) {
      assertEquals(0600, n.mode() & 07777, at + " mode");
    }
    if (acked.contains("xattr " + i)) {
      assertArrayEquals(written, n.xattrs().get("user.ack"), at + " xattr");
    }
    if (acked.contains("link " + i)) {
      Node link = c.lookup("/links/f" + i, false);
      assertEquals(n.fileKey(), link.fileKey(), "/links/f" + i + " is a link to " + at);
      assertEquals(2, n.linkCount(), at + " links");
      assertArrayEquals(bytes, read(c, "/links/f" + i));
    }
    if (acked.contains("volume " + i)) {
      assertArrayEquals(written, read(c, "/d/v" + i), "/d/v" + i);
      assertArrayEquals(written, Files.readAllBytes(volume.resolve("v" + i)), "on the host");
    }
  }

  /**
   * A container whose volume is being filled from the image, killed: fsck names the volume if
   * the kill cut its fill short, the next open of the container finishes the fill, and the
   * volume then holds the image's files, byte for byte (never the half-copied file the kill
   * left).
   */
  @Test
  void volumeFillKilled() throws Exception {
    Path template = shared.resolve("fill-template");
    ImageBuilder image = ImageBuilder.create(template).layer(LayerCompression.GZIP)
        .file("/data/a", "a\n").file("/data/sub/x", "x\n");
    for (int i = 0; i < 16; i++) { // 8 MiB in 16 files: a kill lands in one or between two
      image.file("/data/sub/f" + i, Arrays.copyOfRange(big, i << 19, (i + 1) << 19));
    }
    image.file("/data/z", "z\n").build(TAG);
    Map<String, String> data;
    try (Store s = Store.open(template)) {
      data = subtree(tree(s.view(TAG)), "/data"); // indexed: the kill falls in the fill
    }
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("fill", round);
      copy(template, dir);
      kill("fill", dir);
      try (Store s = Store.open(dir)) {
        boolean cut = Files.exists(dir.resolve("layerfs/volumes/vol/filling"));
        assertEquals(cut ? List.of("vol") : List.of(), s.fsck(false, Progress.NONE).problems()
            .stream().filter(p -> p.kind() == FsckReport.Kind.PARTIAL_VOLUME)
            .map(FsckReport.Problem::object).toList(), "fsck names the volume cut short");
        try (Container c = s.container(CONTAINER, TAG, false, List.of(CrashChild.VOLUME))) {
          assertEquals(data, subtree(tree(c), "/data"));
        }
        Map<String, String> host = hostTree(s.volume("vol"));
        assertEquals(data.keySet(), host.keySet());
        host.forEach((path, what) -> assertTrue(what.equals("dir")
            ? data.get(path).startsWith("DIRECTORY") : data.get(path).endsWith(what), path));
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  /** The entries of {@code tree} below {@code dir}, times left out (a volume's are the host's). */
  private static Map<String, String> subtree(Map<String, String> tree, String dir) {
    Map<String, String> m = new TreeMap<>();
    tree.forEach((k, v) -> {
      if (k.startsWith(dir + "/")) {
        m.put(k, v.replaceAll(" mtime -?\\d+", ""));
      }
    });
    return m;
  }

  /** A host directory's files as {@code /data/...} paths, with their content digests. */
  private static Map<String, String> hostTree(Path root) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (!p.equals(root)) {
          m.put("/data/" + root.relativize(p), Files.isDirectory(p) ? "dir"
              : Digest.sha256(Files.readAllBytes(p)).toString());
        }
      }
    }
    return m;
  }

  @Test
  void containerCreationKilled() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("create", round);
      copy(imported, dir);
      kill("create", dir);
      try (Store s = Store.open(dir)) {
        List<String> names = s.containers();
        int next = names.size();
        for (String name : names) {
          try (Container c = s.container(name, TAG, false)) {
            assertEquals(baseTree, tree(c), name);
          }
        }
        // the one whose creation was cut, if any, is created afresh or opens whole
        for (int i = 0; i <= next; i++) {
          try (Container c = s.container("n" + i, TAG, false)) {
            assertEquals(baseTree, tree(c), "n" + i);
          }
        }
        assertEquals(List.of(), s.gc(false).problems());
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  @Test
  void containerRemovalKilled() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("remove", round);
      copy(removable, dir);
      kill("remove", dir);
      try (Stream<Path> files = Files.list(dir.resolve("layerfs/containers"))) {
        System.out.println("CrashIT remove: removals cut short: " + files.map(Path::getFileName)
            .filter(n -> n.toString().startsWith(".removing-")).toList());
      }
      try (Store s = Store.open(dir)) {
        // gc first, as after any crash: it finishes a removal cut short
        assertEquals(List.of(), s.gc(false).problems());
        List<String> left = s.containers();
        assertTrue(removableTrees.keySet().containsAll(left), left.toString());
        for (String name : left) {
          try (Container c = s.container(name, null, false)) {
            assertEquals(removableTrees.get(name), tree(c), name);
          }
        }
        assertEquals(Set.copyOf(left),
            ContentStore.open(dir).readIndex().holds().keySet(), "holds");
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
        try (Stream<Path> files = Files.list(dir.resolve("layerfs/containers"))) {
          assertEquals(Set.copyOf(left), files.map(p -> p.getFileName().toString())
              .collect(java.util.stream.Collectors.toSet()), "folders left");
        }
        for (String name : removableTrees.keySet()) {
          if (!left.contains(name)) {
            try (Container c = s.container(name, TAG, false)) {
              assertEquals(baseTree, tree(c), name + " created again");
            }
          }
        }
      }
    }
  }

  /**
   * {@code volume rm} killed at a random moment: each volume is whole or gone, never part of its
   * files, and gc deletes what a removal cut short left.
   */
  @Test
  void volumeRemovalKilled() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      Path dir = fresh("volumerm", round);
      copy(volumes, dir);
      kill("volumerm", dir);
      Path root = dir.resolve("layerfs/volumes");
      try (Store s = Store.open(dir)) {
        List<String> cutShort = leftovers(root);
        System.out.println("CrashIT volumerm: removals cut short: " + cutShort);
        GcReport report = s.gc(false);
        assertEquals(List.of(), report.problems());
        assertEquals(cutShort.size(), report.removed(GcReport.Kind.VOLUME_LEFTOVER).size(),
            report.toString());
        assertEquals(List.of(), leftovers(root));
        List<String> left = s.volumes();
        assertTrue(volumeTrees.keySet().containsAll(left), left.toString());
        for (String name : left) {
          assertEquals(volumeTrees.get(name), hostTree(s.volume(name)), name);
          s.removeVolume(name);
        }
        assertEquals(List.of(), s.volumes());
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    }
  }

  private static List<String> leftovers(Path volumeRoot) throws IOException {
    try (Stream<Path> files = Files.list(volumeRoot)) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(".removing-")).sorted().toList();
    }
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Starts the child, waits for "started", sleeps a seeded random delay and kills it; true when
   * the child had finished its operation by then.
   */
  private static boolean kill(String op, Path dir) throws Exception {
    return kill(op, dir, source.toString());
  }

  /** As {@link #kill(String, Path)}, with {@code arg} as the child's SOURCE argument. */
  private static boolean kill(String op, Path dir, String arg) throws Exception {
    // about as long as the operation takes here, so that most kills land inside it
    int max = switch (op) {
      case "rename" -> 5;
      case "gc" -> 150;
      case "volumerm" -> 100;
      case "create", "copyup", "index", "remove" -> 250;
      case "fill" -> 120;
      case "acked" -> 150;
      // a fresh JVM's first requests take most of a second before the layer's bytes flow
      case "pull", "push" -> 2500;
      default -> MAX_DELAY_MS;
    };
    int delay = random.nextInt(max);
    // output to a file: a destroyed process's pipes are closed, and what it wrote lost
    Path log = shared.resolve(dir.getFileName() + ".out");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(),
        op, dir.toString(), arg).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(log).contains("started")) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          fail(op + ": the child did not start: " + Files.readString(log));
        }
        Thread.sleep(1);
      }
      Thread.sleep(delay);
      if (!p.isAlive()) {
        fail(op + ": the child died on its own (exit " + p.exitValue() + "): "
            + Files.readString(log));
      }
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    // "done" tells whether this kill hit the operation or the idle child after it
    boolean done = Files.readString(log).contains("done");
    System.out.println("CrashIT " + op + ": killed after " + delay + " ms, "
        + (done ? "after the operation" : "during it") + "; temp files left: " + temps(dir));
    return done;
  }

  /** Temp files a killed process left (gc removes them once they are an hour old). */
  private static List<String> temps(Path dir) throws IOException {
    Path state = dir.resolve("layerfs");
    if (!Files.isDirectory(state)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(state)) {
      return walk.map(p -> state.relativize(p).toString())
          .filter(n -> n.contains(".tmp") || n.startsWith("unpack-")).toList();
    }
  }

  private static Path fresh(String op, int round) {
    return shared.resolve(op + "-" + round);
  }

  /** How many chunks of {@code bytes}, from the first, carry the marker; the rest must not. */
  private static int markedPrefix(byte[] bytes) {
    assertEquals(BIG_SIZE, bytes.length, "size of " + BIG);
    int n = BIG_SIZE / CHUNK;
    int prefix = 0;
    while (prefix < n && bytes[prefix * CHUNK + MARK_AT] == MARK) {
      prefix++;
    }
    byte[] expected = big.clone();
    for (int i = 0; i < prefix; i++) {
      expected[i * CHUNK + MARK_AT] = MARK;
    }
    // every other byte as the image has it: no hole read as zeros, no torn chunk
    assertTrue(Arrays.equals(expected, bytes), "chunks after " + prefix + " changed");
    return prefix;
  }

  private static byte[] read(FileTree t, String path) throws IOException {
    try (FileHandle h = t.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) > 0) {
        // fill
      }
      return Arrays.copyOf(b.array(), b.position());
    }
  }

  /** Each path's type, mode, link target or content digest. */
  static Map<String, String> tree(FileTree t) throws IOException {
    Map<String, String> m = new TreeMap<>();
    walk(t, "/", m);
    return m;
  }

  private static void walk(FileTree t, String dir, Map<String, String> m) throws IOException {
    for (String name : t.list(dir)) {
      String p = dir.equals("/") ? "/" + name : dir + "/" + name;
      Node n = t.lookup(p, false);
      String what = n.type() + " " + Integer.toOctalString(n.mode()) + " mtime "
          + n.mtimeNanos();
      if (n.type() == EntryType.DIRECTORY) {
        m.put(p, what);
        walk(t, p, m);
      } else if (n.type() == EntryType.SYMLINK) {
        m.put(p, what + " -> " + n.linkTarget());
      } else {
        m.put(p, what + " " + Digest.sha256(read(t, p)));
      }
    }
  }

  /** A commit keeps times to what a tar holds; compare the rest. */
  private static Map<String, String> withoutTimes(Map<String, String> tree) {
    Map<String, String> m = new TreeMap<>();
    tree.forEach((k, v) -> m.put(k, v.replaceAll(" mtime -?\\d+", "")));
    return m;
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
