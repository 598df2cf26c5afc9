package io.layerfs.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A loopback HTTP proxy in front of a registry, for the tests of what a client must survive:
 * faults injected into chosen requests (a status such as 503, a body cut off part way with the
 * connection dropped, a body with one byte flipped, a status answered after the registry took
 * the request, as a gateway that timed out answers), and optionally bearer-token authentication
 * with a token server of its own at {@code /token} (basic credentials required there when set).
 * It logs every request it sees. {@code Location} headers of the registry are rewritten to point
 * at the proxy.
 */
final class RegistryProxy implements AutoCloseable {
  private static final Set<String> HOP_HEADERS = Set.of("connection", "content-length",
      "transfer-encoding", "host", "authorization", "upgrade", "keep-alive", "date");

  /** A request as the proxy saw it. */
  record Seen(String method, String path, String range, String authorization) {}

  /** What to do to a request: see the class comment. */
  record Fault(String method, Predicate<String> path, int status, long cutAfter, boolean corrupt,
      boolean forwarded, AtomicInteger times) {
    static Fault status(String method, Predicate<String> path, int status, int times) {
      return new Fault(method, path, status, -1, false, false, new AtomicInteger(times));
    }

    /** The request reaches the registry; its answer is replaced by {@code status}. */
    static Fault lostAnswer(String method, Predicate<String> path, int status, int times) {
      return new Fault(method, path, status, -1, false, true, new AtomicInteger(times));
    }

    static Fault cut(String method, Predicate<String> path, long after, int times) {
      return new Fault(method, path, 0, after, false, false, new AtomicInteger(times));
    }

    static Fault corrupt(String method, Predicate<String> path, int times) {
      return new Fault(method, path, 0, -1, true, false, new AtomicInteger(times));
    }
  }

