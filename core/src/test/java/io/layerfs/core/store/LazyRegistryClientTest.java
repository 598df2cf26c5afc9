package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry clients that lazily read layers read through ({@link Store#lazyImage}) live as
 * long as the store and no longer: closing the store (what closing the provider's last file
 * system of it does) stops their HTTP clients' threads, and a client that no layer reads through
 * is closed at once. Served by a loopback registry that answers manifests and blobs of a layout.
 */
class LazyRegistryClientTest {
  @TempDir Path tmp;
  private HttpServer server;
  private Path remote;
  private final AtomicInteger requests = new AtomicInteger();

  @BeforeEach
  void serve() throws IOException {
    remote = tmp.resolve("remote");
    ImageBuilder.create(remote)
        .add(ImageBuilder.Entry.dir("etc"))
        .add(ImageBuilder.Entry.file("etc/hosts",
            "127.0.0.1 localhost\n".getBytes(StandardCharsets.UTF_8)))
        .build("app");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/v2/", this::answer);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void closingTheStoreStopsTheClientOfItsLazyLayers() throws Exception {
    Set<Thread> before = selectors();
    Store store = Store.open(tmp.resolve("local"));
    Thread selector;
    try {
      String tag = store.lazyImage(reference(), RegistryOptions.defaults().withTlsVerify(false));
      assertTrue(requests.get() > 0, "the image was resolved from the registry");
      List<Thread> made = newSelectors(before);
      assertEquals(1, made.size(), "the lazy layers' client");
      selector = made.get(0);
      assertTrue(selector.isAlive(), "the client lives while the store is open");

      // the image again: its layers are attached already, so the new client is closed at once
      Set<Thread> second = selectors();
      assertEquals(tag, store.lazyImage(reference(),
          RegistryOptions.defaults().withTlsVerify(false)));
      for (Thread t : newSelectors(second)) {
        t.join(30_000);
        assertFalse(t.isAlive(), "a client no layer reads through still runs");
      }
      assertTrue(selector.isAlive(), "the first client still serves the lazy layers");
    } finally {
      store.close();
    }
    selector.join(30_000);
    assertFalse(selector.isAlive(), "the lazy layers' client still runs after the store closed");
  }

  private String reference() {
    return "127.0.0.1:" + server.getAddress().getPort() + "/test/img:app";
  }

  private static Set<Thread> selectors() {
    Set<Thread> out = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().endsWith("SelectorManager") && t.isAlive()) {
        out.add(t);
      }
    }
    return out;
  }

  private static List<Thread> newSelectors(Set<Thread> before) {
    return selectors().stream().filter(t -> !before.contains(t)).toList();
  }

  /** Manifests by tag ({@code /v2/NAME/manifests/TAG}) and blobs by digest, nothing else. */
  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      requests.incrementAndGet();
      String path = exchange.getRequestURI().getPath();
      int manifests = path.indexOf("/manifests/");
      int blobs = path.indexOf("/blobs/");
      Path file = null;
      String type = "application/octet-stream";
      if (manifests > 0) {
        file = manifest(path.substring(manifests + "/manifests/".length()));
        type = "application/vnd.oci.image.manifest.v1+json";
      } else if (blobs > 0) {
        String digest = path.substring(blobs + "/blobs/".length());
        file = remote.resolve("blobs").resolve(digest.replace(':', '/'));
      }
      byte[] body = file != null && Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
      exchange.getResponseHeaders().set("Content-Type", body != null ? type
          : "application/json");
      if (body == null) {
        body = "{\"errors\":[]}".getBytes(StandardCharsets.UTF_8);
      }
      exchange.sendResponseHeaders(file != null && Files.isRegularFile(file) ? 200 : 404,
          body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private Path manifest(String tag) throws IOException {
    JsonNode index = new ObjectMapper().readTree(remote.resolve("index.json").toFile());
    for (JsonNode m : index.path("manifests")) {
      if (tag.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        return remote.resolve("blobs").resolve(m.path("digest").asText().replace(':', '/'));
      }
    }
    return null;
  }
}
