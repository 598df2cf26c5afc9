package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Progress;
import io.layerfs.core.store.Store;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls as a registries.conf sends them ({@link RegistriesConf}): from a mirror while the
 * registry named is down, from the registry when the mirror lacks the image, from a location
 * the prefix is rewritten to; not from a blocked registry, nor a push to one; an insecure
 * registry's self-signed certificate is not checked unless verification was asked for
 * explicitly; the credentials given do not go to a mirror on another host.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistryMirrorTest {
  /** Nothing listens there: a connection is refused at once. */
  private static final String DOWN = "127.0.0.1:1";
  private static final byte[] OS_RELEASE = "ID=mirrored\n".getBytes(StandardCharsets.UTF_8);

  @TempDir Path tmp;
  private final List<HostileRegistry> registries = new ArrayList<>();
  private Path layout;
  private Store store;

  @BeforeEach
  void image() throws IOException {
    layout = tmp.resolve("remote");
    Built image = ImageBuilder.create(layout).layer(LayerCompression.GZIP)
        .file("etc/os-release", OS_RELEASE).layer(LayerCompression.NONE)
        .file("b", new byte[1000]).build("1");
    assertEquals(2, image.layerDigests().size());
    store = Store.open(tmp.resolve("local"));
  }

  @AfterEach
  void stop() throws IOException {
    store.close();
    for (HostileRegistry r : registries) {
      r.close();
    }
  }

  @Test
  void aMirrorServesWhileTheRegistryNamedIsDown() throws Exception {
    HostileRegistry mirror = serving();
    Path conf = mirrored(DOWN, mirror.address() + "/mirrored", "");
    String ref = DOWN + "/team/app:1";
    ImagePull.Result result = store.pull(ref, options(conf), Platform.DEFAULT, Progress.NONE);
    assertEquals(ref, result.tag());
    assertEquals(mirror.address() + "/mirrored/team/app:1", result.source().toString());
    assertEquals(2, store.image(ref).layers().size());
    assertArrayEquals(OS_RELEASE, store.readLazily(ref, "/etc/os-release"));
    assertTrue(mirror.requests.stream().anyMatch(
        r -> r.path().equals("/v2/mirrored/team/app/manifests/1")), mirror.requests.toString());
    String config = store.image(ref).configDigest().toString();
    assertEquals(2, mirror.requests("/v2/mirrored/team/app/blobs/").stream()
        .filter(r -> !r.path().endsWith(config)).count(), "both layers from the mirror");
  }

  @Test
  void aMirrorWithoutTheImageLeavesItToTheRegistry() throws Exception {
    HostileRegistry mirror = empty();
    HostileRegistry primary = serving();
    Path conf = mirrored(primary.address(), mirror.address(), "");
    String ref = primary.address() + "/team/app:1";
    ImagePull.Result result = store.pull(ref, options(conf), Platform.DEFAULT, Progress.NONE);
    assertEquals(ref, result.source().toString());
    assertEquals(1, mirror.requests("/manifests/").size(), "the mirror was asked first");
    assertTrue(mirror.requests("/blobs/").isEmpty());
    assertEquals(3, primary.requests("/blobs/").size(), "config and layers from the registry");
  }

  @Test
  void aMirrorThatIsDownIsPassedOverWithoutRetries() throws Exception {
    HostileRegistry primary = serving();
    Path conf = mirrored(primary.address(), DOWN, "");
    // retried as a registry's refused connections are, the mirror would hold the pull 150 s
    RegistryOptions patient = options(conf).withRetries(5, Duration.ofSeconds(10));
    long start = System.nanoTime();
    store.imageOrPull(primary.address() + "/team/app:1", patient, Progress.NONE);
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8),
        "took " + (System.nanoTime() - start) / 1_000_000 + " ms");
    assertEquals(3, primary.requests("/blobs/").size());
  }

  @Test
  void whenEverySourceFailsTheErrorNamesEach() throws Exception {
    HostileRegistry mirror = empty();
    HostileRegistry primary = empty();
    Path conf = mirrored(primary.address(), mirror.address() + "/m", "");
    RegistryException e = assertThrows(RegistryException.class, () -> store.pull(
        primary.address() + "/team/app:1", options(conf), Platform.DEFAULT, Progress.NONE));
    assertEquals(404, e.status());
    assertTrue(e.getMessage().startsWith("registry " + primary.address()), e.getMessage());
    assertTrue(e.getMessage().contains(mirror.address() + "/m/team/app:1"), e.getMessage());
    assertTrue(store.tags().isEmpty());
  }

  @Test
  void aTagIsNotPulledFromADigestOnlyMirror() throws Exception {
    HostileRegistry mirror = serving();
    HostileRegistry primary = serving();
    Path conf = mirrored(primary.address(), mirror.address(), "mirror-by-digest-only = true");
    store.imageOrPull(primary.address() + "/team/app:1", options(conf), Progress.NONE);
    assertTrue(mirror.requests.isEmpty(), mirror.requests.toString());
    String digest = store.image(primary.address() + "/team/app:1").manifestDigest().toString();
    Store other = Store.open(tmp.resolve("other"));
    try {
      other.imageOrPull(primary.address() + "/team/app@" + digest, options(conf),
          Progress.NONE);
    } finally {
      other.close();
    }
    assertFalse(mirror.requests("/manifests/" + digest).isEmpty(), "by digest, the mirror");
  }

  @Test
  void aBlockedRegistryIsNotAskedButItsMirrorServes() throws Exception {
    HostileRegistry primary = serving();
    Path blocked = conf("""
        [[registry]]
        location = "%s"
        blocked = true
        """.formatted(primary.address()));
    IOException e = assertThrows(IOException.class, () -> store.imageOrPull(
        primary.address() + "/team/app:1", options(blocked), Progress.NONE));
    assertTrue(e.getMessage().contains("is blocked") && e.getMessage().contains(
        blocked.toString()), e.getMessage());
    assertTrue(primary.requests.isEmpty(), primary.requests.toString());
    HostileRegistry mirror = serving();
    Path mirrored = mirrored(primary.address(), mirror.address(), "blocked = true");
    store.imageOrPull(primary.address() + "/team/app:1", options(mirrored), Progress.NONE);
    assertTrue(primary.requests.isEmpty(), primary.requests.toString());
    assertFalse(mirror.requests("/blobs/").isEmpty());
    HostileRegistry without = empty();
    Path neither = mirrored(primary.address(), without.address(), "blocked = true");
    IOException both = assertThrows(IOException.class, () -> store.pull(
        primary.address() + "/team/other:1", options(neither), Platform.DEFAULT, Progress.NONE));
    assertTrue(both.getMessage().contains("is blocked")
        && both.getMessage().contains(without.address()), both.getMessage());
    assertTrue(primary.requests.isEmpty(), primary.requests.toString());
  }

  @Test
  void aPushToABlockedRegistryIsRefusedBeforeAnyRequest() throws Exception {
    HostileRegistry source = serving();
    String ref = source.address() + "/team/app:1";
    store.imageOrPull(ref, options(null), Progress.NONE);
    HostileRegistry target = empty();
    Path conf = conf("[[registry]]\nprefix = \"%s/team\"\nlocation = \"%s/team\"\nblocked = true\n"
        .formatted(target.address(), target.address()));
    IOException e = assertThrows(IOException.class, () -> store.push(ref,
        target.address() + "/team/pushed:1", options(conf), Progress.NONE));
    assertTrue(e.getMessage().contains("is blocked"), e.getMessage());
    assertTrue(target.requests.isEmpty(), target.requests.toString());
  }

  @Test
  void anInsecureRegistrysCertificateIsNotCheckedUnlessVerificationWasAsked() throws Exception {
    Path key = TestKeys.keyStore(tmp, "tls", "SAN=ip:127.0.0.1");
    HostileRegistry tls = new HostileRegistry(TestKeys.serverContext(key, null), false);
    registries.add(tls);
    tls.serveLayout(layout);
    String ref = tls.address() + "/team/app:1";
    IOException untrusted = assertThrows(IOException.class,
        () -> store.imageOrPull(ref, options(null), Progress.NONE));
    assertTrue(untrusted.getMessage().contains("certs.d"), untrusted.getMessage());
    Path conf = conf("[[registry]]\nlocation = \"%s\"\ninsecure = true\n"
        .formatted(tls.address()));
    IOException explicit = assertThrows(IOException.class, () -> store.imageOrPull(ref,
        options(conf).withLoopbackHttp(false), Progress.NONE));
    assertTrue(explicit.getMessage().contains("certs.d"), explicit.getMessage());
    assertEquals(ref, store.imageOrPull(ref, options(conf), Progress.NONE));
    assertFalse(tls.requests("/blobs/").isEmpty());
  }

  @Test
  void theCredentialsGivenDoNotGoToAMirrorOnAnotherHost() throws Exception {
    HostileRegistry mirror = serving();
    mirror.hostile = (exchange, request) -> {
      if (request.authorization() != null) {
        return false;
      }
      exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"mirror\"");
      mirror.send(exchange, 401, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
      return true;
    };
    Path conf = mirrored(DOWN, mirror.address(), "");
    RegistryOptions options = options(conf)
        .withCredentials(Credentials.parse("user:secret"));
    assertThrows(IOException.class,
        () -> store.imageOrPull(DOWN + "/team/app:1", options, Progress.NONE));
    String given = "Basic " + Base64.getEncoder().encodeToString(
        "user:secret".getBytes(StandardCharsets.UTF_8));
    assertFalse(mirror.requests.isEmpty(), "the mirror was asked");
    assertTrue(mirror.requests.stream().noneMatch(r -> given.equals(r.authorization())),
        mirror.requests.toString());
  }

  private HostileRegistry serving() throws IOException {
    HostileRegistry r = empty();
    r.serveLayout(layout);
    return r;
  }

  private HostileRegistry empty() throws IOException {
    HostileRegistry r = new HostileRegistry();
    registries.add(r);
    return r;
  }

  /** A registries.conf whose table for {@code primary} has one mirror, and {@code extra}. */
  private Path mirrored(String primary, String mirror, String extra) throws IOException {
    return conf("[[registry]]\nlocation = \"" + primary + "\"\n" + extra
        + "\n[[registry.mirror]]\nlocation = \"" + mirror + "\"\n");
  }

  private Path conf(String text) throws IOException {
    Path file = Files.createTempFile(tmp, "registries", ".conf");
    Files.writeString(file, text);
    return file;
  }

  private static RegistryOptions options(Path confOrNull) {
    RegistryOptions options = RegistryOptions.defaults().withRetries(2, Duration.ofMillis(10))
        .withDockerConfig(DockerConfig.empty());
    return confOrNull == null ? options : options.withRegistriesConf(confOrNull);
  }
}