  private final String upstream;
  private final HttpServer server;
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER).build();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  private final List<Gate> gates = new CopyOnWriteArrayList<>();
  private final Set<String> tokens = ConcurrentHashMap.newKeySet();
  private final AtomicInteger tokenRequests = new AtomicInteger();
  private volatile boolean bearer;
  private volatile String tokenUser;
  private volatile String tokenPassword;
  private volatile String refreshToken;
  private final List<String> tokenForms = new CopyOnWriteArrayList<>();

  RegistryProxy(String upstream) throws IOException {
    this.upstream = upstream;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/token", this::token);
    server.createContext("/", this::forward);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "registry-proxy");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  /** {@code 127.0.0.1:PORT}. */
  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** Requires bearer tokens from {@code /token}, which requires these credentials (or none). */
  void requireTokens(String user, String password) {
    tokenUser = user;
    tokenPassword = password;
    bearer = true;
  }

  /**
   * Also accepts, as OAuth2 token servers do, a {@code POST} of a {@code refresh_token} grant with
   * this token (a Docker identity token) at {@code /token}.
   */
  void acceptRefreshToken(String token) {
    refreshToken = token;
  }

  /** The forms posted to {@code /token}, as sent. */
  List<String> tokenForms() {
    return new ArrayList<>(tokenForms);
  }

  void add(Fault fault) {
    faults.add(fault);
  }

  /**
   * Holds every {@code GET} of a path {@code path} accepts until {@code release} opens: {@code
   * entered} counts each one down on arrival, so a test knows a client is waiting there.
   */
  void gate(Predicate<String> path, CountDownLatch entered, CountDownLatch release) {
    gates.add(new Gate(path, entered, release));
  }

  private record Gate(Predicate<String> path, CountDownLatch entered, CountDownLatch release) {}

  List<Seen> seen() {
    return new ArrayList<>(seen);
  }

  void clear() {
    seen.clear();
    faults.clear();
  }

  int tokenRequests() {
    return tokenRequests.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void token(HttpExchange exchange) throws IOException {
    tokenRequests.incrementAndGet();
    try (exchange) {
      if (exchange.getRequestMethod().equals("POST")) {
        String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        tokenForms.add(form);
        String expected = refreshToken == null ? null
            : "refresh_token=" + URLEncoder.encode(refreshToken, StandardCharsets.UTF_8);
        if (expected == null || !form.contains("grant_type=refresh_token")
            || !List.of(form.split("&")).contains(expected)) {
          send(exchange, 401, "{\"error\":\"invalid_grant\"}");
          return;
        }
        String token = UUID.randomUUID().toString();
        tokens.add(token);
        send(exchange, 200, "{\"access_token\":\"" + token + "\",\"expires_in\":300,"
            + "\"refresh_token\":\"" + refreshToken + "\"}");
        return;
      }
      if (tokenUser != null) {
        String expected = "Basic " + Base64.getEncoder().encodeToString(
            (tokenUser + ":" + tokenPassword).getBytes(StandardCharsets.UTF_8));
        if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
          send(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\","
              + "\"message\":\"bad credentials for the token server\"}]}");
          return;
        }
      }
      String token = UUID.randomUUID().toString();
      tokens.add(token);
      send(exchange, 200, "{\"token\":\"" + token + "\",\"expires_in\":300}");
    }
  }

  private void forward(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      URI uri = exchange.getRequestURI();
      String path = uri.getRawPath();
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      seen.add(new Seen(method, path, exchange.getRequestHeaders().getFirst("Range"),
          authorization));
      byte[] requestBody = exchange.getRequestBody().readAllBytes();
      if (bearer && !path.equals("/v2/") && (authorization == null
          || !authorization.startsWith("Bearer ")
          || !tokens.contains(authorization.substring(7)))) {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://"
            + address() + "/token\",service=\"layerfs-test\"");
        send(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\","
            + "\"message\":\"authentication required\"}]}");
        return;
      }
      for (Gate g : gates) {
        if (method.equals("GET") && g.path().test(path)) {
          g.entered().countDown();
          try {
            if (!g.release().await(300, TimeUnit.SECONDS)) {
              throw new IOException("the test never released " + path);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
          }
        }
      }
      Fault fault = null;
      for (Fault f : faults) {
        if (f.method().equals(method) && f.path().test(path)
            && f.times().getAndDecrement() > 0) {
          fault = f;
          break;
        }
      }
      if (fault != null && fault.status() > 0 && !fault.forwarded()) {
        exchange.getResponseHeaders().add("Retry-After", "0");
        send(exchange, fault.status(), "{\"errors\":[{\"code\":\"UNAVAILABLE\","
            + "\"message\":\"injected by the test\"}]}");
        return;
      }
      HttpRequest.Builder request = HttpRequest.newBuilder(
          URI.create("http://" + upstream + uri.getRawPath()
              + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())))
          .method(method, requestBody.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(requestBody));
      exchange.getRequestHeaders().forEach((name, values) -> {
        if (!HOP_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
          values.forEach(v -> request.header(name, v));
        }
      });
      HttpResponse<InputStream> response;
      try {
        response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      byte[] body;
      try (InputStream in = response.body()) {
        body = in.readAllBytes();
      }
      if (fault != null && fault.forwarded()) {
        exchange.getResponseHeaders().add("Retry-After", "0");
        send(exchange, fault.status(), "{\"errors\":[{\"code\":\"UNAVAILABLE\","
            + "\"message\":\"answer lost, injected by the test\"}]}");
        return;
      }
      for (Map.Entry<String, List<String>> h : response.headers().map().entrySet()) {
        String name = h.getKey().toLowerCase(Locale.ROOT);
        if (HOP_HEADERS.contains(name) || name.equals(":status")) {
          continue;
        }
        for (String v : h.getValue()) {
          exchange.getResponseHeaders().add(h.getKey(),
              name.equals("location") ? v.replace(upstream, address()) : v);
        }
      }
      int status = response.statusCode();
      if (method.equals("HEAD")) {
        response.headers().firstValue("Content-Length")
            .ifPresent(v -> exchange.getResponseHeaders().set("Content-Length", v));
        exchange.sendResponseHeaders(status, -1);
        return;
      }
      if (fault != null && fault.corrupt() && body.length > 0) {
        body[body.length / 2] ^= 0x55;
      }
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        OutputStream out = exchange.getResponseBody();
        if (fault != null && fault.cutAfter() >= 0) {
          out.write(body, 0, (int) Math.min(fault.cutAfter(), body.length));
          out.flush();
          // an exception out of the handler makes the server drop the connection
          throw new IOException("connection cut by the test after " + fault.cutAfter()
              + " bytes");
        }
        out.write(body);
      }
    }
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }
}
