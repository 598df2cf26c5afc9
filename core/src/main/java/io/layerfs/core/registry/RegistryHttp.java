package io.layerfs.core.registry;

import io.layerfs.core.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;

/**
 * One request to a registry, with what every request needs: the registry's scheme (HTTPS; with
 * {@code tlsVerify} off, or for a loopback registry, plain HTTP for a registry that does not answer
 * TLS, found by one probe of {@code /v2/} and remembered), authentication ({@link RegistryAuth}: a
 * 401 is answered once and the request sent again), redirects (followed for {@code GET} and {@code
 * HEAD}, without the credentials when they lead to another host, as blob storage such as S3 refuses
 * them), and bounded retries with exponential backoff for transient failures: 5xx, 429 (waiting its
 * {@code Retry-After}), and connections reset, refused or timed out.
 *
 * <p>Responses come back with their body as a stream, whatever their status: callers check it
 * and turn an unexpected one into a {@link RegistryException} with {@link #error}. Thread-safe.
 */
final class RegistryHttp {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration MAX_WAIT = Duration.ofSeconds(60);
  /**
   * The longest wait for the next bytes of an answer ({@link IdleTimeout}), and for the headers
   * of a request without a body; a request with one gets its bytes' time at {@link
   * #MIN_UPLOAD_RATE} on top.
   */
  private static final Duration IDLE = Duration.ofSeconds(60);
  /** Bytes a second: an upload is given as long as sending its bytes at this rate takes. */
  private static final long MIN_UPLOAD_RATE = 64 << 10;
  private static final int MAX_REDIRECTS = 10;
  private static final int MAX_ERROR_BODY = 64 << 10;
  /**
   * The JDK HTTP client's read buffer, a system property it reads once per JVM, set here unless
   * given (or an HTTP client ran before): its default of 16 KiB made the client's single
   * selector thread, which reads every connection and passes each buffer through the client's
   * reactive pipeline, the bottleneck of a pull. With 512 KiB, layers pulled in parallel are
   * faster than one at a time (they were not), and a fresh JVM's pull of 95 MB used about 700 ms
   * of CPU instead of 1,300. The client slices its buffers for small reads, so small answers
   * do not cost 512 KiB each.
   */
  static final String READ_BUFFER = "jdk.httpclient.bufsize";
  /** The JDK's property that keeps basic credentials off a proxy's CONNECT (its default). */
  static final String TUNNELING_DISABLED_SCHEMES = "jdk.http.auth.tunneling.disabledSchemes";
  /** The JVM's proxy settings: any of them given, the environment's proxies are not read. */
  private static final List<String> JVM_PROXY_PROPERTIES = List.of("https.proxyHost",
      "http.proxyHost", "socksProxyHost", "java.net.useSystemProxies");

  static {
    if (System.getProperty(READ_BUFFER) == null) {
      System.setProperty(READ_BUFFER, String.valueOf(512 << 10));
    }
  }

  private final HttpClient http;
  private final RegistryOptions options;
  /** The longest wait before a retry, whatever the backoff or a {@code Retry-After} says. */
  private final Duration maxWait;
  private final Duration idle;
  private final RegistryAuth auth;
  private final RegistryTls tls;
  /** The environment's proxies when they are the ones used: their credentials go along. */
  private final EnvironmentProxy environmentProxy;
  /** Ours, or null for the JVM's default selector (its proxy properties). */
  private final ProxySelector proxySelector;
  private final ConcurrentMap<String, String> schemes = new ConcurrentHashMap<>();
  /** Registries a registries.conf marks insecure: plain HTTP or unverified TLS, as tlsVerify. */
  private final Set<String> insecure = ConcurrentHashMap.newKeySet();
  /** Registries that answered {@link #checkReachable}. */
  private final Set<String> reachable = ConcurrentHashMap.newKeySet();

  /**
   * A request: {@code target} is a path such as {@code /v2/NAME/manifests/TAG} on {@code
   * registry}, or an absolute URI (an upload location); {@code what} names it in errors.
   */
  record Call(String method, String registry, String target, List<String> scopes,
      Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body, String what) {}

  RegistryHttp(RegistryOptions options) {
    this(options, MAX_WAIT, IDLE);
  }

