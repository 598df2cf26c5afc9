package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.layerfs.core.Digest;
import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A push of a store whose blob was damaged on disk, to a registry that stores whatever it is
 * sent under the digest it is told (as a careless registry or proxy would): the push fails,
 * naming the blob, before the request that would complete the blob's upload, and sends no
 * manifest; the monolithic and the chunked upload alike. An intact store pushes, also past a
 * chunk whose answer was lost.
 */
class ImagePushTest {
  @TempDir Path tmp;
  private HttpServer registry;
  /** The digests of completed uploads ({@code PUT ...?digest=}) and the manifests put. */
  private final List<String> stored = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startRegistry() throws IOException {
    registry = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    registry.createContext("/", this::answer);
    registry.start();
  }

  @AfterEach
  void stopRegistry() {
    registry.stop(0);
  }

  /** Upload sessions: the bytes each has taken. */
  private final Map<String, ByteArrayOutputStream> sessions = new ConcurrentHashMap<>();
  /** The bytes of each completed upload, by the digest it was told. */
  private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
  /** Chunks whose answer is lost (a 502 after the chunk was taken), from the first. */
  private final AtomicInteger loseChunkAnswers = new AtomicInteger();

  /**
   * The distribution API that checks nothing it is told (no digest is verified), only where an
   * upload session is: a chunk must start where the session ends, else 416.
   */
  private void answer(HttpExchange x) throws IOException {
    byte[] body = x.getRequestBody().readAllBytes();
    String path = x.getRequestURI().getPath();
    String query = x.getRequestURI().getRawQuery();
    switch (x.getRequestMethod()) {
      case "HEAD" -> x.sendResponseHeaders(path.contains("/blobs/sha256:") ? 404 : 200, -1);
      case "POST" -> {
        String location = "/v2/app/blobs/uploads/" + sessions.size();
        sessions.put(location, new ByteArrayOutputStream());
        x.getResponseHeaders().add("Location", location);
        x.sendResponseHeaders(202, -1);
      }
      case "PATCH" -> {
        ByteArrayOutputStream session = sessions.get(path);
        String range = x.getRequestHeaders().getFirst("Content-Range");
        if (session == null || !range.startsWith(session.size() + "-")) {
          x.sendResponseHeaders(416, -1);
        } else {
          session.write(body);
          x.getResponseHeaders().add("Location", path);
          x.sendResponseHeaders(loseChunkAnswers.getAndDecrement() > 0 ? 502 : 202, -1);
        }
      }
      case "PUT" -> {
        if (path.contains("/manifests/")) {
          stored.add("manifest");
        } else {
          String digest = query.substring(query.indexOf("digest=") + 7).replace("%3A", ":");
          ByteArrayOutputStream session = sessions.get(path);
          session.write(body);
          blobs.put(digest, session.toByteArray());
          stored.add(digest);
        }
        x.sendResponseHeaders(201, -1);
      }
      default -> x.sendResponseHeaders(200, -1);
    }
    x.close();
  }

  /**
   * A chunk the registry took whose answer was lost (a gateway's 502) is sent again by the
   * client's retry at an offset the session has passed: the push starts that blob over in a new
   * session and completes, every blob the registry holds being the stored one.
   */
  @Test
  void aChunkWhoseAnswerWasLostStartsTheBlobOverInANewSession() throws IOException {
    byte[] data = new byte[100_000];
    new Random(6).nextBytes(data);
    ImageBuilder.create(tmp).layer().file("/data", data).build("app:1");
    ContentStore store = ContentStore.open(tmp);
    loseChunkAnswers.set(1);
    Reference target = Reference.parse("127.0.0.1:" + registry.getAddress().getPort()
        + "/app:1");
    try (RegistryClient client = new RegistryClient(RegistryOptions.defaults()
        .withTlsVerify(false).withChunkSize(16_384).withRetries(3, Duration.ofMillis(1)))) {
      ImagePush.push(store, client, "app:1", target, null);
    }
    assertTrue(loseChunkAnswers.get() < 0, "an answer was lost");
    assertTrue(stored.contains("manifest"), stored.toString());
    assertEquals(2, blobs.size(), blobs.keySet().toString()); // the layer and the config
    for (Map.Entry<String, byte[]> b : blobs.entrySet()) {
      assertEquals(b.getKey(), Digest.sha256(b.getValue()).toString());
    }
  }

