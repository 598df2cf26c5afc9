package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.layerfs.core.Digest;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RegistryHttpTest {

  @Test
  void loopbackRegistries() {
    for (String r : new String[] {"localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3",
        "[::1]:5000", "[::1]", "[0:0:0:0:0:0:0:1]:5000", "[0::1]"}) {
      assertTrue(RegistryHttp.isLoopback(r), r);
    }
    for (String r : new String[] {"registry.example", "10.0.0.1:5000", "127.example.com",
        "localhost.example:5000", "[::2]:5000", "1127.0.0.1", "[fe80::1]:5000", "[::]",
        "[1:2:3:4:5:6:7:8:9]"}) {
      assertFalse(RegistryHttp.isLoopback(r), r);
    }
  }

  /** Credentials go to the registry's own origin only: a downgrade to plain HTTP gets none. */
  @Test
  void credentialsGoOnlyToTheRegistrysOwnOrigin() {
    java.net.URI blob = java.net.URI.create("https://reg.example/v2/a/blobs/sha256:00");
    assertTrue(RegistryHttp.sameOrigin(blob, "reg.example", "https"));
    assertTrue(RegistryHttp.sameOrigin(blob, "REG.example", "https"), "host names ignore case");
    assertFalse(RegistryHttp.sameOrigin(java.net.URI.create("http://reg.example/v2/a"),
        "reg.example", "https"), "HTTPS redirected to plain HTTP on the same host");
    assertFalse(RegistryHttp.sameOrigin(java.net.URI.create("https://reg.example:8443/v2/"),
        "reg.example", "https"), "another port");
    assertFalse(RegistryHttp.sameOrigin(java.net.URI.create("https://cdn.example/blob"),
        "reg.example", "https"), "another host");
    assertTrue(RegistryHttp.sameOrigin(java.net.URI.create("http://127.0.0.1:5000/v2/"),
        "127.0.0.1:5000", "http"), "a plain-HTTP registry, found so by its probe");
  }

  @Test
  void errorBodiesAsTheRegistrySaysThem() {
    byte[] json = ("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
        + "\"detail\":{\"Tag\":\"x\"}},{\"code\":\"DENIED\",\"message\":\"\"}]}")
        .getBytes(StandardCharsets.UTF_8);
    assertEquals("MANIFEST_UNKNOWN: manifest unknown; DENIED", RegistryException.describe(404,
        json));
    assertEquals("not found", RegistryException.describe(404, "404 page not found"
        .getBytes(StandardCharsets.UTF_8)));
    assertEquals("service unavailable (try later)", RegistryException.describe(503,
        "try\n  later".getBytes(StandardCharsets.UTF_8)));
    assertEquals("unauthorized", RegistryException.describe(401, new byte[0]));
    RegistryException e = RegistryException.of("host:5000", "host:5000/a:1", 403, json);
    assertEquals(403, e.status());
    assertEquals("registry host:5000: host:5000/a:1: HTTP 403 MANIFEST_UNKNOWN: manifest unknown;"
        + " DENIED", e.getMessage());
  }

  @Test
  void retryAfterIsSecondsOrAnHttpDateCappedAtTheLongestWait() {
    Instant now = Instant.parse("2026-12-05T01:00:00Z");
    Duration max = Duration.ofSeconds(60);
    assertEquals(Optional.of(Duration.ofSeconds(7)), RegistryHttp.retryAfter("7", max, now));
    assertEquals(Optional.of(max), RegistryHttp.retryAfter("3600", max, now));
    assertEquals(Optional.of(Duration.ZERO), RegistryHttp.retryAfter("-5", max, now));
    assertEquals(Optional.of(Duration.ofSeconds(30)),
        RegistryHttp.retryAfter("Sat, 05 Dec 2026 01:00:30 GMT", max, now));
    assertEquals(Optional.of(max),
        RegistryHttp.retryAfter("Fri, 31 Dec 9999 23:59:59 GMT", max, now));
    assertEquals(Optional.of(Duration.ZERO),
        RegistryHttp.retryAfter("Sat, 05 Dec 2026 00:59:00 GMT", max, now));
    assertEquals(Optional.empty(), RegistryHttp.retryAfter("soon", max, now));
    assertEquals(Optional.empty(), RegistryHttp.retryAfter("99999999999999999999999", max, now));
  }

  @Test
  void blobBytesReachTheReaderWithoutTheClientsWorkerThreads() throws Exception {
    byte[] blob = new byte[3 << 20];
    new Random(12).nextBytes(blob);
    Digest digest = Digest.sha256(blob);
    HttpServer server = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
    server.createContext("/v2/test/blobs/" + digest, exchange -> {
      exchange.sendResponseHeaders(200, blob.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(blob);
      }
    });
    server.start();
    Set<Long> before = threadIds();
    try (RegistryClient client = new RegistryClient(
        RegistryOptions.defaults().withTlsVerify(false))) {
      // the client's number, in its threads' names (its selector thread starts with it)
      List<String> ours = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> !before.contains(t.getId())).map(Thread::getName)
          .filter(n -> n.matches("HttpClient-\\d+-SelectorManager"))
          .map(n -> n.split("-")[1]).toList();
      assertEquals(1, ours.size(), ours.toString());
      Reference repository = Reference.parse("127.0.0.1:" + server.getAddress().getPort()
          + "/test:x");
      BlobRange range = client.openBlob(repository, digest, 0, -1);
      try (InputStream in = range.stream()) {
        assertArrayEquals(blob, in.readAllBytes());
      }
      assertEquals(blob.length, range.blobSize());
      // a direct executor: the client's steps that hand the body on run on the thread where they
      // come up (its selector's or the reader's), with no worker thread to wake for each
      List<String> workers = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
          .filter(n -> n.startsWith("HttpClient-" + ours.get(0) + "-Worker-")).toList();
      assertEquals(List.of(), workers);
    } finally {
      server.stop(0);
    }
  }

  private static Set<Long> threadIds() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getId)
        .collect(Collectors.toSet());
  }
}
