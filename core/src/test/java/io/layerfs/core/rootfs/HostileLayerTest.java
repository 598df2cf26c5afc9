package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.Zstd;
import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue of hostile layers and images (issue 16): each case builds an image from raw tar
 * bytes and says what layerfs must make of it: a contained view (asserted) or one {@link
 * IOException} naming the entry or blob. After every case a canary directory on the host, which
 * many cases aim their links and names at, must be untouched, and nothing may appear beside the
 * store (but a case's own source layout, {@code src}).
 *
 * <p>Covered elsewhere, not repeated here: name normalization of the indexer ({@code
 * TarIndexerTest#namesAreNormalizedAndClampedAtRoot}), {@code .wh.} and other special whiteout
 * names, meta entries claiming GiBs, sparse entries, absurd base-256 sizes, truncated tars and hard
 * links to directories ({@code TarIndexerTest}); symlink loops, {@code ..} above the root and
 * absolute targets in lookups, markers below a file of the same layer, an opaque marker after its
 * siblings ({@code MergedTreeTest}); corrupt and appended-to compressed blobs ({@code
 * LayerStoreTest}); nested image indexes ({@code ImageTest#nestedIndexesAreBounded}: a loop of
 * image indexes cannot be written, as each names the next by digest, so nesting is the bound);
 * archive entries leaving an import's scratch directory ({@code
 * ImageTransferTest#tarSlipEntriesAreRefused}); deep trees in a container ({@code DeepTreeTest}).
 */
@Timeout(120)
class HostileLayerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;
  Path storeDir;
  Path canary;
  Store store;
  ContentStore content;
  private int images;

  /** One case: a name for the report and a body that builds the image and asserts. */
  interface Body {
    void run(HostileLayerTest t) throws Exception;
  }

  @BeforeEach
  void open() throws IOException {
    storeDir = root.resolve("store");
    canary = root.resolve("canary");
    Files.createDirectories(canary);
    Files.writeString(canary.resolve("secret"), "host");
    store = Store.open(storeDir);
    content = ContentStore.open(storeDir);
  }

  @AfterEach
  void canaryUntouched() throws IOException {
    store.close();
    try (Stream<Path> s = Files.list(canary)) {
      assertEquals(List.of(canary.resolve("secret")), s.toList(), "the host canary changed");
    }
    assertEquals("host", Files.readString(canary.resolve("secret")));
    try (Stream<Path> s = Files.list(root)) {
      assertEquals(List.of("canary", "store"), s.map(p -> p.getFileName().toString())
          .filter(n -> !n.equals("src")).sorted().toList(), "beside the store");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void hostileInput(String name, Body body) throws Exception {
    body.run(this);
  }

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    Consumer<Object[]> add = a -> all.add(Arguments.of(a[0], a[1]));

    // ------------------------------------------------------------------ names
    add.accept(new Object[] {"../ and absolute names land inside the root", (Body) t -> {
      String c = t.canary.toString();
      FileTree v = t.view(raw(file("../../../../../../" + c.substring(1) + "/secret", "img")),
          raw(file(c + "/evil", "img"), file("a/../../../x", "img")));
      assertEquals("img", t.read(v, c + "/secret"));
      assertEquals("img", t.read(v, c + "/evil"));
      assertEquals("img", t.read(v, "/x"));
    }});
    add.accept(new Object[] {"a symlink named . is refused, naming it", (Body) t ->
        t.refused("'.'", raw(dir("etc/"), symlink(".", "/")))});
    add.accept(new Object[] {"a symlink named / is refused, naming it", (Body) t ->
        t.refused("'/'", raw(symlink("/", "../..")))});
    add.accept(new Object[] {"a hard link named ./ is refused, naming it", (Body) t ->
        t.refused("'./'", raw(file("f", "x"), hardlink("./", "f")))});
    add.accept(new Object[] {"an empty name is the root's metadata", (Body) t -> {
      FileTree v = t.view(raw(dir("d/"), dirEntry("", 0700)));
      assertEquals(EntryType.DIRECTORY, v.lookup("/", false).type());
      assertEquals(List.of("d"), v.list("/"));
    }});

    // ---------------------------------------------------------- symbolic links
    add.accept(new Object[] {"links climbing out or absolute, then entries through them",
        (Body) t -> {
          String c = t.canary.toString();
          FileTree v = t.view(
              raw(symlink("up", "../../../../../../.."), symlink("abs", c),
                  dir(c.substring(1) + "/")),
              raw(file("up/secret", "layer 2"), file("abs/pwned", "layer 2")));
          // a later layer's entry below a lower link makes a directory there; no link is
          // followed while indexing or merging
          assertEquals(EntryType.DIRECTORY, v.lookup("/up", false).type());
          assertEquals("layer 2", t.read(v, "/up/secret"));
          assertEquals(EntryType.DIRECTORY, v.lookup("/abs", false).type());
          assertEquals(List.of(), v.list(c));
        }});
    add.accept(new Object[] {"an entry through a link of the same layer is refused, naming it",
        (Body) t -> t.refused("abs/pwned",
            raw(symlink("abs", t.canary.toString()), file("abs/pwned", "x")))});
    add.accept(new Object[] {"container writes through an absolute link stay in the container",
        (Body) t -> {
          String c = t.canary.toString();
          String tag = t.image(raw(symlink("abs", c), symlink("up", "../../../../../.."),
              dir(c.substring(1) + "/")));
          try (Container k = t.store.container("k", tag, false)) {
            ContainerFixture.write(k, "/abs/pwned", "container");
            ContainerFixture.write(k, "/up" + c + "/pwned2", "container");
            assertEquals("container", ContainerFixture.readString(k, c + "/pwned"));
            assertEquals(List.of("pwned", "pwned2"), k.list(c));
            assertThrows(NoSuchFileException.class, () -> k.lookup(c + "/secret", true));
          }
        }});
    add.accept(new Object[] {"a directory replaced by a link in a later layer, written through",
        (Body) t -> {
          String c = t.canary.toString();
          String tag = t.image(raw(dir("data/"), file("data/old", "old")),
              raw(symlink("data", c)));
          FileTree v = t.store.view(tag);
          assertEquals(EntryType.SYMLINK, v.lookup("/data", false).type());
          assertThrows(NoSuchFileException.class, () -> v.lookup("/data/old", true));
          assertThrows(NoSuchFileException.class, () -> v.lookup("/data/secret", true));
          try (Container k = t.store.container("k", tag, false)) {
            // the link resolves in the container, where its target does not exist
            assertThrows(NoSuchFileException.class,
                () -> ContainerFixture.write(k, "/data/secret", "container"));
            // once the target exists in the container, writes through the link land there
            String built = "";
            for (String part : t.canary.getParent().toString().substring(1).split("/")) {
              built += "/" + part;
              if (k.find(built, false) == null) {
                k.createDirectory(built, 0755);
              }
            }
            k.createDirectory(c, 0755);
            ContainerFixture.write(k, "/data/secret", "container");
            assertEquals("container", ContainerFixture.readString(k, c + "/secret"));
          }
        }});

    // --------------------------------------------------------------- hard links
    add.accept(new Object[] {"hard links out of the root, missing, and through links",
        (Body) t -> {
          String c = t.canary.toString();
          FileTree v = t.view(raw(file("etc/passwd", "image"), symlink("lnk", "etc"),
              hardlink("out", "../../../../etc/passwd"), hardlink("host", c + "/secret"),
              hardlink("through", "lnk/passwd")));
          assertEquals("image", t.read(v, "/out"), "../ in a link target is clamped at the root");
          assertNull(v.find("/host", false), "a hard link to nothing in the image is no file");
          Node through = v.find("/through", false);
          // link(2) follows a symlink in the middle of the target; not doing so is also contained
          assertTrue(through == null || "image".equals(t.read(v, "/through")));
          assertFalse(v.list("/").contains("host"));
        }});
    add.accept(new Object[] {"a hard link to a lower symlink pointing at the host", (Body) t -> {
      FileTree v = t.view(raw(symlink("s", t.canary + "/secret")), raw(hardlink("h", "s")));
      Node h = v.lookup("/h", false);
      assertEquals(EntryType.SYMLINK, h.type());
      assertThrows(NoSuchFileException.class, () -> v.lookup("/h", true));
    }});

    // ---------------------------------------------------------------- whiteouts
    add.accept(new Object[] {"malformed whiteouts are ignored", (Body) t -> {
      FileTree v = t.view(raw(file("a/x", "x"), file("a/.wh", "x")),
          raw(file("a/.wh.", ""), file("a/.wh..", ""), file("a/.wh...", ""),
              file("a/.wh..wh.", ""), file(".wh.", "")));
      assertEquals(List.of(".wh", "x"), v.list("/a"));
      assertEquals(List.of("a"), v.list("/"));
    }});
    add.accept(new Object[] {"a whiteout under a lower link does not reach the link's target",
        (Body) t -> {
          FileTree v = t.view(raw(file("s/keep", "k"), symlink("l", "s")),
              raw(file("l/.wh.keep", ""), file("l/.wh..wh..opq", "")));
          assertEquals(List.of("keep"), v.list("/s"));
          assertEquals(EntryType.DIRECTORY, v.lookup("/l", false).type());
          assertEquals(List.of(), v.list("/l"));
        }});
    add.accept(new Object[] {"an opaque marker and whiteouts at the root", (Body) t -> {
      FileTree v = t.view(raw(file("etc/hosts", "h"), file("bin/sh", "s")),
          raw(file("new", "n"), file(".wh..wh..opq", "")), raw(file(".wh.new", "")));
      assertEquals(List.of(), v.list("/"));
    }});
    add.accept(new Object[] {"a whiteout of .. or of the root's parent hides nothing above",
        (Body) t -> {
          FileTree v = t.view(raw(file("a/b", "b")),
              raw(file("a/../.wh.a", ""), file("../.wh.a", "")));
          // both names clean to "/.wh.a", a whiteout of /a in the root
          assertEquals(List.of(), v.list("/"));
        }});

    // ------------------------------------------------------- devices and fifos
    add.accept(new Object[] {"devices and fifos are data: stat yes, open no", (Body) t -> {
      String tag = t.image(raw(device("dev/sda", TarConstants.LF_BLK, 8, 0),
          device("dev/mem", TarConstants.LF_CHR, 1, 1), device("fifo", TarConstants.LF_FIFO, 0,
              0)));
      FileTree v = t.store.view(tag);
      assertEquals(EntryType.BLOCK_DEVICE, v.lookup("/dev/sda", false).type());
      assertEquals(EntryType.FIFO, v.lookup("/fifo", false).type());
      for (String p : List.of("/dev/sda", "/dev/mem", "/fifo")) {
        assertThrows(IOException.class, () -> t.read(v, p), p);
      }
      try (Container k = t.store.container("k", tag, false)) {
        for (String p : List.of("/dev/sda", "/dev/mem", "/fifo")) {
          assertThrows(IOException.class,
              () -> ContainerFixture.write(k, p, "x", StandardOpenOption.WRITE), p);
        }
      }
    }});

    // ------------------------------------------------------------ duplicates
    add.accept(new Object[] {"duplicate entries: the last wins, types may change", (Body) t -> {
      FileTree v = t.view(raw(dir("d/"), file("d/child", "c"), file("d", "now a file"),
          file("f", "one"), file("f", "two"), file("g", "x"), dir("g/"), file("g/in", "in")));
      assertEquals("now a file", t.read(v, "/d"));
      assertEquals("two", t.read(v, "/f"));
      assertEquals(List.of("in"), v.list("/g"));
    }});

    // ------------------------------------------------------------ big and deep
    add.accept(new Object[] {"2,000 levels deep resolve and write in time", (Body) t -> {
      String deep = "d/".repeat(2000) + "leaf";
      String tag = t.image(raw(file(deep, "bottom")));
      FileTree v = t.store.view(tag);
      assertEquals("bottom", t.read(v, "/" + deep));
      try (Container k = t.store.container("k", tag, false)) {
        ContainerFixture.write(k, "/" + deep, "written");
        assertEquals("written", ContainerFixture.readString(k, "/" + deep));
      }
    }});
    add.accept(new Object[] {"200,000 entries in one directory", (Body) t -> {
      int n = 200_000;
      Path tar = t.root.resolve("store/wide.tar");
      try (OutputStream out = Files.newOutputStream(tar)) {
        for (int i = 0; i < n; i++) {
          out.write(TestTars.rawHeader("wide/f" + i, (byte) '0', 0, false));
        }
        out.write(new byte[1024]);
      }
      byte[] bytes = Files.readAllBytes(tar);
      Files.delete(tar);
      FileTree v = t.view(bytes);
      assertEquals(n, v.list("/wide").size());
      assertEquals(EntryType.FILE, v.lookup("/wide/f123456", true).type());
    }});
    add.accept(new Object[] {"a real PAX header of 3 MiB is refused naming the limit",
        (Body) t -> {
          byte[] pax = TestTars.paxRecord("comment", new byte[3 << 20]);
          byte[] tar = TestTars.concat(TestTars.rawHeader("PaxHeaders/x", (byte) 'x', pax.length,
              false), TestTars.pad(pax), TestTars.rawHeader("x", (byte) '0', 0, false),
              new byte[1024]);
          t.refused("limit", tar);
        }});
    add.accept(new Object[] {"absurd numeric PAX fields", (Body) t -> {
      for (String[] kv : new String[][] {{"uid", "99999999999999999999999"},
          {"gid", "-7"}, {"mtime", "1e400"}, {"mtime", "-99999999999999999999"},
          {"size", "-5"}, {"size", "99999999999999999999"}, {"atime", "x.y"}}) {
        byte[] pax = TestTars.paxRecord(kv[0], kv[1].getBytes(StandardCharsets.US_ASCII));
        byte[] tar = TestTars.concat(TestTars.rawHeader("PaxHeaders/n", (byte) 'x', pax.length,
            false), TestTars.pad(pax), TestTars.rawHeader("n", (byte) '0', 0, false),
            new byte[1024]);
        t.containedOrRefused(kv[0] + "=" + kv[1], tar);
      }
    }});

    // ---------------------------------------------------- truncated and bombs
    add.accept(new Object[] {"a truncated gzip stream names the blob", (Body) t -> {
      byte[] gz = gzip(raw(file("a", "x".repeat(100_000)), file("b", "y")));
      byte[] cut = Arrays.copyOf(gz, gz.length / 2);
      String tag = t.image(List.of(cut), List.of(Digest.sha256(raw(file("a", "x")))));
      IOException e = assertThrows(IOException.class, () -> t.store.view(tag));
      assertTrue(e.getMessage().contains(Digest.sha256(cut).hex()), e.getMessage());
    }});
    add.accept(new Object[] {"a gzip bomb whose DiffID lies leaves nothing behind", (Body) t -> {
      // below the inflateFloorBytes limit the ratio is not checked: the DiffID check refuses it
      // (LimitsTest: a bomb past the floor stops at the inflateRatio limit)
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      try (GZIPOutputStream z = new GZIPOutputStream(b)) {
        byte[] zeros = new byte[1 << 20];
        for (int i = 0; i < 64; i++) {
          z.write(zeros);
        }
      }
      byte[] gz = b.toByteArray();
      assertTrue(gz.length < 1 << 20);
      Digest lie = Digest.sha256(raw(file("a", "x")));
      String tag = t.image(List.of(gz), List.of(lie));
      IOException e = assertThrows(IOException.class, () -> t.store.view(tag));
      assertTrue(e.getMessage().contains(lie.toString()), e.getMessage());
      try (Stream<Path> s = Files.list(t.content.tempDir())) {
        assertEquals(List.of(), s.toList(), "no temp file left");
      }
    }});

    add.accept(new Object[] {"a truncated zstd stream names the blob", (Body) t -> {
      byte[] zst = Zstd.compress(raw(file("a", "x".repeat(100_000))));
      byte[] cut = Arrays.copyOf(zst, zst.length - 7);
      String tag = t.image(List.of(cut), List.of(Digest.sha256(raw(file("a", "x")))),
          m -> ((ObjectNode) m.get("layers").get(0)).put("mediaType", MediaTypes.OCI_LAYER_ZSTD));
      IOException e = assertThrows(IOException.class, () -> t.store.view(tag));
      assertTrue(e.getMessage().contains(Digest.sha256(cut).hex()), e.getMessage());
    }});
    add.accept(new Object[] {"names with NUL, bad UTF-8 and 8 KiB link targets", (Body) t -> {
      byte[][] values = {{'a', 0, 'b'}, {'b', (byte) 0xff, (byte) 0xfe, 'c'}, {}};
      for (byte[] v : values) {
        byte[] pax = TestTars.paxRecord("path", v);
        t.containedOrRefused("path " + Arrays.toString(v), TestTars.concat(
            TestTars.rawHeader("PaxHeaders/n", (byte) 'x', pax.length, false), TestTars.pad(pax),
            TestTars.rawHeader("n", (byte) '0', 0, false), new byte[1024]));
      }
      // longer than PATH_MAX: refused by the pathBytes limit, as symlink(2) gives ENAMETOOLONG
      String target = "/" + "t/".repeat(4 << 10);
      t.refused("pathBytes", raw(symlink("long", target)));
      String near = "/" + "t/".repeat(2000);
      String tag = t.image(raw(symlink("long", near), symlink("loop", "loop/" + "x".repeat(
          4000))));
      FileTree v = t.store.view(tag);
      assertEquals(near, v.lookup("/long", false).linkTarget());
      containedOrRefused("long target", () -> v.find("/long", true));
      containedOrRefused("loop", () -> v.find("/loop/y", true));
    }});

    // ------------------------------------------------------------ lying blobs
    add.accept(new Object[] {"a manifest naming a missing layer blob names it", (Body) t -> {
      byte[] tar = raw(file("a", "a"));
      byte[] other = raw(file("b", "b"));
      // neither the layer nor its DiffID is stored (a stored DiffID blob alone would serve)
      String tag = t.image(List.of(tar), List.of(Digest.sha256(other)), m ->
          ((ObjectNode) m.get("layers").get(0)).put("digest", Digest.sha256(other).toString()));
      IOException e = assertThrows(IOException.class, () -> t.store.view(tag));
      assertTrue(e.getMessage().contains(Digest.sha256(other).hex()), e.getMessage());
    }});
    add.accept(new Object[] {"a layer whose DiffID lies is refused naming both", (Body) t -> {
      byte[] tar = raw(file("a", "a"));
      Digest lie = Digest.sha256(raw(file("a", "b")));
      String tag = t.image(List.of(gzip(tar)), List.of(lie));
      IOException e = assertThrows(IOException.class, () -> t.store.view(tag));
      assertTrue(e.getMessage().contains(lie.toString()), e.getMessage());
      assertTrue(e.getMessage().contains(Digest.sha256(tar).toString()), e.getMessage());
    }});
    add.accept(new Object[] {"a layer whose size lies is refused", (Body) t -> {
      byte[] tar = raw(file("a", "a"));
      String tag = t.image(List.of(tar), List.of(Digest.sha256(tar)), m ->
          ((ObjectNode) m.get("layers").get(0)).put("size", tar.length - 512));
      IOException e = assertThrows(IOException.class, () -> t.read(t.store.view(tag), "/a"));
      assertTrue(e.getMessage().contains(Digest.sha256(tar).toString()), e.getMessage());
    }});
    add.accept(new Object[] {"a config whose size lies is refused", (Body) t -> {
      byte[] tar = raw(file("a", "a"));
      String tag = t.image(List.of(tar), List.of(Digest.sha256(tar)), m ->
          ((ObjectNode) m.get("config")).put("size", 3));
      IOException e = assertThrows(IOException.class, () -> t.store.view(tag));
      assertTrue(e.getMessage().contains("config") || e.getMessage().contains("size"),
          e.getMessage());
    }});
    add.accept(new Object[] {"a config of 17 MiB is refused naming the limit", (Body) t -> {
      byte[] tar = raw(file("a", "a"));
      String tag = t.image(List.of(tar), List.of(Digest.sha256(tar)), null,
          c -> c.put("padding", "x".repeat(17 << 20)));
      IOException e = assertThrows(IOException.class, () -> t.store.view(tag));
      assertTrue(e.getMessage().contains("jsonBytes = " + (16 << 20)), e.getMessage());
    }});
    add.accept(new Object[] {"a manifest whose index.json size lies", (Body) t -> {
      byte[] tar = raw(file("a", "a"));
      String tag = t.image(List.of(tar), List.of(Digest.sha256(tar)));
      Path index = t.storeDir.resolve("index.json");
      ObjectNode json = (ObjectNode) JSON.readTree(index.toFile());
      ((ObjectNode) json.get("manifests").get(0)).put("size", 7);
      Files.write(index, JSON.writeValueAsBytes(json));
      t.containedOrRefused("index.json size", () -> t.read(t.store.view(tag), "/a"));
    }});
    add.accept(new Object[] {"an oci: source whose index.json is huge is refused", (Body) t -> {
      Path src = t.root.resolve("src");
      ImageBuilder.create(src).file("/a", "a").build("t");
      ObjectNode index = (ObjectNode) JSON.readTree(src.resolve("index.json").toFile());
      index.put("padding", "x".repeat(65 << 20));
      Files.write(src.resolve("index.json"), JSON.writeValueAsBytes(index));
      IOException e = assertThrows(IOException.class,
          () -> t.store.importImage("oci:" + src + ":t", "t", Progress.NONE));
      assertTrue(e.getMessage().contains("index.json is larger than"), e.getMessage());
      assertEquals(List.of(), t.store.tags());
    }});
    return all.stream();
  }

  // ------------------------------------------------------------------ helpers

  private interface Io {
    void run() throws IOException;
  }

  /** An image of uncompressed layers; tagged, returns the tag. */
  String image(byte[]... tars) throws IOException {
    List<Digest> diffIds = new ArrayList<>();
    for (byte[] t : tars) {
      diffIds.add(Digest.sha256(t));
    }
    return image(Arrays.asList(tars), diffIds);
  }

  String image(List<byte[]> blobs, List<Digest> diffIds) throws IOException {
    return image(blobs, diffIds, null, null);
  }

  String image(List<byte[]> blobs, List<Digest> diffIds, Consumer<ObjectNode> manifestLie)
      throws IOException {
    return image(blobs, diffIds, manifestLie, null);
  }

  /** Layers given as blobs (gzip detected from their bytes), DiffIDs as the config claims. */
  String image(List<byte[]> blobs, List<Digest> diffIds, Consumer<ObjectNode> manifestLie,
      Consumer<ObjectNode> configLie) throws IOException {
    ObjectNode config = JSON.createObjectNode();
    config.put("architecture", "amd64");
    config.put("os", "linux");
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    diffIds.forEach(d -> ids.add(d.toString()));
    if (configLie != null) {
      configLie.accept(config);
    }
    byte[] configJson = JSON.writeValueAsBytes(config);
    ObjectNode m = JSON.createObjectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MediaTypes.OCI_MANIFEST);
    ObjectNode cd = m.putObject("config");
    cd.put("mediaType", MediaTypes.OCI_CONFIG);
    cd.put("digest", content.write(configJson).toString());
    cd.put("size", configJson.length);
    ArrayNode layers = m.putArray("layers");
    for (byte[] blob : blobs) {
      ObjectNode l = layers.addObject();
      boolean gz = blob.length > 1 && (blob[0] & 0xff) == 0x1f && (blob[1] & 0xff) == 0x8b;
      l.put("mediaType", gz ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.OCI_LAYER);
      l.put("digest", content.write(blob).toString());
      l.put("size", blob.length);
    }
    if (manifestLie != null) {
      manifestLie.accept(m);
    }
    String tag = "hostile" + images++;
    content.tag(tag, content.write(JSON.writeValueAsBytes(m)));
    return tag;
  }

  FileTree view(byte[]... tars) throws IOException {
    return store.view(image(tars));
  }

  String read(FileTree v, String path) throws IOException {
    Node n = v.lookup(path, true);
    try (FileHandle h =
        v.open(path, ContainerFixture.opts(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) n.size());
      while (b.hasRemaining() && h.read(b, b.position()) > 0) {
        // fill
      }
      return new String(b.array(), StandardCharsets.UTF_8);
    }
  }

  /** Opening the image is one IOException whose message contains {@code naming}. */
  void refused(String naming, byte[]... tars) throws IOException {
    String tag = image(tars);
    IOException e = assertThrows(IOException.class, () -> store.view(tag));
    assertTrue(e.getMessage().contains(naming), "'" + naming + "' not in: " + e.getMessage());
  }

  /** The image opens and lists, or its open is an IOException; nothing else. */
  void containedOrRefused(String what, byte[] tar) throws IOException {
    String tag = image(tar);
    containedOrRefused(what, () -> {
      FileTree v = store.view(tag);
      for (String n : v.list("/")) {
        v.lookup("/" + n, false);
      }
    });
  }

  static void containedOrRefused(String what, Io body) {
    try {
      body.run();
      System.out.println("HostileLayerTest " + what + ": contained");
    } catch (IOException expected) {
      System.out.println("HostileLayerTest " + what + ": refused: " + expected.getMessage());
      assertTrue(expected.getMessage() != null && !expected.getMessage().isBlank(), what);
    } catch (RuntimeException | Error e) {
      throw new AssertionError(what + ": not an IOException", e);
    }
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(b)) {
      z.write(data);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return b.toByteArray();
  }

  /** A tar of the given entries, names and link targets written exactly as given. */
  static byte[] raw(TarArchiveEntry... entries) {
    TestTars t = new TestTars();
    for (TarArchiveEntry e : entries) {
      t.entry(e, e.isFile() && !e.isLink() ? (byte[]) DATA.get(e) : null);
    }
    return t.bytes();
  }

  // the bytes of each file entry made by file(), until raw() writes it
  private static final Map<TarArchiveEntry, byte[]> DATA =
      Collections.synchronizedMap(new IdentityHashMap<>());

  static TarArchiveEntry file(String name, String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
    e.setMode(0100644);
    e.setSize(b.length);
    DATA.put(e, b);
    return e;
  }

  static TarArchiveEntry dir(String name) {
    return dirEntry(name, 0755);
  }

  static TarArchiveEntry dirEntry(String name, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR, true);
    e.setMode(040000 | mode);
    return e;
  }

  static TarArchiveEntry symlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
    e.setLinkName(target);
    e.setMode(0120777);
    return e;
  }

  static TarArchiveEntry hardlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    e.setLinkName(target);
    return e;
  }

  static TarArchiveEntry device(String name, byte type, int major, int minor) {
    TarArchiveEntry e = new TarArchiveEntry(name, type, true);
    e.setDevMajor(major);
    e.setDevMinor(minor);
    e.setMode(0600);
    return e;
  }
}
