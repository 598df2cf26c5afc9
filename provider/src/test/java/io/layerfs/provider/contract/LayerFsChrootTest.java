package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the host copy cannot show: symbolic links resolve inside the image root, as in a chroot.
 * An absolute target starts at the image's root and {@code ..} at the root stays there, so
 * {@code chroot/*} behave as {@code chroot /tree} would make them behave on Linux.
 */
class LayerFsChrootTest {
  @TempDir static Path store;
  private static FileSystem fs;

  @BeforeAll
  static void open() throws IOException {
    FixtureImages.build(store);
    fs = FixtureImages.open("contract-chroot", store);
  }

  @AfterAll
  static void close() throws IOException {
    if (fs != null) {
      fs.close();
    }
  }

  private static Path p(String path) {
    return fs.getPath(path);
  }

  @Test
  void absoluteTargetsStartAtTheImageRoot() throws IOException {
    assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(p("/chroot/abs")));
    assertEquals(1000, Files.getAttribute(p("/chroot/abs"), "unix:uid"));
    assertEquals(p("/data/one"), p("/chroot/abs").toRealPath());
    assertTrue(Files.isSameFile(p("/chroot/abs"), p("/data/one")));
    assertArrayEquals(Fixture.data("data/100000.bin"), Files.readAllBytes(p("/chroot/abs-chain")));
  }

  @Test
  void absoluteLinkToADirectory() throws IOException {
    assertTrue(Files.isDirectory(p("/chroot/abs-dir")));
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p("/chroot/abs-dir"))) {
      ds.forEach(entries::add);
    }
    assertEquals(List.of(p("/chroot/abs-dir/a")), entries);
    assertEquals("deep\n", Files.readString(p("/chroot/abs-dir/a/b/deep.txt")));
    assertEquals(p("/data/nested/a/b"), p("/chroot/abs-dir/a/b").toRealPath());
    assertEquals(p("/data"), p("/chroot/abs-dir/..").toRealPath());
  }

  @Test
  void dotDotStopsAtTheRoot() throws IOException {
    assertArrayEquals(Fixture.data("data/4096.bin"), Files.readAllBytes(p("/chroot/escape")));
    assertEquals(p("/data/4096.bin"), p("/chroot/escape").toRealPath());
    assertEquals("", Files.readString(p("/chroot/abs-dotdot")));
    assertEquals(p("/data/empty"), p("/chroot/abs-dotdot").toRealPath());
    assertEquals(p("/"), p("/../../..").toRealPath());
    assertEquals(p("/data/one"), p("/../data/../../data/one").toRealPath());
    assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(p("/../../data/one")));
  }

  @Test
  void absoluteDanglingAndLoop() {
    NoSuchFileException e = assertThrowsExactly(NoSuchFileException.class,
        () -> Files.readAllBytes(p("/chroot/abs-dangling")));
    assertEquals("/chroot/abs-dangling", e.getFile());
    assertFalse(Files.exists(p("/chroot/abs-dangling")));
    assertTrue(Files.notExists(p("/chroot/abs-dangling")));
    FileSystemException loop = assertThrowsExactly(FileSystemException.class,
        () -> Files.readAttributes(p("/chroot/abs-loop"), BasicFileAttributes.class));
    assertEquals("/chroot/abs-loop", loop.getFile());
    assertFalse(Files.exists(p("/chroot/abs-loop")));
    assertFalse(Files.notExists(p("/chroot/abs-loop")));
  }

  @Test
  void relativePathsResolveAgainstTheRoot() throws IOException {
    // a layerfs file system's working directory is its root, as zipfs's is
    Path rel = p("data/one");
    assertFalse(rel.isAbsolute());
    assertEquals(p("/data/one"), rel.toAbsolutePath());
    assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(rel));
  }
}
