package io.layerfs.core.lazy;

import io.layerfs.core.estargz.RawTarReader;
import io.layerfs.core.estargz.Toc;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.DataFormatException;

/**
 * Finds an entry of a plain gzip layer's tar without inflating the stream up to it, when the tar
 * is sorted by name as image tools write it ({@link TarNames}): a binary search over compressed
 * offsets. Each probe
 * finds a deflate block boundary after its offset ({@link DeflateBlockFinder}), inflates from
 * there without the window before it ({@link WindowlessInflation}), and reads the names of the
 * tar headers in the known output; the search goes left or right of the probe by them, and ends
 * with an inflation from a boundary shortly before the entry through it. The first bytes of the
 * probes that may come next (left or right of the current one) and the span of a last probe are
 * fetched ahead ({@link PartialBlob#prefetch}), so that a registry's round trips overlap the
 * inflating.
 *
 * <p>An entry is served only if all of this holds, else {@link #find} answers null and the caller
 * reads from the start as before: its header and every byte of its data are known (none depends
 * on the unknown window); the headers from a chain of valid checksums, the first of each chain
 * ignored (a PAX or long-name header before it may have been missed); the entry before it in the
 * same chain has a name that sorts before it, so it is the first entry of its name in a sorted
 * tar, as a read from the start finds; and every name every probe of this layer saw keeps to one
 * order a tar may be sorted in, by offset, the same for every comparison the search makes (else
 * the layer counts as unsorted, and is never searched again). Absence is not concluded this way:
 * a path the search does not find falls back too.
 *
 * <p>What this cannot check, as a read from the start cannot before the stream ends: that the
 * compressed bytes are the layer's (the digest is checked on completion), and that a tar that
 * looks sorted where probed is sorted everywhere (a path stored twice far apart, or an archive
 * stored inside the layer whose names sort where it lies, could give another entry than a read
 * from the start would).
 *
 * <p>What probes learnt (the first and last names each saw, by offset) is kept for later searches
 * of the same layer in this process, while the compressed bytes it came from are held: when
 * any are dropped ({@link PartialBlob#drops}: a check failed, the registry may have sent them
 * wrong) it is forgotten, and a search during which bytes were dropped answers null. Thread-safe:
 * searches are serialized.
 */
final class GzipSeek {
  /** Compressed bytes scanned for a block boundary at first (then up to {@link #MAX_SCAN}). */
  static final int SCAN = 128 << 10;
  static final int MAX_SCAN = 1 << 20;
  /** Compressed bytes a probe inflates past its boundary, once it has names. */
  static final int PROBE = 64 << 10;
  /** Compressed bytes a probe inflates past its boundary while it has no names yet. */
  static final int EMPTY_PROBE = 1 << 20;
  /** Where the first probe of a layer looks, unless a probe learnt something before. */
  static final int FIRST_PROBE = 2 << 20;
  /** A range this small is inflated through rather than halved again. */
  static final int FINAL_SPAN = 1 << 20;
  /** Compressed bytes fetched at once while a probe inflates: first, and at most (doubling). */
  static final int CHUNK = 64 << 10;
  static final int MAX_CHUNK = 512 << 10;
  /** Compressed bytes fetched at once for the last probe (when its span is larger). */
  static final int LAST_AHEAD = 512 << 10;
  /** Output a probe keeps at most; a file larger than about this is read from the start. */
  static final int MAX_OUTPUT = 32 << 20;
  private static final int MAX_PROBES = 40;

  /** An entry found: type code, link target, data (regular files only), header metadata. */
  record Found(String path, char type, String link, byte[] data, TarMeta meta) {}

  private record Summary(String first, String last, long end) {}

  private final PartialBlob blob;
  // @GuardedBy("this"): boundary offset -> what the probe from it saw
  private final TreeMap<Long, Summary> learnt = new TreeMap<>();
  private TarNames order = new TarNames();
  // @GuardedBy("this"): ranges of the compressed blob probes found no header in: start -> end
  private final TreeMap<Long, Long> opaque = new TreeMap<>();
  private long probes;
  // @GuardedBy("this"): the blob's drops() what was learnt is from
  private long drops;

