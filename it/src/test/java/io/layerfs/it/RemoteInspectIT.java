package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code layerfs inspect docker://REF} next to {@code skopeo inspect docker://REF} on the run's
 * docker-registry: OCI images, Docker schema 2 ones (one with a config as docker build writes
 * it) and an image index give the same JSON (skopeo's fields; layerfs adds LayersData, which
 * this skopeo does not print), the same {@code --config}, and {@code --raw} and {@code --config
 * --raw} byte for byte.
 */
final class RemoteInspectIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INDEX = "index";
  private static final String V2S2 = "v2s2";
  /** A Docker config as docker build writes one, with what skopeo converts and escapes. */
  private static final String DOCKER = "docker";

  @TempDir static Path work;
  private static String repository;

  @BeforeAll
  static void pushImagesWithSkopeo() throws IOException {
    UmociImages images = UmociImages.build(work.resolve("umoci"));
    repository = TestRegistry.address() + "/it-inspect-"
        + UUID.randomUUID().toString().substring(0, 8);
    String layout = images.layout().toString();
    for (String tag : List.of(UmociImages.BASE, UmociImages.LAYERED)) {
      copy("oci:" + layout + ":" + tag, tag);
    }
    Tools.run("skopeo", "copy", "-q", "--format", "v2s2", "--dest-tls-verify=false",
        "oci:" + layout + ":" + UmociImages.LAYERED, "docker://" + repository + ":" + V2S2);
    copy("dir:" + dockerDir(work.resolve("docker-dir")), DOCKER);
    addIndex(images.layout());
    Tools.run("skopeo", "copy", "-q", "--all", "--dest-tls-verify=false",
        "oci:" + layout + ":" + INDEX, "docker://" + repository + ":" + INDEX);
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.BASE, UmociImages.LAYERED, V2S2, DOCKER, INDEX})
  void inspectShowsWhatSkopeoShows(String tag) throws IOException {
    String ref = "docker://" + repository + ":" + tag;
    String skopeoText = skopeo("inspect", "--tls-verify=false", ref);
    JsonNode skopeo = JSON.readTree(skopeoText);
    String out = text(layerfs("inspect", "--tls-verify=false", ref));
    ObjectNode ours = (ObjectNode) JSON.readTree(out);
    JsonNode layersData = ours.remove("LayersData");
    for (String field : List.of("Name", "Digest", "Layers", "Architecture", "Os", "Created",
        "Labels", "Env", "DockerVersion")) {
      assertEquals(skopeo.get(field), ours.get(field), field + " of " + tag);
    }
    assertEquals(sorted(skopeo.get("RepoTags")), sorted(ours.get("RepoTags")));
    assertEquals(skopeo, ours, "all of skopeo's fields, and no other but LayersData");
    assertEquals(fieldNames(skopeo), fieldNames(ours), "skopeo's order");
    assertEquals(skopeo.get("Layers").size(), layersData.size());
    for (int i = 0; i < layersData.size(); i++) {
      assertEquals(skopeo.get("Layers").get(i), layersData.get(i).get("Digest"));
    }
    // Go's layout: the text is skopeo's but for LayersData
    assertEquals(skopeoText, out.replaceFirst("(?s)\n    \"LayersData\": \\[.*?\n    \\],", ""));

    assertEquals(JSON.readTree(skopeo("inspect", "--tls-verify=false", "--config", ref)),
        JSON.readTree(text(layerfs("inspect", "--tls-verify=false", "--config", ref))),
        "--config of " + tag);
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.BASE, V2S2, DOCKER, INDEX})
  void rawIsByteForByteWhatSkopeoPrints(String tag) {
    String ref = "docker://" + repository + ":" + tag;
    for (List<String> options : List.of(List.of("--raw"), List.of("--config", "--raw"))) {
      List<String> args = new ArrayList<>(List.of("inspect", "--tls-verify=false"));
      args.addAll(options);
      args.add(ref);
      byte[] skopeo = skopeo(args.toArray(String[]::new)).getBytes(StandardCharsets.UTF_8);
      byte[] ours = layerfs(args.toArray(String[]::new)).getBytes(StandardCharsets.ISO_8859_1);
      assertArrayEquals(skopeo, ours, options + " of " + tag);
    }
  }

  /** The index's other platform, as skopeo's --override-arch picks it. */
  @Test
  void platformPicksFromTheIndexAsSkopeosOverrideArch() throws IOException {
    String ref = "docker://" + repository + ":" + INDEX;
    JsonNode skopeo = JSON.readTree(skopeo("inspect", "--tls-verify=false", "--override-arch",
        "arm64", ref));
    JsonNode ours = JSON.readTree(layerfs("inspect", "--tls-verify=false", "--platform",
        "linux/arm64", ref));
    assertEquals(skopeo.get("Digest"), ours.get("Digest"));
    assertEquals(skopeo.get("Layers"), ours.get("Layers"));
    JsonNode layered = JSON.readTree(layerfs("inspect", "--tls-verify=false",
        "docker://" + repository + ":" + UmociImages.LAYERED));
    assertEquals(layered.get("Layers"), ours.get("Layers"), "arm64 is the layered image");
  }

  @Test
  void aMissingTagIsOneErrorLineNamingRegistryReferenceAndStatus() {
    String ref = repository + ":missing";
    LayerfsCli.Result r = LayerfsCli.runFailing(work.resolve("store"), "inspect",
        "--tls-verify=false", "docker://" + ref);
    assertEquals(1, r.exit());
    assertEquals("layerfs: registry " + TestRegistry.address() + ": " + ref
        + ": HTTP 404 MANIFEST_UNKNOWN: manifest unknown\n", r.stderr());
    assertTrue(r.stdout().isEmpty(), r.stdout());
  }

  private static void copy(String from, String tag) {
    Tools.run("skopeo", "copy", "-q", "--dest-tls-verify=false", from,
        "docker://" + repository + ":" + tag);
  }

  /**
   * Adds tag {@value #INDEX} to the layout: an OCI image index of the layered image as
   * linux/arm64, then the base image as linux/amd64 (not first, so that picking matters).
   */
  private static void addIndex(Path layout) throws IOException {
    ObjectNode layoutIndex = (ObjectNode) JSON.readTree(layout.resolve("index.json").toFile());
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", "application/vnd.oci.image.index.v1+json");
    for (String[] entry : List.of(new String[] {UmociImages.LAYERED, "arm64"},
        new String[] {UmociImages.BASE, "amd64"})) {
      for (JsonNode m : layoutIndex.get("manifests")) {
        if (m.at("/annotations/org.opencontainers.image.ref.name").asText().equals(entry[0])) {
          ObjectNode e = index.withArray("manifests").addObject();
          e.put("mediaType", m.get("mediaType").asText());
          e.put("digest", m.get("digest").asText());
          e.put("size", m.get("size").asLong());
          e.putObject("platform").put("architecture", entry[1]).put("os", "linux");
        }
      }
    }
    byte[] bytes = JSON.writeValueAsBytes(index);
    String hex = sha256(bytes);
    Files.write(layout.resolve("blobs/sha256/" + hex), bytes);
    ObjectNode tagged = layoutIndex.withArray("manifests").addObject();
    tagged.put("mediaType", "application/vnd.oci.image.index.v1+json");
    tagged.put("digest", "sha256:" + hex);
    tagged.put("size", bytes.length);
    tagged.putObject("annotations").put("org.opencontainers.image.ref.name", INDEX);
    Files.write(layout.resolve("index.json"), JSON.writeValueAsBytes(layoutIndex));
  }

  /**
   * A Docker schema 2 image in skopeo's dir: layout, its config as docker build writes one:
   * Docker-only fields (container_config, docker_version), maps whose keys are out of order,
   * {@code &} and {@code <} in strings, a time with an offset. Copied as it is, it keeps its
   * bytes (a copy from OCI would rewrite the config).
   */
  private static Path dockerDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    byte[] tar = ImageBuilder.tar(List.of(ImageBuilder.Entry.file("hello",
        "hi\n".getBytes(StandardCharsets.UTF_8))));
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
      out.write(tar);
    }
    byte[] layer = gz.toByteArray();
    String config = """
        {"architecture": "amd64",
         "config": {"Hostname": "", "User": "1000", "Env": ["PATH=/usr/bin", "X=a<b>&c"],
           "Cmd": ["/bin/sh", "-c", "echo hi && exit"], "Labels": {"zz": "1", "aa": "2"},
           "ExposedPorts": {"80/tcp": {}, "443/tcp": {}}, "Volumes": {"/data": {}},
           "WorkingDir": "/w", "ArgsEscaped": true, "OnBuild": null, "Image": "sha256:ab"},
         "container": "c0ffee", "container_config": {"Hostname": "x", "Cmd": ["/bin/sh"]},
         "created": "2023-04-05T06:07:08.900000000+02:00", "docker_version": "20.10.24",
         "history": [{"created": "2023-04-05T06:07:08.5Z",
           "created_by": "/bin/sh -c #(nop) ADD file:x in / && true"}],
         "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:%s"]}}
        """.formatted(sha256(tar));
    byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
    String manifest = """
        {"schemaVersion": 2,
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
           "size": %d, "digest": "sha256:%s"},
         "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
           "size": %d, "digest": "sha256:%s"}]}
        """.formatted(configBytes.length, sha256(configBytes), layer.length, sha256(layer));
    Files.write(dir.resolve(sha256(configBytes)), configBytes);
    Files.write(dir.resolve(sha256(layer)), layer);
    Files.writeString(dir.resolve("manifest.json"), manifest);
    Files.writeString(dir.resolve("version"), "Directory Transport Version: 1.1\n");
    return dir;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** skopeo's standard output, its bytes as UTF-8 text. */
  private static String skopeo(String... args) {
    List<String> command = new ArrayList<>(List.of("skopeo"));
    command.addAll(List.of(args));
    return Tools.run(null, command, TimeUnit.MINUTES.toSeconds(5));
  }

  /** layerfs's standard output, a char a byte (ISO-8859-1), so that --raw can be compared. */
  private static String layerfs(String... args) {
    LayerfsCli.Result r = LayerfsCli.runFailing(work.resolve("store"), args);
    if (r.exit() != 0) {
      throw new AssertionError("layerfs " + String.join(" ", args) + " exited with " + r.exit()
          + ": " + r.stderr());
    }
    return r.stdout();
  }

  /** What {@link #layerfs} printed, as the UTF-8 text it is. */
  private static String text(String latin1) {
    return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  private static List<String> sorted(JsonNode array) {
    List<String> list = new ArrayList<>();
    array.forEach(e -> list.add(e.asText()));
    list.sort(null);
    return list;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
