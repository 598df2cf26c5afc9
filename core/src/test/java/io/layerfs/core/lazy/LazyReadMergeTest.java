package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileTree;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.ImageBuilder.Entry;
import io.layerfs.testing.MergeImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file read lazily by path ({@code Store.readLazily}) is the file a view of the image shows:
 * layers merged by the OCI rules (whiteouts, opaque directories, a directory replaced by a link)
 * and links anywhere on the path followed, checked against the view of the same image read
 * whole.
 */
class LazyReadMergeTest {
  @TempDir Path tmp;

  static final List<String> PATHS = MergeImage.PATHS;

  @Test
  void eachPathReadsWhatTheViewShows() throws IOException {
    Path remote = tmp.resolve("remote");
    MergeImage.layers(ImageBuilder.create(remote), 0)
        .build("merge");
    try (Store r = Store.open(remote)) {
      r.convertToEStargz("merge", "merge-esgz", Progress.NONE);
    }
    try (RangeServer server = new RangeServer(remote);
        Store lazy = LazyReadTest.storeWithMetadataOf(remote, "merge", tmp.resolve("local"));
        Store whole = Store.open(remote);
        FileTree view = whole.view("merge");
        Store esgz = LazyReadTest.storeWithMetadataOf(remote, "merge-esgz", tmp.resolve("esgz"))) {
      lazy.attachLazy("merge", l -> server.blob(l.digest(), l.size()));
      esgz.attachLazy("merge-esgz", l -> server.blob(l.digest(), l.size()));
      List<String> wrong = new ArrayList<>();
      for (String p : PATHS) {
        String expected = show(viewed(view, p));
        // plain gzip layers searched; eStargz ones and whole ones through a view
        for (String actual : List.of(show(lazy.readLazily("merge", p)),
            show(esgz.readLazily("merge-esgz", p)), show(whole.readLazily("merge", p)))) {
          if (!expected.equals(actual)) {
            wrong.add(p + ": " + actual.strip() + " instead of " + expected.strip());
          }
        }
      }
      assertEquals(List.of(), wrong);
      for (Store store : List.of(lazy, whole)) {
        // /usr has no entry of its own, only entries under it: a directory all the same
        for (String dirPath : List.of("/usr/bin", "/usr", "/")) {
          FileSystemException dir = assertThrows(FileSystemException.class,
              () -> store.readLazily("merge", dirPath), store + " " + dirPath);
          assertEquals("Is a directory", dir.getReason());
        }
      }
    }
  }

