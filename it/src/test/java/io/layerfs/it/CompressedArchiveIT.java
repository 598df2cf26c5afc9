package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.Image;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Image archives skopeo wrote, compressed with the real {@code gzip}, {@code xz} and {@code zstd}
 * (as {@code docker save IMAGE | gzip} makes one), import as skopeo reads them: an OCI archive to
 * the manifest digest of skopeo's {@code oci:} copy of the same compressed file; a docker-archive
 * to the layers' DiffIDs of skopeo's {@code oci:} copy of it, and to the image layerfs makes of
 * the plain archive.
 *
 * <p>The docker-archive reference is skopeo's copy of the plain archive: skopeo 1.9.3 (Debian 12)
 * fails on a gzip-compressed docker-archive ({@code loading tar component manifest.json:
 * unexpected EOF}) though it reads xz and zstd ones, and gzip-compressed OCI archives.
 */
final class CompressedArchiveIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NAME = "docker.io/layerfs/compressed:1";

  @TempDir static Path work;
  private static Path dockerArchive;
  private static Path ociArchive;

  @BeforeAll
  static void saveAnImage() throws IOException {
    Tools.require("umoci", "skopeo", "gzip", "xz", "zstd");
    Path layout = work.resolve("layout");
    Tools.run("umoci", "init", "--layout", layout.toString());
    Tools.run("umoci", "new", "--image", layout + ":base");
    addLayer(layout, "etc/motd", "hello\n");
    addLayer(layout, "data/big", "0123456789abcdef".repeat(20_000));
    dockerArchive = work.resolve("docker.tar");
    Tools.run("skopeo", "copy", "-q", "oci:" + layout + ":base",
        "docker-archive:" + dockerArchive + ":" + NAME);
    ociArchive = work.resolve("oci.tar");
    Tools.run("skopeo", "copy", "-q", "oci:" + layout + ":base",
        "oci-archive:" + ociArchive + ":base");
  }

  /** Adds a layer holding {@code path} through umoci unpack and repack. */
  private static void addLayer(Path layout, String path, String content) throws IOException {
    Path bundle = Files.createTempDirectory(work, "bundle");
    Files.delete(bundle);
    Tools.run("umoci", "unpack", "--image", layout + ":base", bundle.toString());
    Path file = bundle.resolve("rootfs").resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    Tools.run("umoci", "repack", "--image", layout + ":base", bundle.toString());
  }

  @ParameterizedTest
  @CsvSource({"gzip, gz", "xz, xz", "zstd, zst"})
  void aCompressedOciArchiveImportsToSkopeosManifestDigest(String tool, String suffix)
      throws IOException {
    Path dir = Files.createDirectories(work.resolve("oci-" + tool));
    Path packed = compress(ociArchive, dir, tool, suffix);
    Path skopeoCopy = dir.resolve("skopeo-oci");
    Tools.run("skopeo", "copy", "-q", "oci-archive:" + packed, "oci:" + skopeoCopy + ":t");
    String expected = JSON.readTree(skopeoCopy.resolve("index.json").toFile())
        .path("manifests").get(0).path("digest").asText();

    Path transportStore = dir.resolve("transport-store");
    assertEquals("base\n", LayerfsCli.run(transportStore, "import", "oci-archive:" + packed));
    Path fileStore = dir.resolve("file-store");
    assertEquals("base\n", LayerfsCli.run(fileStore, "import", packed.toString()));
    for (Path store : List.of(transportStore, fileStore)) {
      assertEquals(expected,
          Images.resolve(ContentStore.open(store), "base").manifestDigest().toString());
      assertNoTempFiles(store);
    }
  }

  @ParameterizedTest
  @CsvSource({"gzip, gz", "xz, xz", "zstd, zst"})
  void aCompressedDockerArchiveImportsToSkopeosLayers(String tool, String suffix)
      throws IOException {
    Path dir = Files.createDirectories(work.resolve("docker-" + tool));
    Path packed = compress(dockerArchive, dir, tool, suffix);
    Path skopeoCopy = dir.resolve("skopeo-oci");
    Tools.run("skopeo", "copy", "-q", "docker-archive:" + dockerArchive,
        "oci:" + skopeoCopy + ":t");
    JsonNode config = JSON.readTree(Tools.run("skopeo", "inspect", "--config", "--raw",
        "oci:" + skopeoCopy + ":t"));
    List<String> skopeoDiffIds = new ArrayList<>();
    config.path("rootfs").path("diff_ids").forEach(d -> skopeoDiffIds.add(d.asText()));
    assertEquals(2, skopeoDiffIds.size(), config.toString());

    Path plainStore = dir.resolve("plain-store");
    assertEquals(NAME + "\n", LayerfsCli.run(plainStore, "import", dockerArchive.toString()));
    Image fromPlain = Images.resolve(ContentStore.open(plainStore), NAME);

    // as docker load -i FILE, and as skopeo's transport
    Path fileStore = dir.resolve("file-store");
    assertEquals(NAME + "\n", LayerfsCli.run(fileStore, "import", packed.toString()));
    Path transportStore = dir.resolve("transport-store");
    assertEquals(NAME + "\n", LayerfsCli.run(transportStore, "import",
        "docker-archive:" + packed));
    for (Path store : List.of(fileStore, transportStore)) {
      Image image = Images.resolve(ContentStore.open(store), NAME);
      assertEquals(skopeoDiffIds,
          image.layers().stream().map(l -> l.diffId().toString()).toList());
      assertEquals(fromPlain.manifestDigest(), image.manifestDigest());
      assertNoTempFiles(store);
    }
  }

  /** {@code archive} copied into {@code dir} and compressed there by {@code tool}. */
  private static Path compress(Path archive, Path dir, String tool, String suffix)
      throws IOException {
    Path copy = Files.copy(archive, dir.resolve(archive.getFileName()));
    // -k keeps the plain file, -q keeps zstd from printing its progress
    Tools.run(tool, "-k", "-q", copy.toString());
    return dir.resolve(copy.getFileName() + "." + suffix);
  }

  /** Nothing of a decompressed copy stays in the store. */
  private static void assertNoTempFiles(Path store) throws IOException {
    Path temp = store.resolve("layerfs/tmp");
    if (Files.exists(temp)) {
      try (var files = Files.list(temp)) {
        assertEquals(List.of(), files.toList());
      }
    }
  }
}
