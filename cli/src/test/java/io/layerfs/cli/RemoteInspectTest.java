package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code layerfs inspect docker://REF} against a registry on 127.0.0.1 that serves an OCI
 * layout: skopeo's JSON, {@code --raw} and {@code --config}, the tag listing and its refusal,
 * errors; the store is not touched.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteInspectTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Path layout;
  private Built image;
  private HttpServer registry;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  /** The status of the tag listing: 200 lists the layout's tags, else an error. */
  private volatile int tagsStatus = 200;
  private String address;

  @BeforeEach
  void serve() throws IOException {
    layout = dir.resolve("layout");
    ObjectNode runtime = JSON.createObjectNode();
    runtime.putArray("Env").add("PATH=/usr/bin").add("A=b&c");
    runtime.putObject("Labels").put("z", "last").put("a", "first");
    runtime.putArray("Cmd").add("/bin/sh");
    image = ImageBuilder.create(layout).platform("linux", "arm64")
        .created(Instant.parse("2024-05-06T07:08:09.120Z")).runtimeConfig(runtime)
        .layer().file("a", "a").layer().file("b", "b").build("1");
    ImageBuilder.create(layout).layer().file("c", "c").build("2");
    registry = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    registry.createContext("/", this::answer);
    registry.start();
    address = "127.0.0.1:" + registry.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    registry.stop(0);
  }

  @Test
  void printsSkopeosFieldsInGosLayoutWithoutAStore() throws IOException {
    Path store = dir.resolve("no-store");
    Cli.Result r = inspect(store, "docker://" + address + "/team/app:1");
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    assertTrue(r.out().startsWith("{\n    \"Name\": \"" + address + "/team/app\",\n"), r.out());
    JsonNode out = JSON.readTree(r.out());
    assertEquals(List.of("Name", "Digest", "RepoTags", "Created", "DockerVersion", "Labels",
        "Architecture", "Os", "Layers", "LayersData", "Env"), fieldNames(out));
    assertEquals(image.manifestDigest(), out.get("Digest").asText());
    assertEquals(List.of("1", "2"), strings(out.get("RepoTags")));
    assertEquals("2024-05-06T07:08:09.12Z", out.get("Created").asText());
    assertEquals("", out.get("DockerVersion").asText());
    // a Go map: keys sorted
    assertEquals(List.of("a", "z"), fieldNames(out.get("Labels")));
    assertEquals("arm64", out.get("Architecture").asText());
    assertEquals("linux", out.get("Os").asText());
    assertEquals(image.layerDigests(), strings(out.get("Layers")));
    assertEquals(image.layerDigests().get(1), out.at("/LayersData/1/Digest").asText());
    assertEquals(Files.size(blob(image.layerDigests().get(1))),
        out.at("/LayersData/1/Size").asLong());
    assertEquals("application/vnd.oci.image.layer.v1.tar+gzip",
        out.at("/LayersData/0/MIMEType").asText());
    assertEquals(List.of("PATH=/usr/bin", "A=b&c"), strings(out.get("Env")));
    assertTrue(r.out().contains("\"A=b\\u0026c\""), "Go escapes & in strings: " + r.out());
    assertFalse(Files.exists(store), "inspect docker://REF made a store");
  }

  @Test
  void rawPrintsTheManifestAsServedAndConfigRawTheBlob() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    assertEquals(0, Main.run(new String[] {"inspect", "--tls-verify=false", "--raw",
        "docker://" + address + "/team/app:1"}, new PrintWriter(new StringWriter(), true),
        new PrintWriter(new StringWriter(), true), Map.of(), bytes));
    assertArrayEquals(Files.readAllBytes(blob(image.manifestDigest())), bytes.toByteArray());
    assertFalse(requests.stream().anyMatch(p -> p.contains("/blobs/")), requests.toString());

    bytes.reset();
    assertEquals(0, Main.run(new String[] {"inspect", "--tls-verify=false", "--raw", "--config",
        "docker://" + address + "/team/app:1"}, new PrintWriter(new StringWriter(), true),
        new PrintWriter(new StringWriter(), true), Map.of(), bytes));
    assertArrayEquals(Files.readAllBytes(blob(image.configDigest())), bytes.toByteArray());
  }

  @Test
  void configPrintsTheConfigsOciFields() throws IOException {
    Cli.Result r = inspect(dir.resolve("s"), "--config", "docker://" + address + "/team/app:1");
    assertEquals(0, r.code(), r.err());
    JsonNode out = JSON.readTree(r.out());
    JsonNode config = JSON.readTree(Files.readAllBytes(blob(image.configDigest())));
    assertEquals(config.get("rootfs"), out.get("rootfs"));
    assertEquals(config.at("/config/Env"), out.at("/config/Env"));
    assertEquals("arm64", out.get("architecture").asText());
    assertEquals(List.of("a", "z"), fieldNames(out.at("/config/Labels")));
    assertTrue(r.out().startsWith("{\n    \"created\": \"2024-05-06T07:08:09.12Z\",\n"),
        r.out());
  }

  @Test
  void noTagsSkipsTheListing() throws IOException {
    Cli.Result r = inspect(dir.resolve("s"), "--no-tags", "docker://" + address + "/team/app:1");
    assertEquals(0, r.code(), r.err());
    assertTrue(JSON.readTree(r.out()).get("RepoTags").isArray());
    assertTrue(JSON.readTree(r.out()).get("RepoTags").isEmpty());
    assertFalse(requests.stream().anyMatch(p -> p.endsWith("/tags/list")), requests.toString());
  }

  /** Where skopeo fails (any refusal but DENIED and a bare 404), the inspection goes on. */
  @Test
  void aRefusedTagListingLeavesRepoTagsNullWithAWarning() throws IOException {
    tagsStatus = 401;
    Cli.Result r = inspect(dir.resolve("s"), "docker://" + address + "/team/app:1");
    assertEquals(0, r.code(), r.err());
    JsonNode out = JSON.readTree(r.out());
    assertTrue(out.get("RepoTags").isNull(), r.out());
    assertEquals(image.manifestDigest(), out.get("Digest").asText());
    assertTrue(r.err().startsWith("layerfs: warning: RepoTags left null: registry " + address
        + ": tags of " + address + "/team/app: HTTP 401"), r.err());
  }

  @Test
  void aMissingImageIsOneLineNamingRegistryReferenceAndStatus() {
    Cli.Result r = inspect(dir.resolve("s"), "docker://" + address + "/team/app:3");
    assertEquals(1, r.code());
    assertTrue(r.errorLine().startsWith("layerfs: registry " + address + ": " + address
        + "/team/app:3: HTTP 404"), r.err());
    assertEquals("", r.out());
  }

  @Test
  void registryOptionsAreForRegistryImagesOnly() {
    Cli.Result raw = Cli.run("--store", dir.resolve("s").toString(), "inspect", "--raw", "x:1");
    assertEquals(2, raw.code());
    assertTrue(raw.err().startsWith("layerfs: --raw: only for an image in a registry"),
        raw.err());
    Cli.Result two = Cli.run("inspect", "docker://" + address + "/team/app:1", "x:1");
    assertEquals(2, two.code());
    assertTrue(two.err().contains("one registry image at a time"), two.err());
    Cli.Result type = Cli.run("inspect", "--type", "image", "docker://" + address + "/a:1");
    assertEquals(2, type.code());
    assertTrue(type.err().startsWith("layerfs: --type: not with docker://REF"), type.err());
  }

  private Cli.Result inspect(Path store, String... args) {
    String[] all = new String[args.length + 4];
    all[0] = "--store";
    all[1] = store.toString();
    all[2] = "inspect";
    all[3] = "--tls-verify=false";
    System.arraycopy(args, 0, all, 4, args.length);
    return Cli.run(all);
  }

  private Path blob(String digest) {
    return layout.resolve("blobs/sha256/" + digest.substring("sha256:".length()));
  }

  /** The distribution API for repository team/app: the layout's tags, manifests and blobs. */
  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      requests.add(path);
      String prefix = "/v2/team/app/";
      if (path.equals("/v2/")) {
        send(exchange, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
      } else if (path.equals(prefix + "tags/list")) {
        if (tagsStatus != 200) {
          send(exchange, tagsStatus, "application/json", ("{\"errors\":[{\"code\":"
              + "\"UNAUTHORIZED\",\"message\":\"no\"}]}").getBytes(StandardCharsets.UTF_8));
        } else {
          ObjectNode list = JSON.createObjectNode().put("name", "team/app");
          tags().keySet().forEach(list.putArray("tags")::add);
          send(exchange, 200, "application/json", JSON.writeValueAsBytes(list));
        }
      } else if (path.startsWith(prefix + "manifests/")) {
        String ref = path.substring((prefix + "manifests/").length());
        String digest = ref.startsWith("sha256:") ? ref : tags().get(ref);
        Path file = digest == null ? null : blob(digest);
        if (file == null || !Files.exists(file)) {
          send(exchange, 404, "application/json", ("{\"errors\":[{\"code\":"
              + "\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}")
              .getBytes(StandardCharsets.UTF_8));
        } else {
          send(exchange, 200, "application/vnd.oci.image.manifest.v1+json",
              Files.readAllBytes(file));
        }
      } else if (path.startsWith(prefix + "blobs/")) {
        Path file = blob(path.substring((prefix + "blobs/").length()));
        if (Files.exists(file)) {
          send(exchange, 200, "application/octet-stream", Files.readAllBytes(file));
        } else {
          send(exchange, 404, "application/json", new byte[0]);
        }
      } else {
        send(exchange, 404, "application/json", new byte[0]);
      }
    }
  }

  /** The layout's tags and their manifest digests, in its order. */
  private Map<String, String> tags() throws IOException {
    Map<String, String> tags = new java.util.LinkedHashMap<>();
    for (JsonNode m : JSON.readTree(layout.resolve("index.json").toFile()).path("manifests")) {
      tags.put(m.at("/annotations/org.opencontainers.image.ref.name").asText(),
          m.get("digest").asText());
    }
    return tags;
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static List<String> strings(JsonNode array) {
    List<String> list = new java.util.ArrayList<>();
    array.forEach(e -> list.add(e.asText()));
    return list;
  }
}