  GzipSeek(PartialBlob blob) {
    this.blob = blob;
    this.drops = blob.drops();
  }

  /** Forgets what probes learnt if held bytes were dropped since: it may be from other bytes. */
  // @GuardedBy("this")
  private void current() {
    long now = blob.drops();
    if (now != drops) {
      drops = now;
      learnt.clear();
      opaque.clear();
      order = new TarNames();
    }
  }

  /** Probes made so far (for tests and figures). */
  synchronized long probes() {
    return probes;
  }

  /** Whether a probe saw names in no order a tar may be sorted in: then never searched again. */
  synchronized boolean unsorted() {
    current();
    return !order.sorted();
  }

  /**
   * The entry at {@code path} (cleaned as a TOC name), or null when the search cannot tell for
   * sure (the caller then reads from the start).
   */
  synchronized Found find(String path) throws IOException {
    current();
    String want = Toc.cleanName(path);
    if (!order.sorted() || want.isEmpty()) {
      return null;
    }
    long from = drops;
    Found found;
    try {
      found = search(want);
    } catch (TarNames.Ambiguous e) {
      found = null;
    }
    // bytes dropped while it searched: what it found may come from the dropped copy
    return blob.drops() == from ? found : null;
  }

  private Found search(String want) throws IOException, TarNames.Ambiguous {
    long size = blob.size();
    long lo = 0;
    long hi = size;
    for (Map.Entry<Long, Summary> e : learnt.entrySet()) {
      if (order.compare(e.getValue().last(), want) < 0) {
        lo = Math.max(lo, e.getValue().end());
      }
      if (order.compare(e.getValue().first(), want) > 0) {
        hi = Math.min(hi, e.getKey());
      }
    }
    long budget = Math.max(4L << 20, size / 16);
    long spent = 0;
    long back = 256 << 10;
    long forcedLimit = -1; // a last probe from lo, this far
    long through = 0; // where the probe before a forced one read to
    List<Long> ahead = new ArrayList<>(); // where the next probe's first bytes are being fetched
    for (int n = 0; n < MAX_PROBES && lo < hi && spent <= budget; n++) {
      long[] gap = forcedLimit >= 0 ? null : largestGap(lo, hi);
      boolean last = gap == null || hi - lo <= FINAL_SPAN || gap[1] - gap[0] < 2 * SCAN;
      if (last && lo == 0) {
        return null; // near the start a read from the start costs no more
      }
      long at = last ? lo : middle(gap, ahead);
      if (!last && lo == 0 && gap[0] == 0 && gap[1] > 4 * FIRST_PROBE) {
        at = FIRST_PROBE; // many paths sort early (etc before usr): cheap to rule out first
      }
      long limit = forcedLimit >= 0 ? forcedLimit : last ? hi - at + FINAL_SPAN : PROBE;
      if (last && limit > budget - spent) {
        return null;
      }
      boolean forced = forcedLimit >= 0;
      forcedLimit = -1;
      if (forced) {
        // it inflates through to where the probe before read: one request, not growing chunks
        blob.prefetch(at, Math.min(size, Math.max(at + SCAN, through)));
      } else if (last) {
        // the entry lies before hi, likely in its first half: one request for that much
        blob.prefetch(at, Math.min(size, Math.max(at + SCAN, Math.min(hi, at + LAST_AHEAD))));
      } else {
        // the next probe goes left or right of this one: fetch both places while this one works
        ahead.clear();
        for (long[] half : new long[][] {{gap[0], at}, {at, gap[1]}}) {
          if (half[1] - half[0] > 2 * FINAL_SPAN) {
            long next = half[0] + (half[1] - half[0]) / 2;
            ahead.add(next);
            blob.prefetch(next, Math.min(size, next + SCAN));
          }
        }
      }
      Probe p = probe(at, limit, last || forced, want);
      spent += p.fetched;
      Verdict v = p.verdict;
      if (v == Verdict.FOUND) {
        return p.found;
      } else if (v == Verdict.RIGHT && !last) {
        lo = Math.max(lo, p.end);
      } else if (v == Verdict.LEFT && !last) {
        hi = p.boundary;
      } else if (v == Verdict.EMPTY && !last) {
        opaque.put(at, p.end); // inside a large file: search around it
      } else if (v == Verdict.EARLIER || v == Verdict.LEFT || v == Verdict.EMPTY) {
        // the entry is near the start of what this probe read, or its bytes depend on the
        // window: inflate through it from further back, once or twice
        long start = Math.min(at, p.boundary) - back;
        if (back > 1 << 20 || start <= 0) {
          return null;
        }
        back *= 4;
        lo = start;
        through = Math.max(p.end, p.boundary);
        forcedLimit = through - start + FINAL_SPAN;
      } else {
        return null; // ABSENT, UNSURE, UNSORTED; or RIGHT of a last probe (names disagree)
      }
    }
    return null;
  }

