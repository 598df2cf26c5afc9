package io.layerfs.core.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciJson;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageTransferTest {
  @TempDir Path tmp;
  ContentStore source;
  LayerStore sourceLayers;
  ContentStore target;
  LayerStore targetLayers;
  Image image;

  @BeforeEach
  void setUp() throws IOException {
    source = ContentStore.open(tmp.resolve("source"));
    sourceLayers = new LayerStore(source);
    target = ContentStore.open(tmp.resolve("target"));
    targetLayers = new LayerStore(target);
    String manifest = ImageBuilder.create(source.root())
        .layer(LayerCompression.GZIP)
        .dir("/etc")
        .file("/etc/hosts", "127.0.0.1 localhost\n")
        .file("/etc/big", new byte[200_000])
        .symlink("/etc/link", "hosts")
        .hardlink("/etc/hosts2", "/etc/hosts")
        .layer(LayerCompression.ZSTD)
        .whiteout("/etc/big")
        .file("/etc/new", "new\n")
        .layer(LayerCompression.NONE)
        .dir("/" + "d".repeat(120))
        .file("/" + "d".repeat(120) + "/" + "f".repeat(120), "long names\n")
        .build("demo:1")
        .manifestDigest();
    image = Images.resolve(source, manifest);
  }

  @AfterEach
  void close() throws IOException {
    sourceLayers.close();
    targetLayers.close();
  }

  // ---- OCI layouts ----

  @Test
  void aLayoutDirectoryImportsEveryImageAndKeepsTheUntaggedOnesUntagged() throws IOException {
    Digest untagged = Digest.parse(ImageBuilder.create(source.root())
        .layer(LayerCompression.NONE).file("/only", "untagged\n").build().manifestDigest());
    source.keepUntagged(untagged);
    assertEquals(List.of(untagged), source.readIndex().untagged());
    List<String> made = ImageTransfer.importArchive(source.root(), target, Progress.NONE);
    assertEquals(List.of("demo:1", untagged.toString()), made);
    assertEquals(List.of("demo:1"), target.tags());
    assertEquals(List.of(untagged), target.readIndex().untagged());
    assertEquals(untagged, Images.resolve(target, untagged.toString()).manifestDigest());
    // again: the entry is kept once, not doubled
    ImageTransfer.importArchive(source.root(), target, Progress.NONE);
    assertEquals(2, target.readIndex().manifests().size());
    // a tag of it takes it out of the untagged ones: its untagged entry goes, as docker's
    // dangling image is one no more once tagged, so that it goes with its last tag
    target.tag("named:1", untagged);
    assertEquals(List.of(), target.readIndex().untagged());
    assertEquals(2, target.readIndex().manifests().size());
    assertFalse(target.forgetUntagged(untagged));
    assertEquals(List.of("demo:1", "named:1"), target.tags());
    // imported again while tagged, it is not kept untagged besides
    ImageTransfer.importArchive(source.root(), target, Progress.NONE);
    assertEquals(2, target.readIndex().manifests().size());
    assertTrue(target.untag("named:1"));
    assertEquals(List.of(), target.readIndex().untagged());
  }

  @Test
  void ociLayoutRoundTripKeepsTheManifestDigest() throws IOException {
    Path dir = tmp.resolve("layout");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "oci:" + dir + ":v1", null);
    assertFalse(Files.exists(dir.resolve(ContentStore.STATE_DIR)), "layerfs state left behind");
    assertEquals(List.of("v1"), ContentStore.open(dir).tags());

    List<String> tags = ImageTransfer.importImage(target, "oci:" + dir + ":v1", null,
        Progress.NONE);
    assertEquals(List.of("v1"), tags);
    Image imported = Images.resolve(target, "v1");
    assertEquals(image.manifestDigest(), imported.manifestDigest());
    assertEquals(tree(source, sourceLayers, "demo:1"), tree(target, targetLayers, "v1"));
  }

  @Test
  void exportAddsToAnExistingLayoutAndMovesASameNamedTag() throws IOException {
    Image other = Images.resolve(source, ImageBuilder.create(source.root()).layer()
        .file("/other", "x").build("other").manifestDigest());
    Path dir = tmp.resolve("layout");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "oci:" + dir + ":a", null);
    ImageTransfer.exportImage(source, sourceLayers, "other", "oci:" + dir + ":b", null);
    ImageTransfer.exportImage(source, sourceLayers, "other", "oci:" + dir + ":a", null);
    // without a TAG the image reference names the entry
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "oci:" + dir, null);
    ContentStore layout = ContentStore.open(dir);
    assertEquals(List.of("a", "b", "demo:1"), layout.tags());
    assertEquals(other.manifestDigest(), Images.resolve(layout, "a").manifestDigest());
    assertEquals(image.manifestDigest(), Images.resolve(layout, "demo:1").manifestDigest());
    assertEquals(3, layout.readIndex().manifests().size());
  }

  /** As skopeo: the directory an export goes into must exist, so a typo in it makes nothing. */
  @Test
  void anExportIntoAMissingDirectoryIsRefusedAndCreatesNone() throws IOException {
    Path missing = tmp.resolve("typo");
    for (String dest : List.of("oci:" + missing.resolve("layout") + ":a",
        "oci-archive:" + missing.resolve("x.tar"), "docker-archive:" + missing.resolve("x.tar"))) {
      java.nio.file.NoSuchFileException e = assertThrows(
          java.nio.file.NoSuchFileException.class,
          () -> ImageTransfer.exportImage(source, sourceLayers, "demo:1", dest, null), dest);
      assertTrue(e.getMessage().contains("no such directory " + missing), e.getMessage());
      assertFalse(Files.exists(missing), dest);
    }
  }

  /**
   * A failed export to a layout (here a damaged blob of the store; a full disk likewise) leaves
   * no layout where there was none, and keeps one that was there with what it had.
   */
  @Test
  void aFailedExportLeavesNoLayoutItMade() throws IOException {
    ImageBuilder.create(source.root()).layer().file("/other", "x").build("other");
    Path kept = tmp.resolve("kept");
    ImageTransfer.exportImage(source, sourceLayers, "other", "oci:" + kept + ":a", null);
    Path blob = source.blobPath(image.layers().get(0).digest());
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length / 2] ^= 1;
    Files.write(blob, bytes);
    Path fresh = tmp.resolve("new/layouts/one");
    assertThrows(IOException.class, () -> ImageTransfer.exportImage(source, sourceLayers,
        "demo:1", "oci:" + fresh + ":v1", null));
    assertFalse(Files.exists(tmp.resolve("new")));
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThrows(IOException.class, () -> ImageTransfer.exportImage(source, sourceLayers,
        "demo:1", "oci:" + empty + ":v1", null));
    try (var left = Files.list(empty)) {
      assertEquals(List.of(), left.toList());
    }
    assertThrows(IOException.class, () -> ImageTransfer.exportImage(source, sourceLayers,
        "demo:1", "oci:" + kept + ":b", null));
    assertEquals(List.of("a"), ContentStore.open(kept).tags());
  }

  @Test
  void exportByDigestToALayoutNeedsATag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ImageTransfer.exportImage(source, sourceLayers, image.manifestDigest().toString(),
            "oci:" + tmp.resolve("layout"), null));
    assertTrue(e.getMessage().contains("needs a tag"), e.getMessage());
  }

  @Test
  void importOfAnUnknownTagOrAnAmbiguousLayoutListsTheTags() throws IOException {
    ImageBuilder.create(source.root()).layer().file("/other", "x").build("other");
    IOException unknown = assertThrows(IOException.class, () -> ImageTransfer.importImage(
        target, "oci:" + source.root() + ":nope", null, Progress.NONE));
    assertTrue(unknown.getMessage().contains("demo:1, other"), unknown.getMessage());
    IOException ambiguous = assertThrows(IOException.class, () -> ImageTransfer.importImage(
        target, "oci:" + source.root(), null, Progress.NONE));
    assertTrue(ambiguous.getMessage().contains("2 images"), ambiguous.getMessage());
    assertEquals(List.of(), target.tags());
  }

  @Test
  void importsTheOnlyImageOfALayoutUnderAGivenTag() throws IOException {
    assertEquals(List.of("mine"),
        ImageTransfer.importImage(target, "oci:" + source.root(), "mine", Progress.NONE));
    assertEquals(image.manifestDigest(), Images.resolve(target, "mine").manifestDigest());
  }

  @Test
  void ociArchiveRoundTripIsReproducible() throws IOException {
    Path first = tmp.resolve("first.tar");
    Path second = tmp.resolve("second.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "oci-archive:" + first + ":t",
        null);
    ImageTransfer.exportImage(source, sourceLayers, image.manifestDigest().toString(),
        "oci-archive:" + second + ":t", null);
    assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
    assertFixedHeaders(first);
    assertEquals(List.of("blobs/", "blobs/sha256/"), names(first).subList(0, 2));
    assertTrue(names(first).containsAll(List.of("index.json", "oci-layout")));

    assertEquals(List.of("copy"), ImageTransfer.importImage(target, "oci-archive:" + first,
        "copy", Progress.NONE));
    assertEquals(image.manifestDigest(), Images.resolve(target, "copy").manifestDigest());
    assertEquals(tree(source, sourceLayers, "demo:1"), tree(target, targetLayers, "copy"));
    assertNoScratchLeft();
  }

  @Test
  void corruptBlobInAnOciArchiveIsRejectedAndNothingTagged() throws IOException {
    Path archive = tmp.resolve("oci.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "oci-archive:" + archive, null);
    Layer layer = image.layers().get(0);
    String name = "blobs/sha256/" + layer.digest().hex();
    rewrite(archive, name, data -> {
      byte[] copy = data.clone();
      copy[copy.length / 2] ^= 1; // same size, other digest
      return copy;
    });
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(
        target, "oci-archive:" + archive, null, Progress.NONE));
    assertTrue(e.getMessage().contains(name), e.getMessage());
    assertTrue(e.getMessage().contains("expected " + layer.digest()), e.getMessage());
    assertTrue(e.getMessage().contains("actual sha256:"), e.getMessage());
    assertEquals(List.of(), target.tags());
    assertFalse(target.contains(layer.digest()));
    assertNoScratchLeft();
  }

  // ---- docker-archive ----

  @Test
  void dockerArchiveHasDockerSaveLayoutAndIsReproducible() throws IOException {
    Path first = tmp.resolve("d1.tar");
    Path second = tmp.resolve("d2.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + first
        + ":example.com/demo/app:2", null);
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + second
        + ":example.com/demo/app:2", null);
    assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
    assertFixedHeaders(first);

    Map<String, byte[]> files = files(first);
    JsonNode manifest = OciJson.readTree(files.get("manifest.json"));
    assertEquals(1, manifest.size());
    assertEquals(image.configDigest().hex() + ".json", manifest.get(0).get("Config").asText());
    assertEquals("example.com/demo/app:2", manifest.get(0).get("RepoTags").get(0).asText());
    List<String> layerNames = new ArrayList<>();
    manifest.get(0).get("Layers").forEach(n -> layerNames.add(n.asText()));
    List<String> expected = new ArrayList<>();
    for (Layer layer : image.layers()) {
      expected.add(layer.diffId().hex() + ".tar");
      // uncompressed: the file hashes to its diff_id
      assertEquals(layer.diffId(), Digest.sha256(files.get(layer.diffId().hex() + ".tar")));
    }
    assertEquals(expected, layerNames);
    JsonNode repositories = OciJson.readTree(files.get("repositories"));
    String top = repositories.get("example.com/demo/app").get("2").asText();
    assertTrue(files.containsKey(top + "/json"), "legacy layer json");
    assertTrue(files.containsKey(top + "/VERSION"));
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      if (e.getKey().endsWith(".json") && !e.getKey().contains("/")
          && !e.getKey().equals("manifest.json")) {
        assertEquals(image.configDigest(), Digest.sha256(e.getValue()));
      }
    }
  }

  @Test
  void dockerArchiveRoundTripKeepsConfigAndDiffIds() throws IOException {
    Path archive = tmp.resolve("d.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + archive, null);
    List<String> tags = ImageTransfer.importImage(target, "docker-archive:" + archive, null,
        Progress.NONE);
    assertEquals(List.of("demo:1"), tags);
    Image imported = Images.resolve(target, "demo:1");
    assertEquals(image.configDigest(), imported.configDigest());
    assertEquals(diffIds(image), diffIds(imported));
    assertEquals(tree(source, sourceLayers, "demo:1"), tree(target, targetLayers, "demo:1"));
    assertNoScratchLeft();
  }

  @Test
  void dockerArchiveImageIsSelectedByNormalizedNameOrIndex() throws IOException {
    Path archive = tmp.resolve("d.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + archive
        + ":team/app", null);
    assertEquals(List.of("team/app:latest"), ImageTransfer.importImage(
        target, "docker-archive:" + archive + ":docker.io/team/app:latest", null, Progress.NONE));
    assertEquals(List.of("x"), ImageTransfer.importImage(
        target, "docker-archive:" + archive + ":@0", "x", Progress.NONE));
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(
        target, "docker-archive:" + archive + ":team/other", null, Progress.NONE));
    assertTrue(e.getMessage().contains("team/app:latest"), e.getMessage());
    assertThrows(IOException.class, () -> ImageTransfer.importImage(
        target, "docker-archive:" + archive + ":@1", null, Progress.NONE));
    assertEquals(List.of("team/app:latest", "x"), target.tags());
  }

  @Test
  void corruptLayerInADockerArchiveIsRejectedNamingBothDigests() throws IOException {
    Path archive = tmp.resolve("d.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + archive, null);
    Digest diffId = image.layers().get(1).diffId();
    String name = diffId.hex() + ".tar";
    rewrite(archive, name, data -> concat(data, new byte[512])); // still a valid tar
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(
        target, "docker-archive:" + archive, null, Progress.NONE));
    assertTrue(e.getMessage().contains(name), e.getMessage());
    assertTrue(e.getMessage().contains("expected " + diffId), e.getMessage());
    assertTrue(e.getMessage().contains("actual sha256:"), e.getMessage());
    assertEquals(List.of(), target.tags());
  }

  @Test
  void corruptConfigInADockerArchiveIsRejectedNamingBothDigests() throws IOException {
    Path archive = tmp.resolve("d.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + archive, null);
    String name = image.configDigest().hex() + ".json";
    rewrite(archive, name, data -> concat(data, "\n".getBytes(StandardCharsets.UTF_8)));
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(
        target, "docker-archive:" + archive, null, Progress.NONE));
    assertTrue(e.getMessage().contains(name), e.getMessage());
    assertTrue(e.getMessage().contains("expected " + image.configDigest()), e.getMessage());
    assertTrue(e.getMessage().contains("actual sha256:"), e.getMessage());
    assertEquals(List.of(), target.tags());
  }

  /** Classic docker save: {@code <id>/layer.tar}, here gzip-compressed, checked uncompressed. */
  @Test
  void classicDockerSaveLayoutWithCompressedLayersImports() throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    List<String> layerNames = new ArrayList<>();
    StringBuilder diffIds = new StringBuilder();
    for (int i = 0; i < image.layers().size(); i++) {
      Layer layer = image.layers().get(i);
      sourceLayers.index(layer);
      byte[] tar = Files.readAllBytes(source.blobPath(layer.diffId()));
      String id = String.format("%064x", i + 1);
      files.put(id + "/VERSION", "1.0".getBytes(StandardCharsets.US_ASCII));
      files.put(id + "/layer.tar", i == 0 ? gzip(tar) : tar);
      layerNames.add("\"" + id + "/layer.tar\"");
      diffIds.append(i == 0 ? "" : ",").append('"').append(layer.diffId()).append('"');
    }
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
        + "\"diff_ids\":[" + diffIds + "]}}").getBytes(StandardCharsets.UTF_8);
    String configName = Digest.sha256(config).hex() + ".json";
    files.put(configName, config);
    files.put("manifest.json", ("[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"old:1\"],"
        + "\"Layers\":[" + String.join(",", layerNames) + "]}]").getBytes(StandardCharsets.UTF_8));
    files.put("repositories", "{\"old\":{\"1\":\"x\"}}".getBytes(StandardCharsets.UTF_8));
    Path archive = tmp.resolve("classic.tar");
    writeTar(archive, files);

    assertEquals(List.of("old:1"), ImageTransfer.importImage(target, "docker-archive:" + archive,
        null, Progress.NONE));
    Image imported = Images.resolve(target, "old:1");
    assertEquals(MediaTypes.OCI_LAYER_GZIP, imported.layers().get(0).mediaType());
    assertEquals(diffIds(image), diffIds(imported));
    assertEquals(tree(source, sourceLayers, "demo:1"), tree(target, targetLayers, "old:1"));

    // a compressed layer whose content does not match its diff_id
    Digest diffId = image.layers().get(0).diffId();
    files.put(String.format("%064x", 1) + "/layer.tar", gzip(files(archive).get(
        String.format("%064x", 2) + "/layer.tar")));
    writeTar(archive, files);
    ContentStore fresh = ContentStore.open(tmp.resolve("fresh"));
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(
        fresh, "docker-archive:" + archive, null, Progress.NONE));
    assertTrue(e.getMessage().contains(String.format("%064x", 1) + "/layer.tar"),
        e.getMessage());
    assertTrue(e.getMessage().contains("expected " + diffId), e.getMessage());
    assertTrue(e.getMessage().contains("actual " + image.layers().get(1).diffId()),
        e.getMessage());
    assertEquals(List.of(), fresh.tags());
  }

  /** Docker 25+: an OCI layout plus a manifest.json naming {@code blobs/sha256/<hex>}. */
  @Test
  void modernDockerSaveLayoutImportsByRepoTagsAndAsOciArchive() throws IOException {
    ContentStore plain = ContentStore.open(tmp.resolve("plain"));
    Image built = Images.resolve(plain, ImageBuilder.create(plain.root())
        .layer(LayerCompression.NONE).file("/a", "a\n")
        .layer(LayerCompression.NONE).file("/b", "b\n").build("latest").manifestDigest());
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("oci-layout", Files.readAllBytes(plain.root().resolve("oci-layout")));
    files.put("index.json", Files.readAllBytes(plain.root().resolve("index.json")));
    List<String> layerNames = new ArrayList<>();
    for (Digest d : List.of(built.layers().get(0).digest(), built.layers().get(1).digest(),
        built.configDigest(), built.manifestDigest())) {
      files.put("blobs/sha256/" + d.hex(), Files.readAllBytes(plain.blobPath(d)));
    }
    built.layers().forEach(l -> layerNames.add("\"blobs/sha256/" + l.digest().hex() + "\""));
    files.put("manifest.json", ("[{\"Config\":\"blobs/sha256/" + built.configDigest().hex()
        + "\",\"RepoTags\":[\"busybox:latest\"],\"Layers\":[" + String.join(",", layerNames)
        + "]}]").getBytes(StandardCharsets.UTF_8));
    Path archive = tmp.resolve("modern.tar");
    writeTar(archive, files);

    assertEquals(List.of("busybox:latest"), ImageTransfer.importImage(
        target, "docker-archive:" + archive + ":busybox", null, Progress.NONE));
    assertEquals(built.configDigest(), Images.resolve(target, "busybox:latest").configDigest());
    assertEquals(List.of("latest"), ImageTransfer.importImage(
        target, "oci-archive:" + archive, null, Progress.NONE));
    assertEquals(built.manifestDigest(), Images.resolve(target, "latest").manifestDigest());
    // the archive without a kind: manifest.json wins, for its full names
    ContentStore auto = ContentStore.open(tmp.resolve("auto"));
    assertEquals(List.of("busybox:latest"),
        ImageTransfer.importArchive(archive, auto, Progress.NONE));
  }

  // ---- safety ----

  @Test
  void tarSlipEntriesAreRefused() throws IOException {
    for (String evil : List.of("../evil", "a/../../evil", "/abs/evil")) {
      Map<String, byte[]> files = new LinkedHashMap<>();
      files.put("manifest.json", "[]".getBytes(StandardCharsets.UTF_8));
      files.put(evil, "pwned".getBytes(StandardCharsets.UTF_8));
      Path archive = tmp.resolve("slip.tar");
      writeTar(archive, files);
      IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(
          target, "docker-archive:" + archive, null, Progress.NONE));
      assertTrue(e.getMessage().contains("'" + evil + "'"), e.getMessage());
      assertFalse(Files.exists(target.stateDir().resolve("evil")));
      assertFalse(Files.exists(tmp.resolve("evil")));
      assertNoScratchLeft();
    }
  }

  @Test
  void truncatedArchiveIsAnErrorNamingItAndTheEntry() throws IOException {
    Path whole = tmp.resolve("whole.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + whole, null);
    byte[] bytes = Files.readAllBytes(whole);
    Path cut = tmp.resolve("cut.tar");
    // 1,000 bytes: within the first entry's data; the first layer is larger than that
    Files.write(cut, java.util.Arrays.copyOf(bytes, 1_000));
    String firstEntry;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(whole))) {
      firstEntry = tar.getNextEntry().getName();
    }
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(
        target, "docker-archive:" + cut, null, Progress.NONE));
    assertTrue(e.getMessage().startsWith(cut + " is truncated or damaged in entry '" + firstEntry
        + "'"), e.getMessage());
    assertEquals(List.of(), target.tags());
    assertNoScratchLeft();
  }

  @Test
  void anArchiveThatIsNoRegularFileIsAnErrorSayingSo() throws Exception {
    Path fifo = tmp.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    for (Path file : List.of(fifo, tmp)) {
      IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(
          target, "docker-archive:" + file, null, Progress.NONE));
      assertEquals("docker-archive:" + file + ": " + file + " is not a regular file (a "
          + "directory, a pipe or a device): an archive is read from a file", e.getMessage());
    }
    assertEquals(List.of(), target.tags());
  }

  @Test
  void missingArchiveIsAnErrorSayingSo() {
    Path missing = tmp.resolve("missing.tar");
    for (String kind : List.of("docker-archive:", "oci-archive:", "oci:")) {
      NoSuchFileException e = assertThrows(NoSuchFileException.class,
          () -> ImageTransfer.importImage(target, kind + missing, null, Progress.NONE));
      assertEquals(missing.toString(), e.getFile());
    }
  }

  @Test
  void failedExportLeavesTheOldArchiveAndNoTempFile() throws IOException {
    Image plain = Images.resolve(source, ImageBuilder.create(source.root())
        .layer(LayerCompression.NONE).file("/f", "data\n").build("plain").manifestDigest());
    Path dir = Files.createDirectories(tmp.resolve("out"));
    Path archive = dir.resolve("a.tar");
    Files.writeString(archive, "old");
    // corrupt the stored layer (uncompressed: the blob is its own diff_id)
    Path blob = source.blobPath(plain.layers().get(0).digest());
    byte[] data = Files.readAllBytes(blob);
    data[600] ^= 1;
    blob.toFile().setWritable(true);
    Files.write(blob, data);
    for (String kind : List.of("docker-archive:", "oci-archive:")) {
      IOException e;
      try (LayerStore fresh = new LayerStore(source)) {
        e = assertThrows(IOException.class, () -> ImageTransfer.exportImage(
            source, fresh, "plain", kind + archive, null));
      }
      assertTrue(e.getMessage().contains(plain.layers().get(0).digest().toString()),
          e.getMessage());
      assertEquals("old", Files.readString(archive));
      try (Stream<Path> s = Files.list(dir)) {
        assertEquals(List.of(archive), s.toList());
      }
    }
  }

  @Test
  void progressReportsEveryByteOfTheLayers() throws IOException {
    Path archive = tmp.resolve("d.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + archive, null);
    long[] advanced = new long[1];
    int[] open = new int[1];
    Progress counting = new Progress() {
      @Override
      public void start(String step, long total) {
        assertEquals(0, open[0], "steps do not nest");
        open[0]++;
      }

      @Override
      public void advance(long amount) {
        assertEquals(1, open[0]);
        advanced[0] += amount;
      }

      @Override
      public void done() {
        open[0]--;
      }
    };
    ImageTransfer.importImage(target, "docker-archive:" + archive, null, counting);
    assertEquals(0, open[0]);
    long layerBytes = 0;
    for (Layer layer : Images.resolve(target, "demo:1").layers()) {
      layerBytes += layer.size();
    }
    // the unpack reads the whole archive, then each layer is copied once
    assertEquals(Files.size(archive) + layerBytes, advanced[0]);
  }

  // ---- helpers ----

  private void assertNoScratchLeft() throws IOException {
    try (Stream<Path> s = Files.list(target.stateDir())) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("unpack-"))
          .toList());
    }
  }

  private static List<Digest> diffIds(Image image) {
    return image.layers().stream().map(Layer::diffId).toList();
  }

  /** Every path of the merged tree with its type, metadata and content digest, sorted. */
  private static String tree(ContentStore store, LayerStore layers, String ref)
      throws IOException {
    RootFs root = RootFs.open(store, layers, ref);
    StringBuilder sb = new StringBuilder();
    walk(root, "/", sb);
    return sb.toString();
  }

  private static void walk(RootFs root, String path, StringBuilder sb) throws IOException {
    Node.Lower node = root.lookup(path, false);
    sb.append(path).append(' ').append(node.type()).append(' ')
        .append(Integer.toOctalString(node.mode())).append(' ').append(node.uid()).append(':')
        .append(node.gid()).append(' ').append(node.mtimeNanos()).append(' ')
        .append(node.size()).append(' ').append(node.linkCount());
    if (node.isSymbolicLink()) {
      sb.append(" -> ").append(node.linkTarget());
    }
    if (node.isRegularFile()) {
      ByteBuffer buffer = ByteBuffer.allocate((int) node.size());
      while (buffer.hasRemaining() && root.read(node, buffer, buffer.position()) > 0) {
        // fill
      }
      sb.append(' ').append(Digest.sha256(buffer.array()));
    }
    sb.append('\n');
    if (node.isDirectory()) {
      for (String name : root.list(path)) {
        walk(root, path.equals("/") ? "/" + name : path + "/" + name, sb);
      }
    }
  }

  /** No header carries the time, owner or host of the export. */
  private static void assertFixedHeaders(Path tar) throws IOException {
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      TarArchiveEntry e;
      int count = 0;
      while ((e = in.getNextEntry()) != null) {
        assertEquals(0, e.getModTime().getTime(), e.getName());
        assertEquals(0, e.getLongUserId(), e.getName());
        assertEquals(0, e.getLongGroupId(), e.getName());
        assertEquals("", e.getUserName(), e.getName());
        assertEquals(e.isDirectory() ? 0755 : e.isSymbolicLink() ? 0777 : 0644,
            e.getMode() & 07777, e.getName());
        count++;
      }
      assertTrue(count > 3);
    }
  }

  private static List<String> names(Path tar) throws IOException {
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        names.add(e.getName());
      }
    }
    return names;
  }

  /** The regular files of a tar, in order. */
  private static Map<String, byte[]> files(Path tar) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.isFile()) {
          files.put(e.getName(), in.readAllBytes());
        }
      }
    }
    return files;
  }

  private interface Edit {
    byte[] apply(byte[] data);
  }

  /** Rewrites a tar's regular files (links are dropped), editing the one called {@code name}. */
  private static void rewrite(Path tar, String name, Edit edit) throws IOException {
    Map<String, byte[]> files = files(tar);
    assertTrue(files.containsKey(name), name + " in " + files.keySet());
    files.put(name, edit.apply(files.get(name)));
    writeTar(tar, files);
  }

  private static void writeTar(Path tar, Map<String, byte[]> files) throws IOException {
    try (OutputStream out = Files.newOutputStream(tar);
        TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
      t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(e.getKey(), true);
        entry.setSize(e.getValue().length);
        t.putArchiveEntry(entry);
        t.write(e.getValue());
        t.closeArchiveEntry();
      }
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }
}
