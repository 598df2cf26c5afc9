package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What umoci and skopeo do to a store that layerfs uses, run for real: {@code umoci gc} after the
 * tag of a container's image was removed or moved, tools that rewrite {@code index.json} while a
 * container is open for writing, a lost {@code index.json} entry, and the tools reading every
 * kind of image layerfs writes.
 *
 * <p>Each container's image is held in {@code index.json} by an entry without a ref.name,
 * annotated {@code io.layerfs.container=NAME}: umoci gc follows every entry, so it keeps the
 * image; umoci and skopeo keep the entry when they rewrite the file.
 */
final class OtherToolsIT {
  private static final String HOLD = "\"io.layerfs.container\":\"c1\"";

  @TempDir Path work;

  @BeforeAll
  static void tools() {
    Tools.require("umoci", "skopeo");
  }

  /**
   * A layout with image {@code base} of two layers made by umoci: {@code /etc/motd} ("hello"),
   * then {@code /file} ("data").
   */
  private Path store(String name) throws IOException {
    Path store = work.resolve(name);
    Tools.run("umoci", "init", "--layout", store.toString());
    Tools.run("umoci", "new", "--image", store + ":base");
    repack(store, "base", Map.of("etc/motd", "hello\n"));
    repack(store, "base", Map.of("file", "data\n"));
    return store;
  }

