package io.layerfs.core.rootfs;

import io.layerfs.core.Node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;

class MergedTreeTest {
  /** ELOOP's reason, in the JDK's default provider's words. */
  private static final String LOOP =
      "Too many levels of symbolic links or unable to access attributes of symbolic link";

  private final List<byte[]> tars = new ArrayList<>();

  private MergedTree tree(TestTars... layers) throws IOException {
    List<LayerIndex> idx = new ArrayList<>();
    List<Digest> ds = new ArrayList<>();
    for (TestTars t : layers) {
      byte[] b = t.bytes();
      tars.add(b);
      idx.add(TarIndexer.index(new ByteArrayInputStream(b)));
      ds.add(Digest.sha256(b));
    }
    return MergedTree.of(idx, ds);
  }

  private String read(Node node) {
    LayerNode n = (LayerNode) node;
    return new String(tars.get(n.layer()), (int) n.dataOffset(), (int) n.size(),
        StandardCharsets.UTF_8);
  }

  private static String reason(FileSystemException e) {
    return e.getReason();
  }

  @Test
  void lookupsInAnyOrderAnswerAsFromTheRoot() throws IOException {
    // each lookup may start where the last one ended, or reuse its node: names that share a
    // prefix, "..", extra slashes and a link looked up both ways must not be confused
    byte[] layer = new TestTars().dir("a", 0755).dir("a/b", 0755).file("a/b/f", "in b")
        .dir("a/bc", 0755).file("a/bc/f", "in bc").dir("ab", 0755).file("ab/f", "in ab")
        .symlink("a/b/up", "..").symlink("a/b/l", "f").bytes();
    List<String> paths = List.of("/a/b/f", "/a/bc/f", "/a/b", "/ab/f", "/a/b/../bc/f",
        "/a/b//f", "/a/b/f/", "/a/b/l", "/a/b/up/bc/f", "/a", "/a/b/", "/a/bc", "/", "/a/b/x");
    MergedTree warm = treeOf(layer);
    for (int round = 0; round < 2; round++) {
      for (String p : paths) {
        for (boolean follow : new boolean[] {false, true}) {
          String fresh = describe(treeOf(layer), p, follow);
          assertEquals(fresh, describe(warm, p, follow), p + " follow " + follow);
          assertEquals(fresh, describe(warm, p, follow), p + " again, follow " + follow);
        }
      }
    }
  }

  private static MergedTree treeOf(byte[] tar) throws IOException {
    return MergedTree.of(List.of(TarIndexer.index(new ByteArrayInputStream(tar))),
        List.of(Digest.sha256(tar)));
  }

  private static String describe(MergedTree t, String p, boolean follow) {
    try {
      LayerNode n = t.find(p, follow);
      return n == null ? "absent" : n.path() + " " + n.type() + " " + n.fileKey();
    } catch (IOException e) {
      return e.getClass().getSimpleName() + " " + e.getMessage();
    }
  }

  @Test
  void aHardLinkInALaterLayerCountsOnAFileOfOneName() throws IOException {
    // the file has one name in its own layer: only the layer above makes it two
    MergedTree t = tree(new TestTars().file("a", "data").file("other", "x"),
        new TestTars().hardlink("b", "a"));
    assertEquals(2, t.lookup("/a", false).linkCount());
    assertEquals(2, t.lookup("/b", false).linkCount());
    assertEquals(t.lookup("/a", false).fileKey(), t.lookup("/b", false).fileKey());
    assertEquals(1, t.lookup("/other", false).linkCount());
  }

  @Test
  void aHardLinkTwoLayersAboveCountsToo() throws IOException {
    // the layer between the file and the link has no hard links of its own
    MergedTree t = tree(new TestTars().file("a", "data"), new TestTars().file("mid", "m"),
        new TestTars().hardlink("b", "a"));
    assertEquals(2, t.lookup("/a", false).linkCount());
    assertEquals(2, t.lookup("/b", false).linkCount());
    assertEquals(1, t.lookup("/mid", false).linkCount());
  }

  @Test
  void namesOfOneFileInOneLayerAreCounted() throws IOException {
    MergedTree t = tree(new TestTars().file("a", "data").hardlink("b", "a").hardlink("c", "b")
        .file("d", "other"));
    assertEquals(3, t.lookup("/a", false).linkCount());
    assertEquals(3, t.lookup("/c", false).linkCount());
    assertEquals(1, t.lookup("/d", false).linkCount());
  }

