package io.layerfs.core.overlay;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Node;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Name resolution in a container where the merged view has edges the host has too, each checked
 * against the same tree on the host: chains of symbolic links as long as Linux follows (40) and
 * one longer, {@code .} and {@code ..} in paths and link targets, directory link counts; and
 * what a copy-up keeps of a lower directory.
 */
class ContainerTreeTest {
  @TempDir Path tmp;
  OverlayFixture fx;
  Overlay ov;
  Path host;

  @BeforeEach
  void setUp() throws IOException {
    fx = new OverlayFixture(tmp);
    ov = fx.ov;
    host = fx.host;
  }

  @AfterEach
  void tearDown() throws IOException {
    fx.close();
  }

  @Test
  void aChainOfFortyLinksResolvesAndOneMoreIsTooManyAsOnTheHost() throws IOException {
    Files.writeString(host.resolve("target"), "t");
    ov.createDirectory("/chain", 0755);
    ov.open("/chain/target", Set.of(CREATE, WRITE), 0644).close();
    // link i points at link i+1; the last at the file
    int links = 41;
    for (int i = links; i >= 1; i--) {
      String next = i == links ? "target" : "l" + (i + 1);
      Files.createSymbolicLink(host.resolve("l" + i), Path.of(next));
      ov.createSymbolicLink("/chain/l" + i, next);
    }
    // following from link 2 takes 40 links, from link 1 takes 41
    assertTrue(Files.isRegularFile(host.resolve("l2")), "the host follows 40");
    assertTrue(ov.lookup("/chain/l2", true).isRegularFile());
    assertEquals("/chain/target", ov.lookup("/chain/l2", true).path());
    FileSystemException hostError = assertThrows(FileSystemException.class,
        () -> Files.readAllBytes(host.resolve("l1"))); // open(2): ELOOP
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> ov.lookup("/chain/l1", true));
    // ELOOP: the JDK adds "or unable to access attributes of symbolic link" to strerror's text
    assertEquals(hostError.getReason(), e.getReason());
    // not followed: the link itself
    assertTrue(ov.lookup("/chain/l1", false).isSymbolicLink());
  }

  @Test
  void aLinkWithAnEmptyTargetLeadsNowhere() throws IOException {
    ov.createSymbolicLink("/empty", "");
    assertTrue(ov.lookup("/empty", false).isSymbolicLink());
    assertThrows(NoSuchFileException.class, () -> ov.lookup("/empty", true));
    assertThrows(NoSuchFileException.class, () -> ov.lookup("/empty/x", false));
  }

  @Test
  void dotAndDotDotInPathsAndLinkTargetsResolveAsOnTheHost() throws IOException {
    // the same tree in the container (/t) and on the host (t): links never climb above t
    Path t = Files.createDirectories(host.resolve("t/a/b"));
    t = host.resolve("t");
    Files.writeString(t.resolve("a/f"), "f");
    Files.createSymbolicLink(t.resolve("a/up"), Path.of(".."));
    Files.createSymbolicLink(t.resolve("a/self"), Path.of("."));
    Files.createSymbolicLink(t.resolve("a/b/back"), Path.of("../f"));
    Files.createSymbolicLink(t.resolve("a/b/dots"), Path.of("./.././b/../f"));
    ov.createDirectory("/t", 0755);
    ov.createDirectory("/t/a", 0755);
    ov.createDirectory("/t/a/b", 0755);
    ov.open("/t/a/f", Set.of(CREATE, WRITE), 0644).close();
    ov.createSymbolicLink("/t/a/up", "..");
    ov.createSymbolicLink("/t/a/self", ".");
    ov.createSymbolicLink("/t/a/b/back", "../f");
    ov.createSymbolicLink("/t/a/b/dots", "./.././b/../f");
    for (String p : List.of("a/.", "a/./f", "a/b/..", "a/b/../f", "a/b/../b/./..", "a/up",
        "a/up/a/f", "a/self", "a/self/f", "a/self/.", "a/b/back", "a/b/dots", "a/./b/./back",
        "a/b/../up/a/b", "a/f/..", "a/f/.", "a/nope/..", "a/up/nope")) {
      Path h = t.resolve(p);
      String mine = "/t/" + p;
      assertEquals(kind(h), kind(mine), p);
      if (Files.isDirectory(h)) {
        assertEquals(hostNames(h), ov.list(mine), p);
      }
    }
    // above the root is the root, as in a chroot
    assertEquals("/", ov.lookup("/..", true).path());
    assertTrue(ov.lookup("/../../etc/hosts", true).isRegularFile());
    assertEquals(ov.list("/"), ov.list("/t/a/up/.."));
  }

  @Test
  void aLinkToTheRootLeadsToTheRoot() throws IOException {
    ov.createSymbolicLink("/top", "/");
    ov.createSymbolicLink("/etc/top", "/");
    for (String p : List.of("/top", "/etc/top", "/etc/top/.")) {
      assertEquals("/", ov.lookup(p, true).path(), p);
      assertTrue(ov.lookup(p, true).isDirectory(), p);
      assertTrue(ov.lookup(p, false).isSymbolicLink() || p.endsWith("."), p);
    }
    assertTrue(ov.lookup("/etc/top/etc/hosts", true).isRegularFile());
    assertEquals(ov.list("/"), ov.list("/etc/top"));
  }

  @Test
  void aDirectoryCountsItsSubdirectoriesInItsLinksAsOnTheHost() throws IOException {
    Path n = Files.createDirectories(host.resolve("n"));
    ov.createDirectory("/n", 0755);
    for (String d : List.of("x", "y", "z")) {
      Files.createDirectory(n.resolve(d));
      ov.createDirectory("/n/" + d, 0755);
    }
    Files.writeString(n.resolve("f"), "f");
    ov.open("/n/f", Set.of(CREATE, WRITE), 0644).close();
    Files.createSymbolicLink(n.resolve("l"), Path.of("x"));
    ov.createSymbolicLink("/n/l", "x");
    for (String p : List.of("n", "n/x")) {
      assertEquals(Files.getAttribute(host.resolve(p), "unix:nlink"),
          ov.lookup("/" + p, false).linkCount(), p);
    }
    // a lower directory copied up: its lower subdirectory, and one new
    ov.createDirectory("/d1/new", 0755);
    assertEquals(4, ov.lookup("/d1", false).linkCount());
    ov.delete("/d1/new");
    assertEquals(3, ov.lookup("/d1", false).linkCount());
  }

  @Test
  void aCopiedUpDirectoryKeepsTheImagesMetadata() throws IOException {
    Node before = ov.lookup("/d1", false);
    ov.open("/d1/new", Set.of(CREATE, WRITE), 0644).close(); // copies /d1 up
    Node after = ov.lookup("/d1", false);
    assertTrue(ov.tree().upper().root().children.get("d1") instanceof UpperDir);
    assertEquals(before.mode(), after.mode());
    assertEquals(before.uid(), after.uid());
    assertEquals(before.gid(), after.gid());
    assertEquals(before.atimeNanos(), after.atimeNanos());
    assertEquals(List.of("a", "new", "sub"), ov.list("/d1"));
  }

  @Test
  void onlyALowerNameDeletedLeavesAWhiteout() throws IOException {
    // an upper-only name has nothing below to hide: a whiteout for it would only grow the
    // metadata, by one entry for every temporary file a container ever deleted
    ov.open("/etc/tmp", Set.of(CREATE, WRITE), 0644).close();
    ov.createDirectory("/etc/tmpdir", 0755);
    ov.delete("/etc/tmp");
    ov.delete("/etc/tmpdir");
    ov.delete("/etc/hosts");
    ov.open("/etc/moved", Set.of(CREATE, WRITE), 0644).close();
    ov.move("/etc/moved", "/etc/moved2", false);
    UpperDir etc = (UpperDir) ov.tree().upper().root().children.get("etc");
    assertEquals(Set.of("hosts", "moved2"), etc.children.keySet());
    assertEquals(UpperEntry.WHITEOUT, etc.children.get("hosts"));
    assertFalse(ov.tree().upper().root().children.containsKey("tmp"));
  }

  private String kind(Path h) {
    return Files.isDirectory(h) ? "dir" : Files.isRegularFile(h) ? "file"
        : Files.exists(h, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "link" : "none";
  }

  private String kind(String p) throws IOException {
    Node n;
    try {
      n = ov.lookup(p, true);
    } catch (FileSystemException e) {
      return "none";
    }
    return n.isDirectory() ? "dir" : n.isRegularFile() ? "file" : "link";
  }

  private static List<String> hostNames(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
