package io.layerfs.core.overlay;

import io.layerfs.core.content.BlobWriter;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

/**
 * The metadata files of a container: {@code meta.snap}, the compacted state (magic, version
 * {@value #VERSION}, generation, container id, length, CRC32C), and {@code meta.log}, a header
 * (magic, version, generation, container id, CRC32C) and the CRC32C-framed records appended
 * since, copied into a shared memory mapping so that they outlive a killed process without a
 * system call each. The generations tie the two together: a log continues the snapshot of its
 * own generation, and one generation behind the snapshot is a log already compacted into it. The
 * container id (from {@code container.json}; zeros for none) ties both to their container: a
 * file carrying another id is another container's, however well it reads. Only an incomplete
 * last record is a torn append; anything else that does not read is corruption, an {@code
 * IOException} naming the file and the byte offset (formats and guarantees in the package
 * documentation).
 *
 * <p>Thread-safe: appends are serialized by this object's monitor (the last lock in the
 * container's lock order).
 */
public final class MetaLog implements Closeable {
  static final String LOG = "meta.log";
  static final String SNAP = "meta.snap";
  static final String DATA = "data";
  private static final long SNAP_MAGIC = 0x4c46534d45544131L; // "LFSMETA1"
  private static final long LOG_MAGIC = 0x4c46534d4c4f4731L; // "LFSMLOG1"
  /** The version of both files (and of the ops they hold) written. */
  static final int VERSION = 5;
  /** The first version whose headers carry the container id. */
  static final int ID_VERSION = 4;
  /**
   * The oldest version read: version 2 lacks only the {@code IMAGE_KEY} op, version 3 only the
   * container id, version 4 only the {@code KEPT_IMAGE_KEY} op, so their files read as they are
   * (a writer compacts them into the current version as it opens them).
   */
  static final int OLDEST_VERSION = 2;
  /** magic, version, generation, container id, CRC32C of the 36 bytes before it. */
  static final int HEADER = 40;
  /** A log header before version 4: magic, version, generation, CRC32C. */
  private static final int OLD_HEADER = 24;
  /** magic, version, generation, container id, length, CRC32C. */
  private static final int SNAP_HEADER = 44;
  private static final int OLD_SNAP_HEADER = 28;
  private static final UUID NO_ID = new UUID(0, 0);
  private static final int MAX_RECORD = 64 << 20;

  /** How far the file and its mapping grow ahead of the last record. */
  static final int GROW = 1 << 20;
  private static final int PAGE = 4096;
  private static final byte[] ZEROS = new byte[64 << 10];
  private static final Set<StandardOpenOption> CREATE_EMPTY = Set.of(StandardOpenOption.CREATE,
      StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);

  /**
   * Opens the channels of the metadata files and of their directory (to force it): the seam
   * through which tests see the forces that make them durable, as {@link #wrapChannel} is for
   * the open log.
   */
  interface Opener {
    FileChannel open(Path p, Set<? extends OpenOption> options) throws IOException;
  }

  /** The files as they are. A class, not a method reference: one is spun on first use. */
  static final Opener FILES = new Opener() {
    @Override
    public FileChannel open(Path p, Set<? extends OpenOption> options) throws IOException {
      return FileChannel.open(p, options);
    }
  };

  private final Path file;
  /** The id this log's headers carry, or null for none. */
  private final UUID id;
  private FileChannel channel;
  private long generation;
  /** The logical end: where the next record goes. */
  private long end;
  /** The mapped window {@code [mapStart, mapStart + map.capacity())} of the file, or null. */
  private MappedByteBuffer map;
  private long mapStart;
  /** The file's size: zeros from {@link #end} on. */
  private long size;
  /** Why no record may be appended any more (a compaction that stopped half way), or null. */
  private String unusable;

  private MetaLog(Path file, UUID id, FileChannel channel, long generation, long end)
      throws IOException {
    this.file = file;
    this.id = id;
    this.channel = channel;
    this.generation = generation;
    this.end = end;
    this.size = channel.size();
  }

