package io.layerfs.core.lazy;

import io.layerfs.core.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.compress.utils.BoundedArchiveInputStream;

/**
 * The uncompressed tar of a plain gzip layer, inflated only as far as a reader needs. Java's
 * {@code Inflater} can be neither copied nor started at a bit offset, so the checkpoint is the
 * frontier itself: one live inflater at the end of what has been inflated, and the inflated
 * prefix kept in a file of this instance's own in the layer's lazy folder, unlinked as soon as it
 * is open (so two processes reading one layer never write into each other's prefix, and a killed
 * one leaves nothing). Reads behind the frontier are local file reads; reads ahead continue the
 * stream from where it stopped, fetching compressed bytes through the {@link PartialBlob} in
 * blocks that grow as the stream goes on, as the kernel's
 * readahead does: {@value #FIRST_BLOCK} bytes first, twice as many each time after, up to
 * {@value #MAX_BLOCK}. A file near the start costs one small request; one deep in the layer
 * costs a few large ones rather than many small, each a round trip. Once {@value
 * #PREFETCH_AT_PERCENT}% of a block is read, the next is fetched in the background ({@link
 * PartialBlob#prefetch}) while the inflater works through the rest, so a deep read waits for
 * the network about once rather than once a block (fetching a block took about 0.7 times as long
 * as inflating it, on loopback). The price: a read may leave up to the rest of its block and
 * one more block fetched but unread. Nothing starts over within a process; a new process
 * re-inflates the compressed bytes it already holds, locally.
 *
 * <p>Verification: gzip's CRC-32 and length are checked at the end of each member, the DiffID
 * when the stream ends (then the prefix is the whole tar, and {@link #verified} is true). When
 * the stream fails a check, the compressed bytes held are dropped and fetched again and the
 * stream inflated from its start, so damage to {@code blob.part} heals from the remote; a
 * second failure in the same call is the remote's and is reported, its bytes dropped too, so a
 * later read fetches them again (the registry may send them right by then). Bytes before that
 * are served unverified: see SECURITY.md. So a read inflates without hashing (hashing was about
 * a tenth of the CPU time of a first read deep in a layer): the hash reads the prefix file back
 * once the stream ends, or when {@link #inflateAll} starts, and from then on hashes as it
 * inflates.
 *
 * <p>The prefix is what this process inflated from the held compressed bytes, so when any of
 * them are dropped ({@link PartialBlob#drops} moved: a check here or in a completion failed, a
 * piece was damaged on disk) the copy fetched next may differ, and a prefix not yet verified
 * starts over from the stream's start (locally, for what is still held) rather than keep
 * serving what the dropped copy inflated to. {@link #generation} counts those starts, for what
 * is derived from the prefix ({@link LazyTarScan}). A verified prefix is the layer's tar
 * whatever happens to the compressed bytes after.
 *
 * <p>Thread-safe: inflating is serialized; reads of the inflated prefix run in parallel.
 */
final class LazyGzip implements AutoCloseable {
  /** The start of the name of the file that holds the prefix while it has one. */
  static final String PREFIX = "tar.part";
  static final int FIRST_BLOCK = 128 << 10;
  static final int MAX_BLOCK = 1 << 20;
  /** How far into a block, in percent, the next block is asked for. */
  static final int PREFETCH_AT_PERCENT = 25;

  private final PartialBlob blob;
  private final Digest diffId;
  private final Path dir;
  private final FileChannel prefix;
  private final MessageDigest hash;
  // @GuardedBy("this")
  private InputStream inflater;
  private volatile long frontier;
  // how much of the prefix the hash has seen: a read inflates without hashing (its bytes are
  // not verified before the stream ends either way); the hash catches up when the stream ends
  // @GuardedBy("this")
  private long hashed;
  private volatile boolean verified;
  // the blob's drops() when this prefix was started: a move means it may be from bytes dropped
  private volatile long drops;
  // how many times the prefix started over (written under the monitor)
  private volatile long generation;

