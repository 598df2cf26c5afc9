package io.layerfs.core.overlay;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Node;
import io.layerfs.core.internal.Clock;
import io.layerfs.core.internal.PrivateMapping;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.Set;

/**
 * A non-directory of a container's upper layer (an inode: hard links are several names of one
 * object), with its bytes in the data file {@code data/ID}. A file copied up from an image keeps
 * its origin (layer, offset and size of the lower bytes) and a bitmap of the 64 KiB chunks
 * already copied; chunks reach the data file before the record that marks them (see the package
 * documentation for the copy-up and its durability).
 *
 * <p>Thread safety: the data state (size, origin, bitmap, channel) and the metadata fields are
 * guarded by this object's monitor; the container's tree lock is taken before it, the log's lock
 * after it.
 */
public final class UpperFile extends UpperEntry implements PositionalRead {
  static final int CHUNK_SHIFT = 16;
  public static final int CHUNK = 1 << CHUNK_SHIFT;
  /** No image file: an image file's key is a layer and an entry, never negative. */
  static final long NO_IMAGE_KEY = -1;
  private static final Set<StandardOpenOption> READ_ONLY = Set.of(StandardOpenOption.READ);
  private static final Set<StandardOpenOption> READ_WRITE = Set.of(StandardOpenOption.CREATE,
      StandardOpenOption.READ, StandardOpenOption.WRITE);
  /** A data file that must hold bytes already: never created afresh, which would hide a loss. */
  private static final Set<StandardOpenOption> READ_WRITE_EXISTING = Set.of(
      StandardOpenOption.READ, StandardOpenOption.WRITE);

  private final UpperLayer upper;
  EntryType type;
  String linkTarget = "";
  int devMajor;
  int devMinor;
  long size;
  /** Index of the origin layer, or -1 when all bytes are in the data file. */
  int originLayer = -1;
  long originOffset;
  long originSize;
  BitSet chunks = new BitSet();
  /**
   * The {@link Node#fileKey} of the image file this was copied up from, or {@link #NO_IMAGE_KEY}:
   * its locks go through the same lock file as the image file's did, so a lock taken before the
   * copy-up (a handle opened then, another process's view) and one taken after exclude each other.
   */
  long imageKey = NO_IMAGE_KEY;
  /**
   * Whether this file answers to {@link #imageKey} as its {@link #fileKey}: the image gave that
   * file no other name, so this is still the one file, as overlayfs keeps such a file's inode
   * number across its copy-up (the names of an image's hard link part there, so each gets its own).
   */
  boolean keepsImageKey;
  /** Upper names of this file (derived, not persisted). */
  int nlink;
  /** Size or times changed since the last record of this file. */
  boolean dirty;
  /**
   * How many records of its state were taken (guarded by its monitor): a change's batch that took
   * one and finds the count moved when it is logged knows another thread's record may have gone
   * in first (see {@code UpperLayer.commit}).
   */
  long records;
  /**
   * Whether the data file was ever mapped: a mapping outlives its channel and cannot be
   * tracked, so such a data file is unlinked when the file goes, never emptied for reuse.
   */
  private boolean mapped;
  private FileChannel channel;
  private int users;
  private boolean dropped;

  UpperFile(UpperLayer upper, long id, EntryType type) {
    super(id);
    this.upper = upper;
    this.type = type;
  }

  /** Makes this a metacopy of the lower node {@code n}: its metadata, its bytes by reference. */
  void copyUpFrom(Node.Lower n) {
    copyMeta(n);
    type = n.type();
    linkTarget = n.linkTarget();
    devMajor = n.devMajor();
    devMinor = n.devMinor();
    imageKey = n.fileKey();
    keepsImageKey = n.linkCount() == 1;
    if (type == EntryType.FILE) {
      size = n.size();
      if (size > 0) {
        originLayer = n.layer();
        originOffset = n.dataOffset();
        originSize = size;
      }
    } else {
      size = type == EntryType.SYMLINK ? n.size() : 0;
    }
  }

  @Override
  long fileKey() {
    return keepsImageKey ? imageKey : super.fileKey();
  }

  // ------------------------------------------------------------------------------ life cycle

  /** A handle (or an internal operation) starts using the data file. */
  synchronized void acquire() {
    users++;
  }

