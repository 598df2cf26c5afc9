package io.layerfs.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import io.layerfs.testing.ImageBuilder.Entry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layout the builder writes, checked against the OCI spec with plain Jackson, Commons
 * Compress and hashing; core's tests check the same images through core's reader.
 */
class ImageBuilderTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static JsonNode json(Path file) throws IOException {
    return JSON.readTree(Files.readAllBytes(file));
  }

  private static Path blob(Path layout, String digest) {
    assertTrue(digest.startsWith("sha256:"), digest);
    return layout.resolve("blobs").resolve("sha256").resolve(digest.substring(7));
  }

  private static String sha256(byte[] data) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  private static byte[] inflate(String mediaType, byte[] blob) throws IOException {
    InputStream in = new ByteArrayInputStream(blob);
    if (mediaType.endsWith("gzip")) {
      in = new GZIPInputStream(in);
    } else if (mediaType.endsWith("zstd")) {
      in = new ZstdInputStream(in);
    }
    try (InputStream i = in) {
      return i.readAllBytes();
    }
  }

  private static List<String> names(byte[] tar) throws IOException {
    List<String> result = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        result.add(e.getName());
      }
    }
    return result;
  }

  private static List<String> tags(Path layout) throws IOException {
    List<String> tags = new ArrayList<>();
    for (JsonNode m : json(layout.resolve("index.json")).get("manifests")) {
      tags.add(m.path("annotations").path(OciLayout.REF_NAME).asText(null));
    }
    return tags;
  }

  @Test
  void writesAValidLayoutIntoANewDirectory() throws Exception {
    Path layout = tmp.resolve("new/layout");
    Built built =
        ImageBuilder.create(layout)
            .layer(LayerCompression.GZIP).dir("/etc").file("/etc/hosts", "h\n")
            .layer(LayerCompression.ZSTD).whiteout("/etc/hosts")
            .layer(LayerCompression.NONE).file("/n", "none")
            .build("demo:1");

    assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}",
        Files.readString(layout.resolve("oci-layout")));
    JsonNode index = json(layout.resolve("index.json"));
    assertEquals(2, index.get("schemaVersion").intValue());
    assertEquals(OciLayout.OCI_INDEX, index.get("mediaType").textValue());
    JsonNode entry = index.get("manifests").get(0);
    assertEquals(OciLayout.OCI_MANIFEST, entry.get("mediaType").textValue());
    assertEquals(built.manifestDigest(), entry.get("digest").textValue());
    assertEquals("demo:1", entry.get("annotations").get(OciLayout.REF_NAME).textValue());

    // every blob is named by its hash, and the manifest, config and layers agree
    byte[] manifestBytes = Files.readAllBytes(blob(layout, built.manifestDigest()));
    assertEquals(built.manifestDigest(), sha256(manifestBytes));
    assertEquals(manifestBytes.length, entry.get("size").longValue());
    JsonNode manifest = JSON.readTree(manifestBytes);
    assertEquals(OciLayout.OCI_MANIFEST, manifest.get("mediaType").textValue());
    assertEquals(built.configDigest(), manifest.get("config").get("digest").textValue());
    JsonNode config = json(blob(layout, built.configDigest()));
    assertEquals("linux", config.get("os").textValue());
    assertEquals("amd64", config.get("architecture").textValue());
    assertEquals("1970-01-01T00:00:00Z", config.get("created").textValue());
    List<String> types = List.of(OciLayout.OCI_LAYER + "+gzip", OciLayout.OCI_LAYER + "+zstd",
        OciLayout.OCI_LAYER);
    List<List<String>> entries =
        List.of(List.of("etc/", "etc/hosts"), List.of("etc/.wh.hosts"), List.of("n"));
    for (int i = 0; i < 3; i++) {
      JsonNode layer = manifest.get("layers").get(i);
      assertEquals(types.get(i), layer.get("mediaType").textValue());
      byte[] compressed = Files.readAllBytes(blob(layout, built.layerDigests().get(i)));
      assertEquals(built.layerDigests().get(i), sha256(compressed));
      assertEquals(built.layerDigests().get(i), layer.get("digest").textValue());
      assertEquals(compressed.length, layer.get("size").longValue());
      byte[] tar = inflate(types.get(i), compressed);
      assertEquals(built.diffIds().get(i), sha256(tar));
      assertEquals(built.diffIds().get(i), config.get("rootfs").get("diff_ids").get(i).textValue());
      assertEquals(entries.get(i), names(tar));
    }
    assertEquals(3, config.get("history").size());
    try (Stream<Path> temps = Files.list(layout.resolve("layerfs").resolve("tmp"))) {
      assertEquals(0, temps.count(), "no temp file left");
    }
  }

  @Test
  void sameDescriptionSameDigests() throws IOException {
    for (LayerCompression c : LayerCompression.values()) {
      Built a = ImageBuilder.create(tmp.resolve(c + "-a")).layer(c).file("/a", "1").build("t");
      Built b = ImageBuilder.create(tmp.resolve(c + "-b")).layer(c).file("/a", "1").build("t");
      assertEquals(a, b, c.toString());
      assertEquals(Files.readString(tmp.resolve(c + "-a/index.json")),
          Files.readString(tmp.resolve(c + "-b/index.json")));
    }
    Built other = ImageBuilder.create(tmp.resolve("o")).file("/a", "2").build();
    Built gzip = ImageBuilder.create(tmp.resolve("g")).file("/a", "1").build();
    assertNotEquals(other.manifestDigest(), gzip.manifestDigest());
  }

  @Test
  void taggingMovesTheTagAndKeepsWhatOthersWrote() throws IOException {
    Path layout = tmp.resolve("layout");
    Built first = ImageBuilder.create(layout).file("/a", "1").build();
    Files.writeString(layout.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":null,\"x-future\":{\"n\":1}}");
    ImageBuilder.create(layout).file("/b", "b").build("keep");
    Built second = ImageBuilder.create(layout).file("/a", "2").build("t");
    ImageBuilder.create(layout).file("/a", "1").build("t");
    JsonNode index = json(layout.resolve("index.json"));
    assertEquals(1, index.get("x-future").get("n").intValue());
    assertEquals(List.of("keep", "t"), tags(layout));
    assertEquals(first.manifestDigest(), index.get("manifests").get(1).get("digest").textValue());
    assertTrue(Files.exists(blob(layout, second.manifestDigest())), "untagged, not deleted");
  }

  @Test
  void buildsIntoALayoutOthersCreated() throws IOException {
    Path layout = Files.createDirectories(tmp.resolve("layout"));
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[]}");
    ImageBuilder.create(layout).file("/a", "a").build("a");
    assertEquals(List.of("a"), tags(layout));

    Path newer = Files.createDirectories(tmp.resolve("newer"));
    Files.writeString(newer.resolve("oci-layout"), "{\"imageLayoutVersion\":\"2.0.0\"}");
    assertThrows(IOException.class, () -> ImageBuilder.create(newer).build());
  }

  @Test
  void refusesADirectoryThatIsNoLayout() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("dir"));
    Files.writeString(dir.resolve("notes.txt"), "mine");
    IOException e =
        assertThrows(IOException.class, () -> ImageBuilder.create(dir).file("/a", "a").build());
    assertTrue(e.getMessage().contains("no oci-layout"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("blobs")));
  }

  @Test
  void badTagsAndDockerZstdFailBeforeWriting() {
    Path layout = tmp.resolve("layout");
    assertThrows(IllegalArgumentException.class,
        () -> ImageBuilder.create(layout).file("/a", "a").build("bad tag"));
    assertThrows(IllegalArgumentException.class,
        () -> ImageBuilder.create(layout).dockerFormat().layer(LayerCompression.GZIP)
            .file("/a", "a").layer(LayerCompression.ZSTD).file("/b", "b").build());
    assertFalse(Files.exists(layout));
  }

  @Test
  void dockerFormatWritesDockerMediaTypes() throws IOException {
    Path layout = tmp.resolve("layout");
    Built built = ImageBuilder.create(layout).dockerFormat().layer(LayerCompression.GZIP)
        .file("/a", "a").layer(LayerCompression.NONE).file("/b", "b").build("d");
    JsonNode manifest = json(blob(layout, built.manifestDigest()));
    assertEquals(OciLayout.DOCKER_MANIFEST, manifest.get("mediaType").textValue());
    assertEquals(OciLayout.DOCKER_CONFIG, manifest.get("config").get("mediaType").textValue());
    assertEquals(OciLayout.DOCKER_LAYER + ".gzip",
        manifest.get("layers").get(0).get("mediaType").textValue());
    assertEquals(OciLayout.DOCKER_LAYER,
        manifest.get("layers").get(1).get("mediaType").textValue());
    assertEquals(OciLayout.DOCKER_MANIFEST,
        json(layout.resolve("index.json")).get("manifests").get(0).get("mediaType").textValue());
  }

  @Test
  void concurrentBuildsIntoOneLayoutKeepEveryTag() throws Exception {
    Path layout = tmp.resolve("layout");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Built>> builds = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        int n = i;
        builds.add(pool.submit(
            () -> ImageBuilder.create(layout).file("/n", "image " + n).build("t" + n)));
      }
      for (Future<Built> f : builds) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    List<String> tags = tags(layout);
    assertEquals(12, tags.size(), tags.toString());
    for (int i = 0; i < 12; i++) {
      assertTrue(tags.contains("t" + i), tags.toString());
    }
  }

  @Test
  void fileBytesArePreserved() throws IOException {
    byte[] data = new byte[100_000];
    new Random(7).nextBytes(data);
    byte[] tar = ImageBuilder.tar(List.of(Entry.file("/blob", data), Entry.dir("/d/")));
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      assertEquals("blob", in.getNextEntry().getName());
      assertArrayEquals(data, in.readAllBytes());
      assertEquals("d/", in.getNextEntry().getName());
    }
    assertEquals(0, tar.length % 512);
  }

  @Test
  void whiteoutAndOpaqueNames() throws IOException {
    byte[] tar =
        ImageBuilder.tar(
            List.of(Entry.whiteout("/a/b/"), Entry.whiteout("top"), Entry.opaque("/"),
                Entry.opaque("/x/y/")));
    assertEquals(List.of("a/.wh.b", ".wh.top", ".wh..wh..opq", "x/y/.wh..wh..opq"), names(tar));
    assertThrows(IllegalArgumentException.class, () -> Entry.whiteout("/"));
    assertThrows(IllegalArgumentException.class,
        () -> ImageBuilder.tar(List.of(Entry.file("/", new byte[0]))));
  }
}
