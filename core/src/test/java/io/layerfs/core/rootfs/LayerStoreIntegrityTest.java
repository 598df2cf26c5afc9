package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import io.layerfs.testing.Props;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.generators.Generate;

/** Damaged blobs and indexes: reads heal or fail clearly, never serve wrong bytes. */
class LayerStoreIntegrityTest {
  private static final int BIG = 300_000;

  @TempDir Path tmp;
  ContentStore store;
  byte[] big;
  byte[] huge;
  String manifest;

  @BeforeEach
  void open() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    big = random(BIG, 1);
    huge = random(3_000_000, 2);
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private Layer build(Compression compression) throws IOException {
    manifest = ImageBuilder.create(store.root())
        .layer(LayerCompression.valueOf(compression.name()))
        .file("/etc/hosts", "127.0.0.1 localhost\n")
        .file("/etc/big", big)
        .hardlink("/etc/big-link", "/etc/big")
        .file("/usr/huge", huge)
        .build()
        .manifestDigest();
    return Images.resolve(store, manifest).layers().get(0);
  }

  /** Indexes the layer (inflating it) in a store of its own, and says where a file's data is. */
  private long dataOffset(String path) throws IOException {
    try (LayerStore layers = new LayerStore(store)) {
      return RootFs.open(store, layers, manifest).lookup(path, true).dataOffset();
    }
  }