  // ------------------------------------------------------------------------------- loading

  /**
   * What a container's metadata files hold: the snapshot's payload (or null), the log records to
   * replay after it, and where a writer continues.
   */
  static final class State {
    byte[] snapshot;
    /** The generation a writer logs in: the snapshot's (0 without one). */
    long generation;
    final List<byte[]> records = new ArrayList<>();
    /** Byte offset in {@code meta.log} of each record of {@link #records}. */
    final List<Long> offsets = new ArrayList<>();
    /** The container id the snapshot carries, or null (none, or an older version). */
    UUID snapshotId;
    /** The container id the log's header carries, or null (none, or an older version). */
    UUID logId;
    /** The log's version ({@link #VERSION} when there is none yet). */
    int logVersion = VERSION;
    /** Whether {@code meta.log} exists. */
    boolean logExists;
    /** The log is one generation behind the snapshot: compacted, but not emptied yet. */
    boolean logCompacted;
    /** The end of the intact records: where a writer cuts a torn tail. */
    long logEnd = HEADER;
    /** Byte offset of the first corrupt record, or -1. */
    long corruptAt = -1;
    /** Every problem found; a container with any does not open. */
    final List<String> problems = new ArrayList<>();

    /**
     * Whether a writer must rewrite both files as it opens them: they are of an older version,
     * or lack the container id {@code id} (null: none expected).
     */
    boolean outdated(UUID id) {
      if (!logExists) {
        return false; // a new log is written in the current version, with the id
      }
      return logVersion < VERSION || (id != null && (logId == null
          || (snapshot != null && snapshotId == null)));
    }
  }

  /**
   * Reads the snapshot and the log of the container in {@code dir}.
   *
   * @throws IOException naming the file (and the byte offset) of the first problem found: a
   *     corrupt or missing file the other requires, or a log that does not continue the snapshot
   */
  static State load(Path dir) throws IOException {
    return load(dir, null);
  }

  /**
   * {@link #load(Path)} for the container whose record carries {@code idOrNull}: a file that
   * carries another id is a problem (null: the record has none, as an older layerfs wrote it).
   */
  static State load(Path dir, UUID idOrNull) throws IOException {
    State s = scan(dir, idOrNull);
    if (!s.problems.isEmpty()) {
      throw new IOException(String.join("; ", s.problems));
    }
    return s;
  }

  /** Reads the snapshot and the log as {@link #load} does, listing problems instead. */
  static State scan(Path dir) throws IOException {
    return scan(dir, null, WHOLE_FILES);
  }

  /** {@link #scan(Path)} for the container whose record carries {@code idOrNull}. */
  static State scan(Path dir, UUID idOrNull) throws IOException {
    return scan(dir, idOrNull, WHOLE_FILES);
  }

  /** Reads a metadata file whole. */
  interface Reader {
    byte[] read(Path p) throws IOException;
  }

  /** Reads with {@code Files.readAllBytes}; a class, as {@link #FILES} is. */
  private static final Reader WHOLE_FILES = new Reader() {
    @Override
    public byte[] read(Path p) throws IOException {
      return Files.readAllBytes(p);
    }
  };

  /**
   * {@link #scan(Path)}, reading files with {@code files}: the seam through which a test lets a
   * writer compact between the reads of the snapshot and of the log.
   */
  static State scan(Path dir, Reader files) throws IOException {
    return scan(dir, null, files);
  }

  private static State scan(Path dir, UUID idOrNull, Reader files) throws IOException {
    State s = null;
    // a writer may compact between reading the snapshot and the log: then read both again, up to
    // three times in all (a writer compacting that often is not waited for)
    for (int attempt = 0; attempt < 3; attempt++) {
      s = scanOnce(dir, idOrNull, files);
      if (s.problems.isEmpty() ? !compactedSince(dir, s) : !snapshotChanged(dir, s, files)) {
        return s;
      }
    }
    return s;
  }

