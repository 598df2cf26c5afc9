package io.layerfs.core.container;

import static io.layerfs.core.FileTree.TIME_UNCHANGED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Change;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.internal.PathNames;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.overlay.ImageFlattener;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import io.layerfs.testing.Props;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commit and diff: the committed image, opened again, shows exactly the container's tree, and
 * the diff says what docker diff would.
 */
class ContainerCommitTest {
  private static final String[] DIRS = {"/", "/d1", "/d1/sub", "/d2", "/d3", "/etc", "/n",
      "/moved", "/n/deeper"};
  private static final String[] NAMES = {"a", "b", "c", "x", "new", "sub", "hosts", "big", "n",
      "hl1", "hl2", "moved", "deeper",
      "a-name-longer-than-one-hundred-bytes-to-need-a-pax-path-record-"
          + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "n\u00e4me"};

  @TempDir Path tmp;

  @Test
  void diffListsWhatDockerDiffWould() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "w", ContainerFixture.IMAGE, false)) {
      assertEquals(List.of(), c.diff());
      ContainerFixture.write(c, "/etc/hosts", "changed\n", StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING);
      ContainerFixture.write(c, "/etc/new.conf", "new\n", StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      c.delete("/d2/c");
      c.setMode("/d1/a", false, 0600);
      c.createDirectory("/fresh", 0755);
      ContainerFixture.write(c, "/fresh/f", "f\n", StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      c.move("/d1/sub", "/renamed", false);
      assertEquals(List.of(
          "C /d1",
          "C /d1/a",
          "D /d1/sub",
          "C /d2",
          "D /d2/c",
          "C /etc",
          "C /etc/hosts",
          "A /etc/new.conf",
          "A /fresh",
          "A /fresh/f",
          "A /renamed",
          "A /renamed/x",
          "A /renamed/y"),
          c.diff().stream().map(Change::toString).collect(Collectors.toList()));
    }
  }

  @Test
  void removedAndRecreatedDirectoryIsOpaque() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "w", ContainerFixture.IMAGE, false)) {
      c.delete("/d1/sub/x");
      c.delete("/d1/sub/y");
      c.delete("/d1/sub");
      c.createDirectory("/d1/sub", 0700);
      ContainerFixture.write(c, "/d1/sub/x", "again\n", StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      assertEquals("[C /d1, C /d1/sub, C /d1/sub/x, D /d1/sub/y]", c.diff().toString());
      Image committed = c.commit("opaque", CommitOptions.defaults(), Progress.NONE);
      List<String> names = entryNames(store, committed);
      assertEquals(List.of("d1/", "d1/sub/", "d1/sub/.wh..wh..opq", "d1/sub/x"), names);
      assertSameTree(store, layers, c, "opaque");
    }
  }

  @Test
  void unchangedContainerCommitsOneEmptyLayer() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Image base = ContainerFixture.build(store);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "w", ContainerFixture.IMAGE, false)) {
      Image img = c.commit("same", CommitOptions.defaults(), Progress.NONE);
      assertEquals(base.layers().size() + 1, img.layers().size());
      // Docker's empty layer: a tar of two zero blocks
      assertEquals(Digest.sha256(new byte[1024]), img.layers().get(base.layers().size()).diffId());
      assertSameTree(store, layers, c, "same");
    }
  }

  @Test
  void sameStateGivesSameDigests() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    Instant epoch = Instant.parse("2024-01-01T00:00:00Z");
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "w", ContainerFixture.IMAGE, false)) {
      ContainerFixture.write(c, "/etc/hosts", "changed\n", StandardOpenOption.WRITE);
      c.move("/d1", "/d9", false);
      CommitOptions o = CommitOptions.defaults().withSourceDateEpoch(epoch);
      Image a = c.commit("a", o, Progress.NONE);
      Image b = c.commit("b", o, Progress.NONE);
      assertEquals(a.manifestDigest(), b.manifestDigest());
      Image zstd = c.commit(null, o.withCompression(Compression.ZSTD), Progress.NONE);
      Image none = c.commit(null, o.withCompression(Compression.NONE), Progress.NONE);
      Layer top = a.layers().get(a.layers().size() - 1);
      assertEquals(top.diffId(), zstd.layers().get(zstd.layers().size() - 1).diffId());
      assertEquals(top.diffId(), none.layers().get(none.layers().size() - 1).diffId());
      assertNotEquals(top.digest(), zstd.layers().get(zstd.layers().size() - 1).digest());
      Image now = c.commit(null, CommitOptions.defaults(), Progress.NONE);
      Image later = c.commit(null, CommitOptions.defaults(), Progress.NONE);
      assertEquals(now.layers().get(now.layers().size() - 1).digest(),
          later.layers().get(later.layers().size() - 1).digest(),
          "file times are the files' own: the layer does not depend on when it is committed");
      assertSameTree(store, layers, c, now);
      // without a tag each image is kept untagged, as docker commit keeps a dangling image
      assertTrue(store.readIndex().untagged().containsAll(List.of(zstd.manifestDigest(),
          none.manifestDigest(), now.manifestDigest(), later.manifestDigest())));
      // the clamp: every time in the layer is at most the epoch
      for (TarArchiveEntry e : entries(store, a)) {
        assertTrue(!e.getLastModifiedTime().toInstant().isAfter(epoch), e.getName());
      }
    }
  }

  @Test
  void paxRecordsCarryWhatUstarCannot() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    String longName = "/d1/" + "l".repeat(150);
    String unicode = "/d1/gr\u00fc\u00dfe-\u65e5\u672c";
    byte[] binary = {0, (byte) 0xff, 1, (byte) 0x80, '='};
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "w", ContainerFixture.IMAGE, false)) {
      ContainerFixture.write(c, longName, "long\n", StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      ContainerFixture.write(c, unicode, "u\n", StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      c.createSymbolicLink("/d1/longlink", "t".repeat(200));
      c.setXattr(unicode, false, "user.bin", binary);
      c.setTimes(unicode, false, 1_700_000_000_123_456_789L, TIME_UNCHANGED);
      c.setTimes(longName, false, -1_500_000_000L, TIME_UNCHANGED);
      c.setOwner(longName, false, 3_000_000, 4_000_000);
      c.setMode("/", false, 0700);
      assertSameTree(store, layers, c, c.commit("pax", CommitOptions.defaults(), Progress.NONE));
      Node u = open(store, layers, "pax").lookup(unicode, false);
      assertEquals(1_700_000_000_123_456_789L, u.mtimeNanos());
      assertEquals(HexFormat.of().formatHex(binary),
          HexFormat.of().formatHex(u.xattrs().get("user.bin")));
    }
  }

  @Test
  void flattenKeepsTheTreeInOneLayer() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    try (LayerStore layers = new LayerStore(store)) {
      Image flat = ImageFlattener.flatten(store, layers, ContainerFixture.IMAGE, "flat",
          Compression.GZIP, Progress.NONE);
      assertEquals(1, flat.layers().size());
      try (Container before = Container.open(store, layers, "v1", ContainerFixture.IMAGE, true)) {
        assertSameTree(store, layers, before, "flat");
      }
      List<String> names = entryNames(store, flat);
      assertTrue(names.stream().noneMatch(n -> n.contains(".wh.")), names.toString());
      // the image's hard links stay links
      assertTrue(entries(store, flat).stream().anyMatch(TarArchiveEntry::isLink));
    }
  }

  /**
   * Random writes, renames, deletes, links and metadata changes, then a commit: the committed
   * image must show exactly the container's tree.
   */
  @Test
  void committedImageShowsTheContainersTree() {
    Props p = Props.tries(40).seed(20261127);
    p.qt()
        .withShrinkCycles(30) // about 0.3 s each
        .forAll(p.longs())
        .checkAssert(Props.io(seed -> {
          Path dir = Files.createTempDirectory("layerfs-commit");
          try {
            commitRandom(dir, seed);
          } finally {
            FileTrees.deleteTree(dir);
          }
        }));
  }

  private static void commitRandom(Path dir, long seed) throws IOException {
    ContentStore store = ContentStore.open(dir.resolve("store"));
    ContainerFixture.build(store);
    Random r = new Random(seed);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "w", ContainerFixture.IMAGE, false)) {
      for (int i = 0; i < 120; i++) {
        try {
          step(c, r);
        } catch (IOException | UnsupportedOperationException e) {
          // the container refused as Linux would; the tree is what it is
        }
      }
      Image img = c.commit("p", CommitOptions.defaults(), Progress.NONE);
      assertSameTree(store, layers, c, img);
      // and the diff names exactly the paths the layer touched
      List<String> diffPaths = c.diff().stream().map(Change::path).toList();
      assertEquals(diffPaths.stream().distinct().count(), diffPaths.size(), diffPaths.toString());
    }
  }

  private static void step(Container c, Random r) throws IOException {
    String p = path(r);
    String q = path(r);
    byte[] data = new byte[r.nextInt(5) == 0 ? r.nextInt(150_000) : r.nextInt(40)];
    r.nextBytes(data);
    switch (r.nextInt(14)) {
      case 0, 1 -> ContainerFixture.write(c, p, data, 0, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
      case 2 -> ContainerFixture.write(c, p, data, r.nextInt(800_000), StandardOpenOption.WRITE);
      case 3 -> c.delete(p);
      case 4 -> c.createDirectory(p, 0750);
      case 5 -> c.move(p, q, r.nextBoolean());
      case 6 -> c.createSymbolicLink(p, q);
      case 7 -> c.createLink(p, q);
      case 8 -> c.setMode(p, false, r.nextInt(07777 + 1));
      case 9 -> c.setOwner(p, false, r.nextInt(70_000), r.nextInt(70_000));
      case 10 -> c.setTimes(p, false, r.nextLong() % 4_000_000_000_000_000_000L,
          TIME_UNCHANGED);
      case 11 -> c.setXattr(p, false, "user.k" + r.nextInt(3), data.length > 60
          ? java.util.Arrays.copyOf(data, 60) : data);
      case 12 -> {
        try (FileHandle h = c.open(p, ContainerFixture.opts(StandardOpenOption.WRITE), 0)) {
          h.truncate(r.nextInt(800_000));
        }
      }
      default -> c.move(DIRS[r.nextInt(DIRS.length)], q, false);
    }
  }

  private static String path(Random r) {
    String dir = DIRS[r.nextInt(DIRS.length)];
    return PathNames.child(dir, NAMES[r.nextInt(NAMES.length)]);
  }

  private static Container open(ContentStore store, LayerStore layers, String tag)
      throws IOException {
    return Container.open(store, layers, "check-" + tag.hashCode(), tag, true);
  }

  private static void assertSameTree(ContentStore store, LayerStore layers, Container c,
      Image img) throws IOException {
    assertSameTree(store, layers, c, img.manifestDigest().toString());
  }

  private static void assertSameTree(ContentStore store, LayerStore layers, Container c,
      String ref) throws IOException {
    try (Container view = Container.open(store, layers, "check", ref, true)) {
      List<String> want = describe(c);
      List<String> got = describe(view);
      List<String> missing = new ArrayList<>(want);
      missing.removeAll(got);
      List<String> extra = new ArrayList<>(got);
      extra.removeAll(want);
      // (link counts are not compared: a lower file whose hard link was copied up keeps the
      // image's count in the container, as overlay2 shows it; link-of compares the structure)
      assertTrue(want.equals(got), "committed image " + ref + " vs container " + c.name()
          + "\nonly in the container:\n" + String.join("\n", missing)
          + "\nonly in the image:\n" + String.join("\n", extra) + "\n");
    }
  }

  /** Every attribute a layer can carry, per path (hard links by their first name). */
  static List<String> describe(Container c) throws IOException {
    List<String> out = new ArrayList<>();
    Map<Long, String> firstName = new java.util.HashMap<>();
    Node root = c.lookup("/", false);
    out.add("/ mode=" + Integer.toOctalString(root.mode() & 07777) + " uid=" + root.uid()
        + " gid=" + root.gid() + " mtime=" + root.mtimeNanos());
    describe(c, "/", out, firstName);
    return out;
  }

  private static void describe(Container c, String dir, List<String> out,
      Map<Long, String> firstName) throws IOException {
    for (String name : c.list(dir)) {
      String p = PathNames.child(dir, name);
      Node n = c.lookup(p, false);
      StringBuilder b = new StringBuilder(p).append(' ').append(n.type())
          .append(" mode=").append(Integer.toOctalString(n.mode() & 07777))
          .append(" uid=").append(n.uid()).append(" gid=").append(n.gid())
          .append(" mtime=").append(n.mtimeNanos());
      for (Map.Entry<String, byte[]> x : n.xattrs().entrySet()) {
        b.append(' ').append(x.getKey()).append('=')
            .append(HexFormat.of().formatHex(x.getValue()));
      }
      switch (n.type()) {
        case FILE -> {
          String first = firstName.putIfAbsent(n.fileKey(), p);
          b.append(" size=").append(n.size()).append(' ')
              .append(ContainerFixture.digest(ContainerFixture.read(c, p)));
          if (first != null) {
            b.append(" link-of=").append(first);
          }
        }
        case SYMLINK -> b.append(" -> ").append(n.linkTarget());
        case CHAR_DEVICE, BLOCK_DEVICE -> b.append(' ').append(n.devMajor()).append(',')
            .append(n.devMinor());
        default -> { }
      }
      out.add(b.toString());
      if (n.type() == EntryType.DIRECTORY) {
        describe(c, p, out, firstName);
      }
    }
  }

  private static List<TarArchiveEntry> entries(ContentStore store, Image img) throws IOException {
    Layer top = img.layers().get(img.layers().size() - 1);
    List<TarArchiveEntry> out = new ArrayList<>();
    try (InputStream blob = store.openBlob(top.digest());
        InputStream raw = MediaTypes.layerCompression(top.mediaType()).decompress(blob);
        TarArchiveInputStream tar = new TarArchiveInputStream(raw, "UTF-8")) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        out.add(e);
      }
    }
    return out;
  }

  private static List<String> entryNames(ContentStore store, Image img) throws IOException {
    return entries(store, img).stream().map(TarArchiveEntry::getName).toList();
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
