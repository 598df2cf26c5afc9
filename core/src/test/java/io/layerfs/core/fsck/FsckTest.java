package io.layerfs.core.fsck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.FsckReport;
import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.FsckReport.Problem;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fsck finds each kind of damage, and a repair quarantines or removes what it may. */
class FsckTest {
  @TempDir Path tmp;
  private Path dir;
  private Image image;

  @BeforeEach
  void buildStore() throws IOException {
    dir = tmp.resolve("store");
    ContentStore content = ContentStore.open(dir);
    ImageBuilder.create(content.root())
        .layer(LayerCompression.GZIP).dir("/etc").file("/etc/motd", "hello\n")
        .layer(LayerCompression.GZIP).file("/etc/issue", "layerfs\n")
        .build("a:1");
    try (Store store = Store.open(dir)) {
      image = store.image("a:1");
      try (Container c = store.container("web", "a:1", false)) {
        write(c, "/etc/motd", "mine\n");
      }
      assertEquals("layerfs\n", read(store.view("a:1"), "/etc/issue")); // indexes the layers
    }
  }

  private FsckReport fsck(boolean repair) throws IOException {
    try (Store store = Store.open(dir)) {
      return store.fsck(repair, Progress.NONE);
    }
  }

  private Path blob(Digest d) {
    return dir.resolve("blobs").resolve(d.algorithm()).resolve(d.hex());
  }

  private Path index(Digest diffId) {
    return dir.resolve("layerfs/index").resolve(diffId.algorithm()).resolve(diffId.hex());
  }

