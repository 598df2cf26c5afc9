package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

  @Test
  void aRawManifestOverTheJsonLimitIsTheLimitsError() throws IOException {
    registry.manifests.put("big", ("{\"schemaVersion\":2," + " ".repeat(4096) + "}")
        .getBytes(StandardCharsets.UTF_8));
    RegistryOptions options = RegistryOptions.defaults().withDockerConfig(DockerConfig.empty());
    try (RegistryClient client = new RegistryClient(options,
        Limits.builder().jsonBytes(1024).build())) {
      LimitException e = assertThrows(LimitException.class,
          () -> client.rawManifest(Reference.parse(registry.address() + "/team/app:big")));
      assertEquals("jsonBytes", e.limit());
      assertTrue(e.getMessage().startsWith("registry " + registry.address() + ": ")
          && e.getMessage().contains("answer larger than 1024 bytes")
          && e.getMessage().contains("-Dlayerfs.limit.jsonBytes"), e.getMessage());
    }
  }

  @Test
  void aTagListThatIsNotJsonIsAnErrorNamingTheRegistry() throws IOException {
    answerTags((exchange, page) -> registry.send(exchange, 200, "text/html",
        "<html>maintenance</html>".getBytes(StandardCharsets.UTF_8)));
    try (RegistryClient client = client(null)) {
      IOException e = assertThrows(IOException.class,
          () -> client.tags(Reference.parse(registry.address() + "/team/app:1")));
      assertTrue(e.getMessage().contains("registry " + registry.address() + ": tags of ")
          && e.getMessage().contains("Unexpected character ('<'"), e.getMessage());
    }
  }

  @Test
  void aLinkBackToAPageListedAlreadyEndsTheListing() throws IOException {
    answerTags((exchange, page) -> {
      // page 2 links back to page 1: without a stop, a listing that never ends
      exchange.getResponseHeaders().set("Link", page == null
          ? "</v2/team/app/tags/list?last=a>; rel=\"next\""
          : "</v2/team/app/tags/list>; rel=\"next\"");
      registry.send(exchange, 200, "application/json",
          "{\"tags\":[\"a\"]}".getBytes(StandardCharsets.UTF_8));
    });
    try (RegistryClient client = client(null)) {
      IOException e = assertThrows(IOException.class,
          () -> client.tags(Reference.parse(registry.address() + "/team/app:1")));
      assertEquals("registry " + registry.address() + ": tags of " + registry.address()
          + "/team/app: page 2 links back to /v2/team/app/tags/list, a page listed already",
          e.getMessage());
    }
    assertEquals(2, registry.requests("/tags/list").size());
  }

  @Test
  void aLinkToAnotherHostIsFollowedOnTheRegistryWithItsCredentials() throws IOException {
    List<String> authorized = new CopyOnWriteArrayList<>();
    try (HostileRegistry other = new HostileRegistry()) {
      registry.hostile = (exchange, request) -> {
        if (request.authorization() == null) {
          exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"registry\"");
          registry.send(exchange, 401, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
          return true;
        }
        if (!request.path().equals("/v2/team/app/tags/list")) {
          return false;
        }
        String query = exchange.getRequestURI().getQuery();
        authorized.add(String.valueOf(query));
        if (query == null) {
          exchange.getResponseHeaders().set("Link", "<http://" + other.address()
              + "/v2/team/app/tags/list?last=a>; rel=\"next\"");
        }
        registry.send(exchange, 200, "application/json", ("{\"tags\":[\""
            + (query == null ? "a" : "b") + "\"]}").getBytes(StandardCharsets.UTF_8));
        return true;
      };
      RegistryOptions options = RegistryOptions.defaults().withDockerConfig(DockerConfig.empty())
          .withCredentials(Credentials.parse("user:secret"));
      try (RegistryClient client = new RegistryClient(options)) {
        assertEquals(List.of("a", "b"),
            client.tags(Reference.parse(registry.address() + "/team/app:1")));
      }
      // as containers/image: the link's path and query, asked of the registry itself
      assertEquals(List.of(), other.requests, "nothing, and no credentials, to the other host");
      assertEquals(List.of("null", "last=a"), authorized);
    }
  }

  @Test
  void aLinkThatIsNoUrlIsAnErrorNamingTheRegistry() throws IOException {
    answerTags((exchange, page) -> {
      exchange.getResponseHeaders().set("Link", "<http://[::1/v2/x>; rel=\"next\"");
      registry.send(exchange, 200, "application/json",
          "{\"tags\":[\"a\"]}".getBytes(StandardCharsets.UTF_8));
    });
    try (RegistryClient client = client(null)) {
      IOException e = assertThrows(IOException.class,
          () -> client.tags(Reference.parse(registry.address() + "/team/app:1")));
      assertEquals("registry " + registry.address() + ": tags of " + registry.address()
          + "/team/app: the next page's link is no URL: <http://[::1/v2/x>; rel=\"next\"",
          e.getMessage());
    }
  }

  @Test
  void aListingOfTooManyPagesEndsWithTheBoundedError() throws IOException {
    AtomicInteger pages = new AtomicInteger();
    answerTags((exchange, page) -> {
      exchange.getResponseHeaders().set("Link", "</v2/team/app/tags/list?last="
          + pages.incrementAndGet() + ">; rel=\"next\"");
      registry.send(exchange, 200, "application/json",
          "{\"tags\":[]}".getBytes(StandardCharsets.UTF_8));
    });
    try (RegistryClient client = client(null)) {
      IOException e = assertThrows(IOException.class,
          () -> client.tags(Reference.parse(registry.address() + "/team/app:1")));
      assertEquals("registry " + registry.address() + ": tags of " + registry.address()
          + "/team/app: more than 10000 pages", e.getMessage());
    }
    assertEquals(10_000, pages.get());
  }

  /** Answers every request for the tag list with {@code page}, given the query (null: none). */
  private void answerTags(TagPage page) {
    registry.hostile = (exchange, request) -> {
      if (!request.path().startsWith("/v2/team/app/tags/list")) {
        return false;
      }
      page.answer(exchange, exchange.getRequestURI().getQuery());
      return true;
    };
  }

  private interface TagPage {
    void answer(com.sun.net.httpserver.HttpExchange exchange, String query) throws IOException;
  }

  private static RegistryClient client(Path confOrNull) {
    RegistryOptions options = RegistryOptions.defaults().withRetries(2, Duration.ofMillis(10))
        .withDockerConfig(DockerConfig.empty());
    return new RegistryClient(confOrNull == null ? options
        : options.withRegistriesConf(confOrNull));
  }
}
