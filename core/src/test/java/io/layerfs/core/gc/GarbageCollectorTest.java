package io.layerfs.core.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.GcReport;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.container.Volumes;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.core.image.Images;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciJson;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.registry.BlobOrigins;
import io.layerfs.core.store.Container;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import io.layerfs.testing.Props;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

class GarbageCollectorTest {
  @TempDir Path tmp;

  // ------------------------------------------------------------------------------- fixtures

  /** Layer {@code id} of the pool: the same id gives the same blob in every image. */
  private static ImageBuilder layer(ImageBuilder b, int id) {
    return b.layer(LayerCompression.GZIP).file("/layer" + id, "content of layer " + id + "\n");
  }

  private static Image image(ContentStore store, String tagOrNull, int... layerIds)
      throws IOException {
    ImageBuilder b = ImageBuilder.create(store.root());
    for (int id : layerIds) {
      b = layer(b, id);
    }
    return Images.resolve(store, b.build(tagOrNull).manifestDigest());
  }

  /** Builds the uncompressed blob and the index of every layer. */
  private static void indexAll(ContentStore store, Image... images) throws IOException {
    try (LayerStore layers = new LayerStore(store)) {
      for (Image image : images) {
        for (Layer l : image.layers()) {
          layers.index(l);
        }
      }
    }
  }

  private static Set<Digest> blobs(ContentStore store) throws IOException {
    return digestFiles(store.root().resolve("blobs").resolve("sha256"));
  }

  /** The blobs but the image indexes that hold containers' images in index.json. */
  private static Set<Digest> blobsBesideHolds(ContentStore store) throws IOException {
    Set<Digest> blobs = blobs(store);
    blobs.removeAll(store.readIndex().holds().values());
    return blobs;
  }

  private static Set<Digest> indexes(ContentStore store) throws IOException {
    return digestFiles(store.stateDir().resolve("index").resolve("sha256"));
  }