  @Test
  void theRootIsInEveryLayerAndTakesTheTopOne() throws IOException {
    MergedTree t = tree(new TestTars().file("a", "0"), new TestTars().file("b", "1"),
        new TestTars().file("c", "2"));
    LayerNode root = t.lookup("/", false);
    assertEquals(2, root.layer());
    assertEquals(Digest.sha256(tars.get(2)), root.layerDigest());
    assertEquals(-1, MergedTree.of(List.of(), List.of()).lookup("/", false).layer());
  }

  @Test
  void layersAndDigestsMustPair() throws IOException {
    LayerIndex x = TarIndexer.index(new ByteArrayInputStream(new TestTars().file("a", "")
        .bytes()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MergedTree.of(List.of(x), List.of()));
    assertEquals("layers (1) and diffIds (0) differ in length", e.getMessage());
  }

  @Test
  void dotsAndSlashesAfterPlainNames() throws IOException {
    MergedTree t = tree(new TestTars().file("etc/hosts", "h").dir("var/lib", 0700));
    assertEquals("/etc", t.lookup("/etc/.", false).path());
    assertEquals("/etc/hosts", t.lookup("/./etc/./hosts", false).path());
    assertEquals("/var", t.lookup("/var/lib/..", false).path());
    assertEquals("/etc/hosts", t.lookup("/var/../etc/hosts", true).path());
    // a trailing slash names the file itself, as the JDK's paths drop it
    Node f = t.lookup("/etc/hosts/", false);
    assertEquals("/etc/hosts", f.path());
    assertEquals("h", read(f));
    assertEquals("/etc/hosts", t.find("/etc/hosts//", true).path());
    assertEquals("/var/lib", t.lookup("/var/lib/", false).path());
  }

  @Test
  void childrenAndListingsOfNodesThatAreNoDirectories() throws IOException {
    MergedTree t = tree(new TestTars().file("etc/hosts", "h").symlink("link", "etc"));
    LayerNode etc = t.lookup("/etc", false);
    LayerNode hosts = t.lookup("/etc/hosts", false);
    LayerNode link = t.lookup("/link", false);
    // a name with a slash in it is a path below the directory
    assertEquals("/etc/hosts", t.findChild(etc, "/hosts").path());
    assertEquals("/etc/hosts", t.findChild(t.lookup("/", false), "link/hosts").path());
    // a symlink's child is found through the link, as find() does
    assertEquals("/etc/hosts", t.findChild(link, "hosts").path());
    assertEquals(List.of("hosts"), t.list(link));
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> t.findChild(hosts, "x"));
    assertEquals("Not a directory", e.getReason());
    assertThrows(NotDirectoryException.class, () -> t.list(hosts));
  }

  @Test
  void symlinkLoopsAreEloop() throws IOException {
    MergedTree t = tree(new TestTars().symlink("loop", "loop").symlink("a", "b").symlink("b", "a")
        .dir("d", 0755));
    FileSystemException e = assertThrows(FileSystemException.class, () -> t.lookup("/loop", true));
    assertEquals(LOOP, reason(e));
    assertEquals("/loop", e.getFile());
    e = assertThrows(FileSystemException.class, () -> t.lookup("/a/x", false));
    assertEquals(LOOP, reason(e));
    assertEquals(EntryType.SYMLINK, t.lookup("/loop", false).type());
  }

  @Test
  void fortyHopsResolveAndFortyOneDoNot() throws IOException {
    TestTars l = new TestTars().file("end", "x");
    for (int i = 0; i < 41; i++) {
      l.symlink("s" + i, i == 0 ? "end" : "s" + (i - 1));
    }
    MergedTree t = tree(l);
    assertEquals("/end", t.lookup("/s39", true).path());
    FileSystemException e = assertThrows(FileSystemException.class, () -> t.lookup("/s40", true));
    assertEquals(LOOP, reason(e));
  }

  @Test
  void dotDotAboveRootAndAbsoluteTargetsStayInside() throws IOException {
    MergedTree t = tree(new TestTars().file("etc/passwd", "image").dir("app/lib", 0755)
        .symlink("app/up", "../../../../etc/passwd").symlink("app/abs", "/etc/passwd")
        .symlink("app/lib/rel", "../../etc").symlink("app/dotdot", "..")
        .symlink("app/self", "."));
    assertEquals("/etc/passwd", t.lookup("/app/up", true).path());
    assertEquals("image", read(t.lookup("/app/abs", true)));
    assertEquals("/etc/passwd", t.lookup("/app/lib/rel/passwd", true).path());
    assertEquals("/etc/passwd", t.lookup("/../../etc/passwd", true).path());
    assertEquals("/", t.lookup("/app/dotdot/..", true).path());
    assertEquals("/app", t.lookup("/app/self", true).path());
    assertEquals("/app", t.lookup("/app/self/self/.", true).path());
    // ".." after a symlink goes to the parent of the directory reached, as Linux does
    assertEquals("/", t.lookup("/app/lib/rel/..", true).path());
  }