  /** Adds a layer with {@code files} to {@code tag} through umoci unpack and repack. */
  private void repack(Path store, String tag, Map<String, String> files) throws IOException {
    Path bundle = Files.createTempDirectory(work, "bundle");
    Files.delete(bundle);
    Tools.run("umoci", "unpack", "--image", store + ":" + tag, bundle.toString());
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path p = bundle.resolve("rootfs").resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.getValue());
    }
    Tools.run("umoci", "repack", "--image", store + ":" + tag, bundle.toString());
    Tools.run("rm", "-rf", bundle.toString());
  }

  /**
   * {@code layerfs inspect IMAGE} shows what skopeo reads of an image umoci configured: the ID
   * (the config's digest), the manifest digest, the platform, the creation time, the runtime
   * config (Env, Cmd, Entrypoint, WorkingDir, User, Labels) and the layers' diff IDs.
   */
  @Test
  void inspectOfAnImageShowsWhatSkopeoReads() throws IOException {
    Path store = store("inspect");
    Tools.run("umoci", "config", "--image", store + ":base", "--config.env=GREETING=hello",
        "--config.env=PATH=/usr/bin:/bin", "--config.entrypoint=/bin/sh",
        "--config.cmd=-c", "--config.cmd=echo hi", "--config.workingdir=/srv",
        "--config.user=1000:1000", "--config.label=org.example.role=web");
    ObjectMapper mapper = new ObjectMapper();
    String raw = Tools.run("skopeo", "inspect", "--raw", "--config", "oci:" + store + ":base");
    JsonNode config = mapper.readTree(raw);
    JsonNode manifest = mapper.readTree(Tools.run("skopeo", "inspect", "oci:" + store + ":base"));
    JsonNode image = mapper.readTree(LayerfsCli.run(store, "inspect", "--format", "json", "base"))
        .get(0);
    assertEquals("sha256:" + Tools.run("sh", "-c", "skopeo inspect --raw --config oci:" + store
        + ":base | sha256sum").split(" ")[0], image.get("Id").asText());
    assertEquals(manifest.get("Digest").asText(),
        image.get("GraphDriver").get("Data").get("Manifest").asText());
    assertEquals(List.of("base"), strings(image.get("RepoTags")));
    assertEquals(config.get("architecture").asText(), image.get("Architecture").asText());
    assertEquals(config.get("os").asText(), image.get("Os").asText());
    assertEquals(config.get("created").asText(), image.get("Created").asText());
    JsonNode runtime = config.get("config");
    for (String field : List.of("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels")) {
      assertEquals(runtime.get(field), image.get("Config").get(field), field);
    }
    assertEquals(List.of("GREETING=hello", "PATH=/usr/bin:/bin"),
        strings(image.get("Config").get("Env")));
    assertEquals(strings(config.get("rootfs").get("diff_ids")),
        strings(image.get("RootFS").get("Layers")));
    List<String> digests = new ArrayList<>();
    image.get("GraphDriver").get("Data").get("Layers")
        .forEach(l -> digests.add(l.get("digest").asText()));
    assertEquals(strings(manifest.get("Layers")), digests);
    String text = LayerfsCli.run(store, "inspect", "base");
    assertTrue(text.contains("Entrypoint:  [\"/bin/sh\"]"), text);
    assertTrue(text.contains("  GREETING=hello\n"), text);
    assertTrue(text.contains("Platform:    linux/" + config.get("architecture").asText()), text);
  }

  private static List<String> strings(JsonNode array) {
    List<String> result = new ArrayList<>();
    array.forEach(n -> result.add(n.asText()));
    return result;
  }

  private Path hostFile(String content) throws IOException {
    return Files.writeString(Files.createTempFile(work, "host", ".txt"), content);
  }

  private static Set<String> blobs(Path store) throws IOException {
    Set<String> result = new TreeSet<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(store.resolve("blobs/sha256"))) {
      s.forEach(p -> result.add(p.getFileName().toString()));
    }
    return result;
  }

  private static FileSystem writable(Path store, String name) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name), Map.of("store", store));
  }

  @Test
  void umociGcKeepsTheImageOfAContainerWhoseTagWasRemoved() throws IOException {
    Path store = store("s");
    LayerfsCli.run(store, "create", "c1", "base");
    LayerfsCli.run(store, "cp", hostFile("mine\n").toString(), "c1:/mine");
    assertTrue(Files.readString(store.resolve("index.json")).contains(HOLD));
    LayerfsCli.run(store, "rmi", "-f", "base");
    // the image stays untagged, as docker keeps the image of a container whose last tag a
    // forced rmi took; umoci lists tags only
    String id = LayerfsCli.run(store, "images", "-q").strip();
    assertTrue(id.matches("[0-9a-f]{12}"), id);
    assertEquals("", Tools.run("umoci", "ls", "--layout", store.toString()).strip());

    Tools.run("umoci", "gc", "--layout", store.toString());

    assertEquals("data\n", LayerfsCli.run(store, "cat", "c1", "/file"));
    assertEquals("hello\n", LayerfsCli.run(store, "cat", "c1", "/etc/motd"));
    assertEquals("mine\n", LayerfsCli.run(store, "cat", "c1", "/mine"));
    assertTrue(LayerfsCli.run(store, "fsck").contains("no problems"));

    // removing the container and the untagged image releases it: umoci gc then takes every blob
    LayerfsCli.run(store, "rm", "c1");
    assertFalse(Files.readString(store.resolve("index.json")).contains("io.layerfs.container"));
    LayerfsCli.run(store, "rmi", id);
    Tools.run("umoci", "gc", "--layout", store.toString());
    assertEquals(Set.of(), blobs(store));
  }

  @Test
  void umociGcKeepsTheImageOfAContainerWhoseTagMoved() throws IOException {
    Path store = store("s");
    LayerfsCli.run(store, "create", "c1", "base");
    // umoci repack and skopeo copy move the tag to another image, as a rebuild does
    repack(store, "base", Map.of("file", "rebuilt\n"));
    Path other = work.resolve("other");
    Tools.run("skopeo", "copy", "oci:" + store + ":base", "oci:" + other + ":x");
    Tools.run("skopeo", "copy", "oci:" + other + ":x", "oci:" + store + ":base");

    Tools.run("umoci", "gc", "--layout", store.toString());

    assertEquals("data\n", LayerfsCli.run(store, "cat", "c1", "/file"));
    LayerfsCli.run(store, "create", "c2", "base");
    assertEquals("rebuilt\n", LayerfsCli.run(store, "cat", "c2", "/file"));
    assertTrue(LayerfsCli.run(store, "fsck").contains("no problems"));
  }

  @Test
  void toolsRewritingIndexJsonKeepTheHoldOfAnOpenContainer() throws IOException {
    Path store = store("s");
    Path other = work.resolve("other");
    Tools.run("skopeo", "copy", "oci:" + store + ":base", "oci:" + other + ":x");
    LayerfsCli.run(store, "create", "c1", "base");
    try (FileSystem fs = writable(store, "c1")) {
      Files.writeString(fs.getPath("/before"), "before\n");

      Tools.run("skopeo", "copy", "oci:" + other + ":x", "oci:" + store + ":copied");
      Tools.run("umoci", "tag", "--image", store + ":base", "tagged");
      Tools.run("umoci", "rm", "--image", store + ":base");

      // the container keeps working, its lock holds against another writer, and layerfs sees
      // the tags the tools wrote
      Files.writeString(fs.getPath("/after"), "after\n");
      assertEquals("data\n", Files.readString(fs.getPath("/file")));
      LayerfsCli.Result second = LayerfsCli.runFailing(store, "cp",
          hostFile("x").toString(), "c1:/x");
      assertEquals(1, second.exit());
      assertTrue(second.stderr().contains("open for writing"), second.stderr());
      assertEquals(List.of("copied", "tagged"),
          LayerfsCli.tags(store).stream().sorted().toList());
    }
    assertTrue(Files.readString(store.resolve("index.json")).contains(HOLD));
    Tools.run("umoci", "rm", "--image", store + ":tagged");
    Tools.run("umoci", "rm", "--image", store + ":copied");
    Tools.run("umoci", "gc", "--layout", store.toString());
    assertEquals("before\n", LayerfsCli.run(store, "cat", "c1", "/before"));
    assertEquals("after\n", LayerfsCli.run(store, "cat", "c1", "/after"));
    assertEquals("data\n", LayerfsCli.run(store, "cat", "c1", "/file"));
  }

  /**
   * skopeo and umoci read index.json, then write it whole, without layerfs' lock: a container
   * created in between loses its entry (put back here as such a writer would). fsck says so, a
   * repair or the container's next open for writing adds it again.
   */
  @Test
  void aHoldLostToAnotherWriterIsFoundAndRestored() throws IOException {
    Path store = store("s");
    byte[] readBySkopeo = Files.readAllBytes(store.resolve("index.json"));
    LayerfsCli.run(store, "create", "c1", "base");
    Files.write(store.resolve("index.json"), readBySkopeo);

    LayerfsCli.Result check = LayerfsCli.runFailing(store, "fsck");
    assertEquals(1, check.exit(), check.stdout() + check.stderr());
    assertTrue(check.stdout().contains("image-hold c1: index.json does not hold its image"),
        check.stdout());
    assertTrue(LayerfsCli.run(store, "fsck", "--repair").contains("(repaired)"));
    assertTrue(Files.readString(store.resolve("index.json")).contains(HOLD));
    assertTrue(LayerfsCli.run(store, "fsck").contains("no problems"));

    Files.write(store.resolve("index.json"), readBySkopeo);
    LayerfsCli.run(store, "cp", hostFile("x\n").toString(), "c1:/x");
    assertTrue(Files.readString(store.resolve("index.json")).contains(HOLD));
  }

  /**
   * Two writers of index.json at once: skopeo read it when its copy began and writes it whole
   * when the copy ends, without layerfs' lock, so a tag and a hold layerfs wrote meanwhile are
   * gone (the proxy holds skopeo's layer download until layerfs is done). The container's files
   * are not: fsck names the lost hold and a repair writes it again; the lost tag must be given
   * again.
   */
  @Test
  void skopeoCopyingMeanwhileLosesWhatLayerfsWroteToIndexJsonButNoData() throws Exception {
    Path store = store("s");
    Path other = work.resolve("other");
    Tools.run("umoci", "init", "--layout", other.toString());
    Tools.run("umoci", "new", "--image", other + ":x");
    repack(other, "x", Map.of("other", "other\n"));
    Tools.run("skopeo", "copy", "--dest-tls-verify=false", "oci:" + other + ":x",
        "docker://" + TestRegistry.address() + "/layerfs-it/other-tools:1");
    String manifestJson = Tools.run("skopeo", "inspect", "--raw", "--tls-verify=false",
        "docker://" + TestRegistry.address() + "/layerfs-it/other-tools:1");
    String layerDigest = manifestJson.replaceAll(
        "(?s).*\"layers\"\\s*:\\s*\\[\\s*\\{[^}]*\"digest\"\\s*:\\s*\"(sha256:[0-9a-f]{64})\".*",
        "$1");
    assertTrue(layerDigest.startsWith("sha256:"), manifestJson);
    LayerfsCli.run(store, "create", "c1", "base");

    CountDownLatch waiting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (RegistryProxy proxy = new RegistryProxy(TestRegistry.address())) {
      proxy.gate(path -> path.endsWith("/blobs/" + layerDigest), waiting, release);
      Process skopeo = new ProcessBuilder("skopeo", "copy", "--src-tls-verify=false",
          "docker://" + proxy.address() + "/layerfs-it/other-tools:1", "oci:" + store + ":copied")
          .redirectErrorStream(true).redirectOutput(work.resolve("skopeo.log").toFile()).start();
      try {
        assertTrue(waiting.await(120, TimeUnit.SECONDS), "skopeo never fetched the layer");
        LayerfsCli.run(store, "tag", "base", "mine");
        LayerfsCli.run(store, "create", "c2", "base");
        LayerfsCli.run(store, "cp", hostFile("c2's\n").toString(), "c2:/mine");
        assertTrue(Files.readString(store.resolve("index.json")).contains("\"c2\""));
      } finally {
        release.countDown();
      }
      assertTrue(skopeo.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, skopeo.exitValue(), Files.readString(work.resolve("skopeo.log")));
    }

    String index = Files.readString(store.resolve("index.json"));
    assertTrue(index.contains("\"copied\""), index);
    assertFalse(index.contains("\"mine:latest\""), "skopeo wrote the index it read: " + index);
    assertFalse(index.contains("\"c2\""), index);
    assertEquals("c2's\n", LayerfsCli.run(store, "cat", "c2", "/mine"));
    LayerfsCli.Result check = LayerfsCli.runFailing(store, "fsck");
    assertEquals(1, check.exit(), check.stdout());
    assertTrue(check.stdout().contains("image-hold c2:"), check.stdout());
    assertTrue(LayerfsCli.run(store, "fsck", "--repair").contains("(repaired)"));
    assertTrue(Files.readString(store.resolve("index.json")).contains("\"c2\""));
    LayerfsCli.run(store, "rmi", "-f", "base");
    Tools.run("umoci", "gc", "--layout", store.toString());
    assertEquals("c2's\n", LayerfsCli.run(store, "cat", "c2", "/mine"));
    assertEquals("data\n", LayerfsCli.run(store, "cat", "c2", "/file"));
  }

  /**
   * When umoci gc did delete a container's image (its hold lost, then the tag removed), opening
   * it fails naming the container and the blob, and fsck lists every blob it lacks.
   */
  @Test
  void aContainerWhoseImageUmociDeletedFailsNamingTheBlob() throws IOException {
    Path store = store("s");
    byte[] withoutHold = Files.readAllBytes(store.resolve("index.json"));
    LayerfsCli.run(store, "create", "c1", "base");
    String manifest = Files.readString(store.resolve("layerfs/containers/c1/container.json"))
        .replaceAll("(?s).*\"manifest\" *: *\"(sha256:[0-9a-f]{64})\".*", "$1");
    assertTrue(manifest.startsWith("sha256:"), manifest);
    Files.write(store.resolve("index.json"), withoutHold);
    Tools.run("umoci", "rm", "--image", store + ":base");
    Tools.run("umoci", "gc", "--layout", store.toString());

    LayerfsCli.Result open = LayerfsCli.runFailing(store, "cat", "c1", "/file");
    assertEquals(1, open.exit());
    assertTrue(open.stderr().contains("container c1") && open.stderr().contains(manifest)
        && open.stderr().contains("missing"), open.stderr());
    LayerfsCli.Result fsck = LayerfsCli.runFailing(store, "fsck");
    assertEquals(1, fsck.exit());
    assertTrue(fsck.stdout().contains("missing-blob " + manifest
        + ": needed as manifest of container c1"), fsck.stdout());
  }

  /**
   * umoci gc deletes the uncompressed layer blobs layerfs keeps (no manifest names them) while a
   * container is open: the container goes on reading every file, and the next open rebuilds them.
   */
  @Test
  void umociGcUnderAnOpenContainerLosesNoRead() throws IOException {
    Path store = store("s");
    LayerfsCli.run(store, "create", "c1", "base");
    try (FileSystem fs = writable(store, "c1")) {
      Tools.run("umoci", "gc", "--layout", store.toString());
      assertEquals("data\n", Files.readString(fs.getPath("/file")));
      assertEquals("hello\n", Files.readString(fs.getPath("/etc/motd")));
      Files.writeString(fs.getPath("/etc/motd"), "changed\n");
    }
    assertEquals("changed\n", LayerfsCli.run(store, "cat", "c1", "/etc/motd"));
    assertEquals("data\n", LayerfsCli.run(store, "cat", "c1", "/file"));
  }

  /**
   * umoci unpack and skopeo copy (to a layout and to a docker-archive) take every image layerfs
   * writes: commits (gzip and uncompressed), a flattened image, its eStargz form and an imported
   * file system tar. (zstd layers are left out: umoci 0.4 does not know their media type, and
   * skopeo writes none into a docker-archive.)
   */
  @Test
  void toolsReadEveryKindOfImageLayerfsWrites() throws IOException {
    Path store = store("s");
    LayerfsCli.run(store, "create", "c1", "base");
    LayerfsCli.run(store, "cp", hostFile("mine\n").toString(), "c1:/mine");
    LayerfsCli.run(store, "commit", "c1", "committed");
    LayerfsCli.run(store, "commit", "--compression", "none", "c1", "plain");
    LayerfsCli.run(store, "flatten", "committed", "flat");
    LayerfsCli.run(store, "convert", "--format", "estargz", "committed", "esgz");
    Path tar = work.resolve("c1.tar");
    LayerfsCli.run(store, "export", "c1", "-o", tar.toString());
    LayerfsCli.run(store, "import", tar.toString(), "imported:1");

    for (String tag : List.of("committed", "plain", "flat", "esgz", "imported:1")) {
      Path bundle = work.resolve("bundle-" + tag.replace(':', '-'));
      Tools.run("umoci", "unpack", "--image", store + ":" + tag, bundle.toString());
      Path rootfs = bundle.resolve("rootfs");
      assertEquals("mine\n", Files.readString(rootfs.resolve("mine")), tag);
      assertEquals("data\n", Files.readString(rootfs.resolve("file")), tag);
      assertEquals("hello\n", Files.readString(rootfs.resolve("etc/motd")), tag);
      Tools.run("skopeo", "copy", "oci:" + store + ":" + tag,
          "oci:" + work.resolve("copies") + ":" + tag.replace(':', '-'));
      Tools.run("skopeo", "copy", "oci:" + store + ":" + tag,
          "docker-archive:" + work.resolve(tag.replace(':', '-') + ".tar"));
    }
    Tools.run("skopeo", "inspect", "--config", "oci:" + store + ":committed");
  }
}
