package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.Limits;
import io.layerfs.core.Progress;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.store.Store;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls from a registry that misbehaves or lies ({@link HostileRegistry}). Each case asserts the
 * outcome a user sees: one line naming the registry, the reference or blob and what is wrong;
 * bounded time (the class's timeout) and bytes read; no tag and no blob that was not verified in
 * the store, no temp file left; and a good pull into the same store afterwards. Each comment
 * names the guard the case exercises.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HostileRegistryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OCTETS = "application/octet-stream";
  /** Quick retries; no Docker config of this machine's. */
  private static final RegistryOptions FAST = RegistryOptions.defaults()
      .withRetries(3, Duration.ofMillis(10)).withDockerConfig(DockerConfig.empty());

  @TempDir Path tmp;
  private HostileRegistry registry;
  private Store store;
  private Built image;
  private String ref;

  @BeforeEach
  void serve() throws IOException {
    Path remote = tmp.resolve("remote");
    Random random = new Random(34);
    byte[] a = new byte[300_000];
    byte[] b = new byte[200_000];
    random.nextBytes(a);
    random.nextBytes(b);
    image = ImageBuilder.create(remote).layer(LayerCompression.NONE).file("a", a)
        .layer(LayerCompression.NONE).file("b", b).build("1");
    registry = new HostileRegistry();
    registry.serveLayout(remote);
    store = Store.open(tmp.resolve("local"));
    ref = registry.address() + "/team/app:1";
  }

  @AfterEach
  void stop() throws IOException {
    store.close();
    registry.close();
  }

  // ------------------------------------------------------------------------------ 1. manifests

  /**
   * Guard: {@code RegistryHttp.readAll} reads at most {@code jsonBytes} + 1 bytes of a manifest,
   * whatever its length says (chunked and endless, or a length of 1 TiB).
   */
  @Test
  void aManifestThatNeverEndsIsRefusedAtTheJsonLimit() throws Exception {
    long limit = Limits.fromSystemProperties().jsonBytes();
    for (long declared : new long[] {0, 1L << 40}) {
      registry.bytesSent.set(0);
      registry.hostile = (x, r) -> {
        if (!r.path().contains("/manifests/")) {
          return false;
        }
        registry.sendEndless(x, MediaTypes.OCI_MANIFEST, declared,
            "{\"schemaVersion\":2,\"layers\":[".getBytes(StandardCharsets.UTF_8), (byte) ' ');
        return true;
      };
      IOException e = failedPull();
      assertOneLine(e, "registry " + registry.address() + ": ", ref,
          "answer larger than " + limit + " bytes");
      assertTrue(registry.awaitIdle(5_000), "the client hung up");
      assertTrue(registry.bytesSent.get() < limit + (32 << 20), "sent " + registry.bytesSent);
    }
    assertTrue(registry.requests("/blobs/").isEmpty(), "no blob asked for");
    assertNothingStored();
    assertGoodPull();
  }

  // ---------------------------------------------------------------------------------- 2. long

  /** Guard: {@code ImagePull.fetchBlob} compares the length served with the descriptor's. */
  @Test
  void aBlobWhoseLengthSaysMoreThanItsDescriptorIsNotRead() throws Exception {
    String layer = image.layerDigests().get(0);
    byte[] longer = concat(registry.blobs.get(layer), new byte[1000]);
    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/blobs/" + layer)) {
        return false;
      }
      registry.send(x, 200, OCTETS, longer);
      return true;
    };
    IOException e = failedPull();
    assertOneLine(e, "registry " + registry.address() + ": blob " + layer + " of ", "team/app",
        "serves " + longer.length + " bytes but the manifest says " + (longer.length - 1000));
    assertFalse(stored(layer));
    assertNothingUnverified();
    assertGoodPull();
  }

  /**
   * Guard: the {@code BlobWriter} of a layer refuses a byte past the descriptor's size, so a
   * blob that streams forever (no length given) stops there.
   */
  @Test
  void aLayerThatStreamsForeverStopsAtItsSize() throws Exception {
    String layer = image.layerDigests().get(0);
    byte[] bytes = registry.blobs.get(layer);
    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/blobs/" + layer)) {
        return false;
      }
      registry.sendEndless(x, OCTETS, 0, bytes, (byte) 7);
      return true;
    };
    IOException e = failedPull();
    assertOneLine(e, "registry " + registry.address() + ": blob " + layer + " of ", "team/app",
        "larger than its expected size of " + bytes.length + " bytes", "nothing was stored");
    assertTrue(registry.awaitIdle(5_000), "the client hung up");
    assertTrue(registry.bytesSent.get() < 64 << 20, "sent " + registry.bytesSent);
    assertFalse(stored(layer));
    assertNothingUnverified();
    assertGoodPull();
  }

  /** Guard: {@code RegistryClient.fetchSmallBlob} reads a config's size + 1 bytes, no more. */
  @Test
  void aConfigThatStreamsForeverStopsPastItsSize() throws Exception {
    String config = image.configDigest();
    byte[] bytes = registry.blobs.get(config);
    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/blobs/" + config)) {
        return false;
      }
      registry.sendEndless(x, OCTETS, 0, bytes, (byte) ' ');
      return true;
    };
    IOException e = failedPull();
    assertOneLine(e, "registry " + registry.address() + ": blob " + config + " of ", "team/app",
        "expected " + bytes.length + " bytes", "got " + (bytes.length + 1) + " bytes");
    assertTrue(registry.awaitIdle(5_000), "the client hung up");
    assertTrue(registry.bytesSent.get() < 64 << 20, "sent " + registry.bytesSent);
    assertFalse(stored(config));
    assertNothingUnverified();
    assertGoodPull();
  }

  // --------------------------------------------------------------------------------- 3. short

  /**
   * Guards: the length check of {@code ImagePull.fetchBlob} (an honest, short length) and the
   * size check of {@code BlobWriter.commit} (a chunked body that ends early, cleanly).
   */
  @Test
  void aBlobShorterThanItsDescriptorIsRefused() throws Exception {
    String layer = image.layerDigests().get(1);
    byte[] bytes = registry.blobs.get(layer);
    byte[] shorter = Arrays.copyOf(bytes, bytes.length - 512);
    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/blobs/" + layer)) {
        return false;
      }
      registry.send(x, 200, OCTETS, shorter);
      return true;
    };
    assertOneLine(failedPull(), "registry " + registry.address() + ": blob " + layer,
        "serves " + shorter.length + " bytes but the manifest says " + bytes.length);
    assertNothingUnverified();

    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/blobs/" + layer)) {
        return false;
      }
      x.sendResponseHeaders(200, 0); // chunked: no length to compare
      try (var out = x.getResponseBody()) {
        out.write(shorter);
      }
      return true;
    };
    assertOneLine(failedPull(), "registry " + registry.address() + ": blob " + layer,
        "expected " + bytes.length + " bytes, got " + shorter.length, "nothing was stored");
    assertFalse(stored(layer));
    assertNothingUnverified();
    assertGoodPull();
  }

  // -------------------------------------------------------------------------------- 4. ranges

  /**
   * Guard: {@code RegistryClient.openRange} refuses a 206 whose {@code Content-Range} starts
   * elsewhere than the {@code Range} asked, before or after it.
   */
  @Test
  void aResumeAnsweredFromAnotherOffsetIsRefused() throws Exception {
    String layer = image.layerDigests().get(0);
    byte[] bytes = registry.blobs.get(layer);
    int cut = bytes.length / 2;
    for (int shift : new int[] {-100, 100}) {
      AtomicInteger asked = new AtomicInteger();
      registry.hostile = (x, r) -> {
        if (!r.path().endsWith("/blobs/" + layer)) {
          return false;
        }
        if (asked.getAndIncrement() == 0) {
          registry.sendCut(x, bytes, cut);
          return true;
        }
        // from where the client asked: all that was sent before the cut, or less when the cut
        // lost the rest in flight (on a loaded machine)
        int start = (int) resumedFrom(r.range()) + shift;
        x.getResponseHeaders().set("Content-Range",
            "bytes " + start + "-" + (bytes.length - 1) + "/" + bytes.length);
        registry.send(x, 206, OCTETS, Arrays.copyOfRange(bytes, start, bytes.length));
        return true;
      };
      IOException e = failedPull();
      // this round's resume, the last request: the rounds' resumes may start at other offsets
      List<HostileRegistry.Request> requests = registry.requests("/blobs/" + layer);
      long from = resumedFrom(requests.get(requests.size() - 1).range());
      assertTrue(from > 0 && from <= cut, String.valueOf(from));
      assertOneLine(e, "registry " + registry.address() + ": blob " + layer,
          "asked for bytes=" + from + "- but got Content-Range 'bytes " + (from + shift) + "-");
      assertFalse(stored(layer));
      assertNothingUnverified();
    }
    assertGoodPull();
  }

  /**
   * Guard: {@code ResumingBlobStream.open} skips what was read already when a resume is answered
   * 200 with the whole blob; the bytes stored are verified and right.
   */
  @Test
  void aResumeAnsweredWithTheWholeBlobStoresTheRightBytes() throws Exception {
    String layer = image.layerDigests().get(0);
    byte[] bytes = registry.blobs.get(layer);
    AtomicInteger asked = new AtomicInteger();
    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/blobs/" + layer)) {
        return false;
      }
      if (asked.getAndIncrement() == 0) {
        registry.sendCut(x, bytes, bytes.length / 3);
      } else {
        registry.send(x, 200, OCTETS, bytes); // Range ignored
      }
      return true;
    };
    assertEquals(image.manifestDigest(), store.pull(ref, FAST, Platform.DEFAULT, Progress.NONE)
        .manifestDigest().toString());
    List<HostileRegistry.Request> gets = registry.requests("/blobs/" + layer);
    assertEquals(2, gets.size(), gets.toString());
    // from what arrived before the cut: all that was sent, or less when the cut lost the rest
    // in flight (on a loaded machine)
    long from = resumedFrom(gets.get(1).range());
    assertTrue(from > 0 && from <= bytes.length / 3, gets.get(1).range());
    assertTrue(Arrays.equals(bytes, Files.readAllBytes(blobPath(layer))));
    assertTrue(store.fsck(false, Progress.NONE).ok());
  }

  // ---------------------------------------------------------------------------- 5. Retry-After

  /**
   * Guard: {@code RegistryHttp.retryAfter} caps a {@code Retry-After} at the longest wait (a
   * minute; 300 ms for this client), in seconds or as an HTTP date; a negative number is no wait,
   * and one too long for a long is left to the backoff.
   */
  @Test
  void anAbsurdRetryAfterIsCappedNotSlept() throws Exception {
    Duration cap = Duration.ofMillis(300);
    for (String value : List.of("999999999", "Fri, 31 Dec 9999 23:59:59 GMT", "-5",
        "99999999999999999999999")) {
      AtomicInteger refused = new AtomicInteger();
      Path local = tmp.resolve("retry-" + Integer.toHexString(value.hashCode()));
      registry.hostile = (x, r) -> {
        if (!r.path().contains("/manifests/") || refused.getAndIncrement() >= 2) {
          return false;
        }
        x.getResponseHeaders().set("Retry-After", value);
        registry.send(x, refused.get() == 1 ? 503 : 429, "text/plain",
            "slow down".getBytes(StandardCharsets.UTF_8));
        return true;
      };
      long start = System.nanoTime();
      try (RegistryClient client = new RegistryClient(FAST, cap, Duration.ofSeconds(60));
          Store other = Store.open(local)) {
        assertEquals(ref, other.pull(ref, client, Platform.DEFAULT,
            Progress.NONE).tag());
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(3, refused.get(), value);
      assertTrue(millis < 3_000, value + ": " + millis + " ms");
      if (value.equals("999999999") || value.startsWith("Fri")) {
        assertTrue(millis >= 2 * cap.toMillis(), "waited the cap twice: " + millis + " ms");
      }
    }
  }

  /** The offset of a {@code Range: bytes=N-} header; fails for any other. */
  private static long resumedFrom(String range) {
    assertTrue(range != null && range.matches("bytes=\\d+-"), String.valueOf(range));
    return Long.parseLong(range.substring(6, range.length() - 1));
  }

  // -------------------------------------------------------------------------------- stalls

  /**
   * Guard: {@code IdleTimeout} closes a body whose next bytes do not come within the idle time
   * (a minute; 300 ms for this client), and {@code ResumingBlobStream} resumes from there.
   */
  @Test
  void aBlobThatStallsIsResumedAfterTheIdleTime() throws Exception {
    String layer = image.layerDigests().get(0);
    byte[] bytes = registry.blobs.get(layer);
    AtomicInteger asked = new AtomicInteger();
    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/blobs/" + layer) || asked.getAndIncrement() > 0) {
        return false;
      }
      registry.sendStalled(x, Arrays.copyOf(bytes, 1000), bytes.length);
      return true;
    };
    long start = System.nanoTime();
    try (RegistryClient client = quickClient()) {
      assertEquals(ref, store.pull(ref, client, Platform.DEFAULT, Progress.NONE).tag());
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis >= 300 && millis < 5_000, millis + " ms");
    assertEquals("bytes=1000-", registry.requests("/blobs/" + layer).get(1).range());
    assertTrue(store.fsck(false, Progress.NONE).ok());
  }

  /**
   * Guards: {@code IdleTimeout} on every body (a blob's, after its resumes; a manifest's; a
   * token server's) and the request timeout on headers that never come; a probe of {@code
   * /v2/} does not read its body. Each ends, named, within a few idle times.
   */
  @Test
  void answersThatStallEndInBoundedTime() throws Exception {
    String layer = image.layerDigests().get(0);
    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/blobs/" + layer)) {
        return false;
      }
      registry.sendStalled(x, new byte[1000], registry.blobs.get(layer).length);
      return true;
    };
    assertOneLine(stalledPull(), "registry " + registry.address() + ": blob " + layer + " of ",
        "cut off at byte 1000 after 3 resumed downloads", "no data for 300 ms");
    assertNothingUnverified();

    registry.hostile = (x, r) -> {
      if (!r.path().contains("/manifests/")) {
        return false;
      }
      registry.sendStalled(x, "{\"schemaVersion\":2,".getBytes(StandardCharsets.UTF_8), 0);
      return true;
    };
    assertOneLine(stalledPull(), "registry " + registry.address() + ": " + ref
        + ": no data for 300 ms");

    registry.hostile = (x, r) -> {
      if (!r.path().contains("/manifests/")) {
        return false;
      }
      registry.sendStalled(x, null, 0); // no headers either
      return true;
    };
    assertOneLine(stalledPull(), "registry " + registry.address() + ": " + ref, "timed out",
        "(after 3 attempts)");

    String realm = "http://" + registry.address() + "/token";
    registry.hostile = bearer(realm, (x, r) -> registry.sendStalled(x,
        "{\"token\":".getBytes(StandardCharsets.UTF_8), 0));
    assertOneLine(stalledPull(), "registry " + registry.address() + ": token server " + realm
        + ": no data for 300 ms");
    assertNothingUnverified();

    registry.hostile = (x, r) -> {
      if (!r.path().equals("/v2/")) {
        return false;
      }
      registry.sendStalled(x, "{".getBytes(StandardCharsets.UTF_8), 2);
      return true;
    };
    long probes = probes();
    try (RegistryClient client = quickClient()) {
      assertEquals(ref, store.pull(ref, client, Platform.DEFAULT, Progress.NONE).tag());
    }
    assertEquals(probes + 1, probes(), "one probe, its body not waited for");
    assertTrue(store.fsck(false, Progress.NONE).ok());
  }

  /**
   * Guard: every request gets a timeout on its answer's headers, one with a body the idle time
   * and its bytes' time at 64 KiB/s on top: a registry that never answers the start of an
   * upload, or the manifest's {@code PUT}, ends the push in bounded time, named.
   */
  @Test
  void aPushThatIsNeverAnsweredEndsInBoundedTime() throws Exception {
    try (RegistryClient client = quickClient()) {
      assertEquals(ref, store.pull(ref, client, Platform.DEFAULT, Progress.NONE).tag());
    }
    io.layerfs.core.content.ContentStore local =
        io.layerfs.core.content.ContentStore.open(tmp.resolve("local"));
    Reference copy = Reference.parse(registry.address() + "/team/copy:1");
    registry.hostile = (x, r) -> {
      if (r.method().equals("HEAD")) {
        registry.send(x, 404, OCTETS, new byte[0]); // no blob there: an upload starts
        return true;
      }
      if (r.method().equals("POST")) {
        registry.sendStalled(x, null, 0); // the upload's start never answered
        return true;
      }
      return false;
    };
    assertOneLine(stalledPush(local, copy), "registry " + registry.address() + ": upload of blob",
        "timed out");
    registry.hostile = (x, r) -> {
      if (r.method().equals("PUT") && r.path().contains("/manifests/")) {
        x.getRequestBody().readAllBytes();
        registry.sendStalled(x, null, 0); // the manifest read, never answered
        return true;
      }
      return false; // HEAD: every blob is there
    };
    assertOneLine(stalledPush(local, copy), "registry " + registry.address() + ": manifest "
        + copy, "timed out");
  }

  /** A push through {@link #quickClient} that fails within four seconds. */
  private IOException stalledPush(io.layerfs.core.content.ContentStore local, Reference target) {
    long start = System.nanoTime();
    IOException e;
    try (RegistryClient client = quickClient()) {
      e = assertThrows(IOException.class,
          () -> ImagePush.push(local, client, ref, target, Progress.NONE));
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < 4_000, millis + " ms: " + e.getMessage());
    return e;
  }

  private long probes() {
    return registry.requests.stream().filter(r -> r.path().equals("/v2/")).count();
  }

  /** A pull through {@link #quickClient} that fails within four seconds. */
  private IOException stalledPull() throws IOException {
    long start = System.nanoTime();
    IOException e;
    try (RegistryClient client = quickClient()) {
      e = assertThrows(IOException.class, () -> store.pull(ref, client, Platform.DEFAULT,
          Progress.NONE));
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < 4_000, millis + " ms: " + e.getMessage());
    return e;
  }

  /** Retries and idle times of 300 ms at most. */
  private static RegistryClient quickClient() {
    return new RegistryClient(FAST, Duration.ofMillis(300), Duration.ofMillis(300));
  }

  // ------------------------------------------------------------------------------- 6. digests

  /**
   * Guard: {@code Digest.parse} (through {@code Descriptor.parse}) refuses any digest but
   * {@code sha256:} or {@code sha512:} and its exact count of lowercase hex digits, in a
   * manifest's layers and config and an index's manifests, before a request for a blob.
   */
  @Test
  void malformedOrTraversingDigestsAreRefusedBeforeAnythingIsWritten() throws Exception {
    String hex = image.layerDigests().get(0).substring("sha256:".length());
    List<String> bad = List.of("sha256:../../x", "sha256:" + hex.toUpperCase(),
        "sha256:" + hex.substring(1), "md5:" + hex.substring(0, 32),
        "sha256:" + hex + "/../../../x", "../../../../../x", "sha256:" + hex + "\u0000",
        "sha256:" + hex + "\nsha256:" + hex, "\u001b[2J\u001b[31msha256:" + hex);
    for (String digest : bad) {
      for (String where : List.of("layer", "config", "index")) {
        ObjectNode manifest = manifest();
        ObjectNode descriptor = where.equals("config") ? (ObjectNode) manifest.get("config")
            : (ObjectNode) manifest.get("layers").get(0);
        byte[] served;
        if (where.equals("index")) {
          ObjectNode index = index(List.of(image.manifestDigest()));
          ((ObjectNode) index.get("manifests").get(0)).put("digest", digest);
          served = bytes(index);
        } else {
          descriptor.put("digest", digest);
          served = bytes(manifest);
        }
        registry.manifests.put("1", served);
        IOException e = failedPull();
        assertOneLine(e, "invalid digest: '" + shown(digest) + "'", ref);
        assertFalse(e.getMessage().chars().anyMatch(Character::isISOControl), e.getMessage());
        assertTrue(registry.requests("/blobs/").isEmpty(), "no blob asked for");
      }
    }
    try (Stream<Path> all = Files.walk(tmp.resolve("local"))) {
      List<Path> found = all.filter(p -> p.getFileName().toString().equals("x")).toList();
      assertEquals(List.of(), found);
    }
    assertFalse(Files.exists(tmp.resolve("x")));
    assertNothingStored();
    registry.serveLayout(tmp.resolve("remote"));
    assertGoodPull();
  }

  // ------------------------------------------------------------------------------ 7. diff_ids

  /**
   * Guard: {@code RegistryClient.withConfig} counts the config's diff_ids against the
   * manifest's layers, before the config or the manifest is stored.
   */
  @Test
  void aConfigWhoseDiffIdsDoNotCountTheLayersIsRefused() throws Exception {
    ObjectNode config = (ObjectNode) JSON.readTree(registry.blobs.get(image.configDigest()));
    ((ArrayNode) config.get("rootfs").get("diff_ids")).remove(1);
    byte[] configBytes = bytes(config);
    String configDigest = put(configBytes);
    ObjectNode manifest = manifest();
    ((ObjectNode) manifest.get("config")).put("digest", configDigest)
        .put("size", configBytes.length);
    byte[] manifestBytes = bytes(manifest);
    String manifestDigest = put(manifestBytes);
    registry.manifests.put("1", manifestBytes);

    IOException e = failedPull();
    assertOneLine(e, ref, "manifest " + manifestDigest + " lists 2 layers but its config lists 1"
        + " diff_ids");
    assertFalse(stored(configDigest));
    assertFalse(stored(manifestDigest));
    assertNothingUnverified();
    registry.serveLayout(tmp.resolve("remote"));
    assertGoodPull();
  }

  // ------------------------------------------------------------------------------- 8. indexes

  /**
   * Guard: {@code RegistryClient.fetchManifest} verifies a manifest asked for by digest, so an
   * index whose entry is answered with the index itself (the only cycle a registry can make of
   * content-addressed manifests) is refused at once.
   */
  @Test
  void anIndexAnsweredForItsOwnEntryIsRefused() throws Exception {
    byte[] index = bytes(index(List.of(image.manifestDigest())));
    String indexDigest = put(index);
    registry.manifests.put("1", index);
    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/manifests/" + image.manifestDigest())) {
        return false;
      }
      registry.send(x, 200, MediaTypes.OCI_INDEX, index);
      return true;
    };
    IOException e = failedPull();
    assertOneLine(e, "registry " + registry.address() + ": manifest of ", "team/app@"
        + image.manifestDigest(), "digest mismatch: expected " + image.manifestDigest()
        + ", actual " + indexDigest);
    assertEquals(1, registry.requests("/manifests/" + image.manifestDigest()).size());
    assertNothingStored();
    registry.hostile = (x, r) -> false;
    assertGoodPull();
  }

  /** Guard: the limit {@code indexNesting}, four indexes deep at most by default. */
  @Test
  void indexesNestedBeyondTheLimitAreRefused() throws Exception {
    String child = image.manifestDigest();
    List<String> chain = new ArrayList<>();
    for (int depth = 1; depth <= 5; depth++) {
      child = put(bytes(index(List.of(child))));
      chain.add(child);
    }
    registry.manifests.put("1", registry.blobs.get(chain.get(4)));
    IOException e = failedPull();
    assertOneLine(e, ref, "image indexes nested too deeply");
    assertNothingStored();

    registry.manifests.put("1", registry.blobs.get(chain.get(3))); // four: accepted
    assertGoodPull();
  }

  /**
   * Guard: a store's pulls read as much as the store's own limits allow, not the system
   * properties' ({@code RegistryClient(options, limits)}): a store opened with a smaller
   * {@code indexNesting} or {@code jsonBytes} refuses what the defaults take, naming the limit.
   */
  @Test
  void aStoresPullsKeepToTheStoresLimits() throws Exception {
    String inner = put(bytes(index(List.of(image.manifestDigest()))));
    String top = put(bytes(index(List.of(inner))));
    registry.manifests.put("1", registry.blobs.get(top)); // the image behind two indexes
    store.close();
    store = Store.open(tmp.resolve("one-index"), Limits.builder().indexNesting(1).build());
    assertOneLine(failedPull(), "image indexes nested too deeply", "limit indexNesting = 1");
    assertNothingStored();
    store.close();
    store = Store.open(tmp.resolve("small-json"), Limits.builder().jsonBytes(100).build());
    assertOneLine(failedPull(), "answer larger than 100 bytes");
    assertNothingStored();
    store.close();
    store = Store.open(tmp.resolve("defaults"));
    assertGoodPull();
  }

  // --------------------------------------------------------------------------- 9. media types

  /**
   * Guards: {@code RegistryClient.resolveManifest} refuses a media type that is neither a
   * manifest nor an index, and {@code RegistryClient.mediaType} names the {@code Content-Type}
   * of a body that is neither (a Docker schema 1 manifest).
   */
  @Test
  void schema1AndUnknownManifestsEndInAClearError() throws Exception {
    String schema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    byte[] signed = ("{\"schemaVersion\":1,\"name\":\"team/app\",\"tag\":\"1\",\"architecture\":"
        + "\"amd64\",\"fsLayers\":[{\"blobSum\":\"" + image.layerDigests().get(0) + "\"}],"
        + "\"history\":[],\"signatures\":[]}").getBytes(StandardCharsets.UTF_8);
    registry.hostile = (x, r) -> {
      if (!r.path().contains("/manifests/")) {
        return false;
      }
      registry.send(x, 200, schema1, signed);
      return true;
    };
    assertOneLine(failedPull(), ref, "unsupported manifest media type " + schema1);

    registry.hostile = (x, r) -> false;
    for (String type : List.of(schema1, "application/vnd.example.unknown+json")) {
      ObjectNode manifest = manifest();
      manifest.put("mediaType", type);
      registry.manifests.put("1", bytes(manifest));
      assertOneLine(failedPull(), ref, "unsupported manifest media type " + type);
    }
    ObjectNode manifest = manifest();
    manifest.put("schemaVersion", 1); // a schema 2 media type on a schema 1 body
    registry.manifests.put("1", bytes(manifest));
    assertOneLine(failedPull(), ref, "unsupported schemaVersion 1");
    assertTrue(registry.requests("/blobs/").isEmpty(), "no blob asked for");
    assertNothingStored();
    registry.serveLayout(tmp.resolve("remote"));
    assertGoodPull();
  }

  /**
   * Guard: {@code OciJson.parseObject}, through {@code RegistryClient.mediaType} and {@code
   * ImageConfig.parse}: a manifest or config that is not a JSON object is named as such.
   */
  @Test
  void manifestsAndConfigsThatAreNotJsonObjectsAreNamed() throws Exception {
    List<byte[]> bodies = List.of(new byte[0], "null".getBytes(StandardCharsets.UTF_8),
        "[1]".getBytes(StandardCharsets.UTF_8), "{\"schemaVersion\":2,".getBytes(
            StandardCharsets.UTF_8), new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'});
    for (byte[] body : bodies) {
      registry.manifests.put("1", body);
      IOException e = failedPull();
      assertOneLine(e, "manifest of " + ref);
      registry.serveLayout(tmp.resolve("remote"));

      String config = put(body);
      ObjectNode manifest = manifest();
      ((ObjectNode) manifest.get("config")).put("digest", config).put("size", body.length);
      registry.manifests.put("1", bytes(manifest));
      e = failedPull();
      assertOneLine(e, "config " + config + " of " + ref);
      assertFalse(stored(config));
      assertNothingUnverified();
      registry.serveLayout(tmp.resolve("remote"));
    }
    assertGoodPull();
  }

  // ---------------------------------------------------------------------------------- 10. auth

  /**
   * Guard: {@code AuthChallenge.parse} gives nothing for a malformed challenge, so {@code
   * RegistryAuth.answer} does not answer it and the 401 stands, named, with the challenge that
   * was not understood ({@code RegistryAuth.unanswerable}).
   */
  @Test
  void aMalformedChallengeLeavesTheRefusalNamed() throws Exception {
    for (String challenge : List.of("Bearer realm=\"http://" + registry.address() + "/token",
        "Bearer realm", "=\"x\"", "Bearer service=\"no realm\"", "Basic realm=\"x\"")) {
      registry.hostile = (x, r) -> {
        if (!r.path().startsWith("/v2/team/")) {
          return false;
        }
        x.getResponseHeaders().set("WWW-Authenticate", challenge);
        registry.send(x, 401, "application/json", ("{\"errors\":[{\"code\":\"UNAUTHORIZED\","
            + "\"message\":\"authentication required\"}]}").getBytes(StandardCharsets.UTF_8));
        return true;
      };
      RegistryException e = assertThrows(RegistryException.class, () -> store.pull(ref, FAST,
          Platform.DEFAULT, Progress.NONE));
      assertEquals(401, e.status());
      assertOneLine(e, "registry " + registry.address() + ": " + ref + ": HTTP 401"
          + " UNAUTHORIZED: authentication required");
      assertTrue(registry.requests("/token").isEmpty(), challenge);
      // a challenge layerfs cannot answer is shown (a Basic one is answered, with no
      // credentials to give: nothing to add)
      assertEquals(!challenge.startsWith("Basic"), e.getMessage().endsWith(
          "(its WWW-Authenticate challenge was not understood: " + challenge + ")"),
          e.getMessage());
    }
    assertNothingStored();
    registry.hostile = (x, r) -> false;
    assertGoodPull();
  }

  /**
   * Guards: {@code RegistryAuth.fetchToken} refuses an answer that is not JSON, has no token,
   * or never ends (read to its limit of 1 MiB, no further).
   */
  @Test
  void aTokenServerAnsweringGarbageIsNamed() throws Exception {
    String realm = "http://" + registry.address() + "/token";
    List<String> bodies = List.of("<html>sign in</html>", "{\"token\":\"\"}", "[1,2]", "null",
        "endless");
    for (String body : bodies) {
      registry.bytesSent.set(0);
      registry.hostile = bearer(realm, (x, r) -> {
        if (body.equals("endless")) {
          registry.sendEndless(x, "application/json", 0,
              "{\"token\":\"".getBytes(StandardCharsets.UTF_8), (byte) 'a');
        } else {
          registry.send(x, 200, "application/json", body.getBytes(StandardCharsets.UTF_8));
        }
      });
      IOException e = failedPull();
      assertOneLine(e, "registry " + registry.address() + ": token server " + realm,
          body.equals("endless") ? "answered with more than 1048576 bytes"
              : body.startsWith("<") ? "did not answer JSON" : "answered without a token");
      assertTrue(registry.awaitIdle(5_000), "the client hung up");
      assertTrue(registry.bytesSent.get() < 32 << 20, body + ": sent " + registry.bytesSent);
    }
    assertNothingStored();
    registry.hostile = (x, r) -> false;
    assertGoodPull();
  }

  /**
   * Guard: {@code RegistryAuth.fetchToken} takes a token's {@code expires_in} as a lifetime
   * between a default for none or a negative one and a day, so no value overflows the clock.
   */
  @Test
  void aTokenWithANegativeOrAbsurdLifetimeStillServes() throws Exception {
    String realm = "http://" + registry.address() + "/token";
    for (String expires : List.of("-5", "0", "9223372036854775807", "100000000000000000",
        "1e300", "\"soon\"")) {
      registry.hostile = bearer(realm, (x, r) -> registry.send(x, 200, "application/json",
          ("{\"token\":\"t0k3n\",\"expires_in\":" + expires + "}")
              .getBytes(StandardCharsets.UTF_8)));
      Path local = tmp.resolve("token-" + Integer.toHexString(expires.hashCode()));
      try (Store other = Store.open(local)) {
        assertEquals(ref, other.pull(ref, FAST, Platform.DEFAULT, Progress.NONE).tag(), expires);
      }
    }
  }

  // ------------------------------------------------------------------------ 11. a moving tag

  /**
   * Guard: a pull asks for the tag's manifest once and pins its digest, so a tag that changes
   * between two requests gives each pull one whole image, never parts of two.
   */
  @Test
  void aTagThatChangesBetweenRequestsGivesOneWholeImagePerPull() throws Exception {
    Built other = ImageBuilder.create(tmp.resolve("remote")).layer(LayerCompression.NONE)
        .file("c", "other".getBytes(StandardCharsets.UTF_8)).build("2");
    registry.serveLayout(tmp.resolve("remote"));
    List<byte[]> served = List.of(registry.blobs.get(image.manifestDigest()),
        registry.blobs.get(other.manifestDigest()));
    AtomicInteger asked = new AtomicInteger();
    registry.hostile = (x, r) -> {
      if (!r.path().endsWith("/manifests/1")) {
        return false;
      }
      registry.send(x, 200, MediaTypes.OCI_MANIFEST, served.get(asked.getAndIncrement() % 2));
      return true;
    };
    for (Built expected : List.of(image, other, image)) {
      int before = asked.get();
      ImagePull.Result result = store.pull(ref, FAST, Platform.DEFAULT,
          Progress.NONE);
      assertEquals(before + 1, asked.get(), "one request for the tag per pull");
      assertEquals(expected.manifestDigest(), result.manifestDigest().toString());
      io.layerfs.core.Image stored = store.image(ref);
      assertEquals(expected.configDigest(), stored.configDigest().toString());
      assertEquals(expected.layerDigests(), stored.layers().stream()
          .map(l -> l.digest().toString()).toList());
    }
    assertTrue(store.fsck(false, Progress.NONE).ok());
  }

  // ---------------------------------------------------------------------------- 12. redirects

  /**
   * Guard: {@code RegistryHttp.send} sends credentials only to the registry's own host and
   * port, so a blob redirected elsewhere (another port of the same host here) gets none.
   */
  @Test
  void aRedirectedBlobGetsNoCredentials() throws Exception {
    Credentials creds = new Credentials("user", "secret");
    String basic = "Basic " + Base64.getEncoder().encodeToString("user:secret"
        .getBytes(StandardCharsets.UTF_8));
    try (HostileRegistry elsewhere = new HostileRegistry()) {
      elsewhere.blobs.putAll(registry.blobs);
      registry.hostile = (x, r) -> {
        if (!r.path().startsWith("/v2/team/")) {
          return false;
        }
        if (!basic.equals(r.authorization())) {
          x.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"hostile\"");
          registry.send(x, 401, "text/plain", new byte[0]);
          return true;
        }
        if (r.path().contains("/blobs/")) {
          x.getResponseHeaders().set("Location", "http://" + elsewhere.address() + r.path());
          registry.send(x, 307, null, new byte[0]);
          return true;
        }
        return false;
      };
      ImagePull.Result result = store.pull(ref, FAST.withCredentials(creds),
          Platform.DEFAULT, Progress.NONE);
      assertEquals(image.manifestDigest(), result.manifestDigest().toString());
      assertEquals(3, elsewhere.requests("/blobs/").size(), elsewhere.requests.toString());
      for (HostileRegistry.Request r : elsewhere.requests) {
        assertEquals(null, r.authorization(), r.toString());
      }
      assertTrue(registry.requests("/manifests/").stream()
          .anyMatch(r -> basic.equals(r.authorization())));
      assertTrue(store.fsck(false, Progress.NONE).ok());
    }
  }

  /** Guard: {@code RegistryHttp.MAX_REDIRECTS}: a redirect loop ends after ten, said so. */
  @Test
  void aRedirectLoopEnds() throws Exception {
    registry.hostile = (x, r) -> {
      if (!r.path().contains("/blobs/")) {
        return false;
      }
      x.getResponseHeaders().set("Location", r.path());
      registry.send(x, 302, null, new byte[0]);
      return true;
    };
    IOException e = failedPull();
    assertOneLine(e, "registry " + registry.address() + ": blob sha256:",
        "more than 10 redirects, the last to /v2/team/app/blobs/sha256:");
    assertTrue(registry.requests("/blobs/").size() <= 3 * 11, registry.requests.toString());
    assertNothingStored();
    registry.hostile = (x, r) -> false;
    assertGoodPull();
  }

  // ------------------------------------------------------------------------------- helpers

  private IOException failedPull() {
    return assertThrows(IOException.class, () -> store.pull(ref, FAST,
        Platform.DEFAULT, Progress.NONE));
  }

  /** {@code s} with its control characters as {@code \\uXXXX}. */
  private static String shown(String s) {
    StringBuilder out = new StringBuilder();
    s.chars().forEach(c -> out.append(Character.isISOControl(c) ? String.format("\\u%04x", c)
        : String.valueOf((char) c)));
    return out.toString();
  }

  private static void assertOneLine(IOException e, String... parts) {
    String message = e.getMessage();
    assertFalse(message.contains("\n"), message);
    for (String part : parts) {
      assertTrue(message.contains(part), "'" + part + "' not in: " + message);
    }
  }

  /** No tag, no blob, no temp file. */
  private void assertNothingStored() throws IOException {
    assertEquals(List.of(), store.tags());
    assertEquals(Set.of(), storedBlobs());
    assertNoTempFiles();
  }

  /** No tag; only blobs of the image, verified; no temp file. */
  private void assertNothingUnverified() throws IOException {
    assertEquals(List.of(), store.tags());
    Set<String> ours = Set.copyOf(registry.blobs.keySet());
    for (String blob : storedBlobs()) {
      assertTrue(ours.contains(blob), blob);
      assertEquals(blob, Digest.sha256(Files.readAllBytes(blobPath(blob))).toString());
    }
    assertNoTempFiles();
  }

  private void assertNoTempFiles() throws IOException {
    Path temp = store.root().resolve("layerfs/tmp");
    if (Files.exists(temp)) {
      try (Stream<Path> files = Files.list(temp)) {
        assertEquals(List.of(), files.toList());
      }
    }
  }

  /** The pull that the hostile one failed, with the registry behaving. */
  private void assertGoodPull() throws IOException {
    registry.hostile = (x, r) -> false;
    ImagePull.Result result = store.pull(ref, FAST, Platform.DEFAULT,
        Progress.NONE);
    assertEquals(ref, result.tag());
    assertEquals(image.manifestDigest(), result.manifestDigest().toString());
    assertEquals(List.of(ref), store.tags());
    assertEquals(2, store.image(ref).layers().size());
    assertTrue(store.fsck(false, Progress.NONE).ok());
  }

  private Set<String> storedBlobs() throws IOException {
    Path blobs = store.root().resolve("blobs");
    if (!Files.exists(blobs)) {
      return Set.of();
    }
    try (Stream<Path> all = Files.walk(blobs)) {
      return all.filter(Files::isRegularFile)
          .map(p -> p.getParent().getFileName() + ":" + p.getFileName())
          .collect(Collectors.toSet());
    }
  }

  private boolean stored(String digest) {
    return Files.isRegularFile(blobPath(digest));
  }

  private Path blobPath(String digest) {
    return store.root().resolve("blobs").resolve(digest.replace(':', '/'));
  }

  /** Answers as a registry whose token server is {@code realm}: {@code token} answers there. */
  private HostileRegistry.Answer bearer(String realm, TokenAnswer token) {
    return (x, r) -> {
      if (r.path().equals("/token")) {
        token.answer(x, r);
        return true;
      }
      if (r.path().startsWith("/v2/team/") && !"Bearer t0k3n".equals(r.authorization())) {
        x.getResponseHeaders().set("WWW-Authenticate",
            "Bearer realm=\"" + realm + "\",service=\"hostile\"");
        registry.send(x, 401, "application/json", new byte[0]);
        return true;
      }
      return false;
    };
  }

  private interface TokenAnswer {
    void answer(com.sun.net.httpserver.HttpExchange exchange, HostileRegistry.Request request)
        throws IOException;
  }

  private ObjectNode manifest() throws IOException {
    return (ObjectNode) JSON.readTree(registry.blobs.get(image.manifestDigest()));
  }

  /** An OCI index of linux/amd64 entries for {@code children}. */
  private ObjectNode index(List<String> children) throws IOException {
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    for (String child : children) {
      byte[] bytes = registry.blobs.get(child);
      ObjectNode entry = manifests.addObject();
      entry.put("mediaType", bytes == null ? MediaTypes.OCI_MANIFEST
          : JSON.readTree(new String(bytes, StandardCharsets.UTF_8)).path("mediaType").asText());
      entry.put("digest", child);
      entry.put("size", bytes == null ? 0 : bytes.length);
      entry.putObject("platform").put("os", "linux").put("architecture", "amd64");
    }
    return index;
  }

  private static byte[] bytes(ObjectNode node) throws IOException {
    return JSON.writeValueAsBytes(node);
  }

  /** Serves {@code bytes} as a blob; returns its digest. */
  private String put(byte[] bytes) {
    String digest = Digest.sha256(bytes).toString();
    registry.blobs.put(digest, bytes);
    return digest;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
