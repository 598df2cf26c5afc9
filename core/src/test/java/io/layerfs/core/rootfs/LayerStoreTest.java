package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LayerStoreTest {
  @TempDir Path tmp;
  ContentStore store;

  @BeforeEach
  void open() throws IOException {
    store = ContentStore.open(tmp);
  }

  private Layer layer(Compression compression) throws IOException {
    // the testing module's enum names the same three codecs as core's
    String manifest = ImageBuilder.create(store.root())
        .layer(LayerCompression.valueOf(compression.name()))
        .dir("/etc")
        .file("/etc/hosts", "127.0.0.1 localhost\n")
        .file("/etc/big", new byte[300_000])
        .symlink("/etc/link", "hosts")
        .build()
        .manifestDigest();
    return Images.resolve(store, manifest).layers().get(0);
  }

  private List<String> leftovers() throws IOException {
    Path dir = store.stateDir().resolve("tmp");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toList());
    }
  }

  private static String read(FileChannel ch, long offset, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
      // fill
    }
    return new String(b.array(), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void firstUseInflatesVerifiesAndPersists(Compression compression) throws IOException {
    Layer layer = layer(compression);
    // ImageBuilder stores only the compressed blob: inflating is LayerStore's job
    assertEquals(compression == Compression.NONE, store.contains(layer.diffId()));
    LayerIndex index;
    try (LayerStore layers = new LayerStore(store)) {
      index = layers.index(layer);
      assertSame(index, layers.index(layer), "cached");
      // the uncompressed blob is addressed by the DiffID and hashes to it
      assertTrue(store.contains(layer.diffId()));
      byte[] tar = Files.readAllBytes(store.blobPath(layer.diffId()));
      assertEquals(layer.diffId(), Digest.sha256(tar));
      // the compressed blob is kept
      assertTrue(store.contains(layer.digest()));
      assertEquals(layer.size(), Files.size(store.blobPath(layer.digest())));
      // the index is persisted where the contract says and reloads
      Path indexFile = tmp.resolve("layerfs/index/sha256/" + layer.diffId().hex());
      assertEquals(indexFile, layers.indexPath(layer.diffId()));
      assertTrue(Files.isRegularFile(indexFile));
      assertEquals(index.size(), LayerIndex.read(indexFile).size());
      // the data offsets point into the uncompressed blob behind the shared channel
      int hosts = index.find("/etc/hosts");
      assertTrue(hosts > 0);
      FileChannel ch = layers.channel(layer.diffId());
      assertSame(ch, layers.channel(layer.diffId()));
      assertEquals("127.0.0.1 localhost\n", read(ch, index.dataOffset(hosts), 20));
    }
    assertEquals(List.of(), leftovers());
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
  void secondOpenDoesNotInflateAgain(Compression compression) throws IOException {
    Layer layer = layer(compression);
    int size;
    try (LayerStore layers = new LayerStore(store)) {
      size = layers.index(layer).size();
    }
    Path blob = store.blobPath(layer.diffId());
    Object inode = Files.getAttribute(blob, "unix:ino");
    long mtime = Files.getLastModifiedTime(blob).toMillis();
    // without the compressed blob, only the persisted state can answer
    Files.delete(store.blobPath(layer.digest()));
    try (LayerStore layers = new LayerStore(store)) {
      assertEquals(size, layers.index(layer).size());
    }
    // the index alone gone: rebuilt from the uncompressed blob, still no inflating
    Files.delete(tmp.resolve("layerfs/index/sha256/" + layer.diffId().hex()));
    try (LayerStore layers = new LayerStore(store)) {
      assertEquals(size, layers.index(layer).size());
    }
    assertTrue(Files.isRegularFile(tmp.resolve("layerfs/index/sha256/" + layer.diffId().hex())));
    assertEquals(inode, Files.getAttribute(blob, "unix:ino"));
    assertEquals(mtime, Files.getLastModifiedTime(blob).toMillis());
  }

  @Test
  void corruptIndexFileIsRebuilt() throws IOException {
    Layer layer = layer(Compression.GZIP);
    int size;
    try (LayerStore layers = new LayerStore(store)) {
      size = layers.index(layer).size();
    }
    Path indexFile = tmp.resolve("layerfs/index/sha256/" + layer.diffId().hex());
    Files.write(indexFile, new byte[] {1, 2, 3});
    try (LayerStore layers = new LayerStore(store)) {
      assertEquals(size, layers.index(layer).size());
    }
    assertEquals(size, LayerIndex.read(indexFile).size());
  }

  /** A copy of {@code layer} whose config claims another DiffID. */
  private static Layer withDiffId(Layer layer, Digest diffId) {
    return new Layer(layer.mediaType(), layer.digest(), layer.size(), diffId);
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
  void diffIdMismatchNamesBothAndLeavesNothing(Compression compression) throws IOException {
    Layer real = layer(compression);
    Files.deleteIfExists(store.blobPath(real.diffId()));
    Digest claimed = Digest.sha256("something else".getBytes(StandardCharsets.UTF_8));
    Layer lying = withDiffId(real, claimed);
    try (LayerStore layers = new LayerStore(store)) {
      IOException e = assertThrows(IOException.class, () -> layers.index(lying));
      assertTrue(e.getMessage().contains(claimed.toString()), e.getMessage());
      assertTrue(e.getMessage().contains(real.diffId().toString()), e.getMessage());
      // and again: the failure is not cached as a success
      assertThrows(IOException.class, () -> layers.index(lying));
    }
    assertFalse(store.contains(claimed));
    assertFalse(store.contains(real.diffId()));
    assertFalse(Files.exists(tmp.resolve("layerfs/index/sha256/" + claimed.hex())));
    assertFalse(Files.exists(tmp.resolve("layerfs/index/sha256/" + real.diffId().hex())));
    assertEquals(List.of(), leftovers());
  }

  @Test
  void corruptCompressedBlobIsRefused() throws IOException {
    Layer layer = layer(Compression.GZIP);
    Files.deleteIfExists(store.blobPath(layer.diffId()));
    Path blob = store.blobPath(layer.digest());
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length / 2] ^= 0x55;
    Files.write(blob, bytes);
    try (LayerStore layers = new LayerStore(store)) {
      assertThrows(IOException.class, () -> layers.index(layer));
    }
    assertFalse(store.contains(layer.diffId()));
    assertEquals(List.of(), leftovers());
  }

  @Test
  void bytesAppendedToCompressedBlobAreRefusedAndLeaveNoIndex() throws IOException {
    Layer layer = layer(Compression.GZIP);
    Files.deleteIfExists(store.blobPath(layer.diffId()));
    // gzip readers ignore what follows the last member: the tar inflates and indexes in full,
    // so only the compressed digest check can refuse it, after the index was written
    Files.write(store.blobPath(layer.digest()), new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
    try (LayerStore layers = new LayerStore(store)) {
      IOException e = assertThrows(IOException.class, () -> layers.index(layer));
      assertTrue(e.getMessage().contains(layer.digest().toString()), e.getMessage());
      assertTrue(e.getMessage().contains((layer.size() + 3) + " bytes"), e.getMessage());
    }
    assertFalse(store.contains(layer.diffId()));
    assertFalse(Files.exists(tmp.resolve("layerfs/index/sha256/" + layer.diffId().hex())));
    assertEquals(List.of(), leftovers());
  }

  @Test
  void corruptUncompressedBlobIsRefused() throws IOException {
    Layer layer = layer(Compression.NONE);
    Path blob = store.blobPath(layer.digest());
    byte[] bytes = Files.readAllBytes(blob);
    bytes[600] ^= 0x01; // inside the data of /etc/hosts, so the tar still parses
    Files.write(blob, bytes);
    try (LayerStore layers = new LayerStore(store)) {
      IOException e = assertThrows(IOException.class, () -> layers.index(layer));
      assertTrue(e.getMessage().contains(layer.diffId().toString()), e.getMessage());
    }
    assertFalse(Files.exists(tmp.resolve("layerfs/index/sha256/" + layer.diffId().hex())));
  }

  @Test
  void missingBlobs() throws IOException {
    Layer layer = layer(Compression.NONE);
    Files.delete(store.blobPath(layer.digest()));
    try (LayerStore layers = new LayerStore(store)) {
      assertThrows(NoSuchFileException.class, () -> layers.index(layer));
      assertThrows(NoSuchFileException.class, () -> layers.channel(layer.diffId()));
    }
    Layer gz = layer(Compression.GZIP);
    Files.deleteIfExists(store.blobPath(gz.diffId()));
    Files.delete(store.blobPath(gz.digest()));
    try (LayerStore layers = new LayerStore(store)) {
      NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> layers.index(gz));
      assertTrue(e.getMessage().contains(gz.digest().toString()), e.getMessage());
    }
  }

  private void assertIndexesCorrectly(Layer layer) throws IOException {
    try (LayerStore layers = new LayerStore(store)) {
      LayerIndex index = layers.index(layer);
      int hosts = index.find("/etc/hosts");
      assertTrue(hosts > 0);
      assertEquals("127.0.0.1 localhost\n",
          read(layers.channel(layer.diffId()), index.dataOffset(hosts), 20));
      assertEquals(layer.diffId(), Digest.sha256(Files.readAllBytes(
          store.blobPath(layer.diffId()))));
    }
  }

  @Test
  void plainTarLabelledGzipIndexes() throws IOException {
    Layer plain = layer(Compression.NONE);
    assertIndexesCorrectly(new Layer(MediaTypes.OCI_LAYER_GZIP, plain.digest(), plain.size(),
        plain.diffId()));
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
  void compressedLayerLabelledPlainTarIndexes(Compression compression) throws IOException {
    Layer real = layer(compression);
    assertIndexesCorrectly(new Layer(MediaTypes.DOCKER_LAYER, real.digest(), real.size(),
        real.diffId()));
  }

  @Test
  void zstdLayerLabelledGzipIndexes() throws IOException {
    Layer real = layer(Compression.ZSTD);
    assertIndexesCorrectly(new Layer(MediaTypes.OCI_LAYER_GZIP, real.digest(), real.size(),
        real.diffId()));
  }

  @Test
  void blobThatIsNoKnownFormatIsRefused() throws IOException {
    byte[] junk = new byte[2048];
    java.util.Arrays.fill(junk, (byte) 'x');
    Digest d = store.ingest(new java.io.ByteArrayInputStream(junk), null, -1);
    Layer layer = new Layer(MediaTypes.OCI_LAYER_GZIP, d, junk.length,
        Digest.sha256("other".getBytes(StandardCharsets.UTF_8)));
    try (LayerStore layers = new LayerStore(store)) {
      IOException e = assertThrows(IOException.class, () -> layers.index(layer));
      assertTrue(e.getMessage().contains("neither gzip, zstd nor tar"), e.getMessage());
      assertTrue(e.getMessage().contains(d.toString()), e.getMessage());
    }
  }

  @Test
  void detectRecognizesOldStyleTarHeadersAndEmptyArchives() {
    byte[] v7 = new byte[512];
    byte[] name = "etc/hosts".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(name, 0, v7, 0, name.length);
    System.arraycopy("0000644\0".getBytes(StandardCharsets.US_ASCII), 0, v7, 100, 8);
    v7[156] = '0';
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += i >= 148 && i < 156 ? ' ' : v7[i] & 0xff;
    }
    byte[] ck = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(ck, 0, v7, 148, 8);
    assertEquals(Compression.NONE, Compression.detect(v7, 512));
    v7[0] = 'E'; // checksum no longer matches
    assertEquals(null, Compression.detect(v7, 512));
    assertEquals(Compression.NONE, Compression.detect(new byte[512], 512));
    assertEquals(Compression.NONE, Compression.detect(new byte[0], 0));
    assertEquals(null, Compression.detect(new byte[] {'h', 'i'}, 2));
    assertEquals(Compression.GZIP, Compression.detect(new byte[] {0x1f, (byte) 0x8b}, 2));
    assertEquals(Compression.ZSTD,
        Compression.detect(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}, 4));
  }

  @Test
  void unknownMediaTypeIsNamed() throws IOException {
    Layer real = layer(Compression.GZIP);
    Files.deleteIfExists(store.blobPath(real.diffId()));
    Layer odd = new Layer("application/x-tar+lz4", real.digest(), real.size(), real.diffId());
    try (LayerStore layers = new LayerStore(store)) {
      IOException e = assertThrows(IOException.class, () -> layers.index(odd));
      assertTrue(e.getMessage().contains("application/x-tar+lz4"), e.getMessage());
    }
  }

  @Test
  void concurrentRequestsBuildOnce() throws Exception {
    Layer layer = layer(Compression.ZSTD);
    Files.deleteIfExists(store.blobPath(layer.diffId()));
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (LayerStore layers = new LayerStore(store)) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<LayerIndex>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Callable<LayerIndex> task = () -> {
          start.await();
          return layers.index(layer);
        };
        results.add(pool.submit(task));
      }
      start.countDown();
      LayerIndex first = results.get(0).get();
      for (Future<LayerIndex> f : results) {
        assertSame(first, f.get(), "one build shared by every caller");
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), leftovers());
  }

  @Test
  void tinyCacheStillWorks() throws IOException {
    Layer a = layer(Compression.GZIP);
    String other = ImageBuilder.create(store.root()).layer(LayerCompression.GZIP)
        .file("/b", "b").build().manifestDigest();
    Layer b = Images.resolve(store, other).layers().get(0);
    try (LayerStore layers = new LayerStore(store, 1)) {
      LayerIndex first = layers.index(a);
      layers.index(b);
      LayerIndex again = layers.index(a);
      assertEquals(first.size(), again.size());
    }
  }

  @Test
  void closeClosesChannelsAndRefusesFurtherUse() throws IOException {
    Layer layer = layer(Compression.GZIP);
    LayerStore layers = new LayerStore(store);
    layers.index(layer);
    FileChannel ch = layers.channel(layer.diffId());
    assertTrue(ch.isOpen());
    layers.close();
    assertFalse(ch.isOpen());
    assertThrows(IOException.class, () -> layers.channel(layer.diffId()));
    assertThrows(IOException.class, () -> layers.index(layer));
  }

  @Test
  void channelClosedByInterruptIsReopened() throws IOException {
    Layer layer = layer(Compression.NONE);
    try (LayerStore layers = new LayerStore(store)) {
      layers.index(layer);
      FileChannel first = layers.channel(layer.diffId());
      first.close(); // what an interrupted reader does to a shared channel
      FileChannel second = layers.channel(layer.diffId());
      assertNotSame(first, second);
      assertTrue(second.isOpen());
      byte[] head = new byte[4];
      second.read(ByteBuffer.wrap(head), 0);
      assertArrayEquals(
          "etc/".getBytes(StandardCharsets.US_ASCII), head);
    }
  }
}
