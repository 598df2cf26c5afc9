package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code inspect docker://REF} asks of a registry besides the image: the manifest or index
 * exactly as served ({@link RegistryClient#rawManifest}), and the repository's tags ({@link
 * RegistryClient#tags}), page after page, from the mirror that served the manifest.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistryInspectTest {
  /** Nothing listens there: a connection is refused at once. */
  private static final String DOWN = "127.0.0.1:1";

  @TempDir Path tmp;
  private HostileRegistry registry;
  private Built image;

  @BeforeEach
  void serve() throws IOException {
    Path layout = tmp.resolve("layout");
    image = ImageBuilder.create(layout).layer().file("a", "a").build("1");
    registry = new HostileRegistry();
    registry.serveLayout(layout);
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  @Test
  void theRawManifestIsAnIndexAsServedWithoutPickingAPlatform() throws IOException {
    String manifest = image.manifestDigest();
    // spaces and an order no serializer would write: the bytes must come back untouched
    byte[] index = ("{ \"mediaType\": \"" + MediaTypes.OCI_INDEX + "\", \"schemaVersion\": 2,"
        + " \"manifests\": [ {\"mediaType\": \"" + MediaTypes.OCI_MANIFEST + "\", \"digest\": \""
        + manifest + "\", \"size\": " + registry.blobs.get(manifest).length
        + ", \"platform\": {\"os\": \"linux\", \"architecture\": \"riscv64\"}} ] }\n")
        .getBytes(StandardCharsets.UTF_8);
    registry.manifests.put("multi", index);
    registry.blobs.put(Digest.sha256(index).toString(), index);
    try (RegistryClient client = client(null)) {
      Reference tag = Reference.parse(registry.address() + "/team/app:multi");
      assertArrayEquals(index, client.rawManifest(tag));
      assertArrayEquals(index, client.rawManifest(tag.withDigest(Digest.sha256(index))));
      // the index has no linux/amd64: resolving it fails where the raw read did not
      IOException e = assertThrows(IOException.class, () -> client.resolve(tag,
          Platform.DEFAULT));
      assertTrue(e.getMessage().contains("riscv64"), e.getMessage());
    }
  }

  @Test
  void aRawManifestThatDoesNotHashToTheDigestAskedForIsRefused() throws IOException {
    byte[] other = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);
    Digest claimed = Digest.sha256("something else".getBytes(StandardCharsets.UTF_8));
    registry.blobs.put(claimed.toString(), other);
    try (RegistryClient client = client(null)) {
      IOException e = assertThrows(IOException.class, () -> client.rawManifest(
          Reference.parse(registry.address() + "/team/app@" + claimed)));
      assertTrue(e.getMessage().contains("digest mismatch"), e.getMessage());
    }
  }

  @Test
  void tagsFollowTheLinkHeadersPageByPage() throws IOException {
    registry.hostile = (exchange, request) -> {
      if (!request.path().equals("/v2/team/app/tags/list")) {
        return false;
      }
      String query = exchange.getRequestURI().getQuery();
      if (query == null) {
        // as distribution writes it: a path on the registry, rel in quotes
        exchange.getResponseHeaders().set("Link",
            "</v2/team/app/tags/list?last=b&n=2>; rel=\"next\"");
        registry.send(exchange, 200, "application/json",
            "{\"name\":\"team/app\",\"tags\":[\"a\",\"b\"]}".getBytes(StandardCharsets.UTF_8));
      } else {
        assertEquals("last=b&n=2", query);
        registry.send(exchange, 200, "application/json",
            "{\"name\":\"team/app\",\"tags\":[\"c\"]}".getBytes(StandardCharsets.UTF_8));
      }
      return true;
    };
    try (RegistryClient client = client(null)) {
      assertEquals(List.of("a", "b", "c"),
          client.tags(Reference.parse(registry.address() + "/team/app:1")));
    }
    assertEquals(2, registry.requests("/tags/list").size());
  }

  @Test
  void aRepositoryWithoutTagsListsNone() throws IOException {
    registry.hostile = (exchange, request) -> {
      if (!request.path().endsWith("/tags/list")) {
        return false;
      }
      // distribution's answer for a repository whose tags were all deleted
      registry.send(exchange, 200, "application/json",
          "{\"name\":\"team/app\",\"tags\":null}".getBytes(StandardCharsets.UTF_8));
      return true;
    };
    try (RegistryClient client = client(null)) {
      assertEquals(List.of(), client.tags(Reference.parse(registry.address() + "/team/app:1")));
    }
  }

  @Test
  void aRefusedListingNamesTheRegistryTheRepositoryAndTheStatus() throws IOException {
    registry.hostile = (exchange, request) -> {
      if (!request.path().endsWith("/tags/list")) {
        return false;
      }
      registry.send(exchange, 403, "application/json",
          "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"not allowed\"}]}"
              .getBytes(StandardCharsets.UTF_8));
      return true;
    };
    try (RegistryClient client = client(null)) {
      RegistryException e = assertThrows(RegistryException.class,
          () -> client.tags(Reference.parse(registry.address() + "/team/app:1")));
      assertEquals(403, e.status());
      assertTrue(e.getMessage().startsWith("registry " + registry.address() + ": tags of "
          + registry.address() + "/team/app: HTTP 403 DENIED"), e.getMessage());
    }
  }

  @Test
  void aMirrorServesTheManifestAndTheTagsWhileTheRegistryNamedIsDown() throws IOException {
    registry.hostile = (exchange, request) -> {
      if (!request.path().equals("/v2/mirrored/team/app/tags/list")) {
        return false;
      }
      registry.send(exchange, 200, "application/json",
          "{\"name\":\"mirrored/team/app\",\"tags\":[\"1\"]}".getBytes(StandardCharsets.UTF_8));
      return true;
    };
    Path conf = tmp.resolve("registries.conf");
    Files.writeString(conf, "[[registry]]\nlocation = \"" + DOWN + "\"\n[[registry.mirror]]\n"
        + "location = \"" + registry.address() + "/mirrored\"\n");
    try (RegistryClient client = client(conf)) {
      Reference ref = Reference.parse(DOWN + "/team/app:1");
      assertArrayEquals(registry.manifests.get("1"), client.rawManifest(ref));
      assertEquals(List.of("1"), client.tags(ref));
    }
  }

  private static RegistryClient client(Path confOrNull) {
    RegistryOptions options = RegistryOptions.defaults().withRetries(2, Duration.ofMillis(10))
        .withDockerConfig(DockerConfig.empty());
    return new RegistryClient(confOrNull == null ? options
        : options.withRegistriesConf(confOrNull));
  }
}
