package io.layerfs.core.lazy;

import io.layerfs.core.RangedBlob;
import io.layerfs.core.Digest;
import io.layerfs.core.content.BlobMismatchException;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

/**
 * The bytes of a remote blob fetched so far, kept in the store: a sparse file of the blob's size
 * ({@value #DATA}) holding every range fetched at its own offset, and the list of those ranges
 * with the CRC32C of each of their pieces ({@value #RANGES}, see {@link RangeList}; replaced by
 * a rename once {@value #SAVE_STEP} bytes were fetched since it was last saved, and when the blob
 * is closed; not forced: after a machine crash it may name bytes that never reached the disk,
 * which the pieces' checks refuse and fetch again), in the blob's folder under {@code
 * layerfs/lazy/}. The list only spares later processes a fetch, so it is not saved after each
 * one: a save, a new file and a rename, took 1-2 ms on a busy ext4, and a first read deep in a
 * gzip layer fetches a dozen blocks. Reads are served from the file where it has the bytes and
 * fetched from the remote blob where it does not. What the remote sent cannot be verified before
 * the whole blob is here (its readers check what they can: chunk digests, gzip CRCs, the
 * DiffID), but what the disk gives back is: each fetched range is kept as pieces that never
 * cross a multiple of {@value #PIECE} bytes, with the CRC32C of each piece taken as it was
 * written, and a read checks every piece it touches before it serves a byte of it (the last
 * piece checked is kept in memory, so a stream read in small buffers checks each piece once). A
 * piece that fails its check is dropped and fetched again; if the fresh copy fails too, the read
 * fails naming the blob, the bytes and the file, and never serves the damaged bytes. {@link
 * #complete} checks the whole blob against its digest before it becomes a blob of the store;
 * when bytes held before it started fail that check, it fetches again the pieces that fail their
 * sums, and if that is not enough drops them all and fetches the blob once more, so damage on
 * disk heals from the remote. A partial blob is not a blob: gc and fsck know the folder as lazy
 * state.
 *
 * <p>Whatever drops held bytes ({@link #forget}, {@link #discard}) counts it in {@link #drops}:
 * the copy fetched next may differ from the dropped one (the registry sent a wrong byte and
 * sends the right one now), so what a reader derived from the dropped bytes in this process (an
 * inflated prefix, tar entries found, a search's probes, a lookup's answers) is no longer known
 * to be the blob's. Readers note the count when they derive something and drop it when the
 * count has moved. A completion that verifies without dropping anything leaves it alone: the
 * bytes read were the blob's.
 *
 * <p>Thread-safe: the monitor guards the lists of held ranges and of ranges being fetched, never
 * a fetch itself, so a reader inflates held bytes while a {@link #prefetch} brings the next ones,
 * and two readers of different ranges fetch in parallel; a reader of a range another thread is
 * fetching waits for it rather than asking twice. A range is published (added to the held list,
 * saved) only once all its bytes are written. One completion runs at a time, fetching step by
 * step so reads interleave.
 */
public final class PartialBlob implements RangedBlob {
  static final String DATA = "blob.part";
  static final String RANGES = "ranges";
  /** How much a stepwise {@link #complete(ContentStore, BooleanSupplier)} fetches at once. */
  static final long STEP = 4L << 20;
  /** Bytes fetched after which the ranges list is saved (see the class comment). */
  static final long SAVE_STEP = 4L << 20;
  /** Held ranges are checked in pieces that never cross a multiple of this (64 KiB). */
  static final int PIECE = 1 << 16;