  private static byte[] readAll(RootFs root, String path) throws IOException {
    try (FileHandle h = root.open(path, Set.of(), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      long p = 0;
      while (b.hasRemaining()) {
        int n = h.read(b, p);
        assertTrue(n > 0, "a read before the end returned " + n);
        p += n;
      }
      return b.array();
    }
  }

  private void patch(Path file, long at, byte[] bytes) throws IOException {
    file.toFile().setWritable(true);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes), at);
    }
  }

  private void flip(Path file, long at) throws IOException {
    byte[] one = new byte[1];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ch.read(ByteBuffer.wrap(one), at);
    }
    one[0] ^= 0x20;
    patch(file, at, one);
  }

  private void truncate(Path file, long size) throws IOException {
    file.toFile().setWritable(true);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }

  private static void assertNames(IOException e, Object... parts) {
    for (Object p : parts) {
      assertTrue(e.getMessage().contains(p.toString()), "no " + p + " in: " + e.getMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
  void flippedByteHealsFromTheCompressedBlob(Compression compression) throws IOException {
    Layer layer = build(compression);
    long at = dataOffset("/etc/big") + 100_000;
    Path blob = store.blobPath(layer.diffId());
    flip(blob, at);
    try (LayerStore layers = new LayerStore(store)) {
      RootFs root = RootFs.open(store, layers, manifest); // the index still loads: same length
      assertArrayEquals(big, readAll(root, "/etc/big"));
      assertArrayEquals(big, readAll(root, "/etc/big-link"));
      assertArrayEquals(huge, readAll(root, "/usr/huge"));
      assertTrue(layers.verify(layer).isEmpty(), layers.verify(layer).toString());
    }
    assertEquals(layer.diffId(), Digest.sha256(Files.readAllBytes(blob)), "healed on disk");
  }

  @Test
  void flippedByteInAnOpenStoreHeals() throws IOException {
    Layer layer = build(Compression.GZIP);
    try (LayerStore layers = new LayerStore(store)) {
      RootFs root = RootFs.open(store, layers, manifest);
      long at = root.lookup("/usr/huge", true).dataOffset() + 2_000_000;
      flip(store.blobPath(layer.diffId()), at);
      assertArrayEquals(huge, readAll(root, "/usr/huge"));
    }
  }

  /** umoci gc deletes uncompressed blobs (no manifest names them) under an open view. */
  @Test
  void anUncompressedBlobDeletedUnderAnOpenViewIsRebuilt() throws IOException {
    Layer layer = build(Compression.GZIP);
    try (LayerStore layers = new LayerStore(store)) {
      RootFs root = RootFs.open(store, layers, manifest);
      Files.delete(store.blobPath(layer.diffId()));
      assertArrayEquals(huge, readAll(root, "/usr/huge"));
      assertArrayEquals(big, readAll(root, "/etc/big"));
      assertTrue(Files.exists(store.blobPath(layer.diffId())));
    }
  }

  @Test
  void anUncompressedLayerDeletedUnderAnOpenViewIsAClearError() throws IOException {
    Layer layer = build(Compression.NONE);
    try (LayerStore layers = new LayerStore(store)) {
      RootFs root = RootFs.open(store, layers, manifest);
      Files.delete(store.blobPath(layer.diffId()));
      IOException e = assertThrows(IOException.class, () -> readAll(root, "/etc/big"));
      assertNames(e, "/etc/big", layer.diffId().toString(), "is its only copy");
    }
  }

  @Test
  void flippedByteInAnUncompressedLayerIsAClearError() throws IOException {
    Layer layer = build(Compression.NONE);
    Path blob = store.blobPath(layer.diffId());
    flip(blob, dataOffset("/etc/big") + 70_000);
    try (LayerStore layers = new LayerStore(store)) {
      RootFs root = RootFs.open(store, layers, manifest);
      assertArrayEquals(huge, readAll(root, "/usr/huge"), "other files still read");
      IOException e = assertThrows(IOException.class, () -> readAll(root, "/etc/big"));
      assertNames(e, "/etc/big", layer.digest(), layer.diffId(), blob, "65536-131071",
          "cannot heal", "uncompressed");
      // the bytes before the damaged chunk are served, the damaged chunk never
      try (FileHandle h = root.open("/etc/big", Set.of(), 0)) {
        ByteBuffer b = ByteBuffer.allocate(1000);
        assertEquals(1000, h.read(b, 1000));
        assertThrows(IOException.class, () -> h.read(ByteBuffer.allocate(10), 65_536));
        // mapping verifies the mapped range's chunks
        assertEquals(big[500], h.map(FileChannel.MapMode.READ_ONLY, 0, 1000).get(500));
        assertThrows(IOException.class, () -> h.map(FileChannel.MapMode.READ_ONLY, 0, BIG));
      }
      List<String> problems = layers.verify(layer);
      assertEquals(2, problems.size(), problems.toString());
      assertTrue(problems.get(0).contains("does not hash to its diff_id"), problems.toString());
      assertTrue(problems.get(1).contains("/etc/big"), problems.toString());
      IOException r = assertThrows(IOException.class, () -> layers.rebuild(layer));
      assertNames(r, "uncompressed", "only copy");
    }
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void zeroedBlob(Compression compression) throws IOException {
    Layer layer = build(compression);
    Path blob = store.blobPath(layer.diffId());
    long size = dataOffset("/etc/big");
    patch(blob, 0, new byte[(int) Files.size(blob)]);
    try (LayerStore layers = new LayerStore(store)) {
      if (compression == Compression.NONE) {
        // the index still loads; every read of file data fails
        RootFs root = RootFs.open(store, layers, manifest);
        IOException e = assertThrows(IOException.class, () -> readAll(root, "/etc/hosts"));
        assertNames(e, "/etc/hosts", blob, "checksum");
      } else {
        RootFs root = RootFs.open(store, layers, manifest);
        assertArrayEquals(big, readAll(root, "/etc/big"));
        assertEquals("127.0.0.1 localhost\n", new String(readAll(root, "/etc/hosts")));
      }
    }
    assertTrue(size > 0);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void truncatedBlobInAFreshStore(Compression compression) throws IOException {
    Layer layer = build(compression);
    Path blob = store.blobPath(layer.diffId());
    truncate(blob, dataOffset("/usr/huge") + 943_168);
    try (LayerStore layers = new LayerStore(store)) {
      if (compression == Compression.NONE) {
        // the length differs from the index's: rebuilt from the blob, which fails to verify
        IOException e = assertThrows(IOException.class, () -> RootFs.open(store, layers,
            manifest));
        assertNames(e, blob);
      } else {
        assertArrayEquals(huge, readAll(RootFs.open(store, layers, manifest), "/usr/huge"));
      }
    }
  }

  @Test
  void truncatedBlobUnderAnOpenViewIsAnErrorAndTransferToEnds() throws IOException {
    Layer layer = build(Compression.NONE);
    Path blob = store.blobPath(layer.diffId());
    try (LayerStore layers = new LayerStore(store)) {
      RootFs root = RootFs.open(store, layers, manifest);
      truncate(blob, root.lookup("/usr/huge", true).dataOffset() + 943_168);
      IOException e = assertThrows(IOException.class, () -> readAll(root, "/usr/huge"));
      assertNames(e, "/usr/huge", "truncated", blob, layer.digest());
      // what `layerfs cat` does: transferTo until the end; it must end, with an error
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      WritableByteChannel target = Channels.newChannel(out);
      assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
        try (FileHandle h = root.open("/usr/huge", Set.of(), 0)) {
          assertThrows(IOException.class, () -> {
            long p = 0;
            while (p < h.size()) {
              p += h.transferTo(p, h.size() - p, target);
            }
          });
        }
      });
      assertTrue(out.size() <= 943_168, "no byte past the end of the blob: " + out.size());
      byte[] got = out.toByteArray();
      assertArrayEquals(java.util.Arrays.copyOf(huge, got.length), got);
    }
  }

  @Test
  void truncatedBlobUnderAnOpenViewHeals() throws IOException {
    Layer layer = build(Compression.ZSTD);
    try (LayerStore layers = new LayerStore(store)) {
      RootFs root = RootFs.open(store, layers, manifest);
      truncate(store.blobPath(layer.diffId()), root.lookup("/usr/huge", true).dataOffset() + 10);
      assertArrayEquals(huge, readAll(root, "/usr/huge"));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (FileHandle h = root.open("/etc/big", Set.of(), 0)) {
        long p = 0;
        while (p < h.size()) {
          p += h.transferTo(p, h.size() - p, Channels.newChannel(out));
        }
      }
      assertArrayEquals(big, out.toByteArray());
    }
  }

  @Test
  void indexOfAnotherLayerIsRebuilt() throws IOException {
    Layer layer = build(Compression.GZIP);
    String other = ImageBuilder.create(store.root()).layer(LayerCompression.GZIP)
        .file("/only-here", "x").build().manifestDigest();
    Layer otherLayer = Images.resolve(store, other).layers().get(0);
    Path indexPath;
    try (LayerStore layers = new LayerStore(store)) {
      layers.index(layer);
      layers.index(otherLayer);
      indexPath = layers.indexPath(layer.diffId());
      Files.copy(layers.indexPath(otherLayer.diffId()), indexPath,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      List<String> problems = layers.verify(layer);
      assertEquals(1, problems.size(), problems.toString());
      assertTrue(problems.get(0).contains("belongs to layer " + otherLayer.diffId()), problems
          .toString());
    }
    try (LayerStore layers = new LayerStore(store)) {
      RootFs root = RootFs.open(store, layers, manifest);
      for (String p : List.of("/etc/hosts", "/etc/big", "/etc/big-link", "/usr/huge")) {
        assertTrue(root.find(p, false) != null, p);
      }
      assertEquals(null, root.find("/only-here", false));
      assertArrayEquals(big, readAll(root, "/etc/big"));
      assertEquals(layer.diffId().toString(), LayerIndex.read(indexPath).diffId(), "rewritten");
    }
  }

  @Test
  void versionOneAndDamagedIndexesAreRebuilt() throws IOException {
    Layer layer = build(Compression.NONE);
    dataOffset("/etc/big");
    Path indexPath;
    try (LayerStore layers = new LayerStore(store)) {
      indexPath = layers.indexPath(layer.diffId());
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      byte[] index = Files.readAllBytes(indexPath);
      if (attempt == 0) {
        ByteBuffer.wrap(index).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1);
      } else {
        index[index.length / 2] ^= 1;
      }
      Files.write(indexPath, index);
      try (LayerStore layers = new LayerStore(store)) {
        RootFs root = RootFs.open(store, layers, manifest);
        assertArrayEquals(big, readAll(root, "/etc/big"));
      }
      LayerIndex rebuilt = LayerIndex.read(indexPath);
      assertEquals(layer.diffId().toString(), rebuilt.diffId());
      assertEquals(Files.size(store.blobPath(layer.diffId())), rebuilt.blobLength());
    }
  }

  /**
   * Indexes whose checksum matches but whose tables break what lookups and reads trust (written
   * by a bug, or on purpose): refused on read, naming the row, and rebuilt by the store.
   */
  @Test
  void sealedButInconsistentIndexesAreRefusedAndRebuilt() throws IOException {
    Layer layer = build(Compression.NONE);
    Path indexPath;
    try (LayerStore layers = new LayerStore(store)) {
      layers.index(layer);
      indexPath = layers.indexPath(layer.diffId());
    }
    byte[] good = Files.readAllBytes(indexPath);
    ByteBuffer header = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
    int entries = header.getInt(12);
    int dataRows = header.getInt(56);
    int dataBase = LayerIndex.HEADER_SIZE + entries * LayerIndex.ENTRY_SIZE
        + header.getInt(16) * LayerIndex.DIR_SIZE + 8 * header.getInt(20) + 8 * header.getInt(24);
    assertTrue(dataRows >= 2, "rows: " + dataRows);
    int last = dataBase + (dataRows - 1) * LayerIndex.DATA_SIZE;
    List<String> damages = List.of("size 0", "rows out of order", "checksum index", "type code");
    for (String damage : damages) {
      byte[] index = good.clone();
      ByteBuffer b = ByteBuffer.wrap(index).order(ByteOrder.LITTLE_ENDIAN);
      String expected = "corrupt data row " + (dataRows - 1);
      switch (damage) {
        case "size 0" -> b.putLong(last + 8, 0);
        case "rows out of order" -> b.putLong(last, 0);
        case "checksum index" -> b.putInt(last + 16, b.getInt(last + 16) + 1);
        default -> {
          b.put(LayerIndex.HEADER_SIZE + (entries - 1) * LayerIndex.ENTRY_SIZE + 8, (byte) 99);
          expected = "entry " + (entries - 1);
        }
      }
      CRC32C crc = new CRC32C();
      crc.update(index, 0, index.length - 4);
      b.putInt(index.length - 4, (int) crc.getValue());
      Files.write(indexPath, index);
      IOException e = assertThrows(IOException.class, () -> LayerIndex.read(indexPath), damage);
      assertTrue(e.getMessage().contains(expected), damage + ": " + e.getMessage());
      assertTrue(e.getMessage().contains(indexPath.toString()), e.getMessage());
      try (LayerStore layers = new LayerStore(store)) {
        RootFs root = RootFs.open(store, layers, manifest);
        assertArrayEquals(big, readAll(root, "/etc/big"), damage);
      }
      assertArrayEquals(good, Files.readAllBytes(indexPath), damage + ": rebuilt as before");
    }
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
  void damagedCompressedBlobInAFreshStoreNamesTheBlob(Compression compression)
      throws IOException {
    Layer layer = build(compression);
    Path compressed = store.blobPath(layer.digest());
    long size = Files.size(compressed);
    for (String damage : List.of("flip", "truncate", "zero")) {
      byte[] good = Files.readAllBytes(compressed);
      switch (damage) {
        case "flip" -> flip(compressed, size / 2);
        case "truncate" -> truncate(compressed, size / 2);
        default -> patch(compressed, 0, new byte[(int) size]);
      }
      try (LayerStore layers = new LayerStore(store)) {
        IOException e = assertThrows(IOException.class, () -> layers.index(layer), damage);
        assertNames(e, compressed, layer.digest(), "damaged",
            "layerfs fsck --repair moves a damaged blob aside, and importing or pulling the image"
                + " again restores it");
        assertFalse(e.getMessage().contains("diff_id"), e.getMessage());
        assertFalse(store.contains(layer.diffId()), "no uncompressed blob after " + damage);
      }
      compressed.toFile().setWritable(true);
      Files.write(compressed, good);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "NONE"})
  void aMissingLayerBlobNamesItAndWhatRestoresIt(Compression compression) throws IOException {
    Layer layer = build(compression);
    Path blob = store.blobPath(layer.digest());
    Files.delete(blob);
    try (LayerStore layers = new LayerStore(store)) {
      NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> layers.index(layer));
      assertEquals(blob.toString(), e.getFile());
      assertEquals("layer blob " + layer.digest() + " is not in store " + store.root()
          + "; layerfs fsck --repair moves a damaged blob aside, and importing or pulling the"
          + " image again restores it", e.getReason());
    }
  }

  @Test
  void rebuildWithoutTheCompressedBlobSaysWhy() throws IOException {
    Layer layer = build(Compression.GZIP);
    Path blob = store.blobPath(layer.diffId());
    flip(blob, dataOffset("/etc/big") + 5);
    Files.delete(store.blobPath(layer.digest()));
    try (LayerStore layers = new LayerStore(store)) {
      RootFs root = RootFs.open(store, layers, manifest);
      IOException e = assertThrows(IOException.class, () -> readAll(root, "/etc/big"));
      assertNames(e, "/etc/big", blob, "cannot heal", "not in the store");
      IOException r = assertThrows(IOException.class, () -> layers.rebuild(layer));
      assertNames(r, store.blobPath(layer.digest()), "not in the store");
    }
  }

  /**
   * An index an earlier layerfs wrote (format version 2, which lost names' bytes that are not
   * UTF-8) is no damage for fsck; the next use rebuilds it in this version's format.
   */
  @Test
  void anIndexOfAnotherVersionIsRebuiltAndNoProblem() throws IOException {
    Layer layer = build(Compression.GZIP);
    dataOffset("/etc/big"); // the index is written
    try (LayerStore layers = new LayerStore(store)) {
      Path index = layers.indexPath(layer.diffId());
      byte[] bytes = Files.readAllBytes(index);
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 2);
      Files.write(index, bytes);
      assertEquals(List.of(), layers.verify(layer));
      assertArrayEquals(big, readAll(RootFs.open(store, layers, manifest), "/etc/big"));
      assertEquals(LayerIndex.VERSION, ByteBuffer.wrap(Files.readAllBytes(index))
          .order(ByteOrder.LITTLE_ENDIAN).getInt(8), "rebuilt");
    }
  }

  @Test
  void rebuildFromADamagedCompressedBlobKeepsTheGoodUncompressedOne() throws IOException {
    Layer layer = build(Compression.GZIP);
    dataOffset("/etc/big");
    Path compressed = store.blobPath(layer.digest());
    flip(compressed, Files.size(compressed) / 2);
    try (LayerStore layers = new LayerStore(store)) {
      IOException e = assertThrows(IOException.class, () -> layers.rebuild(layer));
      assertNames(e, compressed, "damaged");
      assertTrue(layers.verify(layer).isEmpty(), layers.verify(layer).toString());
      assertArrayEquals(big, readAll(RootFs.open(store, layers, manifest), "/etc/big"));
    }
    assertEquals(layer.diffId(), Digest.sha256(Files.readAllBytes(store.blobPath(
        layer.diffId()))));
  }

  @Test
  void concurrentReadersDuringAHealSeeOnlyRightBytes() throws Exception {
    Layer layer = build(Compression.GZIP);
    flip(store.blobPath(layer.diffId()), dataOffset("/usr/huge") + 1_500_000);
    try (LayerStore layers = new LayerStore(store, LayerStore.DEFAULT_MAX_INDEX_WEIGHT, 0)) {
      RootFs root = RootFs.open(store, layers, manifest);
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
          .newFixedThreadPool(4);
      try {
        List<java.util.concurrent.Future<byte[]>> reads = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
          reads.add(pool.submit(() -> readAll(root, "/usr/huge")));
        }
        for (java.util.concurrent.Future<byte[]> r : reads) {
          assertArrayEquals(huge, r.get());
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void verifiedReadsEqualTheBytesWritten() {
    Props p = Props.tries(40);
    p.qt()
        .withShrinkCycles(100)
        .forAll(Generate.longRange(0, Long.MAX_VALUE), Generate.range(0, 200_000))
        .checkAssert(Props.io(this::readsMatch));
  }

  private void readsMatch(long seed, int size) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "prop");
    ContentStore s = ContentStore.open(dir);
    byte[] data = random(size, seed);
    byte[] small = random((int) (seed % 70_000), seed + 1);
    String m = ImageBuilder.create(dir).layer(LayerCompression.NONE)
        .file("/a", small).file("/data", data).build().manifestDigest();
    Random r = new Random(seed);
    // a cache of 0 or 1 chunks: every read goes to the blob and verifies
    try (LayerStore layers = new LayerStore(s, LayerStore.DEFAULT_MAX_INDEX_WEIGHT,
        r.nextBoolean() ? 0 : 70_000)) {
      RootFs root = RootFs.open(s, layers, m);
      assertArrayEquals(data, readAll(root, "/data"));
      assertArrayEquals(small, readAll(root, "/a"));
      try (FileHandle h = root.open("/data", Set.of(), 0)) {
        for (int i = 0; i < 20; i++) {
          long pos = size == 0 ? 0 : r.nextInt(size + 10);
          int len = r.nextInt(150_000);
          ByteBuffer b =
              r.nextBoolean() ? ByteBuffer.allocate(len) : ByteBuffer.allocateDirect(len);
          int n = h.read(b, pos);
          int expect = (int) Math.min(len, Math.max(0, size - pos));
          if (len == 0) {
            assertEquals(0, n);
          } else if (expect == 0) {
            assertEquals(-1, n);
          } else {
            assertEquals(expect, n, "pos " + pos + " len " + len);
            byte[] got = new byte[n];
            b.flip().get(got);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, (int) pos, (int) pos + n), got);
          }
        }
      }
    }
  }
}
