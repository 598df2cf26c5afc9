package io.layerfs.core.estargz;

import io.layerfs.core.RangedBlob;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.Props;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

/**
 * The eStargz writer and reader: a converted layer is still the same tar (plus the landmark and
 * the TOC) to a plain gzip and tar reader, its DiffID is its uncompressed stream's, and every
 * file reads back through its chunks; damaged chunks, footers and TOCs are errors that say so.
 */
class EStargzTest {
  private static final int CHUNK = 1000;

  @Test
  void randomTreesRoundTrip() {
    Props.tries(60).qt()
        .forAll(Generate.longRange(0, Long.MAX_VALUE), Generate.range(1, 40))
        .checkAssert(Props.io((seed, files) -> roundTrip(randomTree(new Random(seed), files))));
  }

  @Test
  void keepsEveryKindOfEntryAndItsMetadata() throws IOException {
    List<ImageBuilder.Entry> tree = List.of(
        ImageBuilder.Entry.dir("etc").mode(0750).owner(1, 2),
        ImageBuilder.Entry.file("etc/hosts", bytes("127.0.0.1 localhost\n"))
            .mtime(Instant.ofEpochSecond(1_700_000_000)).xattr("user.k", "v"),
        ImageBuilder.Entry.symlink("etc/link", "hosts"),
        ImageBuilder.Entry.hardlink("etc/hard", "etc/hosts"),
        ImageBuilder.Entry.charDevice("dev/null", 1, 3),
        ImageBuilder.Entry.fifo("run/fifo"),
        ImageBuilder.Entry.file("p/" + "ü".repeat(80), bytes("long name")),
        ImageBuilder.Entry.file("empty", new byte[0]),
        ImageBuilder.Entry.file("big", new Random(1).ints(5 * CHUNK + 7, 0, 4)
            .collect(ByteArrayOutputStream::new, ByteArrayOutputStream::write, (a, b) -> { })
            .toByteArray()));
    Converted c = roundTrip(tree);
    Toc toc = c.reader.toc();
    TocEntry hosts = toc.entry("etc/hosts");
    assertEquals("reg", hosts.type());
    assertEquals(1_700_000_000L, hosts.mtimeSeconds());
    assertArrayEquals(bytes("v"), hosts.xattrs().get("user.k"));
    assertEquals(Digest.sha256(bytes("127.0.0.1 localhost\n")).toString(), hosts.digest());
    assertEquals("symlink", toc.entry("etc/link").type());
    assertEquals("hosts", toc.entry("etc/link").linkName());
    assertEquals("hardlink", toc.entry("etc/hard").type());
    assertEquals("char", toc.entry("dev/null").type());
    assertEquals(3, toc.entry("dev/null").devMinor());
    assertEquals("fifo", toc.entry("run/fifo").type());
    assertEquals("dir", toc.entry("etc").type());
    assertEquals(0750, toc.entry("etc").mode() & 07777);
    assertEquals(6, toc.chunks("big").size(), "5 full chunks and the rest");
    assertEquals(0, toc.chunks("empty").size());
    assertNotNull(toc.entry(EStargzWriter.NO_PREFETCH_LANDMARK));
  }

  @Test
  void aTamperedChunkIsRejected() throws IOException {
    byte[] data = new byte[3 * CHUNK];
    new Random(7).nextBytes(data);
    Converted c = convert(List.of(ImageBuilder.Entry.file("f", data)));
    Toc.Chunk second = c.reader.toc().chunks("f").get(1);
    // a stored-looking change: flip a byte inside the member's deflate data
    byte[] blob = c.blob.clone();
    blob[(int) (second.blobOffset() + 20)] ^= 0x40;
    EStargzReader bad = EStargzReader.open(new BytesBlob(blob), c.result.tocDigest());
    IOException e = assertThrows(IOException.class, () -> bad.readChunk("f", second));
    assertTrue(e.getMessage().contains("'f'") && e.getMessage().contains("blob"),
        e.getMessage());
    // the other chunks still read
    assertArrayEquals(java.util.Arrays.copyOf(data, CHUNK),
        bad.readChunk("f", bad.toc().chunks("f").get(0)));
  }