  LazyGzip(Path dir, PartialBlob blob, Digest diffId) throws IOException {
    this.blob = blob;
    this.diffId = diffId;
    this.dir = dir;
    // this instance's own prefix, in a file unlinked at once: another process reading the same
    // layer inflates it with its own inflater into its own file, so neither truncates nor
    // overwrites what the other reads back unverified, and a killed process leaves nothing
    Path file = Files.createTempFile(dir, PREFIX + "-", ".tmp");
    try {
      this.prefix = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } finally {
      Files.delete(file);
    }
    this.hash = diffId.newMessageDigest();
    this.drops = blob.drops();
  }

  /**
   * How many times the prefix started over from the stream's start (its compressed bytes were
   * dropped): what was derived from it before may not be what it holds now.
   */
  long generation() {
    return generation;
  }

  /** The layer (its compressed blob's digest and origin), for messages. */
  String layer() {
    return blob.digest() + blob.origin();
  }

  /** How many uncompressed bytes are inflated so far. */
  long frontier() {
    return frontier;
  }

  /** True once the whole stream is inflated and its digest is the DiffID. */
  boolean verified() {
    return verified;
  }

  /** The inflated prefix from its start, as far as it reaches now (the whole tar once verified). */
  InputStream openPrefix() {
    return new BoundedArchiveInputStream(0, frontier) {
      @Override
      protected int read(long pos, ByteBuffer buf) throws IOException {
        int n = prefix.read(buf, pos);
        if (n < 0) {
          throw shorter();
        }
        buf.flip(); // the base class reads a single byte back from the buffer
        return n;
      }
    };
  }

  private IOException shorter() {
    return new IOException("inflated prefix of layer " + blob.digest()
        + " is shorter than recorded");
  }

  /**
   * Reads uncompressed bytes at {@code position} into {@code dst}, inflating up to them first;
   * fewer than asked only at the end of the tar, -1 past it.
   */
  int read(long position, ByteBuffer dst) throws IOException {
    long want = position + dst.remaining();
    while (true) {
      long started = generation;
      inflateTo(want);
      long end = Math.min(want, frontier);
      if (position >= end) {
        return dst.hasRemaining() && position >= frontier ? -1 : 0;
      }
      int total = 0;
      ByteBuffer slice = dst.slice().limit((int) (end - position));
      while (slice.hasRemaining()) {
        int n = prefix.read(slice, position + total);
        if (n < 0) {
          throw shorter();
        }
        total += n;
      }
      if (generation == started) {
        dst.position(dst.position() + total);
        return total;
      }
      // another thread started the prefix over while this one read it: read the new one
    }
  }

  /** Inflates to the end of the stream and checks the DiffID. */
  void inflateAll() throws IOException {
    inflate(Long.MAX_VALUE);
  }

  /**
   * Inflates up to uncompressed offset {@code want}, or to the end of the stream if it comes
   * first; returns how far the prefix now reaches towards {@code want}.
   */
  long inflateTo(long want) throws IOException {
    if (frontier < want || stale()) {
      inflate(want);
    }
    return Math.min(want, frontier);
  }

  /** Whether compressed bytes were dropped since the prefix (not verified) was started. */
  private boolean stale() {
    return !verified && blob.drops() != drops;
  }

  /** Starts over in a call at most this often when bytes keep being dropped as it inflates. */
  private static final int MAX_STARTS = 4;

  private synchronized void inflate(long want) throws IOException {
    StreamDamage first = null;
    for (int starts = 0; ; starts++) {
      if (stale()) {
        if (starts >= MAX_STARTS) {
          throw new IOException("compressed bytes of layer " + blob.digest() + blob.origin()
              + " were dropped " + starts + " times while it was inflated");
        }
        startOver();
      }
      try {
        inflateOnce(want);
      } catch (StreamDamage damage) {
        // the held compressed bytes may be damaged (on disk, or listed by a ranges file a crash
        // left ahead of its data), or the registry sent them wrong: drop them all, so the retry
        // (or, after a second failure, a later read) fetches them again from the start
        blob.forget(0, blob.size());
        startOver();
        if (first != null) {
          damage.addSuppressed(first);
          throw damage;
        }
        first = damage;
        continue;
      }
      if (!stale()) {
        return;
      }
      // bytes were dropped while it inflated: some of what it inflated came from them
    }
  }

