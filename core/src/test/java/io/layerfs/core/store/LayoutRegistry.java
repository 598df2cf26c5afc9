package io.layerfs.core.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain-HTTP registry on {@code address} that serves an OCI layout: manifests by tag ({@code
 * /v2/NAME/manifests/TAG}, whatever NAME) and blobs by digest, nothing else; it counts the
 * requests it answers. Stopped by {@link #close}.
 */
final class LayoutRegistry implements AutoCloseable {
  private final HttpServer server;
  private final Path layout;
  final AtomicInteger requests = new AtomicInteger();

  LayoutRegistry(InetAddress address, Path layout) throws IOException {
    this.layout = layout;
    server = HttpServer.create(new InetSocketAddress(address, 0), 0);
    server.createContext("/v2/", this::answer);
    server.start();
  }

  /** {@code HOST:PORT} as references name it, an IPv6 address in brackets. */
  String address() {
    InetAddress a = server.getAddress().getAddress();
    String host = !(a instanceof java.net.Inet6Address) ? a.getHostAddress()
        : a.isLoopbackAddress() ? "[::1]" : "[" + a.getHostAddress() + "]";
    return host + ":" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }

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
        file = layout.resolve("blobs").resolve(digest.replace(':', '/'));
      }
      byte[] body = file != null && Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
      exchange.getResponseHeaders().set("Content-Type", body != null ? type
          : "application/json");
      int status = body != null ? 200 : path.equals("/v2/") ? 200 : 404;
      if (body == null) {
        body = (path.equals("/v2/") ? "{}" : "{\"errors\":[]}").getBytes(StandardCharsets.UTF_8);
      }
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private Path manifest(String tag) throws IOException {
    JsonNode index = new ObjectMapper().readTree(layout.resolve("index.json").toFile());
    for (JsonNode m : index.path("manifests")) {
      if (tag.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        return layout.resolve("blobs").resolve(m.path("digest").asText().replace(':', '/'));
      }
    }
    return null;
  }
}