  /**
   * Whether {@code dir} holds a container's writable layer: its log, snapshot or data directory,
   * which only a container that was opened for writing has.
   */
  public static boolean hasUpperLayer(Path dir) {
    return Files.exists(dir.resolve(LOG)) || Files.exists(dir.resolve(SNAP))
        || Files.exists(dir.resolve(DATA));
  }

  private static State scanOnce(Path dir, UUID idOrNull, Reader files) throws IOException {
    State s = new State();
    Path snapPath = dir.resolve(SNAP);
    Path logPath = dir.resolve(LOG);
    long snapGeneration = 0;
    try {
      readSnapshot(snapPath, s, files);
      snapGeneration = s.generation;
      String foreign = foreign("container snapshot " + snapPath, s.snapshotId, idOrNull);
      if (foreign != null) {
        throw new SnapshotException(foreign);
      }
    } catch (SnapshotException e) {
      s.problems.add(e.getMessage());
      s.snapshot = null;
      s.snapshotId = null;
    }
    byte[] log;
    try {
      log = files.read(logPath);
    } catch (NoSuchFileException e) {
      log = null;
    } catch (IOException e) {
      s.problems.add("container metadata log " + logPath + " does not read: " + e.getMessage());
      return s;
    }
    if (log == null) {
      if (Files.exists(snapPath)) {
        s.problems.add("container metadata log " + logPath + " is missing, but the snapshot "
            + snapPath + " exists: records logged after it may be lost");
      } else if (Files.isDirectory(dir.resolve(DATA))) {
        s.problems.add("container metadata log " + logPath + " and snapshot " + snapPath
            + " are missing, but the container has been written (" + dir.resolve(DATA)
            + " exists)");
      }
      return s;
    }
    s.logExists = true;
    ByteBuffer b = ByteBuffer.wrap(log);
    if (log.length < OLD_HEADER || b.getLong(0) != LOG_MAGIC) {
      s.problems.add("corrupt container metadata log " + logPath + " at byte offset 0: no "
          + "header (a zeroed or damaged file, or one of an older layerfs)");
      return s;
    }
    int version = b.getInt(8);
    if (version < OLDEST_VERSION || version > VERSION) {
      s.problems.add("unsupported container metadata log version " + version + " (this layerfs "
          + "reads " + OLDEST_VERSION + " to " + VERSION + "): " + logPath);
      return s;
    }
    int header = version >= ID_VERSION ? HEADER : OLD_HEADER;
    if (log.length < header || crc(log, 0, header - 4) != b.getInt(header - 4)) {
      s.problems.add("corrupt container metadata log " + logPath + " at byte offset 0: header "
          + "checksum");
      return s;
    }
    s.logVersion = version;
    s.logEnd = header;
    if (version >= ID_VERSION) {
      s.logId = id(b.getLong(20), b.getLong(28));
    }
    String foreign = foreign("container metadata log " + logPath, s.logId, idOrNull);
    if (foreign != null) {
      s.problems.add(foreign);
      return s;
    }
    long logGeneration = b.getLong(12);
    boolean haveSnap = s.snapshot != null || Files.exists(snapPath);
    if (logGeneration == snapGeneration - 1 && haveSnap) {
      s.logCompacted = true; // compaction stopped before emptying the log: its records are in
      return s;
    }
    if (logGeneration != snapGeneration) {
      s.problems.add(haveSnap
          ? "container metadata log " + logPath + " (generation " + logGeneration + ") does not "
              + "continue the snapshot " + snapPath + " (generation " + snapGeneration + ")"
          : "container snapshot " + snapPath + " is missing: the metadata log " + logPath
              + " continues one of generation " + logGeneration);
      return s;
    }
    if (s.snapshot != null && !Objects.equals(s.snapshotId, s.logId)) {
      // a log continues only its own container's snapshot: the ids of both are written together
      s.problems.add("container metadata log " + logPath + " (" + idName(s.logId) + ") does not "
          + "belong with the snapshot " + snapPath + " (" + idName(s.snapshotId) + "): one of "
          + "them is another container's");
      return s;
    }
    readRecords(log, logPath, s, header);
    return s;
  }

