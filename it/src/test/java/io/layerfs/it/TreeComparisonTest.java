package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerfs.it.TreeComparison.Difference;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The comparator against two host directories: one identical tree, then each kind of difference
 * planted in the "actual" copy, which the comparator must report with the right path and
 * attribute (and nothing else). Tests that need root (chown, mknod) are assumptions, not failures:
 * they are host-only unit tests of the harness, not the integration tests.
 */
final class TreeComparisonTest {

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final long T = 1_000_000_000L;

  @TempDir Path expected;
  @TempDir Path actual;
  @TempDir Path scratch;

  @BeforeEach
  void plantSameTreeInBoth() throws IOException {
    for (Path root : List.of(expected, actual)) {
      Files.createDirectories(root.resolve("dir/sub"));
      Files.writeString(root.resolve("dir/sub/file"), "content\n");
      Files.write(root.resolve("big"), bigContent());
      Files.createSymbolicLink(root.resolve("link"), Path.of("dir/sub/file"));
      Files.createLink(root.resolve("dir/hard"), root.resolve("dir/sub/file"));
      Files.writeString(root.resolve("ünïcödé name"), "u");
      Files.setAttribute(root.resolve("big"), "unix:mode", 0640);
      setMtimes(root);
    }
  }

  @Test
  void identicalTreesHaveNoDifferences() {
    assertEquals(List.of(), TreeComparison.compare(expected, actual));
  }

  @Test
  void detectsMissingAndExtraNames() throws IOException {
    Files.delete(actual.resolve("dir/sub/file"));
    Files.writeString(actual.resolve("dir/sub/extra"), "x");
    restoreMtime(actual.resolve("dir/sub"));
    assertOnly(
        List.of(
            "/dir/hard nlink",
            "/dir/sub/extra presence",
            "/dir/sub/file presence"),
        TreeComparison.compare(expected, actual));
  }

  @Test
  void detectsTypeChangesAndDoesNotDescend() throws IOException {
    delete(actual.resolve("dir/sub"));
    Files.writeString(actual.resolve("dir/sub"), "now a file");
    setMtime(actual.resolve("dir/sub"), T);
    restoreMtime(actual.resolve("dir"));
    List<Difference> found = TreeComparison.compare(expected, actual);
    assertOnly(List.of("/dir/hard nlink", "/dir/sub type"), found);
    Difference type = find(found, "/dir/sub", "type");
    assertEquals("directory", type.expected());
    assertEquals("regular file", type.actual());
  }

  @Test
  void detectsSymlinkVersusFile() throws IOException {
    Files.delete(actual.resolve("link"));
    Files.writeString(actual.resolve("link"), "dir/sub/file");
    setMtime(actual.resolve("link"), T);
    restoreMtime(actual);
    assertOnly(List.of("/link type"), TreeComparison.compare(expected, actual));
  }

  @Test
  void detectsPermissionBitsIncludingSetuidSetgidSticky() throws IOException {
    Files.setAttribute(actual.resolve("big"), "unix:mode", 0600);
    Files.setAttribute(actual.resolve("dir/sub/file"), "unix:mode", 04644);
    Files.setAttribute(actual.resolve("dir"), "unix:mode", 02755);
    Files.setAttribute(actual.resolve("dir/sub"), "unix:mode", 01755);
    List<Difference> found = TreeComparison.compare(expected, actual);
    assertOnly(
        List.of("/big mode", "/dir mode", "/dir/hard mode", "/dir/sub mode",
            "/dir/sub/file mode"),
        found);
    assertEquals("0640", find(found, "/big", "mode").expected());
    assertEquals("0600", find(found, "/big", "mode").actual());
    assertEquals("4644", find(found, "/dir/sub/file", "mode").actual());
    assertEquals("2755", find(found, "/dir", "mode").actual());
    assertEquals("1755", find(found, "/dir/sub", "mode").actual());
  }

  @Test
  void detectsSizeAndContent() throws IOException {
    byte[] changed = bigContent();
    changed[70_000] ^= 1; // past the first 64 KiB buffer
    Files.write(actual.resolve("big"), changed);
    Files.writeString(actual.resolve("ünïcödé name"), "longer");
    setMtimes(actual);
    List<Difference> found = TreeComparison.compare(expected, actual);
    assertOnly(List.of("/big content", "/ünïcödé name size"), found);
    assertTrue(find(found, "/big", "content").actual().contains("offset 70000"), found::toString);
  }