  /**
   * Where to probe {@code gap}: its middle, or the place fetched ahead ({@code ahead}) nearest to
   * it if that is near (within 128 KiB or a sixteenth of the gap): the search stays as balanced
   * as it was, where a looser choice made it spend more bytes and give up more often.
   */
  private static long middle(long[] gap, List<Long> ahead) {
    long mid = gap[0] + (gap[1] - gap[0]) / 2;
    long at = mid;
    for (long a : ahead) {
      if (Math.abs(a - mid) <= Math.max(SCAN, (gap[1] - gap[0]) / 16) && a + SCAN <= gap[1]
          && (at == mid || Math.abs(a - mid) < Math.abs(at - mid))) {
        at = a;
      }
    }
    return at;
  }

  /** The largest part of [lo, hi) no probe found opaque (inside a large file), or null. */
  private long[] largestGap(long lo, long hi) {
    long[] best = null;
    long from = lo;
    Map.Entry<Long, Long> o = opaque.floorEntry(lo);
    if (o == null) {
      o = opaque.ceilingEntry(lo);
    }
    while (from < hi) {
      long to = hi;
      if (o != null && o.getKey() <= from) {
        from = Math.max(from, o.getValue());
        o = opaque.higherEntry(o.getKey());
        continue;
      }
      if (o != null && o.getKey() < hi) {
        to = o.getKey();
      }
      if (to > from && (best == null || to - from > best[1] - best[0])) {
        best = new long[] {from, to};
      }
      from = to;
    }
    return best;
  }

  private enum Verdict { FOUND, LEFT, RIGHT, EMPTY, EARLIER, ABSENT, UNSURE, UNSORTED }

  private static final class Probe {
    Verdict verdict = Verdict.UNSURE;
    long boundary;
    long end;
    long fetched;
    Found found;
  }

  /** One entry a probe read: its name and where its data lies in the probe's output. */
  private record Seen(String name, char type, String link, long size, int dataAt,
      boolean afterBreak, TarMeta meta) {}

