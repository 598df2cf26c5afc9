package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileTree;
import io.layerfs.core.Progress;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.ImageBuilder.Entry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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

  static final List<String> PATHS = List.of("/etc/os-release", "/etc/hosts", "/etc/issue",
      "/bin/sh", "/bin/extra", "/opt/a/f", "/opt/b", "/var/x/f", "/lib/two/f", "/srv/f",
      "/srv/g", "/usr/local/bin/sh", "/home/user/.profile", "/nothing", "/etc/hosts/x",
      "/link-to-etc/hosts", "/dangling", "/usr/lib/os-release");

  @Test
  void eachPathReadsWhatTheViewShows() throws IOException {
    Path remote = tmp.resolve("remote");
    ImageBuilder.create(remote)
        .add(Entry.dir("etc"))
        .add(Entry.file("etc/os-release", text("bottom os-release")))
        .add(Entry.file("etc/hosts", text("bottom hosts")))
        .add(Entry.dir("usr/bin"))
        .add(Entry.file("usr/bin/sh", text("sh")))
        .add(Entry.dir("usr/lib"))
        .add(Entry.file("usr/lib/os-release", text("usr os-release")))
        .add(Entry.symlink("bin", "usr/bin"))
        .add(Entry.dir("opt/a"))
        .add(Entry.file("opt/a/f", text("opt a f")))
        .add(Entry.file("opt/b", text("opt b")))
        .add(Entry.dir("var/x"))
        .add(Entry.file("var/x/f", text("var x f")))
        .add(Entry.dir("srv"))
        .add(Entry.file("srv/f", text("srv f")))
        .add(Entry.file("srv/g", text("srv g")))
        .add(Entry.dir("lib/one"))
        .add(Entry.file("lib/one/f", text("lib one f")))
        .add(Entry.dir("home/user"))
        .add(Entry.file("home/user/.profile", text("profile")))
        .add(Entry.symlink("usr/local", "/usr"))
        .add(Entry.symlink("dangling", "/no/such"))
        .layer()
        .add(Entry.dir("etc"))
        .add(Entry.opaque("etc"))
        .add(Entry.file("etc/hosts", text("middle hosts")))
        .add(Entry.whiteout("opt"))
        .add(Entry.symlink("var/x", "/lib/one"))
        .add(Entry.file("usr/bin/extra", text("extra")))
        .add(Entry.whiteout("srv/g"))
        .add(Entry.file("home/user", text("home/user is a file now")))
        .layer()
        .add(Entry.symlink("lib/two", "one"))
        .add(Entry.symlink("link-to-etc", "etc"))
        .add(Entry.file("etc/issue", text("top issue")))
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
        FileSystemException dir = assertThrows(FileSystemException.class,
            () -> store.readLazily("merge", "/usr/bin"), store.toString());
        assertEquals("Is a directory", dir.getReason());
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
