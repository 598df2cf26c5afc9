package io.layerfs.core.rootfs;

import io.layerfs.core.EntryType;
import io.layerfs.core.internal.HostFiles;
import io.layerfs.core.internal.NameBytes;
import io.layerfs.core.internal.PathNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The index of one layer tar: every path the layer defines, after applying its entries in order
 * ({@link LayerIndexBuilder}), with its metadata and the offset of its data in the uncompressed
 * tar. Built by {@link TarIndexer}; persisted with {@link #write} and loaded with {@link #read}.
 * The buffer is the same on disk and in memory, read in place; its format (version {@value
 * #VERSION}) is described in the package documentation.
 *
 * <p>Immutable and thread-safe: only absolute reads on the buffer.
 */
public final class LayerIndex {

  static final byte[] MAGIC = "LFSINDEX".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 3;

  /** An index another version of layerfs wrote: not damage, its next use rebuilds it. */
  static final class OtherVersion extends IOException {
    private static final long serialVersionUID = 1L;

    OtherVersion(String message) {
      super(message);
    }
  }
  static final int HEADER_SIZE = 96;
  static final int ENTRY_SIZE = 72;
  static final int DIR_SIZE = 16;
  /** A data row: data offset, size (longs), first chunk checksum, unused (ints). */
  static final int DATA_SIZE = 24;
  static final long ABSENT_TIME = Long.MIN_VALUE;

  /** Type code of a whiteout entry; others are {@link EntryType#code()}s. */
  static final int T_WHITEOUT = 7;
  /** The entry types' codes are 0 to this, exclusive ({@link EntryType#fromCode} says which). */
  private static final int TYPE_CODES = EntryType.values().length;

  private static final int T_DIRECTORY = EntryType.DIRECTORY.code();

  static final int F_IMPLIED = 1;
  static final int F_OPAQUE = 2;
  static final int F_FRESH = 4;

  private final ByteBuffer buf;
  private final Path file;
  private final int entryCount;
  private final int dirCount;
  private final int entriesBase = HEADER_SIZE;
  private final int dirsBase;
  private final int stringsBase;
  private final int pairsBase;
  private final int pairCount;
  private final int dataBase;
  private final int dataCount;
  private final int unresolvedBase;
  private final int unresolvedCount;
  private final int sumsBase;
  private final int sumCount;
  private final long blobLength;
  private final int extrasBase;
  private final int poolBase;
  /** Decoded user/group names (few distinct ones); filled lazily, races are benign. */
  private final String[] strings;
  /** The DiffID of the layer this index belongs to, as a string; "" if built for none. */
  private final String diffId;

  LayerIndex(ByteBuffer buf, Path file) throws IOException {
    this.buf = buf.order(ByteOrder.LITTLE_ENDIAN);
    this.file = file;
    String name = file == null ? "layer index" : file.toString();
    if (buf.capacity() < HEADER_SIZE + 4) {
      throw new IOException(name + ": truncated layer index (" + buf.capacity() + " bytes)");
    }
    byte[] magic = new byte[8];
    buf.get(0, magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new IOException(name + ": not a layerfs layer index (bad magic)");
    }
    int version = buf.getInt(8);
    if (version != VERSION) {
      throw new OtherVersion(name + ": layer index format version " + version + ", expected "
          + VERSION);
    }
    entryCount = buf.getInt(12);
    dirCount = buf.getInt(16);
    int stringCount = buf.getInt(20);
    pairCount = buf.getInt(24);
    unresolvedCount = buf.getInt(28);
    long extrasLen = buf.getLong(32);
    long poolLen = buf.getLong(40);
    long total = buf.getLong(48);
    dataCount = buf.getInt(56);
    sumCount = buf.getInt(60);
    blobLength = buf.getLong(64);
    int diffIdOff = buf.getInt(72);
    int diffIdLen = buf.getInt(76);
    if (total != buf.capacity()) {
      throw new IOException(name + ": truncated or padded layer index (header says " + total
          + " bytes, file has " + buf.capacity() + ")");
    }
    long expect = HEADER_SIZE + (long) entryCount * ENTRY_SIZE + (long) dirCount * DIR_SIZE
        + 8L * stringCount + 8L * pairCount + (long) DATA_SIZE * dataCount
        + 4L * unresolvedCount + 4L * sumCount;
    if (entryCount < 1 || dirCount < 1 || stringCount < 0 || pairCount < 0
        || unresolvedCount < 0 || extrasLen < 0 || poolLen < 0 || dataCount < 0 || sumCount < 0
        || blobLength < 0 || diffIdOff < 0 || diffIdLen < 0 || diffIdOff + diffIdLen > poolLen) {
      throw new IOException(name + ": corrupt layer index header");
    }
    expect = (expect + 7) & ~7L;
    long extrasAt = expect;
    expect += extrasLen + poolLen + 4;
    if (expect != total) {
      throw new IOException(name + ": corrupt layer index header (sections do not add up)");
    }
    CRC32C crc = new CRC32C();
    ByteBuffer body = buf.duplicate().position(0).limit((int) total - 4);
    crc.update(body);
    if ((int) crc.getValue() != buf.getInt((int) total - 4)) {
      throw new IOException(name + ": layer index checksum mismatch (corrupt file)");
    }
    // checked once here, so lookups can trust every code; copied out in blocks as the data rows
    byte[] block = new byte[ENTRY_SIZE * Math.min(entryCount, 1024)];
    for (int first = 0; first < entryCount; first += block.length / ENTRY_SIZE) {
      int n = Math.min(block.length / ENTRY_SIZE, entryCount - first);
      buf.get(entriesBase + first * ENTRY_SIZE, block, 0, n * ENTRY_SIZE);
      for (int i = 0; i < n; i++) {
        int t = block[i * ENTRY_SIZE + 8];
        // a range test first: a cold JVM runs this loop in the interpreter, a call per entry
        if (t != T_WHITEOUT && (t < 0 || t >= TYPE_CODES)) {
          try {
            EntryType.fromCode(t);
          } catch (IllegalArgumentException e) {
            throw new IOException(name + ": entry " + (first + i) + ": " + e.getMessage(), e);
          }
        }
      }
    }
    dirsBase = entriesBase + entryCount * ENTRY_SIZE;
    stringsBase = dirsBase + dirCount * DIR_SIZE;
    pairsBase = stringsBase + stringCount * 8;
    dataBase = pairsBase + pairCount * 8;
    unresolvedBase = dataBase + dataCount * DATA_SIZE;
    sumsBase = unresolvedBase + unresolvedCount * 4;
    extrasBase = (int) extrasAt;
    poolBase = (int) (extrasAt + extrasLen);
    strings = new String[stringCount];
    diffId = poolString(diffIdOff, diffIdLen);
    checkDataRows(name);
  }

  /**
   * Checks once that the data rows are sorted and their checksums in range, as reads trust. The
   * rows are copied out in blocks (a row is three little-endian longs, the first checksum's index
   * in the low half of the third): a bulk copy runs at memory speed even in a cold JVM, where
   * reading each field through the buffer costs a chain of interpreted calls, and every open of
   * an image checks its layers' indexes.
   */
  private void checkDataRows(String name) throws IOException {
    LongBuffer rows = buf.slice(dataBase, dataCount * DATA_SIZE).order(ByteOrder.LITTLE_ENDIAN)
        .asLongBuffer();
    long[] block = new long[3 * Math.min(dataCount, 1024)];
    long lastEnd = 0;
    long nextSum = 0;
    for (int first = 0; first < dataCount; first += block.length / 3) {
      int n = Math.min(block.length / 3, dataCount - first);
      rows.get(3 * first, block, 0, 3 * n);
      for (int i = 0; i < n; i++) {
        long off = block[3 * i];
        long size = block[3 * i + 1];
        if (off < lastEnd || size <= 0 || (int) block[3 * i + 2] != nextSum
            || off + size > blobLength) {
          throw new IOException(name + ": corrupt data row " + (first + i));
        }
        lastEnd = off + size;
        nextSum += (size + ChunkSums.CHUNK - 1) >>> ChunkSums.CHUNK_SHIFT; // chunks(size), inline
      }
    }
    if (nextSum != sumCount) {
      throw new IOException(name + ": corrupt layer index (checksum count)");
    }
  }

  /** Up to this size an index file is read into memory rather than mapped (see {@link #read}). */
  static final long READ_WHOLE_MAX = 1 << 20;

  /**
   * Loads an index written by {@link #write}: read into memory up to {@link #READ_WHOLE_MAX}
   * bytes, memory-mapped read-only above.
   *
   * @throws IOException if the file cannot be read, is truncated, corrupt (checksum, an unknown
   *     type code), or of another format version; the message names the file
   */
  public static LayerIndex read(Path file) throws IOException {
    // read, not mapped, up to READ_WHOLE_MAX: a fresh JVM's first map spins method handle
    // classes (a few ms of a first open); through java.io (see HostFiles)
    byte[] data = HostFiles.read(file, (int) READ_WHOLE_MAX);
    if (data.length <= READ_WHOLE_MAX) {
      return new LayerIndex(ByteBuffer.wrap(data), file);
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE) {
        throw new IOException(file + ": layer index too large (" + size + " bytes)");
      }
      return new LayerIndex(ch.map(FileChannel.MapMode.READ_ONLY, 0, size), file);
    }
  }

  /** Writes the index atomically: a temp file beside {@code file}, fsync, rename, fsync dir. */
  public void write(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".tmp-" + file.getFileName(), ".idx");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer b = buf.duplicate().clear();
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems cannot open or fsync a directory; the rename is still atomic
    }
  }

  /**
   * Approximate memory this index holds, in bytes, for cache weighing: its buffer (heap for a
   * freshly built or small index, a memory mapping otherwise — mapped pages are the page cache's,
   * but they are what keeping the index costs) plus a few objects.
   */
  public long weight() {
    return buf.capacity() + 256L;
  }

  /** The DiffID of the layer this index was built from, as a string ("" if none). */
  String diffId() {
    return diffId;
  }

  /** The length of the uncompressed tar this index was built from. */
  long blobLength() {
    return blobLength;
  }

  /** Number of files with data (distinct inodes), each a data row. */
  int dataRows() {
    return dataCount;
  }

  /** The row of the file whose data starts at {@code dataOffset} in the tar, or -1. */
  int dataRow(long dataOffset) {
    int lo = 0;
    int hi = dataCount - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long v = dataRowOffset(mid);
      if (v < dataOffset) {
        lo = mid + 1;
      } else if (v > dataOffset) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  long dataRowOffset(int row) {
    return buf.getLong(dataBase + row * DATA_SIZE);
  }

  long dataRowSize(int row) {
    return buf.getLong(dataBase + row * DATA_SIZE + 8);
  }

  /** The CRC32C of 64 KiB chunk {@code chunk} of the file of data row {@code row}. */
  int chunkSum(int row, int chunk) {
    int first = buf.getInt(dataBase + row * DATA_SIZE + 16);
    return buf.getInt(sumsBase + 4 * (first + chunk));
  }

  /** A path of the file whose data starts at {@code dataOffset}, for messages; else "?". */
  String pathOfData(long dataOffset) {
    for (int i = 0; i < entryCount; i++) {
      if (typeCode(i) == EntryType.FILE.code() && dataOffset(i) == dataOffset) {
        return path(i);
      }
    }
    return "?";
  }

  /** Number of entries, the root included. */
  public int size() {
    return entryCount;
  }

  /** The file this index was read from, or null. */
  Path file() {
    return file;
  }

  // ------------------------------------------------------------------------------ entry access

  private int e(int i) {
    return entriesBase + i * ENTRY_SIZE;
  }

  /** Entry's last path component ("" for the root). */
  String name(int i) {
    return poolString(buf.getInt(e(i)), buf.getInt(e(i) + 4));
  }

  /** Raw type code: an {@link EntryType#code()} or {@link #T_WHITEOUT}. */
  int typeCode(int i) {
    return buf.get(e(i) + 8);
  }

  boolean isWhiteout(int i) {
    return typeCode(i) == T_WHITEOUT;
  }

  /** Entry type; null for a whiteout. */
  EntryType type(int i) {
    int t = typeCode(i);
    return t == T_WHITEOUT ? null : EntryType.fromCode(t);
  }

  boolean isDirectory(int i) {
    return typeCode(i) == T_DIRECTORY;
  }

  boolean isImplied(int i) {
    return (buf.get(e(i) + 9) & F_IMPLIED) != 0;
  }

  boolean isOpaque(int i) {
    return (buf.get(e(i) + 9) & F_OPAQUE) != 0;
  }

  boolean isFresh(int i) {
    return (buf.get(e(i) + 9) & F_FRESH) != 0;
  }

  int mode(int i) {
    return buf.getShort(e(i) + 10) & 07777;
  }

  int uid(int i) {
    return buf.getInt(e(i) + 12);
  }

  int gid(int i) {
    return buf.getInt(e(i) + 16);
  }

  /** Index of the first entry naming the same inode (itself when it has one name). */
  int inode(int i) {
    return buf.getInt(e(i) + 20);
  }

  long mtimeNanos(int i) {
    return buf.getLong(e(i) + 24);
  }

  long size(int i) {
    return buf.getLong(e(i) + 32);
  }

  long dataOffset(int i) {
    return buf.getLong(e(i) + 40);
  }

  /** Symlink target, or the absolute target path of an unresolved hard link; "" otherwise. */
  String linkTarget(int i) {
    int off = buf.getInt(e(i) + 48);
    return off < 0 ? "" : poolString(off, buf.getInt(e(i) + 52));
  }

  String userName(int i) {
    return string(buf.getInt(e(i) + 56));
  }

  String groupName(int i) {
    return string(buf.getInt(e(i) + 60));
  }

  long atimeNanos(int i) {
    int x = buf.getInt(e(i) + 64);
    return x < 0 ? ABSENT_TIME : buf.getLong(extrasBase + x);
  }

  long ctimeNanos(int i) {
    int x = buf.getInt(e(i) + 64);
    return x < 0 ? ABSENT_TIME : buf.getLong(extrasBase + x + 8);
  }

  int devMajor(int i) {
    int x = buf.getInt(e(i) + 64);
    return x < 0 ? 0 : buf.getInt(extrasBase + x + 16);
  }

  int devMinor(int i) {
    int x = buf.getInt(e(i) + 64);
    return x < 0 ? 0 : buf.getInt(extrasBase + x + 20);
  }

  Map<String, byte[]> xattrs(int i) {
    int x = buf.getInt(e(i) + 64);
    if (x < 0) {
      return Map.of();
    }
    int p = extrasBase + x + 24;
    int n = buf.getInt(p);
    p += 4;
    Map<String, byte[]> m = new LinkedHashMap<>();
    for (int k = 0; k < n; k++) {
      int kl = buf.getInt(p);
      byte[] kb = new byte[kl];
      buf.get(p + 4, kb);
      p += 4 + kl;
      int vl = buf.getInt(p);
      byte[] vb = new byte[vl];
      buf.get(p + 4, vb);
      p += 4 + vl;
      m.put(new String(kb, StandardCharsets.UTF_8), vb);
    }
    return m;
  }

  /** Directory-table index of this directory's children, or -1 if it has none. */
  int childDir(int i) {
    return buf.getInt(e(i) + 68);
  }

  int dirFirst(int d) {
    return buf.getInt(dirsBase + d * DIR_SIZE + 8);
  }

  int dirCount(int d) {
    return buf.getInt(dirsBase + d * DIR_SIZE + 12);
  }

  int dirTableSize() {
    return dirCount;
  }

  String dirPath(int d) {
    int b = dirsBase + d * DIR_SIZE;
    return poolString(buf.getInt(b), buf.getInt(b + 4));
  }

  /** Entries of the unresolved hard links (to a lower layer). */
  int[] unresolvedHardLinks() {
    int[] r = new int[unresolvedCount];
    for (int k = 0; k < unresolvedCount; k++) {
      r[k] = buf.getInt(unresolvedBase + 4 * k);
    }
    return r;
  }

  /** Whether inode {@code inode} has several names in this layer. */
  boolean hasSeveralNames(int inode) {
    if (pairCount == 0) {
      return false;
    }
    int lo = 0;
    int hi = pairCount - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int v = buf.getInt(pairsBase + mid * 8);
      if (v < inode) {
        lo = mid + 1;
      } else if (v > inode) {
        hi = mid - 1;
      } else {
        return true;
      }
    }
    return false;
  }

  /** All entries naming inode {@code inode} if it has several names, else just {@code inode}. */
  int[] namesOfInode(int inode) {
    int lo = 0;
    int hi = pairCount;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (buf.getInt(pairsBase + mid * 8) < inode) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    int end = lo;
    while (end < pairCount && buf.getInt(pairsBase + end * 8) == inode) {
      end++;
    }
    if (end == lo) {
      return new int[] {inode};
    }
    int[] r = new int[end - lo];
    for (int k = lo; k < end; k++) {
      r[k - lo] = buf.getInt(pairsBase + k * 8 + 4);
    }
    return r;
  }

  /** The path of entry {@code i} ("/" for the root). */
  String path(int i) {
    if (i == 0) {
      return "/";
    }
    int lo = 0;
    int hi = dirCount - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (dirFirst(mid) <= i) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return PathNames.child(dirPath(lo), name(i));
  }

  /** Entry index of a normalized absolute path, or -1. */
  int find(String path) {
    if (path.equals("/")) {
      return 0;
    }
    int d = findDir(NameBytes.encode(PathNames.parent(path)));
    return d < 0 ? -1 : findIn(d, NameBytes.encode(PathNames.fileName(path)));
  }

  /** Entry index of child {@code name} of directory entry {@code dirEntry}, or -1. */
  int findChild(int dirEntry, byte[] name) {
    int d = childDir(dirEntry);
    return d < 0 ? -1 : findIn(d, name);
  }

  private int findDir(byte[] path) {
    int lo = 0;
    int hi = dirCount - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int b = dirsBase + mid * DIR_SIZE;
      int c = comparePool(buf.getInt(b), buf.getInt(b + 4), path);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  private int findIn(int d, byte[] name) {
    int lo = dirFirst(d);
    int hi = lo + dirCount(d) - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = comparePool(buf.getInt(e(mid)), buf.getInt(e(mid) + 4), name);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  private int comparePool(int off, int len, byte[] key) {
    int p = poolBase + off;
    int n = Math.min(len, key.length);
    for (int k = 0; k < n; k++) {
      int c = Integer.compare(buf.get(p + k) & 0xff, key[k] & 0xff);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(len, key.length);
  }

  private String string(int id) {
    if (id < 0) {
      return "";
    }
    String s = strings[id];
    if (s == null) {
      int b = stringsBase + id * 8;
      s = poolString(buf.getInt(b), buf.getInt(b + 4));
      strings[id] = s;
    }
    return s;
  }

  private String poolString(int off, int len) {
    byte[] b = new byte[len];
    buf.get(poolBase + off, b);
    return NameBytes.decode(b);
  }

  @Override
  public String toString() {
    return "LayerIndex[" + entryCount + " entries" + (file == null ? "" : ", " + file) + "]";
  }
}