  @Test
  void detectsSymlinkTarget() throws IOException {
    Files.delete(actual.resolve("link"));
    Files.createSymbolicLink(actual.resolve("link"), Path.of("dir/sub/elif"));
    setMtimes(actual);
    List<Difference> found = TreeComparison.compare(expected, actual);
    assertOnly(List.of("/link target"), found);
    assertEquals("dir/sub/file", find(found, "/link", "target").expected());
    assertEquals("dir/sub/elif", find(found, "/link", "target").actual());
  }

  @Test
  void detectsSymlinkSize() throws IOException {
    Files.delete(actual.resolve("link"));
    Files.createSymbolicLink(actual.resolve("link"), Path.of("dir/sub/file2"));
    setMtimes(actual);
    assertOnly(List.of("/link size", "/link target"), TreeComparison.compare(expected, actual));
  }

  @Test
  void detectsMtimeInSecondsOnly() throws IOException {
    setMtime(actual.resolve("dir/sub/file"), T + 1);
    Files.getFileAttributeView(actual.resolve("link"), BasicFileAttributeView.class, NOFOLLOW)
        .setTimes(FileTime.from(Instant.ofEpochSecond(T + 5)), null, null);
    // sub-second differences are not differences
    Files.setLastModifiedTime(
        actual.resolve("big"), FileTime.from(Instant.ofEpochSecond(T, 999_000_000)));
    List<Difference> found = TreeComparison.compare(expected, actual);
    assertOnly(List.of("/dir/hard mtime", "/dir/sub/file mtime", "/link mtime"), found);
    assertTrue(find(found, "/link", "mtime").actual().startsWith(String.valueOf(T + 5)));
  }

  @Test
  void ignoresMtimeOfChosenPaths() throws IOException {
    setMtime(actual.resolve("dir"), T + 100);
    setMtime(actual, T + 100);
    TreeComparison comparison =
        TreeComparison.builder().ignoreMtime(p -> p.equals("/dir") || p.equals("/")).build();
    assertEquals(List.of(), comparison.run(expected, actual));
  }

  @Test
  void detectsLinkCount() throws IOException {
    Files.delete(actual.resolve("dir/hard"));
    Files.copy(actual.resolve("dir/sub/file"), actual.resolve("dir/hard"));
    setMtimes(actual);
    assertOnly(List.of("/dir/hard nlink", "/dir/sub/file nlink"),
        TreeComparison.compare(expected, actual));
  }

  @Test
  void detectsUserXattrs() throws IOException {
    assumeTrue(xattr(expected.resolve("big"), "same", "v"), "no user xattrs on this file system");
    xattr(actual.resolve("big"), "same", "v");
    xattr(expected.resolve("dir"), "k", "old");
    xattr(actual.resolve("dir"), "k", "new");
    xattr(actual.resolve("dir/sub/file"), "only.actual", "1");
    List<Difference> found = TreeComparison.compare(expected, actual);
    assertOnly(List.of("/dir xattr user.k", "/dir/hard xattr user.only.actual",
        "/dir/sub/file xattr user.only.actual"), found);
    assertEquals(
        List.of(),
        TreeComparison.builder().ignoreXattrs().build().run(expected, actual));
  }

  @Test
  void detectsUidGidAndOwnerNames() throws IOException {
    assumeTrue(isRoot(), "chown needs root");
    Files.setAttribute(actual.resolve("big"), "unix:uid", 4242, NOFOLLOW);
    Files.setAttribute(actual.resolve("link"), "unix:gid", 4343, NOFOLLOW);
    List<Difference> found = TreeComparison.compare(expected, actual);
    assertOnly(List.of("/big owner", "/big uid", "/link gid", "/link group"), found);
    assertEquals("4242", find(found, "/big", "uid").actual());
    assertOnly(
        List.of("/big uid", "/link gid"),
        TreeComparison.builder().ignoreOwnerNames().build().run(expected, actual));
  }

