package io.layerfs.core.overlay;

import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The metadata files of a container: {@code meta.snap}, the compacted state (magic, version
 * {@value #SNAP_VERSION}, length, CRC32C), and {@code meta.log}, the CRC32C-framed records
 * appended since, copied into a shared memory mapping so that they outlive a killed process
 * without a system call each. Replay stops at the first torn record; a snapshot is written to a
 * temp file, forced and renamed before the log is emptied (formats and guarantees in the package
 * documentation).
 *
 * <p>Thread-safe: appends are serialized by this object's monitor (the last lock in the
 * container's lock order).
 */
public final class MetaLog implements Closeable {
  static final String LOG = "meta.log";
  static final String SNAP = "meta.snap";
  private static final long SNAP_MAGIC = 0x4c46534d45544131L; // "LFSMETA1"
  private static final int SNAP_VERSION = 1;
  private static final int MAX_RECORD = 64 << 20;

  /** How far the file and its mapping grow ahead of the last record. */
  static final int GROW = 1 << 20;
  private static final int PAGE = 4096;
  private static final byte[] ZEROS = new byte[64 << 10];

  private final FileChannel channel;
  /** The logical end: where the next record goes. */
  private long end;
  /** The mapped window {@code [mapStart, mapStart + map.capacity())} of the file, or null. */
  private MappedByteBuffer map;
  private long mapStart;
  /** The file's size: zeros from {@link #end} on. */
  private long size;

  private MetaLog(FileChannel channel, long end) throws IOException {
    this.channel = channel;
    this.end = end;
    this.size = channel.size();
  }

  /** Opens the log for appending after {@code validLength} bytes, cutting any torn tail. */
  static MetaLog openForAppend(Path dir, long validLength) throws IOException {
    FileChannel c = FileChannel.open(dir.resolve(LOG), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    if (c.size() > validLength) {
      c.truncate(validLength);
      c.force(false);
    }
    return new MetaLog(c, validLength);
  }

  /** Appends one record; it survives the process at once, and the disk after {@link #sync}. */
  synchronized void append(byte[] payload) throws IOException {
    append(payload, payload.length);
  }

  /** Appends the first {@code length} bytes of {@code payload} as one record. */
  synchronized void append(byte[] payload, int length) throws IOException {
    if (length <= 0) {
      throw new IllegalArgumentException("empty log record");
    }
    int need = 8 + length;
    if (map == null || end + need > mapStart + map.capacity()) {
      remap(need);
    }
    int at = (int) (end - mapStart);
    // payload and checksum first, the length last: a record is whole before its length is set
    map.put(at + 8, payload, 0, length);
    map.putInt(at + 4, crc(payload, 0, length));
    map.putInt(at, length);
    end += need;
  }

  /** Maps a window from the page of {@link #end} holding at least {@code need} more bytes. */
  private void remap(int need) throws IOException {
    long start = end - end % PAGE;
    long want = end + need + GROW;
    long windowEnd = want + (PAGE - want % PAGE) % PAGE;
    if (windowEnd - start > Integer.MAX_VALUE) {
      throw new IOException("container metadata record too large: " + need + " bytes");
    }
    ByteBuffer zeros = ByteBuffer.wrap(ZEROS);
    for (long p = size; p < windowEnd; ) {
      zeros.clear().limit((int) Math.min(ZEROS.length, windowEnd - p));
      p += channel.write(zeros, p);
    }
    size = Math.max(size, windowEnd);
    // the old window's pages stay in the page cache; sync() forces the whole file
    map = channel.map(FileChannel.MapMode.READ_WRITE, start, windowEnd - start);
    mapStart = start;
  }

  /** Forces the records appended so far to the disk. */
  synchronized void sync() throws IOException {
    if (map != null) {
      map.force();
    }
    channel.force(false);
  }

  /** Empties the log (after a snapshot holding its records is durable). */
  synchronized void reset() throws IOException {
    // the old mapping is never touched again: it would fault past the new end of the file
    map = null;
    channel.truncate(0);
    channel.force(false);
    end = 0;
    size = 0;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }

  /** The records of the log, and in {@code validLength[0]} the length of the intact prefix. */
  public static List<byte[]> read(Path dir, long[] validLength) throws IOException {
    List<byte[]> records = new ArrayList<>();
    byte[] all;
    try {
      all = Files.readAllBytes(dir.resolve(LOG));
    } catch (NoSuchFileException e) {
      validLength[0] = 0;
      return records;
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    int pos = 0;
    while (b.remaining() >= 8) {
      int len = b.getInt();
      int crc = b.getInt();
      if (len <= 0 || len > MAX_RECORD || len > b.remaining()) {
        break;
      }
      if (crc(all, b.position(), len) != crc) {
        break;
      }
      byte[] rec = new byte[len];
      b.get(rec);
      records.add(rec);
      pos = b.position();
    }
    validLength[0] = pos;
    return records;
  }

  /** The snapshot's payload, or null when there is none. */
  static byte[] readSnapshot(Path dir) throws IOException {
    Path p = dir.resolve(SNAP);
    byte[] all;
    try {
      all = Files.readAllBytes(p);
    } catch (NoSuchFileException e) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    if (all.length < 20 || b.getLong() != SNAP_MAGIC) {
      throw new IOException("not a layerfs container snapshot: " + p);
    }
    int version = b.getInt();
    if (version != SNAP_VERSION) {
      throw new IOException("unsupported container snapshot version " + version + ": " + p);
    }
    int len = b.getInt();
    int crc = b.getInt();
    if (len < 0 || len != b.remaining() || crc(all, b.position(), len) != crc) {
      throw new IOException("corrupt container snapshot (length or checksum): " + p);
    }
    byte[] payload = new byte[len];
    b.get(payload);
    return payload;
  }

  /** Replaces the snapshot atomically and durably. */
  static void writeSnapshot(Path dir, byte[] payload) throws IOException {
    Path tmp = dir.resolve(SNAP + ".tmp");
    ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
    b.putLong(SNAP_MAGIC).putInt(SNAP_VERSION).putInt(payload.length)
        .putInt(crc(payload, 0, payload.length)).put(payload).flip();
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      while (b.hasRemaining()) {
        c.write(b);
      }
      c.force(true);
    }
    BlobWriter.move(tmp, dir.resolve(SNAP));
    FileTrees.fsyncDirectory(dir);
  }

  private static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }
}