  /** The matching end of {@link #acquire}: the last user closes the data file. */
  synchronized void release() throws IOException {
    if (users == 0) {
      return; // the container closed the data file already
    }
    if (--users == 0 && channel != null) {
      FileChannel c = channel;
      channel = null;
      if (dropped) {
        upper.dropData(id, c, mapped);
      } else {
        c.close();
      }
    }
  }

  /**
   * The last name is gone: the data file goes (is emptied for reuse, see {@link DataFilePool})
   * when the last user closes it.
   */
  synchronized void drop() throws IOException {
    dropped = true;
    if (users == 0) { // only a writable container deletes
      FileChannel c = channel;
      channel = null;
      upper.dropData(id, c, mapped);
    }
  }

  /** Closes the data file at container close (open handles fail afterwards). */
  synchronized void closeData() throws IOException {
    users = 0;
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }

  synchronized boolean isDropped() {
    return dropped;
  }

  /**
   * The data file's channel, opened (and created when writable) on first use, when it is checked
   * against the logged state: a data file missing or shorter than {@link #dataLength} is a
   * {@link DataFileDamage}, never zeros.
   */
  synchronized FileChannel channel() throws IOException {
    if (channel != null && !channel.isOpen()) {
      channel = null; // closed by an interrupt of a thread using it: the data file is still there
    }
    if (channel == null) {
      long need = dataLength();
      FileChannel c;
      try {
        c = upper.openData(id, upper.readOnly() ? READ_ONLY
            : need > 0 ? READ_WRITE_EXISTING : READ_WRITE);
      } catch (NoSuchFileException e) {
        if (need > 0) {
          throw new DataFileDamage(upper.name(), "data file data/" + id + " is missing, but "
              + "the logged state holds " + need + " bytes in it");
        }
        throw e;
      }
      if (need > 0) {
        long len = c.size(); // one fstat, as the file opens
        if (len < need) {
          c.close();
          throw shorter(len, need);
        }
      }
      channel = c;
    }
    return channel;
  }

  private DataFileDamage shorter(long len, long need) {
    return new DataFileDamage(upper.name(), "data file data/" + id + " is " + len
        + " bytes, shorter than the " + need + " bytes the logged state holds in it"
        + (upper.readOnly() ? " (or the container's writer truncated the file after this "
            + "read-only view loaded)" : ""));
  }

  /**
   * The bytes the data file must hold at least: the size of a file with no lower origin (writes,
   * read-write mappings and copy-ups extend the data file as far as the size); else the end of
   * the highest chunk copied up, and the size where it runs past the origin (appended bytes).
   */
  long dataLength() {
    if (type != EntryType.FILE) {
      return 0;
    }
    if (originLayer < 0) {
      return size;
    }
    int last = chunks.length() - 1;
    long copied = last < 0 ? 0 : Math.min((long) (last + 1) << CHUNK_SHIFT, originSize);
    return size > originSize ? Math.max(copied, size) : copied;
  }

  // ----------------------------------------------------------------------------------- data

  synchronized long size() {
    return size;
  }