  @Test
  void detectsDeviceNumbersAndSpecialTypes() throws IOException {
    assumeTrue(isRoot(), "mknod needs root");
    Tools.require("mknod", "mkfifo");
    Tools.run("mknod", expected.resolve("dev").toString(), "c", "1", "3");
    Tools.run("mknod", actual.resolve("dev").toString(), "c", "1", "5");
    Tools.run("mknod", expected.resolve("blk").toString(), "b", "259", "300000");
    Tools.run("mknod", actual.resolve("blk").toString(), "b", "259", "300000");
    Tools.run("mkfifo", expected.resolve("fifo").toString());
    Tools.run("mknod", actual.resolve("fifo").toString(), "c", "1", "3");
    for (Path root : List.of(expected, actual)) {
      for (String name : List.of("dev", "blk", "fifo")) {
        Files.setAttribute(root.resolve(name), "unix:mode", 0600);
      }
      setMtimes(root);
      for (String name : List.of("dev", "blk", "fifo")) {
        setMtime(root.resolve(name), T);
      }
    }
    List<Difference> found = TreeComparison.compare(expected, actual);
    assertOnly(List.of("/dev rdev", "/fifo type"), found);
    assertEquals("1:3", find(found, "/dev", "rdev").expected());
    assertEquals("1:5", find(found, "/dev", "rdev").actual());
    assertEquals("fifo", find(found, "/fifo", "type").expected());
    assertEquals("character device", find(found, "/fifo", "type").actual());
  }

  @Test
  void comparesAcrossFileSystemsAndReportsAMissingUnixViewOnce() throws IOException {
    Path zip = scratch.resolve("tree.zip");
    URI uri = URI.create("jar:" + zip.toUri());
    Map<String, String> env = Map.of("create", "true", "enablePosixFileAttributes", "true");
    try (FileSystem zipfs = FileSystems.newFileSystem(uri, env)) {
      Path root = zipfs.getPath("/");
      Files.createDirectories(root.resolve("dir/sub"));
      Files.writeString(root.resolve("dir/sub/file"), "content\n");
      Files.write(root.resolve("big"), bigContent());
      Files.writeString(root.resolve("ünïcödé name"), "u");
      Files.writeString(root.resolve("dir/hard"), "content\n");
      Files.writeString(root.resolve("link"), "not a link");
      Files.setAttribute(root.resolve("big"), "zip:permissions",
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
      TreeComparison comparison = TreeComparison.builder()
          .ignoreMtime(p -> true).ignoreOwnerNames().ignoreXattrs().build();
      List<Difference> found = comparison.run(expected, root);
      long viewReports = found.stream().filter(d -> d.attribute().contains("view")).count();
      assertEquals(1, viewReports, found::toString);
      assertTrue(found.stream().anyMatch(
          d -> d.path().equals("/link") && d.attribute().equals("type")), found::toString);
    }
  }

  @Test
  void describeListsEveryDifferenceOnItsOwnLine() {
    String text = TreeComparison.describe(List.of(
        new Difference("/a", "mode", "0644", "0600"),
        new Difference("/b", "uid", "0", "1000")));
    assertEquals(
        "2 difference(s):\n  /a: mode: expected 0644, actual 0600\n"
            + "  /b: uid: expected 0, actual 1000",
        text);
  }

  /** Fails unless the differences are exactly {@code "path attribute"} of each expected one. */
  private static void assertOnly(List<String> expected, List<Difference> found) {
    List<String> keys =
        found.stream().map(d -> d.path() + " " + d.attribute()).sorted().toList();
    assertEquals(expected.stream().sorted().toList(), keys, TreeComparison.describe(found));
  }

  private static Difference find(List<Difference> found, String path, String attribute) {
    return found.stream()
        .filter(d -> d.path().equals(path) && d.attribute().equals(attribute))
        .findFirst()
        .orElseThrow(() -> new AssertionError(path + " " + attribute + " not in " + found));
  }

  private static byte[] bigContent() {
    byte[] data = new byte[200_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31 + (i >> 9));
    }
    return data;
  }

  private static boolean xattr(Path file, String name, String value) throws IOException {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
    try {
      view.write(name, ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static boolean isRoot() throws IOException {
    Path probe = Files.createTempFile("layerfs-root-probe", "");
    try {
      return ((Integer) Files.getAttribute(probe, "unix:uid")) == 0;
    } finally {
      Files.delete(probe);
    }
  }

  /** Every path in the tree gets mtime T (links too, with lutimes). */
  private static void setMtimes(Path root) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        setMtime(p, T);
      }
    }
  }

  private static void restoreMtime(Path p) throws IOException {
    setMtime(p, T);
  }

  private static void setMtime(Path p, long seconds) throws IOException {
    if (Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW).isOther()) {
      // the JDK opens the file to set its times, which blocks on a fifo
      Tools.run("touch", "-h", "-d", "@" + seconds, p.toString());
      return;
    }
    FileTime time = FileTime.from(Instant.ofEpochSecond(seconds));
    Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW)
        .setTimes(time, null, null);
  }

  private static void delete(Path p) throws IOException {
    try (var walk = Files.walk(p)) {
      for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