  /**
   * Why {@code what}, carrying {@code found}, is another container's file than the one whose
   * record carries {@code expected}; null if it is not (or either has no id).
   */
  private static String foreign(String what, UUID found, UUID expected) {
    if (found == null || expected == null || found.equals(expected)) {
      return null;
    }
    return what + " belongs to another container (id " + found + "), not to this one (id "
        + expected + " in its container.json): copied from another container?";
  }

  private static String idName(UUID id) {
    return id == null ? "no container id" : "container id " + id;
  }

  /** The id of a header's two longs: null for zeros. */
  private static UUID id(long most, long least) {
    UUID id = new UUID(most, least);
    return id.equals(NO_ID) ? null : id;
  }

  /**
   * Whether a compaction replaced the snapshot since {@code s} read it, though the log read after
   * raised no problem: one that a writer empties has no records for a moment under the old
   * generation's header, which would read as the old snapshot with nothing since (one header).
   */
  private static boolean compactedSince(Path dir, State s) {
    return snapshotGeneration(dir) != s.generation;
  }

  private static boolean snapshotChanged(Path dir, State s, Reader files) throws IOException {
    State again = new State();
    try {
      readSnapshot(dir.resolve(SNAP), again, files);
    } catch (SnapshotException e) {
      return false;
    }
    return again.generation != s.generation;
  }

  /**
   * Reads the records after the header: they end at the first record that is empty (the zeros
   * past the end), too long, short or fails its checksum; that is a torn last append unless an
   * intact record follows it somewhere, which makes it corruption.
   */
  private static void readRecords(byte[] log, Path logPath, State s, int header) {
    ByteBuffer b = ByteBuffer.wrap(log);
    int pos = header;
    while (true) {
      String bad = badRecord(log, b, pos);
      if (bad == null) {
        int len = b.getInt(pos);
        s.records.add(java.util.Arrays.copyOfRange(log, pos + 8, pos + 8 + len));
        s.offsets.add((long) pos);
        pos += 8 + len;
        continue;
      }
      s.logEnd = pos;
      int next = nextIntactRecord(log, b, pos); // pos itself is not
      if (next >= 0) {
        s.corruptAt = pos;
        s.problems.add("corrupt container metadata log " + logPath + " at byte offset " + pos
            + ": " + bad + ", yet an intact record follows at byte offset " + next);
      }
      return;
    }
  }

  /** Why the record at {@code pos} does not read, or null if it is intact. */
  private static String badRecord(byte[] log, ByteBuffer b, int pos) {
    if (log.length - pos < 8) {
      return "the file ends";
    }
    int len = b.getInt(pos);
    if (len == 0) {
      return "no record (length 0)";
    }
    if (len < 0 || len > MAX_RECORD || len > log.length - pos - 8) {
      return "record length " + len + " out of range";
    }
    if (crc(log, pos + 8, len) != b.getInt(pos + 4)) {
      return "checksum mismatch";
    }
    return null;
  }

  /** The offset of the first intact record from {@code from} on, or -1. */
  private static int nextIntactRecord(byte[] log, ByteBuffer b, int from) {
    for (int q = from; q + 8 <= log.length; q++) {
      if (log[q] == 0 && b.getInt(q) == 0) {
        continue; // the zeros past the end, quickly
      }
      if (badRecord(log, b, q) == null) {
        return q;
      }
    }
    return -1;
  }

  /** Thrown for a snapshot that does not read. */
  private static final class SnapshotException extends Exception {
    SnapshotException(String message) {
      super(message);
    }
  }

