package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import io.layerfs.core.store.Container;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Copy-up and commit read the image's bytes verified: damaged bytes are healed or refused. */
class ContainerIntegrityTest {
  private static final int SIZE = 500_000;
  /** In the fourth 64 KiB chunk of the file. */
  private static final int DAMAGED_AT = 200_000;

  @TempDir Path tmp;

  private static byte[] data() {
    byte[] b = new byte[SIZE];
    new Random(7).nextBytes(b);
    return b;
  }

  /** An image with /big, whose uncompressed layer blob has a flipped byte inside /big. */
  private ContentStore damagedImage(LayerCompression compression) throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ImageBuilder.create(store.root()).layer(compression).file("/big", data()).build("base");
    Layer layer = Images.resolve(store, "base").layers().get(0);
    long at;
    try (LayerStore layers = new LayerStore(store)) {
      at = RootFs.open(store, layers, "base").lookup("/big", true).dataOffset() + DAMAGED_AT;
    }
    Path blob = store.blobPath(layer.diffId());
    blob.toFile().setWritable(true);
    try (FileChannel ch = FileChannel.open(blob, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, at);
      one.put(0, (byte) (one.get(0) ^ 0x40));
      ch.write(one.flip(), at);
    }
    return store;
  }

  private static void writeAt(Container c, String path, long position, byte[] bytes)
      throws IOException {
    try (FileHandle h = c.open(path, Set.of(StandardOpenOption.WRITE), 0)) {
      h.write(ByteBuffer.wrap(bytes), position);
    }
  }

  private static byte[] read(RootFs root, String path) throws IOException {
    try (FileHandle h = root.open(path, Set.of(), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining()) {
        assertTrue(h.read(b, b.position()) > 0);
      }
      return b.array();
    }
  }

  @Test
  void copyUpOfADamagedChunkHealsAndCommitsTheRightBytes() throws IOException {
    ContentStore store = damagedImage(LayerCompression.GZIP);
    byte[] expected = data();
    expected[DAMAGED_AT + 1] = 'x';
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "w", "base", false)) {
      writeAt(c, "/big", DAMAGED_AT + 1, new byte[] {'x'}); // copies the damaged chunk up
      c.commit("committed", CommitOptions.defaults(), Progress.NONE);
      assertArrayEquals(expected, read(RootFs.open(store, layers, "committed"), "/big"));
    }
  }

  @Test
  void copyUpOfADamagedChunkOfAnUncompressedLayerIsRefusedAndNothingIsCommitted()
      throws IOException {
    ContentStore store = damagedImage(LayerCompression.NONE);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "w", "base", false)) {
      IOException e = assertThrows(IOException.class,
          () -> writeAt(c, "/big", DAMAGED_AT + 1, new byte[] {'x'}));
      assertTrue(e.getMessage().contains("/big") && e.getMessage().contains("cannot heal"),
          e.getMessage());
      // a write to another chunk copies that one only; commit then reads the damaged one
      writeAt(c, "/big", 10, new byte[] {'y'});
      Node.Lower lower = (Node.Lower) RootFs.open(store, layers, "base").lookup("/big", true);
      assertEquals(SIZE, lower.size());
      IOException commit = assertThrows(IOException.class,
          () -> c.commit("committed", CommitOptions.defaults(), Progress.NONE));
      assertTrue(commit.getMessage().contains("/big"), commit.getMessage());
      assertFalse(store.tags().contains("committed"), "no image of damaged bytes");
    }
  }
}
