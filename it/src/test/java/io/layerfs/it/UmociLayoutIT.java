package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * layerfs views of images umoci and skopeo wrote, against {@code umoci unpack} of the same images.
 * Every tag of {@link UmociImages}, the same images as a skopeo docker-archive, as a layout with
 * uncompressed layers, and as a layout whose uncompressed layers skopeo labels gzip.
 */
final class UmociLayoutIT {

  @TempDir static Path work;
  private static UmociImages images;

  @BeforeAll
  static void buildImages() {
    images = UmociImages.build(work);
    // unpack before layerfs touches the layout, so the oracle cannot depend on layerfs
    for (String tag : UmociImages.TAGS) {
      images.rootfs(tag);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.EMPTY, UmociImages.BASE, UmociImages.LAYERED,
      UmociImages.OPAQUE})
  void layoutTagMatchesUmociUnpack(String tag) throws IOException {
    try (FileSystem fs = LayerFs.open(images.layout(), tag)) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.BASE, UmociImages.OPAQUE})
  void dockerArchiveMatchesUmociUnpack(String tag) throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(images.dockerArchive(tag))) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.BASE, UmociImages.OPAQUE})
  void ociArchiveMatchesUmociUnpack(String tag) throws IOException {
    Path archive = images.ociArchive(tag);
    try (FileSystem fs = FileSystems.newFileSystem(archive)) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
      assertTrue(fs.isReadOnly());
    }
  }

  /** A layout directory opens like a zip does: read-only, {@code image} choosing the tag. */
  @Test
  void layoutDirectoryOpensReadOnly() throws IOException {
    String tag = UmociImages.LAYERED;
    try (FileSystem fs = FileSystems.newFileSystem(images.layout(), Map.of("image", tag))) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
      assertTrue(fs.isReadOnly());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.LAYERED, UmociImages.OPAQUE})
  void uncompressedLayersMatchUmociUnpack(String tag) throws IOException {
    Path layout = images.uncompressedLayout(tag);
    try (FileSystem fs = LayerFs.open(layout, tag)) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
  }

  @Test
  void uncompressedLayersLabelledGzipMatchUmociUnpack() throws IOException {
    String tag = UmociImages.OPAQUE;
    Path layout = images.mislabelledLayout(tag);
    try (FileSystem fs = LayerFs.open(layout, tag)) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
  }

  /**
   * The store stays a layout the tools read after layerfs used it, and layerfs survives {@code
   * umoci gc}, which deletes every blob no manifest references: that includes the uncompressed
   * layer blobs layerfs keeps beside the compressed ones (its {@code layerfs/} directory is left).
   */
  @Test
  void layoutStaysUsableByUmociAndSkopeoAndSurvivesUmociGc() throws IOException {
    String tag = UmociImages.LAYERED;
    Path store = work.resolve("gc-store");
    Tools.run("cp", "-a", images.layout().toString(), store.toString());
    try (FileSystem fs = LayerFs.open(store, tag)) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }

    List<String> tags = Tools.run("umoci", "ls", "--layout", store.toString()).lines().sorted()
        .toList();
    assertEquals(UmociImages.TAGS.stream().sorted().toList(), tags);
    Path bundle = work.resolve("gc-bundle");
    Tools.run("umoci", "unpack", "--image", store + ":" + tag, bundle.toString());
    assertSameTree(images.rootfs(tag), bundle.resolve("rootfs"), UmociImages.comparison(tag));
    Tools.run("skopeo", "inspect", "oci:" + store + ":" + tag);

    Tools.run("umoci", "gc", "--layout", store.toString());
    try (FileSystem fs = LayerFs.open(store, tag)) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
    assertTrue(Files.isRegularFile(store.resolve("index.json")));
  }
}
