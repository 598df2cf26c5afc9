package io.layerfs.core.lazy;

import io.layerfs.core.estargz.RawTarReader;
import io.layerfs.core.estargz.Toc;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds entries of a plain gzip layer's tar by reading it front to back only as far as needed:
 * a tar has no table of contents, so an entry is found when its header is inflated. Entries seen
 * are remembered, with where their data starts, so later lookups of them read nothing.
 *
 * <p>A path named twice in one tar is the later entry once the whole tar is read, but the first
 * one while it is not: see the package documentation. Reaching the tar's end, the scan inflates
 * the rest of the stream, so a layer it read whole is verified (or its damage found).
 *
 * <p>What it found is derived from the inflated prefix, so when that starts over ({@link
 * LazyGzip#generation}: compressed bytes it came from were dropped, the registry may have sent
 * them wrong) the scan forgets everything and reads from the start again; a lookup during which
 * the prefix started over is made again, so no answer mixes entries of two copies.
 *
 * <p>Thread-safe: scanning is serialized.
 */
final class LazyTarScan {
  /** An entry seen: its type code, data offset in the tar, size, link target and metadata. */
  record Found(String path, char type, long dataOffset, long size, String link, TarMeta meta) {}

  private final LazyGzip gzip;
  private final Map<String, Found> seen = new HashMap<>();
  private RawTarReader tar;
  private boolean done;
  // the size of the entry whose data is still to be skipped, or -1
  private long skipping = -1;
  // the prefix's generation what was seen is from
  private long generation;

  /** A lookup is made at most this often when the prefix keeps starting over meanwhile. */
  private static final int MAX_TRIES = 4;

  LazyTarScan(LazyGzip gzip) {
    this.gzip = gzip;
    this.generation = gzip.generation();
  }

  /** How far into the tar the scan has read (uncompressed bytes). */
  synchronized long position() {
    current();
    return tar == null ? 0 : tar.offset();
  }

  /** Whether the whole tar has been read. */
  synchronized boolean done() {
    current();
    return done;
  }

  /** Forgets what was seen if the prefix started over since: it may be from other bytes. */
  // @GuardedBy("this")
  private void current() {
    long now = gzip.generation();
    if (now != generation) {
      generation = now;
      seen.clear();
      tar = null;
      done = false;
      skipping = -1;
    }
  }

  /** The entry at {@code path} (cleaned as a TOC name), reading further if needed; or null. */
  synchronized Found find(String path) throws IOException {
    return find(path, Long.MAX_VALUE);
  }

  /**
   * The entry at {@code path}, reading headers only while they start before uncompressed offset
   * {@code bound} and skipping no entry's data past it; null if not found so far (or not in the
   * tar, once {@link #done}).
   */
  synchronized Found find(String path, long bound) throws IOException {
    for (int tries = 1; ; tries++) {
      current();
      long from = generation;
      Found f;
      try {
        f = scan(path, bound);
      } catch (IOException e) {
        if (e instanceof LazyGzip.StreamDamage || gzip.generation() == from
            || tries >= MAX_TRIES) {
          throw e;
        }
        continue; // headers of two copies read as one: look again in the new prefix
      }
      if (gzip.generation() == from) {
        return f;
      }
      if (tries >= MAX_TRIES) {
        throw new IOException("the inflated tar of layer " + gzip.layer() + " started over "
            + tries + " times while '" + path + "' was looked up in it");
      }
      // it started over while this lookup read it: look again in the new prefix
    }
  }

  // @GuardedBy("this")
  private Found scan(String path, long bound) throws IOException {
    String want = Toc.cleanName(path);
    Found f = seen.get(want);
    if (f != null || done) {
      return f;
    }
    if (tar == null) {
      tar = new RawTarReader(new Sequential());
    }
    while (true) {
      if (skipping >= 0) {
        if (tar.offset() + tar.payloadLeft() > bound) {
          return null;
        }
        tar.skipPayload(); // inflated to the prefix file, not read back
        tar.readPadding(skipping);
        skipping = -1;
      }
      if (tar.offset() >= bound) {
        return null;
      }
      RawTarReader.Entry e = tar.next();
      if (e == null) {
        // the tar's end is a few KiB before the stream's: read on to it, so that a layer read
        // whole is checked (gzip's CRC, the DiffID) before what it lacks is concluded from it
        gzip.inflateAll();
        done = true;
        return null;
      }
      long dataOffset = tar.offset();
      skipping = e.size;
      Found found = new Found(Toc.cleanName(e.name), e.type, dataOffset, e.size, e.linkName,
          TarMeta.of(e));
      // a name given twice keeps its first entry, whichever lookup read past both: the answer
      // to a path must not change as later lookups read on
      seen.putIfAbsent(found.path(), found);
      if (found.path().equals(want)) {
        return found;
      }
    }
  }

  /**
   * Whether the tar has an entry strictly under directory {@code cleanDir} (reading it whole
   * first): the directory is there even without an entry of its own.
   */
  synchronized boolean hasUnder(String cleanDir) throws IOException {
    find("\0"); // no name: reads the tar to its end
    String prefix = cleanDir.isEmpty() ? "" : cleanDir + "/";
    for (String name : seen.keySet()) {
      if (name.startsWith(prefix) && name.length() > prefix.length()) {
        return true;
      }
    }
    return false;
  }

  /** The uncompressed tar front to back, through the lazy inflater. */
  private final class Sequential extends InputStream {
    private long pos;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = gzip.read(pos, ByteBuffer.wrap(b, off, len));
      if (n > 0) {
        pos += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      if (n <= 0) {
        return 0;
      }
      long to = gzip.inflateTo(pos + n);
      long skipped = Math.max(0, to - pos);
      pos += skipped;
      return skipped;
    }
  }
}