  /** Reads the snapshot into {@code s}: payload, generation, id; nothing if there is none. */
  private static void readSnapshot(Path p, State s, Reader files)
      throws IOException, SnapshotException {
    byte[] all;
    try {
      all = files.read(p);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      // a directory in its place, an I/O error: the message alone would not say which file
      throw new SnapshotException("container snapshot " + p + " does not read: "
          + e.getMessage());
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    if (all.length < OLD_SNAP_HEADER || b.getLong() != SNAP_MAGIC) {
      throw new SnapshotException("not a layerfs container snapshot: " + p);
    }
    int version = b.getInt();
    if (version < OLDEST_VERSION || version > VERSION) {
      throw new SnapshotException("unsupported container snapshot version " + version
          + " (this layerfs reads " + OLDEST_VERSION + " to " + VERSION
          + "; a container of another layerfs): " + p);
    }
    if (all.length < (version >= ID_VERSION ? SNAP_HEADER : OLD_SNAP_HEADER)) {
      throw new SnapshotException("corrupt container snapshot (length or checksum): " + p);
    }
    long generation = b.getLong();
    UUID id = version >= ID_VERSION ? new UUID(b.getLong(), b.getLong()) : NO_ID;
    int len = b.getInt();
    int crc = b.getInt();
    if (len < 0 || len != b.remaining()
        || snapCrc(generation, version >= ID_VERSION ? id : null, all, b.position(), len)
            != crc) {
      throw new SnapshotException("corrupt container snapshot (length or checksum): " + p);
    }
    if (generation < 1) {
      throw new SnapshotException("corrupt container snapshot (generation " + generation + "): "
          + p);
    }
    s.snapshot = java.util.Arrays.copyOfRange(all, b.position(), all.length);
    s.generation = generation;
    s.snapshotId = id(id.getMostSignificantBits(), id.getLeastSignificantBits());
  }

  /** The records of the log, and in {@code validLength[0]} the end of the intact ones. */
  public static List<byte[]> read(Path dir, long[] validLength) throws IOException {
    State s = load(dir);
    validLength[0] = s.logEnd;
    return s.records;
  }

  // ------------------------------------------------------------------------------- writing

  /**
   * Opens the log of a container loaded as {@code s} for appending: creates it (a new
   * container), empties it into the snapshot's generation (a compacted one), or cuts a torn
   * tail.
   */
  static MetaLog openForAppend(Path dir, State s) throws IOException {
    return openForAppend(dir, s, null, FILES);
  }

  /**
   * {@link #openForAppend(Path, State)} for the container whose record carries {@code idOrNull},
   * which the headers it writes carry.
   */
  static MetaLog openForAppend(Path dir, State s, UUID idOrNull) throws IOException {
    return openForAppend(dir, s, idOrNull, FILES);
  }

  /** {@link #openForAppend(Path, State)}, opening files with {@code files}. */
  static MetaLog openForAppend(Path dir, State s, Opener files) throws IOException {
    return openForAppend(dir, s, null, files);
  }

  private static MetaLog openForAppend(Path dir, State s, UUID idOrNull, Opener files)
      throws IOException {
    Path path = dir.resolve(LOG);
    if (!s.logExists) {
      // written whole, then renamed: a log that exists always has its header
      Path tmp = dir.resolve(LOG + ".tmp");
      try (FileChannel c = files.open(tmp, CREATE_EMPTY)) {
        writeFully(c, header(s.generation, idOrNull), 0);
        c.force(true);
      }
      BlobWriter.move(tmp, path);
      fsyncDirectory(dir, files);
    }
    FileChannel c = files.open(path, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
    MetaLog log = new MetaLog(path, idOrNull, c, s.generation, HEADER);
    try {
      if (s.logCompacted) {
        log.reset(s.generation);
      } else if (c.size() > s.logEnd) {
        c.truncate(s.logEnd);
        c.force(false);
        log.end = s.logEnd;
        log.size = s.logEnd;
      } else {
        log.end = s.logEnd;
      }
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
    return log;
  }

  long generation() {
    return generation;
  }

  /** Where the next record goes: a mark for {@link #compact}. */
  synchronized long end() {
    return end;
  }

  /**
   * Compacts while the container stays open for writing: writes {@code state} (the writer's
   * whole state, taken after {@link #end} was {@code mark}) followed by the records appended
   * since that mark as the next generation's snapshot, then empties the log. Records are appended
   * without the caller's lock (a file's size, logged by the writing thread) and may or may not be
   * in {@code state}; each says a file's whole state, so replaying them after it is harmless, and
   * none is appended meanwhile (this holds the log's monitor). A failure before the snapshot is
   * in place changes nothing; one after leaves the log refusing records (its header is one
   * generation behind the snapshot, so they would not be replayed).
   *
   * @return the snapshot's payload size
   */
  synchronized int compact(Path dir, long mark, byte[] state) throws IOException {
    if (unusable != null) {
      throw new IOException("container metadata log " + file + ": " + unusable);
    }
    ByteBuffer tail = ByteBuffer.allocate((int) (end - mark));
    readFully(channel, tail, mark);
    int records = 0;
    for (int at = 0; at < tail.capacity(); at += 8 + tail.getInt(at)) {
      records++;
    }
    // one array of the snapshot's size (the state may be megabytes): the records' payloads
    // without their length and checksum words, copied after the state
    byte[] payload = Arrays.copyOf(state, state.length + tail.capacity() - 8 * records);
    for (int at = 0, to = state.length; at < tail.capacity(); ) {
      int length = tail.getInt(at);
      System.arraycopy(tail.array(), at + 8, payload, to, length);
      to += length;
      at += 8 + length;
    }
    long next = generation + 1;
    try {
      writeSnapshot(dir, next, id, payload, FILES);
    } catch (IOException e) {
      long found = snapshotGeneration(dir);
      if (found == next || found == -1) { // in place after all, or no telling
        unusable = "its compaction stopped after the snapshot was replaced (" + e.getMessage()
            + ")";
      }
      throw e;
    }
    try {
      reset(next);
    } catch (IOException | RuntimeException e) {
      unusable = "it could not be emptied after a compaction (" + e.getMessage() + ")";
      throw e;
    }
    return payload.length;
  }

  private static void readFully(FileChannel c, ByteBuffer dst, long position) throws IOException {
    for (long p = position; dst.hasRemaining(); ) {
      int r = c.read(dst, p);
      if (r < 0) {
        throw new EOFException("unexpected end of file at byte " + p);
      }
      p += r;
    }
  }

  /**
   * The generation of the snapshot in {@code dir}: 0 where there is none, -1 where it does not
   * read.
   */
  private static long snapshotGeneration(Path dir) {
    try (FileChannel c = FileChannel.open(dir.resolve(SNAP))) {
      ByteBuffer b = ByteBuffer.allocate(20);
      readFully(c, b, 0);
      return b.getLong(0) == SNAP_MAGIC ? b.getLong(12) : -1;
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      return -1;
    }
  }

  /** Whether no record was appended since the log was last emptied (or since it was opened). */
  synchronized boolean isEmpty() {
    return end == HEADER;
  }

  /** Replaces the channel by {@code wrapper}'s view of it (see {@link UpperLayer#wrapChannels}). */
  synchronized void wrapChannel(UnaryOperator<FileChannel> wrapper) {
    channel = wrapper.apply(channel);
  }

  /**
   * Makes sure the next {@code bytes} can be appended without growing the file, growing it now
   * if not: a full disk fails here, before the change to be logged touches anything.
   */
  synchronized void reserve(int bytes) throws IOException {
    if (map == null || end + bytes > mapStart + map.capacity()) {
      remap(bytes);
    }
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
    if (unusable != null) {
      throw new IOException("container metadata log " + file + " takes no more records: "
          + unusable + "; close and reopen the container");
    }
    int need = 8 + length;
    if (map == null || end + need > mapStart + map.capacity()) {
      remap(need);
    }
    int at = (int) (end - mapStart);
    // payload and checksum first, the length last: a record is whole before its length is set,
    // so a killed process leaves at most a last record without its length
    map.put(at + 8, payload, 0, length);
    map.putInt(at + 4, crc(payload, 0, length));
    VarHandle.storeStoreFence();
    map.putInt(at, length);
    end += need;
  }

  /** Maps a window from the page of {@link #end} to {@code need} bytes and {@link #GROW} on. */
  private void remap(int need) throws IOException {
    long start = end - end % PAGE;
    long windowEnd = end + need + GROW;
    if (windowEnd - start > Integer.MAX_VALUE) {
      throw new IOException("container metadata record too large: " + need + " bytes");
    }
    ByteBuffer zeros = ByteBuffer.wrap(ZEROS);
    try {
      for (long p = size; p < windowEnd; ) {
        zeros.clear().limit((int) Math.min(ZEROS.length, windowEnd - p));
        p += channel.write(zeros, p);
      }
    } catch (IOException e) {
      throw new IOException("cannot grow the container metadata log " + file + ": "
          + e.getMessage(), e);
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

  /**
   * Empties the log into {@code newGeneration}, once a snapshot of that generation holding its
   * records is durable. Until the header is rewritten the old one says "already compacted".
   */
  synchronized void reset(long newGeneration) throws IOException {
    // the old mapping is never touched again: it would fault past the new end of the file
    map = null;
    channel.truncate(HEADER);
    writeFully(channel, header(newGeneration, id), 0);
    channel.force(false);
    generation = newGeneration;
    end = HEADER;
    size = HEADER;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }

  /** Replaces the snapshot atomically and durably. */
  static void writeSnapshot(Path dir, long generation, byte[] payload) throws IOException {
    writeSnapshot(dir, generation, null, payload, FILES);
  }

  /** {@link #writeSnapshot(Path, long, byte[])}, opening files with {@code files}. */
  static void writeSnapshot(Path dir, long generation, byte[] payload, Opener files)
      throws IOException {
    writeSnapshot(dir, generation, null, payload, files);
  }

  /**
   * {@link #writeSnapshot(Path, long, byte[])} carrying the container id {@code idOrNull}, and
   * opening files with {@code files}.
   */
  static void writeSnapshot(Path dir, long generation, UUID idOrNull, byte[] payload,
      Opener files) throws IOException {
    Path tmp = dir.resolve(SNAP + ".tmp");
    UUID id = idOrNull == null ? NO_ID : idOrNull;
    ByteBuffer b = ByteBuffer.allocate(SNAP_HEADER + payload.length);
    b.putLong(SNAP_MAGIC).putInt(VERSION).putLong(generation)
        .putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits())
        .putInt(payload.length).putInt(snapCrc(generation, id, payload, 0, payload.length))
        .put(payload).flip();
    try {
      try (FileChannel c = files.open(tmp, CREATE_EMPTY)) {
        writeFully(c, b, 0);
        c.force(true);
      }
    } catch (IOException e) {
      Files.deleteIfExists(tmp); // a full disk: give its space back
      throw e;
    }
    BlobWriter.move(tmp, dir.resolve(SNAP));
    fsyncDirectory(dir, files);
  }

  /** Forces {@code dir}, so that a rename into it survives a crash of the machine. */
  private static void fsyncDirectory(Path dir, Opener files) throws IOException {
    try (FileChannel d = files.open(dir, Set.of(StandardOpenOption.READ))) {
      d.force(true);
    }
  }

  private static ByteBuffer header(long generation, UUID idOrNull) {
    UUID id = idOrNull == null ? NO_ID : idOrNull;
    ByteBuffer h = ByteBuffer.allocate(HEADER);
    h.putLong(LOG_MAGIC).putInt(VERSION).putLong(generation)
        .putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    h.putInt(crc(h.array(), 0, HEADER - 4));
    return h.flip();
  }

  private static void writeFully(FileChannel c, ByteBuffer b, long position) throws IOException {
    long p = position;
    while (b.hasRemaining()) {
      p += c.write(b, p);
    }
  }

  /** The snapshot's checksum: of generation, id (null: version 3, none) and payload. */
  private static int snapCrc(long generation, UUID id, byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(ByteBuffer.allocate(8).putLong(0, generation));
    if (id != null) {
      c.update(ByteBuffer.allocate(16).putLong(0, id.getMostSignificantBits())
          .putLong(8, id.getLeastSignificantBits()));
    }
    c.update(b, off, len);
    return (int) c.getValue();
  }

  private static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }
}
