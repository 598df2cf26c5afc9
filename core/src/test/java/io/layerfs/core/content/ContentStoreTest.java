package io.layerfs.core.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.gc.GarbageCollector;
import io.layerfs.core.image.Images;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentStoreTest {
  @TempDir Path tmp;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** What the testing module's builder wrote, read back through core. */
  private static Image read(ContentStore store, Built built) throws IOException {
    return Images.resolve(store, built.manifestDigest());
  }

  /** Every file under dir, relative, sorted. */
  private static List<String> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted()
          .collect(Collectors.toCollection(ArrayList::new));
    }
  }

  @Test
  void createsLayoutInNewDirectory() throws IOException {
    Path dir = tmp.resolve("new/store");
    ContentStore store = ContentStore.open(dir);
    assertEquals(dir.toAbsolutePath().normalize(), store.root());
    assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}", Files.readString(dir.resolve("oci-layout")));
    JsonNode index = new ObjectMapper().readTree(dir.resolve("index.json").toFile());
    assertEquals(2, index.get("schemaVersion").intValue());
    assertTrue(index.get("manifests").isArray());
    assertEquals(0, index.get("manifests").size());
    assertTrue(Files.isDirectory(dir.resolve("blobs/sha256")));
    assertEquals(List.of(), store.tags());
  }

  @Test
  void createsLayoutInEmptyDirectory() throws IOException {
    ContentStore.open(tmp);
    assertTrue(Files.isRegularFile(tmp.resolve("oci-layout")));
  }

  @Test
  void refusesNonEmptyDirectoryThatIsNoLayout() throws IOException {
    Files.writeString(tmp.resolve("notes.txt"), "hello");
    IOException e = assertThrows(IOException.class, () -> ContentStore.open(tmp));
    assertTrue(e.getMessage().contains("not an OCI image layout"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("index.json")));
  }

  @Test
  void refusesAFileSayingSo() throws IOException {
    Path file = Files.writeString(tmp.resolve("image.tar"), "not a directory");
    IOException e = assertThrows(IOException.class, () -> ContentStore.open(file));
    assertEquals("not an OCI image layout: " + file + " is a file, not a directory",
        e.getMessage());
    assertEquals("not a directory", Files.readString(file));
  }

  @Test
  void refusesUnknownLayoutVersion() throws IOException {
    Files.writeString(tmp.resolve("oci-layout"), "{\"imageLayoutVersion\":\"2.0.0\"}");
    Files.writeString(tmp.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[]}");
    IOException e = assertThrows(IOException.class, () -> ContentStore.open(tmp));
    assertTrue(e.getMessage().contains("2.0.0"), e.getMessage());
  }

  @Test
  void openingAnExistingLayoutChangesNothing() throws IOException {
    // what umoci init writes, byte for byte
    Files.writeString(tmp.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(tmp.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":null}");
    Files.createDirectories(tmp.resolve("blobs/sha256"));
    FileTime old = FileTime.fromMillis(1_000_000_000L);
    Files.setLastModifiedTime(tmp.resolve("index.json"), old);
    ContentStore store = ContentStore.open(tmp);
    assertEquals(List.of(), store.tags());
    assertEquals("{\"schemaVersion\":2,\"manifests\":null}",
        Files.readString(tmp.resolve("index.json")));
    assertEquals(old, Files.getLastModifiedTime(tmp.resolve("index.json")));
    assertFalse(Files.exists(tmp.resolve(ContentStore.STATE_DIR)), "state dir is lazy");
    assertEquals(tmp.resolve("layerfs"), store.stateDir());
    assertTrue(Files.isDirectory(tmp.resolve("layerfs")));
  }

  @Test
  void refusesLayoutsWithoutVersionOrIndex() throws IOException {
    Files.writeString(tmp.resolve("oci-layout"), "{}");
    Files.writeString(tmp.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[]}");
    IOException e = assertThrows(IOException.class, () -> ContentStore.open(tmp));
    assertEquals("unsupported OCI image layout version null in " + tmp.resolve("oci-layout"),
        e.getMessage());
    Files.writeString(tmp.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.1.0\"}");
    assertEquals(tmp, ContentStore.open(tmp).root());
    Files.delete(tmp.resolve("index.json"));
    e = assertThrows(IOException.class, () -> ContentStore.open(tmp));
    assertEquals("OCI image layout without index.json: " + tmp, e.getMessage());
  }

  @Test
  void completesALayoutBeingCreated() throws IOException {
    // what another process creating the store may have written so far: oci-layout comes last
    Files.createDirectories(tmp.resolve("blobs/sha256"));
    Files.createDirectories(tmp.resolve(ContentStore.STATE_DIR));
    String tagged = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
        + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
        + "0".repeat(64) + "\",\"size\":1,\"annotations\":{"
        + "\"org.opencontainers.image.ref.name\":\"kept\"}}]}";
    Files.writeString(tmp.resolve("index.json"), tagged);
    ContentStore store = ContentStore.open(tmp);
    assertEquals(tagged, Files.readString(tmp.resolve("index.json")), "not replaced");
    assertEquals(List.of("kept"), store.tags());
    assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}",
        Files.readString(tmp.resolve("oci-layout")));
  }

  @Test
  void layoutFilesAreReadUpToABound() throws IOException {
    // oci-layout: one field, 64 KiB at most (index.json's bound is 64 MiB)
    String padded = "{\"imageLayoutVersion\":\"1.0.0\"}";
    String exact = padded + " ".repeat(64 * 1024 - padded.length());
    Files.writeString(tmp.resolve("oci-layout"), exact);
    Files.writeString(tmp.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[]}");
    ContentStore.open(tmp);
    Files.writeString(tmp.resolve("oci-layout"), exact + " ");
    IOException e = assertThrows(IOException.class, () -> ContentStore.open(tmp));
    assertEquals(tmp.resolve("oci-layout") + " is larger than 65536 bytes", e.getMessage());
  }

  @Test
  void whereThingsLive() throws IOException {
    Limits limits = Limits.builder().jsonBytes(1000).build();
    ContentStore store = ContentStore.open(tmp, limits);
    assertEquals(limits, store.limits());
    assertEquals(tmp.resolve("blobs"), store.blobsDir());
    assertEquals(tmp.resolve("layerfs/tmp"), store.tempDir());
    Path temp = store.newTempFile("x");
    assertEquals(store.tempDir(), temp.getParent());
    assertTrue(temp.getFileName().toString().startsWith("x-"), temp.toString());
    assertFalse(Files.exists(temp));
    Digest d = Digest.sha256(bytes("z"));
    NoSuchFileException e = store.missing(d);
    assertEquals(store.blobPath(d).toString(), e.getFile());
    assertEquals("blob " + d + " not in store " + tmp, e.getReason());
  }

  @Test
  void readsAreBoundedAtTheirLimitExactly() throws IOException {
    ContentStore store = ContentStore.open(tmp, Limits.builder().jsonBytes(10).build());
    Digest ten = store.write(bytes("{\"a\":1234}"));
    Digest eleven = store.write(bytes("{\"a\":12345}"));
    assertEquals("{\"a\":1234}", new String(store.readJson(ten), StandardCharsets.UTF_8));
    LimitException e = assertThrows(LimitException.class, () -> store.readJson(eleven));
    assertEquals("jsonBytes", e.limit());
    assertEquals(10, e.value());
    assertEquals(10, store.readBlob(ten, 10).length);
    IOException big = assertThrows(IOException.class, () -> store.readBlob(ten, 9));
    assertEquals("blob " + ten + " is larger than 9 bytes", big.getMessage());
    assertArrayEquals(new byte[0], store.readBlob(store.write(new byte[0]), 0));
  }

  @Test
  @SuppressWarnings("try") // the lease is held, not used
  void aLeaseKeepsCollectionsOut() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    LeaseGate gate = LeaseGate.of(store.root(), store.stateDir());
    try (Lease lease = store.lease()) {
      // a collection in the lease holder's thread would wait for itself
      assertThrows(IllegalStateException.class,
          () -> gate.exclusive(Duration.ofSeconds(5), () -> "collected"));
    }
    assertEquals("collected", gate.exclusive(Duration.ofSeconds(5), () -> "collected"));
  }

  /**
   * Leases and collections in one JVM hand the gate's one file lock back and forth: a lease that
   * got in while the collection's exclusive lock was still held threw
   * OverlappingFileLockException (seen in CI, once in thousands of hand-overs).
   */
  @Test
  @SuppressWarnings("try") // the lease is held, not used
  void leasesAndCollectionsTakeTurnsWithoutOverlappingLocks() throws Exception {
    ContentStore store = ContentStore.open(tmp);
    LeaseGate gate = LeaseGate.of(store.root(), store.stateDir());
    long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    AtomicInteger leases = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        workers.add(pool.submit(() -> {
          while (System.nanoTime() < until) {
            try (Lease lease = store.lease()) {
              leases.incrementAndGet();
            }
          }
          return null;
        }));
      }
      int collections = 0;
      while (System.nanoTime() < until) {
        gate.exclusive(Duration.ofSeconds(30), () -> null);
        collections++;
      }
      for (Future<?> worker : workers) {
        worker.get(); // throws what a lease threw
      }
      assertTrue(collections > 0 && leases.get() > 0, collections + " / " + leases);
    } finally {
      pool.shutdownNow();
    }
  }

  /** One store reached by two paths in one JVM (a symbolic link): its index lock is one lock. */
  @Test
  void indexUpdatesThroughTwoPathsToOneStoreTakeTurns() throws Exception {
    ContentStore direct = ContentStore.open(tmp.resolve("store"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), tmp.resolve("store"));
    ContentStore linked = ContentStore.open(link);
    Digest target = read(direct, ImageBuilder.create(direct.root()).build()).manifestDigest();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (ContentStore store : List.of(direct, linked)) {
        writers.add(pool.submit(() -> {
          for (int i = 0; i < 200; i++) {
            store.updateIndex(index -> { });
          }
          return null;
        }));
      }
      for (Future<?> writer : writers) {
        writer.get(); // throws what an update threw
      }
    } finally {
      pool.shutdownNow();
    }
    linked.tag("t:1", target);
    assertEquals(List.of("t:1"), direct.tags());
  }

  @Test
  void refNamesAreBoundedAt255() {
    ContentStore.checkRefName("a".repeat(255));
    assertThrows(IllegalArgumentException.class, () -> ContentStore.checkRefName("a".repeat(256)));
    assertThrows(IllegalArgumentException.class, () -> ContentStore.checkRefName(null));
  }

  /**
   * Names given to images follow Docker's reference rules (upper case in the tag and the host,
   * never in the repository path), each error naming the part that is wrong; the OCI ref.name
   * grammar of layouts' own names stays looser in case, and must hold too (index.json).
   */
  @Test
  void tagsFollowDockersRulesNamingTheWrongPart() {
    String hex = "a".repeat(64);
    for (String good : List.of("base:1", "app:V1", "esgz", "latest", "1.0", "a_b.c-d--e:x",
        "registry.example:5000/team/base:latest", "MYHOST:5000/app:1", "Host/app:V_1.x",
        "localhost/app", "debian@sha256:" + hex,
        "debian:12@sha256:" + hex, "app:" + "v".repeat(128))) {
      ContentStore.checkTag(good);
    }
    Map<String, String> bad = new java.util.LinkedHashMap<>();
    bad.put("MyApp:1", "repository name 'MyApp' must be lowercase");
    bad.put("team/MyApp:1", "repository name 'team/MyApp' must be lowercase");
    bad.put("app:-x", "bad tag '-x'");
    bad.put("app:" + "v".repeat(129), "bad tag 'vvv");
    bad.put("app:1:2", "component 'app:1'");
    bad.put("a..b:1", "component 'a..b'");
    bad.put("app+x:1", "component 'app+x'");
    bad.put("Bad Tag", "component 'Bad Tag' (lowercase letters and digits"); // not "lowercase"
    bad.put("app@sha256:12", "bad digest 'sha256:12'");
    bad.put(":1", "no repository name");
    bad.put("bad_host.x/app:1", "bad registry host 'bad_host.x'");
    bad.put("", "empty");
    bad.put("a__b:1", "not an OCI ref.name"); // Docker's separator, not index.json's
    for (Map.Entry<String, String> e : bad.entrySet()) {
      IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
          () -> ContentStore.checkTag(e.getKey()), e.getKey());
      assertTrue(x.getMessage().contains(e.getValue()), x.getMessage());
    }
    // a layout's own ref.name may have upper case: it is an OCI ref.name, not a Docker name
    ContentStore.checkRefName("MyApp:1");
  }

  @Test
  void ingestStoresAndVerifies() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    byte[] data = bytes("hello, layers");
    Digest expected = Digest.sha256(data);
    assertFalse(store.contains(expected));
    Digest d = store.ingest(new ByteArrayInputStream(data), expected, data.length);
    assertEquals(expected, d);
    assertTrue(store.contains(d));
    assertEquals(tmp.resolve("blobs/sha256/" + d.hex()), store.blobPath(d));
    try (InputStream in = store.openBlob(d)) {
      assertArrayEquals(data, in.readAllBytes());
    }
    // without expectations the digest is computed
    byte[] other = bytes("other");
    assertEquals(Digest.sha256(other), store.ingest(new ByteArrayInputStream(other), null, -1));
    assertEquals(List.of(), files(store.stateDir().resolve("tmp")));
  }

  @Test
  void ingestSha512() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    byte[] data = bytes("five twelve");
    Digest expected = Digest.of("sha512", Digest.newMessageDigest("sha512").digest(data));
    assertEquals(expected, store.ingest(new ByteArrayInputStream(data), expected, -1));
    assertTrue(Files.isRegularFile(tmp.resolve("blobs/sha512/" + expected.hex())));
  }

  @Test
  void digestMismatchNamesBothAndLeavesNothing() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    List<String> before = files(tmp);
    before.removeIf(f -> f.equals("layerfs/index.lock")); // the lock file, made by creation
    byte[] data = bytes("actual content");
    Digest wrong = Digest.sha256(bytes("expected content"));
    IOException e =
        assertThrows(
            IOException.class, () -> store.ingest(new ByteArrayInputStream(data), wrong, -1));
    assertTrue(e.getMessage().contains(wrong.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(Digest.sha256(data).toString()), e.getMessage());
    assertFalse(store.contains(wrong));
    assertFalse(store.contains(Digest.sha256(data)));
    List<String> after = files(tmp);
    after.removeIf(f -> f.equals("layerfs/index.lock"));
    assertEquals(before, after);
    assertEquals(List.of(), files(store.stateDir().resolve("tmp")));
  }

  @Test
  void sizeMismatchFailsAndLeavesNothing() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    byte[] data = bytes("twelve bytes");
    Digest d = Digest.sha256(data);
    IOException shorter =
        assertThrows(IOException.class, () -> store.ingest(new ByteArrayInputStream(data), d, 13));
    assertTrue(shorter.getMessage().contains("13"), shorter.getMessage());
    IOException longer =
        assertThrows(IOException.class, () -> store.ingest(new ByteArrayInputStream(data), d, 5));
    assertTrue(longer.getMessage().contains("5 bytes"), longer.getMessage());
    assertFalse(store.contains(d));
    assertEquals(List.of(), files(store.stateDir().resolve("tmp")));
  }

  @Test
  void existingBlobIsNotRewritten() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    byte[] data = bytes("stable");
    Digest d = store.ingest(new ByteArrayInputStream(data), null, -1);
    Path blob = store.blobPath(d);
    FileTime old = FileTime.fromMillis(1_000_000_000L);
    Files.setLastModifiedTime(blob, old);
    Object key = Files.readAttributes(blob, "unix:ino").get("ino");
    // with and without an expected digest
    assertEquals(d, store.ingest(new ByteArrayInputStream(data), d, data.length));
    assertEquals(d, store.ingest(new ByteArrayInputStream(data), null, -1));
    assertEquals(old, Files.getLastModifiedTime(blob));
    assertEquals(key, Files.readAttributes(blob, "unix:ino").get("ino"));
    assertEquals(List.of(), files(store.stateDir().resolve("tmp")));
  }

  @Test
  void missingBlobIsNoSuchFile() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Digest d = Digest.sha256(bytes("absent"));
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> store.openBlob(d));
    assertTrue(e.getMessage().contains(d.toString()), e.getMessage());
  }

  @Test
  void readBlobDetectsCorruption() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Digest d = store.write(bytes("{\"a\":1}"));
    Files.writeString(store.blobPath(d), "{\"a\":2}");
    IOException e = assertThrows(IOException.class, () -> store.readBlob(d, 100));
    assertTrue(e.getMessage().contains(d.toString()), e.getMessage());
    Digest big = store.write(new byte[200]);
    assertThrows(IOException.class, () -> store.readBlob(big, 100));
  }

  /** An index.json as skopeo/umoci and others write them, with fields layerfs does not model. */
  private static final String FOREIGN_INDEX =
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
          + "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
          + "\"digest\":\"sha256:%s\",\"size\":%d,"
          + "\"annotations\":{\"org.opencontainers.image.ref.name\":\"old\","
          + "\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\"},"
          + "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},"
          + "\"x-umoci-extra\":[1,2,3]},"
          + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
          + "\"digest\":\"sha256:%s\",\"size\":%d}],"
          + "\"annotations\":{\"com.example.top\":\"kept\"},\"x-future-field\":{\"n\":1}}";

  @Test
  void tagRoundTripKeepsUnknownFieldsAndEntries() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image a = read(store,
        ImageBuilder.create(store.root()).layer(LayerCompression.NONE).file("/a", "a").build());
    Image b = read(store,
        ImageBuilder.create(store.root()).layer(LayerCompression.NONE).file("/b", "b").build());
    // the foreign index's untagged entry is of a third image, which is not tagged here
    Image c = read(store,
        ImageBuilder.create(store.root()).layer(LayerCompression.NONE).file("/c", "c").build());
    long aSize = Files.size(store.blobPath(a.manifestDigest()));
    long bSize = Files.size(store.blobPath(b.manifestDigest()));
    long cSize = Files.size(store.blobPath(c.manifestDigest()));
    String original =
        String.format(
            FOREIGN_INDEX, a.manifestDigest().hex(), aSize, c.manifestDigest().hex(), cSize);
    Files.writeString(tmp.resolve("index.json"), original);
    assertEquals(List.of("old"), store.tags());

    store.tag("new", b.manifestDigest());
    assertEquals(List.of("new", "old"), store.tags());
    ObjectMapper mapper = new ObjectMapper();
    JsonNode before = mapper.readTree(original);
    JsonNode after = mapper.readTree(tmp.resolve("index.json").toFile());
    assertEquals(before.get("annotations"), after.get("annotations"));
    assertEquals(before.get("x-future-field"), after.get("x-future-field"));
    assertEquals(3, after.get("manifests").size());
    assertEquals(before.get("manifests").get(0), after.get("manifests").get(0));
    assertEquals(before.get("manifests").get(1), after.get("manifests").get(1));
    JsonNode added = after.get("manifests").get(2);
    assertEquals(b.manifestDigest().toString(), added.get("digest").textValue());
    assertEquals(bSize, added.get("size").longValue());
    assertEquals(
        "application/vnd.oci.image.manifest.v1+json", added.get("mediaType").textValue());
    assertEquals(
        "new", added.get("annotations").get("org.opencontainers.image.ref.name").textValue());

    // moving a tag off an image nothing else names keeps its entry in place, without the name
    // (docker's dangling image; skopeo's oci: destination keeps such an entry so too), its
    // other fields as they were; untag removes a tag
    store.tag("old", b.manifestDigest());
    after = mapper.readTree(tmp.resolve("index.json").toFile());
    assertEquals(4, after.get("manifests").size());
    JsonNode left = after.get("manifests").get(0);
    JsonNode was = before.get("manifests").get(0);
    assertEquals(a.manifestDigest().toString(), left.get("digest").textValue());
    assertEquals(Map.of("org.opencontainers.image.created", "2024-01-01T00:00:00Z"),
        mapper.convertValue(left.get("annotations"), Map.class));
    assertEquals(was.get("platform"), left.get("platform"));
    assertEquals(was.get("x-umoci-extra"), left.get("x-umoci-extra"));
    assertEquals(before.get("manifests").get(1), after.get("manifests").get(1));
    assertEquals(List.of(a.manifestDigest(), c.manifestDigest()), store.readIndex().untagged());
    assertEquals(b.manifestDigest(), Images.resolve(store, "old").manifestDigest());
    assertTrue(store.untag("new"));
    assertFalse(store.untag("new"));
    assertEquals(List.of("old"), store.tags());
    assertEquals(before.get("x-future-field"),
        mapper.readTree(tmp.resolve("index.json").toFile()).get("x-future-field"));

    // tagging the untagged image replaces its untagged entry, as docker's dangling image
    // becomes a tagged one
    store.tag("c", c.manifestDigest());
    after = mapper.readTree(tmp.resolve("index.json").toFile());
    assertEquals(3, after.get("manifests").size(), after.toString());
    assertEquals(List.of("c", "old"), store.tags());
    assertEquals(List.of(a.manifestDigest()), store.readIndex().untagged());
    assertEquals(before.get("x-future-field"), after.get("x-future-field"));
  }

  /**
   * A tag, pull, import or commit that moves a tag leaves the image it took the tag from as
   * docker leaves it: dangling, an untagged entry that gc keeps, unless another tag or untagged
   * entry still names it (moby's containerd image store makes its dangling image only for the
   * last image of a target). A container's hold is no name: docker lists a container's image
   * whose tag moved as {@code <none>} too.
   */
  @Test
  void movingATagKeepsTheImageItLeavesUntaggedUnlessSomethingElseNamesIt() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Digest a = read(store, ImageBuilder.create(store.root()).layer(LayerCompression.NONE)
        .file("/a", "a").build()).manifestDigest();
    Digest b = read(store, ImageBuilder.create(store.root()).layer(LayerCompression.NONE)
        .file("/b", "b").build()).manifestDigest();
    store.tag("app:1", a);
    store.tag("app:1", b);
    assertEquals(List.of("app:1"), store.tags());
    assertEquals(List.of(a), store.readIndex().untagged());
    assertEquals(2, store.readIndex().manifests().size());
    GarbageCollector.collect(store, false);
    assertTrue(store.contains(a), "gc keeps the dangling image");
    // moved back: a is named again (its untagged entry goes), and b is the one left
    store.tag("app:1", a);
    assertEquals(List.of(b), store.readIndex().untagged());
    assertEquals(2, store.readIndex().manifests().size());
    // an image that keeps another tag leaves nothing dangling, nor does tagging one again
    store.tag("app:stable", a);
    store.tag("app:1", b);
    store.tag("app:1", b);
    assertEquals(List.of(), store.readIndex().untagged());
    assertEquals(List.of("app:1", "app:stable"), store.tags());
    store.tag("app:2", a);
    store.untag("app:stable");
    try (Lease lease = store.lease()) {
      store.hold("web", a);
    }
    store.tag("app:2", b);
    assertEquals(List.of(a), store.readIndex().untagged(), "a container's image stays <none>");
    assertTrue(store.holds("web", a));
    store.tag("app:1", a);
    store.tag("app:1", b);
    assertEquals(List.of(a), store.readIndex().untagged());
    assertEquals(4, store.readIndex().manifests().size(), "app:1, app:2, a untagged, web's hold");
  }

  @Test
  void tagHandlesUmociNullManifests() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image a = read(store,
        ImageBuilder.create(store.root()).layer(LayerCompression.NONE).file("/a", "a").build());
    Files.writeString(tmp.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":null}");
    store.tag("t1", a.manifestDigest());
    assertEquals(List.of("t1"), store.tags());
  }

  @Test
  void tagValidatesNameAndTarget() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Digest absent = Digest.sha256(bytes("x"));
    assertThrows(NoSuchFileException.class, () -> store.tag("ok", absent));
    Image a = read(store, ImageBuilder.create(store.root()).build());
    for (String bad : new String[] {"", "a b", "../x", "/abs", "a//b", "-x", "x\n"}) {
      assertThrows(IllegalArgumentException.class, () -> store.tag(bad, a.manifestDigest()), bad);
    }
    store.tag("docker.io/library/debian:12", a.manifestDigest());
    store.tag("demo:1", a.manifestDigest());
    assertEquals(List.of("demo:1", "docker.io/library/debian:12"), store.tags());
  }

  /** skopeo writes index.json in place: a read while it writes sees the file cut short. */
  @Test
  void anIndexJsonCutShortIsReadAgainUntilItIsWhole() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Path index = tmp.resolve("index.json");
    String whole = "{\"schemaVersion\":2,\"manifests\":[]}\n";
    Files.writeString(index, whole.substring(0, 20));
    int[] pauses = {0};
    byte[] read = ContentStore.readIndexBytes(index, () -> {
      if (++pauses[0] == 2) {
        Files.writeString(index, whole); // the writer is done
      } else {
        Files.writeString(index, ""); // truncated, as a write starts
      }
    });
    assertEquals(whole, new String(read, StandardCharsets.UTF_8));
    assertEquals(2, pauses[0]);
    assertEquals(List.of(), store.tags());

    // what stays cut short is read a bounded number of times and fails its parse
    Files.writeString(index, whole.substring(0, 20));
    int[] more = {0};
    byte[] cut = ContentStore.readIndexBytes(index, () -> more[0]++);
    assertEquals(ContentStore.INDEX_REREADS, more[0]);
    assertThrows(IOException.class, () -> store.parseIndex(cut));
  }

  @Test
  void malformedIndexJsonIsAnIoException() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Files.writeString(tmp.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{");
    IOException e = assertThrows(IOException.class, store::tags);
    assertTrue(e.getMessage().contains("index.json"), e.getMessage());
    Files.writeString(
        tmp.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:../../etc\",\"size\":1}]}");
    e = assertThrows(IOException.class, store::tags);
    assertTrue(e.getMessage().contains("sha256:../../etc"), e.getMessage());
  }
}