  /**
   * Finds a block boundary at or after {@code at}, inflates from it up to {@code limit}
   * compressed bytes past it (or until the names pass {@code want}), and judges.
   */
  private Probe probe(long at, long limit, boolean last, String want)
      throws IOException, TarNames.Ambiguous {
    probes++;
    Probe p = new Probe();
    long size = blob.size();
    byte[] buf = fetch(at, Math.min(size, at + SCAN));
    p.fetched += buf.length;
    long fromBit = 0;
    while (true) {
      // leave room for a header at the end, unless the blob ends there
      long toBit = at + buf.length >= size ? (long) buf.length * 8
          : Math.max(0, (long) buf.length - 1024) * 8;
      long candidate = DeflateBlockFinder.next(buf, buf.length, fromBit, toBit);
      if (candidate < 0) {
        if (buf.length >= MAX_SCAN || at + buf.length >= size) {
          p.verdict = Verdict.EMPTY;
          p.boundary = at;
          p.end = at + buf.length;
          return p;
        }
        fromBit = Math.max(0, toBit - 8);
        byte[] more = fetch(at + buf.length, Math.min(size, at + Math.min(MAX_SCAN,
            buf.length * 2L)));
        p.fetched += more.length;
        byte[] both = java.util.Arrays.copyOf(buf, buf.length + more.length);
        System.arraycopy(more, 0, both, buf.length, more.length);
        buf = both;
        continue;
      }
      long bit = candidate >>> 1;
      boolean stored = (candidate & 1) != 0;
      if (inflateFrom(p, at, buf, bit, stored, limit, last, want)) {
        return p;
      }
      fromBit = bit + 1; // not a block boundary after all
    }
  }

  /**
   * Inflates from bit {@code bit} of {@code buf} (which starts at {@code at}); false if that is
   * no block boundary (the bits do not inflate, before any tar header was read from them).
   */
  private boolean inflateFrom(Probe p, long at, byte[] buf, long bit, boolean stored, long limit,
      boolean last, String want) throws IOException, TarNames.Ambiguous {
    long boundary = at + bit / 8;
    long size = blob.size();
    Chain chain = new Chain();
    try (WindowlessInflation w = WindowlessInflation.at(buf, buf.length, bit, stored)) {
      long fedTo = at + buf.length;
      long chunk = CHUNK;
      while (true) {
        boolean more;
        try {
          more = w.inflate(MAX_OUTPUT);
        } catch (DataFormatException e) {
          if (chain.seen.isEmpty() && !chain.synced()) {
            return false;
          }
          p.verdict = Verdict.UNSURE; // inflated into tar headers, then failed: damage
          return true;
        }
        if (!chain.read(w)) {
          p.verdict = Verdict.UNSURE; // headers that break the chain
          return true;
        }
        boolean passed = passed(chain, want);
        long consumedTo = boundary + w.consumed();
        long stop = chain.seen.isEmpty() ? Math.max(limit, EMPTY_PROBE) : limit;
        // a probe that only points the way stops at its first name
        if (passed || !last && chain.firstName != null || !more || chain.ended
            || w.length() >= MAX_OUTPUT
            || consumedTo - boundary >= stop) {
          p.end = consumedTo;
          break;
        }
        if (fedTo >= size) {
          p.end = consumedTo;
          break; // all fed, and the stream did not end: judged by what was read
        }
        long next = Math.min(size, fedTo + chunk);
        chunk = Math.min(MAX_CHUNK, chunk * 2);
        byte[] more2 = fetch(fedTo, next);
        p.fetched += more2.length;
        w.feed(more2, 0, more2.length);
        fedTo = next;
      }
      p.boundary = boundary;
      judge(p, chain, w, last, want);
      return true;
    }
  }