  /** Reads at {@code position}; -1 at the end. Chunks not copied up come from the lower layer. */
  @Override
  public synchronized int read(ByteBuffer dst, long position) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (position >= size) {
      return -1;
    }
    int want = (int) Math.min(dst.remaining(), size - position);
    int start = dst.position();
    boolean fromData = false;
    int done = 0;
    while (done < want) {
      long p = position + done;
      long chunkEnd = ((p >>> CHUNK_SHIFT) + 1) << CHUNK_SHIFT;
      int n = (int) Math.min(want - done, chunkEnd - p);
      if (fromLower(p)) {
        int lower = (int) Math.min(n, originSize - p);
        upper.readLower(originLayer, originOffset, dst, p, lower);
        zeros(dst, n - lower);
      } else {
        // a byte of neither the image nor a hole of the data file: dataLength() covers it
        readFully(dst, p, n);
        fromData = true;
      }
      done += n;
    }
    if (fromData && upper.readOnly() && !upper.dataLinked(id)) {
      dst.position(start);
      throw deletedByWriter();
    }
    return done;
  }

  /**
   * A read-only view read through the data file of a file its writer has deleted since: the
   * inode may already hold a new file's bytes, so none are handed out. (The writer's own handles
   * keep a data file from reuse; another process's view cannot.)
   */
  private DataFileDamage deletedByWriter() {
    return new DataFileDamage(upper.name(), "the file was deleted by the container's writer "
        + "after this read-only view loaded (its data file data/" + id + " is gone, perhaps "
        + "taken over by a new file)");
  }

  private boolean fromLower(long p) {
    return originLayer >= 0 && p < originSize && !chunks.get((int) (p >>> CHUNK_SHIFT));
  }

  /**
   * Writes at {@code position}, copying up the lower bytes of the chunks it touches first. The
   * chunks are marked copied, and the size grows, only once their bytes are in the data file and,
   * for marked chunks, the new state is in the log: a failure (a full disk) leaves the file as
   * it was, and the data file no longer than its size.
   *
   * @return the bytes written (all of {@code src})
   */
  synchronized int write(ByteBuffer src, long position) throws IOException {
    int n = src.remaining();
    if (n == 0) {
      return 0;
    }
    BitSet copy = chunksToCopy(position, position + n);
    if (copy != null) {
      upper.reserveLog(UpperLayer.RESERVE); // a full log fails here, before anything is written
    }
    FileChannel c = channel();
    int start = src.position();
    try {
      if (copy != null) {
        copyChunks(copy, position, position + n);
      }
      long p = position;
      while (src.hasRemaining()) {
        p += c.write(src, p);
      }
    } catch (IOException | RuntimeException e) {
      src.position(start);
      trimData(e);
      throw e;
    }
    Saved before = copy != null ? new Saved() : null;
    size = Math.max(size, position + n);
    bytesChanged();
    dirty = true;
    if (copy != null) {
      chunks.or(copy);
      dropFullOrigin();
      try {
        upper.logFileLocked(this);
      } catch (IOException | RuntimeException e) {
        before.restore();
        src.position(start);
        trimData(e);
        throw e;
      }
    }
    upper.countWritten(n);
    return n;
  }

  /** The chunks of [from, to) with lower bytes not copied yet, or null if none. */
  private BitSet chunksToCopy(long from, long to) {
    if (originLayer < 0) {
      return null;
    }
    BitSet copy = null;
    long last = Math.min(to, originSize);
    for (long c = from >>> CHUNK_SHIFT; (c << CHUNK_SHIFT) < last; c++) {
      if (!chunks.get((int) c)) {
        if (copy == null) {
          copy = new BitSet();
        }
        copy.set((int) c);
      }
    }
    return copy;
  }

  /**
   * Copies the lower bytes of the chunks {@code copy} into the data file, except those that the
   * write of [from, to) the caller does next covers whole.
   */
  private void copyChunks(BitSet copy, long from, long to) throws IOException {
    for (int c = copy.nextSetBit(0); c >= 0; c = copy.nextSetBit(c + 1)) {
      long start = (long) c << CHUNK_SHIFT;
      long end = Math.min(start + CHUNK, originSize);
      if (from > start || to < end) {
        copyChunk(start, end);
      }
    }
  }

  private void copyChunk(long start, long end) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) (end - start));
    upper.readLower(originLayer, originOffset, buf, start, buf.remaining());
    buf.flip();
    FileChannel c = channel();
    long p = start;
    while (buf.hasRemaining()) {
      p += c.write(buf, p);
    }
    upper.countWritten(end - start);
  }

  /**
   * After a failed write: cuts what it added past the size, since on reopen a data file longer
   * than the logged size counts as bytes written (an unlogged size after a crash).
   */
  private void trimData(Exception failure) {
    try {
      if (channel != null) {
        channel.truncate(size); // no change unless the data file is longer (the JDK checks)
      }
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  /** The data state and times of this file, to put back when logging a change fails. */
  private final class Saved {
    private final long size = UpperFile.this.size;
    private final int originLayer = UpperFile.this.originLayer;
    private final long originOffset = UpperFile.this.originOffset;
    private final long originSize = UpperFile.this.originSize;
    private final BitSet chunks = (BitSet) UpperFile.this.chunks.clone();
    private final long mtime = UpperFile.this.mtime;
    private final long ctime = UpperFile.this.ctime;
    private final boolean dirty = UpperFile.this.dirty;

    void restore() {
      UpperFile.this.size = size;
      UpperFile.this.originLayer = originLayer;
      UpperFile.this.originOffset = originOffset;
      UpperFile.this.originSize = originSize;
      UpperFile.this.chunks = chunks;
      UpperFile.this.mtime = mtime;
      UpperFile.this.ctime = ctime;
      UpperFile.this.dirty = dirty;
    }
  }

  private void dropFullOrigin() {
    if (originLayer >= 0) {
      int all = (int) ((originSize + CHUNK - 1) >>> CHUNK_SHIFT);
      if (chunks.nextClearBit(0) >= all) {
        originLayer = -1;
        originOffset = 0;
        originSize = 0;
        chunks = new BitSet();
      }
    }
  }

  /**
   * Copies every missing chunk: afterwards all bytes are in the data file. A failure leaves the
   * data file no longer than the size (the origin never runs past it), so nothing needs cutting.
   */
  private void copyAll() throws IOException {
    BitSet copy = chunksToCopy(0, originSize);
    if (copy == null) {
      return;
    }
    upper.reserveLog(UpperLayer.RESERVE);
    copyChunks(copy, 0, 0);
    Saved before = new Saved();
    chunks.or(copy);
    dropFullOrigin();
    try {
      upper.logFileLocked(this);
    } catch (IOException | RuntimeException e) {
      before.restore();
      throw e;
    }
  }

  /**
   * {@link #truncate} where the file is longer than {@code newSize}, as {@code
   * FileChannel.truncate}: checked under the file's monitor, since another thread may have cut
   * the file since the caller looked (a larger size taken for a smaller one would claim bytes
   * the data file no longer holds).
   */
  synchronized void shrink(long newSize) throws IOException {
    if (newSize < size) {
      truncate(newSize);
    }
  }

  /**
   * Sets a size no larger than the file's (the same one: {@code O_TRUNC} of an empty file, which
   * sets its times): logged first (a failure changes nothing), then the data file shrinks.
   */
  synchronized void truncate(long newSize) throws IOException {
    if (newSize > size) {
      throw new IllegalArgumentException("truncate to " + newSize + " bytes of a file of "
          + size);
    }
    upper.reserveLog(UpperLayer.RESERVE);
    FileChannel c = channel();
    Saved before = new Saved();
    if (originLayer >= 0 && newSize < originSize) {
      originSize = newSize;
      chunks.clear((int) ((newSize + CHUNK - 1) >>> CHUNK_SHIFT), Integer.MAX_VALUE);
      if (newSize == 0) {
        originLayer = -1;
        originOffset = 0;
      }
    }
    size = newSize;
    bytesChanged();
    dropFullOrigin();
    try {
      upper.logFileLocked(this);
    } catch (IOException | RuntimeException e) {
      before.restore();
      throw e;
    }
    c.truncate(newSize); // no change unless the data file is longer (the JDK checks)
  }

  /**
   * Streams the bytes to {@code target}, letting the OS copy them where it can: from the data
   * file, once it holds every byte (no origin left; it then ends at the size, see {@link
   * #dataLength}).
   */
  long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    synchronized (this) {
      if (position >= size) {
        return 0; // and an empty file may have no data file
      }
      // a read-only view reads through read(), which checks the data file is still the file's
      if (originLayer < 0 && !upper.readOnly()) {
        return channel().transferTo(position, count, target);
      }
    }
    return PositionalRead.transfer(this, position, count, target);
  }

  /**
   * Maps the data file; in a writable container every mode first copies up the whole file (a
   * mapping needs it all), after which the data file ends at the size (a truncate never extends
   * a file). A read-only container maps without copying up ({@link #mapReadOnly}).
   */
  synchronized <T> T map(FileChannel.MapMode mode, long position, long length,
      FileHandle.Mapper<T> mapper) throws IOException {
    if (upper.readOnly()) {
      return mapReadOnly(mode, position, length, mapper);
    }
    copyAll();
    T b = mapper.map(channel(), mode, position, length);
    mapped = true;
    if (mode == FileChannel.MapMode.READ_WRITE && position + length > size) {
      size = position + length;
      dirty = true;
    }
    if (mode == FileChannel.MapMode.READ_WRITE && length > 0) {
      // writes through the mapping reach the data file unseen: the times change now, as
      // Linux changes them at the first write through a mapping
      bytesChanged();
      dirty = true;
    }
    return b;
  }

  /** The file's bytes changed: its mtime and ctime are now. */
  private void bytesChanged() {
    long now = Clock.nanos();
    mtime = now;
    ctime = now;
  }

  /**
   * A mapping in a read-only container, which cannot copy up: a range whose bytes are all in
   * the image maps the image's bytes, one whose bytes are all in the data file maps the data
   * file, and any other (bytes of both, or an empty range, which may have no data file) maps a
   * private copy of the range as it reads now, in an unlinked temporary file.
   */
  private <T> T mapReadOnly(FileChannel.MapMode mode, long position, long length,
      FileHandle.Mapper<T> mapper) throws IOException {
    if (mode != FileChannel.MapMode.READ_ONLY) {
      throw new NonWritableChannelException();
    }
    long end = position + length;
    if (end > size) { // FileChannelImpl's words for a read-only channel
      throw new IOException("Channel not open for writing - cannot extend file to required size");
    }
    if (length > 0 && originLayer >= 0 && end <= originSize
        && !anyChunkCopied(position, end)) {
      return upper.mapLower(originLayer, originOffset, originSize, position, length, mapper);
    }
    if (length > 0 && !anyFromLower(position, end)) {
      T b = mapper.map(channel(), FileChannel.MapMode.READ_ONLY, position, length);
      mapped = true;
      return b;
    }
    return mapCopy(position, length, mapper);
  }

  /** Whether a chunk holding a byte of [from, to) of the origin is copied up. */
  private boolean anyChunkCopied(long from, long to) {
    int first = (int) (from >>> CHUNK_SHIFT);
    int next = chunks.nextSetBit(first);
    return next >= 0 && (long) next << CHUNK_SHIFT < to;
  }

  /** Whether a byte of [from, to) is still read from the lower layer. */
  private boolean anyFromLower(long from, long to) {
    long last = Math.min(to, originSize);
    if (originLayer < 0 || from >= last) {
      return false;
    }
    return (long) chunks.nextClearBit((int) (from >>> CHUNK_SHIFT)) << CHUNK_SHIFT < last;
  }

  /** Maps a private copy of [position, position + length), as {@link #read} reads it now. */
  private <T> T mapCopy(long position, long length, FileHandle.Mapper<T> mapper)
      throws IOException {
    return PrivateMapping.of(this::read, position, length, mapper);
  }

  /**
   * The channel to lock the file's bytes through: the data file's, or null in a read-only
   * container when the file has no data file (it cannot create one; the handle then locks in
   * the container's table for this process, {@link Overlay#inJvmLockFile}).
   */
  synchronized FileChannel lockChannel() throws IOException {
    try {
      return channel();
    } catch (NoSuchFileException e) {
      if (upper.readOnly()) { // only a file with no bytes in a data file gets here
        return null;
      }
      throw e;
    }
  }

  synchronized void force(boolean metaData) throws IOException {
    if (channel != null) {
      channel.force(metaData);
    }
  }

  // -------------------------------------------------------------------------------- helpers

  /**
   * Reads {@code len} bytes at {@code position} of the data file, which holds them: one that ends
   * before them (cut since it was opened) is damage, never zeros.
   */
  private void readFully(ByteBuffer dst, long position, int len) throws IOException {
    FileChannel c = channel();
    int oldLimit = dst.limit();
    dst.limit(dst.position() + len);
    try {
      long p = position;
      while (dst.hasRemaining()) {
        int r = c.read(dst, p);
        if (r < 0) {
          if (upper.readOnly() && !upper.dataLinked(id)) {
            throw deletedByWriter(); // emptied before it was renamed away
          }
          throw shorter(c.size(), dataLength());
        }
        p += r;
      }
    } finally {
      dst.limit(oldLimit);
    }
  }

  private static void zeros(ByteBuffer dst, int n) {
    for (int i = 0; i < n; i++) {
      dst.put((byte) 0);
    }
  }
}