  /**
   * With waits before retries capped at {@code maxWait}, and waits for an answer's next bytes
   * at {@code idle}, instead of a minute each (for tests).
   */
  RegistryHttp(RegistryOptions options, Duration maxWait, Duration idle) {
    this.options = options;
    this.maxWait = maxWait;
    this.idle = idle;
    HttpClient.Builder builder = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER)
        // a direct executor: the client's steps that hand a body on to its reader run where they
        // come up (on its selector thread or the reader's) instead of waking a worker thread for
        // each; every request here is blocking, and nothing we hang on a response blocks
        .executor(Runnable::run);
    ProxySelector proxy = proxy(options);
    if (proxy != null) {
      builder.proxy(proxy);
    }
    this.environmentProxy = proxy instanceof EnvironmentProxy e ? e : null;
    this.proxySelector = proxy;
    if (environmentProxy != null && environmentProxy.hasCredentials()
        && System.getProperty(TUNNELING_DISABLED_SCHEMES) == null) {
      // the JDK sends no basic credentials with a CONNECT unless this is cleared (its default
      // is "Basic"); the environment asked for them, as curl and Docker send them. Read once,
      // when the JVM's first HTTP client starts: a JVM that had one before sends none.
      System.setProperty(TUNNELING_DISABLED_SCHEMES, "");
    }
    // the TLS context made when a registry answers TLS, not before: a local registry speaks
    // plain HTTP. The parameters given, the client does not ask the context for its defaults
    // when built; empty ones leave the engine's defaults (the client still checks host names).
    this.tls = new RegistryTls(options.tlsVerify(), CertsDirectories.of(options.certDirOrNull()));
    builder.sslContext(new DeferredSslContext(tls)).sslParameters(new SSLParameters());
    this.http = builder.build();
    this.auth = new RegistryAuth(http, options, idle, environmentProxy);
  }

  /**
   * The proxies of {@code options}; else none of ours when the JVM's networking properties name
   * any (the client's default selector reads them); else the environment's, if it names any.
   */
  private static ProxySelector proxy(RegistryOptions options) {
    if (options.proxyOrNull() != null) {
      return options.proxyOrNull();
    }
    for (String property : JVM_PROXY_PROPERTIES) {
      if (System.getProperty(property) != null) {
        return null;
      }
    }
    return EnvironmentProxy.of(System.getenv());
  }

  /**
   * "through the proxy HOST:PORT" when {@code uri} goes through one, else "": a refused
   * connection or an unknown host is then the proxy's, not the registry's.
   */
  private String throughProxy(URI uri) {
    ProxySelector selector = proxySelector != null ? proxySelector : ProxySelector.getDefault();
    if (selector != null) {
      for (Proxy proxy : selector.select(uri)) {
        if (proxy.type() != Proxy.Type.DIRECT
            && proxy.address() instanceof InetSocketAddress address) {
          return "through the proxy " + address.getHostString() + ":" + address.getPort();
        }
      }
    }
    return "";
  }

  /**
   * Speaks to {@code registry} as with {@code tlsVerify} off, what a registries.conf's {@code
   * insecure = true} asks for: plain HTTP where it does not answer TLS, no certificate check.
   * Before its first request only: a scheme once found is kept.
   */
  void allowInsecure(String registry) {
    if (insecure.add(registry)) {
      tls.allowInsecure(registry);
    }
  }

  RegistryAuth auth() {
    return auth;
  }

  /** Stops the HTTP client's thread and connections ({@link HttpClientShutdown}). */
  void close() {
    HttpClientShutdown.close(http);
  }

  /** The base URI of a registry's API, {@code https://HOST/} (or {@code http://} after a probe). */
  URI base(String registry) throws IOException {
    String scheme = schemes.get(registry);
    if (scheme == null) {
      if (!verifies(registry)) {
        scheme = isLoopback(registry) ? probeLoopback(registry, false) : probe(registry);
      } else if (options.loopbackHttp() && isLoopback(registry)) {
        scheme = probeLoopback(registry, true);
      } else {
        scheme = "https";
      }
      if (scheme == null) {
        return URI.create("https://" + registry + "/"); // not reached yet: asked again next time
      }
      schemes.put(registry, scheme);
    }
    return URI.create(scheme + "://" + registry + "/");
  }

  /** Whether TLS is verified for {@code registry}: not with tlsVerify off or when insecure. */
  private boolean verifies(String registry) {
    return options.tlsVerify() && !insecure.contains(registry);
  }

  /** Whether {@link #base} finds {@code registry}'s scheme with a request, not by rule. */
  private boolean probesScheme(String registry) {
    return !verifies(registry) || (options.loopbackHttp() && isLoopback(registry));
  }

  /** Sends the call (see the class comment) and returns the final response. */
  HttpResponse<InputStream> send(Call call) throws IOException {
    URI uri = call.target().startsWith("/") ? base(call.registry()).resolve(call.target())
        : URI.create(call.target());
    String method = call.method();
    int attempt = 0;
    int redirects = 0;
    boolean answered = false;
    while (true) {
      attempt++;
      HttpRequest.BodyPublisher publisher = call.body() == null
          ? HttpRequest.BodyPublishers.noBody() : call.body().get();
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).method(method, publisher);
      call.headers().forEach(request::header);
      long length = publisher.contentLength();
      if (length >= 0) {
        // until the answer's headers (IdleTimeout bounds the reads of its body): the idle time,
        // and for an upload as long again as sending its bytes at a slow link's rate takes
        request.timeout(idle.plusSeconds(length / MIN_UPLOAD_RATE));
      }
      if (sameOrigin(uri, call.registry(), schemeOf(call.registry()))) {
        String authorization = auth.authorization(call.registry(), call.scopes());
        if (authorization != null) {
          request.header("Authorization", authorization);
        }
      }
      if (environmentProxy != null) {
        String proxyAuthorization = environmentProxy.authorization(uri);
        if (proxyAuthorization != null) {
          // sent to the proxy alone (with CONNECT for HTTPS), never on to the registry
          request.header("Proxy-Authorization", proxyAuthorization);
        }
      }
      try {
        tls.prepare(uri); // its certs.d files read now: a bad one is named, not a handshake
      } catch (IOException e) {
        throw new IOException("registry " + call.registry() + ": " + call.what() + ": "
            + e.getMessage(), e);
      }
      HttpResponse<InputStream> response;
      try {
        response = http.send(request.build(), IdleTimeout.bodies(idle,
            "registry " + call.registry() + ": " + call.what()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(call.what() + ": interrupted");
      } catch (IOException e) {
        if (e instanceof javax.net.ssl.SSLException) {
          throw new IOException("registry " + call.registry() + ": " + call.what() + ": TLS: "
              + e.getMessage() + tlsHint(e, call.registry()), e);
        }
        if (attempt < options.maxAttempts() && !unknownHost(e) && !(e instanceof
            InterruptedIOException && Thread.currentThread().isInterrupted())) {
          pause(backoff(attempt), call);
          continue;
        }
        String proxy = throughProxy(uri);
        throw new IOException("registry " + call.registry() + ": " + call.what() + ": "
            + describe(e) + (attempt > 1 ? " (after " + attempt + " attempts)" : "")
            + (proxy.isEmpty() ? "" : " (" + proxy + ")"), e);
      }
      int status = response.statusCode();
      if (response.body() == null) {
        // the JDK's client answers a CONNECT the proxy refused with its status and no body
        throw new IOException("registry " + call.registry() + ": " + call.what() + ": the proxy"
            + " refused the tunnel: HTTP " + status + (status == 407 ? " (proxy authentication"
            + " required: its USER:PASSWORD go in HTTPS_PROXY, http://USER:PASSWORD@HOST:PORT)"
            : ""));
      }
      if (status == 401 && !answered
          && sameOrigin(uri, call.registry(), schemeOf(call.registry()))) {
        answered = true;
        List<String> challenges = response.headers().allValues("WWW-Authenticate");
        byte[] body = readError(response);
        auth.refused(call.registry(), call.scopes());
        if (auth.answer(call.registry(), call.scopes(), challenges)) {
          attempt--;
          continue;
        }
        RegistryException refused = RegistryException.of(call.registry(), call.what(), status,
            body);
        String unanswerable = RegistryAuth.unanswerable(challenges);
        throw unanswerable == null ? refused
            : new RegistryException(refused.getMessage() + " (" + unanswerable + ")", status);
      }
      if ((status >= 500 || status == 429) && attempt < options.maxAttempts()) {
        Duration wait = retryAfter(response, maxWait).orElse(backoff(attempt));
        discard(response);
        pause(wait, call);
        continue;
      }
      if (isRedirect(status) && (method.equals("GET") || method.equals("HEAD"))) {
        Optional<String> location = response.headers().firstValue("Location");
        if (location.isPresent()) {
          discard(response);
          if (redirects++ == MAX_REDIRECTS) {
            throw new IOException("registry " + call.registry() + ": " + call.what()
                + ": more than " + MAX_REDIRECTS + " redirects, the last to " + location.get());
          }
          uri = uri.resolve(location.get());
          attempt = 0;
          continue;
        }
      }
      return response;
    }
  }

  /** The response as the error it is: its body read (a little of it) and closed. */
  RegistryException error(HttpResponse<InputStream> response, Call call) {
    byte[] body = readError(response);
    return RegistryException.of(call.registry(), call.what(), response.statusCode(), body);
  }

  /**
   * Reads a whole JSON body (a manifest, a tag list) of at most {@code limits.jsonBytes()}
   * bytes; a larger one is the {@code jsonBytes} limit's error, which says how to raise it.
   */
  static byte[] readJson(HttpResponse<InputStream> response, Limits limits, Call call)
      throws IOException {
    long max = limits.jsonBytes();
    try (InputStream in = response.body()) {
      byte[] data = in.readNBytes((int) max + 1);
      if (data.length > max) {
        throw limits.exceeded("jsonBytes", "registry " + call.registry() + ": " + call.what()
            + ": answer larger than " + max + " bytes");
      }
      return data;
    }
  }

  static void discard(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      in.skip(MAX_ERROR_BODY);
    } catch (IOException e) {
      // the connection is dropped rather than reused: nothing else to do
    }
  }

  private static byte[] readError(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      return in.readNBytes(MAX_ERROR_BODY);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /**
   * A registry on this host ({@code localhost}, 127.0.0.0/8, {@code [::1]}): {@link
   * #probeLoopback} finds its scheme, plain HTTP first, as Docker treats such registries as
   * insecure by default.
   */
  static boolean isLoopback(String registry) {
    String host = registry.startsWith("[") ? registry.substring(0, registry.indexOf(']') + 1)
        : registry.contains(":") ? registry.substring(0, registry.lastIndexOf(':')) : registry;
    if (host.matches("\\[[0-9a-fA-F:]+\\]")) {
      try {
        // a literal in brackets is parsed, never looked up: [::1], [0:0:0:0:0:0:0:1]
        return java.net.InetAddress.getByName(host).isLoopbackAddress();
      } catch (java.net.UnknownHostException e) {
        return false;
      }
    }
    return host.equals("localhost")
        || host.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
  }

  /**
   * The scheme of a loopback registry, as Docker allows for the registries it treats as
   * insecure: plain HTTP when a registry answers {@code /v2/} there, else HTTPS; null when
   * nothing answers yet (a refused connection), so the request retries and the next one asks
   * again. A TLS server answers the plain request with a 400 (as the distribution server and
   * nginx do) or hangs up. With {@code tlsVerify} on, only a 200 or a 401 asking for credentials
   * counts as a registry's answer, as the HTTPS taken otherwise is verified; with it off, any
   * answer but a 400 does, as any server was spoken to in plain HTTP before TLS was probed for.
   * Plain HTTP is asked first, unlike Docker: nothing leaves the machine, a registry that does
   * not answer a TLS hello (as the JDK's own HTTP server does not) would cost the whole connect
   * timeout, and a local registry needs no TLS context made.
   */
  private String probeLoopback(String registry, boolean verify) throws IOException {
    try {
      int status = probeStatus("http://" + registry + "/v2/");
      boolean registryAnswered = verify ? status == 200 || status == 401
          : status != 400;
      return registryAnswered ? "http" : "https";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("registry " + registry + ": interrupted");
    } catch (java.net.ConnectException e) {
      return null;
    } catch (IOException notHttp) {
      return "https";
    }
  }

  private String probe(String registry) throws IOException {
    IOException tlsFailure;
    try {
      probeStatus("https://" + registry + "/v2/");
      return "https";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("registry " + registry + ": interrupted");
    } catch (IOException e) {
      tlsFailure = e;
    }
    try {
      probeStatus("http://" + registry + "/v2/");
      return "http";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("registry " + registry + ": interrupted");
    } catch (IOException e) {
      String https = throughProxy(URI.create("https://" + registry + "/v2/"));
      String http = throughProxy(URI.create("http://" + registry + "/v2/"));
      IOException failure = new IOException("registry " + registry
          + ": answers neither HTTPS (" + describe(tlsFailure) + (https.isEmpty() ? "" : ", "
          + https) + ") nor HTTP (" + describe(e) + (http.isEmpty() ? "" : ", " + http) + ")",
          e);
      failure.addSuppressed(tlsFailure);
      throw failure;
    }
  }

  /**
   * Fails at once, naming why, when {@code registry} cannot be connected to (a refused
   * connection, an unknown host, no answer within the connect timeout); any answer, an error or a
   * failed handshake too, passes. Asked once per registry and client, without retries: a mirror
   * that is down is passed over for the next place a pull may go, as containers/image pings each
   * place before it asks it.
   */
  void checkReachable(String registry) throws IOException {
    if (reachable.contains(registry)) {
      return;
    }
    URI uri = URI.create("https://" + registry + "/v2/");
    try {
      boolean asked = !schemes.containsKey(registry) && probesScheme(registry);
      uri = base(registry).resolve("/v2/");
      if (asked && schemes.containsKey(registry)) {
        reachable.add(registry); // base's probe had an answer: no second request
        return;
      }
      probeStatus(uri.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("registry " + registry + ": interrupted");
    } catch (IOException e) {
      if (unknownHost(e) || connectFailed(e)) {
        String proxy = throughProxy(uri);
        throw new IOException("registry " + registry + ": " + describe(e)
            + (proxy.isEmpty() ? "" : " (" + proxy + ")"), e);
      }
    }
    reachable.add(registry);
  }

  private static boolean connectFailed(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException
          || t instanceof java.net.http.HttpConnectTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /**
   * The status of a {@code GET} of {@code uri}. Its body is not read: the timeout bounds the wait
   * for the headers only, and a body that never ended held a probe that waited for it forever.
   */
  private int probeStatus(String uri) throws IOException, InterruptedException {
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(uri))
        .timeout(PROBE_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    if (r.body() != null) { // none when a proxy refused the tunnel
      r.body().close();
    }
    return r.statusCode();
  }

  /**
   * What to do about a failed handshake: an alert, or the registry hanging up, is the registry
   * refusing this client (most often a client certificate it asked for and did not get: the
   * distribution server sends an alert, the JDK's hangs up); a check of ours that failed wants
   * the registry's authority.
   */
  private String tlsHint(IOException e, String registry) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (message.startsWith("Received fatal alert")
        || message.equals("Remote host terminated the handshake")) {
      return " (the registry refused the connection; one that asks for a client certificate"
          + " gets NAME.cert and NAME.key from /etc/docker/certs.d/" + registry + "/ or a"
          + " directory given with --cert-dir)";
    }
    return options.tlsVerify() ? " (a registry's own certificate authority goes in"
        + " /etc/docker/certs.d/" + registry + "/ca.crt, or in a directory given with"
        + " --cert-dir; --tls-verify=false skips certificate checks and allows plain HTTP)" : "";
  }

  private Duration backoff(int attempt) {
    Duration wait = options.backoff().multipliedBy(1L << Math.min(attempt - 1, 10));
    return wait.compareTo(maxWait) > 0 ? maxWait : wait;
  }

  private static Optional<Duration> retryAfter(HttpResponse<?> response, Duration max) {
    return response.headers().firstValue("Retry-After")
        .flatMap(value -> retryAfter(value, max, Instant.now()));
  }

  /**
   * A {@code Retry-After} of {@code value} at {@code now}, at most {@code max}: seconds, or an
   * HTTP date (RFC 9110 allows both; a date past is no wait); empty for anything else, which the
   * backoff then stands for.
   */
  static Optional<Duration> retryAfter(String value, Duration max, Instant now) {
    Duration wait;
    try {
      wait = Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
            .toInstant();
        wait = at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
      } catch (DateTimeException notADate) {
        return Optional.empty();
      }
    }
    return Optional.of(wait.compareTo(max) > 0 ? max : wait);
  }

  private static void pause(Duration wait, Call call) throws IOException {
    try {
      Thread.sleep(wait.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(call.what() + ": interrupted while waiting to retry");
    }
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  /**
   * Whether {@code uri} is the registry's own: its host and port, in the scheme the registry is
   * spoken to in. Only there are credentials sent: a redirect to another host, or from HTTPS to
   * plain HTTP on the same one, gets none.
   */
  static boolean sameOrigin(URI uri, String registry, String scheme) {
    String authority = uri.getRawAuthority();
    return authority != null && authority.equalsIgnoreCase(registry)
        && scheme.equalsIgnoreCase(uri.getScheme());
  }

  /** The scheme the registry is spoken to in: HTTPS until a probe found plain HTTP. */
  private String schemeOf(String registry) {
    String scheme = schemes.get(registry);
    return scheme == null ? "https" : scheme;
  }

  /** A name that does not resolve: retrying will not help. */
  private static boolean unknownHost(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.UnknownHostException
          || t instanceof java.nio.channels.UnresolvedAddressException) {
        return true;
      }
    }
    return false;
  }

  static String describe(IOException e) {
    if (unknownHost(e)) {
      return "unknown host";
    }
    String message = e.getMessage();
    String kind = e.getClass().getSimpleName();
    if (e instanceof java.net.ConnectException && (message == null || message.isBlank())) {
      return "connection refused";
    }
    return message == null || message.isBlank() ? kind : kind + ": " + message;
  }
}