  @Test
  void linksInTheMiddleOfPaths() throws IOException {
    MergedTree t = tree(new TestTars().file("usr/lib/x/libc.so", "libc")
        .symlink("lib", "usr/lib").symlink("usr/lib64", "/lib"));
    Node n = t.lookup("/usr/lib64/x/libc.so", false);
    assertEquals("/usr/lib/x/libc.so", n.path());
    assertEquals("libc", read(n));
    assertEquals(List.of("x"), t.list("/lib"));
    assertEquals(EntryType.SYMLINK, t.lookup("/lib", false).type());
    assertEquals(EntryType.DIRECTORY, t.lookup("/lib", true).type());
  }

  @Test
  void errorsMatchLinux() throws IOException {
    MergedTree t = tree(new TestTars().file("etc/hosts", "h").symlink("dangling", "/nope")
        .symlink("empty", "x").symlink("tofile", "/etc/hosts"));
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> t.lookup("/etc/hosts/x", true));
    assertEquals("Not a directory", e.getReason());
    assertEquals("/etc/hosts/x", e.getFile());
    e = assertThrows(FileSystemException.class, () -> t.lookup("/tofile/x", false));
    assertEquals("Not a directory", e.getReason());
    e = assertThrows(FileSystemException.class, () -> t.lookup("/etc/hosts/..", false));
    assertEquals("Not a directory", e.getReason());
    NoSuchFileException n = assertThrows(NoSuchFileException.class,
        () -> t.lookup("/nonexist/x", true));
    assertEquals("/nonexist/x", n.getFile());
    assertThrows(NoSuchFileException.class, () -> t.lookup("/dangling", true));
    assertEquals(EntryType.SYMLINK, t.lookup("/dangling", false).type());
    assertThrows(NotDirectoryException.class, () -> t.list("/etc/hosts"));
    assertThrows(NotDirectoryException.class, () -> t.list("/tofile"));
    assertThrows(NoSuchFileException.class, () -> t.list("/dangling"));
  }

  @Test
  void whiteoutsHideOnlyLowerLayers() throws IOException {
    MergedTree t = tree(
        new TestTars().file("a/x", "0").file("a/y", "0"),
        new TestTars().file("a/.wh.x", "").file("a/z", "1").file("a/.wh.z", ""),
        new TestTars().file("a/w", "2"));
    assertEquals(List.of("w", "y", "z"), t.list("/a"));
    assertThrows(NoSuchFileException.class, () -> t.lookup("/a/x", false));
  }

  @Test
  void opaqueMarkerHidesLowerChildrenWhereverItSits() throws IOException {
    MergedTree t = tree(
        new TestTars().dir("a", 0700).file("a/old", "0").file("a/b/c/bar", "0"),
        new TestTars().file("a/b/c/foo", "1").file("a/.wh..wh..opq", ""));
    assertEquals(List.of("b"), t.list("/a"));
    assertEquals(List.of("foo"), t.list("/a/b/c"));
    assertEquals(0700, t.lookup("/a", false).mode(), "opaque keeps the directory's metadata");
  }

  @Test
  void typeChangesBetweenLayers() throws IOException {
    MergedTree t = tree(
        new TestTars().dir("d", 0700).file("d/f", "0").file("f", "0"),
        new TestTars().file("d", "file now").dir("f", 0711).file("f/inside", "1"),
        new TestTars().file("d/new", "2"));
    Node d = t.lookup("/d", false);
    assertEquals(EntryType.DIRECTORY, d.type());
    assertEquals(0755, d.mode(), "implied over a file: default metadata");
    assertEquals(List.of("new"), t.list("/d"));
    assertEquals(0711, t.lookup("/f", false).mode());
    assertEquals(List.of("inside"), t.list("/f"));
  }

  @Test
  void markersBelowAFileOfTheSameLayerAreIgnored() throws IOException {
    // umoci repack of a directory that became a file: the file, then whiteouts under it
    MergedTree t = tree(
        new TestTars().dir("dir-to-file", 0700).file("dir-to-file/x", "0")
            .file("dir-to-file/y", "0").dir("s", 0755).file("s/keep", "0"),
        new TestTars().file("dir-to-file", "now a file").file("dir-to-file/.wh.x", "")
            .file("dir-to-file/.wh.y", "").file("dir-to-file/deeper/.wh.z", "")
            .file("dir-to-file/.wh..wh..opq", "").symlink("link", "s")
            .file("link/.wh.keep", "").file("link/.wh..wh..opq", ""));
    Node f = t.lookup("/dir-to-file", false);
    assertEquals(EntryType.FILE, f.type());
    assertEquals("now a file", read(f));
    assertEquals(EntryType.SYMLINK, t.lookup("/link", false).type());
    assertEquals(List.of("keep"), t.list("/s"));
    assertEquals(List.of("dir-to-file", "link", "s"), t.list("/"));
  }

  @Test
  void entriesBelowANonDirectoryOfTheSameLayerAreRefused() {
    for (TestTars bad : List.of(
        new TestTars().file("f", "x").file("f/child", "y"),
        new TestTars().symlink("l", "d").dir("d", 0755).file("l/child", "y"),
        new TestTars().file("f", "x").dir("f/sub/", 0755))) {
      IOException e = assertThrows(IOException.class,
          () -> TarIndexer.index(new ByteArrayInputStream(bad.bytes())));
      assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }
  }

  @Test
  void entriesBelowAReplacedNonDirectoryAreFine() throws IOException {
    MergedTree t = tree(new TestTars().file("f", "x").dir("f", 0700).file("f/child", "y")
        .file("g", "x").file("g/.wh.q", "").file(".wh.g", "").file("h", "x").file(".wh.h", ""));
    assertEquals(List.of("child"), t.list("/f"));
    assertEquals(EntryType.FILE, t.lookup("/g", false).type());
    assertEquals(EntryType.FILE, t.lookup("/h", false).type());
  }

  @Test
  void impliedParentsTakeLowerMetadata() throws IOException {
    MergedTree t = tree(
        new TestTars().dir("a", 0700).dir("a/b", 0750).file("a/b/old", "0"),
        new TestTars().file("a/b/c/new", "1"));
    assertEquals(0700, t.lookup("/a", false).mode());
    assertEquals(0750, t.lookup("/a/b", false).mode());
    assertEquals(0755, t.lookup("/a/b/c", false).mode());
    assertEquals(List.of("c", "old"), t.list("/a/b"));
    assertEquals(1, t.lookup("/a/b", false).layer(), "topmost layer with the directory");
    assertEquals(3, t.lookup("/a/b", false).linkCount(), "2 + subdirectory c");
  }

  @Test
  void hardLinksWithinAndAcrossLayers() throws IOException {
    MergedTree t = tree(
        new TestTars().file("bin/busybox", "bb").hardlink("bin/sh", "bin/busybox")
            .hardlink("bin/ls", "/bin/busybox").file("other", "o"),
        new TestTars().hardlink("usr/bin/env", "bin/busybox").file("bin/.wh.ls", "")
            .hardlink("gone", "no/such/file"));
    Node bb = t.lookup("/bin/busybox", false);
    Node sh = t.lookup("/bin/sh", false);
    Node env = t.lookup("/usr/bin/env", false);
    assertEquals(bb.fileKey(), sh.fileKey());
    assertEquals(bb.fileKey(), env.fileKey());
    assertEquals("bb", read(env));
    assertEquals(EntryType.FILE, env.type());
    assertEquals(0, env.layer(), "the data lives in the lower layer's blob");
    assertEquals(3, bb.linkCount(), "busybox, sh, env; ls is whited out");
    assertEquals(3, env.linkCount());
    assertNotEquals(bb.fileKey(), t.lookup("/other", false).fileKey());
    assertEquals(1, t.lookup("/other", false).linkCount());
    assertThrows(NoSuchFileException.class, () -> t.lookup("/gone", false));
    assertTrue(!t.list("/").contains("gone"));
  }

  @Test
  void devicesAndMetadata() throws IOException {
    MergedTree t = tree(new TestTars().device("dev/null", TarConstants.LF_CHR, 1, 3));
    Node n = t.lookup("/dev/null", true);
    assertEquals(EntryType.CHAR_DEVICE, n.type());
    assertEquals(1, n.devMajor());
    assertEquals(3, n.devMinor());
    assertEquals(0600, n.mode());
  }

  @Test
  void emptyImageHasAnEmptyRoot() throws IOException {
    MergedTree t = MergedTree.of(List.of(), List.of());
    assertEquals(List.of(), t.list("/"));
    assertEquals(EntryType.DIRECTORY, t.lookup("/", true).type());
    assertThrows(NoSuchFileException.class, () -> t.lookup("/x", true));
  }
}
