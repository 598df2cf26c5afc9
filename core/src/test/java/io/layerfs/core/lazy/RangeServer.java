package io.layerfs.core.lazy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.layerfs.core.Digest;
import io.layerfs.core.RangedBlob;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback HTTP server that serves the blobs of an OCI layout at {@code /blobs/ALG/HEX} with
 * {@code Range} requests (206, as a registry does), counting the requests and the bytes it
 * sends; and a {@link RangedBlob} client of it over the JDK's {@code HttpClient}. A test stand-in
 * for a registry's blob endpoint.
 */
final class RangeServer implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Path layout;
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private volatile UnaryOperator<byte[]> tamper = UnaryOperator.identity();
  private volatile long delayMillis;

  RangeServer(Path layout) throws IOException {
    this.layout = layout;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        16);
    server.createContext("/blobs/", this::serve);
    server.setExecutor(executor); // requests in parallel, as a registry serves them
    server.start();
  }

  long bytesServed() {
    return bytes.get();
  }

  long requests() {
    return requests.get();
  }

  void reset() {
    bytes.set(0);
    requests.set(0);
  }

  /** Changes the bytes of every response from now on (a hostile or broken registry). */
  void tamper(UnaryOperator<byte[]> t) {
    this.tamper = t;
  }

  /** Holds every response from now on for this long (a slow registry). */
  void delay(long millis) {
    this.delayMillis = millis;
  }

  /** The server's address, for {@link #blob(URI, Digest, long)} in another process. */
  URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  RangedBlob blob(Digest digest, long size) {
    return blob(base(), digest, size);
  }

  /** A client of the server at {@code base} (in this process or another). */
  static RangedBlob blob(URI base, Digest digest, long size) {
    HttpClient client = CLIENT;
    URI uri = base.resolve("blobs/" + digest.algorithm() + "/" + digest.hex());
    return new RangedBlob() {
      @Override
      public Digest digest() {
        return digest;
      }

      @Override
      public long size() {
        return size;
      }

      @Override
      public InputStream open(long offset, long length) throws IOException {
        String range = "bytes=" + offset + "-" + (length < 0 ? "" : offset + length - 1);
        HttpRequest req = HttpRequest.newBuilder(uri).header("Range", range).build();
        try {
          HttpResponse<InputStream> resp =
              client.send(req, HttpResponse.BodyHandlers.ofInputStream());
          if (resp.statusCode() != 206) {
            resp.body().close();
            throw new IOException("GET " + uri + " " + range + ": HTTP " + resp.statusCode());
          }
          return resp.body();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted");
        }
      }
    };
  }

  private void serve(HttpExchange ex) throws IOException {
    try (ex) {
      requests.incrementAndGet();
      if (delayMillis > 0) {
        try {
          Thread.sleep(delayMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      Path file = layout.resolve(ex.getRequestURI().getPath().substring(1));
      if (!Files.isRegularFile(file)) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      long size = Files.size(file);
      long start = 0;
      long end = size - 1;
      String range = ex.getRequestHeaders().getFirst("Range");
      if (range != null) {
        Matcher m = RANGE.matcher(range);
        if (!m.matches()) {
          ex.sendResponseHeaders(416, -1);
          return;
        }
        start = Long.parseLong(m.group(1));
        end = m.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(m.group(2)));
      }
      byte[] body;
      try (FileChannel ch = FileChannel.open(file)) {
        body = Channels.newInputStream(ch.position(start)).readNBytes((int) (end - start + 1));
      }
      body = tamper.apply(body);
      ex.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + end + "/" + size);
      // counted before the client can have them: a test reads the count once its read returns
      bytes.addAndGet(body.length);
      ex.sendResponseHeaders(range != null ? 206 : 200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
