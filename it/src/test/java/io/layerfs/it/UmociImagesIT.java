package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the oracle, not layerfs: the fixtures hold what {@link UmociImages} promises, umoci
 * unpacks them the way {@link TreeComparison}'s notes say, and two unpacks of one tag compare
 * equal under the comparison the layerfs tests use (so every difference those report is
 * layerfs's).
 */
final class UmociImagesIT {

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final long T0 = 981_173_106L;

  @TempDir static Path work;
  private static UmociImages images;

  @BeforeAll
  static void buildImages() {
    images = UmociImages.build(work);
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.EMPTY, UmociImages.BASE, UmociImages.LAYERED,
      UmociImages.OPAQUE})
  void twoUnpacksCompareEqual(String tag) throws Exception {
    Path first = images.rootfs(tag);
    Thread.sleep(1100); // so an unpack-time mtime would differ
    Path second = work.resolve("second-" + tag);
    Tools.run("umoci", "unpack", "--image", images.layout() + ":" + tag, second.toString());
    List<TreeComparison.Difference> differences =
        UmociImages.comparison(tag).run(first, second.resolve("rootfs"));
    assertTrue(differences.isEmpty(), () -> TreeComparison.describe(differences));
  }

  @Test
  void emptyImageUnpacksToABareRoot() throws IOException {
    Path root = images.rootfs(UmociImages.EMPTY);
    try (Stream<Path> children = Files.list(root)) {
      assertEquals(0, children.count());
    }
    assertEquals(040755, Files.getAttribute(root, "unix:mode"));
    assertEquals(0L, Files.getLastModifiedTime(root).toInstant().getEpochSecond());
  }

  @Test
  void baseHasEveryKindOfEntryWithFixedMtimes() throws IOException {
    Path root = images.rootfs(UmociImages.BASE);
    assertEquals(020666, attr(root, "/dev/null", "mode"));
    assertEquals(0x103L, attr(root, "/dev/null", "rdev"));
    assertEquals(060660, attr(root, "/dev/loop0", "mode"));
    assertEquals(010600, attr(root, "/run/fifo", "mode"));
    assertEquals(0104755, attr(root, "/modes/suid", "mode"));
    assertEquals(0107777, attr(root, "/modes/all", "mode"));
    assertEquals(041777, attr(root, "/modes/sticky-dir", "mode"));
    assertEquals(3, attr(root, "/bin/tool", "nlink"));
    assertEquals(123456, attr(root, "/owners/big-ids", "uid"));
    assertEquals(654321, attr(root, "/owners/big-ids", "gid"));
    assertEquals(7, attr(root, "/links/relative", "uid"));
    assertTrue(Files.isRegularFile(root.resolve("names/with space/" + UmociImages.UNICODE_NAME)));
    assertTrue(Files.isRegularFile(root.resolve("names/" + UmociImages.MAX_NAME)));
    assertEquals(300_000L, Files.size(root.resolve("usr/share/doc/readme")));
    assertTrue(Files.exists(root.resolve("deep/" + path(UmociImages.DEPTH))));
    // umoci keeps every recorded mtime, directories and symlinks included
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        long mtime = Files.getLastModifiedTime(p, NOFOLLOW).toInstant().getEpochSecond();
        assertTrue(mtime >= T0 && mtime < T0 + 86_400, p + " mtime " + mtime);
      }
    }
  }

  @Test
  void layeredHasDeletionsTypeChangesAndAnInPlaceRewrite() throws IOException {
    Path root = images.rootfs(UmociImages.LAYERED);
    assertFalse(Files.exists(root.resolve("data/empty"), NOFOLLOW));
    assertFalse(Files.exists(root.resolve("usr/share/doc"), NOFOLLOW));
    assertEquals(List.of("new"), names(root.resolve("var/cache/app")));
    assertTrue(Files.isDirectory(root.resolve("convert/file-to-dir"), NOFOLLOW));
    assertTrue(Files.isRegularFile(root.resolve("convert/dir-to-file"), NOFOLLOW));
    assertTrue(Files.isSymbolicLink(root.resolve("convert/file-to-link")));
    assertTrue(Files.isDirectory(root.resolve("convert/link-to-dir"), NOFOLLOW));
    assertEquals(3, attr(root, "/bin/tool", "nlink"));
    assertTrue(Files.readString(root.resolve("usr/lib/tool-copy")).endsWith("echo v2\n"));
    assertEquals(0100600, attr(root, "/etc/hostname", "mode"));
    assertEquals(42, attr(root, "/etc/hostname", "uid"));
  }

  @Test
  void opaqueLayerHidesLowerChildrenAndImpliesParents() throws IOException {
    Path root = images.rootfs(UmociImages.OPAQUE);
    assertEquals(List.of("fresh"), names(root.resolve("var/cache/app")));
    assertEquals(040750, attr(root, "/var/cache/app", "mode"));
    assertEquals(2, attr(root, "/bin/tool", "nlink"));
    assertFalse(Files.exists(root.resolve("bin/tool-link"), NOFOLLOW));
    assertTrue(Files.isRegularFile(root.resolve("deep/1"), NOFOLLOW));
    assertEquals(
        List.of("second " + UmociImages.UNICODE_NAME), names(root.resolve("names/with space")));
    assertEquals(2, attr(root, "/implicit/parents/deep/hard", "nlink"));
    assertEquals("implied parents\n",
        Files.readString(root.resolve("implicit/parents/deep/hard"), StandardCharsets.UTF_8));
    // implied parents: 0755 root:root, stamped with the time of the unpack
    for (String dir : List.of("/implicit", "/implicit/parents", "/implicit/parents/deep")) {
      assertEquals(040755, attr(root, dir, "mode"), dir);
      assertEquals(0, attr(root, dir, "uid"), dir);
      Instant mtime = Files.getLastModifiedTime(root.resolve(dir.substring(1))).toInstant();
      assertTrue(Duration.between(mtime, Instant.now()).abs().toHours() < 1, dir + " " + mtime);
    }
  }

  private static Object attr(Path root, String path, String name) throws IOException {
    return Files.getAttribute(root.resolve(path.substring(1)), "unix:" + name, NOFOLLOW);
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> children = Files.list(dir)) {
      return children.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static String path(int depth) {
    StringBuilder path = new StringBuilder();
    for (int i = 1; i <= depth; i++) {
      path.append(i).append('/');
    }
    return path.append("leaf").toString();
  }
}