  @Test
  void aBlobDamagedOnDiskIsNeverPushedUnderItsDigest() throws IOException {
    for (long chunkSize : new long[] {16L << 20, 4096}) {
      Path dir = Files.createTempDirectory(tmp, "store");
      byte[] data = new byte[100_000];
      new Random(5).nextBytes(data);
      Built built = ImageBuilder.create(dir).layer().file("/data", data).build("app:1");
      ContentStore store = ContentStore.open(dir);
      Digest layer = Digest.parse(built.layerDigests().get(0));
      Path blob = store.blobPath(layer);
      byte[] bytes = Files.readAllBytes(blob);
      bytes[bytes.length / 2] ^= 0x10;
      Files.write(blob, bytes);
      stored.clear();
      Reference target = Reference.parse(
          "127.0.0.1:" + registry.getAddress().getPort() + "/app:1");
      try (RegistryClient client = new RegistryClient(RegistryOptions.defaults()
          .withTlsVerify(false).withChunkSize(chunkSize))) {
        IOException e = assertThrows(IOException.class,
            () -> ImagePush.push(store, client, "app:1", target, null));
        assertTrue(e.getMessage().contains("blob " + layer) && e.getMessage().contains(
            blob.toString()) && e.getMessage().contains("damaged"), e.getMessage());
        assertEquals(List.of(), stored, "nothing stored, chunk size " + chunkSize);

        bytes[bytes.length / 2] ^= 0x10;
        Files.write(blob, bytes);
        ImagePush.push(store, client, "app:1", target, null);
        assertTrue(stored.contains(layer.toString()) && stored.contains("manifest"),
            stored.toString());
      }
    }
  }

  /**
   * The record of where a blob was seen ({@code layerfs/origins/ALG/HEX}) is a hint for mounts:
   * damaged every way (a byte flipped, cut, bytes that are not UTF-8, a directory in its place),
   * it never fails a push, which uploads what it cannot mount.
   */
  @Test
  void aDamagedOriginsHintNeverFailsAPush() throws IOException {
    Map<String, Damage> damages = new java.util.LinkedHashMap<>();
    damages.put("first byte flipped", f -> flip(f, 0));
    damages.put("last byte flipped", f -> flip(f, Files.size(f) - 1));
    damages.put("cut in half", f -> Files.write(f,
        java.util.Arrays.copyOf(Files.readAllBytes(f), (int) Files.size(f) / 2)));
    damages.put("not UTF-8", f -> Files.write(f, new byte[] {(byte) 0xff, (byte) 0xfe, 10}));
    damages.put("a directory", f -> {
      Files.delete(f);
      Files.createDirectories(f.resolve("x"));
    });
    for (var damage : damages.entrySet()) {
      Path dir = Files.createTempDirectory(tmp, "store");
      Built built = ImageBuilder.create(dir).layer().file("/data", "data").build("app:1");
      ContentStore store = ContentStore.open(dir);
      Digest layer = Digest.parse(built.layerDigests().get(0));
      Reference target = Reference.parse(
          "127.0.0.1:" + registry.getAddress().getPort() + "/app:1");
      try (RegistryClient client = new RegistryClient(RegistryOptions.defaults()
          .withTlsVerify(false))) {
        ImagePush.push(store, client, "app:1", target, null);
        Path hint = BlobOrigins.root(store).resolve(layer.algorithm()).resolve(layer.hex());
        assertTrue(Files.isRegularFile(hint), "recorded: " + hint);
        damage.getValue().apply(hint);
        stored.clear();
        ImagePush.push(store, client, "app:1", target, null); // throws on failure
        assertTrue(stored.contains(layer.toString()) && stored.contains("manifest"),
            damage.getKey() + ": " + stored);
      }
    }
  }

  interface Damage {
    void apply(Path file) throws IOException;
  }

  private static void flip(Path f, long at) throws IOException {
    byte[] bytes = Files.readAllBytes(f);
    bytes[(int) at] ^= 0x01;
    Files.write(f, bytes);
  }
}