  private static Set<Digest> digestFiles(Path dir) throws IOException {
    Set<Digest> result = new TreeSet<>();
    if (!Files.isDirectory(dir)) {
      return result;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        if (!p.getFileName().toString().startsWith(".")) {
          result.add(Digest.parse("sha256:" + p.getFileName()));
        }
      }
    }
    return result;
  }

  private static Set<String> names(GcReport report, GcReport.Kind kind) {
    return report.removed(kind).stream().map(GcReport.Item::name).collect(Collectors.toSet());
  }

  private static Set<String> strings(Digest... digests) {
    return Stream.of(digests).map(Digest::toString).collect(Collectors.toSet());
  }

  private static Layer top(Image image) {
    return image.layers().get(image.layers().size() - 1);
  }

  private static long size(ContentStore store, Digest d) throws IOException {
    return Files.size(store.blobPath(d));
  }

  /** Everything an image needs: manifest, config, layers, uncompressed layers. */
  private static Set<Digest> parts(Image image) {
    Set<Digest> parts = new HashSet<>();
    parts.add(image.manifestDigest());
    parts.add(image.configDigest());
    for (Layer l : image.layers()) {
      parts.add(l.digest());
      parts.add(l.diffId());
    }
    return parts;
  }

  private static void opens(ContentStore store, String ref) throws IOException {
    Image image = Images.resolve(store, ref);
    try (LayerStore layers = new LayerStore(store)) {
      for (Layer l : image.layers()) {
        layers.index(l);
      }
    }
  }

  // ---------------------------------------------------------------------------------- tests

  @Test
  void originHintsGoWithTheirBlobsAndOnlyThen() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image kept = image(store, "kept:1", 0);
    Image dropped = image(store, "dropped:1", 1);
    Digest absent = Digest.sha256(new byte[] {42});
    Path origins = BlobOrigins.root(store);
    for (Digest d : List.of(top(kept).digest(), top(dropped).digest(), absent)) {
      Path hint = origins.resolve(d.algorithm()).resolve(d.hex());
      Files.createDirectories(hint.getParent());
      Files.writeString(hint, "registry.example:5000/team/app\n");
    }
    Path foreign = origins.resolve("sha256").resolve("not-a-digest");
    Files.writeString(foreign, "x\n");
    assertTrue(store.untag("dropped:1"));

    GcReport dry = GarbageCollector.collect(store, true);
    assertEquals(strings(top(dropped).digest(), absent), names(dry, GcReport.Kind.BLOB_ORIGINS));
    assertTrue(Files.exists(origins.resolve("sha256").resolve(absent.hex())), "dry run deleted");

    GcReport report = GarbageCollector.collect(store, false);
    assertEquals(strings(top(dropped).digest(), absent),
        names(report, GcReport.Kind.BLOB_ORIGINS));
    assertTrue(Files.exists(origins.resolve("sha256").resolve(top(kept).digest().hex())),
        "the hint of a blob the store holds went");
    assertFalse(Files.exists(origins.resolve("sha256").resolve(top(dropped).digest().hex())));
    assertFalse(Files.exists(origins.resolve("sha256").resolve(absent.hex())));
    assertTrue(Files.exists(foreign), "not ours: left alone");
    assertEquals(Set.of(), names(GarbageCollector.collect(store, false),
        GcReport.Kind.BLOB_ORIGINS), "a second run finds nothing");
  }

  /**
   * {@link GarbageCollector#releasing}: what the change alone made unreachable goes, with its
   * uncompressed layer and layer index; garbage from before (an untagged image, a stray blob)
   * stays for gc, and a change that leaves index.json as it was frees nothing.
   */
  @Test
  void releasingFreesOnlyWhatTheChangeMadeUnreachable() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image a = image(store, "a:1", 0, 1);
    Image b = image(store, "b:1", 0, 2);
    Image old = image(store, null, 3);
    Digest stray = store.write("{\"stray\":1}".getBytes(StandardCharsets.UTF_8));
    indexAll(store, a, b);

    GarbageCollector.Released<String> none =
        GarbageCollector.releasing(store, Duration.ofSeconds(5), () -> "unchanged");
    assertEquals("unchanged", none.result());
    assertEquals(List.of(), none.freed().removed());

    GarbageCollector.Released<Boolean> released = GarbageCollector.releasing(store,
        Duration.ofSeconds(5), () -> store.untag("b:1"));
    assertTrue(released.result());
    GcReport report = released.freed();
    assertEquals(List.of(), report.problems());
    assertEquals(strings(b.manifestDigest(), b.configDigest(), top(b).digest()),
        names(report, GcReport.Kind.BLOB));
    assertEquals(strings(top(b).diffId()), names(report, GcReport.Kind.UNCOMPRESSED_LAYER));
    assertEquals(strings(top(b).diffId()), names(report, GcReport.Kind.LAYER_INDEX));
    assertEquals(5, report.removed().size());
    Set<Digest> left = blobs(store);
    assertTrue(left.containsAll(parts(a)), "a keeps the shared layer");
    assertTrue(left.containsAll(Set.of(old.manifestDigest(), old.configDigest(),
        top(old).digest())), "garbage from before stays for gc");
    assertTrue(left.contains(stray));
    assertTrue(names(GarbageCollector.collect(store, false), GcReport.Kind.BLOB)
        .contains(stray.toString()), "gc takes it");
  }

  @Test
  void untaggingOneOfTwoImagesRemovesOnlyWhatItDoesNotShare() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image a = image(store, "a:1", 0, 1);
    Image b = image(store, "b:1", 0, 2);
    assertEquals(a.layers().get(0), b.layers().get(0)); // the shared layer
    indexAll(store, a, b);
    assertTrue(store.untag("b:1"));
    long expectedBytes =
        size(store, b.manifestDigest())
            + size(store, b.configDigest())
            + size(store, top(b).digest())
            + size(store, top(b).diffId())
            + Files.size(store.stateDir().resolve("index/sha256/" + top(b).diffId().hex()));

    GcReport report = GarbageCollector.collect(store, false);

    assertFalse(report.dryRun());
    assertEquals(List.of(), report.problems());
    assertEquals(
        strings(b.manifestDigest(), b.configDigest(), top(b).digest()),
        names(report, GcReport.Kind.BLOB));
    assertEquals(strings(top(b).diffId()), names(report, GcReport.Kind.UNCOMPRESSED_LAYER));
    assertEquals(strings(top(b).diffId()), names(report, GcReport.Kind.LAYER_INDEX));
    assertEquals(5, report.removed().size());
    assertEquals(expectedBytes, report.bytesFreed());
    assertEquals(parts(a), blobs(store));
    assertEquals(Set.of(a.layers().get(0).diffId(), top(a).diffId()), indexes(store));
    opens(store, "a:1");
    // a second run finds nothing
    assertEquals(List.of(), GarbageCollector.collect(store, false).removed());
  }

  @Test
  void aContainerKeepsItsImageAliveAfterUntag() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image b = image(store, "b:1", 0, 2);
    try (LayerStore layers = new LayerStore(store)) {
      try (Container c = Container.open(store, layers, "web", "b:1", false)) {
        ContainerFixture.write(c, "/hello", "world");
      }
    }
    store.untag("b:1");

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.removed());
    assertEquals(parts(b), blobsBesideHolds(store));
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "web", null, true)) {
      assertEquals("world", ContainerFixture.readString(c, "/hello"));
      assertEquals("content of layer 2\n", ContainerFixture.readString(c, "/layer2"));
    }

    Container.remove(store, "web");
    report = GarbageCollector.collect(store, false);
    assertEquals(Set.of(), blobs(store));
    assertEquals(Set.of(), indexes(store));
    // 4 blobs, 2 uncompressed, 2 indexes, and the container's hold (an image index)
    assertEquals(4 + 2 + 2 + 1, report.removed().size());
  }

  @Test
  void aMissingManifestOfAContainerRemovesNothingAndTheContainerWorksOnceRestored()
      throws IOException {
    assertAContainerSurvivesAMissing(Image::manifestDigest);
  }

  @Test
  void aMissingConfigOfAContainerRemovesNothing() throws IOException {
    assertAContainerSurvivesAMissing(Image::configDigest);
  }

  /** A container's image loses blob {@code part}: gc removes nothing until it is back. */
  private void assertAContainerSurvivesAMissing(java.util.function.Function<Image, Digest> part)
      throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image b = image(store, "b:1", 0, 2);
    Image garbage = image(store, null, 3);
    indexAll(store, b);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "web", "b:1", false)) {
      ContainerFixture.write(c, "/hello", "world");
    }
    store.untag("b:1");
    Digest missing = part.apply(b);
    byte[] saved = Files.readAllBytes(store.blobPath(missing));
    Files.delete(store.blobPath(missing));
    Set<Digest> before = blobs(store);
    Set<Digest> indexesBefore = indexes(store);

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.removed());
    assertEquals(before, blobs(store));
    assertEquals(indexesBefore, indexes(store));
    assertTrue(before.contains(garbage.manifestDigest()));
    // found from the container's hold in index.json, or from its record
    assertTrue(report.problems().get(0).contains(missing + " (referenced from index.json entry of"
        + " container web)") || report.problems().get(0).contains(missing
        + " (referenced from container web)"), report.problems().toString());
    assertTrue(report.problems().get(0).contains("missing"), report.problems().toString());

    Files.write(store.blobPath(missing), saved);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "web", null, true)) {
      assertEquals("world", ContainerFixture.readString(c, "/hello"));
      assertEquals("content of layer 2\n", ContainerFixture.readString(c, "/layer2"));
    }
    report = GarbageCollector.collect(store, false);
    assertEquals(List.of(), report.problems());
    assertEquals(parts(b), blobsBesideHolds(store));
  }

  @Test
  void aMissingManifestOfATagRemovesNothing() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image a = image(store, "a:1", 0);
    image(store, null, 1);
    Files.delete(store.blobPath(a.manifestDigest()));
    Set<Digest> before = blobs(store);

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.removed());
    assertEquals(before, blobs(store));
    assertTrue(report.problems().get(0).contains("index.json entry 'a:1'"),
        report.problems().toString());
  }

  @Test
  void anUnreadableContainerRecordRemovesNothing() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    image(store, "b:1", 0);
    Image garbage = image(store, null, 3);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "web", "b:1", false)) {
      ContainerFixture.write(c, "/hello", "world");
    }
    Path json = store.stateDir().resolve("containers/web/container.json");
    Files.writeString(json, "{\"version\": 1, \"name\": \"web\"");

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.removed());
    assertTrue(blobs(store).contains(garbage.manifestDigest()));
    assertTrue(report.problems().get(0).contains(json.toString()), report.problems().toString());
  }

  @Test
  void anImageIndexKeepsItsManifests() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image amd = image(store, null, 0, 1);
    Image arm = Images.resolve(store,
        layer(ImageBuilder.create(store.root()).platform("linux", "arm64"), 3).build()
            .manifestDigest());
    Digest index = writeIndex(store, amd, arm);
    store.tag("multi", index);

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.removed());
    Set<Digest> all = new HashSet<>(parts(amd));
    all.addAll(parts(arm));
    all.add(index);
    all.removeAll(Set.of(amd.layers().get(0).diffId(), top(amd).diffId(), top(arm).diffId()));
    assertEquals(all, blobs(store));
    assertEquals(amd.manifestDigest(), Images.resolve(store, "multi").manifestDigest());
    assertEquals(
        arm.manifestDigest(), Images.resolve(store, "multi", "linux", "arm64").manifestDigest());

    store.untag("multi");
    report = GarbageCollector.collect(store, false);
    assertEquals(Set.of(), blobs(store));
    assertEquals(all.size(), report.removed(GcReport.Kind.BLOB).size());
  }

  private static Digest writeIndex(ContentStore store, Image... images) throws IOException {
    ObjectNode index = OciJson.object();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    for (Image image : images) {
      ObjectNode d =
          new Descriptor(
                  MediaTypes.OCI_MANIFEST,
                  image.manifestDigest(),
                  size(store, image.manifestDigest()))
              .toJson();
      ObjectNode platform = d.putObject("platform");
      platform.put("architecture", image.architecture());
      platform.put("os", image.os());
      manifests.add(d);
    }
    return store.write(OciJson.toBytes(index));
  }

  @Test
  void aDryRunRemovesNothingAndReportsWhatARealRunRemoves() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image a = image(store, "a:1", 0, 1);
    Image b = image(store, "b:1", 2);
    indexAll(store, a, b);
    store.untag("a:1");
    Set<Digest> blobsBefore = blobs(store);
    Set<Digest> indexesBefore = indexes(store);

    GcReport dry = GarbageCollector.collect(store, true);

    assertTrue(dry.dryRun());
    assertEquals(blobsBefore, blobs(store));
    assertEquals(indexesBefore, indexes(store));
    assertEquals(8, dry.removed().size());

    GcReport real = GarbageCollector.collect(store, false);
    assertEquals(dry.removed(), real.removed());
    assertEquals(dry.bytesFreed(), real.bytesFreed());
    assertEquals(parts(b), blobs(store));
  }

  @Test
  void anUnparseableManifestInIndexJsonKeepsItAndEverythingElse() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image garbage = image(store, null, 1);
    byte[] junk = "this is not a manifest".getBytes(StandardCharsets.UTF_8);
    Digest broken = store.write(junk);
    Descriptor d = new Descriptor(MediaTypes.OCI_MANIFEST, broken, junk.length);
    store.updateIndex(index -> index.tag("broken", d));
    Set<Digest> before = blobs(store);

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.removed());
    assertEquals(before, blobs(store));
    assertTrue(before.contains(garbage.manifestDigest()));
    assertEquals(2, report.problems().size(), report.problems().toString());
    assertTrue(report.problems().get(0).contains(broken.toString()), report.problems().get(0));
    assertTrue(report.problems().get(0).contains("'broken'"), report.problems().get(0));

    // once the broken entry is gone, the garbage goes
    store.untag("broken");
    report = GarbageCollector.collect(store, false);
    assertEquals(List.of(), report.problems());
    assertEquals(Set.of(), blobs(store));
  }

  @Test
  void aCorruptManifestKeepsEverything() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image a = image(store, "a:1", 0);
    image(store, null, 1);
    Set<Digest> before = blobs(store);
    Files.write(store.blobPath(a.manifestDigest()), "{}".getBytes(StandardCharsets.UTF_8));

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.removed());
    assertEquals(before, blobs(store));
    assertTrue(report.problems().get(0).contains("corrupt"), report.problems().get(0));
  }

  @Test
  void anUnknownMediaTypeInIndexJsonKeepsWhatItReferences() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image a = image(store, null, 0);
    byte[] payload = "binary\0payload".getBytes(StandardCharsets.UTF_8);
    Digest binary = store.write(payload);
    // an artifact: references the image by a descriptor and a blob of an unknown binary type
    ObjectNode artifact = OciJson.object();
    artifact.put("mediaType", "application/vnd.example.artifact+json");
    artifact.set(
        "subject",
        new Descriptor(MediaTypes.OCI_MANIFEST, a.manifestDigest(), size(store, a.manifestDigest()))
            .toJson());
    artifact.set(
        "blob", new Descriptor("application/vnd.example.bin", binary, payload.length).toJson());
    byte[] json = OciJson.toBytes(artifact);
    Digest root = store.write(json);
    // and a root that is not JSON at all
    byte[] other = "\0\1 not json".getBytes(StandardCharsets.UTF_8);
    Digest opaque = store.write(other);
    store.updateIndex(
        index -> {
          index.tag("artifact", new Descriptor("application/vnd.example.artifact+json", root,
              json.length));
          index.tag("opaque", new Descriptor("application/vnd.example.bin", opaque,
              other.length));
        });
    Digest loose = store.write("unreferenced".getBytes(StandardCharsets.UTF_8));
    image(store, null, 5); // garbage

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.problems());
    Set<Digest> expected = new HashSet<>(parts(a));
    expected.remove(a.layers().get(0).diffId());
    expected.add(binary);
    expected.add(root);
    expected.add(opaque);
    assertEquals(expected, blobs(store));
    assertTrue(names(report, GcReport.Kind.BLOB).contains(loose.toString()));
  }

  @Test
  void oldTempFilesGoYoungOnesStay() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    image(store, "a:1", 0);
    Path state = store.stateDir();
    FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
    Path oldTemp = Files.createDirectories(state.resolve("tmp")).resolve("blob-old.tmp");
    Files.write(oldTemp, new byte[100]);
    Files.setLastModifiedTime(oldTemp, old);
    Path youngTemp = state.resolve("tmp").resolve("blob-young.tmp");
    Files.write(youngTemp, new byte[10]);
    Path oldArchive = Files.createDirectories(state.resolve("archive-1/blobs"));
    Files.write(oldArchive.resolve("x"), new byte[7]);
    Files.setLastModifiedTime(oldArchive.resolve("x"), old);
    Files.setLastModifiedTime(oldArchive, old);
    Files.setLastModifiedTime(oldArchive.getParent(), old);
    // an old directory still being written to: a young file inside
    Path busyArchive = Files.createDirectories(state.resolve("archive-2"));
    Files.write(busyArchive.resolve("y"), new byte[3]);
    Files.setLastModifiedTime(busyArchive, old);
    Path oldUnpack = Files.createDirectories(state.resolve("unpack-123"));
    Files.setLastModifiedTime(oldUnpack, old);
    Path indexTemp = Files.createDirectories(state.resolve("index/sha256")).resolve(".tmp-x.idx");
    Files.write(indexTemp, new byte[5]);
    Files.setLastModifiedTime(indexTemp, old);

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(
        Set.of("layerfs/tmp/blob-old.tmp", "layerfs/archive-1", "layerfs/unpack-123",
            "layerfs/index/sha256/.tmp-x.idx"),
        names(report, GcReport.Kind.TEMP_FILE));
    assertEquals(4, report.removed().size());
    assertFalse(Files.exists(oldUnpack));
    assertEquals(100 + 7 + 5, report.bytesFreed());
    assertFalse(Files.exists(oldTemp));
    assertFalse(Files.exists(oldArchive.getParent()));
    assertFalse(Files.exists(indexTemp));
    assertTrue(Files.exists(youngTemp));
    assertTrue(Files.exists(busyArchive.resolve("y")));
    opens(store, "a:1");
  }

  /** A volume removal cut short (its folder renamed away, files left): gc frees its room. */
  @Test
  void whatACutShortVolumeRemovalLeftGoesAndVolumesStay() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    image(store, "a:1", 0);
    Path kept = Volumes.create(store, "kept");
    Files.write(kept.resolve("file"), new byte[50]);
    Path doomed = Volumes.create(store, "doomed");
    Files.write(Files.createDirectories(doomed.resolve("sub")).resolve("file"), new byte[70]);
    Path volumes = doomed.getParent().getParent();
    Path left = volumes.resolve(".removing-" + UUID.randomUUID());
    Files.move(doomed.getParent(), left); // what Volumes.remove does first
    String name = store.root().relativize(left).toString();

    GcReport dry = GarbageCollector.collect(store, true);
    assertEquals(Set.of(name), names(dry, GcReport.Kind.VOLUME_LEFTOVER));
    assertEquals(70, dry.bytesFreed());
    assertTrue(Files.exists(left.resolve("_data/sub/file")), "a dry run deletes nothing");

    GcReport report = GarbageCollector.collect(store, false);
    assertEquals(Set.of(name), names(report, GcReport.Kind.VOLUME_LEFTOVER));
    assertEquals(1, report.removed().size());
    assertFalse(Files.exists(left));
    assertEquals(List.of("kept"), Volumes.list(store));
    assertEquals(50, Files.size(kept.resolve("file")));
    assertEquals(List.of(), Volumes.removalLeftovers(store));
    opens(store, "a:1");
  }

  @Test
  void signaturesOfRemovedManifestsGo() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image a = image(store, "a:1", 0);
    Image b = image(store, "b:1", 1);
    Path sigs = store.stateDir().resolve("signatures/sha256");
    Path sigA = Files.createDirectories(sigs.resolve(a.manifestDigest().hex()));
    Files.write(sigA.resolve("signature-1"), new byte[11]);
    Path sigB = Files.createDirectories(sigs.resolve(b.manifestDigest().hex()));
    Files.write(sigB.resolve("signature-1"), new byte[13]);
    Files.write(sigB.resolve("signature-2"), new byte[17]);
    store.untag("b:1");

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(strings(b.manifestDigest()), names(report, GcReport.Kind.SIGNATURE));
    assertEquals(30, report.removed(GcReport.Kind.SIGNATURE).get(0).bytes());
    assertTrue(Files.exists(sigA.resolve("signature-1")));
    assertFalse(Files.exists(sigB));
  }

  @Test
  void filesNotNamedByDigestsAreLeftAlone() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Path stray = store.root().resolve("blobs/sha256/oci-put-blob12345");
    Files.write(stray, new byte[1]);
    Path other = Files.createDirectories(store.root().resolve("blobs/md5")).resolve("abc");
    Files.write(other, new byte[1]);
    byte[] indexJson = Files.readAllBytes(store.root().resolve("index.json"));

    assertEquals(List.of(), GarbageCollector.collect(store, false).removed());
    assertTrue(Files.exists(stray));
    assertTrue(Files.exists(other));
    assertTrue(Files.exists(store.root().resolve("oci-layout")));
    assertEquals(new String(indexJson, StandardCharsets.UTF_8),
        Files.readString(store.root().resolve("index.json")));
  }

  // --------------------------------------------------------------------------------- leases

  @Test
  void aLeaseHeldInAnotherThreadBlocksGcUntilReleased() throws Exception {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    CompletableFuture<Lease> taken = new CompletableFuture<>();
    CompletableFuture<Void> release = new CompletableFuture<>();
    byte[] config = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}".getBytes(
        StandardCharsets.UTF_8);
    Digest[] written = new Digest[1];
    Thread importer =
        new Thread(
            () -> {
              try (Lease lease = store.lease()) {
                // an import: blobs first, the tag later
                written[0] = store.ingest(new ByteArrayInputStream(config), null, -1);
                taken.complete(lease);
                release.get();
                // the lease keeps gc away from the builder's blobs until the tag lands
                ImageBuilder.create(store.root()).layer().file("/x", "x").build("later:1");
              } catch (Exception e) {
                taken.completeExceptionally(e);
              }
            });
    importer.start();
    taken.get(10, TimeUnit.SECONDS);

    CompletableFuture<GcReport> gc =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return GarbageCollector.collect(store, false);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    assertThrows(TimeoutException.class, () -> gc.get(500, TimeUnit.MILLISECONDS));
    assertTrue(store.contains(written[0]));

    release.complete(null);
    GcReport report = gc.get(20, TimeUnit.SECONDS);
    importer.join(10_000);
    // the loose config blob was never tagged: collected after the lease, the image was kept
    assertEquals(strings(written[0]), names(report, GcReport.Kind.BLOB));
    opens(store, "later:1");
  }

  @Test
  void gcGivesUpAfterItsTimeoutNamingTheLeases() throws Exception {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Lease lease = store.lease();
    CompletableFuture<IOException> failure =
        CompletableFuture.supplyAsync(
            () ->
                assertThrows(
                    IOException.class,
                    () -> GarbageCollector.collect(store, false, Duration.ofMillis(200))));
    IOException e = failure.get(20, TimeUnit.SECONDS);
    assertTrue(e.getMessage().contains("lease"), e.getMessage());
    assertTrue(e.getMessage().contains(store.root().toString()), e.getMessage());
    // closed by another thread than the one that took it
    CompletableFuture.runAsync(
            () -> {
              try {
                lease.close();
              } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
              }
            })
        .get(10, TimeUnit.SECONDS);
    lease.close(); // twice: harmless
    assertEquals(
        List.of(), GarbageCollector.collect(store, false, Duration.ofMillis(200)).removed());
  }

  @Test
  void leasesAreReentrantAndGcInTheLeasingThreadFailsFast() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContentStore sameStore = ContentStore.open(tmp.resolve("store"));
    // the same directory through a symlink shares the gate (two file locks would overlap)
    ContentStore viaLink =
        ContentStore.open(Files.createSymbolicLink(tmp.resolve("link"), tmp.resolve("store")));
    try (Lease outer = store.lease();
        Lease inner = store.lease();
        Lease other = sameStore.lease();
        Lease linked = viaLink.lease()) {
      assertThrows(IllegalStateException.class, () -> GarbageCollector.collect(store, true));
    }
    assertEquals(List.of(), GarbageCollector.collect(sameStore, true).removed());
  }

  /**
   * The child process of the cross-JVM tests: {@code lease STORE} holds a lease until stdin
   * closes; {@code gc STORE MILLIS} prints the number of removed items or "timeout".
   */
  public static void main(String[] args) throws Exception {
    ContentStore store = ContentStore.open(Path.of(args[1]));
    if (args[0].equals("lease")) {
      try (Lease lease = store.lease()) {
        System.out.println("leased");
        System.out.flush();
        while (System.in.read() >= 0) {
          // wait for the parent to close our stdin
        }
      }
    } else {
      try {
        GcReport r =
            GarbageCollector.collect(store, false, Duration.ofMillis(Long.parseLong(args[2])));
        System.out.println("removed " + r.removed().size());
      } catch (IOException e) {
        System.out.println(e.getMessage().contains("another process") ? "timeout" : e.toString());
      }
    }
  }

  private static Process child(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(GarbageCollectorTest.class.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static String firstLine(Process p) throws IOException {
    return new java.io.BufferedReader(
            new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
        .readLine();
  }

  @Test
  void leasesAndGcExcludeEachOtherAcrossProcesses() throws Exception {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    image(store, null, 1); // garbage
    String dir = store.root().toString();

    Process holder = child("lease", dir);
    try {
      assertEquals("leased", firstLine(holder));
      IOException e =
          assertThrows(
              IOException.class,
              () -> GarbageCollector.collect(store, false, Duration.ofMillis(300)));
      assertTrue(e.getMessage().contains("another process"), e.getMessage());
      assertEquals(3, blobs(store).size());
    } finally {
      try (OutputStream in = holder.getOutputStream()) {
        // closing stdin ends the child's lease
      }
      assertTrue(holder.waitFor(60, TimeUnit.SECONDS));
    }
    assertEquals(3, GarbageCollector.collect(store, true, Duration.ofSeconds(10)).removed().size());

    // and the other way round: our lease makes the child's gc time out
    try (Lease lease = store.lease()) {
      Process gc = child("gc", dir, "300");
      assertEquals("timeout", firstLine(gc));
      assertTrue(gc.waitFor(60, TimeUnit.SECONDS));
    }
    Process gc = child("gc", dir, "10000");
    assertEquals("removed 3", firstLine(gc));
    assertTrue(gc.waitFor(60, TimeUnit.SECONDS));
    assertEquals(Set.of(), blobs(store));
  }

  // ------------------------------------------------------------------------ property test

  /**
   * A random store: images made of pool layers, each tagged once, some untagged again;
   * containers on some of them, some removed again; some layers indexed.
   */
  record Scenario(
      List<List<Integer>> images,
      List<Boolean> keepTag,
      List<Integer> containerImages,
      List<Boolean> keepContainer,
      List<Boolean> indexImage) {}

  private static Gen<Scenario> scenarios(Props p) {
    Gen<List<List<Integer>>> images = p.lists(p.lists(p.ints(0, 4), 1, 3), 1, 4);
    Gen<List<Boolean>> flags = p.lists(p.booleans(), 4, 4);
    Gen<List<Integer>> containers = p.lists(p.ints(0, 3), 0, 3);
    return p.combine(images, flags, containers, flags, flags, Scenario::new);
  }

  @Test
  void afterGcEveryTagAndContainerOpensAndNothingUnreferencedRemains() {
    Props p = Props.tries(25).seed(20261127);
    p.qt()
        .withShrinkCycles(75) // about 0.13 s each
        .forAll(scenarios(p))
        .checkAssert(Props.io(s -> {
          Path dir = Files.createTempDirectory("layerfs-gc");
          try {
            run(s, dir);
          } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
              for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
              }
            }
          }
        }));
  }

  private static void run(Scenario s, Path dir) throws IOException {
    ContentStore store = ContentStore.open(dir.resolve("store"));
    List<Image> images = new ArrayList<>();
    for (int i = 0; i < s.images().size(); i++) {
      int[] ids = s.images().get(i).stream().mapToInt(Integer::intValue).toArray();
      images.add(image(store, "img" + i + ":1", ids));
      if (s.indexImage().get(i)) {
        indexAll(store, images.get(i));
      }
    }
    List<String> containers = new ArrayList<>();
    List<Image> containerImage = new ArrayList<>();
    try (LayerStore layers = new LayerStore(store)) {
      for (int j = 0; j < s.containerImages().size(); j++) {
        int i = s.containerImages().get(j) % images.size();
        String name = "c" + j;
        try (Container c = Container.open(store, layers, name, "img" + i + ":1", false)) {
          ContainerFixture.write(c, "/mine", name);
        }
        if (s.keepContainer().get(j)) {
          containers.add(name);
          containerImage.add(images.get(i));
        } else {
          Container.remove(store, name);
        }
      }
    }
    List<String> tags = new ArrayList<>();
    Set<Digest> reachable = new HashSet<>();
    for (int i = 0; i < images.size(); i++) {
      if (s.keepTag().get(i)) {
        tags.add("img" + i + ":1");
        reachable.addAll(parts(images.get(i)));
      } else {
        store.untag("img" + i + ":1");
      }
    }
    containerImage.forEach(image -> reachable.addAll(parts(image)));
    reachable.addAll(store.readIndex().holds().values()); // the containers' holds
    Set<Digest> blobsBefore = blobs(store);
    Set<Digest> indexesBefore = indexes(store);

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.problems());
    Set<Digest> expectedBlobs = new TreeSet<>(blobsBefore);
    expectedBlobs.retainAll(reachable);
    assertEquals(expectedBlobs, blobs(store));
    Set<Digest> expectedIndexes = new TreeSet<>(indexesBefore);
    expectedIndexes.retainAll(reachable);
    assertEquals(expectedIndexes, indexes(store));
    assertEquals(
        blobsBefore.size() - expectedBlobs.size() + indexesBefore.size() - expectedIndexes.size(),
        report.removed().size());
    for (String tag : tags) {
      opens(store, tag);
    }
    try (LayerStore layers = new LayerStore(store)) {
      for (String name : containers) {
        try (Container c = Container.open(store, layers, name, null, true)) {
          assertEquals(name, ContainerFixture.readString(c, "/mine"));
        }
      }
    }
    assertEquals(List.of(), GarbageCollector.collect(store, false).removed());
  }
}
