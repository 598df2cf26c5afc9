package io.layerfs.core.rootfs;

import static io.layerfs.core.rootfs.HostileLayerTest.dir;
import static io.layerfs.core.rootfs.HostileLayerTest.file;
import static io.layerfs.core.rootfs.HostileLayerTest.raw;
import static io.layerfs.core.rootfs.HostileLayerTest.symlink;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each limit of {@link Limits}, hit: one {@link LimitException} naming the limit, its value and
 * the entry or blob that hit it; just below it, the same input passes.
 */
class LimitsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void headerBytesBoundsPaxHeaders() throws IOException {
    byte[] pax = TestTars.paxRecord("comment", new byte[3000]);
    byte[] tar = TestTars.concat(TestTars.rawHeader("PaxHeaders/x", (byte) 'x', pax.length,
        false), TestTars.pad(pax), TestTars.rawHeader("x", (byte) '0', 0, false),
        new byte[1024]);
    LimitException e = refused(tar, Limits.builder().headerBytes(2048).build(), "headerBytes",
        2048);
    assertTrue(e.getMessage().contains("offset 0"), e.getMessage());
    index(tar, Limits.builder().headerBytes(pax.length).build());
  }

  @Test
  void pathBytesBoundsNamesAndLinkTargets() throws IOException {
    String name = "d/" + "n".repeat(98);
    LimitException e = refused(raw(file(name, "x")), Limits.builder().pathBytes(99).build(),
        "pathBytes", 99);
    assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("100 bytes"), e.getMessage());
    index(raw(file(name, "x")), Limits.builder().pathBytes(100).build());
    // multi-byte characters count as their UTF-8 bytes
    refused(raw(file("\u00e9".repeat(40), "x")), Limits.builder().pathBytes(79).build(),
        "pathBytes", 79);
    LimitException link = refused(raw(symlink("l", "/" + "t".repeat(200))),
        Limits.builder().pathBytes(200).build(), "pathBytes", 200);
    assertTrue(link.getMessage().contains("link target is 201 bytes"), link.getMessage());
  }

  @Test
  void depthBoundsComponents() throws IOException {
    String deep = "a/".repeat(10) + "f";
    LimitException e = refused(raw(file(deep, "x")), Limits.builder().depth(10).build(),
        "depth", 10);
    assertTrue(e.getMessage().contains(deep) && e.getMessage().contains("11 components"),
        e.getMessage());
    index(raw(file(deep, "x")), Limits.builder().depth(11).build());
    // "." and empty components are not levels
    index(raw(file("./a//./b/./f", "x")), Limits.builder().depth(3).build());
    refused(raw(dir("a/b/c/d/")), Limits.builder().depth(3).build(), "depth", 3);
  }

  @Test
  void layerEntriesBoundsEntries() throws IOException {
    byte[] tar = raw(file("a", "1"), file("b", "2"), file("c", "3"), file("d", "4"));
    // the root is an entry too
    LimitException e = refused(tar, Limits.builder().layerEntries(4).build(), "layerEntries", 4);
    assertTrue(e.getMessage().contains("'d'"), e.getMessage());
    index(tar, Limits.builder().layerEntries(5).build());
    // implied parent directories count
    refused(raw(file("x/y/z", "1")), Limits.builder().layerEntries(3).build(), "layerEntries", 3);
    // and whiteouts: each is an entry of the index
    byte[] whiteouts = raw(file("a", "1"), file(".wh.b", ""), file(".wh.c", ""),
        file(".wh.d", ""));
    e = refused(whiteouts, Limits.builder().layerEntries(4).build(), "layerEntries", 4);
    assertTrue(e.getMessage().contains("'.wh.d' is entry number 5 of the layer"), e.getMessage());
    assertEquals(5, index(whiteouts, Limits.builder().layerEntries(5).build()).size());
  }

  @Test
  void directoryEntriesBoundsOneDirectory() throws IOException {
    byte[] tar = raw(file("d/a", "1"), file("d/b", "2"), file("e/a", "3"), file("d/c", "4"));
    LimitException e = refused(tar, Limits.builder().directoryEntries(2).build(),
        "directoryEntries", 2);
    assertTrue(e.getMessage().contains("'d/c' is entry number 3 of its directory"),
        e.getMessage());
    index(tar, Limits.builder().directoryEntries(3).build());
    // whiteouts and implied directories take a name too
    refused(raw(file("d/a", "1"), file("d/.wh.b", "")), Limits.builder().directoryEntries(1)
        .build(), "directoryEntries", 1);
    refused(raw(file("d/a", "1"), file("d/sub/f", "")), Limits.builder().directoryEntries(1)
        .build(), "directoryEntries", 1);
  }

  @Test
  void inflateRatioStopsABombBeforeItFillsTheDisk() throws IOException {
    // 16 MiB of zeros in one file: about 16 KiB of gzip
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    tar.writeBytes(TestTars.rawHeader("zeros", (byte) '0', 16 << 20, false));
    tar.writeBytes(new byte[16 << 20]);
    tar.writeBytes(new byte[1024]);
    byte[] bytes = tar.toByteArray();
    byte[] gz = gzip(bytes);
    Limits limits = Limits.builder().inflateRatio(100).inflateFloorBytes(1 << 20).build();
    Path storeDir = dir.resolve("store");
    String tag = image(storeDir, gz, Digest.sha256(bytes));
    try (Store store = Store.open(storeDir, limits)) {
      LimitException e = assertThrows(LimitException.class, () -> store.view(tag));
      assertEquals("inflateRatio", e.limit());
      assertTrue(e.getMessage().contains("inflateRatio = 100"), e.getMessage());
      assertTrue(e.getMessage().contains(Digest.sha256(gz).toString()), e.getMessage());
      assertTrue(e.getMessage().contains("more than " + gz.length * 100L), e.getMessage());
    }
    ContentStore content = ContentStore.open(storeDir);
    try (Stream<Path> s = Files.list(content.tempDir())) {
      assertEquals(List.of(), s.toList(), "no temp file left");
    }
    assertTrue(Files.notExists(content.blobPath(Digest.sha256(bytes))), "no inflated blob");
    // the floor: below it the ratio is not checked; and the defaults let it through
    try (Store store = Store.open(storeDir, Limits.builder().inflateRatio(100)
        .inflateFloorBytes(17 << 20).build())) {
      assertEquals(16 << 20, store.view(tag).lookup("/zeros", true).size());
    }
  }

  /**
   * A container's commit of a file that compresses far past {@code inflateRatio} (zeros, as a
   * large sparse file gives) makes an image the same store opens: it keeps the tar it wrote, and
   * never inflates its own layer. The same layer from elsewhere (its tar gone) is bounded still.
   */
  @Test
  void anImageThisStoreCommittedOpensThoughItsLayerInflatesPastTheRatio() throws IOException {
    Path storeDir = dir.resolve("store");
    byte[] base = raw(file("a", "a"));
    String tag = image(storeDir, base, Digest.sha256(base));
    Limits limits = Limits.builder().inflateRatio(100).inflateFloorBytes(1 << 20).build();
    Digest layer;
    Digest diffId;
    try (Store store = Store.open(storeDir, limits)) {
      try (Container c = store.container("zeros", tag, false)) {
        try (FileHandle h = c.open("/zeros", Set.of(StandardOpenOption.WRITE,
            StandardOpenOption.CREATE_NEW), 0644)) {
          h.write(ByteBuffer.wrap("end".getBytes(StandardCharsets.UTF_8)), 16 << 20);
        }
        Image committed = c.commit("zeros:1", CommitOptions.defaults(), Progress.NONE);
        Layer top = committed.layers().get(committed.layers().size() - 1);
        layer = top.digest();
        diffId = top.diffId();
      }
      FileTree view = store.view("zeros:1");
      assertEquals((16 << 20) + 3, view.lookup("/zeros", true).size());
    }
    ContentStore content = ContentStore.open(storeDir);
    assertTrue(Files.size(content.blobPath(layer)) * 100 < 16 << 20, "compresses past 100:1");
    // as a store that pulled the image has it: the compressed blob only
    Files.delete(content.blobPath(diffId));
    Files.deleteIfExists(LayerStore.indexRoot(content).resolve("sha256").resolve(diffId.hex()));
    try (Store store = Store.open(storeDir, limits)) {
      LimitException e = assertThrows(LimitException.class, () -> store.view("zeros:1"));
      assertEquals("inflateRatio", e.limit());
    }
  }

  @Test
  void jsonBytesBoundsConfigsAndImportedManifests() throws IOException {
    Path storeDir = dir.resolve("store");
    byte[] tar = raw(file("a", "a"));
    String tag = image(storeDir, tar, Digest.sha256(tar));
    long configSize;
    try (Store store = Store.open(storeDir)) {
      configSize = Files.size(ContentStore.open(storeDir).blobPath(store.image(tag)
          .configDigest()));
    }
    try (Store store = Store.open(storeDir,
        Limits.builder().jsonBytes(configSize - 1).build())) {
      LimitException e = assertThrows(LimitException.class, () -> store.view(tag));
      assertEquals("jsonBytes", e.limit());
      assertTrue(e.getMessage().contains("jsonBytes = " + (configSize - 1)), e.getMessage());
    }
    // an import reads the source's manifest under the same limit
    Path src = dir.resolve("src");
    ImageBuilder.create(src).file("/a", "a").build("t");
    try (Store store = Store.open(dir.resolve("other"),
        Limits.builder().jsonBytes(100).build())) {
      LimitException e = assertThrows(LimitException.class,
          () -> store.importImage("oci:" + src + ":t", "t", Progress.NONE));
      assertTrue(e.getMessage().contains("jsonBytes = 100"), e.getMessage());
      assertEquals(List.of(), store.tags());
    }
  }

  @Test
  void systemPropertiesSetLimits() {
    System.setProperty("layerfs.limit.depth", "77");
    System.setProperty("layerfs.limit.jsonBytes", "1_000");
    try {
      Limits l = Limits.fromSystemProperties();
      assertEquals(77, l.depth());
      assertEquals(1000, l.jsonBytes());
      assertEquals(Limits.DEFAULTS.pathBytes(), l.pathBytes());
      System.setProperty("layerfs.limit.depth", "-1");
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, Limits::fromSystemProperties);
      assertTrue(e.getMessage().contains("depth"), e.getMessage());
      System.setProperty("layerfs.limit.depth", "many");
      e = assertThrows(IllegalArgumentException.class, Limits::fromSystemProperties);
      assertTrue(e.getMessage().contains("layerfs.limit.depth"), e.getMessage());
    } finally {
      System.clearProperty("layerfs.limit.depth");
      System.clearProperty("layerfs.limit.jsonBytes");
    }
    assertEquals(Limits.DEFAULTS, Limits.fromSystemProperties());
  }

  @Test
  void defaultsAreDocumentedValues() {
    Limits d = Limits.DEFAULTS;
    assertEquals(List.of(1L << 20, 4096L, 2048L, 2_000_000L, 1_000_000L, 200L, 256L << 20,
        16L << 20, 4L), List.of(d.headerBytes(), d.pathBytes(), d.depth(), d.layerEntries(),
        d.directoryEntries(), d.inflateRatio(), d.inflateFloorBytes(), d.jsonBytes(),
        d.indexNesting()));
    assertThrows(IllegalArgumentException.class, () -> Limits.builder().depth(0));
    assertThrows(IllegalArgumentException.class,
        () -> Limits.builder().jsonBytes(Integer.MAX_VALUE));
  }

  // ------------------------------------------------------------------ helpers

  private static LayerIndex index(byte[] tar, Limits limits) throws IOException {
    return TarIndexer.index(new ByteArrayInputStream(tar), null, limits);
  }

  private static LimitException refused(byte[] tar, Limits limits, String limit, long value) {
    LimitException e = assertThrows(LimitException.class, () -> index(tar, limits));
    assertEquals(limit, e.limit());
    assertEquals(value, e.value());
    assertTrue(e.getMessage().contains(limit + " = " + value), e.getMessage());
    assertTrue(e.getMessage().contains("layerfs.limit." + limit), e.getMessage());
    return e;
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (OutputStream z = new GZIPOutputStream(b)) {
      z.write(data);
    }
    return b.toByteArray();
  }

  /** A one-layer image of {@code blob} whose config claims {@code diffId}; returns its tag. */
  private static String image(Path storeDir, byte[] blob, Digest diffId) throws IOException {
    ContentStore content = ContentStore.open(storeDir);
    ObjectNode config = JSON.createObjectNode();
    config.put("architecture", "amd64");
    config.put("os", "linux");
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    rootfs.putArray("diff_ids").add(diffId.toString());
    byte[] configJson = JSON.writeValueAsBytes(config);
    ObjectNode m = JSON.createObjectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MediaTypes.OCI_MANIFEST);
    ObjectNode cd = m.putObject("config");
    cd.put("mediaType", MediaTypes.OCI_CONFIG);
    cd.put("digest", content.write(configJson).toString());
    cd.put("size", configJson.length);
    ObjectNode l = m.putArray("layers").addObject();
    boolean gz = (blob[0] & 0xff) == 0x1f && (blob[1] & 0xff) == 0x8b;
    l.put("mediaType", gz ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.OCI_LAYER);
    l.put("digest", content.write(blob).toString());
    l.put("size", blob.length);
    content.tag("limits", content.write(JSON.writeValueAsBytes(m)));
    return "limits";
  }
}