  private final Path dir;
  private final RangedBlob remote;
  private final long size;
  // the partial file; the store's blob once complete
  private volatile FileChannel data;
  // start -> end of each fetched range, merged and disjoint: the union of the pieces
  // @GuardedBy("this")
  private final TreeMap<Long, Long> ranges = new TreeMap<>();
  // start -> each held piece with its checksum, disjoint, none crossing a multiple of PIECE
  // @GuardedBy("this")
  private final TreeMap<Long, RangeList.Piece> pieces = new TreeMap<>();
  // the piece a read checked last, so a stream read in small buffers checks each piece once
  // @GuardedBy("this")
  private Checked lastChecked;
  private final AtomicLong fetched = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  // start -> end of each range a thread is fetching outside the monitor, disjoint
  // @GuardedBy("this")
  private final TreeMap<Long, Long> inFlight = new TreeMap<>();
  // bumped by discard: a fetch started before it publishes nothing
  // @GuardedBy("this")
  private long generation;
  // bumped whenever held bytes are dropped (forget, discard), under the monitor: see drops()
  private volatile long drops;
  // bytes published since the ranges list was last saved
  // @GuardedBy("this")
  private long unsaved;
  // @GuardedBy("this")
  private boolean published;
  // @GuardedBy("this")
  private boolean closed;
  // one completion at a time; readers never take it
  private final ReentrantLock completion = new ReentrantLock();

  private PartialBlob(Path dir, RangedBlob remote, long size, FileChannel data) {
    this.dir = dir;
    this.remote = remote;
    this.size = size;
    this.data = data;
  }

