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
    flipByte(log, 24 + 8 + 1); // in the first record's payload, after the 24-byte header

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
