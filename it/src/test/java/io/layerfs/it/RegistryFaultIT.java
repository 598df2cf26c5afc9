package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.Digest;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.registry.BlobRange;
import io.layerfs.core.registry.ImagePush;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.registry.Reference;
import io.layerfs.core.registry.RegistryClient;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.core.registry.RemoteImage;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pull survives and what it refuses, through {@link RegistryProxy} in front of the run's
 * registry: a connection dropped in the middle of a blob (resumed with a {@code Range} request),
 * 503s (retried), a blob with a flipped byte (refused, naming it, with nothing published or
 * tagged); an image already present costs one manifest request; {@code openBlob} reads byte
 * ranges and resumes them.
 */
final class RegistryFaultIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TAG = UmociImages.LAYERED;

  @TempDir static Path work;
  private static UmociImages images;
  private static RegistryProxy proxy;
  private static String reference;
  /** The layers of the image, biggest first. */
  private static List<JsonNode> layers;

  @BeforeAll
  static void pushAndStartProxy() throws IOException {
    String registry = TestRegistry.address();
    images = UmociImages.build(work.resolve("umoci"));
    images.rootfs(TAG);
    images.push(TAG, registry);
    proxy = new RegistryProxy(registry);
    reference = proxy.address() + "/" + UmociImages.REPOSITORY + ":" + TAG;
    JsonNode manifest = JSON.readTree(Tools.run("skopeo", "inspect", "--raw",
        "--tls-verify=false", "docker://" + registry + "/" + UmociImages.REPOSITORY + ":" + TAG));
    layers = new ArrayList<>();
    manifest.get("layers").forEach(layers::add);
    layers.sort(Comparator.comparingLong((JsonNode l) -> l.get("size").asLong()).reversed());
    assertTrue(layers.get(0).get("size").asLong() > 1000, manifest::toString);
  }

  @AfterAll
  static void stopProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  @AfterEach
  void clearFaults() {
    proxy.clear();
  }

  @Test
  void droppedConnectionResumesWithRange() throws IOException {
    String blob = layers.get(0).get("digest").asText();
    long size = layers.get(0).get("size").asLong();
    proxy.add(RegistryProxy.Fault.cut("GET", p -> p.endsWith("/blobs/" + blob), size / 2, 1));
    Path store = work.resolve("resumed");
    LayerfsCli.run(store, "pull", "--tls-verify=false", reference);
    List<RegistryProxy.Seen> gets = blobGets(blob);
    assertEquals(2, gets.size(), gets::toString);
    assertEquals(null, gets.get(0).range());
    String range = gets.get(1).range();
    assertTrue(range != null && range.matches("bytes=[1-9][0-9]*-"), range);
    assertTrue(Long.parseLong(range.substring(6, range.length() - 1)) <= size / 2, range);
    try (FileSystem fs = LayerFs.open(store, reference)) {
      assertSameTree(images.rootfs(TAG), fs.getPath("/"), UmociImages.comparison(TAG));
    }
  }

  @Test
  void transientErrorsAreRetried() throws IOException {
    String blob = layers.get(0).get("digest").asText();
    proxy.add(RegistryProxy.Fault.status("GET", p -> p.contains("/manifests/"), 503, 2));
    proxy.add(RegistryProxy.Fault.status("GET", p -> p.endsWith("/blobs/" + blob), 500, 1));
    // another blob than the one above: the config and the layers are fetched at once, so which
    // blob comes first is not fixed
    proxy.add(RegistryProxy.Fault.status("GET",
        p -> p.contains("/blobs/") && !p.endsWith("/blobs/" + blob), 429, 1));
    Path store = work.resolve("retried");
    LayerfsCli.run(store, "pull", "--tls-verify=false", reference);
    long manifestGets = proxy.seen().stream()
        .filter(s -> s.method().equals("GET") && s.path().contains("/manifests/")).count();
    assertEquals(3, manifestGets);
    assertEquals(2, blobGets(blob).size());
    long allBlobGets = proxy.seen().stream()
        .filter(s -> s.method().equals("GET") && s.path().contains("/blobs/")).count();
    assertEquals(layers.size() + 1 + 2, allBlobGets, "each layer and the config once, and the"
        + " two refused requests again");
    try (FileSystem fs = LayerFs.open(store, reference)) {
      assertSameTree(images.rootfs(TAG), fs.getPath("/"), UmociImages.comparison(TAG));
    }
  }

  @Test
  void persistentErrorsEndInOneLineNamingTheStatus() {
    proxy.add(RegistryProxy.Fault.status("GET", p -> p.contains("/manifests/"), 503, 100));
    LayerfsCli.Result r = LayerfsCli.runFailing(work.resolve("unavailable"), "pull",
        "--tls-verify=false", reference);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("registry " + proxy.address()) && r.stderr().contains(
        reference) && r.stderr().contains("HTTP 503"), r::stderr);
  }

  @Test
  void wrongBytesAreRefusedAndNothingIsPublished() throws IOException {
    String blob = layers.get(0).get("digest").asText();
    proxy.add(RegistryProxy.Fault.corrupt("GET", p -> p.endsWith("/blobs/" + blob), 100));
    Path store = work.resolve("corrupt");
    LayerfsCli.Result r = LayerfsCli.runFailing(store, "pull", "--tls-verify=false", reference);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains(blob) && r.stderr().contains("digest mismatch")
        && r.stderr().contains(proxy.address()), r::stderr);
    ContentStore content = ContentStore.open(store);
    assertEquals(List.of(), content.tags());
    assertFalse(content.contains(Digest.parse(blob)));
    try (Stream<Path> temp = Files.list(content.tempDir())) {
      assertEquals(List.of(), temp.toList());
    }
  }

  @Test
  void anImageAlreadyPresentCostsOneManifestRequest() throws IOException {
    Path store = work.resolve("present");
    LayerfsCli.run(store, "pull", "--tls-verify=false", reference);
    proxy.clear();
    LayerfsCli.run(store, "pull", "--tls-verify=false", reference);
    List<RegistryProxy.Seen> requests = proxy.seen().stream()
        .filter(s -> !s.path().equals("/v2/")).toList();
    assertEquals(1, requests.size(), requests::toString);
    assertTrue(requests.get(0).path().endsWith("/manifests/" + TAG), requests::toString);
  }

  @Test
  void openBlobReadsRangesAndResumesThem() throws IOException {
    RegistryClient client = new RegistryClient(RegistryOptions.defaults().withTlsVerify(false)
        .withRetries(3, Duration.ofMillis(10)));
    Reference ref = Reference.parse(reference);
    RemoteImage image = client.resolve(ref, Platform.DEFAULT);
    assertEquals(layers.size(), image.layers().size());
    JsonNode biggest = layers.get(0);
    Digest blob = Digest.parse(biggest.get("digest").asText());
    byte[] expected = Files.readAllBytes(images.layout().resolve("blobs/sha256/" + blob.hex()));

    BlobRange range = client.openBlob(ref, blob, 100, 500);
    try (InputStream in = range.stream()) {
      assertArrayEquals(Arrays.copyOfRange(expected, 100, 600), in.readAllBytes());
    }
    assertEquals(expected.length, range.blobSize());

    proxy.add(RegistryProxy.Fault.cut("GET", p -> p.endsWith("/blobs/" + blob), 300, 1));
    range = client.openBlob(ref, blob, 10, -1);
    try (InputStream in = range.stream()) {
      assertArrayEquals(Arrays.copyOfRange(expected, 10, expected.length), in.readAllBytes());
    }
    List<RegistryProxy.Seen> gets = blobGets(blob.toString());
    assertEquals(3, gets.size(), gets::toString);
    assertEquals("bytes=10-", gets.get(1).range());
    assertTrue(gets.get(2).range().matches("bytes=[0-9]+-"), gets::toString);
  }

  /** Blobs above the chunk size go up in PATCH chunks; the manifest digest is kept. */
  @Test
  void largeBlobsArePushedInChunks() throws IOException {
    Path store = work.resolve("chunked");
    LayerfsCli.run(store, "import", "oci:" + images.layout() + ":" + TAG);
    RegistryClient client = new RegistryClient(RegistryOptions.defaults().withTlsVerify(false)
        .withChunkSize(1024));
    String target = proxy.address() + "/chunked/it:" + TAG;
    ImagePush.Result result;
    try (Store s = Store.open(store)) {
      result = ImagePush.push(ContentStore.open(store), client, TAG, Reference.parse(target),
          null);
      assertEquals(s.image(TAG).manifestDigest(), result.manifestDigest());
    }
    long biggest = layers.get(0).get("size").asLong();
    long patches = proxy.seen().stream().filter(x -> x.method().equals("PATCH")).count();
    assertTrue(patches >= (biggest + 1023) / 1024, patches + " PATCH requests");
    assertEquals(result.manifestDigest().toString(), Tools.run("skopeo", "inspect",
        "--tls-verify=false", "--format", "{{.Digest}}",
        "docker://" + direct("/chunked/it:" + TAG)).strip());
    Path copy = work.resolve("chunked-copy");
    Tools.run("skopeo", "copy", "-q", "--src-tls-verify=false",
        "docker://" + direct("/chunked/it:" + TAG), "oci:" + copy + ":" + TAG);
  }

  /**
   * A push through server errors in the middle of its uploads: 5xx answers to a chunk, to the
   * request that completes an upload and to the manifest (retried), and a chunk the registry
   * took whose answer was lost (a gateway's 502 after it; the retry finds the session moved on,
   * and the blob starts over in a new one): the push completes, and the registry serves the
   * image, digest for digest.
   */
  @Test
  void aPushThroughServerErrorsMidUploadEndsWithTheImage() throws IOException {
    Path store = work.resolve("push-faults");
    LayerfsCli.run(store, "import", "oci:" + images.layout() + ":" + TAG);
    // a few chunks of the biggest layer: faults land mid-upload, in few requests
    long chunk = Math.max(1024, layers.get(0).get("size").asLong() / 4);
    RegistryClient client = new RegistryClient(RegistryOptions.defaults().withTlsVerify(false)
        .withChunkSize(chunk).withRetries(3, Duration.ofMillis(10)));
    String target = proxy.address() + "/faults/it:" + TAG;
    List<RegistryProxy.Fault> faults = List.of(
        RegistryProxy.Fault.status("PATCH", p -> p.contains("/blobs/uploads/"), 503, 1),
        RegistryProxy.Fault.status("PUT", p -> p.contains("/blobs/uploads/"), 500, 1),
        RegistryProxy.Fault.status("PUT", p -> p.contains("/manifests/"), 502, 1));
    faults.forEach(proxy::add);
    Digest expected;
    try (Store s = Store.open(store)) {
      expected = s.image(TAG).manifestDigest();
      assertEquals(expected, ImagePush.push(ContentStore.open(store), client, TAG,
          Reference.parse(target), null).manifestDigest());
    }
    assertTrue(faults.stream().allMatch(f -> f.times().get() <= 0), "every fault struck");
    assertEquals(expected.toString(), Tools.run("skopeo", "inspect", "--tls-verify=false",
        "--format", "{{.Digest}}", "docker://" + direct("/faults/it:" + TAG)).strip());

    // the store forgets which repository holds its blobs: it uploads them again, not mounts
    io.layerfs.core.internal.FileTrees.deleteTree(store.resolve("layerfs/origins"));
    String lost = proxy.address() + "/lost/it:" + TAG;
    RegistryProxy.Fault lostChunk = RegistryProxy.Fault.lostAnswer("PATCH",
        p -> p.contains("/blobs/uploads/"), 502, 1);
    proxy.add(lostChunk);
    ImagePush.push(ContentStore.open(store), client, TAG, Reference.parse(lost), null);
    assertTrue(lostChunk.times().get() <= 0, "the fault struck");
    assertEquals(expected.toString(), Tools.run("skopeo", "inspect", "--tls-verify=false",
        "--format", "{{.Digest}}", "docker://" + direct("/lost/it:" + TAG)).strip());
  }

  /**
   * {@code path} in the registry itself, for skopeo: through the proxy, skopeo's TLS probe of a
   * plain HTTP server waits some 20 s for an answer the JDK's server never gives.
   */
  private static String direct(String path) {
    return TestRegistry.address() + path;
  }

  private static List<RegistryProxy.Seen> blobGets(String blob) {
    return proxy.seen().stream()
        .filter(s -> s.method().equals("GET") && s.path().endsWith("/blobs/" + blob)).toList();
  }
}
