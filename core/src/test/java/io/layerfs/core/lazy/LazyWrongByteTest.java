package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry that sends a byte of a plain gzip layer wrong, then sends it right: the wrong byte
 * may be served before the stream or the blob is checked (SECURITY.md), but once the damage is
 * found (the blob's digest on completion, the gzip CRC at the end of the stream) the same open
 * merge, entry and layer serve the right bytes and names, never what the wrong copy inflated
 * to. The byte lies in a stored deflate block (the layer's files are random bytes), so it
 * inflates without an error and only the checks find it.
 */
class LazyWrongByteTest {
  @TempDir Path tmp;
  private Path remote;
  private Layer layer;
  private byte[] blob;
  private static final byte[] TARGET = noise(new Random(23), 192 << 10);

  /** The layer's entries: the target between files of random bytes, names sorted. */
  private static List<ImageBuilder.Entry> entries() {
    Random r = new Random(17);
    List<ImageBuilder.Entry> entries = new ArrayList<>();
    entries.add(ImageBuilder.Entry.file("etc/first", "first\n".getBytes(StandardCharsets.UTF_8)));
    for (int i = 0; i < 8; i++) {
      entries.add(ImageBuilder.Entry.file("usr/a" + i, noise(r, 256 << 10)));
    }
    entries.add(ImageBuilder.Entry.file("usr/target", TARGET));
    for (int i = 0; i < 8; i++) {
      entries.add(ImageBuilder.Entry.file("usr/z" + i, noise(r, 256 << 10)));
    }
    return entries;
  }

  @BeforeEach
  void image() throws IOException {
    remote = tmp.resolve("remote");
    ImageBuilder b = ImageBuilder.create(remote);
    entries().forEach(b::add);
    b.build("plain");
    try (Store s = Store.open(remote)) {
      layer = s.image("plain").layers().get(0);
    }
    blob = Files.readAllBytes(remote.resolve("blobs/sha256/" + layer.digest().hex()));
  }

  /** Where {@code bytes} lie in the compressed blob: once, verbatim (a stored block). */
  private long storedAt(byte[] bytes) {
    long at = -1;
    for (int i = 0; i + bytes.length <= blob.length; i++) {
      if (Arrays.equals(blob, i, i + bytes.length, bytes, 0, bytes.length)) {
        assertEquals(-1, at, "the bytes lie in the blob twice");
        at = i;
      }
    }
    assertTrue(at >= 0, "the test needs the bytes in a stored deflate block");
    return at;
  }

  /** The byte of the target's data the registry sends wrong, as an offset in the blob. */
  private long wrongByte() {
    int from = TARGET.length / 2;
    return storedAt(Arrays.copyOfRange(TARGET, from, from + 64)) + 32;
  }

  /** Sends the bytes at the given blob offsets as {@code values} says. */
  private static BiFunction<Long, byte[], byte[]> sending(Map<Long, Byte> values) {
    return (start, body) -> {
      byte[] b = body;
      for (var v : values.entrySet()) {
        long i = v.getKey() - start;
        if (i >= 0 && i < body.length) {
          b = b == body ? body.clone() : b;
          b[(int) i] = v.getValue();
        }
      }
      return b;
    };
  }

  private BiFunction<Long, byte[], byte[]> flipping(long at) {
    return sending(Map.of(at, (byte) (blob[(int) at] ^ 0x01)));
  }

  private static final BiFunction<Long, byte[], byte[]> RIGHT = (start, body) -> body;

  @Test
  void aCompletionThatFindsTheWrongByteMakesTheOpenMergeServeTheRightOne() throws IOException {
    long wrong = wrongByte();
    try (RangeServer server = new RangeServer(remote);
        Store local = LazyReadTest.storeWithMetadataOf(remote, "plain", tmp.resolve("local"))) {
      server.tamperAt(flipping(wrong));
      local.attachLazy("plain", l -> server.blob(l.digest(), l.size()));
      LazyMerge merge = local.lazyMerge("plain");
      assertNotNull(merge);
      assertEquals(1, differences(TARGET, merge.readFile("/usr/target")),
          "the registry's wrong byte, served before any check (as documented)");
      LazyEntry entry = merge.find("/usr/target", true);
      assertEquals(1, differences(TARGET, merge.read(entry)));

      server.tamperAt(RIGHT); // the registry sends it right from now on
      local.completeLazy("plain"); // the digest fails: every byte fetched again, then stored

      assertArrayEquals(TARGET, merge.readFile("/usr/target"), "a new lookup");
      assertArrayEquals(TARGET, merge.read(entry), "the entry found before");
      assertArrayEquals(TARGET, merge.read(merge.find("/usr/target", false)));
      assertArrayEquals(TARGET, local.readLazily("plain", "/usr/target"));
    }
  }

  @Test
  void aStreamThatFailsItsCrcMakesTheOpenMergeServeTheRightBytesOnceTheRegistryDoes()
      throws IOException {
    long wrong = wrongByte();
    try (RangeServer server = new RangeServer(remote);
        Store local = LazyReadTest.storeWithMetadataOf(remote, "plain", tmp.resolve("local"))) {
      server.tamperAt(flipping(wrong));
      local.attachLazy("plain", l -> server.blob(l.digest(), l.size()));
      LazyMerge merge = local.lazyMerge("plain");
      assertEquals(1, differences(TARGET, merge.readFile("/usr/target")));
      LazyEntry entry = merge.find("/usr/target", true);

      // a lookup of a path the layer lacks reads to the end: the gzip CRC fails, every held
      // byte is fetched again, fails again (the registry still sends it wrong): an error
      // naming the layer, and the wrong bytes dropped
      long before = merge.drops();
      IOException e = assertThrows(IOException.class, () -> merge.find("/nothing", true));
      assertTrue(e.getMessage().contains(layer.digest().toString()), e.getMessage());
      assertTrue(merge.drops() > before, "held bytes dropped");

      server.tamperAt(RIGHT);
      assertThrows(NoSuchFileException.class, () -> merge.find("/nothing", true),
          "read to the end, verified");
      assertArrayEquals(TARGET, merge.readFile("/usr/target"));
      assertArrayEquals(TARGET, merge.read(entry));
      server.reset();
      assertArrayEquals(TARGET, merge.readFile("/usr/target"));
      assertEquals(0, server.requests(), "the layer is inflated and verified: nothing fetched");
    }
  }

  /**
   * Two bytes of the target's tar header sent wrong so that its checksum still holds: the
   * registry names the file otherwise. Before the damage is found the merge (its search of the
   * stream, or its scan) finds it at the wrong name; after, at the right one only. The layer is
   * gzipped without compression, so its headers lie in stored blocks too.
   */
  @Test
  void aNameTheRegistrySentWrongIsForgottenOnceTheDamageIsFound() throws IOException {
    byte[] tar = ImageBuilder.tar(entries());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out) {
      {
        def.setLevel(Deflater.NO_COMPRESSION);
      }
    }) {
      gz.write(tar);
    }
    blob = out.toByteArray();
    Layer stored = new Layer("application/vnd.oci.image.layer.v1.tar+gzip",
        Digest.sha256(blob), blob.length, Digest.sha256(tar));
    Path layout = tmp.resolve("stored");
    Files.createDirectories(layout.resolve("blobs/sha256"));
    Files.write(layout.resolve("blobs/sha256/" + stored.digest().hex()), blob);
    long at = storedAt("usr/target\0".getBytes(StandardCharsets.US_ASCII));
    // 'a' + 1 and 'r' - 1: "usr/tbqget", the header's checksum unchanged
    Map<Long, Byte> renamed = Map.of(at + 5, (byte) 'b', at + 6, (byte) 'q');
    try (RangeServer server = new RangeServer(layout);
        LazyLayers lazy = new LazyLayers(ContentStore.open(tmp.resolve("other")))) {
      server.tamperAt(sending(renamed));
      lazy.attach(stored, server.blob(stored.digest(), stored.size()), null);
      LazyMerge merge = lazy.merge(List.of(stored), "the test image");
      assertArrayEquals(TARGET, merge.readFile("/usr/tbqget"), "the registry's name, unchecked");

      server.tamperAt(RIGHT);
      lazy.complete(stored.digest());

      assertThrows(NoSuchFileException.class, () -> merge.find("/usr/tbqget", true));
      assertArrayEquals(TARGET, merge.readFile("/usr/target"));
    }
  }

  /**
   * One layer searched and scanned directly: what its search of the stream and its scan found
   * from the wrong byte is not served once the blob completed from the right bytes.
   */
  @Test
  void aLayerSearchedAndScannedBeforeTheDamageWasFoundServesTheRightBytesAfter()
      throws IOException {
    long wrong = wrongByte();
    try (RangeServer server = new RangeServer(remote);
        LazyLayers lazy = new LazyLayers(ContentStore.open(tmp.resolve("other")))) {
      server.tamperAt(flipping(wrong));
      LazyLayer l = lazy.attach(layer, server.blob(layer.digest(), layer.size()), null);
      assertEquals(1, differences(TARGET, l.lookup("/usr/target").data()));
      assertTrue(l.seekProbes() > 0, "found by a search of the stream");
      LazyTarScan.Found scanned = l.entry("usr/target"); // the scan reads on to it
      assertNotNull(scanned);
      LazyLayer.Lookup read = l.find("/usr/target");
      assertEquals(1, differences(TARGET, l.data("/usr/target", read)));

      server.tamperAt(RIGHT);
      lazy.complete(layer.digest());

      assertArrayEquals(TARGET, l.lookup("/usr/target").data());
      assertArrayEquals(TARGET, l.data("/usr/target", l.find("/usr/target")));
      assertArrayEquals(TARGET, l.data("/usr/target", read), "at the same offset");
    }
  }

  private static int differences(byte[] expected, byte[] actual) {
    assertEquals(expected.length, actual.length);
    int n = 0;
    for (int i = 0; i < expected.length; i++) {
      n += expected[i] != actual[i] ? 1 : 0;
    }
    return n;
  }

  private static byte[] noise(Random r, int size) {
    byte[] b = new byte[size];
    r.nextBytes(b);
    return b;
  }
}