  private void judge(Probe p, Chain chain, WindowlessInflation w, boolean last, String want)
      throws TarNames.Ambiguous {
    List<Seen> seen = chain.seen;
    if (!seen.isEmpty()) {
      List<String> names = new ArrayList<>();
      for (Seen s : seen) {
        names.add(s.name());
      }
      order.admit(names);
      String first = names.get(0);
      String lastName = names.get(names.size() - 1);
      // with the probes before and after this one by offset (overlapping ones too)
      Map.Entry<Long, Summary> before = learnt.floorEntry(p.boundary);
      Map.Entry<Long, Summary> after = learnt.ceilingEntry(p.boundary);
      if (before != null) {
        order.admit(List.of(before.getValue().first(), first));
        if (before.getValue().end() <= p.boundary) {
          order.admit(List.of(before.getValue().last(), first));
        }
      }
      if (after != null) {
        order.admit(List.of(first, after.getValue().first()));
        if (p.end <= after.getKey()) {
          order.admit(List.of(lastName, after.getValue().first()));
        }
      }
      if (order.sorted()) {
        learnt.put(p.boundary, new Summary(first, lastName, p.end));
      }
    }
    if (!order.sorted()) {
      p.verdict = Verdict.UNSORTED;
      return;
    }
    if (seen.isEmpty() && chain.firstName != null && !last && !chain.ended) {
      // only the first entry after the boundary: its name, maybe not its full one (a PAX
      // header before it may be missed), still points the way
      int c = order.compare(chain.firstName, want);
      p.verdict = c < 0 ? Verdict.RIGHT : c > 0 ? Verdict.LEFT : Verdict.EARLIER;
      return;
    }
    if (seen.isEmpty()) {
      p.verdict = chain.ended ? Verdict.UNSURE : Verdict.EMPTY;
      return;
    }
    int i = 0;
    while (i < seen.size() && order.compare(seen.get(i).name(), want) < 0) {
      i++;
    }
    if (i == seen.size()) {
      p.verdict = chain.ended ? Verdict.UNSURE : Verdict.RIGHT;
      return;
    }
    Seen s = seen.get(i);
    if (i == 0) {
      p.verdict = Verdict.LEFT;
      return;
    }
    if (s.afterBreak()) {
      p.verdict = Verdict.EARLIER; // its predecessor is unknown
      return;
    }
    if (order.compare(s.name(), want) > 0) {
      p.verdict = Verdict.ABSENT;
      return;
    }
    byte[] data = null;
    if (isRegular(s.type())) {
      if (s.size() > MAX_OUTPUT || !w.known(s.dataAt(), (int) (s.dataAt() + s.size()))) {
        p.verdict = Verdict.EARLIER; // some byte depends on the unknown window (or is not here)
        return;
      }
      data = java.util.Arrays.copyOfRange(w.output(), s.dataAt(), (int) (s.dataAt() + s.size()));
    }
    p.found = new Found(s.name(), s.type(), s.link(), data, s.meta());
    p.verdict = Verdict.FOUND;
  }

  /** Whether the chain read a name after {@code want} (or one the orders disagree on). */
  private boolean passed(Chain chain, String want) {
    if (chain.seen.isEmpty()) {
      return false;
    }
    try {
      return order.compare(chain.seen.get(chain.seen.size() - 1).name(), want) > 0;
    } catch (TarNames.Ambiguous e) {
      return true; // judged (and given up) with what was read
    }
  }

  private static boolean isRegular(char type) {
    return type == '0' || type == '\0' || type == '7';
  }

  private byte[] fetch(long from, long to) throws IOException {
    blob.ensure(from, to);
    try (InputStream in = blob.open(from, to - from)) {
      byte[] b = in.readNBytes((int) (to - from));
      if (b.length != to - from) {
        throw new IOException("layer " + blob.digest() + " held " + b.length + " of bytes "
            + from + "-" + to);
      }
      return b;
    }
  }

  /**
   * The tar headers in a probe's known output, as far as it is inflated: found by their magic
   * and checksum, then followed entry by entry; an entry whose header bytes are not all known
   * breaks the chain, and the next header is searched for again.
   */
  private static final class Chain {
    final List<Seen> seen = new ArrayList<>();
    // where the next header is looked for (searching) or read (following)
    private int pos;
    private boolean following;
    // the next entry is the first of its chain: read, but not kept
    private boolean first = true;
    private boolean breakBefore;
    // the header being followed was already kept (its data was not all inflated then)
    private int keptAt = -1;
    // the first header of the chain, read again if its data was not all inflated
    private int discardAt = -1;
    // the name of the first entry read, which is not kept
    String firstName;
    boolean ended;

    boolean synced() {
      return following;
    }

