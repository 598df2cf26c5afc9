package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Limits;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index's data rows (one per file with data, with its chunk checksums) and the checks
 * {@link LayerIndex#read} makes of a header and of the rows before lookups trust them. Corrupt
 * files here carry a matching checksum: they are what a bug, not a torn write, would produce.
 */
class LayerIndexFormatTest {

  @TempDir Path dir;

  private static final int CHUNK = ChunkSums.CHUNK;

  private static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  /** {@code good} with {@code edit} applied to its header and body, and the checksum fixed. */
  private static byte[] resealed(byte[] good, Consumer<ByteBuffer> edit) {
    byte[] b = good.clone();
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    edit.accept(buf);
    buf.putInt(b.length - 4, crc(b, 0, b.length - 4));
    return b;
  }

  /** Where the data rows start in an index file's bytes. */
  private static int dataBase(byte[] file) {
    ByteBuffer h = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    return LayerIndex.HEADER_SIZE + h.getInt(12) * LayerIndex.ENTRY_SIZE
        + h.getInt(16) * LayerIndex.DIR_SIZE + 8 * h.getInt(20) + 8 * h.getInt(24);
  }

  private byte[] bytesOf(LayerIndex x) throws IOException {
    Path f = dir.resolve("index");
    x.write(f);
    return Files.readAllBytes(f);
  }

  private LayerIndex reread(byte[] file) throws IOException {
    Path f = dir.resolve("edited");
    Files.write(f, file);
    return LayerIndex.read(f);
  }

  private void assertRefused(byte[] file, String why) throws IOException {
    Path f = dir.resolve("bad");
    Files.write(f, file);
    IOException e = assertThrows(IOException.class, () -> LayerIndex.read(f), why);
    assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }

  @Test
  void dataRowsHoldEachFilesOffsetSizeAndChunkSums() throws IOException {
    Random r = new Random(7);
    byte[] big = new byte[2 * CHUNK + 100];
    r.nextBytes(big);
    byte[] small = new byte[300];
    r.nextBytes(small);
    // a hard link into a lower layer: the checksums come after the table of those
    byte[] tar = new TestTars().file("big", big, 0644).hardlink("same", "big")
        .file("empty", new byte[0], 0644).symlink("link", "big").file("small", small, 0600)
        .hardlink("lower", "/in/a/lower/layer").bytes();
    Digest diffId = Digest.sha256(tar);
    LayerIndex x = TarIndexer.index(new ByteArrayInputStream(tar), diffId, Limits.DEFAULTS);
    assertEquals(diffId.toString(), x.diffId());
    assertEquals(tar.length, x.blobLength());
    // one row per distinct file with data: the hard link shares, the empty file has none
    assertEquals(2, x.dataRows());
    assertEquals(1, x.unresolvedHardLinks().length);
    long bigAt = x.dataOffset(x.find("/big"));
    long smallAt = x.dataOffset(x.find("/small"));
    assertEquals(bigAt, x.dataOffset(x.find("/same")));
    assertTrue(bigAt < smallAt);
    assertEquals(0, x.dataRow(bigAt));
    assertEquals(1, x.dataRow(smallAt));
    assertEquals(bigAt, x.dataRowOffset(0));
    assertEquals(big.length, x.dataRowSize(0));
    assertEquals(smallAt, x.dataRowOffset(1));
    assertEquals(small.length, x.dataRowSize(1));
    for (long miss : new long[] {0, bigAt - 1, bigAt + 1, smallAt - 1, smallAt + 1, tar.length}) {
      assertEquals(-1, x.dataRow(miss), "offset " + miss);
    }
    // 64 KiB chunks from each file's first byte, the last one shorter
    assertEquals(crc(tar, (int) bigAt, CHUNK), x.chunkSum(0, 0));
    assertEquals(crc(tar, (int) bigAt + CHUNK, CHUNK), x.chunkSum(0, 1));
    assertEquals(crc(tar, (int) bigAt + 2 * CHUNK, 100), x.chunkSum(0, 2));
    assertEquals(crc(tar, (int) smallAt, small.length), x.chunkSum(1, 0));
    // the first name in index order, for messages
    assertEquals("/big", x.pathOfData(bigAt));
    assertEquals("/small", x.pathOfData(smallAt));
    assertEquals("?", x.pathOfData(bigAt + 1));

    LayerIndex read = reread(bytesOf(x));
    assertEquals(diffId.toString(), read.diffId());
    assertEquals(tar.length, read.blobLength());
    assertEquals(1, read.dataRow(smallAt));
    assertEquals(crc(tar, (int) bigAt + CHUNK, CHUNK), read.chunkSum(0, 1));
    assertEquals(crc(tar, (int) smallAt, small.length), read.chunkSum(1, 0));
  }

  @Test
  void manyRowsAreFoundByOffset() throws IOException {
    TestTars t = new TestTars();
    for (int i = 0; i < 37; i++) {
      t.file("f" + i, "x".repeat(i + 1));
    }
    byte[] tar = t.bytes();
    LayerIndex x = TarIndexer.index(new ByteArrayInputStream(tar), null, Limits.DEFAULTS);
    assertEquals(37, x.dataRows());
    assertEquals("", x.diffId());
    for (int i = 0; i < 37; i++) {
      int e = x.find("/f" + i);
      int row = x.dataRow(x.dataOffset(e));
      assertTrue(row >= 0, "f" + i);
      assertEquals(x.dataOffset(e), x.dataRowOffset(row));
      assertEquals(i + 1, x.dataRowSize(row));
      assertEquals(-1, x.dataRow(x.dataOffset(e) + 1));
    }
  }

  @Test
  void whatAnIndexKnowsOfItself() throws IOException {
    LayerIndex built = TarIndexer.index(new ByteArrayInputStream(new TestTars()
        .file("a/b", "x").bytes()));
    assertNull(built.file());
    assertEquals("LayerIndex[3 entries]", built.toString());
    // directories with children, and the parent of the root: "", "/", "/a"
    assertEquals(3, built.dirTableSize());
    byte[] file = bytesOf(built);
    assertEquals(file.length + 256L, built.weight());
    LayerIndex read = reread(file);
    assertEquals(dir.resolve("edited"), read.file());
    assertEquals("LayerIndex[3 entries, " + dir.resolve("edited") + "]", read.toString());
    assertEquals(file.length + 256L, read.weight());
    assertEquals(3, read.size());
  }

  @Test
  void rowsMayTouchEachOtherAndTheEndOfTheTar() throws IOException {
    // a file at offset 0, one right after it, and the second ending the blob
    LayerIndexBuilder b = new LayerIndexBuilder();
    ChunkSums sums = new ChunkSums();
    sums.add(11);
    sums.add(22);
    b.add("first", file(0, 10, 0));
    b.add("second", file(10, 5, 1));
    LayerIndex x = reread(bytesOf(b.build(sums, null, 15)));
    assertEquals(2, x.dataRows());
    assertEquals(1, x.dataRow(10));
    assertEquals(11, x.chunkSum(0, 0));
    assertEquals(22, x.chunkSum(1, 0));
  }

  private static LayerIndexBuilder.Inode file(long offset, long size, int firstSum) {
    LayerIndexBuilder.Inode ino = new LayerIndexBuilder.Inode();
    ino.type = EntryType.FILE;
    ino.mode = 0644;
    ino.dataOffset = offset;
    ino.size = size;
    ino.firstSum = firstSum;
    return ino;
  }

  @Test
  void aFileWithoutItsChecksumsIsRefused() throws IOException {
    ChunkSums one = new ChunkSums();
    one.add(5);
    // two chunks of data, one checksum; data but no checksum; checksums of another tar
    for (LayerIndexBuilder.Inode ino : new LayerIndexBuilder.Inode[] {
        file(512, CHUNK + 1, 0), file(512, 10, -1), file(512, 10, 1)}) {
      LayerIndexBuilder b = new LayerIndexBuilder();
      b.add("f", ino);
      IOException e = assertThrows(IOException.class, () -> b.build(one, null, 1 << 20));
      assertEquals("tar data of the file at offset 512 is shorter than its size " + ino.size,
          e.getMessage());
    }
    // without any checksums, a checksum index is still wrong
    LayerIndexBuilder b = new LayerIndexBuilder();
    b.add("f", file(512, 10, 0));
    assertThrows(IOException.class, b::build);
  }

  @Test
  void emptyIndexesRead() throws IOException {
    // the smallest legal counts: the root entry alone, no strings, pairs, rows or extras
    LayerIndex none = reread(bytesOf(new LayerIndexBuilder().build()));
    assertEquals(1, none.size());
    assertEquals(1, none.dirTableSize());
    assertEquals("", none.diffId());
    assertEquals(0, none.blobLength());
    assertEquals(0, none.dataRows());
    assertEquals(-1, none.dataRow(0));
    assertEquals("?", none.pathOfData(0));
    assertFalse(none.hasSeveralNames(0));
    // a pool holding nothing but the DiffID
    Digest d = Digest.sha256(new byte[0]);
    LayerIndex named = reread(bytesOf(new LayerIndexBuilder().build(new ChunkSums(), d, 1024)));
    assertEquals(d.toString(), named.diffId());
    assertEquals(1024, named.blobLength());
  }

  @Test
  void shortFilesAreTruncatedIndexes() throws IOException {
    byte[] good = bytesOf(new LayerIndexBuilder().build());
    // below a header and a checksum: nothing to read; from there the header's total decides
    assertRefused(Arrays.copyOf(good, LayerIndex.HEADER_SIZE + 3),
        "truncated layer index (" + (LayerIndex.HEADER_SIZE + 3) + " bytes)");
    assertRefused(Arrays.copyOf(good, LayerIndex.HEADER_SIZE + 4),
        "truncated or padded layer index (header says " + good.length + " bytes, file has "
            + (LayerIndex.HEADER_SIZE + 4) + ")");
  }

  @Test
  void badHeaderCountsAreRefused() throws IOException {
    Digest d = Digest.sha256(new byte[] {1});
    byte[] good = bytesOf(new LayerIndexBuilder().build(new ChunkSums(), d, 1024));
    int poolLen = (int) ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(40);
    String corrupt = "corrupt layer index header";
    // int fields: entries, dirs, strings, pairs, unresolved links, rows, sums, DiffID at, length
    for (int at : new int[] {12, 16}) {
      assertRefused(resealed(good, b -> b.putInt(at, 0)), corrupt);
    }
    for (int at : new int[] {20, 24, 28, 56, 60, 72, 76}) {
      assertRefused(resealed(good, b -> b.putInt(at, -1)), corrupt);
    }
    // long fields: extras, pool, blob length
    for (int at : new int[] {32, 40, 64}) {
      assertRefused(resealed(good, b -> b.putLong(at, -1)), corrupt);
    }
    assertRefused(resealed(good, b -> b.putInt(72, 1)), corrupt);
    assertRefused(resealed(good, b -> b.putInt(76, poolLen + 1)), corrupt);
    // counts that are legal alone but do not fit the file
    assertRefused(resealed(good, b -> b.putInt(20, 1)), "sections do not add up");
    assertRefused(resealed(good, b -> b.putLong(32, 8)), "sections do not add up");
    assertRefused(resealed(good, b -> b.putLong(48, good.length + 8)), "header says");
  }

  @Test
  void badDataRowsAreRefused() throws IOException {
    byte[] x = new byte[CHUNK + 1];
    byte[] tar = new TestTars().file("a", x, 0644).file("b", "bb").bytes();
    byte[] good = bytesOf(TarIndexer.index(new ByteArrayInputStream(tar), null,
        Limits.DEFAULTS));
    int rows = dataBase(good);
    long aAt = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(rows);
    assertEquals(2, reread(good).dataRows());
    // the second row starting inside the first, before it, an empty row, a row past the blob
    assertRefused(resealed(good, b -> b.putLong(rows + 24, aAt + CHUNK)), "corrupt data row 1");
    assertRefused(resealed(good, b -> b.putLong(rows + 24, aAt - 1)), "corrupt data row 1");
    assertRefused(resealed(good, b -> b.putLong(rows + 8, 0)), "corrupt data row 0");
    assertRefused(resealed(good, b -> b.putLong(rows + 8, -5)), "corrupt data row 0");
    assertRefused(resealed(good, b -> b.putLong(rows + 24 + 8, tar.length)), "data row 1");
    // checksums: the second row's first one, and the total
    assertRefused(resealed(good, b -> b.putInt(rows + 24 + 16, 1)), "corrupt data row 1");
    assertRefused(resealed(good, b -> b.putInt(rows + 16, 1)), "corrupt data row 0");
    // rows that agree with each other, but one checksum short of the header's count
    assertRefused(resealed(good, b -> b.putLong(rows + 8, CHUNK).putInt(rows + 24 + 16, 1)),
        "checksum count");
  }
}
