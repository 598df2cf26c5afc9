package io.layerfs.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.oci.ImageConfig;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder.Entry;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The testing module's ImageBuilder read through core: the builder shares no code with core, so
 * these check that what one side writes per the OCI specs is what the other reads.
 */
class ImageBuilderTest {
  @TempDir Path tmp;

  /** A description exercising every entry kind and header field. */
  static ImageBuilder everything(ContentStore store, LayerCompression compression) {
    return ImageBuilder.create(store.root())
        .layer(compression)
        .dir("/etc")
        .file("/etc/hosts", "127.0.0.1 localhost\n")
        .add(Entry.file("/etc/shadow", new byte[] {1, 2, 3}).mode(0600).owner(0, 42)
            .names("root", "shadow").mtime(Instant.ofEpochSecond(1_700_000_000L, 500_000_000)))
        .symlink("/etc/localtime", "/usr/share/zoneinfo/UTC")
        .hardlink("/etc/hosts.bak", "/etc/hosts")
        .charDevice("/dev/null", 1, 3)
        .blockDevice("/dev/sda", 8, 0)
        .fifo("/run/fifo")
        .add(Entry.file("/bin/ping", new byte[] {9}).mode(04755)
            .xattr("security.capability", "cap").xattr("user.comment", "hi"))
        .file("/" + "d/".repeat(60) + "long-name-" + "x".repeat(120), "long")
        .file("/caf\u00e9/\u65e5\u672c", "utf8")
        .layer(LayerCompression.NONE)
        .whiteout("/etc/hosts")
        .file("/etc/hosts", "replaced")
        .opaque("/dev")
        .file("/dev/zero", "")
        .add(Entry.file("./a/../b", new byte[0]).rawName())
        .add(Entry.file("/abs/path", new byte[0]).rawName())
        .add(Entry.hardlink("z", "./a/../b").rawName());
  }