  @Test
  void eachPathLooksUpAsTheViewShows() throws IOException {
    Path remote = tmp.resolve("remote");
    MergeImage.layers(ImageBuilder.create(remote), 0).build("merge");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = LazyReadTest.storeWithMetadataOf(remote, "merge", tmp.resolve("local"));
        Store whole = Store.open(remote);
        FileTree view = whole.view("merge")) {
      lazy.attachLazy("merge", l -> server.blob(l.digest(), l.size()));
      LazyMerge merge = lazy.lazyMerge("merge");
      List<String> wrong = new ArrayList<>();
      List<String> paths = new ArrayList<>(PATHS);
      paths.addAll(MergeImage.MORE_PATHS);
      String tooLong = "m".repeat(256); // Linux refuses it where its directory exists
      paths.addAll(List.of("/" + tooLong, "/usr/bin/" + tooLong, "/usr/bin/" + tooLong + "/x",
          "/usr/nope/" + tooLong, "/bin/" + tooLong));
      for (String p : paths) {
        for (boolean follow : new boolean[] {true, false}) {
          String expected = described(() -> view.lookup(p, follow));
          String actual = described(() -> merge.find(p, follow));
          if (MergeImage.TREE_PATHS.contains(p) && (follow || p.contains(".."))) {
            expected = "(cannot tell)"; // the provider asks a view, readLazily reads one
          }
          if (!expected.equals(actual)) {
            wrong.add(p + (follow ? "" : " (link not followed)") + ": " + actual
                + " instead of " + expected);
          }
        }
      }
      assertEquals(List.of(), wrong);
      assertNull(merge.find("/", true), "the root: the merge cannot tell");
      assertNull(whole.lazyMerge("merge"), "no layer read lazily");
    }
  }

  interface NodeCall {
    Node call() throws IOException;
  }

  /** What a stat shows of a node, or the error of looking it up. */
  static String described(NodeCall lookup) {
    Node n;
    try {
      n = lookup.call();
    } catch (FileSystemException e) {
      return e.getClass().getSimpleName() + " " + e.getFile() + " " + e.getReason();
    } catch (IOException e) {
      return e.toString();
    }
    if (n == null) {
      return "(cannot tell)";
    }
    StringBuilder xattrs = new StringBuilder();
    new TreeMap<>(n.xattrs()).forEach((k, v) ->
        xattrs.append(k).append('=').append(new String(v, StandardCharsets.UTF_8)).append(' '));
    return n.path() + " " + n.type() + " " + Integer.toOctalString(n.mode()) + " " + n.uid()
        + ":" + n.gid() + " " + n.userName() + ":" + n.groupName() + " m" + n.mtimeNanos()
        + " a" + n.atimeNanos() + " c" + n.ctimeNanos() + " size " + n.size() + " -> '"
        + n.linkTarget() + "' dev " + n.devMajor() + "," + n.devMinor() + " layer " + n.layer()
        + " " + (n instanceof Node.Lower l ? l.layerDigest() : "") + " xattrs " + xattrs;
  }

  /**
   * A layer with entries under a path but none of it makes it a directory there, which hides a
   * file (or link) of a lower layer at that path: the merge once served the lower file.
   */
  @Test
  void entriesUnderAPathHideALowerFileThere() throws IOException {
    Path remote = tmp.resolve("remote");
    ImageBuilder.create(remote)
        .add(Entry.file("c", text("lower file c")))
        .add(Entry.symlink("l", "c"))
        .layer()
        .add(Entry.file("c/a", text("upper c/a")))
        .add(Entry.file("l/x", text("upper l/x")))
        .build("implied");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = LazyReadTest.storeWithMetadataOf(remote, "implied", tmp.resolve("local"));
        Store whole = Store.open(remote);
        FileTree view = whole.view("implied")) {
      lazy.attachLazy("implied", l -> server.blob(l.digest(), l.size()));
      LazyMerge merge = lazy.lazyMerge("implied");
      List<String> wrong = new ArrayList<>();
      for (String p : List.of("/c", "/c/a", "/c/b", "/c/b/x", "/l", "/l/x", "/l/a")) {
        for (boolean follow : new boolean[] {true, false}) {
          String expected = described(() -> view.lookup(p, follow));
          String actual = described(() -> merge.find(p, follow));
          if (!expected.equals(actual)) {
            wrong.add(p + ": " + actual + " instead of " + expected);
          }
        }
      }
      assertEquals(List.of(), wrong);
    }
  }

  /**
   * A whiteout hides the layers below, never its own layer's entry of the name (OCI image spec):
   * a file or a link on the way in the layer that also whites the name out is still on the way.
   */
  @Test
  void aWhiteoutLeavesItsOwnLayersEntryOnTheWay() throws IOException {
    Path remote = tmp.resolve("remote");
    ImageBuilder.create(remote)
        .add(Entry.dir("a"))
        .add(Entry.file("a/b", text("lower a/b")))
        .add(Entry.dir("d"))
        .add(Entry.file("d/f", text("lower d/f")))
        .add(Entry.dir("t"))
        .add(Entry.file("t/f", text("lower t/f")))
        .layer()
        .add(Entry.whiteout("a"))
        .add(Entry.whiteout("l"))
        .add(Entry.whiteout("n"))
        .add(Entry.file("a", text("upper file a")))
        .add(Entry.symlink("l", "t"))
        .add(Entry.dir("n"))
        .add(Entry.whiteout("d"))
        .add(Entry.whiteout("d/g")) // makes d a directory of this layer, with nothing in it
        .add(Entry.whiteout("t"))
        .add(Entry.whiteout("t/u/v")) // t/u: a directory of this layer, below a whiteout
        .add(Entry.file("f", text("upper file f")))
        .add(Entry.whiteout("f/g")) // below a file of its own layer: no whiteout
        .add(Entry.whiteout("f/h/i")) // nor a directory f/h
        .add(Entry.whiteout("w"))
        .add(Entry.file("w/x", text("upper w/x"))) // w: a directory of this layer all the same
        .layer()
        .add(Entry.dir("f"))
        .build("own");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = LazyReadTest.storeWithMetadataOf(remote, "own", tmp.resolve("local"));
        Store whole = Store.open(remote);
        FileTree view = whole.view("own")) {
      lazy.attachLazy("own", l -> server.blob(l.digest(), l.size()));
      LazyMerge merge = lazy.lazyMerge("own");
      List<String> wrong = new ArrayList<>();
      for (String p : List.of("/a/b", "/a", "/l/f", "/l", "/n/x", "/d/f", "/d",
          "/t/u", "/t/f", "/t",
          "/f/g", "/f", "/f/h", "/w/x/y", "/w/x", "/w")) {
        for (boolean follow : new boolean[] {true, false}) {
          String expected = described(() -> view.lookup(p, follow));
          String actual = described(() -> merge.find(p, follow));
          if (!expected.equals(actual)) {
            wrong.add(p + ": " + actual + " instead of " + expected);
          }
        }
      }
      assertEquals(List.of(), wrong);
    }
  }

  /**
   * A whiteout of a directory on the way hides the layers below, but a file further on in its
   * own layer is still on the way: "not a directory", as a view says. The layer is led by
   * incompressible bytes, so the lookup reads it whole rather than seeing the file at once.
   */
  @Test
  void aWhiteoutOnTheWayLeavesAFileOfItsLayerFurtherOn() throws IOException {
    Path remote = tmp.resolve("remote");
    ImageBuilder b = ImageBuilder.create(remote).add(Entry.whiteout("c"));
    byte[] noise = new byte[300 << 10];
    new Random(1).nextBytes(noise);
    b.add(Entry.file("0noise", noise))
        .add(Entry.file("a", text("a")))
        .add(Entry.file("c/a", text("c/a")))
        .add(Entry.whiteout("c/a/a"))
        .layer()
        .add(Entry.file("a", text("upper a")))
        .build("wh");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = LazyReadTest.storeWithMetadataOf(remote, "wh", tmp.resolve("local"));
        Store whole = Store.open(remote);
        FileTree view = whole.view("wh")) {
      lazy.attachLazy("wh", l -> server.blob(l.digest(), l.size()));
      LazyMerge merge = lazy.lazyMerge("wh");
      for (String p : List.of("/c/a/c", "/c/a", "/c/b")) {
        for (boolean follow : new boolean[] {true, false}) {
          assertEquals(described(() -> view.lookup(p, follow)),
              described(() -> merge.find(p, follow)), p);
        }
      }
    }
  }

  @Test
  void linksOnTheWayAreFollowedInALayerReadBySearchingIt() throws IOException {
    Path remote = tmp.resolve("remote");
    ImageBuilder b = ImageBuilder.create(remote)
        .add(Entry.symlink("bin", "usr/bin"))
        .add(Entry.dir("usr"));
    noise(b, "usr/a", 1);
    b.add(Entry.dir("usr/bin")).add(Entry.file("usr/bin/sh", text("sh")));
    noise(b, "usr/c", 2);
    b.add(Entry.dir("usr/d")).add(Entry.symlink("usr/d/link", "../bin"));
    noise(b, "usr/e", 3);
    b.build("deep");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = LazyReadTest.storeWithMetadataOf(remote, "deep", tmp.resolve("local"));
        Store whole = Store.open(remote);
        FileTree view = whole.view("deep")) {
      long size = lazy.image("deep").layers().get(0).size();
      lazy.attachLazy("deep", l -> server.blob(l.digest(), l.size()));
      for (String p : List.of("/bin/sh", "/usr/d/link/sh")) {
        assertEquals(show(viewed(view, p)), show(lazy.readLazily("deep", p)), p);
      }
      assertTrue(server.bytesServed() < size / 2,
          server.bytesServed() + " of " + size + " bytes: the layer was read whole");
    }
  }

  /** 16 files of 256 KiB of random bytes in {@code dir}, which a gzip stream cannot shrink. */
  private static void noise(ImageBuilder b, String dir, long seed) {
    Random r = new Random(seed);
    b.add(Entry.dir(dir));
    for (int i = 0; i < 16; i++) {
      byte[] noise = new byte[256 << 10];
      r.nextBytes(noise);
      b.add(Entry.file(dir + "/f" + (10 + i), noise));
    }
  }

  private static byte[] viewed(FileTree view, String path) throws IOException {
    try {
      return LazyReadTest.read(view, path);
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      if ("Not a directory".equals(e.getReason())) {
        return null; // ENOTDIR: a file on the way, absent as readLazily says
      }
      throw e;
    }
  }

  private static String show(byte[] b) {
    return b == null ? "(absent)" : new String(b, StandardCharsets.UTF_8);
  }

  private static byte[] text(String s) {
    return (s + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