  /** Opens (or starts) the partial copy of {@code remote} in {@code dir}. */
  static PartialBlob open(Path dir, RangedBlob remote, long size) throws IOException {
    Files.createDirectories(dir);
    FileChannel ch = FileChannel.open(dir.resolve(DATA), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    PartialBlob p = new PartialBlob(dir, remote, size, ch);
    try {
      p.loadRanges();
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return p;
  }

  @Override
  public Digest digest() {
    return remote.digest();
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public String origin() {
    return remote.origin();
  }

  /**
   * Bytes fetched from the remote blob by this instance, counted once the fetches under way
   * (a {@link #prefetch} a read left running, say) have ended, so they are in the count.
   */
  public synchronized long fetchedBytes() {
    while (!inFlight.isEmpty()) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break; // the count so far
      }
    }
    return fetched.get();
  }

  /** Range requests made by this instance. */
  public long requests() {
    return requests.get();
  }

  /**
   * How many times held bytes were dropped (a check failed, or the blob was discarded): what a
   * reader derived from held bytes while it was lower may not be what the blob holds now. It
   * never moves once the blob is stored.
   */
  long drops() {
    return drops;
  }

  /** Bytes of the blob held locally. */
  public synchronized long localBytes() {
    long n = 0;
    for (var e : ranges.entrySet()) {
      n += e.getValue() - e.getKey();
    }
    return n;
  }

  @Override
  public InputStream open(long offset, long length) throws IOException {
    long end = length < 0 ? size : offset + length;
    if (offset < 0 || end > size || offset > end) {
      throw new IOException("range " + offset + "-" + end + " is outside blob " + digest()
          + " of " + size + " bytes");
    }
    ensure(offset, end);
    return new CheckedStream(offset, end);
  }

  /** Held bytes, each piece checked against its CRC32C before a byte of it is served. */
  private final class CheckedStream extends InputStream {
    private long pos;
    private final long end;

    CheckedStream(long pos, long end) {
      this.pos = pos;
      this.end = end;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      if (pos >= end) {
        return -1;
      }
      int want = (int) Math.min(len, end - pos);
      Checked piece = checked(pos, end);
      int n;
      if (piece == null) { // the store's blob, verified whole
        n = readData(ByteBuffer.wrap(b, off, want), pos);
        if (n < 0) {
          throw new IOException("blob " + digest() + " ends before byte " + pos);
        }
      } else {
        n = (int) Math.min(want, piece.end() - pos);
        System.arraycopy(piece.bytes(), (int) (pos - piece.start()), b, off, n);
      }
      pos += n;
      return n;
    }

    @Override
    public long skip(long n) {
      long k = Math.max(0, Math.min(n, end - pos));
      pos += k;
      return k;
    }
  }

  /** A held piece's bytes, read and checked while the blob was at {@code generation}. */
  private record Checked(long start, long end, byte[] bytes, long generation) {}

  /**
   * The checked bytes of the held piece at {@code pos}, or null once the blob is stored (its
   * file was verified whole). A piece whose bytes fail its checksum is dropped and fetched again
   * (with what else {@code [pos, streamEnd)} lacks); a second failure is an error.
   */
  private Checked checked(long pos, long streamEnd) throws IOException {
    IOException damage = null;
    while (true) {
      long start;
      RangeList.Piece piece;
      long seen;
      synchronized (this) {
        if (published) {
          return null;
        }
        Checked last = lastChecked;
        if (last != null && last.generation() == generation && last.start() <= pos
            && pos < last.end()) {
          return last;
        }
        var e = pieces.floorEntry(pos);
        if (e == null || e.getValue().end() <= pos) {
          start = -1;
          piece = null;
        } else {
          start = e.getKey();
          piece = e.getValue();
        }
        seen = generation;
      }
      if (piece == null) {
        ensure(pos, streamEnd); // dropped since the stream's ensure (a check, a discard)
        continue;
      }
      byte[] bytes = new byte[(int) (piece.end() - start)];
      int got = readHeld(bytes, start);
      CRC32C crc = new CRC32C();
      crc.update(bytes, 0, got);
      int actual = (int) crc.getValue();
      synchronized (this) {
        if (pieces.get(start) != piece || seen != generation) {
          continue; // replaced while it was read: look again
        }
        if (got == bytes.length && (!piece.known() || actual == piece.crc())) {
          if (!piece.known()) {
            // from a list written before pieces had sums: trusted on first read, as it was
            pieces.put(start, new RangeList.Piece(piece.end(), actual, true));
            unsaved += bytes.length;
          }
          lastChecked = new Checked(start, piece.end(), bytes, generation);
          return lastChecked;
        }
      }
      IOException now = new IOException("bytes " + start + "-" + piece.end() + " of blob "
          + digest() + " held in " + dir.resolve(DATA) + (got < bytes.length
              ? " end at " + (start + got)
              : " do not match the CRC32C taken when they were fetched (damaged on disk)"));
      if (damage != null) {
        now.addSuppressed(damage);
        throw now;
      }
      damage = now;
      forget(start, piece.end());
      ensure(start, Math.max(piece.end(), streamEnd));
    }
  }

  /** Reads held bytes from {@code position} until {@code dst} is full or the file ends. */
  private int readHeld(byte[] dst, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(dst);
    while (buf.hasRemaining()) {
      if (readData(buf, position + buf.position()) < 0) {
        break;
      }
    }
    return buf.position();
  }

  /**
   * Reads from the current file. {@link #publish} and {@link #discard} close the file a reader
   * may be in the middle of: that read goes on in the file that replaced it (the stored blob
   * holds the same bytes; after a discard, the check of what is read sends it to be fetched).
   */
  private int readData(ByteBuffer dst, long position) throws IOException {
    FileChannel c = data;
    try {
      return c.read(dst, position);
    } catch (ClosedChannelException e) {
      FileChannel now = data;
      if (now == c || Thread.currentThread().isInterrupted()) {
        throw e;
      }
      return now.read(dst, position);
    }
  }

  /**
   * Fetches what is missing of {@code [start, end)}: the parts no other thread is fetching are
   * fetched here, outside the monitor, and the rest is waited for; nothing once the blob is
   * stored.
   */
  void ensure(long start, long end) throws IOException {
    while (true) {
      Claim claim;
      synchronized (this) {
        if (published) {
          return; // the store's verified blob holds every byte
        }
        List<long[]> missing = missing(start, end);
        if (missing.isEmpty()) {
          return;
        }
        if (closed) {
          throw new IOException("partial blob " + digest() + " is closed");
        }
        claim = claim(missing);
        if (claim == null) {
          waitForFetches(); // all of it is on its way: another thread publishes it
          continue;
        }
      }
      fetch(claim, true);
    }
  }

  /**
   * Starts fetching what is missing of {@code [start, end)} on a daemon thread and returns at
   * once, so the caller can work on bytes it has while the next ones arrive: a later {@link
   * #ensure} of those bytes waits for this fetch rather than asking again. A failure is left
   * for that {@code ensure} to meet (it fetches what did not arrive and reports its own error).
   */
  void prefetch(long start, long end) {
    Claim claim;
    synchronized (this) {
      if (closed || published) {
        return;
      }
      claim = claim(missing(start, end));
    }
    if (claim == null) {
      return;
    }
    Thread t = new Thread(() -> {
      try {
        fetch(claim, false);
      } catch (IOException | RuntimeException e) {
        // the reader that needs these bytes fetches them itself and reports what goes wrong
      }
    }, "layerfs-lazy-prefetch-" + digest().hex().substring(0, 12));
    t.setDaemon(true);
    t.start();
  }

  /** What of {@code [start, end)} is neither held nor being fetched. */
  // @GuardedBy("this")
  private List<long[]> missing(long start, long end) {
    List<long[]> missing = new ArrayList<>();
    long at = start;
    var floor = ranges.floorEntry(at);
    if (floor != null && floor.getValue() > at) {
      at = floor.getValue();
    }
    for (var e : ranges.tailMap(at, true).entrySet()) {
      if (at >= end || e.getKey() >= end) {
        break;
      }
      if (e.getKey() > at) {
        missing.add(new long[] {at, e.getKey()});
      }
      at = Math.max(at, e.getValue());
    }
    if (at < end) {
      missing.add(new long[] {at, end});
    }
    return missing;
  }

  /**
   * Marks the parts of {@code missing} no fetch covers as being fetched by the caller; null if
   * every part is already being fetched.
   */
  // @GuardedBy("this")
  private Claim claim(List<long[]> missing) {
    List<long[]> mine = new ArrayList<>();
    for (long[] m : missing) {
      long at = m[0];
      var before = inFlight.floorEntry(at);
      if (before != null && before.getValue() > at) {
        at = before.getValue();
      }
      for (var e : inFlight.tailMap(at, true).entrySet()) {
        if (at >= m[1] || e.getKey() >= m[1]) {
          break;
        }
        if (e.getKey() > at) {
          mine.add(new long[] {at, e.getKey()});
        }
        at = Math.max(at, e.getValue());
      }
      if (at < m[1]) {
        mine.add(new long[] {at, m[1]});
      }
    }
    if (mine.isEmpty()) {
      return null;
    }
    for (long[] m : mine) {
      inFlight.put(m[0], m[1]);
    }
    return new Claim(mine, data, generation);
  }

  // @GuardedBy("this")
  private void waitForFetches() throws IOException {
    try {
      wait();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted waiting for blob " + digest());
    }
  }

  /** Claimed ranges, fetched into {@code into}, valid while the blob's generation is the same. */
  private record Claim(List<long[]> ranges, FileChannel into, long generation) {}

  /** True when every byte of the blob is here. */
  public synchronized boolean isComplete() {
    var first = ranges.firstEntry();
    return size == 0 || (first != null && first.getKey() == 0 && first.getValue() == size);
  }

  /**
   * Fetches what is missing, checks the whole blob against its digest and adds it to {@code
   * store} as a blob; the partial state is then removed.
   *
   * @throws IOException if the remote's bytes do not match the digest (the partial state is
   *     discarded, so the next attempt fetches again)
   */
  void complete(ContentStore store) throws IOException {
    complete(store, () -> false);
  }

  /**
   * {@link #complete(ContentStore)} in steps that readers interleave with: what is missing is
   * fetched {@value #STEP} bytes at a time, outside the monitor as any fetch, and the blob is
   * hashed into the store without it. {@code stop} is asked between steps and
   * between the buffers of the final copy.
   *
   * @return false when {@code stop} ended it early: what was fetched stays, nothing is stored
   */
  boolean complete(ContentStore store, BooleanSupplier stop) throws IOException {
    completion.lock(); // a second completer waits, then finds the blob stored
    try {
      return completeLocked(store, stop);
    } finally {
      completion.unlock();
    }
  }

  private boolean completeLocked(ContentStore store, BooleanSupplier stop) throws IOException {
    // bytes held from before this completion (another process's, an earlier run's) may be what
    // is damaged, on disk or by a crash after the list was saved: a mismatch first fetches again
    // the pieces that fail their sums, then drops everything and fetches the whole blob once
    // more, so only the registry's own bytes can fail it
    boolean heldBefore = localBytes() > 0;
    boolean piecesChecked = false;
    while (true) {
      long[] gap;
      while ((gap = nextMissing(STEP)) != null) {
        if (stop.getAsBoolean()) {
          return false;
        }
        ensure(gap[0], gap[1]);
      }
      try {
        if (!store.contains(digest()) && !storeHeld(store, stop)) {
          return false;
        }
        publish(store);
        return true;
      } catch (Mismatch e) {
        if (!piecesChecked) {
          piecesChecked = true;
          if (forgetDamagedPieces() > 0) {
            continue; // only they are fetched again
          }
        }
        discard();
        if (!heldBefore) {
          throw new IOException("fetched bytes of blob " + digest() + remote.origin()
              + " do not verify: " + e.getMessage(), e.getCause());
        }
        heldBefore = false; // all fetched afresh now
      }
    }
  }

  /** Drops the held pieces whose bytes fail their sums, so they are fetched again; how many. */
  private int forgetDamagedPieces() throws IOException {
    TreeMap<Long, RangeList.Piece> held;
    synchronized (this) {
      held = new TreeMap<>(pieces);
    }
    int damaged = 0;
    for (var e : held.entrySet()) {
      RangeList.Piece p = e.getValue();
      if (!p.known()) {
        continue;
      }
      byte[] bytes = new byte[(int) (p.end() - e.getKey())];
      int got = readHeld(bytes, e.getKey());
      CRC32C crc = new CRC32C();
      crc.update(bytes, 0, got);
      if (got < bytes.length || (int) crc.getValue() != p.crc()) {
        forget(e.getKey(), p.end());
        damaged++;
      }
    }
    return damaged;
  }

  /**
   * Copies the held bytes into {@code store} through a verifying writer; false when {@code stop}
   * ended it (the writer's temp file goes).
   *
   * @throws Mismatch if they do not hash to the digest
   * @throws IOException if they cannot be read or stored (a full disk: the held bytes stay, so a
   *     later completion stores them without fetching again)
   */
  private boolean storeHeld(ContentStore store, BooleanSupplier stop) throws IOException {
    try (BlobWriter writer = store.newWriter(digest(), size)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      for (long pos = 0; pos < size; ) {
        if (stop.getAsBoolean()) {
          return false;
        }
        buf.clear().limit((int) Math.min(buf.capacity(), size - pos));
        int n = data.read(buf, pos);
        if (n < 0) {
          throw new IOException("partial blob " + dir.resolve(DATA) + " is shorter than "
              + "its recorded ranges");
        }
        writer.write(buf.array(), 0, n);
        pos += n;
      }
      // only a wrong size or digest means wrong bytes; a commit's other errors (its last write
      // or fsync on a full disk, the rename) are the store's
      writer.commit(digest(), size);
    } catch (BlobMismatchException e) {
      throw new Mismatch(e);
    } catch (IOException e) {
      throw new IOException("cannot store blob " + digest() + " from " + dir.resolve(DATA)
          + ": " + e.getMessage(), e);
    }
    return true;
  }

  /** The held bytes do not hash to the blob's digest. */
  private static final class Mismatch extends IOException {
    Mismatch(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** The first range not held, at most {@code max} bytes long; null when the blob is whole. */
  private synchronized long[] nextMissing(long max) {
    long at = 0;
    for (var e : ranges.entrySet()) {
      if (e.getKey() > at) {
        break;
      }
      at = Math.max(at, e.getValue());
    }
    if (at >= size) {
      return null;
    }
    var next = ranges.higherEntry(at);
    long end = Math.min(next == null ? size : next.getKey(), at + max);
    return new long[] {at, end};
  }

  /** Readers switch to the store's verified blob; the partial files go. */
  private synchronized void publish(ContentStore store) throws IOException {
    if (published) {
      return;
    }
    FileChannel partial = data;
    // readers still holding this object read the verified blob from now on
    data = FileChannel.open(store.blobPath(digest()), StandardOpenOption.READ);
    published = true;
    generation++; // a fetch still writing into the partial file publishes nothing
    lastChecked = null;
    partial.close();
    Files.deleteIfExists(dir.resolve(RANGES));
    Files.deleteIfExists(dir.resolve(DATA));
  }

  /**
   * Forgets every fetched byte: the partial files are emptied, so reads and the next completion
   * fetch again (open views keep working).
   */
  synchronized void discard() throws IOException {
    data.close();
    generation++;
    drops++;
    ranges.clear();
    pieces.clear();
    lastChecked = null;
    Files.deleteIfExists(dir.resolve(RANGES));
    Files.deleteIfExists(dir.resolve(DATA));
    data = FileChannel.open(dir.resolve(DATA), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  synchronized void close() throws IOException {
    save();
    closed = true;
    data.close();
  }

  /** Saves the ranges list if ranges were fetched since it was last saved. */
  synchronized void save() {
    if (!closed && !published && unsaved > 0) {
      try {
        saveRanges();
      } catch (IOException e) {
        // as after a fetch: the list only spares a later process a fetch
      }
    }
  }

  /**
   * Fetches the claimed ranges outside the monitor, then publishes under it what arrived (a retry
   * fetches the rest) and wakes the threads waiting for it. When the blob was discarded or
   * forgotten meanwhile, nothing is published and, for a reader, its ensure starts over.
   */
  private void fetch(Claim claim, boolean reader) throws IOException {
    List<Fetched> arrived = new ArrayList<>();
    IOException failure = null;
    boolean current = false;
    try {
      for (long[] r : claim.ranges()) {
        if (failure != null) {
          break;
        }
        try {
          fetchInto(claim.into(), r[0], r[1], arrived);
        } catch (IOException e) {
          failure = e; // the pieces written before it are in arrived
        }
      }
    } finally {
      // also after an unchecked exception: the claim must go, or its waiters would wait forever
      synchronized (this) {
        for (long[] r : claim.ranges()) {
          inFlight.remove(r[0]);
        }
        current = claim.generation() == generation && !closed && !published;
        try {
          if (current && !arrived.isEmpty()) {
            for (Fetched f : arrived) {
              pieces.put(f.start(), new RangeList.Piece(f.end(), f.crc(), true));
              add(f.start(), f.end());
              unsaved += f.end() - f.start();
            }
            try {
              if (unsaved >= SAVE_STEP) {
                saveRanges();
              }
            } catch (IOException e) {
              // the list only spares later processes a fetch: this one holds the bytes, and a
              // read that has them is not failed for it (gc may have removed the folder of a
              // blob another process completed)
            }
          }
        } finally {
          notifyAll();
        }
      }
    }
    if (failure != null && (current || !reader)) {
      throw failure instanceof PartialFetch p ? (IOException) p.getCause() : failure;
    }
    // a reader whose claim went stale (a discard closed the file it wrote) starts over
  }

  /** A piece written by a fetch, with the CRC32C of the bytes written. */
  private record Fetched(long start, long end, int crc) {}

  /**
   * Fetches {@code [start, end)} into {@code into}, adding to {@code arrived} each piece as it
   * is written (also those written before a failure: they are held).
   */
  private void fetchInto(FileChannel into, long start, long end, List<Fetched> arrived)
      throws IOException {
    requests.incrementAndGet();
    byte[] buf = new byte[64 << 10];
    long pos = start;
    long pieceStart = start;
    CRC32C crc = new CRC32C();
    try (InputStream in = remote.open(start, end - start)) {
      while (pos < end) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, end - pos));
        if (n < 0) {
          break;
        }
        fetched.addAndGet(n);
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
        while (bb.hasRemaining()) {
          // up to the next multiple of PIECE at most, so a piece never crosses one
          int from = bb.position();
          int upTo = (int) Math.min(n, from + (PIECE - pos % PIECE));
          int w = write(into, bb.duplicate().limit(upTo), pos);
          crc.update(buf, from, w);
          bb.position(from + w);
          pos += w;
          if (pos % PIECE == 0) {
            arrived.add(new Fetched(pieceStart, pos, (int) crc.getValue()));
            crc.reset();
            pieceStart = pos;
          }
        }
      }
    } catch (IOException e) {
      throw new PartialFetch(pos, e);
    } finally {
      if (pos > pieceStart) {
        arrived.add(new Fetched(pieceStart, pos, (int) crc.getValue()));
      }
    }
    if (pos < end) {
      throw new PartialFetch(pos, new IOException("blob " + digest() + " ended at " + pos
          + " while fetching bytes " + start + "-" + end));
    }
  }

  /** Writes fetched bytes; an error (a full disk) names the blob and the file. */
  private int write(FileChannel into, ByteBuffer bytes, long position) throws IOException {
    try {
      return into.write(bytes, position);
    } catch (ClosedChannelException e) {
      throw e; // a discard or publish closed it: the caller starts over, or reads the blob
    } catch (IOException e) {
      throw new IOException("cannot keep fetched bytes of blob " + digest() + " in "
          + dir.resolve(DATA) + ": " + e.getMessage(), e);
    }
  }

  /** A fetch cut off at {@code reached}: what came before it is kept. */
  private static final class PartialFetch extends IOException {
    final long reached;

    PartialFetch(long reached, IOException cause) {
      super(cause.getMessage(), cause);
      this.reached = reached;
    }
  }

  private void add(long start, long end) {
    long s = start;
    long e = end;
    var lower = ranges.floorEntry(s);
    if (lower != null && lower.getValue() >= s) {
      s = lower.getKey();
      e = Math.max(e, lower.getValue());
    }
    var it = ranges.tailMap(s, true).entrySet().iterator();
    while (it.hasNext()) {
      var r = it.next();
      if (r.getKey() > e) {
        break;
      }
      e = Math.max(e, r.getValue());
      it.remove();
    }
    ranges.put(s, e);
  }

  /**
   * The bytes {@code dir}'s partial blob holds as its ranges list says, at most the file's
   * apparent size; 0 when there is no list. What gc reports of a sparse {@value #DATA}: the JDK
   * cannot read its allocated blocks ({@code st_blocks}), and the list names what was written.
   */
  static long heldBytes(Path dir) throws IOException {
    long apparent;
    long held;
    try {
      apparent = Files.size(dir.resolve(DATA));
      held = RangeList.heldBytes(dir.resolve(RANGES));
    } catch (java.nio.file.NoSuchFileException e) {
      return 0;
    }
    return held < 0 ? apparent : Math.min(held, apparent); // a torn list says nothing
  }

  /**
   * What is wrong with the held bytes in {@code dir}, as fsck sees it: a ranges list that does
   * not read (its bytes would be fetched again), each piece whose bytes in {@value #DATA} fail
   * the sum taken when they were fetched. With {@code repair}, such pieces are dropped from the
   * list (a torn list is removed), so they are fetched again. Pieces from a list without sums
   * cannot be checked. An open partial blob of another process may save its list over the
   * repaired one; its reads check the pieces anyway.
   *
   * @return one line per problem, each naming the file and the bytes; empty when all is well
   */
  static List<String> checkHeld(Path dir, long size, boolean repair) throws IOException {
    Path list = dir.resolve(RANGES);
    Path file = dir.resolve(DATA);
    if (!Files.exists(list, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    List<String> problems = new ArrayList<>();
    TreeMap<Long, RangeList.Piece> pieces;
    try {
      pieces = RangeList.parse(Files.readAllLines(list, StandardCharsets.US_ASCII), size);
    } catch (RangeList.Unreadable | IOException e) {
      problems.add(list + " does not read (" + e.getMessage() + "): the bytes it listed are "
          + "fetched again");
      if (repair) {
        deleteTree(list);
      }
      return problems;
    }
    List<Long> damaged = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      for (var e : pieces.entrySet()) {
        RangeList.Piece p = e.getValue();
        if (!p.known()) {
          continue;
        }
        byte[] bytes = new byte[(int) (p.end() - e.getKey())];
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining() && ch.read(buf, e.getKey() + buf.position()) >= 0) {
          // until the piece is read or the file ends
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, buf.position());
        if (buf.hasRemaining() || (int) crc.getValue() != p.crc()) {
          damaged.add(e.getKey());
          problems.add("bytes " + e.getKey() + "-" + p.end() + " held in " + file
              + (buf.hasRemaining() ? " end at " + (e.getKey() + buf.position())
                  : " do not match the CRC32C taken when they were fetched"));
        }
      }
    } catch (IOException e) {
      problems.add(file + " does not read (" + e.getMessage() + "): the bytes " + list
          + " names are fetched again");
      if (repair) {
        deleteTree(list);
      }
      return problems;
    }
    if (repair && !damaged.isEmpty()) {
      damaged.forEach(pieces::remove);
      Path tmp = dir.resolve(RANGES + ".tmp");
      Files.writeString(tmp, RangeList.format(pieces), StandardCharsets.US_ASCII);
      Files.move(tmp, list, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    return problems;
  }

  private static void deleteTree(Path p) throws IOException {
    io.layerfs.core.internal.FileTrees.deleteTree(p);
  }

  private void loadRanges() throws IOException {
    Path file = dir.resolve(RANGES);
    if (!Files.exists(file)) {
      return;
    }
    try {
      pieces.putAll(RangeList.parse(Files.readAllLines(file, StandardCharsets.US_ASCII), size));
    } catch (RangeList.Unreadable | java.nio.charset.CharacterCodingException e) {
      return; // a torn or foreign list: forget it, the bytes are fetched again
    }
    long length = data.size();
    pieces.values().removeIf(p -> p.end() > length); // the file was cut short: fetch the rest
    pieces.forEach((start, p) -> add(start, p.end()));
  }

  /**
   * Drops {@code [start, end)} from what is held (and the rest of the pieces it touches), so the
   * next read fetches it again; nothing
   * once the blob is stored (verified whole: damage there is the store's, which fsck reports,
   * and its file is read-only).
   */
  synchronized void forget(long start, long end) throws IOException {
    if (published) {
      return;
    }
    drops++;
    // a piece is dropped whole: its sum covers all of it
    pieces.entrySet().removeIf(e -> e.getKey() < end && e.getValue().end() > start);
    ranges.clear();
    pieces.forEach((s, p) -> add(s, p.end()));
    lastChecked = null;
    saveRanges();
  }

  private void saveRanges() throws IOException {
    unsaved = 0;
    String sb = RangeList.format(pieces);
    Path tmp = dir.resolve(RANGES + ".tmp");
    try {
      Files.writeString(tmp, sb, StandardCharsets.US_ASCII);
      Files.move(tmp, dir.resolve(RANGES), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new IOException("cannot save the fetched ranges of blob " + digest() + " to "
          + dir.resolve(RANGES) + ": " + e.getMessage(), e);
    }
  }
}