  /** Forgets the prefix and the live inflater: the next inflation starts at the stream's start. */
  // @GuardedBy("this")
  private void startOver() {
    if (inflater != null) {
      try {
        inflater.close();
      } catch (IOException ignored) {
        // a broken stream: only its native memory is freed here
      }
    }
    inflater = null;
    drops = blob.drops();
    generation++;
    frontier = 0;
    hashed = 0;
    hash.reset();
  }

  /**
   * The stream fails gzip's checks or the DiffID (after the bytes were fetched again): what
   * is derived from the stream gives up rather than try again, which would fetch it again.
   */
  static final class StreamDamage extends IOException {
    StreamDamage(String message, Throwable cause) {
      super(message, cause);
    }
  }

  // @GuardedBy("this")
  private void inflateOnce(long want) throws IOException {
    if (verified || frontier >= want) {
      return;
    }
    if (inflater == null) {
      inflater = new GZIPInputStream(new Sequential(), 16 << 10);
    }
    boolean toTheEnd = want == Long.MAX_VALUE;
    if (toTheEnd) {
      catchUpHash(); // then hash as it inflates: the whole stream is read anyway
    }
    byte[] buf = new byte[64 << 10];
    while (frontier < want) {
      int n;
      try {
        n = inflater.read(buf);
      } catch (ZipException | java.io.EOFException e) {
        throw new StreamDamage("layer " + blob.digest() + blob.origin() + " does not inflate "
            + "at uncompressed offset " + frontier + ": " + e.getMessage(), e);
      }
      if (n < 0) {
        catchUpHash();
        Digest actual = Digest.of(diffId.algorithm(), hash.digest());
        if (!actual.equals(diffId)) {
          throw new StreamDamage("layer " + blob.digest() + blob.origin() + " inflates to "
              + actual + ", not its DiffID " + diffId, null);
        }
        verified = true; // no force: the prefix file is unlinked, it dies with this instance
        return;
      }
      ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
      long at = frontier;
      try {
        while (bb.hasRemaining()) {
          at += prefix.write(bb, at);
        }
      } catch (java.nio.channels.ClosedChannelException e) {
        throw e;
      } catch (IOException e) {
        throw new IOException("cannot keep the inflated prefix of layer " + blob.digest()
            + " in " + dir + ": " + e.getMessage(), e);
      }
      if (toTheEnd && hashed == frontier) {
        hash.update(buf, 0, n);
        hashed = at;
      }
      frontier = at;
    }
  }

  /** Feeds the hash the inflated prefix it has not seen, from the prefix file. */
  // @GuardedBy("this")
  private void catchUpHash() throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    while (hashed < frontier) {
      buf.clear().limit((int) Math.min(buf.capacity(), frontier - hashed));
      int n = prefix.read(buf, hashed);
      if (n < 0) {
        throw shorter();
      }
      hash.update(buf.array(), 0, n);
      hashed += n;
    }
  }

  @Override
  public synchronized void close() throws IOException {
    prefix.close();
  }

  /** The compressed blob front to back, fetched in growing blocks as the inflater asks. */
  private final class Sequential extends InputStream {
    private long pos;
    // the block being read: [blockStart, ensured) is held; the next block's size; whether the
    // next block was asked for
    private long blockStart;
    private long ensured;
    private long block = FIRST_BLOCK;
    private boolean askedNext;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      long size = blob.size();
      if (pos >= size) {
        return -1;
      }
      if (pos >= ensured) {
        blockStart = pos;
        ensured = Math.min(size, pos + block);
        blob.ensure(pos, ensured); // what is missing of the block, or the prefetch of it
        block = Math.min(MAX_BLOCK, block * 2);
        askedNext = false;
      }
      if (!askedNext && pos - blockStart >= (ensured - blockStart) * PREFETCH_AT_PERCENT / 100
          && ensured < size) {
        askedNext = true;
        blob.prefetch(ensured, Math.min(size, ensured + block));
      }
      int n = (int) Math.min(len, ensured - pos);
      try (InputStream in = blob.open(pos, n)) {
        int got = in.readNBytes(b, off, n);
        pos += got;
        return got;
      }
    }

    @Override
    public int available() throws IOException {
      // more than a member's trailer: GZIPInputStream then looks for a following member
      return (int) Math.min(Integer.MAX_VALUE, blob.size() - pos);
    }
  }
}
