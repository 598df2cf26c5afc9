package io.layerfs.core.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Image archives compressed as docker load takes them: gzip, bzip2, xz and zstd. */
class CompressedArchiveTest {
  @TempDir Path tmp;
  ContentStore source;
  LayerStore sourceLayers;
  ContentStore target;
  Image image;

  @BeforeEach
  void setUp() throws IOException {
    source = ContentStore.open(tmp.resolve("source"));
    sourceLayers = new LayerStore(source);
    target = ContentStore.open(tmp.resolve("target"));
    String manifest = ImageBuilder.create(source.root())
        .layer(LayerCompression.GZIP)
        .file("/etc/hosts", "127.0.0.1 localhost\n")
        .file("/etc/big", new byte[300_000])
        .layer(LayerCompression.NONE)
        .file("/etc/new", "new\n")
        .build("demo:1")
        .manifestDigest();
    image = Images.resolve(source, manifest);
  }

  @AfterEach
  void close() throws IOException {
    sourceLayers.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"gz", "bzip2", "xz", "zstd"})
  void aCompressedDockerArchiveImportsAsItsPlainTar(String compression) throws IOException {
    Path plain = tmp.resolve("demo.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + plain, null);
    Path packed = compress(plain, compression);
    assertTrue(ImageTransfer.isArchive(packed));
    assertTrue(ImageTransfer.isImageArchive(packed));

    assertEquals(List.of("copy:1"), ImageTransfer.importImage(target,
        "docker-archive:" + packed, "copy:1", Progress.NONE));
    Image copy = Images.resolve(target, "copy:1");
    assertEquals(image.configDigest(), copy.configDigest());
    assertEquals(diffIds(image), diffIds(copy));
    // the same archive plain makes the same image
    ContentStore other = ContentStore.open(tmp.resolve("other"));
    ImageTransfer.importImage(other, "docker-archive:" + plain, "copy:1", Progress.NONE);
    assertEquals(Images.resolve(other, "copy:1").manifestDigest(), copy.manifestDigest());
    assertNoScratchLeft();
  }

  @ParameterizedTest
  @ValueSource(strings = {"gz", "bzip2", "xz", "zstd"})
  void aCompressedOciArchiveImportsWithItsManifestDigest(String compression)
      throws IOException {
    Path plain = tmp.resolve("demo-oci.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "oci-archive:" + plain + ":v1",
        null);
    Path packed = compress(plain, compression);
    assertEquals(List.of("v1"), ImageTransfer.importImage(target,
        "oci-archive:" + packed + ":v1", null, Progress.NONE));
    assertEquals(image.manifestDigest(), Images.resolve(target, "v1").manifestDigest());
    // and as an archive of unknown kind (docker load -i FILE)
    ContentStore other = ContentStore.open(tmp.resolve("other"));
    assertEquals(List.of("v1"), ImageTransfer.importArchive(packed, other, Progress.NONE));
    assertNoScratchLeft();
  }

  @ParameterizedTest
  @ValueSource(strings = {"gz", "bzip2", "xz", "zstd"})
  void aCutCompressedArchiveIsAnErrorNamingItAndLeavesNothing(String compression)
      throws IOException {
    Path plain = tmp.resolve("demo.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + plain, null);
    byte[] bytes = Files.readAllBytes(compress(plain, compression));
    Path cut = Files.write(tmp.resolve("cut." + compression),
        Arrays.copyOf(bytes, bytes.length * 2 / 3));
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(target,
        "docker-archive:" + cut, "copy:1", Progress.NONE));
    assertTrue(e.getMessage().startsWith(cut + " is truncated or damaged "), e.getMessage());
    assertEquals(List.of(), target.tags());
    assertEquals(List.of(), blobs(target));
    assertNoScratchLeft();
  }

  @Test
  void spoolingACompressedFileIsAStepOfItsCompressedBytes() throws IOException {
    Path plain = tmp.resolve("demo.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + plain, null);
    Path packed = compress(plain, "gz");
    assertSpoolSteps(packed, Files.size(packed), plain,
        List.of("decompress demo.tar.gz " + Files.size(packed), "done"));
  }

  /** Standard input (no size known) that is a plain archive: the step reads, counting bytes. */
  @Test
  void spoolingAPlainStreamIsAReadStep() throws IOException {
    Path plain = tmp.resolve("demo.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + plain, null);
    assertSpoolSteps(plain, -1, plain, List.of("read demo.tar -1", "done"));
  }

  private void assertSpoolSteps(Path input, long size, Path plain, List<String> expected)
      throws IOException {
    List<String> steps = new ArrayList<>();
    long[] advanced = new long[1];
    Progress recording = new Progress() {
      @Override
      public void start(String step, long total) {
        steps.add(step + " " + total);
      }

      @Override
      public void advance(long amount) {
        advanced[0] += amount;
      }

      @Override
      public void done() {
        steps.add("done");
      }
    };
    Path spooled;
    try (InputStream in = Files.newInputStream(input)) {
      spooled = ImageTransfer.spoolDecompressed(in, input.toString(), size, target, recording);
    }
    assertEquals(expected, steps);
    assertEquals(Files.size(input), advanced[0]);
    assertArrayEquals(Files.readAllBytes(plain), Files.readAllBytes(spooled));
  }

  @Test
  void aDamagedGzipChecksumIsAnErrorAtTheEnd() throws IOException {
    Path plain = tmp.resolve("demo.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + plain, null);
    byte[] bytes = Files.readAllBytes(compress(plain, "gz"));
    // the CRC-32 is the trailer's first 4 bytes: the tar inside is whole, the stream is not
    bytes[bytes.length - 8] ^= 0x55;
    Path bad = Files.write(tmp.resolve("bad.tar.gz"), bytes);
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(target,
        "docker-archive:" + bad, "copy:1", Progress.NONE));
    // Commons Compress checks it when the member ends, in the tar's last entry or after it
    assertTrue(e.getMessage().startsWith(bad + " is truncated or damaged "), e.getMessage());
    assertTrue(e.getMessage().contains("(gzip: Gzip-compressed data is corrupt (CRC32 error)"),
        e.getMessage());
    assertEquals(List.of(), target.tags());
    assertEquals(List.of(), blobs(target));
    assertNoScratchLeft();
  }

  @Test
  void aGzipTrailerCutOffIsAnErrorThoughTheTarIsWhole() throws IOException {
    Path plain = tmp.resolve("demo.tar");
    ImageTransfer.exportImage(source, sourceLayers, "demo:1", "docker-archive:" + plain, null);
    // zeros after the tar's end, as a tape record pads it: the tar reader stops before them, so
    // only reading the stream to its end finds the cut
    Files.write(plain, new byte[300_000], java.nio.file.StandardOpenOption.APPEND);
    byte[] bytes = Files.readAllBytes(compress(plain, "gz"));
    // without the size that ends the trailer: every byte of the tar is there
    Path cut = Files.write(tmp.resolve("cut.tar.gz"), Arrays.copyOf(bytes, bytes.length - 4));
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(target,
        "docker-archive:" + cut, "copy:1", Progress.NONE));
    assertTrue(e.getMessage().startsWith(cut + " is truncated or damaged at its end (gzip: "),
        e.getMessage());
    assertEquals(List.of(), target.tags());
    assertEquals(List.of(), blobs(target));
    assertNoScratchLeft();
  }

  @Test
  void aCompressedFileThatHoldsNoTarIsNoArchive() throws IOException {
    Path text = Files.writeString(tmp.resolve("notes.txt"), "no tar here\n".repeat(100));
    Path packed = compress(text, "gz");
    assertFalse(ImageTransfer.isArchive(packed));
    assertEquals("gzip", ImageTransfer.compression(packed));
    IOException e = assertThrows(IOException.class, () -> ImageTransfer.importImage(target,
        "docker-archive:" + packed, null, Progress.NONE));
    assertEquals("docker-archive:" + packed + ": " + packed + " is not a tar archive (it is"
        + " gzip-compressed, but what it holds is no tar)", e.getMessage());
  }

  @Test
  void aTarWhoseFirstNameLooksLikeAMagicIsAPlainTar() throws IOException {
    // "BZh" is bzip2's magic: the tar header says first that this is a plain tar
    Path tar = tmp.resolve("bzh.tar");
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
      byte[] data = "x\n".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry entry = new TarArchiveEntry("BZh91AY&SY");
      entry.setSize(data.length);
      out.putArchiveEntry(entry);
      out.write(data);
      out.closeArchiveEntry();
    }
    assertNull(ImageTransfer.compression(tar));
    assertTrue(ImageTransfer.isArchive(tar));
  }

  /**
   * A small archive that inflates to far more than its size (a decompression bomb) stops at the
   * store's inflateRatio limit, as a layer's blob does, both when it is unpacked and when it is
   * spooled from a stream: a limit's error naming the archive, nothing stored, nothing left.
   */
  @ParameterizedTest
  @ValueSource(strings = {"gz", "xz", "zstd"})
  void aDecompressionBombStopsAtTheInflateLimit(String compression) throws IOException {
    Path bomb = tmp.resolve("bomb.tar." + compression);
    try (OutputStream file = Files.newOutputStream(bomb);
        OutputStream packed = new CompressorStreamFactory()
            .createCompressorOutputStream(compression, file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(packed)) {
      TarArchiveEntry zeros = new TarArchiveEntry("manifest.json");
      zeros.setSize(32L << 20);
      tar.putArchiveEntry(zeros);
      byte[] block = new byte[1 << 20];
      for (int i = 0; i < 32; i++) {
        tar.write(block);
      }
      tar.closeArchiveEntry();
    } catch (CompressorException e) {
      throw new IOException(e);
    }
    assertTrue(Files.size(bomb) < (32L << 20) / 200, Files.size(bomb) + " bytes");
    Limits limits = Limits.builder().inflateFloorBytes(1 << 20).build();
    ContentStore bounded = ContentStore.open(tmp.resolve("bounded"), limits);
    LimitException e = assertThrows(LimitException.class, () -> ImageTransfer.importImage(
        bounded, "docker-archive:" + bomb, "copy:1", Progress.NONE));
    assertEquals("inflateRatio", e.limit());
    assertTrue(e.getMessage().startsWith(bomb + " inflates to more than "), e.getMessage());
    assertEquals(List.of(), bounded.tags());
    assertEquals(List.of(), blobs(bounded));
    try (Stream<Path> left = Files.list(bounded.stateDir())) {
      assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("unpack-"))
          .toList());
    }

    try (Store store = Store.open(tmp.resolve("spooled"), limits);
        InputStream in = Files.newInputStream(bomb)) {
      LimitException spooled = assertThrows(LimitException.class,
          () -> store.spoolDecompressed(in, "standard input"));
      assertTrue(spooled.getMessage().startsWith("standard input inflates to more than "),
          spooled.getMessage());
      try (Stream<Path> left = Files.list(ContentStore.open(tmp.resolve("spooled")).tempDir())) {
        assertEquals(List.of(), left.toList());
      }
    }
  }

  /** {@code file} compressed with Commons Compress as {@code name} ("gz", "xz", ...). */
  private Path compress(Path file, String name) throws IOException {
    Path packed = tmp.resolve(file.getFileName() + "." + name);
    try (InputStream in = Files.newInputStream(file);
        OutputStream out = new CompressorStreamFactory()
            .createCompressorOutputStream(name, Files.newOutputStream(packed))) {
      in.transferTo(out);
    } catch (CompressorException e) {
      throw new IOException(e);
    }
    return packed;
  }

  private static List<Path> blobs(ContentStore store) throws IOException {
    if (!Files.exists(store.blobsDir())) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(store.blobsDir())) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  private void assertNoScratchLeft() throws IOException {
    try (Stream<Path> s = Files.list(target.stateDir())) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("unpack-"))
          .toList());
    }
  }

  private static List<String> diffIds(Image image) {
    return image.layers().stream().map(Layer::diffId).map(Object::toString).toList();
  }
}
