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
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A push of a store whose blob was damaged on disk, to a registry that stores whatever it is
 * sent under the digest it is told (as a careless registry or proxy would): the push fails,
 * naming the blob, before the request that would complete the blob's upload, and sends no
 * manifest; the monolithic and the chunked upload alike. An intact store pushes.
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

  /** The distribution API, without a single check of what it is sent. */
  private void answer(HttpExchange x) throws IOException {
    x.getRequestBody().readAllBytes();
    String path = x.getRequestURI().getPath();
    String query = x.getRequestURI().getRawQuery();
    String location = "/v2/app/blobs/uploads/session";
    switch (x.getRequestMethod()) {
      case "HEAD" -> x.sendResponseHeaders(path.contains("/blobs/sha256:") ? 404 : 200, -1);
      case "POST", "PATCH" -> {
        x.getResponseHeaders().add("Location", location);
        x.sendResponseHeaders(202, -1);
      }
      case "PUT" -> {
        stored.add(path.contains("/manifests/") ? "manifest"
            : query.substring(query.indexOf("digest=") + 7).replace("%3A", ":"));
        x.sendResponseHeaders(201, -1);
      }
      default -> x.sendResponseHeaders(200, -1);
    }
    x.close();
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
}
