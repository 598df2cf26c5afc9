package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Progress;
import io.layerfs.core.store.Store;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls from a registry that speaks TLS only ({@link HostileRegistry} over HTTPS, with a
 * self-signed certificate made by the JDK's keytool), as most registries do: its certificate is
 * trusted when a {@code --cert-dir} (or the registry's certs.d directory) holds it and refused
 * otherwise with an error that says where it goes; its host name is still checked; {@code
 * tlsVerify} off reaches it over TLS even on a loopback address; a registry that asks for a
 * client certificate gets the directory's {@code .cert} and {@code .key} pair.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistryTlsTest {
  @TempDir static Path keys;
  /** A key whose certificate names 127.0.0.1, and one that names only localhost. */
  private static Path forAddress;
  private static Path forLocalhost;
  private static Path client;

  @TempDir Path tmp;
  private HostileRegistry registry;
  private Store store;

  @BeforeAll
  static void makeKeys() throws Exception {
    forAddress = TestKeys.keyStore(keys, "address", "SAN=ip:127.0.0.1");
    forLocalhost = TestKeys.keyStore(keys, "localhost", "SAN=dns:localhost");
    client = TestKeys.keyStore(keys, "client", "KU=digitalSignature");
  }

  @AfterEach
  void stop() throws IOException {
    if (store != null) {
      store.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void aCertDirsAuthorityIsTrustedAndTheImageArrivesOverTls() throws Exception {
    String ref = serve(forAddress);
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(forAddress.resolveSibling("address.crt"), certs.resolve("ca.crt"));
    String tag = store.imageOrPull(ref, options().withCertDir(certs), Progress.NONE);
    assertEquals(ref, tag);
    assertEquals(2, store.image(tag).layers().size());
    assertTrue(registry.requests.stream().anyMatch(r -> r.path().contains("/blobs/")),
        "the layers came from the TLS registry");
  }

  @Test
  void anUntrustedCertificateFailsSayingWhereItsAuthorityGoes() throws Exception {
    String ref = serve(forAddress);
    IOException e = assertThrows(IOException.class,
        () -> store.imageOrPull(ref, options(), Progress.NONE));
    String registryName = ref.substring(0, ref.indexOf('/'));
    assertTrue(e.getMessage().contains("TLS"), e.getMessage());
    assertTrue(e.getMessage().contains("/etc/docker/certs.d/" + registryName + "/ca.crt"),
        e.getMessage());
    assertTrue(e.getMessage().contains("--cert-dir"), e.getMessage());
    assertTrue(store.tags().isEmpty(), "nothing tagged: " + store.tags());
  }

  @Test
  void theHostNameIsCheckedEvenWithTheAuthorityTrusted() throws Exception {
    // the certificate names localhost only; the registry is reached as 127.0.0.1
    String ref = serve(forLocalhost);
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(forLocalhost.resolveSibling("localhost.crt"), certs.resolve("ca.crt"));
    IOException e = assertThrows(IOException.class,
        () -> store.imageOrPull(ref, options().withCertDir(certs), Progress.NONE));
    assertTrue(e.getMessage().contains("TLS"), e.getMessage());
    assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
    assertTrue(store.tags().isEmpty());
  }

  @Test
  void withoutVerificationALoopbackRegistrySpeakingOnlyTlsIsReached() throws Exception {
    // a plain-HTTP request gets no registry's answer from it: the probe then takes HTTPS,
    // unverified, as skopeo's --tls-verify=false does
    String ref = serve(forAddress);
    String tag = store.imageOrPull(ref, options().withTlsVerify(false), Progress.NONE);
    assertEquals(ref, tag);
    assertEquals(2, store.image(tag).layers().size());
  }

  @Test
  void aMalformedCertificateFileIsNamed() throws Exception {
    String ref = serve(forAddress);
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.writeString(certs.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\nnot base64!\n");
    IOException e = assertThrows(IOException.class,
        () -> store.imageOrPull(ref, options().withCertDir(certs), Progress.NONE));
    assertTrue(e.getMessage().contains(certs.resolve("ca.crt").toString()), e.getMessage());
    assertTrue(store.tags().isEmpty());
  }

  @Test
  void aRegistrysDirectoryIsFoundByHostAndPortUnderTheFirstRootThatHasIt() throws Exception {
    Path first = tmp.resolve("containers");
    Path second = tmp.resolve("docker");
    Files.createDirectories(second.resolve("registry.example:5000"));
    Files.createDirectories(second.resolve("registry.example"));
    Files.createDirectories(first.resolve("registry.example"));
    Files.createDirectories(second.resolve("[::1]:5000"));
    CertsDirectories directories = new CertsDirectories(List.of(first, second), null);
    assertEquals(second.resolve("registry.example:5000"),
        directories.directoryFor("registry.example", 5000));
    // port 443 is also found without it, as a reference without a port names the registry
    assertEquals(first.resolve("registry.example"),
        directories.directoryFor("registry.example", 443));
    assertEquals(second.resolve("[::1]:5000"), directories.directoryFor("::1", 5000));
    assertEquals(second.resolve("[::1]:5000"), directories.directoryFor("[::1]", 5000));
    assertNull(directories.directoryFor("registry.example", 5001));
    assertNull(directories.directoryFor("other.example", 443));
    Path given = tmp.resolve("given");
    assertEquals(given, new CertsDirectories(List.of(first, second), given)
        .directoryFor("registry.example", 5000));
  }

  @Test
  void aRegistrysOwnAuthorityVouchesWithoutTheJvmsTrustStoreRead() throws Exception {
    String ref = serve(forAddress);
    URI v2 = URI.create("https://" + ref.substring(0, ref.indexOf('/')) + "/v2/");
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(forAddress.resolveSibling("address.crt"), certs.resolve("ca.crt"));
    RegistryTrust trust = new RegistryTrust(new CertsDirectories(List.of(), certs), Set.of());
    assertEquals(200, get(trust, v2));
    assertFalse(trust.systemRead(), "the JVM's trust store was read for a private authority");
    // a certificate the registry's own do not vouch for is asked of the JVM's
    Path other = Files.createDirectories(tmp.resolve("other"));
    Files.copy(forLocalhost.resolveSibling("localhost.crt"), other.resolve("ca.crt"));
    RegistryTrust otherTrust = new RegistryTrust(new CertsDirectories(List.of(), other), Set.of());
    assertThrows(IOException.class, () -> get(otherTrust, v2));
    assertTrue(otherTrust.systemRead());
  }

  /** The status of a GET of {@code uri} over TLS checked by {@code trust}. */
  private static int get(RegistryTrust trust, URI uri) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {trust}, null);
    HttpClient client = HttpClient.newBuilder().sslContext(context).build();
    try {
      return client.send(HttpRequest.newBuilder(uri).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } finally {
      HttpClientShutdown.close(client);
    }
  }

  @Test
  void theCertificatesOfEveryCrtFileAreRead() throws Exception {
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(forAddress.resolveSibling("address.crt"), certs.resolve("a.crt"));
    Files.writeString(certs.resolve("b.crt"),
        Files.readString(forLocalhost.resolveSibling("localhost.crt"))
            + Files.readString(forAddress.resolveSibling("address.crt")));
    Files.writeString(certs.resolve("client.key"), "not read");
    assertEquals(3, RegistryTrust.certificates(certs).size());
    Files.writeString(certs.resolve("c.crt"), "");
    assertFalse(assertThrows(java.security.cert.CertificateException.class,
        () -> RegistryTrust.certificates(certs)).getMessage().isEmpty());
  }

  @Test
  void aRegistryAskingForAClientCertificateGetsTheDirectorysPair() throws Exception {
    String ref = serve(forAddress, client);
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(forAddress.resolveSibling("address.crt"), certs.resolve("ca.crt"));
    // without the pair the registry refuses the handshake, and the error says where it goes
    IOException refused = assertThrows(IOException.class,
        () -> store.imageOrPull(ref, options().withCertDir(certs), Progress.NONE));
    assertTrue(refused.getMessage().contains("refused the connection") && refused.getMessage()
        .contains("NAME.cert and NAME.key"), refused.getMessage());
    assertTrue(store.tags().isEmpty());
    Files.copy(client.resolveSibling("client.crt"), certs.resolve("client.cert"));
    TestKeys.writeKey(client, "client", certs.resolve("client.key"));
    assertEquals(ref, store.imageOrPull(ref, options().withCertDir(certs), Progress.NONE));
    // and unverified TLS presents it too, as skopeo's --tls-verify=false with --cert-dir does
    try (Store other = Store.open(tmp.resolve("other"))) {
      assertEquals(ref, other.imageOrPull(ref, options().withTlsVerify(false).withCertDir(certs),
          Progress.NONE));
    }
  }

  @Test
  void aClientCertificateWithoutItsKeyOrAKeyNotInPkcs8IsNamed() throws Exception {
    String ref = serve(forAddress);
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(forAddress.resolveSibling("address.crt"), certs.resolve("ca.crt"));
    Files.copy(client.resolveSibling("client.crt"), certs.resolve("client.cert"));
    IOException e = assertThrows(IOException.class,
        () -> store.imageOrPull(ref, options().withCertDir(certs), Progress.NONE));
    assertTrue(e.getMessage().contains(certs.resolve("client.cert") + " has no key "
        + certs.resolve("client.key")), e.getMessage());
    Files.writeString(certs.resolve("client.key"),
        "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
    e = assertThrows(IOException.class,
        () -> store.imageOrPull(ref, options().withCertDir(certs), Progress.NONE));
    assertTrue(e.getMessage().contains("RSA (PKCS#1)") && e.getMessage().contains("pkcs8"),
        e.getMessage());
    assertTrue(store.tags().isEmpty());
  }

  private String serve(Path keyStore) throws Exception {
    return serve(keyStore, null);
  }

  /** As {@link #serve(Path)}; with {@code clientOrNull}, asking for that client's certificate. */
  private String serve(Path keyStore, Path clientOrNull) throws Exception {
    Path remote = tmp.resolve("remote");
    Built image = ImageBuilder.create(remote).layer(LayerCompression.GZIP)
        .file("etc/os-release", "ID=tls\n".getBytes(StandardCharsets.UTF_8))
        .layer(LayerCompression.NONE).file("b", new byte[1000]).build("1");
    assertEquals(2, image.layerDigests().size());
    registry = new HostileRegistry(TestKeys.serverContext(keyStore, clientOrNull),
        clientOrNull != null);
    registry.serveLayout(remote);
    store = Store.open(tmp.resolve("local"));
    return registry.address() + "/team/app:1";
  }

  private static RegistryOptions options() {
    return RegistryOptions.defaults().withRetries(2, Duration.ofMillis(10))
        .withDockerConfig(DockerConfig.empty());
  }
}
