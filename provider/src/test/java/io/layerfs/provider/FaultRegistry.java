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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A plain-HTTP registry on the loopback address that serves an OCI layout as {@link
 * RangeRegistry} does (one manifest for every reference, blobs whole or by {@code Range}), and
 * misbehaves on demand: a {@link Fault} applies to the next requests of a blob range (a {@code
 * GET} with a {@code Range} header), as many as {@link #inject} says. {@link #stop} makes the
 * address refuse connections; {@link #restart} serves again on the same port.
 */
final class FaultRegistry implements AutoCloseable {
  /** What a faulty answer to a range request is. */
  enum Fault {
    /** A 503 with {@code Retry-After: 0}. */
    UNAVAILABLE,
    /** A 429 with {@code Retry-After: 0}. */
    TOO_MANY,
    /** The 206 headers and half the body, then the connection closed. */
    CUT,
    /** A 206 whose body has one byte flipped, in the middle. */
    FLIP,
    /** A 206 whose {@code Content-Range} and length promise less than was asked. */
    SHORT,
    /** A 200 with the whole blob. */
    WHOLE,
    /** Right answers, but the byte {@link #flipAt} names flipped wherever it is sent. */
    FLIP_AT
  }

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
  private final Path layout;
  private final String manifest;
  private final AtomicLong blobBytes = new AtomicLong();
  private final AtomicInteger faulty = new AtomicInteger();
  private final AtomicInteger rangeRequests = new AtomicInteger();
  private volatile Fault fault;
  private volatile String flipBlob;
  private volatile long flipOffset;
  private volatile int port;
  private HttpServer server;
  private ExecutorService pool;

  FaultRegistry(Path layout, String manifestDigest) throws IOException {
    this.layout = layout;
    this.manifest = manifestDigest;
    start(0);
  }

  private void start(int at) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), at), 0);
    server.createContext("/v2/", this::answer);
    pool = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "fault-registry");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(pool);
    server.start();
    port = server.getAddress().getPort();
  }

  /** {@code HOST:PORT} as references name it. */
  String address() {
    return InetAddress.getLoopbackAddress().getHostAddress() + ":" + port;
  }

  /** The next {@code count} range requests get {@code f}; the rest are served right. */
  void inject(Fault f, int count) {
    fault = f;
    faulty.set(count);
  }

  /**
   * The next {@code count} range requests flip byte {@code offset} of blob {@code digest}
   * ({@code sha256:HEX}) when they send it; a range without it is sent right (and counted).
   */
  void flipAt(String digest, long offset, int count) {
    flipBlob = digest;
    flipOffset = offset;
    inject(Fault.FLIP_AT, count);
  }

  /** The faulty answers still to give. */
  int faultsLeft() {
    return Math.max(0, faulty.get());
  }

  /** The range requests received so far. */
  int rangeRequests() {
    return rangeRequests.get();
  }

  /** The blob bytes sent so far (manifests not counted). */
  long blobBytes() {
    return blobBytes.get();
  }

  /** Stops serving: connections to the address are refused. */
  void stop() {
    server.stop(0);
    pool.shutdownNow();
  }

  /** Serves again on the same port. */
  void restart() throws IOException {
    start(port);
  }

  @Override
  public void close() {
    stop();
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
      Fault f = null;
      if (range != null && !head) {
        rangeRequests.incrementAndGet();
        if (faulty.getAndDecrement() > 0) {
          f = fault;
        }
      }
      if (f == Fault.UNAVAILABLE || f == Fault.TOO_MANY) {
        exchange.getResponseHeaders().set("Retry-After", "0");
        send(exchange, f == Fault.UNAVAILABLE ? 503 : 429, "application/json",
            "{\"errors\":[]}".getBytes(StandardCharsets.UTF_8), false);
        return;
      }
      long from = 0;
      long end = size;
      int status = 200;
      if (range != null && f != Fault.WHOLE) {
        Matcher m = RANGE.matcher(range);
        if (!m.matches()) {
          send(exchange, 416, "application/json", new byte[0], head);
          return;
        }
        from = Long.parseLong(m.group(1));
        end = m.group(2).isEmpty() ? size : Math.min(size, Long.parseLong(m.group(2)) + 1);
        if (f == Fault.SHORT && end - from > 1) {
          end = from + (end - from) / 2;
        }
        status = 206;
        exchange.getResponseHeaders().set("Content-Range",
            "bytes " + from + "-" + (end - 1) + "/" + size);
      }
      byte[] body = new byte[(int) (end - from)];
      try (RandomAccessFile r = new RandomAccessFile(file.toFile(), "r")) {
        r.seek(from);
        r.readFully(body);
      }
      if (f == Fault.FLIP) {
        body[body.length / 2] ^= 0x20;
      }
      if (f == Fault.FLIP_AT && path.endsWith("/blobs/" + flipBlob) && flipOffset >= from
          && flipOffset < end) {
        body[(int) (flipOffset - from)] ^= 0x20;
      }
      if (!head) {
        blobBytes.addAndGet(body.length);
      }
      if (f == Fault.CUT) {
        exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
        exchange.sendResponseHeaders(status, body.length);
        OutputStream out = exchange.getResponseBody();
        out.write(body, 0, body.length / 2);
        out.flush();
        // closing a fixed-length body before its end closes the connection
        return;
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
