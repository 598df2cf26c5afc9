package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.Image;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pull and push against a real registry (the run's docker-registry, plain HTTP): skopeo pushes
 * the umoci-built images, {@code layerfs pull} fetches them and the view equals {@code umoci
 * unpack}; {@code layerfs push} sends images and a committed container, skopeo reads and copies
 * them back with the same digests; a second repository gets the blobs by cross-repository
 * mount; errors name the registry, the reference and the status.
 */
final class RegistryIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path work;
  private static UmociImages images;
  private static String registry;
  /** A repository prefix of this run: the registry outlives one test class. */
  private static String prefix;

  @BeforeAll
  static void pushImagesWithSkopeo() {
    registry = TestRegistry.address();
    images = UmociImages.build(work.resolve("umoci"));
    for (String tag : UmociImages.TAGS) {
      images.rootfs(tag);
      images.push(tag, registry);
    }
    prefix = registry + "/it-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.EMPTY, UmociImages.BASE, UmociImages.LAYERED,
      UmociImages.OPAQUE})
  void pulledImageViewsAsUmociUnpack(String tag) throws IOException {
    Path store = work.resolve("pull-" + tag);
    String reference = registry + "/" + UmociImages.REPOSITORY + ":" + tag;
    JsonNode result = pull(store, reference);
    assertEquals(reference, result.get("tag").asText(), result::toString);
    String skopeoDigest = skopeoDigest(reference);
    assertEquals(skopeoDigest, result.get("manifest").asText());
    try (FileSystem fs = LayerFs.open(store, reference)) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
    // everything is there now: nothing more is fetched
    JsonNode again = pull(store, reference);
    assertEquals(0, again.get("layersFetched").asInt(), again::toString);
    assertEquals(skopeoDigest, again.get("manifest").asText());
  }

  /** env {@code image} may be a registry reference: the store lacks it, so it is pulled. */
  @Test
  void providerPullsTheEnvImageOnOpen() throws IOException {
    Path store = work.resolve("env-image");
    String reference = registry + "/" + UmociImages.REPOSITORY + ":" + UmociImages.OPAQUE;
    Map<String, Object> env = Map.of("store", store, "image", "docker://" + reference,
        "tlsVerify", false);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://env-pulled"), env)) {
      assertSameTree(images.rootfs(UmociImages.OPAQUE), fs.getPath("/"),
          UmociImages.comparison(UmociImages.OPAQUE));
      Files.writeString(fs.getPath("/written"), "x");
    }
    List<String> listed = new ArrayList<>();
    for (String line : LayerfsCli.run(store, "images", "--format", "json").lines().toList()) {
      JsonNode row = json(line); // docker's keys, a line an image
      listed.add(row.get("Repository").asText() + ":" + row.get("Tag").asText());
    }
    assertEquals(List.of(reference), listed);
    // reopened with the same env: the store has it now, nothing is pulled
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://env-pulled"), env)) {
      assertEquals("x", Files.readString(fs.getPath("/written")));
    }
    // tlsVerify true asks for HTTPS even on loopback, which this registry does not answer
    IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
        () -> FileSystems.newFileSystem(URI.create("layerfs://env-https"), Map.of("store",
            work.resolve("env-https"), "image", reference, "tlsVerify", true)));
    assertTrue(e.getMessage().contains("no image '" + reference + "'")
        && e.getMessage().contains("TLS"), e.getMessage());
    // not given, a loopback registry may answer plain HTTP, as Docker allows
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://env-default"),
        Map.of("store", work.resolve("env-default"), "image", reference))) {
      assertSameTree(images.rootfs(UmociImages.OPAQUE), fs.getPath("/"),
          UmociImages.comparison(UmociImages.OPAQUE));
    }
  }

  /** Docker's schema 2 manifests (what docker push writes) pull as OCI ones do. */
  @Test
  void dockerSchema2ManifestsPull() throws IOException {
    String reference = prefix + "/docker-v2s2:" + UmociImages.LAYERED;
    Tools.run("skopeo", "copy", "-q", "--format", "v2s2", "--dest-tls-verify=false",
        "oci:" + images.layout() + ":" + UmociImages.LAYERED, "docker://" + reference);
    assertTrue(Tools.run("skopeo", "inspect", "--raw", "--tls-verify=false",
        "docker://" + reference).contains("vnd.docker.distribution.manifest.v2+json"));
    Path store = work.resolve("pull-v2s2");
    JsonNode result = pull(store, reference);
    assertEquals(skopeoDigest(reference), result.get("manifest").asText());
    try (FileSystem fs = LayerFs.open(store, reference)) {
      assertSameTree(images.rootfs(UmociImages.LAYERED), fs.getPath("/"),
          UmociImages.comparison(UmociImages.LAYERED));
    }
  }

  @Test
  void pullByDigestTagsTheNameWithTheDigest() throws IOException {
    String reference = registry + "/" + UmociImages.REPOSITORY + ":" + UmociImages.LAYERED;
    String digest = skopeoDigest(reference);
    String byDigest = registry + "/" + UmociImages.REPOSITORY + "@" + digest;
    Path store = work.resolve("pull-digest");
    JsonNode result = pull(store, "docker://" + byDigest);
    assertEquals(byDigest, result.get("tag").asText());
    try (FileSystem fs = LayerFs.open(store, byDigest)) {
      assertSameTree(images.rootfs(UmociImages.LAYERED), fs.getPath("/"),
          UmociImages.comparison(UmociImages.LAYERED));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.BASE, UmociImages.OPAQUE})
  void pushedImageIsReadBySkopeoAndCopiesBackWithTheSameDigest(String tag) throws IOException {
    Path store = work.resolve("push-" + tag);
    LayerfsCli.run(store, "import", "oci:" + images.layout() + ":" + tag);
    String digest;
    try (Store s = Store.open(store)) {
      digest = s.image(tag).manifestDigest().toString();
    }
    String target = prefix + "/pushed:" + tag;
    JsonNode pushed = json(LayerfsCli.run(store, "push", "--tls-verify=false", "--format",
        "json", tag, target));
    assertEquals(digest, pushed.get("manifest").asText());
    assertEquals(skopeoDigest(target), digest);
    Path copy = work.resolve("copied-" + tag);
    Tools.run("skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + target,
        "oci:" + copy + ":" + tag);
    String copied = Tools.run("skopeo", "inspect", "--format", "{{.Digest}}",
        "oci:" + copy + ":" + tag).strip();
    assertEquals(digest, copied);
    Path bundle = work.resolve("copied-bundle-" + tag);
    Tools.run("umoci", "unpack", "--image", copy + ":" + tag, bundle.toString());
    assertSameTree(images.rootfs(tag), bundle.resolve("rootfs"), UmociImages.comparison(tag));

    // pushed again: every blob is there, nothing is uploaded
    JsonNode again = json(LayerfsCli.run(store, "push", "--tls-verify=false", "--format",
        "json", tag, target));
    assertEquals(0, again.get("uploaded").asInt(), again::toString);
    assertTrue(again.get("existing").asInt() > 0, again::toString);

    // another repository of the registry: mounted from the first, not uploaded
    JsonNode other = json(LayerfsCli.run(store, "push", "--tls-verify=false", "--format",
        "json", tag, prefix + "/mounted-" + tag + ":" + tag));
    assertEquals(0, other.get("uploaded").asInt(), other::toString);
    assertEquals(again.get("existing").asInt(), other.get("mounted").asInt(), other::toString);
    assertEquals(digest, skopeoDigest(prefix + "/mounted-" + tag + ":" + tag));
  }

  /** A committed container moves to another store through the registry. */
  @Test
  void committedContainerTravelsThroughTheRegistry() throws IOException {
    Path here = work.resolve("commit-here");
    LayerfsCli.run(here, "import", "oci:" + images.layout() + ":" + UmociImages.BASE);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", here, "image", UmociImages.BASE))) {
      Files.writeString(fs.getPath("/travelled"), "from the other host\n");
    }
    String committed = LayerfsCli.run(here, "commit", "web", "web:1").strip();
    String target = prefix + "/web:1";
    assertEquals(committed, LayerfsCli.run(here, "push", "--tls-verify=false", "web:1", target)
        .strip());

    Path there = work.resolve("commit-there");
    assertEquals(List.of(target), LayerfsCli.run(there, "pull", "--tls-verify=false", target)
        .lines().toList());
    assertEquals("from the other host\n", LayerfsCli.run(there, "cat", target, "/travelled"));
    try (Store s = Store.open(there)) {
      Image image = s.image(target);
      assertEquals(committed, image.manifestDigest().toString());
    }
  }

  /**
   * A registry on {@code [::1]}, as Docker users name it, without {@code --tls-verify=false}
   * (Docker's default insecure registries): push, pull (the manifest digest pushed), the tag the
   * pull gives, a read by that name, a lazy open through the provider and {@code rmi}.
   */
  @Test
  void ipv6Registry() throws Exception {
    try (RegistryProcess v6 = RegistryProcess.start(work.resolve("ipv6-registry"), null,
        "[::1]")) {
      String target = v6.address() + "/team/app:1";
      assertTrue(target.startsWith("[::1]:"), target);
      Path here = work.resolve("ipv6-here");
      LayerfsCli.run(here, "import", "oci:" + images.layout() + ":" + UmociImages.BASE);
      // (skopeo 1.9 cannot parse an IPv6 reference: the pull below checks the digest)
      String pushed = LayerfsCli.run(here, "push", UmociImages.BASE, target).strip();

      Path there = work.resolve("ipv6-there");
      assertEquals(List.of(target), LayerfsCli.run(there, "pull", target).lines().toList());
      assertEquals(List.of(target), LayerfsCli.tags(there));
      assertEquals("welcome\n", LayerfsCli.run(there, "cat", target, "/etc/motd"));
      try (Store s = Store.open(there)) {
        assertEquals(pushed, s.image(target).manifestDigest().toString());
      }
      assertTrue(Files.readString(there.resolve("index.json")).contains("\"ip6+x+x+1:"));

      Path lazy = work.resolve("ipv6-lazy");
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://v6lazy"),
          Map.of("store", lazy, "image", target, "lazy", true))) {
        assertEquals("welcome\n", Files.readString(fs.getPath("/etc/motd")));
      }
      LayerfsCli.run(there, "rmi", target);
      assertEquals("", LayerfsCli.run(there, "images", "-q"));
    }
  }

  /** skopeo's transport name in import and export. */
  @Test
  void dockerTransportInImportAndExport() throws IOException {
    Path store = work.resolve("transport");
    String source = registry + "/" + UmociImages.REPOSITORY + ":" + UmociImages.LAYERED;
    assertEquals(List.of("mine"), LayerfsCli.run(store, "import", "--tls-verify=false",
        "docker://" + source, "mine").lines().toList());
    String target = prefix + "/exported:1";
    String printed = LayerfsCli.run(store, "export", "--tls-verify=false", "mine",
        "docker://" + target);
    assertEquals(skopeoDigest(source), skopeoDigest(target));
    // the pushed manifest digest, as layerfs push prints it
    assertEquals(skopeoDigest(target) + "\n", printed);
  }

  /** An image index: the platform asked for, linux/amd64 by default, the others listed. */
  @Test
  void platformIsPickedFromAnImageIndex() throws IOException {
    Path layout = work.resolve("multi");
    Tools.run("cp", "-a", images.layout().toString(), layout.toString());
    JsonNode index = json(Files.readString(layout.resolve("index.json")));
    var manifests = JSON.createArrayNode();
    for (String[] entry : new String[][] {{UmociImages.LAYERED, "amd64"},
        {UmociImages.BASE, "arm64"}}) {
      for (JsonNode m : index.get("manifests")) {
        if (entry[0].equals(m.path("annotations").path("org.opencontainers.image.ref.name")
            .asText())) {
          var d = manifests.addObject();
          d.put("mediaType", m.get("mediaType").asText());
          d.put("digest", m.get("digest").asText());
          d.put("size", m.get("size").asLong());
          d.putObject("platform").put("architecture", entry[1]).put("os", "linux");
        }
      }
    }
    assertEquals(2, manifests.size(), index::toString);
    var multi = JSON.createObjectNode();
    multi.put("schemaVersion", 2);
    multi.put("mediaType", "application/vnd.oci.image.index.v1+json");
    multi.set("manifests", manifests);
    byte[] bytes = JSON.writeValueAsBytes(multi);
    String hex = io.layerfs.core.Digest.sha256(bytes).hex();
    Files.write(layout.resolve("blobs/sha256/" + hex), bytes);
    var entry = ((com.fasterxml.jackson.databind.node.ArrayNode) index.get("manifests"))
        .addObject();
    entry.put("mediaType", "application/vnd.oci.image.index.v1+json");
    entry.put("digest", "sha256:" + hex);
    entry.put("size", bytes.length);
    entry.putObject("annotations").put("org.opencontainers.image.ref.name", "multi");
    Files.write(layout.resolve("index.json"), JSON.writeValueAsBytes(index));
    String reference = prefix + "/multi:1";
    Tools.run("skopeo", "copy", "-q", "--all", "--dest-tls-verify=false",
        "oci:" + layout + ":multi", "docker://" + reference);

    Path amd64 = work.resolve("multi-amd64");
    assertEquals("linux/amd64", pull(amd64, reference).get("platform").asText());
    try (FileSystem fs = LayerFs.open(amd64, reference)) {
      assertSameTree(images.rootfs(UmociImages.LAYERED), fs.getPath("/"),
          UmociImages.comparison(UmociImages.LAYERED));
    }
    Path arm64 = work.resolve("multi-arm64");
    assertEquals(List.of(reference), LayerfsCli.run(arm64, "pull", "--tls-verify=false",
        "--platform", "linux/arm64", reference).lines().toList());
    try (FileSystem fs = LayerFs.open(arm64, reference)) {
      assertSameTree(images.rootfs(UmociImages.BASE), fs.getPath("/"),
          UmociImages.comparison(UmociImages.BASE));
    }
    LayerfsCli.Result r = LayerfsCli.runFailing(arm64, "pull", "--tls-verify=false",
        "--platform", "linux/s390x", reference);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("linux/s390x") && r.stderr().contains("linux/amd64, "
        + "linux/arm64"), r::stderr);
  }

  @Test
  void errorsNameTheRegistryTheReferenceAndTheStatus() {
    Path store = work.resolve("errors");
    String missing = registry + "/" + UmociImages.REPOSITORY + ":no-such-tag";
    LayerfsCli.Result r = LayerfsCli.runFailing(store, "pull", "--tls-verify=false", missing);
    assertEquals(1, r.exit(), r::stderr);
    assertEquals(1, r.stderr().lines().count(), r::stderr);
    assertTrue(r.stderr().contains("registry " + registry) && r.stderr().contains(missing)
        && r.stderr().contains("HTTP 404") && r.stderr().contains("manifest unknown"),
        r::stderr);

    String noRepo = prefix + "/never-pushed:1";
    r = LayerfsCli.runFailing(store, "pull", "--tls-verify=false", noRepo);
    assertTrue(r.stderr().contains("HTTP 404") && r.stderr().contains(noRepo), r::stderr);

    // --tls-verify=true given means HTTPS even on loopback, as in skopeo, which a plain-HTTP
    // registry does not answer
    r = LayerfsCli.runFailing(store, "pull", "--tls-verify=true",
        registry + "/" + UmociImages.REPOSITORY + ":" + UmociImages.BASE);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("TLS") && r.stderr().contains("--tls-verify=false"),
        r::stderr);

    r = LayerfsCli.runFailing(store, "pull", "--tls-verify=false", registry + "/Bad/Name");
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("invalid image reference '" + registry + "/Bad/Name'"),
        r::stderr);
    // the failures left no store where there was none
    assertFalse(Files.exists(store), store::toString);
  }

  /**
   * Two processes pull the same image into one store while a third pulls another and a fourth
   * collects garbage in a loop, three rounds, the pulls making the store at once: every command
   * succeeds (a gc that starts before the store exists may say so), fsck finds nothing, and
   * both images view as umoci unpacked them (a blob gc took from under a pull that had not
   * tagged yet would show as a missing layer here).
   */
  @Test
  void pullsAndGcInFourProcessesAtOnceLoseNothing() throws Exception {
    String layered = registry + "/" + UmociImages.REPOSITORY + ":" + UmociImages.LAYERED;
    String base = registry + "/" + UmociImages.REPOSITORY + ":" + UmociImages.BASE;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (int round = 0; round < 3; round++) {
        Path store = work.resolve("at-once-" + round);
        List<Future<List<LayerfsCli.Result>>> runs = new ArrayList<>();
        runs.add(pool.submit(() -> List.of(pullFailing(store, layered))));
        runs.add(pool.submit(() -> List.of(pullFailing(store, layered))));
        runs.add(pool.submit(() -> List.of(pullFailing(store, base))));
        runs.add(pool.submit(() -> {
          List<LayerfsCli.Result> gcs = new ArrayList<>();
          for (int i = 0; i < 6; i++) {
            LayerfsCli.Result gc = LayerfsCli.runFailing(store, "gc");
            if (gc.exit() != 0 && (gc.stderr().startsWith("layerfs: no store at")
                || gc.stderr().contains("no oci-layout file"))) {
              continue; // no store yet, or one being made: nothing to collect
            }
            gcs.add(gc);
          }
          return gcs;
        }));
        for (Future<List<LayerfsCli.Result>> run : runs) {
          for (LayerfsCli.Result r : run.get(300, TimeUnit.SECONDS)) {
            assertEquals(0, r.exit(), () -> "round " + r + ": " + r.stderr());
          }
        }
        LayerfsCli.run(store, "fsck");
        for (String tag : List.of(UmociImages.LAYERED, UmociImages.BASE)) {
          try (FileSystem fs = LayerFs.open(store, registry + "/" + UmociImages.REPOSITORY
              + ":" + tag)) {
            assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
          }
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static LayerfsCli.Result pullFailing(Path store, String reference) {
    return LayerfsCli.runFailing(store, "pull", "--tls-verify=false", reference);
  }

  private static JsonNode pull(Path store, String reference) throws IOException {
    return json(LayerfsCli.run(store, "pull", "--tls-verify=false", "--format", "json",
        reference));
  }

  private static String skopeoDigest(String reference) {
    return Tools.run("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
        "docker://" + reference).strip();
  }

  private static JsonNode json(String text) throws IOException {
    return JSON.readTree(text);
  }
}
