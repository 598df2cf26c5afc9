package io.layerfs.provider.contract;

import static io.layerfs.provider.contract.ReadOnlyMountIT.answer;
import static io.layerfs.provider.contract.ReadOnlyMountIT.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One host directory bind-mounted twice (at {@code a} and {@code b}) against the kernel's own
 * two bind mounts of one directory (which needs root, as {@link KernelOverlayIT} does): a file
 * seen through both is one file to the JDK ({@code isSameFile}, its inode and device numbers),
 * so a move or copy of it onto itself through the other mount leaves it as it is, where a copy
 * that took it for two files would delete it first; a link or an atomic move across the two
 * mounts is refused as across any two; a move of another name copies it across.
 */
final class SharedSourceMountIT {
  @TempDir Path tmp;

  @Test
  void aFileSeenThroughTwoMountsIsOneFileAsOnTheHost() throws Exception {
    Path host = Files.createDirectories(tmp.resolve("host"));
    Path shared = Files.createDirectories(tmp.resolve("host-source"));
    List<String> expected;
    Path a = Files.createDirectory(host.resolve("a"));
    Path b = Files.createDirectory(host.resolve("b"));
    run("mount", "--bind", shared.toString(), a.toString());
    try {
      run("mount", "--bind", shared.toString(), b.toString());
      try {
        expected = answers(host);
      } finally {
        run("umount", "--lazy", b.toString());
      }
    } finally {
      run("umount", "--lazy", a.toString());
    }
    Path source = Files.createDirectories(tmp.resolve("layerfs-source"));
    Path store = tmp.resolve("store");
    FixtureImages.build(store);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://shared-source"),
        Map.of("store", store, "image", FixtureImages.TAG, "mounts",
            List.of("type=bind,source=" + source + ",target=/c/a",
                "type=bind,source=" + source + ",target=/c/b")))) {
      assertEquals(String.join("\n", expected), String.join("\n", answers(fs.getPath("/c"))));
    }
    assertEquals(List.of("f", "h"), names(source));
  }

  /** What each call answers under {@code root}, whose {@code a} and {@code b} are one. */
  private static List<String> answers(Path root) throws IOException {
    Path a = root.resolve("a");
    Path b = root.resolve("b");
    Files.writeString(a.resolve("f"), "precious");
    Files.writeString(a.resolve("g"), "moved");
    List<String> answers = new ArrayList<>();
    answers.add("same file: " + Files.isSameFile(a.resolve("f"), b.resolve("f")));
    answers.add("same inode: " + Files.getAttribute(a.resolve("f"), "unix:ino").equals(
        Files.getAttribute(b.resolve("f"), "unix:ino")));
    answers.add("same device: " + Files.getAttribute(a.resolve("f"), "unix:dev").equals(
        Files.getAttribute(b.resolve("f"), "unix:dev")));
    answers.add("move onto itself: " + answer(root, () -> Files.move(a.resolve("f"),
        b.resolve("f"), StandardCopyOption.REPLACE_EXISTING)));
    answers.add("copy onto itself: " + answer(root, () -> Files.copy(b.resolve("f"),
        a.resolve("f"), StandardCopyOption.REPLACE_EXISTING)));
    answers.add("atomic move onto itself: " + answer(root, () -> Files.move(a.resolve("f"),
        b.resolve("f"), StandardCopyOption.ATOMIC_MOVE)));
    answers.add("link across: " + answer(root, () -> Files.createLink(b.resolve("l"),
        a.resolve("f"))));
    answers.add("move of another name: " + answer(root, () -> Files.move(a.resolve("g"),
        b.resolve("h"))));
    answers.add("left: " + names(a) + " " + Files.readString(b.resolve("f")) + " "
        + Files.readString(a.resolve("h")));
    return answers;
  }

  private static List<String> names(Path dir) throws IOException {
    try (var list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
