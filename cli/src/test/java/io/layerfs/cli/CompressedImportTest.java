package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Image;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code import FILE} and {@code import -} of compressed archives, as docker load takes them. */
class CompressedImportTest {
  @TempDir Path dir;
  private Path storeDir;
  private Path saved;

  @BeforeEach
  void saveAnImage() throws IOException {
    storeDir = dir.resolve("store");
    ContentStore store = ContentStore.open(storeDir);
    ImageBuilder.create(store.root()).created(Instant.EPOCH)
        .layer().dir("/etc").file("/etc/motd", "hello\n").file("/etc/big", new byte[100_000])
        .layer().file("/etc/motd", "hello again\n")
        .build("base:1");
    saved = dir.resolve("saved.tar");
    assertEquals(0, Cli.run("--store", storeDir.toString(), "export", "base:1",
        "docker-archive:" + saved + ":example/base:1").code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"gz", "bzip2", "xz", "zstd"})
  void aCompressedArchiveLoadsFromAFileAndFromStandardInput(String compression)
      throws IOException {
    Path packed = compress(saved, compression);
    Path plainStore = dir.resolve("plain");
    assertEquals(0, Cli.run("--store", plainStore.toString(), "import", saved.toString())
        .code());
    Image expected = Images.resolve(ContentStore.open(plainStore), "example/base:1");

    Path fromFile = dir.resolve("file");
    Cli.Result loaded = Cli.run("--store", fromFile.toString(), "import", packed.toString());
    assertEquals(0, loaded.code(), loaded.err());
    assertEquals("example/base:1\n", loaded.out());
    assertEquals(expected.manifestDigest(), Images.resolve(ContentStore.open(fromFile),
        "example/base:1").manifestDigest());
    assertNoTempFiles(fromFile);

    Path fromStdin = dir.resolve("stdin");
    Cli.Result piped = withStandardInput(Files.readAllBytes(packed), fromStdin, "import", "-");
    assertEquals(0, piped.code(), piped.err());
    assertEquals("example/base:1\n", piped.out());
    assertEquals(expected.manifestDigest(), Images.resolve(ContentStore.open(fromStdin),
        "example/base:1").manifestDigest());
    assertNoTempFiles(fromStdin);
  }

  @Test
  void aCutCompressedArchiveIsAnErrorNamingItAndLeavesNothing() throws IOException {
    byte[] bytes = Files.readAllBytes(compress(saved, "gz"));
    Path cut = Files.write(dir.resolve("cut.tar.gz"), Arrays.copyOf(bytes, bytes.length / 2));
    Cli.Result fromFile = Cli.run("--store", storeDir.toString(), "import", cut.toString());
    assertEquals(1, fromFile.code());
    assertTrue(fromFile.errorLine().startsWith("layerfs: " + cut
        + " is truncated or damaged (gzip: "), fromFile.err());
    Cli.Result piped = withStandardInput(Arrays.copyOf(bytes, bytes.length / 2), storeDir,
        "import", "-");
    assertEquals(1, piped.code());
    assertTrue(piped.errorLine().startsWith("layerfs: standard input is truncated or damaged"
        + " (gzip: "), piped.err());
    assertEquals(List.of("base:1"), ContentStore.open(storeDir).tags());
    assertNoTempFiles(storeDir);
  }

  /**
   * {@code import -} whose writer died halfway (the pipe ends early), plain and compressed: the
   * error names standard input and says it is cut, nothing is tagged, and neither the spooled
   * copy nor an unpacked part stays.
   */
  @ParameterizedTest
  @ValueSource(strings = {"tar", "gz", "zstd"})
  void standardInputCutShortIsAnErrorAndLeavesNothing(String kind) throws IOException {
    byte[] whole = Files.readAllBytes(kind.equals("tar") ? saved : compress(saved, kind));
    Path fresh = dir.resolve("fresh");
    Cli.Result piped = withStandardInput(Arrays.copyOf(whole, whole.length / 2), fresh,
        "import", "-");
    assertEquals(1, piped.code(), piped.out());
    assertTrue(piped.errorLine().startsWith("layerfs: standard input is truncated or damaged"),
        piped.err());
    assertTrue(!Files.exists(fresh), "no store is left where there was none");
    Cli.Result again = withStandardInput(Arrays.copyOf(whole, whole.length / 2), storeDir,
        "import", "-");
    assertEquals(1, again.code(), again.out());
    assertEquals(List.of("base:1"), ContentStore.open(storeDir).tags());
    assertNoTempFiles(storeDir);
    try (Stream<Path> s = Files.list(storeDir.resolve("layerfs"))) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("unpack-"))
          .toList());
    }
  }

  @Test
  void aCompressedFileThatHoldsNoTarSaysSo() throws IOException {
    Path notes = Files.writeString(dir.resolve("notes.txt"), "words\n".repeat(200));
    Path packed = compress(notes, "gz");
    Cli.Result r = Cli.run("--store", storeDir.toString(), "import", packed.toString());
    assertEquals(1, r.code());
    assertEquals("layerfs: " + packed + " is gzip-compressed, but what it holds is no tar"
        + " archive: import reads an image archive, or with a TAG a file system tar",
        r.errorLine());
    assertNoTempFiles(storeDir);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gz", "xz"})
  void aCompressedFileSystemTarWithATagStillMakesAnImage(String compression)
      throws IOException {
    Path rootfs = dir.resolve("rootfs.tar");
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(rootfs))) {
      byte[] data = "imported\n".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry entry = new TarArchiveEntry("etc/motd");
      entry.setSize(data.length);
      out.putArchiveEntry(entry);
      out.write(data);
      out.closeArchiveEntry();
    }
    Path packed = compress(rootfs, compression);
    Cli.Result fromFile = Cli.run("--store", storeDir.toString(), "import", packed.toString(),
        "flat:1");
    assertEquals(0, fromFile.code(), fromFile.err());
    assertEquals("flat:1\n", fromFile.out());
    Cli.Result piped = withStandardInput(Files.readAllBytes(packed), storeDir, "import", "-",
        "piped:1");
    assertEquals(0, piped.code(), piped.err());
    ContentStore store = ContentStore.open(storeDir);
    Image flat = Images.resolve(store, "flat:1");
    assertEquals(1, flat.layers().size());
    assertEquals(flat.layers(), Images.resolve(store, "piped:1").layers());
    assertNoTempFiles(storeDir);
  }

  private Path compress(Path file, String name) throws IOException {
    Path packed = dir.resolve(file.getFileName() + "." + name);
    try (InputStream in = Files.newInputStream(file);
        OutputStream out = new CompressorStreamFactory()
            .createCompressorOutputStream(name, Files.newOutputStream(packed))) {
      in.transferTo(out);
    } catch (CompressorException e) {
      throw new IOException(e);
    }
    return packed;
  }

  private static Cli.Result withStandardInput(byte[] input, Path store, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--store";
    all[1] = store.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    InputStream stdin = System.in;
    System.setIn(new ByteArrayInputStream(input));
    try {
      return Cli.run(all);
    } finally {
      System.setIn(stdin);
    }
  }

  /** Nothing of a spooled or decompressed input stays in the store's temp folder. */
  private static void assertNoTempFiles(Path store) throws IOException {
    Path temp = store.resolve("layerfs/tmp");
    if (Files.exists(temp)) {
      try (Stream<Path> s = Files.list(temp)) {
        assertEquals(List.of(), s.toList());
      }
    }
  }
}