  private static void flipByte(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x01);
    }
  }

  private static Problem only(FsckReport report, Kind kind) {
    List<Problem> problems = report.problems(kind);
    assertEquals(1, problems.size(), report.problems().toString());
    return problems.get(0);
  }

  @Test
  void aWholeStoreHasNoProblems() throws IOException {
    FsckReport report = fsck(false);
    assertEquals(List.of(), report.problems());
    assertTrue(report.ok());
    assertEquals(1, report.images());
    assertEquals(1, report.containers());
    // manifest, config, 2 compressed and 2 uncompressed layers, the container's hold
    assertEquals(7, report.blobs());
  }

  @Test
  void aFlippedByteInALayerIsCorruptAndNamesWhoNeedsIt() throws IOException {
    Layer top = image.layers().get(1);
    flipByte(blob(top.digest()), 20);

    FsckReport report = fsck(false);

    Problem p = only(report, Kind.CORRUPT_BLOB);
    assertEquals(top.digest().toString(), p.object());
    assertTrue(p.message().contains("layer 2 of tag 'a:1'"), p.message());
    assertTrue(p.message().contains("layer 2 of container web"), p.message());
    assertFalse(p.repaired());
    assertFalse(report.ok());
    assertEquals(1, report.problems().size(), report.problems().toString());
    assertTrue(Files.exists(blob(top.digest())));

    FsckReport repair = fsck(true);

    Problem q = only(repair, Kind.CORRUPT_BLOB);
    assertFalse(q.repaired(), "the image stays broken: " + q);
    assertTrue(q.message().contains("layerfs/quarantine/sha256/" + top.digest().hex()),
        q.message());
    assertFalse(Files.exists(blob(top.digest())));
    assertTrue(Files.exists(dir.resolve("layerfs/quarantine/sha256/" + top.digest().hex())));
    assertFalse(repair.ok());

    Problem missing = only(fsck(false), Kind.MISSING_BLOB);
    assertEquals(top.digest().toString(), missing.object());
  }

  @Test
  void aTruncatedConfigIsCorrupt() throws IOException {
    Path config = blob(image.configDigest());
    byte[] whole = Files.readAllBytes(config);
    Files.write(config, Arrays.copyOf(whole, whole.length - 3));

    FsckReport report = fsck(false);

    Problem p = only(report, Kind.CORRUPT_BLOB);
    assertEquals(image.configDigest().toString(), p.object());
    assertTrue(p.message().contains("config of tag 'a:1'"), p.message());
  }

  @Test
  void aFlippedByteInTheManifestOfAContainersImageIsReportedNotThrown() throws IOException {
    flipByte(blob(image.manifestDigest()), 10); // the hold check reads it too

    FsckReport report = fsck(false);

    assertTrue(report.problems().stream().anyMatch(p -> p.kind() == Kind.CORRUPT_BLOB
        && p.object().equals(image.manifestDigest().toString())), report.toString());
    assertTrue(report.problems().stream().noneMatch(p -> p.kind() == Kind.IMAGE_HOLD),
        report.toString());
  }

  @Test
  void aMissingManifestReferencedByATagIsMissing() throws IOException {
    Files.delete(blob(image.manifestDigest()));

    FsckReport report = fsck(false);

    Problem p = only(report, Kind.MISSING_BLOB);
    assertEquals(image.manifestDigest().toString(), p.object());
    assertTrue(p.message().contains("manifest of tag 'a:1'"), p.message());
    assertTrue(p.message().contains("manifest of container web"), p.message());
    assertFalse(report.ok());
    assertFalse(fsck(true).ok(), "a missing blob cannot be repaired");
  }

  @Test
  void aContainerWhoseImageIndexJsonDoesNotHoldIsReportedAndARepairHoldsIt() throws IOException {
    ContentStore content = ContentStore.open(dir);
    content.updateIndex(index -> index.release("web"));

    Problem p = only(fsck(false), Kind.IMAGE_HOLD);
    assertEquals("web", p.object());
    assertTrue(p.message().contains("umoci gc would delete it"), p.message());
    assertFalse(fsck(false).ok());

    Problem q = only(fsck(true), Kind.IMAGE_HOLD);
    assertTrue(q.repaired(), q.toString());
    assertTrue(content.holds("web", image.manifestDigest()));
    assertEquals(List.of(), fsck(false).problems());
  }

  @Test
  void aHoldForAContainerThatIsGoneIsReportedAndARepairRemovesIt() throws IOException {
    ContentStore content = ContentStore.open(dir);
    content.updateIndex(index -> index.hold("gone",
        new Descriptor(MediaTypes.OCI_MANIFEST, image.manifestDigest(),
            Files.size(blob(image.manifestDigest())))));

    Problem p = only(fsck(false), Kind.IMAGE_HOLD);
    assertEquals("gone", p.object());
    assertTrue(p.message().contains("which does not exist"), p.message());

    assertTrue(only(fsck(true), Kind.IMAGE_HOLD).repaired());
    assertFalse(content.readIndex().holds().containsKey("gone"));
    assertTrue(content.readIndex().holds().containsKey("web"));
    assertEquals(List.of(), fsck(false).problems());
  }

  @Test
  void aBadContainerRecordIsABrokenContainer() throws IOException {
    Path json = dir.resolve("layerfs/containers/web/container.json");
    byte[] whole = Files.readAllBytes(json);
    Files.write(json, Arrays.copyOf(whole, whole.length / 2));

    FsckReport report = fsck(false);

    Problem p = only(report, Kind.BROKEN_CONTAINER);
    assertEquals("web", p.object());
    assertTrue(p.message().contains(json.toString()), p.message());
    assertEquals(0, report.containers());
    assertFalse(report.ok());
  }

  @Test
  void aWrongDescriptorSizeIsReported() throws IOException {
    ContentStore content = ContentStore.open(dir);
    content.updateIndex(index -> index.tag("a:1",
        new Descriptor(MediaTypes.OCI_MANIFEST, image.manifestDigest(), 3)));

    Problem p = only(fsck(false), Kind.BLOB_SIZE);
    assertEquals(image.manifestDigest().toString(), p.object());
    assertTrue(p.message().contains("says 3"), p.message());
  }

  @Test
  void anUnparseableManifestIsABrokenImage() throws IOException {
    ContentStore content = ContentStore.open(dir);
    byte[] junk = "{\"schemaVersion\": 2, \"layers\": 7}".getBytes(StandardCharsets.UTF_8);
    Digest broken = content.write(junk);
    content.updateIndex(index -> index.tag("broken:1",
        new Descriptor(MediaTypes.OCI_MANIFEST, broken, junk.length)));

    FsckReport report = fsck(false);

    Problem p = only(report, Kind.BROKEN_IMAGE);
    assertEquals("broken:1", p.object());
    assertEquals(1, report.problems().size(), report.problems().toString());
  }

  @Test
  void aRepairRemovesACorruptUncompressedLayerAndTheNextUseRebuildsIt() throws IOException {
    Digest diffId = image.layers().get(1).diffId();
    assertTrue(Files.exists(index(diffId)));
    flipByte(blob(diffId), 700);

    Problem found = only(fsck(false), Kind.CORRUPT_BLOB);
    assertEquals(diffId.toString(), found.object());
    assertFalse(found.repaired());

    FsckReport repair = fsck(true);

    Problem p = only(repair, Kind.CORRUPT_BLOB);
    assertTrue(p.repaired(), p.toString());
    assertTrue(repair.ok());
    assertFalse(Files.exists(blob(diffId)));
    assertFalse(Files.exists(index(diffId)));
    assertFalse(Files.exists(dir.resolve("layerfs/quarantine/sha256/" + diffId.hex())));
    try (Store store = Store.open(dir)) {
      assertEquals("layerfs\n", read(store.view("a:1"), "/etc/issue"));
      try (Container c = store.container("web", null, true)) {
        assertEquals("mine\n", read(c, "/etc/motd"));
      }
    }
    assertTrue(Files.exists(blob(diffId)));
    assertEquals(List.of(), fsck(false).problems());
  }

  @Test
  void aRepairQuarantinesACorruptBlobNothingNeeds() throws IOException {
    ContentStore content = ContentStore.open(dir);
    Digest garbage = content.write("left over\n".getBytes(StandardCharsets.UTF_8));
    Files.writeString(blob(garbage), "left ovER\n");

    assertFalse(fsck(false).ok());
    FsckReport repair = fsck(true);

    Problem p = only(repair, Kind.CORRUPT_BLOB);
    assertTrue(p.repaired(), p.toString());
    assertTrue(repair.ok());
    Path quarantined = dir.resolve("layerfs/quarantine/sha256/" + garbage.hex());
    assertArrayEquals("left ovER\n".getBytes(StandardCharsets.UTF_8),
        Files.readAllBytes(quarantined));
    assertEquals(List.of(), fsck(false).problems());
    assertEquals(Set.of(), Set.copyOf(fsck(true).problems()));
  }

  @Test
  void anIndexOfAnotherLayerIsADamagedLayerThatARepairRebuilds() throws IOException {
    Digest top = image.layers().get(1).diffId();
    Files.copy(index(image.layers().get(0).diffId()), index(top),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    Problem found = only(fsck(false), Kind.DAMAGED_LAYER);
    assertEquals(top.toString(), found.object());
    assertFalse(found.repaired());

    Problem p = only(fsck(true), Kind.DAMAGED_LAYER);
    assertTrue(p.repaired(), p.toString());
    assertTrue(p.message().contains("rebuilt"), p.message());
    assertEquals(List.of(), fsck(false).problems());
    try (Store store = Store.open(dir)) {
      assertEquals("layerfs\n", read(store.view("a:1"), "/etc/issue"));
    }
  }

  @Test
  void aCorruptContainerLogIsDamagedAndARepairCutsItKeepingTheOriginal() throws Exception {
    // two killed sessions: their records stay in meta.log after the snapshot
    crashingWrite("/etc/first", "one");
    crashingWrite("/etc/second", "two");
    Path containerDir = dir.resolve("layerfs/containers/web");
    Path log = containerDir.resolve("meta.log");
    flipByte(log, 40 + 8 + 1); // in the first record's payload, after the 40-byte header

    Problem found = only(fsck(false), Kind.DAMAGED_CONTAINER);
    assertEquals("web", found.object());
    assertTrue(found.message().contains(log.toString()), found.message());
    assertFalse(found.repaired());

    Problem p = only(fsck(true), Kind.DAMAGED_CONTAINER);
    assertTrue(p.repaired(), p.toString());
    assertEquals(List.of(), fsck(false).problems());
    try (java.util.stream.Stream<Path> s = Files.list(containerDir)) {
      assertEquals(1, s.filter(f -> f.getFileName().toString().startsWith("meta.log.damaged-"))
          .count(), "the original log is kept");
    }
    try (Store store = Store.open(dir);
        Container c = store.container("web", null, true)) {
      assertEquals("mine\n", read(c, "/etc/motd"), "the snapshot's state");
    }
  }

  @Test
  void aTagRenamedInIndexJsonIsReportedUnlessAnotherToolCouldHaveDoneIt() throws IOException {
    try (Store store = Store.open(dir)) {
      store.tag("a:1", "a:1"); // index.json as layerfs writes it
      store.tag("a:1", "other:1");
    }
    Path index = dir.resolve("index.json");
    String written = Files.readString(index);
    assertTrue(fsck(false).ok());

    // a flipped byte that makes another valid tag: 'a:1' becomes 'a:0'
    Files.writeString(index, written.replace("\"a:1\"", "\"a:0\""));
    Problem renamed = only(fsck(false), Kind.BROKEN_IMAGE);
    assertEquals("index.json", renamed.object());
    assertTrue(renamed.message().contains(index.toString())
        && renamed.message().contains("tag 'a:1'") && renamed.message().contains("'a:0'"),
        renamed.message());

    // one that makes no valid tag at all
    Files.writeString(index, written.replace("\"a:1\"", "\"a;1\""));
    assertTrue(fsck(false).problems(Kind.BROKEN_IMAGE).stream()
        .anyMatch(p -> p.message().contains("'a;1'") && p.message().contains("not valid")),
        fsck(false).problems().toString());

    // what another tool does that is no rename: a tag added; then an entry removed
    assertTrue(anotherToolsEdit(index, written, "a:1", "a:2").ok());
    assertTrue(anotherToolsEdit(index, written, "other:1", null).ok());
  }

  /**
   * Writes {@code written} as another tool would edit it: the entry tagged {@code tag} removed
   * (null {@code newTag}) or copied under {@code newTag}; fsck's report of it.
   */
  private FsckReport anotherToolsEdit(Path index, String written, String tag, String newTag)
      throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode root =
        (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(written);
    com.fasterxml.jackson.databind.node.ArrayNode manifests =
        (com.fasterxml.jackson.databind.node.ArrayNode) root.get("manifests");
    for (int i = manifests.size() - 1; i >= 0; i--) {
      if (manifests.get(i).path("annotations").path("org.opencontainers.image.ref.name")
          .asText().equals(tag)) {
        com.fasterxml.jackson.databind.node.ObjectNode entry = manifests.get(i).deepCopy();
        if (newTag == null) {
          manifests.remove(i);
        } else {
          ((com.fasterxml.jackson.databind.node.ObjectNode) entry.get("annotations"))
              .put("org.opencontainers.image.ref.name", newTag);
          manifests.add(entry);
        }
      }
    }
    Files.writeString(index, json.writeValueAsString(root));
    return fsck(false);
  }

  @Test
  void aLockFileThatIsADirectoryIsReportedAndARepairRemovesItIfEmpty() throws IOException {
    Path containerLock = dir.resolve("layerfs/containers/web/lock");
    List<Path> locks = List.of(dir.resolve("layerfs/index.lock"), dir.resolve("layerfs/gc.lock"),
        dir.resolve("layerfs/volumes.lock"), containerLock);
    for (Path lock : locks) {
      Files.deleteIfExists(lock);
      Files.createDirectories(lock);
    }
    Files.createFile(containerLock.resolve("kept")); // not empty: left for the user
    try (Store store = Store.open(dir)) {
      IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> store.container("web", null, false));
      assertTrue(e.getMessage().contains(containerLock.toString())
          && e.getMessage().contains("lock file"), e.getMessage());
    }

    FsckReport report = fsck(false);
    assertFalse(report.ok());
    List<String> objects = report.problems(Kind.LOCK_FILE).stream().map(Problem::object).toList();
    assertEquals(List.of("layerfs/index.lock", "layerfs/gc.lock", "layerfs/volumes.lock"),
        objects);
    Problem web = report.problems(Kind.DAMAGED_CONTAINER).get(0);
    assertEquals("web", web.object());
    assertTrue(web.message().contains(containerLock + " is a directory"), web.message());

    // a repair takes the gc lock itself: that one must go first, and the refusal says so
    IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
        () -> fsck(true));
    assertTrue(e.getMessage().contains(dir.resolve("layerfs/gc.lock").toString()),
        e.getMessage());
    Files.delete(dir.resolve("layerfs/gc.lock"));
    report = fsck(true);
    assertEquals(2, report.problems(Kind.LOCK_FILE).stream().filter(Problem::repaired).count(),
        report.problems().toString());
    assertFalse(Files.exists(dir.resolve("layerfs/index.lock")));
    assertTrue(Files.isDirectory(containerLock), "not empty: left for the user");
    assertFalse(report.problems(Kind.DAMAGED_CONTAINER).get(0).repaired());
    Files.delete(containerLock.resolve("kept"));
    Files.delete(containerLock);
    assertTrue(fsck(false).ok(), fsck(false).problems().toString());
  }

  @Test
  void aFileInPlaceOfTheViewHoldFolderIsReportedAndARepairRemovesItIfEmpty() throws IOException {
    Path views = dir.resolve("layerfs/views");
    FileTrees.deleteTree(views);
    Files.createFile(views);
    try (Store store = Store.open(dir)) {
      String image = store.tags().get(0);
      IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> store.view(image));
      assertTrue(e.getMessage().contains(views + "/") && e.getMessage().contains("Not a "
          + "directory") && e.getMessage().contains("fsck"), e.getMessage());
    }
    Problem problem = fsck(false).problems(Kind.LOCK_FILE).get(0);
    assertEquals("layerfs/views", problem.object());
    assertTrue(problem.message().contains("no read-only view"), problem.message());
    assertTrue(fsck(true).problems(Kind.LOCK_FILE).get(0).repaired());
    assertTrue(fsck(false).ok());
    try (Store store = Store.open(dir); FileTree view = store.view(store.tags().get(0))) {
      assertTrue(Files.isDirectory(views), "made again by the view");
    }
  }

  /** Writes a file into container web in a JVM that then halts without closing it. */
  private void crashingWrite(String path, String text) throws Exception {
    Process p = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"),
        "io.layerfs.core.container.ContainerProcessTest", "write", dir.toString(), path, text)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.contains("written"), out);
  }

  // ------------------------------------------------------------------------------- helpers

  private static String read(FileTree tree, String path) throws IOException {
    try (FileHandle h = tree.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) > 0) {
        // read on
      }
      return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }
  }

  private static void write(FileTree tree, String path, String text) throws IOException {
    try (FileHandle h = tree.open(path, Set.of(StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING), 0644)) {
      h.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
    }
  }
}
