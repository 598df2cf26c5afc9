package io.layerfs.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A plain-HTTP registry on 127.0.0.1 that a test makes misbehave: it serves manifests (by tag,
 * or by digest from its blobs) and blobs (a {@code Range: bytes=N-} with a 206) from maps the
 * test fills, after asking the test's {@link #hostile} answer, which may answer any request its
 * own way (a body that never ends, a lying {@code Content-Range}, a redirect, a challenge).
 * Records every request and the body bytes it sent. Each request is answered on its own thread,
 * so a body that never ends does not hold up the others.
 */
final class HostileRegistry implements AutoCloseable {
  /** An answer that never ends stops here, so a client that does not stop cannot fill memory. */
  static final long SAFETY_CAP = 1L << 30;
  private static final Pattern FROM = Pattern.compile("bytes=(\\d+)-");

  /** A request as it came: {@code range} and {@code authorization} are null when not sent. */
  record Request(String method, String path, String range, String authorization) {}

  interface Answer {
    /** Answers {@code request} and returns true, or returns false for the plain answer. */
    boolean answer(HttpExchange exchange, Request request) throws IOException;
  }

  /** Manifests by tag. */
  final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
  /** Blobs (manifests too) by digest. */
  final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
  final List<Request> requests = new CopyOnWriteArrayList<>();
  final AtomicLong bytesSent = new AtomicLong();
  volatile Answer hostile = (exchange, request) -> false;
  private final AtomicInteger answering = new AtomicInteger();
  private final HttpServer server;
  private final ExecutorService threads;

  HostileRegistry() throws IOException {
    this(null, false);
  }

