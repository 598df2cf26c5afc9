package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real Debian rootfs ({@link DebianImage}: debootstrap minbase bookworm, made an image by umoci,
 * plus a layer of changes) read through layerfs must equal {@code umoci unpack} of the same tag,
 * attribute by attribute and byte by byte; and it must look like Debian to a Debian user.
 *
 * <p>Also prints (never asserts) how long opening the image takes the first time (inflating and
 * indexing every layer) and the second time (indexes loaded from disk), and the entry count.
 */
final class DebianRootfsIT {

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  @TempDir static Path work;
  private static DebianImage image;
  // a copy taken before layerfs touched the layout: the first open there does the full work
  private static Path pristine;

  @BeforeAll
  static void buildImage() {
    image = DebianImage.build(work);
    // unpack before layerfs touches the layout, so the oracle cannot depend on layerfs
    for (String tag : DebianImage.TAGS) {
      image.rootfs(tag);
    }
    pristine = work.resolve("timing-layout");
    Tools.run("cp", "-a", image.layout().toString(), pristine.toString());
  }

  /** Quietly: JUnit warns about every symlink pointing outside the temp dir it deletes. */
  @AfterAll
  static void deleteWork() throws IOException {
    try (Stream<Path> children = Files.list(work)) {
      for (Path child : children.toList()) {
        DebianImage.deleteTree(child);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {DebianImage.BASE, DebianImage.CHANGED})
  void wholeTreeMatchesUmociUnpack(String tag) throws IOException {
    try (FileSystem fs = LayerFs.open(image.layout(), tag)) {
      assertSameTree(image.rootfs(tag), fs.getPath("/"), DebianImage.comparison());
      assertEquals(count(image.rootfs(tag)), count(fs.getPath("/")), "entries in " + tag);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {DebianImage.BASE, DebianImage.CHANGED})
  void looksLikeDebianBookworm(String tag) throws IOException {
    Path host = image.rootfs(tag);
    try (FileSystem fs = LayerFs.open(image.layout(), tag)) {
      String version = Files.readString(fs.getPath("/etc/debian_version"));
      assertTrue(version.matches("12\\.\\d+\\n"), () -> "/etc/debian_version: " + version);
      assertEquals(Files.readString(host.resolve("etc/debian_version")), version);

      // merged /usr: /bin is a relative symlink and /bin/sh resolves through it to dash
      Path bin = fs.getPath("/bin");
      assertTrue(Files.isSymbolicLink(bin));
      assertEquals("usr/bin", Files.readSymbolicLink(bin).toString());
      assertTrue(Files.isDirectory(bin));
      Path sh = fs.getPath("/bin/sh");
      String hostReal = "/" + host.toRealPath().relativize(host.resolve("bin/sh").toRealPath());
      assertEquals(hostReal, sh.toRealPath().toString());
      assertEquals("/usr/bin/dash", sh.toRealPath().toString());
      byte[] dash = Files.readAllBytes(sh);
      assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, Arrays.copyOf(dash, 4));
      assertArrayEquals(Files.readAllBytes(host.resolve("usr/bin/dash")), dash);
      assertTrue(Files.isExecutable(sh));
    }
  }

  @Test
  void secondLayerChangesShow() throws IOException {
    try (FileSystem base = LayerFs.open(image.layout(), DebianImage.BASE);
        FileSystem changed = LayerFs.open(image.layout(), DebianImage.CHANGED)) {
      assertTrue(Files.isDirectory(base.getPath("/usr/share/doc/dash")));
      assertFalse(Files.exists(changed.getPath("/usr/share/doc"), NOFOLLOW));
      assertTrue(Files.isDirectory(changed.getPath("/usr/share")));
      assertTrue(Files.exists(base.getPath("/etc/motd"), NOFOLLOW));
      assertFalse(Files.exists(changed.getPath("/etc/motd"), NOFOLLOW));
      assertEquals(DebianImage.HOSTNAME, Files.readString(changed.getPath("/etc/hostname")));
      assertEquals(DebianImage.ADDED_CONTENT,
          Files.readString(changed.getPath(DebianImage.ADDED)));
      assertFalse(Files.exists(base.getPath(DebianImage.ADDED), NOFOLLOW));
    }
  }

  /** Prints timings for the lead to quote; asserts only that the view opens and walks. */
  @Test
  void printOpenTimings() throws IOException {
    String tag = DebianImage.CHANGED;
    long first = System.nanoTime();
    long entries;
    try (FileSystem fs = LayerFs.open(pristine, tag)) {
      first = System.nanoTime() - first;
      long walk = System.nanoTime();
      entries = count(fs.getPath("/"));
      walk = System.nanoTime() - walk;
      report("first open of " + tag + " (inflate + index " + layers(tag) + "): " + ms(first)
          + "; walk of " + entries + " entries: " + ms(walk));
    }
    // the file system above was the store's only user: this open starts with no loaded index
    long second = System.nanoTime();
    try (FileSystem fs = LayerFs.open(pristine, tag)) {
      second = System.nanoTime() - second;
      long walk = System.nanoTime();
      long again = count(fs.getPath("/"));
      walk = System.nanoTime() - walk;
      report("second open of " + tag + " (indexes from disk): " + ms(second) + "; walk of "
          + again + " entries: " + ms(walk));
      assertEquals(entries, again);
    }
    report("entries in " + tag + ": " + entries + "; in " + DebianImage.BASE + ": "
        + count(image.rootfs(DebianImage.BASE)) + " (host unpack)");
  }

  private static String layers(String tag) throws IOException {
    Image resolved = Images.resolve(ContentStore.open(pristine), tag);
    StringBuilder text = new StringBuilder();
    text.append(resolved.layers().size()).append(" layers:");
    for (Layer layer : resolved.layers()) {
      text.append(' ').append(size(layer.size()));
    }
    Path blobs = pristine.resolve("blobs").resolve("sha256");
    long uncompressed = 0;
    for (Layer layer : resolved.layers()) {
      Path blob = blobs.resolve(layer.diffId().hex());
      if (Files.exists(blob)) {
        uncompressed += Files.size(blob);
      }
    }
    text.append(" compressed, ").append(size(uncompressed)).append(" as tar");
    return text.toString();
  }

  private static long count(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.count();
    }
  }

  private static String size(long bytes) {
    return bytes < 1024 * 1024
        ? String.format("%.1f KiB", bytes / 1024.0)
        : String.format("%.1f MiB", bytes / (1024.0 * 1024));
  }

  private static String ms(long nanos) {
    return String.format("%.1f ms", nanos / 1e6);
  }

  private static void report(String line) {
    System.out.println("DebianRootfsIT: " + line);
  }
}
