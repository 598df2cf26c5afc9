package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link HttpClientShutdown} on the JDK the tests run on (the build opens the JDK's HTTP client
 * internals to core, as the CLI does): the client's selector thread, which outlives a request
 * and which a JVM's exit waits for, ends.
 */
class HttpClientShutdownTest {

  @Test
  void stopsTheSelectorThreadOfAClientThatWasUsed() throws Exception {
    HttpServer server = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + server.getAddress().getPort() + "/")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals("ok", response.body());
      List<Thread> selectors = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> !before.contains(t) && t.getName().endsWith("SelectorManager"))
          .toList();
      assertEquals(1, selectors.size(), "the client's selector thread");
      Thread selector = selectors.get(0);
      assertTrue(selector.isAlive());

      assertTrue(HttpClientShutdown.close(client));
      selector.join(30_000);
      assertFalse(selector.isAlive(), "the selector thread still runs after close");
    } finally {
      server.stop(0);
    }
  }
}
