package io.layerfs.core.lazy;

import static io.layerfs.core.lazy.LazyReadTest.read;
import static io.layerfs.core.lazy.LazyReadTest.storeWithMetadataOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.FileTree;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An eStargz image made by another tool: {@code ctr-remote-estargz.tar}, an OCI archive that
 * {@code ctr-remote} of containerd's stargz-snapshotter 0.12.0 (Debian's {@code
 * stargz-snapshotter} package, with Debian's containerd 1.6.20) wrote: {@code ctr-remote images
 * convert --estargz --oci --estargz-chunk-size 65536} of an image umoci made, then {@code ctr
 * images export}. Its one layer holds {@code /usr/lib/os-release}, {@code /etc/os-release} (a
 * link to it), {@code /etc/motd}, {@code /srv/random.bin} (24,000 random bytes) and {@code
 * /srv/numbers.txt} ({@code seq 1 30000}, 168,894 bytes: three 64 KiB chunks) with a hard link
 * {@code /srv/numbers-link.txt}. layerfs reads it lazily through its TOC and chunks, and whole,
 * with the same result.
 */
class ForeignEStargzTest {
  private static final Digest RANDOM =
      Digest.parse("sha256:64f9c00b88eef84ca2f8a484a1c9b182c3459214d1294dcf86b9ae393afc8557");

  @TempDir Path tmp;

  private Path remote() throws IOException {
    Path archive = tmp.resolve("ctr-remote-estargz.tar");
    try (InputStream in = getClass().getResourceAsStream("ctr-remote-estargz.tar")) {
      assertNotNull(in, "the fixture is missing from the test resources");
      Files.copy(in, archive);
    }
    Path remote = tmp.resolve("remote");
    try (Store store = Store.open(remote)) {
      assertEquals(List.of("esgz"), store.importImage("oci-archive:" + archive, null,
          Progress.NONE));
    }
    return remote;
  }

  private static String numbers() {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= 30000; i++) {
      sb.append(i).append('\n');
    }
    return sb.toString();
  }

  private static void assertContent(FileTree view) throws IOException {
    assertEquals("ID=fixture\nNAME=\"eStargz fixture\"\n", text(view, "/etc/os-release"));
    assertEquals("hello from ctr-remote\n", text(view, "/etc/motd"));
    assertEquals(numbers(), text(view, "/srv/numbers.txt"));
    assertEquals(numbers(), text(view, "/srv/numbers-link.txt"));
    assertEquals(RANDOM, Digest.sha256(read(view, "/srv/random.bin")));
    assertEquals(List.of("numbers-link.txt", "numbers.txt", "random.bin"), view.list("/srv"));
  }

  @Test
  void aLazyViewReadsItByItsTocAndChunks() throws IOException {
    Path remote = remote();
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "esgz", tmp.resolve("local"))) {
      Layer layer = lazy.image("esgz").layers().get(0);
      List<Layer> attached = lazy.attachLazy("esgz", l -> server.blob(l.digest(), l.size()));
      assertEquals(List.of(layer), attached);
      long toc = server.bytesServed();
      try (FileTree view = lazy.view("esgz")) {
        assertEquals(List.of("etc", "srv", "usr"), view.list("/"));
        assertNull(view.find("/stargz.index.json", false), "the TOC entry is hidden");
        assertEquals(toc, server.bytesServed(), "listing fetched file data");
        server.reset();
        assertEquals("hello from ctr-remote\n", text(view, "/etc/motd"));
        assertEquals(1, server.requests(), "one range request for one small file");
        assertTrue(server.bytesServed() < 1024, server.bytesServed() + " bytes");
        assertContent(view);
      }
      lazy.completeLazy("esgz");
      assertEquals(List.of(), lazy.fsck(false, Progress.NONE).problems());
    }
  }

  @Test
  void theWholeImageReadsAsAPlainTarGzWithTheSameContent() throws IOException {
    Path remote = remote();
    try (Store store = Store.open(remote); FileTree view = store.view("esgz")) {
      assertContent(view);
      assertNull(view.find("/etc/passwd", false));
      assertEquals(List.of(), store.fsck(false, Progress.NONE).problems());
    }
  }

  @Test
  void itsTocIsTheOneTheManifestNames() throws IOException {
    Path remote = remote();
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "esgz", tmp.resolve("local"))) {
      Layer layer = lazy.image("esgz").layers().get(0);
      server.tamper(b -> {
        byte[] c = b.clone();
        if (c.length > 100) {
          c[c.length - 100] ^= 0x01; // inside the TOC, before the footer
        }
        return c;
      });
      IOException e = assertThrows(IOException.class,
          () -> lazy.attachLazy("esgz", l -> server.blob(l.digest(), l.size())));
      assertTrue(e.getMessage().contains("TOC") && e.getMessage().contains(
          layer.digest().toString()), e.getMessage());
    }
  }

  private static String text(FileTree view, String path) throws IOException {
    return new String(read(view, path), StandardCharsets.UTF_8);
  }
}
