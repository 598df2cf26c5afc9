package io.layerfs.core.lazy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.layerfs.core.Digest;
import io.layerfs.core.RangedBlob;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback HTTP server that serves the blobs of an OCI layout at {@code /blobs/ALG/HEX} with
 * {@code Range} requests (206, as a registry does), counting the requests and the bytes it
 * sends, and holding its responses at a given byte until released ({@link #holdAfter}); and a
 * {@link RangedBlob} client of it over the JDK's {@code HttpClient}. A test stand-in for a
 * registry's blob endpoint.
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
  private volatile java.util.function.BiFunction<Long, byte[], byte[]> tamperAt = (at, b) -> b;
  private volatile long delayMillis;
  /** Guards the hold: {@link #holdAt}, {@link #sent} and {@link #held}. */
  private final Object gate = new Object();
  private long holdAt = Long.MAX_VALUE;
  private long sent;
  private int held;

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

  /** Holds every response from now on for this long (a slow registry). */
  void delay(long millis) {
    this.delayMillis = millis;
  }

  void reset() {
    bytes.set(0);
    requests.set(0);
    synchronized (gate) {
      sent = 0;
    }
  }

  /**
   * From now on, responses stop sending once {@code limit} bytes were sent since the last
   * {@link #reset} (in the middle of the response that reaches it) and wait for {@link
   * #release}: a client held at a known point, whatever the machine's load.
   */
  void holdAfter(long limit) {
    synchronized (gate) {
      holdAt = limit;
      gate.notifyAll();
    }
  }

  /** Lets held responses, and all later ones, go on. */
  void release() {
    holdAfter(Long.MAX_VALUE);
  }

  /** Waits until a response is held by {@link #holdAfter} (60 s at most: a hung test fails). */
  void awaitHeld() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    synchronized (gate) {
      while (held == 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no response reached the hold in 60 s: " + sent
              + " bytes sent, held after " + holdAt);
        }
        TimeUnit.NANOSECONDS.timedWait(gate, left);
      }
    }
  }

  /** How many of {@code want} bytes may be sent now; 0 at the hold. */
  private int admit(int want) {
    synchronized (gate) {
      int n = (int) Math.min(want, Math.max(0, holdAt - sent));
      sent += n;
      return n;
    }
  }

  private void awaitRelease() throws InterruptedIOException {
    synchronized (gate) {
      held++;
      gate.notifyAll();
      try {
        while (sent >= holdAt) {
          gate.wait();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("closed while held");
      } finally {
        held--;
      }
    }
  }

  /** Changes the bytes of every response from now on (a hostile or broken registry). */
  void tamper(UnaryOperator<byte[]> t) {
    this.tamper = t;
  }

  /**
   * Changes the bytes of every response from now on, given the blob offset each starts at:
   * {@code t} returns the bytes to send (a registry that sends some bytes of a blob wrong).
   */
  void tamperAt(java.util.function.BiFunction<Long, byte[], byte[]> t) {
    this.tamperAt = t;
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
      body = tamperAt.apply(start, tamper.apply(body));
      ex.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + end + "/" + size);
      // counted before the client can have them: a test reads the count once its read returns
      bytes.addAndGet(body.length);
      ex.sendResponseHeaders(range != null ? 206 : 200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        for (int off = 0; off < body.length; ) {
          int n = admit(body.length - off);
          if (n == 0) {
            out.flush(); // the client has what was sent before the hold
            awaitRelease();
            continue;
          }
          out.write(body, off, n);
          off += n;
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    executor.shutdownNow();
  }
}