  private static List<TarArchiveEntry> entries(byte[] tar) throws IOException {
    List<TarArchiveEntry> result = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        result.add(e);
      }
    }
    return result;
  }

  private static byte[] uncompressed(ContentStore store, Layer layer) throws IOException {
    try (InputStream in =
        MediaTypes.layerCompression(layer.mediaType()).decompress(store.openBlob(layer.digest()))) {
      return in.readAllBytes();
    }
  }

  private static Image read(ContentStore store, Built built) throws IOException {
    return Images.resolve(store, built.manifestDigest());
  }

  /** What build() returns is what core resolves. */
  private static void assertMatches(Built built, Image image) {
    assertEquals(built.manifestDigest(), image.manifestDigest().toString());
    assertEquals(built.configDigest(), image.configDigest().toString());
    assertEquals(built.layerDigests(),
        image.layers().stream().map(l -> l.digest().toString()).toList());
    assertEquals(built.diffIds(), image.layers().stream().map(l -> l.diffId().toString()).toList());
  }

  @Test
  void sameDescriptionSameDigests() throws IOException {
    for (LayerCompression c : LayerCompression.values()) {
      ContentStore storeA = ContentStore.open(tmp.resolve(c + "-a"));
      ContentStore storeB = ContentStore.open(tmp.resolve(c + "-b"));
      Built builtA = everything(storeA, c).build("t");
      Image a = read(storeA, builtA);
      Image b = read(storeB, everything(storeB, c).build("t"));
      assertMatches(builtA, a);
      assertEquals(a.manifestDigest(), b.manifestDigest(), c.toString());
      assertEquals(a.configDigest(), b.configDigest());
      assertEquals(a.layers(), b.layers());
    }
  }

  @Test
  void differentContentDifferentDigests() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image a = read(store, ImageBuilder.create(store.root()).file("/a", "1").build());
    Image b = read(store, ImageBuilder.create(store.root()).file("/a", "2").build());
    Image c = read(store, ImageBuilder.create(store.root())
        .add(Entry.file("/a", new byte[] {'1'}).mode(0600)).build());
    assertNotEquals(a.manifestDigest(), b.manifestDigest());
    assertNotEquals(a.layers().get(0).diffId(), c.layers().get(0).diffId());
  }

  @Test
  void layersHashToTheirDigestsAndDiffIds() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Built built =
        ImageBuilder.create(store.root())
            .layer(LayerCompression.GZIP).file("/g", "gzip")
            .layer(LayerCompression.ZSTD).file("/z", "zstd")
            .layer(LayerCompression.NONE).file("/n", "none")
            .build("t");
    Image image = Images.resolve(store, "t");
    assertMatches(built, image);
    assertEquals(
        List.of(MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER_ZSTD, MediaTypes.OCI_LAYER),
        image.layers().stream().map(Layer::mediaType).toList());
    for (Layer layer : image.layers()) {
      byte[] tar = uncompressed(store, layer);
      assertEquals(layer.diffId(), Digest.sha256(tar));
      assertEquals(layer.digest(), Digest.sha256(store.readBlob(layer.digest(), 1 << 20)));
    }
    assertNotEquals(image.layers().get(0).digest(), image.layers().get(0).diffId());
    assertNotEquals(image.layers().get(1).digest(), image.layers().get(1).diffId());
  }

  @Test
  void dockerFormatReadsAsDocker() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image image = read(store, ImageBuilder.create(store.root()).dockerFormat()
        .layer(LayerCompression.GZIP).file("/a", "a").layer(LayerCompression.NONE).file("/b", "b")
        .build("d"));
    assertEquals(MediaTypes.DOCKER_MANIFEST, image.manifestMediaType());
    assertEquals(List.of(MediaTypes.DOCKER_LAYER_GZIP, MediaTypes.DOCKER_LAYER),
        image.layers().stream().map(Layer::mediaType).toList());
    assertEquals(List.of("d"), store.tags());
  }

  @Test
  void anOpenStoreSeesWhatIsBuiltBehindIt() throws IOException {
    // ContentStore reads index.json on every call: no reopen after a build
    ContentStore store = ContentStore.open(tmp);
    assertEquals(List.of(), store.tags());
    Built first = ImageBuilder.create(store.root()).file("/a", "1").build("a:1");
    assertEquals(List.of("a:1"), store.tags());
    store.tag("b:1", Digest.parse(first.manifestDigest()));
    Built second = ImageBuilder.create(store.root()).file("/a", "2").build("a:1");
    assertEquals(List.of("a:1", "b:1"), store.tags());
    assertEquals(second.manifestDigest(), Images.resolve(store, "a:1").manifestDigest().toString());
    assertEquals(first.manifestDigest(), Images.resolve(store, "b:1").manifestDigest().toString());
    assertTrue(store.untag("a:1"));
    ImageBuilder.create(store.root()).file("/c", "c").build("c");
    assertEquals(List.of("b:1", "c"), store.tags());
  }

  @Test
  void aLayoutTheBuilderCreatedOpensAsAStore() throws IOException {
    Path dir = tmp.resolve("new/layout");
    Built built = ImageBuilder.create(dir).file("/a", "a").build("t");
    ContentStore store = ContentStore.open(dir);
    assertEquals(List.of("t"), store.tags());
    assertMatches(built, Images.resolve(store, "t"));
  }

  @Test
  void writesEveryEntryKind() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image image = read(store, everything(store, LayerCompression.ZSTD).build("all"));
    List<TarArchiveEntry> lower = entries(uncompressed(store, image.layers().get(0)));
    List<String> names = lower.stream().map(TarArchiveEntry::getName).toList();
    assertEquals("etc/", names.get(0));
    assertTrue(lower.get(0).isDirectory());
    assertEquals(0755, lower.get(0).getMode() & 07777);

    TarArchiveEntry shadow = lower.get(2);
    assertEquals("etc/shadow", shadow.getName());
    assertEquals(0600, shadow.getMode() & 07777);
    assertEquals(42, shadow.getLongGroupId());
    assertEquals("root", shadow.getUserName());
    assertEquals("shadow", shadow.getGroupName());
    assertEquals(3, shadow.getSize());
    assertEquals(Instant.ofEpochSecond(1_700_000_000L, 500_000_000),
        shadow.getLastModifiedTime().toInstant());

    TarArchiveEntry link = lower.get(3);
    assertTrue(link.isSymbolicLink());
    assertEquals("/usr/share/zoneinfo/UTC", link.getLinkName());
    TarArchiveEntry hard = lower.get(4);
    assertTrue(hard.isLink());
    assertEquals("etc/hosts", hard.getLinkName());
    assertTrue(lower.get(5).isCharacterDevice());
    assertEquals(1, lower.get(5).getDevMajor());
    assertEquals(3, lower.get(5).getDevMinor());
    assertTrue(lower.get(6).isBlockDevice());
    assertEquals(8, lower.get(6).getDevMajor());
    assertTrue(lower.get(7).isFIFO());
    TarArchiveEntry ping = lower.get(8);
    assertEquals(04755, ping.getMode() & 07777);
    assertEquals("cap", ping.getExtraPaxHeader("SCHILY.xattr.security.capability"));
    assertEquals("hi", ping.getExtraPaxHeader("SCHILY.xattr.user.comment"));
    assertEquals("d/".repeat(60) + "long-name-" + "x".repeat(120), lower.get(9).getName());
    assertEquals("caf\u00e9/\u65e5\u672c", lower.get(10).getName());
    assertEquals(0, lower.get(1).getLongUserId());
    assertEquals("", lower.get(1).getUserName(), "no user name leaks from the host");
    assertEquals(Instant.EPOCH, lower.get(1).getLastModifiedTime().toInstant());

    List<String> upper =
        entries(uncompressed(store, image.layers().get(1))).stream()
            .map(TarArchiveEntry::getName).toList();
    assertEquals(
        List.of("etc/.wh.hosts", "etc/hosts", "dev/.wh..wh..opq", "dev/zero", "./a/../b",
            "/abs/path", "z"),
        upper);
    TarArchiveEntry rawLink = entries(uncompressed(store, image.layers().get(1))).get(6);
    assertEquals("./a/../b", rawLink.getLinkName());
  }

  @Test
  void rejectsBadTagsBeforeWriting() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    assertThrows(IllegalArgumentException.class,
        () -> ImageBuilder.create(store.root()).file("/a", "a").build("bad tag"));
    assertEquals(List.of(), store.tags());
    try (Stream<Path> blobs = Files.list(store.root().resolve("blobs").resolve("sha256"))) {
      assertEquals(0, blobs.count());
    }
  }

  @Test
  void configListsDiffIdsAndPlatform() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image image = read(store, ImageBuilder.create(store.root()).platform("linux", "arm64")
        .layer(LayerCompression.GZIP).file("/a", "a").layer(LayerCompression.ZSTD).file("/b", "b")
        .build("t"));
    ImageConfig config = ImageConfig.parse(
        store.readBlob(image.configDigest(), 1 << 20), image.configDigest().toString());
    assertEquals("linux", config.os());
    assertEquals("arm64", config.architecture());
    assertEquals(
        image.layers().stream().map(Layer::diffId).toList(), config.diffIds());
    String json = new String(store.readBlob(image.configDigest(), 1 << 20),
        StandardCharsets.UTF_8);
    assertTrue(json.contains("\"history\":["), json);
  }
}