    /** Reads what the output now holds; false if headers fail where a chain says they are. */
    boolean read(WindowlessInflation w) {
      while (!ended) {
        if (!following) {
          int h = findHeader(w, pos);
          if (h < 0) {
            pos = Math.max(pos, w.length() - 511);
            return true;
          }
          pos = h;
          following = true;
          first = true;
        }
        View v = new View(w, pos);
        RawTarReader r = new RawTarReader(v);
        RawTarReader.Entry e;
        try {
          e = r.next();
          if (e == null) {
            ended = true; // the end of the archive (or of one stored inside the layer)
            return true;
          }
          int dataAt = pos + (int) r.offset();
          if (first) {
            first = false;
            breakBefore = true;
            discardAt = pos;
            if (firstName == null) {
              firstName = Toc.cleanName(e.name);
            }
          } else if (keptAt != pos && discardAt != pos) {
            seen.add(new Seen(Toc.cleanName(e.name), e.type, e.linkName, e.size, dataAt,
                breakBefore, TarMeta.of(e)));
            keptAt = pos;
            breakBefore = false;
          }
          r.skipPayload();
          r.readPadding(e.size);
          pos += (int) r.offset();
          keptAt = -1;
        } catch (View.Unknown u) {
          // a header depends on the window: search for the next one after it
          following = false;
          pos = pos + 1;
          breakBefore = true;
          first = true;
        } catch (View.Truncated t) {
          return true; // more output needed; this entry is read again then
        } catch (IOException bad) {
          return false;
        }
      }
      return true;
    }

    /** The first offset from {@code from} of a known block with ustar magic and a valid sum. */
    private static int findHeader(WindowlessInflation w, int from) {
      byte[] b = w.output();
      for (int p = from; p + 512 <= w.length(); p++) {
        if (b[p + 257] == 'u' && b[p + 258] == 's' && b[p + 259] == 't' && b[p + 260] == 'a'
            && b[p + 261] == 'r' && w.known(p, p + 512) && checksumOk(b, p)) {
          return p;
        }
      }
      return -1;
    }

    private static boolean checksumOk(byte[] b, int p) {
      long stored = 0;
      int i = p + 148;
      while (i < p + 156 && (b[i] == ' ' || b[i] == 0)) {
        i++;
      }
      int digits = 0;
      for (; i < p + 156 && b[i] >= '0' && b[i] <= '7'; i++) {
        stored = stored * 8 + (b[i] - '0');
        digits++;
      }
      if (digits == 0) {
        return false;
      }
      long sum = 0;
      for (int k = 0; k < 512; k++) {
        sum += (k >= 148 && k < 156) ? ' ' : (b[p + k] & 0xff);
      }
      return sum == stored;
    }
  }

  /**
   * The probe's output from an offset as a stream: reading a byte not known, or not inflated
   * yet, throws; skipping (an entry's data) needs only that the bytes are inflated.
   */
  private static final class View extends InputStream {
    static final class Unknown extends IOException {
      Unknown() {
        super("depends on the unknown window");
      }

      @Override
      public synchronized Throwable fillInStackTrace() {
        return this; // a signal between the view and the chain, thrown often
      }
    }

    static final class Truncated extends IOException {
      Truncated() {
        super("not inflated yet");
      }

      @Override
      public synchronized Throwable fillInStackTrace() {
        return this; // a signal between the view and the chain, thrown often
      }
    }

    private final WindowlessInflation w;
    private int pos;

    View(WindowlessInflation w, int pos) {
      this.w = w;
      this.pos = pos;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (pos + len > w.length()) {
        throw new Truncated();
      }
      if (!w.known(pos, pos + len)) {
        throw new Unknown();
      }
      System.arraycopy(w.output(), pos, b, off, len);
      pos += len;
      return len;
    }

    @Override
    public long skip(long n) throws IOException {
      if (pos + n > w.length()) {
        throw new Truncated();
      }
      pos += (int) n;
      return n;
    }
  }
}
