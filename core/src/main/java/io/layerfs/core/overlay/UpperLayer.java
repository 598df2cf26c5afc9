package io.layerfs.core.overlay;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.internal.NameBytes;
import io.layerfs.core.rootfs.LayerStore;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The upper layer of a container: its directories and files by id, the root, and their
 * persistence as records of {@code DIR}, {@code FILE}, {@code LINK}, {@code UNLINK} and {@code
 * DROP} ops, each of which assigns state, so a replay over a state that holds it changes nothing
 * (the encoding is in the package documentation).
 *
 * <p>Thread safety: the maps and directory children are guarded by the container's tree lock; a
 * {@link Batch} is made and committed under its write lock. {@link #logFile} is also called by
 * file handles holding no lock, {@link #logFileLocked} by a file holding its own monitor: both
 * append under the log's own lock.
 *
 * <p>Failures: {@link #batch} reserves log space before the caller changes memory, so a full
 * disk fails with nothing changed; a record that still cannot be appended leaves the layer
 * refusing changes and writing no snapshot (see the package documentation).
 */
final class UpperLayer implements Closeable {
  private static final int OP_DIR = 1;
  private static final int OP_FILE = 2;
  private static final int OP_LINK = 3;
  private static final int OP_UNLINK = 4;
  private static final int OP_DROP = 5;
  private static final int OP_IMAGE_KEY = 6;
  /** As {@link #OP_IMAGE_KEY}, for a file or directory that keeps the image entry's key. */
  private static final int OP_KEPT_IMAGE_KEY = 7;
  private static final long ROOT_ID = 0;
  /**
   * Log space reserved before a change touches memory: far more than a record of one operation
   * takes (a few hundred bytes; more only with large extended attributes or chunk bitmaps).
   */
  static final int RESERVE = 256 << 10;
  /**
   * Log bytes a running writer lets grow before it compacts them into the snapshot, unless the
   * snapshot is larger (then its size): every load replays the log (another process's view, the
   * next open), and a writer that runs for days must not fill the disk with it.
   */
  static long COMPACT_AFTER = 256 << 10; // not final: tests make it small
  /**
   * Log bytes per byte of the snapshot before a compaction, past {@link #COMPACT_AFTER}: a
   * compaction rewrites the whole state, so it is paid for by four times as many logged bytes
   * (a load replays at most four times the state's bytes from the log).
   */
  static final long LOG_PER_SNAPSHOT_BYTE = 4;
  private static final Set<StandardOpenOption> TRUNCATE =
      Set.of(StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);

  private final Path dir;
  /** The container's id, which its metadata files carry, or null for none. */
  private final UUID id;
  private final Path dataDir;
  private final boolean readOnly;
  private final LayerStore layers;
  private final List<Layer> imageLayers;
  final Map<Long, UpperDir> dirs = new HashMap<>();
  final Map<Long, UpperFile> files = new HashMap<>();
  private final AtomicLong written = new AtomicLong();
  private final DataFilePool pool = new DataFilePool();
  /** The open data directory, or null before load opens it (and for a transient layer). */
  private DataDirectory data;
  private UpperDir root;
  /** The next entry id; also taken by {@link #dropData} (under a file's monitor alone). */
  private final AtomicLong nextId = new AtomicLong(1);
  /**
   * Ids below this were seen at load: such a pooled data file keeps a name a read-only view
   * loaded earlier may still look up, so a new file renames it to a fresh id first.
   */
  private long loadedBelow;
  private MetaLog log;
  /**
   * The log's end past which the writer compacts while it runs ({@link #compactIfDue}): one
   * {@link #COMPACT_AFTER} past the header, or the snapshot's size where that is more.
   */
  private volatile long compactAt = MetaLog.HEADER + COMPACT_AFTER;
  /** Why a change could not be logged after it changed memory, or null. */
  private volatile String broken;
  /** What tests wrap data channels with ({@link #wrapChannels}), or null for none. */
  private UnaryOperator<FileChannel> dataChannels;

  private UpperLayer(Path dir, UUID id, boolean readOnly, LayerStore layers,
      List<Layer> imageLayers) {
    this.dir = dir;
    this.id = id;
    this.dataDir = dir == null ? null : dir.resolve(MetaLog.DATA);
    this.readOnly = readOnly;
    this.layers = layers;
    this.imageLayers = imageLayers;
  }

  /**
   * Loads the upper layer of the container in {@code dir} (null: a transient, empty, read-only
   * one): the snapshot, then the log records up to a torn last one ({@link MetaLog#load}, which
   * refuses corrupt or inconsistent files). Only then does a writer cut the torn tail, drop data
   * files no file owns (pooling the empty ones, see {@link DataFilePool}) and open the log for
   * appending. Files of an older version, or without the container's {@code id} (null: it has
   * none), are compacted at once into files of the current version carrying it, so that from
   * then on a file of another container is told apart.
   */
  static UpperLayer load(Path dir, UUID id, boolean readOnly, LayerStore layers,
      List<Layer> imageLayers, Node lowerRoot) throws IOException {
    UpperLayer u = new UpperLayer(dir, id, readOnly, layers, imageLayers);
    MetaLog.State state = null;
    if (dir != null) {
      state = MetaLog.load(dir, id);
      u.replay(state);
    }
    u.root = u.dirs.get(ROOT_ID);
    boolean fresh = u.root == null;
    if (fresh) {
      u.root = new UpperDir(ROOT_ID);
      u.root.copyMeta(lowerRoot);
      u.root.lower = "/";
      u.dirs.put(ROOT_ID, u.root);
    }
    u.derive();
    if (dir != null && !readOnly) {
      // the log first: a data directory without a log is a damaged container
      u.log = MetaLog.openForAppend(dir, state, id);
      Files.createDirectories(u.dataDir);
      u.data = DataDirectory.open(u.dataDir);
      u.removeOrphans();
      u.loadedBelow = u.nextId.get();
      u.compactAt = MetaLog.HEADER
          + Math.max(COMPACT_AFTER, LOG_PER_SNAPSHOT_BYTE
              * (state.snapshot == null ? 0 : (long) state.snapshot.length));
      if (state.outdated(id)) {
        u.compact();
      }
      if (fresh) {
        Batch b = u.batch();
        b.dir(u.root);
        u.commit(b);
      }
    }
    return u;
  }

  /**
   * The upper layer {@code state} describes, without its data files, for a check: nothing is
   * opened for writing, unreachable entries are dropped, sizes are as logged.
   */
  static UpperLayer replayed(Path dir, MetaLog.State state) throws IOException {
    UpperLayer u = new UpperLayer(dir, null, true, null, List.of());
    u.replay(state);
    u.root = u.dirs.get(ROOT_ID);
    if (u.root != null) {
      u.dropUnreachable();
    }
    return u;
  }

  private void replay(MetaLog.State state) throws IOException {
    if (state.snapshot != null) {
      apply(state.snapshot, dir.resolve(MetaLog.SNAP), -1);
    }
    for (int i = 0; i < state.records.size(); i++) {
      apply(state.records.get(i), dir.resolve(MetaLog.LOG), state.offsets.get(i));
    }
  }

  /** The container's id its metadata files carry, or null for none. */
  UUID id() {
    return id;
  }

  LayerStore layerStore() {
    return layers;
  }

  boolean readOnly() {
    return readOnly;
  }

  UpperDir root() {
    return root;
  }

  Path dataPath(long id) {
    return dataDir.resolve(Long.toString(id));
  }

  /**
   * Disposes of the data file of file {@code id}, whose last name and user are gone ({@link
   * DataFilePool}); {@code open} is its channel if still open, {@code mapped} whether it was
   * ever mapped.
   */
  void dropData(long id, FileChannel open, boolean mapped) throws IOException {
    // a mapped data file is unlinked, as the host unlinks a deleted file: its mappings keep the
    // old bytes; emptying it would fault them (SIGBUS), reusing it would show another file
    if (mapped || pool.isFull()) {
      if (open != null) {
        open.close();
      }
      if (data != null) {
        data.delete(id);
      } else {
        Files.deleteIfExists(dataPath(id));
      }
      return;
    }
    try (FileChannel c = open != null ? open : openData(id, TRUNCATE)) {
      if (open != null) {
        c.truncate(0);
      }
    } catch (NoSuchFileException e) {
      return; // the file never had data
    }
    // the emptied inode under a name no entry ever had: a read-only view loaded before the
    // deletion looks for the old name and finds none, rather than a later file's bytes; renamed
    // here rather than at the next create, which then costs what a create on the host does
    long fresh = nextId.getAndIncrement();
    if (renameData(id, fresh)) {
      pool.add(fresh);
    }
  }

  /**
   * Whether the data file of {@code id} is still under its own name. A writer renames a deleted
   * file's emptied data file away before a new file takes that inode over (see {@link
   * DataFilePool}), so a read-only view that read through a data file it holds open and still
   * finds the name read the deleted file's bytes, never a later file's.
   */
  boolean dataLinked(long id) throws IOException {
    return data != null ? data.exists(id) : Files.exists(dataPath(id), LinkOption.NOFOLLOW_LINKS);
  }

  /** Opens the data file of {@code id} (relative to the open data directory where possible). */
  FileChannel openData(long id, Set<? extends OpenOption> options) throws IOException {
    FileChannel ch =
        data != null ? data.channel(id, options) : FileChannel.open(dataPath(id), options);
    UnaryOperator<FileChannel> wrapper = dataChannels;
    return wrapper == null ? ch : wrapper.apply(ch);
  }

  /**
   * Puts {@code logWrapper} around the log's channel and {@code dataWrapper} around every data
   * file channel opened from now on: the seam through which tests make writes fail as a full
   * disk does, to check that a failed change leaves nothing half done.
   */
  void wrapChannels(UnaryOperator<FileChannel> logWrapper,
      UnaryOperator<FileChannel> dataWrapper) {
    dataChannels = dataWrapper;
    if (log != null) {
      log.wrapChannel(logWrapper);
    }
  }

  /**
   * Reads exactly {@code len} bytes at {@code position} of the lower file of image layer {@code
   * layer} whose data starts at {@code dataOffset}, verified as image reads are ({@link
   * LayerStore#read}): copy-up and commit never take damaged bytes.
   */
  void readLower(int layer, long dataOffset, ByteBuffer dst, long position, int len)
      throws IOException {
    int oldLimit = dst.limit();
    dst.limit(dst.position() + len);
    try {
      long end = position + len;
      long p = position;
      while (dst.hasRemaining()) {
        int n = layers.read(imageLayers.get(layer), dataOffset, end, dst, p);
        if (n < 0) {
          throw new EOFException("lower file data ends before byte " + end);
        }
        p += n;
      }
    } finally {
      dst.limit(oldLimit);
    }
  }

  /**
   * Maps read-only [position, position + length) of the lower file of image layer {@code layer}
   * at {@code dataOffset}, {@code size} bytes long, verified as image mappings are ({@link
   * LayerStore#map}).
   */
  <T> T mapLower(int layer, long dataOffset, long size, long position, long length,
      FileHandle.Mapper<T> mapper) throws IOException {
    return layers.map(imageLayers.get(layer), dataOffset, size, position, length, mapper);
  }

  void countWritten(long n) {
    written.addAndGet(n);
  }

  long written() {
    return written.get();
  }

  UpperDir newDir() {
    UpperDir d = new UpperDir(nextId.getAndIncrement());
    dirs.put(d.id, d);
    return d;
  }

  UpperFile newFile(EntryType type) {
    long pooled = pool.take();
    if (pooled >= loadedBelow) { // emptied and renamed to a fresh id by this session's dropData
      UpperFile f = new UpperFile(this, pooled, type);
      files.put(f.id, f);
      return f;
    }
    UpperFile f = new UpperFile(this, nextId.getAndIncrement(), type);
    if (pooled >= 0) {
      // pooled at load, under a name a view may know; if the rename fails only an inode is
      // lost: the file makes its data file when first written, the next load handles the old one
      renameData(pooled, f.id);
    }
    files.put(f.id, f);
    return f;
  }

  /**
   * A new record, with log space reserved for it first: a full disk fails here, before the
   * caller changes anything in memory.
   */
  Batch batch() throws IOException {
    reserveLog(RESERVE);
    return new Batch();
  }

  /**
   * Makes sure {@code bytes} more can be logged without growing the log (see {@link
   * MetaLog#reserve}); fails once an earlier change could not be logged.
   */
  void reserveLog(int bytes) throws IOException {
    if (broken != null) {
      throw new IOException("container " + name() + ": an earlier change could not be logged ("
          + broken + "); close and reopen the container");
    }
    if (log != null) {
      log.reserve(bytes);
    }
  }

  void commit(Batch b) throws IOException {
    if (log != null && b.ops > 0) {
      try {
        log.append(b.out.array(), b.out.size());
        logOvertaken(b);
      } catch (IOException | RuntimeException e) {
        // the change is in memory but not in the log (a record larger than the reservation met
        // a full disk): refuse further changes and never compact this memory into a snapshot
        broken = String.valueOf(e.getMessage());
        throw e;
      }
    }
    for (UpperFile f : b.dropped) {
      f.drop();
    }
  }

  /** Forces the metadata logged so far to the disk (a caller forced a file). */
  void sync() throws IOException {
    if (log != null) {
      log.sync();
    }
  }

  /**
   * Logs a file's whole state now (its size or times changed). The record is appended under the
   * file's monitor, as every other record of the file is: two threads logging one file (two
   * handles forced at once, a force beside a truncation) append their states in the order they
   * took them, so the last record replayed after a crash is the file's last state, and none
   * comes after the unlink that dropped it.
   */
  void logFile(UpperFile f) throws IOException {
    synchronized (f) {
      logFileLocked(f);
    }
  }

  /**
   * Logs again each file whose state {@code b} took (an existing file's, as a chmod takes it)
   * where another thread took a record of it since (a handle's force or truncation, which log
   * without the tree's lock): that record may have gone in before {@code b}'s, which would then
   * be the last one of the file replayed after a crash though it is older.
   */
  private void logOvertaken(Batch b) throws IOException {
    if (b.entered != null) {
      logIfOvertaken(b.entered, b.enteredRecords);
      if (b.moreEntered != null) {
        for (Map.Entry<UpperFile, Long> e : b.moreEntered) {
          logIfOvertaken(e.getKey(), e.getValue());
        }
      }
    }
  }

  private void logIfOvertaken(UpperFile f, long recordsTaken) throws IOException {
    synchronized (f) {
      if (f.records != recordsTaken) {
        logFileLocked(f);
      }
    }
  }

  /** The metadata log, or null (a test holds its monitor to hold appends back). */
  MetaLog metaLog() {
    return log;
  }

  /**
   * Logs a file's whole state now; the caller holds the file's monitor, and on a failure puts
   * back the state it changed.
   */
  void logFileLocked(UpperFile f) throws IOException {
    if (log == null || f.isDropped()) {
      return;
    }
    Batch b = new Batch();
    boolean wasDirty = f.dirty;
    b.file(f);
    try {
      log.append(b.out.array(), b.out.size());
    } catch (IOException | RuntimeException e) {
      f.dirty = wasDirty;
      throw e;
    }
  }

  /** The container's name, for messages. */
  String name() {
    return dir == null ? "(transient)" : String.valueOf(dir.getFileName());
  }

  /**
   * Logs the dirty files, compacts everything into the snapshot, empties the log and closes the
   * data files; when nothing changed since the last compaction (an empty log, no dirty file),
   * the snapshot already holds the state and nothing is written. The caller holds the tree's
   * write lock.
   */
  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (UpperFile f : files.values()) {
      try {
        f.closeData();
      } catch (IOException e) {
        failure = e;
      }
    }
    try {
      if (log != null && broken == null && unsaved()) {
        // a full disk fails here: the log keeps every record, and the next open replays it
        compact();
      }
    } finally {
      if (log != null) {
        log.close();
        log = null;
      }
      if (data != null) {
        data.close();
        data = null;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Whether the snapshot lacks part of the state: a record in the log, or a dirty file. */
  private boolean unsaved() {
    if (!log.isEmpty()) {
      return true;
    }
    for (UpperFile f : files.values()) {
      synchronized (f) {
        if (f.dirty) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the log has grown past {@link #compactAt}; cheap, for every change to ask. */
  boolean compactionDue() {
    MetaLog l = log;
    return l != null && broken == null && l.end() >= compactAt;
  }

  /**
   * Compacts the log into the snapshot while the writer runs, if {@link #compactionDue}; the
   * caller holds the tree's write lock, so only a file's own records (its size, logged by a
   * writing thread) come meanwhile, and {@link MetaLog#compact} keeps them. A failure (a full
   * disk) is not the change's: the records stay in the log, and a compaction is tried again
   * once as many more are logged.
   */
  void compactIfDue() {
    if (compactionDue()) {
      compactNow(null); // not a lambda: a fresh JVM spins one at its first use
    }
  }

  /**
   * Compacts as above, due or not; {@code afterStateOrNull} runs once the state is taken (a
   * test's seam).
   */
  void compactNow(Runnable afterStateOrNull) {
    MetaLog l = log;
    try {
      long mark = l.end();
      byte[] state = snapshot();
      if (afterStateOrNull != null) {
        afterStateOrNull.run();
      }
      int bytes = l.compact(dir, mark, state);
      compactAt = MetaLog.HEADER + Math.max(COMPACT_AFTER, LOG_PER_SNAPSHOT_BYTE * bytes);
    } catch (IOException | RuntimeException e) {
      // not the change's failure, which is logged: the log keeps growing until one succeeds
      compactAt = l.end() + COMPACT_AFTER;
    }
  }

  /** Writes the state as the next generation's snapshot, then empties the log into it. */
  private void compact() throws IOException {
    long next = log.generation() + 1;
    MetaLog.writeSnapshot(dir, next, id, snapshot(), MetaLog.FILES);
    log.reset(next);
  }

  private byte[] snapshot() throws IOException {
    Batch b = new Batch();
    for (UpperDir d : dirs.values()) {
      b.dirWithImageKey(d);
    }
    for (UpperFile f : files.values()) {
      synchronized (f) {
        b.fileWithImageKey(f);
      }
    }
    for (UpperDir d : dirs.values()) {
      for (Map.Entry<String, UpperEntry> e : d.children.entrySet()) {
        b.linkOp(d, e.getKey(), e.getValue());
      }
    }
    return b.out.toByteArray();
  }

  // --------------------------------------------------------------------------------- loading

  /**
   * Applies one record read from {@code file} at byte {@code offset} (-1: the snapshot's
   * payload).
   */
  private void apply(byte[] record, Path file, long offset) throws IOException {
    String where = offset < 0 ? file.toString() : file + " at byte offset " + offset;
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(record));
    try {
      while (in.available() > 0) {
        int op = in.readUnsignedByte();
        switch (op) {
          case OP_DIR: {
            long id = in.readLong();
            UpperDir d = dirs.get(id); // not computeIfAbsent: a lambda is spun on first use
            if (d == null) {
              d = new UpperDir(id);
              dirs.put(id, d);
            }
            readMeta(in, d);
            d.lower = in.readBoolean() ? readString(in) : null;
            see(id);
            break;
          }
          case OP_FILE: {
            long id = in.readLong();
            UpperFile f = files.get(id);
            if (f == null) {
              f = new UpperFile(this, id, EntryType.FILE);
              files.put(id, f);
            }
            readMeta(in, f);
            f.type = EntryType.fromCode(in.readUnsignedByte());
            f.linkTarget = readString(in);
            f.devMajor = in.readInt();
            f.devMinor = in.readInt();
            f.size = in.readLong();
            f.originLayer = in.readInt();
            f.originOffset = in.readLong();
            f.originSize = in.readLong();
            f.chunks = BitSet.valueOf(readBytes(in));
            see(id);
            break;
          }
          case OP_LINK: {
            UpperDir parent = dirs.get(in.readLong());
            String name = readString(in);
            long child = in.readLong();
            UpperEntry c = child < 0 ? UpperEntry.WHITEOUT : dirs.get(child);
            if (c == null) {
              c = files.get(child);
            }
            if (parent != null && c != null) {
              parent.children.put(name, c);
            }
            break;
          }
          case OP_UNLINK: {
            UpperDir parent = dirs.get(in.readLong());
            String name = readString(in);
            if (parent != null) {
              parent.children.remove(name);
            }
            break;
          }
          case OP_DROP: {
            long id = in.readLong();
            dirs.remove(id);
            files.remove(id);
            break;
          }
          case OP_IMAGE_KEY, OP_KEPT_IMAGE_KEY: {
            long id = in.readLong();
            long key = in.readLong();
            UpperFile f = files.get(id);
            if (f != null) {
              f.imageKey = key;
              f.keepsImageKey = op == OP_KEPT_IMAGE_KEY;
            } else if (op == OP_KEPT_IMAGE_KEY && dirs.containsKey(id)) {
              dirs.get(id).imageKey = key;
            }
            break;
          }
          default:
            throw new IOException("unknown container metadata operation " + op + " in " + where);
        }
      }
    } catch (EOFException | IndexOutOfBoundsException e) {
      throw new IOException("truncated container metadata record in " + where, e);
    } catch (IllegalArgumentException e) {
      // an unknown type code: a corrupt record, or one of a later format
      throw new IOException("container metadata record in " + where + ": " + e.getMessage(), e);
    }
  }

  private void see(long id) {
    if (id >= nextId.get()) {
      nextId.set(id + 1);
    }
  }

  /** Renames the data file of {@code from} to that of {@code to}; false if that failed. */
  private boolean renameData(long from, long to) {
    try {
      if (data != null) {
        data.rename(from, to);
      } else {
        Files.move(dataPath(from), dataPath(to), StandardCopyOption.ATOMIC_MOVE);
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Link counts from the names; unreachable entries dropped; sizes at least the data's length. */
  private void derive() throws IOException {
    dropUnreachable();
    if (dir == null) {
      return;
    }
    for (UpperFile f : files.values()) {
      if (f.type == EntryType.FILE) {
        Path p = dataPath(f.id);
        if (Files.exists(p)) {
          f.size = Math.max(f.size, Files.size(p));
        }
      }
    }
  }

  /** Link counts from the names; entries no name reaches dropped. */
  private void dropUnreachable() {
    Map<Long, UpperDir> reachableDirs = new HashMap<>();
    ArrayDeque<UpperDir> todo = new ArrayDeque<>();
    todo.add(root);
    reachableDirs.put(root.id, root);
    for (UpperFile f : files.values()) {
      f.nlink = 0;
    }
    while (!todo.isEmpty()) {
      UpperDir d = todo.poll();
      for (UpperEntry e : d.children.values()) {
        if (e instanceof UpperDir) {
          if (reachableDirs.putIfAbsent(e.id, (UpperDir) e) == null) {
            todo.add((UpperDir) e);
          }
        } else if (e instanceof UpperFile) {
          ((UpperFile) e).nlink++;
        }
      }
    }
    dirs.keySet().retainAll(reachableDirs.keySet());
    for (Iterator<UpperFile> it = files.values().iterator(); it.hasNext(); ) {
      if (it.next().nlink == 0) {
        it.remove();
      }
    }
  }

  private void removeOrphans() throws IOException {
    List<Path> orphans = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir.resolve(MetaLog.DATA))) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        long id;
        try {
          id = Long.parseLong(n);
        } catch (NumberFormatException e) {
          continue;
        }
        see(id);
        if (files.containsKey(id)) {
          continue;
        }
        if (!dirs.containsKey(id) && Files.size(p) == 0 && !pool.isFull()) {
          pool.add(id); // emptied by a deletion: reusable (see DataFilePool)
        } else {
          orphans.add(p);
        }
      }
    }
    for (Path p : orphans) {
      Files.deleteIfExists(p);
    }
  }

  private static void readMeta(DataInputStream in, UpperEntry e) throws IOException {
    e.mode = in.readInt();
    e.uid = in.readInt();
    e.gid = in.readInt();
    e.userName = readString(in);
    e.groupName = readString(in);
    e.mtime = in.readLong();
    e.atime = in.readLong();
    e.ctime = in.readLong();
    int n = in.readInt();
    Map<String, byte[]> x = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      x.put(readString(in), readBytes(in));
    }
    e.xattrs = x;
  }

  private static String readString(DataInputStream in) throws IOException {
    return NameBytes.decode(readBytes(in)); // names: the bytes a tar gave them kept
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw new EOFException();
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  // ---------------------------------------------------------------------------------- batches

  /**
   * One record in the making: each method changes the in-memory state and records the change;
   * {@link #commit} appends the record's bytes to the log without a copy. Link counts are kept
   * here: {@link #put} counts a name, {@link #remove} uncounts it and drops what no name reaches,
   * {@link #detach} uncounts it for a rename that puts the entry elsewhere.
   */
  final class Batch {
    private final RecordWriter out = new RecordWriter();
    private final List<UpperFile> dropped = new ArrayList<>();
    /**
     * The file of {@link #entry} (a change enters one, a rename of a hard-linked file perhaps
     * more, kept in {@link #moreEntered}) with its record count once this batch took its state.
     */
    private UpperFile entered;
    private long enteredRecords;
    private List<Map.Entry<UpperFile, Long>> moreEntered;
    private int ops;

    void dir(UpperDir d) {
      out.writeByte(OP_DIR);
      out.writeLong(d.id);
      writeMeta(d);
      out.writeBoolean(d.lower != null);
      if (d.lower != null) {
        writeString(d.lower);
      }
      ops++;
    }

    /** Records a file's state; the caller holds the file's monitor or the tree's write lock. */
    void file(UpperFile f) {
      out.writeByte(OP_FILE);
      out.writeLong(f.id);
      writeMeta(f);
      out.writeByte(f.type.code());
      writeString(f.linkTarget);
      out.writeInt(f.devMajor);
      out.writeInt(f.devMinor);
      out.writeLong(f.size);
      out.writeInt(f.originLayer);
      out.writeLong(f.originOffset);
      out.writeLong(f.originSize);
      writeBytes(f.chunks.toByteArray());
      f.dirty = false;
      f.records++;
      ops++;
    }

    /**
     * Records a whole file, as a copy-up and a snapshot do: its {@code FILE} op, then the image
     * file it was copied up from, if any (its lock identity, its key).
     */
    void fileWithImageKey(UpperFile f) {
      file(f);
      if (f.imageKey != UpperFile.NO_IMAGE_KEY) {
        imageKey(f.keepsImageKey ? OP_KEPT_IMAGE_KEY : OP_IMAGE_KEY, f.id, f.imageKey);
      }
    }

    /**
     * Records a whole directory, as a copy-up and a snapshot do: its {@code DIR} op, then the key
     * of the image directory it was copied up from, if any.
     */
    void dirWithImageKey(UpperDir d) {
      dir(d);
      if (d.imageKey != UpperFile.NO_IMAGE_KEY) {
        imageKey(OP_KEPT_IMAGE_KEY, d.id, d.imageKey);
      }
    }

    private void imageKey(int op, long id, long key) {
      out.writeByte(op);
      out.writeLong(id);
      out.writeLong(key);
      ops++;
    }

    /** Records an entry's metadata (a directory, or a file under its monitor). */
    void entry(UpperEntry e) {
      if (e instanceof UpperDir) {
        dir((UpperDir) e);
      } else {
        UpperFile f = (UpperFile) e;
        synchronized (f) {
          file(f);
          if (entered == null) {
            entered = f;
            enteredRecords = f.records;
          } else {
            if (moreEntered == null) {
              moreEntered = new ArrayList<>();
            }
            moreEntered.add(Map.entry(f, f.records));
          }
        }
      }
    }

    /** Sets {@code parent/name} to {@code child}, dropping what it replaces. */
    void put(UpperDir parent, String name, UpperEntry child) {
      UpperEntry old = parent.children.put(name, child);
      linkOp(parent, name, child);
      if (old != child) {
        if (child instanceof UpperFile) {
          ((UpperFile) child).nlink++;
        }
        release(old);
      }
    }

    /** Removes {@code parent/name}, leaving a whiteout if asked; drops what no name reaches. */
    void remove(UpperDir parent, String name, boolean whiteout) {
      release(unset(parent, name, whiteout));
    }

    /** Removes {@code parent/name} for a rename: the entry is about to be put elsewhere. */
    UpperEntry detach(UpperDir parent, String name, boolean whiteout) {
      UpperEntry old = unset(parent, name, whiteout);
      if (old instanceof UpperFile) {
        ((UpperFile) old).nlink--;
      }
      return old;
    }

    private UpperEntry unset(UpperDir parent, String name, boolean whiteout) {
      UpperEntry old;
      if (whiteout) {
        old = parent.children.put(name, UpperEntry.WHITEOUT);
        linkOp(parent, name, UpperEntry.WHITEOUT);
      } else {
        old = parent.children.remove(name);
        if (old != null) {
          op(OP_UNLINK, parent.id);
          writeString(name);
        }
      }
      return old == UpperEntry.WHITEOUT ? null : old;
    }

    private void release(UpperEntry old) {
      if (old instanceof UpperFile) {
        UpperFile f = (UpperFile) old;
        if (--f.nlink <= 0) {
          files.remove(f.id);
          op(OP_DROP, f.id);
          dropped.add(f);
        }
      } else if (old instanceof UpperDir) {
        UpperDir d = (UpperDir) old;
        dirs.remove(d.id);
        op(OP_DROP, d.id);
        for (UpperEntry c : d.children.values()) {
          release(c);
        }
      }
    }

    /** Files whose last name went: their data files go after the commit. */
    List<UpperFile> dropped() {
      return dropped;
    }

    private void linkOp(UpperDir parent, String name, UpperEntry child) {
      op(OP_LINK, parent.id);
      writeString(name);
      out.writeLong(child == UpperEntry.WHITEOUT ? -1 : child.id);
    }

    private void op(int op, long id) {
      out.writeByte(op);
      out.writeLong(id);
      ops++;
    }

    private void writeMeta(UpperEntry e) {
      out.writeInt(e.mode);
      out.writeInt(e.uid);
      out.writeInt(e.gid);
      writeString(e.userName);
      writeString(e.groupName);
      out.writeLong(e.mtime);
      out.writeLong(e.atime);
      out.writeLong(e.ctime);
      out.writeInt(e.xattrs.size());
      for (Map.Entry<String, byte[]> x : e.xattrs.entrySet()) {
        writeString(x.getKey());
        writeBytes(x.getValue());
      }
    }

    private void writeString(String s) {
      writeBytes(NameBytes.encode(s));
    }

    private void writeBytes(byte[] b) {
      out.writeInt(b.length);
      out.write(b);
    }
  }
}
