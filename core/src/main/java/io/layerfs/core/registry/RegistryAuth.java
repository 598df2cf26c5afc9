package io.layerfs.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerfs.core.internal.Printable;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Answers registries' {@code WWW-Authenticate} challenges as the Docker client does: {@code
 * Basic} with the registry's credentials (remembered, so later requests send them at once);
 * {@code Bearer} with a token fetched from the challenge's {@code realm} (a {@code GET} with
 * {@code service} and one {@code scope} per repository and actions, with basic credentials when
 * there are any, anonymous otherwise; with an identity token, an OAuth2 {@code POST} of a {@code
 * refresh_token} grant, as the Docker client sends it), cached per registry and scopes until its
 * {@code expires_in} (60 s when not given or not positive, a day at most) is nearly over.
 *
 * <p>Thread-safe: two threads may fetch the same token at once; the later one wins the cache.
 */
final class RegistryAuth {
  private static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);
  // a token that expires in the middle of a request is refused: renew a little early
  private static final Duration MARGIN = Duration.ofSeconds(10);
  // a longer expires_in is not believed (one near Long.MAX_VALUE overflowed the clock): a token
  // is kept a day at most, and one the registry refuses before is fetched again anyway
  private static final Duration MAX_LIFETIME = Duration.ofDays(1);
  private static final int MAX_TOKEN_RESPONSE = 1 << 20;

  /** The environment's proxies: a token request sends their credentials too. */
  private final EnvironmentProxy proxyOrNull;
  private final HttpClient http;
  private final RegistryOptions options;
  /** The longest wait for a token server's headers, and then for each of its next bytes. */
  private final Duration idle;
  private final ConcurrentMap<String, Token> tokens = new ConcurrentHashMap<>();
  private final Set<String> basicRegistries = ConcurrentHashMap.newKeySet();
  private volatile DockerConfig dockerConfig;
  private final Set<String> withheld = ConcurrentHashMap.newKeySet();

  private record Token(String header, Instant expires) {}

  RegistryAuth(HttpClient http, RegistryOptions options, Duration idle,
      EnvironmentProxy proxyOrNull) {
    this.http = http;
    this.options = options;
    this.idle = idle;
    this.dockerConfig = options.dockerConfig();
    this.proxyOrNull = proxyOrNull;
  }

  /** The {@code Authorization} header to send, or null for none (yet). */
  String authorization(String registry, List<String> scopes) throws IOException {
    Token token = tokens.get(key(registry, scopes));
    if (token != null && Instant.now().isBefore(token.expires())) {
      return token.header();
    }
    if (basicRegistries.contains(registry)) {
      Optional<Credentials> c = credentials(registry);
      return c.map(Credentials::basicHeader).orElse(null);
    }
    return null;
  }

  /**
   * Prepares the answer to a 401's challenges, so that {@link #authorization} then returns it.
   *
   * @return false when it cannot be answered (basic auth without credentials, an unknown scheme,
   *     no challenge): the 401 stands
   * @throws IOException when the token server fails, naming it and its status
   */
  boolean answer(String registry, List<String> scopes, List<String> challenges)
      throws IOException {
    for (String header : challenges) {
      Optional<AuthChallenge> parsed = AuthChallenge.parse(header);
      if (parsed.isEmpty()) {
        continue;
      }
      AuthChallenge c = parsed.get();
      if (c.scheme().equals("bearer") && c.param("realm") != null) {
        Token token = fetchToken(registry, c, scopes);
        tokens.put(key(registry, scopes), token);
        return true;
      }
      if (c.scheme().equals("basic")) {
        Optional<Credentials> creds = credentials(registry);
        if (creds.isEmpty() || creds.get().isIdentityToken()
            || basicRegistries.contains(registry)) {
          return false; // none to send (a token is for token servers), or they were refused
        }
        basicRegistries.add(registry);
        return true;
      }
    }
    return false;
  }

  /**
   * What an error should add about {@code challenges} when none of them is one layerfs answers
   * (a {@code Bearer} with a realm, or {@code Basic}): that there was none, or the first as the
   * registry sent it, shortened and its control characters shown; null when one is.
   */
  static String unanswerable(List<String> challenges) {
    for (String header : challenges) {
      Optional<AuthChallenge> c = AuthChallenge.parse(header);
      if (c.isPresent() && (c.get().scheme().equals("basic")
          || c.get().scheme().equals("bearer") && c.get().param("realm") != null)) {
        return null;
      }
    }
    if (challenges.isEmpty()) {
      return "no WWW-Authenticate challenge came with it";
    }
    String first = challenges.get(0);
    first = first.length() > 200 ? first.substring(0, 200) + "..." : first;
    return "its WWW-Authenticate challenge was not understood: " + Printable.shown(first);
  }

  /** Forgets a token the registry refused, so the next 401 fetches a new one. */
  void refused(String registry, List<String> scopes) {
    tokens.remove(key(registry, scopes));
  }

  /**
   * The credentials given ({@code --creds}) do not go to {@code registry}, a mirror or location
   * another host than the one they were given for (as containers/image withholds them); its
   * Docker config entry does.
   */
  void withholdGivenCredentials(String registry) {
    withheld.add(registry);
  }

  Optional<Credentials> credentials(String registry) throws IOException {
    if (options.credentialsOrNull() != null && !withheld.contains(registry)) {
      return Optional.of(options.credentialsOrNull());
    }
    DockerConfig config = dockerConfig;
    if (config == null) {
      config = DockerConfig.read(DockerConfig.defaultFile());
      dockerConfig = config;
    }
    return config.lookup(registry);
  }

  private Token fetchToken(String registry, AuthChallenge challenge, List<String> scopes)
      throws IOException {
    String realm = challenge.param("realm");
    String service = challenge.param("service");
    List<String> asked = scopes.isEmpty() && challenge.param("scope") != null
        ? List.of(challenge.param("scope").split(" ")) : scopes;
    URI uri;
    try {
      uri = URI.create(realm);
    } catch (IllegalArgumentException e) {
      throw new IOException("registry " + registry + ": bad token realm '" + realm + "'", e);
    }
    if (options.tlsVerify() && !"https".equals(uri.getScheme()) && !(options.loopbackHttp()
        && uri.getRawAuthority() != null && RegistryHttp.isLoopback(uri.getRawAuthority()))) {
      throw new IOException("registry " + registry + ": token realm " + realm
          + " is not HTTPS (allowed only with tls-verify=false, or on a loopback address)");
    }
    StringBuilder params = new StringBuilder();
    if (service != null) {
      params.append("service=").append(encode(service));
    }
    Optional<Credentials> creds = credentials(registry);
    HttpRequest.Builder request;
    if (creds.isPresent() && creds.get().isIdentityToken()) {
      // OAuth2 as the Docker client asks: a refresh_token grant in a form, the scopes in one
      if (!asked.isEmpty()) {
        params.append(params.length() == 0 ? "" : "&").append("scope=")
            .append(encode(String.join(" ", asked)));
      }
      params.append(params.length() == 0 ? "" : "&")
          .append("grant_type=refresh_token&client_id=layerfs&refresh_token=")
          .append(encode(creds.get().password()));
      request = HttpRequest.newBuilder(uri)
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(params.toString(), StandardCharsets.UTF_8));
    } else {
      for (String scope : asked) {
        params.append(params.length() == 0 ? "" : "&").append("scope=").append(encode(scope));
      }
      try {
        uri = params.length() == 0 ? uri
            : URI.create(realm + (realm.contains("?") ? "&" : "?") + params);
      } catch (IllegalArgumentException e) {
        throw new IOException("registry " + registry + ": bad token realm '" + realm + "'", e);
      }
      request = HttpRequest.newBuilder(uri).GET();
      if (creds.isPresent()) {
        request.header("Authorization", creds.get().basicHeader());
      }
    }
    request.timeout(idle);
    String proxyAuthorization = proxyOrNull == null ? null : proxyOrNull.authorization(uri);
    if (proxyAuthorization != null) {
      request.header("Proxy-Authorization", proxyAuthorization);
    }
    HttpResponse<InputStream> response;
    byte[] body;
    try {
      response = http.send(request.build(), IdleTimeout.bodies(idle, null));
      // a byte past the limit is enough to refuse: an answer that never ends fills no memory;
      // none at all when a proxy refused the tunnel
      try (InputStream in = response.body()) {
        body = in == null ? new byte[0] : in.readNBytes(MAX_TOKEN_RESPONSE + 1);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while fetching a token from " + realm);
    } catch (IOException e) {
      throw new IOException("registry " + registry + ": token server " + realm + ": "
          + e.getMessage(), e);
    }
    if (response.statusCode() != 200) {
      throw new RegistryException("registry " + registry + ": token server " + realm + ": HTTP "
          + response.statusCode() + " " + RegistryException.describe(response.statusCode(), body)
          + (creds.isEmpty() ? " (no credentials given)" : creds.get().isIdentityToken()
          ? " (with an identity token)" : " (as " + creds.get().username() + ")"),
          response.statusCode());
    }
    if (body.length > MAX_TOKEN_RESPONSE) {
      throw new IOException("registry " + registry + ": token server " + realm
          + " answered with more than " + MAX_TOKEN_RESPONSE + " bytes");
    }
    JsonNode json;
    try {
      json = OciJson.readTree(body);
    } catch (IOException e) {
      throw new IOException("registry " + registry + ": token server " + realm
          + " did not answer JSON", e);
    }
    String token = json == null ? "" : json.path("token").asText("");
    if (token.isEmpty()) {
      token = json == null ? "" : json.path("access_token").asText("");
    }
    if (token.isEmpty()) {
      throw new IOException("registry " + registry + ": token server " + realm
          + " answered without a token");
    }
    long seconds = json.path("expires_in").asLong(0);
    Duration lifetime = seconds <= 0 ? DEFAULT_LIFETIME
        : Duration.ofSeconds(Math.min(seconds, MAX_LIFETIME.toSeconds()));
    Instant expires = Instant.now().plus(lifetime);
    expires = lifetime.compareTo(MARGIN.multipliedBy(2)) > 0 ? expires.minus(MARGIN) : expires;
    return new Token("Bearer " + token, expires);
  }

  private static String key(String registry, List<String> scopes) {
    return registry + " " + String.join(" ", scopes);
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
