package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.transfer.ImageTransfer;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Images in and out of a layerfs store through skopeo's transport names, checked against the
 * tools: what layerfs exports (docker-archive, OCI layout, OCI archive) skopeo reads and {@code
 * umoci unpack} unpacks to the tree layerfs shows; what skopeo writes (docker-archive, OCI
 * archive) layerfs imports and shows as {@code umoci unpack} shows the original.
 */
final class TransportIT {

  private static final AtomicInteger NAMES = new AtomicInteger();

  @TempDir static Path work;
  private static UmociImages images;
  private static Path store;

  @BeforeAll
  static void buildImages() throws IOException {
    images = UmociImages.build(work);
    // unpack before layerfs touches the layout, so the oracle cannot depend on layerfs
    for (String tag : UmociImages.TAGS) {
      images.rootfs(tag);
    }
    store = work.resolve("store");
    ContentStore content = ContentStore.open(store);
    for (String tag : UmociImages.TAGS) {
      ImageTransfer.importImage(content, "oci:" + images.layout() + ":" + tag, null,
          Progress.NONE);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.EMPTY, UmociImages.LAYERED, UmociImages.OPAQUE})
  void dockerArchiveExportIsReadBySkopeoAndUnpacksAsLayerfsShows(String tag) throws IOException {
    Path archive = fresh("export-docker").resolveSibling("export-docker-" + tag + ".tar");
    List<String> diffIds = export(tag, "docker-archive:" + archive + ":layerfs/export:" + tag);

    String inspect = Tools.run("skopeo", "inspect", "docker-archive:" + archive);
    for (String diffId : diffIds) {
      assertTrue(inspect.contains(diffId), () -> diffId + " missing in: " + inspect);
    }
    String raw = Tools.run("skopeo", "inspect", "--raw", "docker-archive:" + archive);
    // every layer file uncompressed, as docker save writes them: skopeo reports the digest of
    // the file (labelling it tar.gzip whatever it is), which is then the diff_id
    for (String diffId : diffIds) {
      assertTrue(raw.contains("\"digest\":\"" + diffId + "\""), () -> diffId + ": " + raw);
    }
    assertEquals(diffIds.size(), raw.split("\"size\"", -1).length - 2, raw);

    Path layout = fresh("from-docker");
    Tools.run("skopeo", "copy", "-q", "docker-archive:" + archive + ":layerfs/export:" + tag,
        "oci:" + layout + ":" + tag);
    assertUnpacksAsLayerfsShows(layout, tag);
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.BASE, UmociImages.OPAQUE})
  void ociLayoutExportIsReadByUmociAndSkopeo(String tag) throws IOException {
    Path layout = fresh("export-oci");
    export(tag, "oci:" + layout + ":" + tag);
    Tools.run("skopeo", "inspect", "oci:" + layout + ":" + tag);
    assertUnpacksAsLayerfsShows(layout, tag);
  }

  /** Export into a layout umoci made keeps its tags and adds the new one. */
  @Test
  void ociLayoutExportAddsToAnExistingUmociLayout() throws IOException {
    Path layout = fresh("existing");
    Tools.run("cp", "-a", images.layout().toString(), layout.toString());
    export(UmociImages.OPAQUE, "oci:" + layout + ":added");
    List<String> tags = Tools.run("umoci", "ls", "--layout", layout.toString()).lines().sorted()
        .toList();
    List<String> expected = new ArrayList<>(UmociImages.TAGS);
    expected.add("added");
    assertEquals(expected.stream().sorted().toList(), tags);
    assertUnpacksAsLayerfsShows(layout, "added", UmociImages.OPAQUE);
    assertUnpacksAsLayerfsShows(layout, UmociImages.BASE, UmociImages.BASE);
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.LAYERED, UmociImages.OPAQUE})
  void ociArchiveExportIsReadBySkopeo(String tag) throws IOException {
    Path archive = fresh("export-oci-archive").resolveSibling("export-oci-" + tag + ".tar");
    export(tag, "oci-archive:" + archive + ":" + tag);
    Tools.run("skopeo", "inspect", "oci-archive:" + archive + ":" + tag);
    Path layout = fresh("from-oci-archive");
    Tools.run("skopeo", "copy", "-q", "oci-archive:" + archive + ":" + tag,
        "oci:" + layout + ":" + tag);
    assertUnpacksAsLayerfsShows(layout, tag);
  }

  /** A docker-archive skopeo wrote imports and views exactly as umoci unpacks the original. */
  @ParameterizedTest
  @ValueSource(strings = {UmociImages.BASE, UmociImages.LAYERED, UmociImages.OPAQUE})
  void skopeoDockerArchiveImportsAndViewsAsUmociUnpack(String tag) throws IOException {
    Path target = fresh("import-docker");
    // `layerfs import` prints the tags it created, one a line
    String printed =
        LayerfsCli.run(target, "import", "docker-archive:" + images.dockerArchive(tag));
    String name = "docker.io/" + UmociImages.REPOSITORY + ":" + tag;
    assertEquals(List.of(name), printed.lines().toList());
    ContentStore content = ContentStore.open(target);
    try (FileSystem fs = LayerFs.open(target, name)) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
    // selected by its short name, under a tag of our own
    assertEquals(List.of("mine"), ImageTransfer.importImage(content,
        "docker-archive:" + images.dockerArchive(tag) + ":" + UmociImages.REPOSITORY + ":" + tag,
        "mine", Progress.NONE));
    try (FileSystem fs = LayerFs.open(target, "mine")) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.LAYERED, UmociImages.OPAQUE})
  void skopeoOciArchiveImportsAndViewsAsUmociUnpack(String tag) throws IOException {
    Path target = fresh("import-oci-archive");
    ContentStore content = ContentStore.open(target);
    assertEquals(List.of(tag), ImageTransfer.importImage(content,
        "oci-archive:" + images.ociArchive(tag) + ":" + tag, null, Progress.NONE));
    try (FileSystem fs = LayerFs.open(target, tag)) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
  }

  /** {@code layerfs flatten}: one layer, and umoci unpacks it as it unpacks the original. */
  @ParameterizedTest
  @ValueSource(strings = {UmociImages.LAYERED, UmociImages.OPAQUE})
  void flattenedImageUnpacksAsTheOriginal(String tag) throws IOException {
    String flat = "flat-" + tag;
    String digest = LayerfsCli.run(store, "flatten", tag, flat).strip();
    Image image = Images.resolve(ContentStore.open(store), flat);
    assertEquals(image.manifestDigest().toString(), digest);
    assertEquals(1, image.layers().size());
    Path bundle = fresh("bundle-flat");
    Tools.run("umoci", "unpack", "--image", store + ":" + flat, bundle.toString());
    LayerFs.assertSameTree(images.rootfs(tag), bundle.resolve("rootfs"),
        UmociImages.comparison(tag));
  }

  // ---- helpers ----

  /**
   * Exports {@code tag} of the shared store with {@code layerfs export}, as a user would; returns
   * its diff_ids.
   */
  private static List<String> export(String tag, String destination) throws IOException {
    assertEquals("", LayerfsCli.run(store, "export", tag, destination));
    return Images.resolve(ContentStore.open(store), tag).layers().stream().map(Layer::diffId)
        .map(Object::toString).toList();
  }

  private static void assertUnpacksAsLayerfsShows(Path layout, String tag) throws IOException {
    assertUnpacksAsLayerfsShows(layout, tag, tag);
  }

  /** {@code umoci unpack} of {@code layout:tag} equals the layerfs view of {@code original}. */
  private static void assertUnpacksAsLayerfsShows(Path layout, String tag, String original)
      throws IOException {
    Path bundle = fresh("bundle");
    Tools.run("umoci", "unpack", "--image", layout + ":" + tag, bundle.toString());
    try (FileSystem fs = LayerFs.open(store, original)) {
      assertSameTree(bundle.resolve("rootfs"), fs.getPath("/"),
          UmociImages.comparison(original));
    }
  }

  private static Path fresh(String prefix) {
    return work.resolve(prefix + "-" + NAMES.incrementAndGet());
  }
}