  @Test
  void aChunkWithOtherBytesOfTheRightShapeIsRejectedByItsDigest() throws IOException {
    byte[] data = new byte[2 * CHUNK];
    Converted c = convert(List.of(ImageBuilder.Entry.file("f", data)));
    Toc.Chunk first = c.reader.toc().chunks("f").get(0);
    Toc.Chunk lying = new Toc.Chunk(first.fileOffset(), first.length(), first.blobOffset(),
        first.blobEnd(), first.innerOffset(), Digest.sha256(bytes("something else")));
    IOException e = assertThrows(IOException.class, () -> c.reader.readChunk("f", lying));
    assertTrue(e.getMessage().contains("has digest"), e.getMessage());
  }

  @Test
  void footerDamageIsAClearError() throws IOException {
    Converted c = convert(List.of(ImageBuilder.Entry.file("f", bytes("x"))));
    byte[] blob = c.blob.clone();
    blob[blob.length - 30] = 'Z'; // inside "STARGZ" or the hex offset
    IOException e = assertThrows(IOException.class,
        () -> EStargzReader.open(new BytesBlob(blob), null));
    assertTrue(e.getMessage().contains("not eStargz"), e.getMessage());
    IOException plain = assertThrows(IOException.class,
        () -> EStargzReader.open(new BytesBlob(gzip(ImageBuilder.tar(
            List.of(ImageBuilder.Entry.file("f", bytes("x")))))), null));
    assertTrue(plain.getMessage().contains("not eStargz"), plain.getMessage());
  }

  @Test
  void tocDamageIsAClearError() throws IOException {
    Converted c = convert(List.of(ImageBuilder.Entry.file("f", bytes("x"))));
    IOException wrongDigest = assertThrows(IOException.class,
        () -> EStargzReader.open(new BytesBlob(c.blob), Digest.sha256(bytes("other"))));
    assertTrue(wrongDigest.getMessage().contains("toc.digest"), wrongDigest.getMessage());
    byte[] blob = c.blob.clone();
    blob[(int) c.reader.tocOffset() + 30] ^= 0x55;
    IOException damaged = assertThrows(IOException.class,
        () -> EStargzReader.open(new BytesBlob(blob), c.result.tocDigest()));
    assertTrue(damaged.getMessage().contains("TOC"), damaged.getMessage());
  }

  @Test
  void aSecondConversionKeepsOneTocAndOneLandmark() throws IOException {
    Converted once = convert(List.of(ImageBuilder.Entry.file("f", bytes("x"))));
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    EStargzWriter.convert(new GZIPInputStream(new ByteArrayInputStream(once.blob)), again,
        CHUNK, Deflater.BEST_SPEED);
    List<String> names = tarNames(again.toByteArray());
    assertEquals(List.of(EStargzWriter.NO_PREFETCH_LANDMARK, "f", Toc.TAR_NAME), names);
  }

  // --- helpers

  private record Converted(byte[] blob, EStargzWriter.Result result, EStargzReader reader) {}

  private static Converted convert(List<ImageBuilder.Entry> tree) throws IOException {
    byte[] tar = ImageBuilder.tar(tree);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    EStargzWriter.Result r = EStargzWriter.convert(new ByteArrayInputStream(tar), out, CHUNK,
        Deflater.BEST_SPEED);
    byte[] blob = out.toByteArray();
    return new Converted(blob, r, EStargzReader.open(new BytesBlob(blob), r.tocDigest()));
  }

