package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Progress;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls through an HTTP proxy ({@link TestProxy}) named as Docker and skopeo read it, {@code
 * HTTPS_PROXY}, {@code HTTP_PROXY} and {@code NO_PROXY} ({@link EnvironmentProxy}): HTTPS
 * tunnels with {@code CONNECT}, plain HTTP goes in absolute form, the proxy's credentials go to
 * the proxy and never on to the registry, and {@code NO_PROXY} and loopback registries go
 * direct. The registry is named {@code registry.test}, which only the proxy resolves.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistryProxyTest {
  @TempDir static Path keys;
  /** A key whose certificate names registry.test and auth.test. */
  private static Path named;

  @TempDir Path tmp;
  private HostileRegistry registry;
  private TestProxy proxy;
  private Store store;

  @BeforeAll
  static void makeKeys() throws Exception {
    named = TestKeys.keyStore(keys, "named", "SAN=dns:registry.test,dns:auth.test");
  }

  @AfterEach
  void stop() throws IOException {
    if (store != null) {
      store.close();
    }
    if (registry != null) {
      registry.close();
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  /**
   * In a JVM of its own, as the JDK reads the property that lets basic credentials go with a
   * CONNECT once, when its first HTTP client starts: {@code HTTPS_PROXY} in the environment,
   * with credentials; and without them, a 407 said as such.
   */
  @Test
  void httpsGoesThroughTheEnvironmentsProxyWithConnectAndItsCredentialsStayThere()
      throws Exception {
    String ref = serve(true);
    AtomicBoolean leaked = new AtomicBoolean();
    // on a host of its own, as Docker Hub's auth.docker.io: a tunnel of its own through the proxy
    String realm = "https://auth.test:" + ref.substring(ref.indexOf(':') + 1, ref.indexOf('/'))
        + "/token";
    registry.hostile = (exchange, request) -> {
      leaked.compareAndSet(false,
          exchange.getRequestHeaders().containsKey("Proxy-Authorization"));
      // a bearer token from the registry's own token server, also reached through the proxy
      if (request.path().equals("/token")) {
        registry.send(exchange, 200, "application/json",
            "{\"token\":\"t\"}".getBytes(StandardCharsets.UTF_8));
        return true;
      }
      if (!"Bearer t".equals(request.authorization())) {
        exchange.getResponseHeaders().set("WWW-Authenticate",
            "Bearer realm=\"" + realm + "\",service=\"test\"");
        registry.send(exchange, 401, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        return true;
      }
      return false;
    };
    String credentials = "Basic " + Base64.getEncoder()
        .encodeToString("alice:s:cret".getBytes(StandardCharsets.UTF_8));
    proxy = new TestProxy(credentials);
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(TestKeys.certificate(named), certs.resolve("ca.crt"));

    Pulled none = pullInJvm(tmp.resolve("none"), ref, certs, proxy.url(null));
    assertEquals(1, none.exit(), none.output());
    assertTrue(none.output().contains("the proxy refused the tunnel: HTTP 407 (proxy"
        + " authentication required"), none.output());

    Pulled pulled = pullInJvm(tmp.resolve("pulled"), ref, certs, proxy.url("alice:s%3Acret"));
    assertEquals(0, pulled.exit(), pulled.output());
    assertEquals(ref, pulled.output().strip());
    for (TestProxy.Seen seen : proxy.seen) {
      assertTrue(seen.requestLine().startsWith("CONNECT registry.test:")
          || seen.requestLine().startsWith("CONNECT auth.test:"), seen.toString());
    }
    assertTrue(proxy.seen.stream().anyMatch(s -> s.requestLine().startsWith("CONNECT auth.test:")
        && credentials.equals(s.authorizationOrNull())), proxy.seen.toString());
    assertTrue(proxy.seen.stream().anyMatch(s -> credentials.equals(s.authorizationOrNull())),
        proxy.seen.toString());
    assertFalse(registry.requests("/token").isEmpty(), "no token was asked for");
    assertFalse(leaked.get(), "the proxy's credentials reached the registry");
  }

  private record Pulled(int exit, String output) {}

  /** Runs {@link #main} in a new JVM with {@code HTTPS_PROXY} set to {@code proxyUrl}. */
  private static Pulled pullInJvm(Path store, String ref, Path certs, String proxyUrl)
      throws Exception {
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), RegistryProxyTest.class.getName(),
        store.toString(), ref, certs.toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.toLowerCase(Locale.ROOT).endsWith("_proxy"));
    builder.environment().put("HTTPS_PROXY", proxyUrl);
    Process p = builder.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Pulled(p.waitFor(), output);
  }

  /** Pulls {@code REF} into store {@code STORE} trusting {@code CERTS}; prints the tag. */
  public static void main(String[] args) throws IOException {
    try (Store store = Store.open(Path.of(args[0]))) {
      RegistryOptions options = RegistryOptions.defaults().withRetries(1, Duration.ofMillis(10))
          .withDockerConfig(DockerConfig.empty()).withCertDir(Path.of(args[2]));
      System.out.println(store.imageOrPull(args[1], options, Progress.NONE));
    } catch (IOException e) {
      System.out.println(e.getMessage());
      System.exit(1);
    }
  }

  @Test
  void withoutTheProxysCredentialsThePullFailsSayingSo() throws Exception {
    String ref = serve(true);
    proxy = new TestProxy("Basic bm90OmdpdmVu");
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(TestKeys.certificate(named), certs.resolve("ca.crt"));
    RegistryOptions options = options().withCertDir(certs).withProxy(
        EnvironmentProxy.of(Map.of("https_proxy", proxy.url(null))));
    IOException e = assertThrows(IOException.class,
        () -> store.imageOrPull(ref, options, Progress.NONE));
    assertTrue(e.getMessage().contains("the proxy refused the tunnel: HTTP 407"), e.getMessage());
    assertTrue(store.tags().isEmpty());
  }

  @Test
  void plainHttpGoesThroughHttpProxyInAbsoluteForm() throws Exception {
    String ref = serve(false);
    proxy = new TestProxy(null);
    String url = proxy.url(null);
    RegistryOptions options = options().withTlsVerify(false).withProxy(
        EnvironmentProxy.of(Map.of("HTTP_PROXY", url, "HTTPS_PROXY", url)));
    assertEquals(ref, store.imageOrPull(ref, options, Progress.NONE));
    assertTrue(proxy.seen.stream().anyMatch(s -> s.requestLine().startsWith(
        "GET http://" + ref.substring(0, ref.indexOf('/')) + "/v2/team/app/blobs/")),
        proxy.seen.toString());
  }

  @Test
  void noProxyAndLoopbackRegistriesGoDirect() throws Exception {
    HostileRegistry direct = new HostileRegistry();
    try (direct; TestProxy unused = new TestProxy(null)) {
      Path remote = tmp.resolve("remote");
      ImageBuilder.create(remote).layer(LayerCompression.GZIP).file("a", "a").build("1");
      direct.serveLayout(remote);
      store = Store.open(tmp.resolve("local"));
      String ref = direct.address() + "/team/app:1";
      RegistryOptions options = options().withTlsVerify(false).withProxy(EnvironmentProxy.of(
          Map.of("HTTP_PROXY", unused.url(null), "HTTPS_PROXY", unused.url(null))));
      assertEquals(ref, store.imageOrPull(ref, options, Progress.NONE));
      assertTrue(unused.seen.isEmpty(), "a loopback registry went through the proxy");
    }
  }

  @Test
  void aProxyThatCannotBeReachedIsNamedInTheError() throws Exception {
    String ref = serve(false);
    int closed;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      closed = free.getLocalPort(); // nothing listens there once closed
    }
    RegistryOptions options = options().withTlsVerify(false).withProxy(EnvironmentProxy.of(
        Map.of("HTTPS_PROXY", "http://127.0.0.1:" + closed, "HTTP_PROXY",
            "http://127.0.0.1:" + closed)));
    IOException e = assertThrows(IOException.class,
        () -> store.imageOrPull(ref, options, Progress.NONE));
    assertTrue(e.getMessage().contains("connection refused, through the proxy 127.0.0.1:"
        + closed + ")"), e.getMessage());
    // verified HTTPS, no probe: the request's own error names the proxy
    RegistryOptions verified = options().withProxy(EnvironmentProxy.of(
        Map.of("HTTPS_PROXY", "http://127.0.0.1:" + closed)));
    e = assertThrows(IOException.class, () -> store.imageOrPull(ref, verified, Progress.NONE));
    assertTrue(e.getMessage().contains("connection refused (after 2 attempts) (through the proxy"
        + " 127.0.0.1:" + closed + ")"), e.getMessage());
  }

  @Test
  void noProxyMatchesAsGoReadsIt() {
    EnvironmentProxy p = EnvironmentProxy.of(Map.of("HTTPS_PROXY", "proxy.corp:3128",
        "NO_PROXY", "example.com, .internal,*.svc, 10.0.0.0/8,192.168.1.5,"
            + "registry.test:5000,[2001:db8::1],FD00::/8"));
    assertTrue(p.direct("example.com", 443));
    assertTrue(p.direct("a.b.example.com", 443));
    assertFalse(p.direct("notexample.com", 443));
    assertTrue(p.direct("x.internal", 443));
    assertFalse(p.direct("internal", 443));
    assertTrue(p.direct("api.svc", 443));
    assertTrue(p.direct("10.20.30.40", 443));
    assertFalse(p.direct("11.0.0.1", 443));
    assertTrue(p.direct("192.168.1.5", 443));
    assertFalse(p.direct("192.168.1.6", 443));
    assertTrue(p.direct("registry.test", 5000));
    assertFalse(p.direct("registry.test", 5001));
    assertTrue(p.direct("2001:db8::1", 443));
    assertTrue(p.direct("fd00::5", 443));
    assertTrue(p.direct("localhost", 443));
    assertTrue(p.direct("127.0.0.2", 443));
    assertTrue(p.direct("::1", 443));
    assertFalse(p.direct("registry.example", 443));
    assertTrue(EnvironmentProxy.of(Map.of("HTTPS_PROXY", "p:1", "no_proxy", "*"))
        .direct("anything.example", 443));
    // the proxy address: a scheme-less value is an HTTP proxy, port 80 by default
    assertEquals(List.of(new Proxy(Proxy.Type.HTTP,
        java.net.InetSocketAddress.createUnresolved("proxy.corp", 3128))),
        p.select(URI.create("https://registry.example/v2/")));
    assertEquals(List.of(Proxy.NO_PROXY), p.select(URI.create("http://registry.example/v2/")),
        "HTTP_PROXY not given: plain HTTP goes direct");
    assertEquals(List.of(new Proxy(Proxy.Type.HTTP,
        java.net.InetSocketAddress.createUnresolved("proxy", 80))),
        EnvironmentProxy.of(Map.of("http_proxy", "http://proxy")).select(
            URI.create("http://registry.example:5000/v2/")));
    assertNull(EnvironmentProxy.of(Map.of("NO_PROXY", "*")));
    assertNull(EnvironmentProxy.of(Map.of()));
  }

  @Test
  void aProxyLayerfsCannotSpeakToIsAnErrorNamingTheVariable() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EnvironmentProxy.of(Map.of("https_proxy", "socks5://proxy:1080")));
    assertTrue(e.getMessage().startsWith("https_proxy: a socks5 proxy is not supported"),
        e.getMessage());
  }

  /** Serves a two-layer image, in TLS if {@code tls}; returns its reference by registry.test. */
  private String serve(boolean tls) throws Exception {
    Path remote = tmp.resolve("remote");
    ImageBuilder.create(remote).layer(LayerCompression.GZIP).file("etc/os-release", "ID=p\n")
        .layer(LayerCompression.NONE).file("b", new byte[1000]).build("1");
    registry = new HostileRegistry(tls ? TestKeys.serverContext(named, null) : null, false);
    registry.serveLayout(remote);
    store = Store.open(tmp.resolve("local"));
    String port = registry.address().substring(registry.address().indexOf(':') + 1);
    return "registry.test:" + port + "/team/app:1";
  }

  private static RegistryOptions options() {
    return RegistryOptions.defaults().withRetries(2, Duration.ofMillis(10))
        .withDockerConfig(DockerConfig.empty());
  }
}
