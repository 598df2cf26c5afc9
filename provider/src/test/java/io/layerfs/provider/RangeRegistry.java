package io.layerfs.provider;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A plain-HTTP registry on the loopback address that serves an OCI layout: one manifest for
 * every reference ({@code /v2/NAME/manifests/REF}, whatever NAME and REF) and blobs by digest,
 * whole or a {@code Range} of them ({@code 206}); it counts the blob bytes it sends. Stopped by
 * {@link #close}.
 */
final class RangeRegistry implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
  private final HttpServer server;
  private final Path layout;
  private final String manifest;
  private final AtomicLong blobBytes = new AtomicLong();
  private final java.util.concurrent.ExecutorService pool;

  RangeRegistry(Path layout, String manifestDigest) throws IOException {
    this.layout = layout;
    this.manifest = manifestDigest;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/v2/", this::answer);
    pool = java.util.concurrent.Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "range-registry");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(pool);
    server.start();
  }

  /** {@code HOST:PORT} as references name it. */
  String address() {
    return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
  }

  /** The blob bytes sent so far (manifests not counted). */
  long blobBytes() {
    return blobBytes.get();
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      boolean head = exchange.getRequestMethod().equals("HEAD");
      int manifests = path.indexOf("/manifests/");
      int blobs = path.indexOf("/blobs/");
      if (manifests > 0) {
        Path file = layout.resolve("blobs").resolve(manifest.replace(':', '/'));
        send(exchange, 200, "application/vnd.oci.image.manifest.v1+json",
            Files.readAllBytes(file), head);
        return;
      }
      Path file = blobs < 0 ? null : layout.resolve("blobs")
          .resolve(path.substring(blobs + "/blobs/".length()).replace(':', '/'));
      if (file == null || !Files.isRegularFile(file)) {
        send(exchange, path.equals("/v2/") ? 200 : 404, "application/json",
            (path.equals("/v2/") ? "{}" : "{\"errors\":[]}").getBytes(StandardCharsets.UTF_8),
            head);
        return;
      }
      long size = Files.size(file);
      String range = exchange.getRequestHeaders().getFirst("Range");
      long from = 0;
      long end = size;
      int status = 200;
      if (range != null) {
        Matcher m = RANGE.matcher(range);
        if (!m.matches()) {
          send(exchange, 416, "application/json", new byte[0], head);
          return;
        }
        from = Long.parseLong(m.group(1));
        end = m.group(2).isEmpty() ? size : Math.min(size, Long.parseLong(m.group(2)) + 1);
        status = 206;
        exchange.getResponseHeaders().set("Content-Range",
            "bytes " + from + "-" + (end - 1) + "/" + size);
      }
      byte[] body = new byte[(int) (end - from)];
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
        f.seek(from);
        f.readFully(body);
      }
      if (!head) {
        blobBytes.addAndGet(body.length);
      }
      send(exchange, status, "application/octet-stream", body, head);
    }
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body,
      boolean head) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    if (head) {
      exchange.getResponseHeaders().set("Content-Length", String.valueOf(body.length));
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