  private static Converted roundTrip(List<ImageBuilder.Entry> tree) throws IOException {
    byte[] tar = ImageBuilder.tar(tree);
    Converted c = convert(tree);
    assertEquals(c.blob.length, c.result.compressedSize());
    // a plain gzip reader sees one stream: the DiffID is its digest
    byte[] inflated = new GZIPInputStream(new ByteArrayInputStream(c.blob)).readAllBytes();
    assertEquals(Digest.sha256(inflated), c.result.diffId());
    assertEquals(inflated.length, c.result.uncompressedSize());
    // a plain tar reader sees the original entries, the landmark first and the TOC last
    Map<String, byte[]> original = contents(tar);
    Map<String, byte[]> converted = contents(inflated);
    List<String> names = tarNames(c.blob);
    assertEquals(EStargzWriter.NO_PREFETCH_LANDMARK, names.get(0));
    assertEquals(Toc.TAR_NAME, names.get(names.size() - 1));
    for (String extra : List.of(EStargzWriter.NO_PREFETCH_LANDMARK, Toc.TAR_NAME)) {
      converted.remove(extra);
      converted.remove(extra + "#meta");
    }
    assertEquals(original.keySet(), converted.keySet());
    for (Map.Entry<String, byte[]> e : original.entrySet()) {
      assertArrayEquals(e.getValue(), converted.get(e.getKey()), e.getKey());
    }
    // the lazy reader: every regular file through its chunks, digests as the TOC says
    for (TocEntry e : c.reader.toc().entries()) {
      if (!e.type().equals("reg")) {
        continue;
      }
      ByteArrayOutputStream file = new ByteArrayOutputStream();
      for (Toc.Chunk chunk : c.reader.toc().chunks(e.name())) {
        assertTrue(chunk.length() <= CHUNK);
        file.write(c.reader.readChunk(e.name(), chunk));
      }
      assertEquals(e.digest(), Digest.sha256(file.toByteArray()).toString(), e.name());
      if (!e.name().equals(EStargzWriter.NO_PREFETCH_LANDMARK)) {
        assertArrayEquals(original.get(e.name()), file.toByteArray(), e.name());
      }
    }
    return c;
  }

  /** Each entry's metadata and, for regular files, data, by name. */
  private static Map<String, byte[]> contents(byte[] tar) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        String kind = e.isSymbolicLink() ? "->" + e.getLinkName()
            : e.isLink() ? "=>" + e.getLinkName() : e.isDirectory() ? "/" : "";
        out.put(Toc.cleanName(e.getName()) + "#meta", (kind + " " + e.getMode() + " "
            + e.getLongUserId() + " " + e.getLongGroupId() + " "
            + e.getLastModifiedTime().toMillis()).getBytes(StandardCharsets.UTF_8));
        if (e.isFile()) {
          out.put(Toc.cleanName(e.getName()), in.readAllBytes());
        }
      }
    }
    return out;
  }

  private static List<String> tarNames(byte[] gz) throws IOException {
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(
        new GZIPInputStream(new ByteArrayInputStream(gz)))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        names.add(Toc.cleanName(e.getName()));
      }
    }
    return names;
  }

  private static List<ImageBuilder.Entry> randomTree(Random r, int files) {
    List<ImageBuilder.Entry> tree = new ArrayList<>();
    tree.add(ImageBuilder.Entry.dir("d"));
    for (int i = 0; i < files; i++) {
      int size = switch (r.nextInt(4)) {
        case 0 -> 0;
        case 1 -> r.nextInt(CHUNK);
        case 2 -> CHUNK * (1 + r.nextInt(3));
        default -> r.nextInt(5 * CHUNK);
      };
      byte[] data = new byte[size];
      r.nextBytes(data);
      if (r.nextBoolean()) {
        java.util.Arrays.fill(data, 0, size / 2, (byte) 'a');
      }
      String name = (r.nextBoolean() ? "d/" : "") + "f" + i;
      ImageBuilder.Entry e = ImageBuilder.Entry.file(name, data)
          .mode(r.nextBoolean() ? 0644 : 04755)
          .mtime(Instant.ofEpochSecond(r.nextInt(2_000_000_000)));
      if (r.nextInt(5) == 0) {
        e = e.xattr("user.x" + i, "v" + r.nextInt());
      }
      tree.add(e);
      if (r.nextInt(6) == 0) {
        tree.add(ImageBuilder.Entry.symlink("l" + i, name));
      }
    }
    return tree;
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A blob in memory. */
  static final class BytesBlob implements RangedBlob {
    private final byte[] data;

    BytesBlob(byte[] data) {
      this.data = data;
    }

    @Override
    public Digest digest() {
      return Digest.sha256(data);
    }

    @Override
    public long size() {
      return data.length;
    }

    @Override
    public InputStream open(long offset, long length) {
      int len = length < 0 ? data.length - (int) offset : (int) length;
      return new ByteArrayInputStream(data, (int) offset, len);
    }
  }
}
