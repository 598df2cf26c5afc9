package io.layerfs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;

/**
 * A read-only registry on loopback that serves the images of an OCI layout, for {@link
 * CdsTraining}: so that the class data sharing archive holds the classes of {@code layerfs pull}
 * (the JDK's HTTP client among them) without a network or a registry process at build time.
 * Answers {@code GET /v2/}, {@code GET /v2/NAME/manifests/TAG} (the manifest the layout tags
 * {@code NAME:TAG}, NAME's last path segment) and {@code GET /v2/NAME/blobs/DIGEST}. Not a
 * registry for anything else.
 */
final class TrainingRegistry implements AutoCloseable {
  private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

  private final Path layout;
  private final HttpServer server;

  TrainingRegistry(Path layout) throws IOException {
    this(layout, null);
  }

  /** As {@link #TrainingRegistry(Path)}, speaking TLS with {@code tlsOrNull}'s key if given. */
  TrainingRegistry(Path layout, SSLContext tlsOrNull) throws IOException {
    this.layout = layout;
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (tlsOrNull == null) {
      this.server = HttpServer.create(loopback, 0);
    } else {
      HttpsServer https = HttpsServer.create(loopback, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(tlsOrNull));
      this.server = https;
    }
    server.createContext("/v2/", this::answer);
    server.start();
  }

  /** {@code 127.0.0.1:PORT}, as a reference names the registry. */
  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      int manifests = path.indexOf("/manifests/");
      int blobs = path.indexOf("/blobs/");
      Path file = null;
      String type = "application/octet-stream";
      if (path.equals("/v2/")) {
        send(exchange, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        return;
      } else if (manifests > 0) {
        String name = path.substring(path.lastIndexOf('/', manifests - 1) + 1, manifests);
        file = manifest(name + ":" + path.substring(manifests + "/manifests/".length()));
        type = MANIFEST_TYPE;
      } else if (blobs > 0) {
        String digest = path.substring(blobs + "/blobs/".length());
        file = layout.resolve("blobs").resolve(digest.replace(':', '/'));
      }
      if (file == null || !Files.isRegularFile(file)) {
        send(exchange, 404, "application/json", "{\"errors\":[]}".getBytes(StandardCharsets.UTF_8));
        return;
      }
      send(exchange, 200, type, Files.readAllBytes(file));
    }
  }

  private Path manifest(String ref) throws IOException {
    JsonNode index = new ObjectMapper().readTree(layout.resolve("index.json").toFile());
    for (JsonNode m : index.path("manifests")) {
      if (ref.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        return layout.resolve("blobs").resolve(m.path("digest").asText().replace(':', '/'));
      }
    }
    return null;
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
