package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Image;
import io.layerfs.core.Progress;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names that are not UTF-8 (Linux names are bytes; umoci and Docker keep them): each byte that
 * is not UTF-8 is the lone surrogate U+DC80 + its low bits in layerfs, and goes back into tars as
 * that byte. They were each a '?' (or U+FFFD from a PAX record): three files of one layer made
 * one, and a commit renamed them.
 */
class NamesNotUtf8Test {
  private static final String LONG = "l".repeat(120);

  @TempDir Path dir;

  @Test
  void eachNameKeepsItsBytesThroughTheViewACommitAndAnExport() throws IOException {
    try (Store store = Store.open(dir.resolve("store"))) {
      store.importRootfs(new ByteArrayInputStream(layer()), "names.tar", "names:1");
      FileTree view = store.view("names:1");
      assertEquals(List.of("caf?.txt", "caf\udce8.txt", "caf\udce9.txt", "link",
          LONG + "\udcff", "pax\udce7.txt"), view.list("/").stream().sorted().toList());
      assertEquals("e9", read(view, "/caf\udce9.txt"));
      assertEquals("e8", read(view, "/caf\udce8.txt"));
      assertEquals("question", read(view, "/caf?.txt"));
      assertEquals("long", read(view, "/" + LONG + "\udcff"));
      assertEquals("pax", read(view, "/pax\udce7.txt"));
      assertEquals("caf\udce8.txt", view.lookup("/link", false).linkTarget());
      assertEquals(8, view.lookup("/link", false).size(), "a link's size: its target's bytes");
      assertEquals("j\udcf6rg", view.lookup("/caf\udce9.txt", false).userName());

      try (Container c = store.container("web", "names:1", false)) {
        write(c, "/caf\udce9.txt", "changed");
        c.createDirectory("/d\udcff", 0755);
        write(c, "/d\udcff/in\udc80", "inside");
        Image committed = c.commit("names:2", CommitOptions.defaults(), Progress.NONE);
        byte[] tar = Files.readAllBytes(store.root().resolve("blobs/sha256")
            .resolve(committed.layers().get(1).diffId().hex()));
        for (String name : List.of("caf\u00e9.txt", "d\u00ff/", "d\u00ff/in\u0080")) {
          // the PAX record of each name holds its bytes, as Go's archive/tar writes them
          assertTrue(contains(tar, ("path=" + name + "\n").getBytes(StandardCharsets.ISO_8859_1)),
              name);
        }
        ByteArrayOutputStream exported = new ByteArrayOutputStream();
        c.export(exported, Progress.NONE);
        assertTrue(contains(exported.toByteArray(),
            ("path=" + LONG + "\u00ff\n").getBytes(StandardCharsets.ISO_8859_1)));
      }
      FileTree again = store.view("names:2");
      assertEquals("changed", read(again, "/caf\udce9.txt"));
      assertEquals("e8", read(again, "/caf\udce8.txt"));
      assertEquals("inside", read(again, "/d\udcff/in\udc80"));
    }
  }

  /**
   * One layer: names with bytes that are not UTF-8 in a ustar header, a GNU long name and a PAX
   * record; a '?' name beside them; a link to one; a user name in ISO-8859-1.
   */
  private static byte[] layer() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    // ISO-8859-1 writes each char below U+0100 as that byte
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, 512, "ISO-8859-1")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
      file(tar, "caf\u00e9.txt", "e9", "j\u00f6rg");
      file(tar, "caf\u00e8.txt", "e8", "");
      file(tar, "caf?.txt", "question", "");
      file(tar, LONG + "\u00ff", "long", "");
      byte[] record = paxRecord("path", "pax\u00e7.txt".getBytes(StandardCharsets.ISO_8859_1));
      TarArchiveEntry pax =
          new TarArchiveEntry("PaxHeaders/p", TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
      pax.setSize(record.length);
      tar.putArchiveEntry(pax);
      tar.write(record);
      tar.closeArchiveEntry();
      file(tar, "stand-in", "pax", "");
      TarArchiveEntry link = new TarArchiveEntry("link", TarConstants.LF_SYMLINK);
      link.setLinkName("caf\u00e8.txt");
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }

  private static void file(TarArchiveOutputStream tar, String name, String text, String user)
      throws IOException {
    byte[] data = text.getBytes(StandardCharsets.US_ASCII);
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(data.length);
    e.setUserName(user);
    tar.putArchiveEntry(e);
    tar.write(data);
    tar.closeArchiveEntry();
  }

  private static byte[] paxRecord(String key, byte[] value) {
    int base = key.length() + value.length + 3;
    int len = base + Integer.toString(base).length();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes((len + " " + key + "=").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(value);
    out.write('\n');
    return out.toByteArray();
  }

  private static String read(FileTree tree, String path) throws IOException {
    try (FileHandle h = tree.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      h.read(b, 0);
      return new String(b.array(), StandardCharsets.UTF_8);
    }
  }

  private static void write(Container c, String path, String text) throws IOException {
    try (FileHandle h = c.open(path, Set.of(StandardOpenOption.WRITE,
        StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING), 0644)) {
      h.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (haystack[i + k] != needle[k]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
