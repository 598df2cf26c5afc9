package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code layerfs export NAME} against GNU tar: the tar it prints on standard output, extracted by
 * {@code tar -xpf} as root, is the container's merged tree (every path, type, link target and
 * content), with the container's own changes and none of the deleted files or whiteouts; and
 * {@code layerfs import} of that tar makes an image that {@code umoci unpack} turns into the same
 * tree.
 */
final class ExportIT {
  @TempDir Path work;

  @Test
  void exportedTarExtractsToTheContainersTree() throws IOException {
    UmociImages images = UmociImages.build(work.resolve("images"));
    Path store = images.layout();
    LayerfsCli.run(store, "create", "web", UmociImages.BASE);
    Map<String, String> expected;
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", store))) {
      Files.writeString(fs.getPath("/etc/added"), "added\n");
      Files.writeString(fs.getPath("/usr/share/doc/readme"), "rewritten\n");
      Files.delete(fs.getPath("/etc/hostname"));
      Files.createDirectories(fs.getPath("/new/dir"));
      expected = tree(fs.getPath("/"));
    }

    LayerfsCli.Result r = LayerfsCli.runFailing(store, "export", "web");
    assertEquals(0, r.exit(), r.stderr());
    Path tar = work.resolve("web.tar");
    Files.write(tar, r.stdout().getBytes(StandardCharsets.ISO_8859_1));
    Path out = Files.createDirectories(work.resolve("extracted"));
    String names = Tools.run("tar", "-tf", tar.toString());
    assertFalse(names.contains(".wh."), "no whiteouts in an export");
    // as docker export writes it: no entry for the root, no "./" in front of the names
    assertTrue(names.lines().noneMatch(n -> n.startsWith("./") || n.startsWith("/")), names);
    assertTrue(names.lines().anyMatch(n -> n.equals("etc/")), names);
    Tools.run("tar", "-xpf", tar.toString(), "-C", out.toString());

    Map<String, String> actual = tree(out);
    assertEquals(expected, actual);
    assertEquals("rewritten\n", Files.readString(out.resolve("usr/share/doc/readme")));
    assertFalse(Files.exists(out.resolve("etc/hostname")));
    assertTrue(Files.isDirectory(out.resolve("new/dir")));

    // and back, as docker import takes it: an image of one layer that umoci unpacks to the tree
    LayerfsCli.Result imported = LayerfsCli.runFailing(store, "import", tar.toString(), "flat:1");
    assertEquals(0, imported.exit(), imported.stderr());
    assertEquals("flat:1\n", imported.stdout());
    Path bundle = work.resolve("bundle");
    Tools.run("umoci", "unpack", "--image", store + ":flat:1", bundle.toString());
    assertEquals(expected, tree(bundle.resolve("rootfs")));
  }

  /** Every path below {@code root}: type, link target, or size and SHA-256 of the bytes. */
  private static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> t = new TreeMap<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        t.put("/" + root.relativize(dir), "dir");
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        String key = "/" + root.relativize(file);
        if (attrs.isSymbolicLink()) {
          t.put(key, "link " + Files.readSymbolicLink(file));
        } else if (attrs.isRegularFile()) {
          byte[] b = Files.readAllBytes(file);
          t.put(key, "file " + b.length + " " + sha256(b));
        } else {
          t.put(key, "other");
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return t;
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
