package io.layerfs.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.ImageBuilder.Entry;
import io.layerfs.core.oci.ImageConfig;
import io.layerfs.core.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageBuilderTest {
  @TempDir Path tmp;

  /** A description exercising every entry kind and header field. */
  static ImageBuilder everything(ContentStore store, Compression compression) {
    return ImageBuilder.create(store)
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
        .layer(Compression.NONE)
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

  @Test
  void sameDescriptionSameDigests() throws IOException {
    for (Compression c : Compression.values()) {
      Image a = everything(ContentStore.open(tmp.resolve(c + "-a")), c).build("t");
      Image b = everything(ContentStore.open(tmp.resolve(c + "-b")), c).build("t");
      assertEquals(a.manifestDigest(), b.manifestDigest(), c.toString());
      assertEquals(a.configDigest(), b.configDigest());
      assertEquals(a.layers(), b.layers());
    }
  }

  @Test
  void differentContentDifferentDigests() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image a = ImageBuilder.create(store).file("/a", "1").build();
    Image b = ImageBuilder.create(store).file("/a", "2").build();
    Image c = ImageBuilder.create(store).add(Entry.file("/a", new byte[] {'1'}).mode(0600))
        .build();
    assertNotEquals(a.manifestDigest(), b.manifestDigest());
    assertNotEquals(a.layers().get(0).diffId(), c.layers().get(0).diffId());
  }

  @Test
  void layersHashToTheirDigestsAndDiffIds() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image image =
        ImageBuilder.create(store)
            .layer(Compression.GZIP).file("/g", "gzip")
            .layer(Compression.ZSTD).file("/z", "zstd")
            .layer(Compression.NONE).file("/n", "none")
            .build("t");
    for (Layer layer : image.layers()) {
      byte[] tar = uncompressed(store, layer);
      assertEquals(layer.diffId(), Digest.sha256(tar));
      assertEquals(layer.digest(), Digest.sha256(store.readBlob(layer.digest(), 1 << 20)));
    }
    assertNotEquals(image.layers().get(0).digest(), image.layers().get(0).diffId());
    assertNotEquals(image.layers().get(1).digest(), image.layers().get(1).diffId());
  }

  @Test
  void writesEveryEntryKind() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image image = everything(store, Compression.ZSTD).build("all");
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
  void fileBytesArePreserved() throws IOException {
    byte[] data = new byte[100_000];
    new java.util.Random(7).nextBytes(data);
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
    assertEquals(
        List.of("a/.wh.b", ".wh.top", ".wh..wh..opq", "x/y/.wh..wh..opq"),
        entries(tar).stream().map(TarArchiveEntry::getName).toList());
    assertThrows(IllegalArgumentException.class, () -> Entry.whiteout("/"));
  }

  @Test
  void rejectsBadTagsBeforeWriting() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    assertThrows(IllegalArgumentException.class,
        () -> ImageBuilder.create(store).file("/a", "a").build("bad tag"));
    assertEquals(List.of(), store.tags());
  }

  @Test
  void dockerFormatRefusesZstd() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    assertThrows(IllegalArgumentException.class,
        () -> ImageBuilder.create(store).dockerFormat().layer(Compression.ZSTD).file("/a", "a")
            .build());
  }

  @Test
  void configListsDiffIdsAndPlatform() throws IOException {
    ContentStore store = ContentStore.open(tmp);
    Image image = ImageBuilder.create(store).platform("linux", "arm64")
        .layer(Compression.GZIP).file("/a", "a").layer(Compression.ZSTD).file("/b", "b")
        .build("t");
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