  /**
   * A registry that speaks TLS only, with the key, certificate and trust of {@code tls}, if
   * given; with {@code clientCertificates}, a client must present a certificate it trusts.
   */
  HostileRegistry(SSLContext tlsOrNull, boolean clientCertificates) throws IOException {
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
    if (tlsOrNull == null) {
      server = HttpServer.create(loopback, 0);
    } else {
      HttpsServer https = HttpsServer.create(loopback, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(tlsOrNull) {
        @Override
        public void configure(HttpsParameters parameters) {
          SSLParameters ssl = tlsOrNull.getDefaultSSLParameters();
          ssl.setNeedClientAuth(clientCertificates);
          if (clientCertificates) {
            // TLS 1.2 refuses a client without a certificate in the handshake, as the
            // distribution server does in 1.3; the JDK's 1.3 server hangs up only after it
            ssl.setProtocols(new String[] {"TLSv1.2"});
          }
          parameters.setSSLParameters(ssl);
        }
      });
      server = https;
    }
    threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "hostile-registry");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/", this::answer);
    server.start();
  }

  /** {@code 127.0.0.1:PORT}. */
  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** Serves every blob of an OCI layout, and its tagged manifests by tag. */
  void serveLayout(Path layout) throws IOException {
    try (Stream<Path> files = Files.list(layout.resolve("blobs/sha256"))) {
      for (Path f : files.toList()) {
        blobs.put("sha256:" + f.getFileName(), Files.readAllBytes(f));
      }
    }
    JsonNode index = new ObjectMapper().readTree(layout.resolve("index.json").toFile());
    for (JsonNode m : index.path("manifests")) {
      String tag = m.path("annotations").path("org.opencontainers.image.ref.name").asText();
      manifests.put(tag, blobs.get(m.path("digest").asText()));
    }
  }

  /** The requests whose path contains {@code part}. */
  List<Request> requests(String part) {
    return requests.stream().filter(r -> r.path().contains(part)).toList();
  }

  /** Waits until no answer is being sent: a client that hung up ends an endless one. */
  boolean awaitIdle(long millis) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (answering.get() > 0) {
      if (System.nanoTime() > end) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  /** Sends {@code body} whole with its length (no body for a HEAD). */
  void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    if (type != null) {
      exchange.getResponseHeaders().set("Content-Type", type);
    }
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.getResponseHeaders().set("Content-Length", String.valueOf(body.length));
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
        bytesSent.addAndGet(body.length);
      }
    }
  }

  /**
   * Sends {@code head}, then {@code filler} bytes until the client hangs up (or {@link
   * #SAFETY_CAP}); the length is {@code declaredLength}, or chunked when it is 0.
   */
  void sendEndless(HttpExchange exchange, String type, long declaredLength, byte[] head,
      byte filler) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(200, declaredLength);
    byte[] chunk = new byte[64 << 10];
    Arrays.fill(chunk, filler);
    OutputStream out = exchange.getResponseBody();
    out.write(head);
    bytesSent.addAndGet(head.length);
    for (long sent = head.length; sent < SAFETY_CAP; sent += chunk.length) {
      out.write(chunk);
      bytesSent.addAndGet(chunk.length);
    }
    out.close();
  }

  /**
   * Sends headers that promise {@code declaredLength} bytes (chunked when 0), or none when
   * {@code head} is null, and {@code head}; then nothing more for 15 s, or until {@link #close}.
   */
  void sendStalled(HttpExchange exchange, byte[] head, long declaredLength) throws IOException {
    if (head != null) {
      exchange.sendResponseHeaders(200, declaredLength);
      OutputStream out = exchange.getResponseBody();
      out.write(head);
      out.flush();
      bytesSent.addAndGet(head.length);
    }
    try {
      Thread.sleep(15_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new Dropped();
  }

  /**
   * Sends the first {@code count} bytes of {@code body} after a header that promises all of it,
   * then drops the connection.
   */
  @SuppressWarnings("resource")
  void sendCut(HttpExchange exchange, byte[] body, int count) throws IOException {
    exchange.sendResponseHeaders(200, body.length);
    OutputStream out = exchange.getResponseBody();
    out.write(body, 0, count);
    out.flush();
    bytesSent.addAndGet(count);
    // the server drops a connection whose handler fails (closing the body with bytes missing
    // would leave it open, the client waiting for the rest)
    throw new Dropped();
  }

  /** Thrown by a handler to drop its connection. */
  private static final class Dropped extends RuntimeException {
    Dropped() {
      super("connection dropped on purpose", null, false, false);
    }
  }

  private void answer(HttpExchange exchange) throws IOException {
    answering.incrementAndGet();
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      Request request = new Request(exchange.getRequestMethod(), path,
          exchange.getRequestHeaders().getFirst("Range"),
          exchange.getRequestHeaders().getFirst("Authorization"));
      requests.add(request);
      if (hostile.answer(exchange, request)) {
        return;
      }
      plain(exchange, request);
    } catch (IOException e) {
      // the client hung up: what a client that stops reading does
    } finally {
      answering.decrementAndGet();
    }
  }

  /** The body's mediaType, else (none, or not JSON) an OCI manifest's. */
  private static String mediaType(byte[] body) {
    String fallback = "application/vnd.oci.image.manifest.v1+json";
    try {
      JsonNode type = new ObjectMapper().readTree(body).path("mediaType");
      return type.isTextual() ? type.asText() : fallback;
    } catch (IOException e) {
      return fallback;
    }
  }

  private void plain(HttpExchange exchange, Request request) throws IOException {
    String path = request.path();
    if (path.equals("/v2/")) {
      send(exchange, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
      return;
    }
    int manifest = path.indexOf("/manifests/");
    int blob = path.indexOf("/blobs/");
    if (manifest > 0) {
      String ref = path.substring(manifest + "/manifests/".length());
      byte[] body = ref.contains(":") ? blobs.get(ref) : manifests.get(ref);
      if (body != null) {
        send(exchange, 200, mediaType(body), body);
        return;
      }
    } else if (blob > 0) {
      byte[] body = blobs.get(path.substring(blob + "/blobs/".length()));
      if (body != null) {
        Matcher from = request.range() == null ? null : FROM.matcher(request.range());
        if (from != null && from.matches()) {
          int start = Integer.parseInt(from.group(1));
          exchange.getResponseHeaders().set("Content-Range",
              "bytes " + start + "-" + (body.length - 1) + "/" + body.length);
          send(exchange, 206, "application/octet-stream",
              Arrays.copyOfRange(body, start, body.length));
        } else {
          send(exchange, 200, "application/octet-stream", body);
        }
        return;
      }
    }
    send(exchange, 404, "application/json",
        "{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"none here\"}]}"
            .getBytes(StandardCharsets.UTF_8));
  }
}
