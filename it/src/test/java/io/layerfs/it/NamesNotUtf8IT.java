package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.internal.NameBytes;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names that are not UTF-8, against {@code umoci unpack}: a layer GNU tar made of files whose
 * names hold such bytes reads in layerfs with every name and every file's bytes as umoci unpacks
 * them, and a container's commit of new such names unpacks with them too. Each side is put as the
 * same text of bytes: per path its type, its name's bytes, a file's SHA-256, a link's target.
 */
final class NamesNotUtf8IT {
  // bash's $'...' makes the bytes; the shell, not Java, writes these names on the host
  private static final String MAKE_TREE = "set -e; mkdir -p src/d$'\\xff' && cd src && "
      + "printf e9 > caf$'\\xe9'.txt && printf e8 > caf$'\\xe8'.txt && printf q > 'caf?.txt' && "
      + "printf in > d$'\\xff'/in$'\\x80' && ln -s caf$'\\xe8'.txt link$'\\xe7' && "
      + "printf ok > caf\u00e9.txt";

  @TempDir Path work;

  @Test
  void layerfsReadsAndCommitsTheNamesUmociUnpacks() throws Exception {
    Tools.require("umoci", "tar", "bash");
    Tools.run(work, List.of("bash", "-c", MAKE_TREE));
    Path layout = work.resolve("layout");
    Tools.run(work, List.of("bash", "-c", "set -e; tar -C src -cf layer.tar . && umoci init "
        + "--layout layout && umoci new --image layout:base && umoci raw add-layer --image "
        + "layout:base layer.tar"));
    Path store = work.resolve("store");
    LayerfsCli.run(store, "import", "oci:" + layout + ":base", "names:1");
    assertSame(unpacked(layout, "base"), viewed(store, "names:1"));

    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", store, "image", "names:1"))) {
      Files.writeString(fs.getPath("/caf\udce9.txt"), "changed");
      Files.createDirectory(fs.getPath("/new\udcfe"));
      Files.writeString(fs.getPath("/new\udcfe/\udcc0"), "made in a container");
      Files.delete(fs.getPath("/caf\udce8.txt"));
    }
    LayerfsCli.run(store, "commit", "web", "names:2");
    LayerfsCli.run(store, "export", "names:2", "oci:" + layout + ":committed");
    assertSame(unpacked(layout, "committed"), viewed(store, "names:2"));
    String committed = viewed(store, "names:2");
    assertTrue(committed.contains("f ./new\udcfe/\udcc0 "), committed);
  }

  /** Equal texts; a failure shows each byte that is not UTF-8 as \\xNN (reports lose them). */
  private static void assertSame(String unpacked, String viewed) {
    assertEquals(visible(unpacked), visible(viewed));
  }

  private static String visible(String text) {
    StringBuilder b = new StringBuilder();
    text.chars().forEach(c -> b.append(NameBytes.isEscape((char) c)
        ? String.format("\\x%02x", c & 0xff) : String.valueOf((char) c)));
    return b.toString();
  }

  /** What {@code umoci unpack} of {@code tag} holds, as {@link #viewed} puts it. */
  private String unpacked(Path layout, String tag) throws IOException {
    Path bundle = work.resolve("bundle-" + tag);
    Tools.run(work, List.of("umoci", "unpack", "--image", layout + ":" + tag, bundle.toString()));
    Path listing = work.resolve("listing-" + tag);
    // bytes throughout: bash's read under a UTF-8 locale drops the name after one ending in \xff
    Tools.run(bundle.resolve("rootfs"), List.of("bash", "-c", "export LC_ALL=C; find . -mindepth "
        + "1 -print0 | sort -z | while IFS= read -r -d '' p; do if [ -L \"$p\" ]; then "
        + "printf 'l %s %s\\n' \"$p\" \"$(readlink \"$p\")\"; elif [ -d \"$p\" ]; then "
        + "printf 'd %s \\n' \"$p\"; else printf 'f %s %s\\n' \"$p\" "
        + "\"$(sha256sum < \"$p\" | cut -d' ' -f1)\"; fi; done > " + listing));
    // the names' bytes as layerfs holds them, so the two sides compare as strings
    return NameBytes.decode(Files.readAllBytes(listing));
  }

  /** Per path of the image, in the byte order of its name: type, name, SHA-256 or target. */
  private static String viewed(Path store, String image)
      throws IOException, NoSuchAlgorithmException {
    List<Path> paths = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://view"),
        Map.of("store", store, "image", image, "readOnly", true));
        Stream<Path> walk = Files.walk(fs.getPath("/"))) {
      walk.skip(1).forEach(paths::add);
      paths.sort((a, b) -> Arrays.compareUnsigned(bytes(a), bytes(b)));
      for (Path p : paths) {
        String name = "." + p;
        if (Files.isSymbolicLink(p)) {
          text.append("l ").append(name).append(' ').append(Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          text.append("d ").append(name).append(' ');
        } else {
          byte[] sha = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
          text.append("f ").append(name).append(' ').append(HexFormat.of().formatHex(sha));
        }
        text.append('\n');
      }
    }
    return text.toString();
  }

  private static byte[] bytes(Path p) {
    return NameBytes.encode("./" + p.toString().substring(1));
  }
}
