package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes through symbolic links stay inside the container: an absolute target starts at the
 * container's root and {@code ..} stops there, so no link in an image or made in a container
 * can make layerfs write a host path. Each write below would land outside a plain host copy.
 */
class ContainerChrootTest {
  // the store in a directory of its own: other processes' files come and go beside a temp dir
  @TempDir Path base;
  @TempDir Path outside;

  @Test
  void writesThroughEscapingLinksLandInTheContainer() throws IOException {
    Path store = base.resolve("store");
    Files.createDirectories(store);
    FixtureImages.build(store);
    Path victim = outside.resolve("victim");
    Files.writeString(victim, "host\n");
    List<Path> before = listing(store.getParent());
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://chroot-writes"),
        Map.of("store", store, "image", FixtureImages.TAG))) {
      // as under chroot(2), the link targets' directories must exist in the container first
      Files.createDirectories(fs.getPath(outside.toString()));
      Files.createSymbolicLink(fs.getPath("/abs"), fs.getPath(victim.toString()));
      Files.createSymbolicLink(fs.getPath("/up"),
          fs.getPath("../../../../../../../.." + victim));
      Files.createSymbolicLink(fs.getPath("/dir"), fs.getPath("/../../.." + outside));

      Files.writeString(fs.getPath("/abs"), "through an absolute link\n");
      Files.writeString(fs.getPath("/up"), "through dot-dots\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      Files.writeString(fs.getPath("/dir/new"), "new\n");
      Files.delete(fs.getPath("/dir/new"));
      Files.writeString(fs.getPath("/dir/kept"), "kept\n");

      // all of it is inside the container, at the path the link names from its root
      assertEquals("through an absolute link\nthrough dot-dots\n",
          Files.readString(fs.getPath(victim.toString())));
      assertEquals("kept\n", Files.readString(fs.getPath(outside.resolve("kept").toString())));
    }
    assertEquals("host\n", Files.readString(victim));
    assertFalse(Files.exists(outside.resolve("kept")));
    assertFalse(Files.exists(outside.resolve("new")));
    assertEquals(List.of(victim), listing(outside));
    // the host directories beside the store saw nothing new either
    List<Path> after = listing(store.getParent());
    assertTrue(after.containsAll(before) && before.containsAll(after), after.toString());
  }

  private static List<Path> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }
}
