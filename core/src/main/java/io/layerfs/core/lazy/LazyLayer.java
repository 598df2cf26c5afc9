package io.layerfs.core.lazy;

import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.estargz.EStargzReader;
import io.layerfs.core.estargz.Toc;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One layer read from its remote blob as it is needed, its fetched bytes kept in a {@link
 * PartialBlob}. An eStargz layer (its manifest gave a TOC digest) answers listings and stats from
 * its TOC and reads a file's chunks with one range request, each chunk checked against its
 * digest before a byte is served. A plain gzip layer is inflated from its start only as far as a
 * read needs ({@link LazyGzip}, {@link LazyTarScan}).
 *
 * <p>Thread-safe.
 */
public final class LazyLayer {
  private static final int CACHED_CHUNKS = 16;
  /**
   * How far into a plain gzip layer's tar a lookup reads on from where reading from the start
   * stopped before it searches the stream: about what the first fetch block inflates to, so a
   * path near the start (or near the last one read) costs one small request either way.
   */
  static final long SCAN_FIRST = 2L * LazyGzip.FIRST_BLOCK;

  private final Layer layer;
  private final Path dir;
  private final PartialBlob blob;
  private final EStargzReader estargz;
  // @GuardedBy("this")
  private LazyGzip gzip;
  private LazyTarScan scan;
  private GzipSeek seek;
  // verified chunks, most recently used last
  // @GuardedBy("chunks")
  private final Map<Toc.Chunk, byte[]> chunks =
      new LinkedHashMap<>(32, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Toc.Chunk, byte[]> e) {
          return size() > CACHED_CHUNKS;
        }
      };

  LazyLayer(Layer layer, Path dir, PartialBlob blob, EStargzReader estargz) {
    this.layer = layer;
    this.dir = dir;
    this.blob = blob;
    this.estargz = estargz;
  }

  public Layer layer() {
    return layer;
  }

  /** The verified TOC of an eStargz layer, or null for a plain gzip one. */
  public Toc tocOrNull() {
    return estargz == null ? null : estargz.toc();
  }

  /** Bytes fetched from the remote blob since this layer was attached. */
  public long fetchedBytes() {
    return blob.fetchedBytes();
  }

  /** Range requests made since this layer was attached. */
  public long requests() {
    return blob.requests();
  }

  /**
   * How many times bytes held of the blob were dropped ({@link PartialBlob#drops}): what was
   * found in the layer before it moved may come from bytes the registry sent wrong.
   */
  long drops() {
    return blob.drops();
  }

  /** Bytes of the blob held in the store. */
  public long localBytes() {
    return blob.localBytes();
  }

  /**
   * Reads bytes of the eStargz file {@code tocName} at {@code position} into {@code dst}, up to
   * the end of the file: the chunks the read touches are fetched with one range request (those
   * not held yet) and checked against their digests; -1 at the end.
   */
  public int readFile(String tocName, long size, ByteBuffer dst, long position)
      throws IOException {
    if (estargz == null) {
      throw new IllegalStateException("layer " + layer.digest() + " has no TOC");
    }
    if (position >= size) {
      return -1;
    }
    long end = Math.min(size, position + dst.remaining());
    List<Toc.Chunk> list = estargz.toc().chunks(tocName);
    int first = -1;
    int last = -1;
    for (int i = 0; i < list.size(); i++) {
      Toc.Chunk c = list.get(i);
      if (c.fileOffset() < end && c.fileOffset() + c.length() > position) {
        first = first < 0 ? i : first;
        last = i;
      }
    }
    if (first < 0) {
      throw new IOException("TOC of layer " + layer.digest() + " has no chunk for bytes "
          + position + "-" + end + " of '" + tocName + "'");
    }
    blob.ensure(list.get(first).blobOffset(), list.get(last).blobEnd());
    int total = 0;
    for (int i = first; i <= last; i++) {
      Toc.Chunk c = list.get(i);
      byte[] bytes = chunk(tocName, c);
      int from = (int) Math.max(0, position + total - c.fileOffset());
      int n = (int) Math.min(bytes.length - from, end - (position + total));
      dst.put(bytes, from, n);
      total += n;
    }
    return total;
  }

  private byte[] chunk(String file, Toc.Chunk c) throws IOException {
    synchronized (chunks) {
      byte[] b = chunks.get(c);
      if (b != null) {
        return b;
      }
    }
    byte[] b;
    try {
      b = estargz.readChunk(file, c);
    } catch (IOException damaged) {
      // the held copy may be what is damaged (a crash after the list was saved): fetch again
      blob.forget(c.blobOffset(), c.blobEnd());
      blob.ensure(c.blobOffset(), c.blobEnd());
      try {
        b = estargz.readChunk(file, c);
      } catch (IOException again) {
        again.addSuppressed(damaged);
        throw again;
      }
    }
    synchronized (chunks) {
      chunks.put(c, b);
    }
    return b;
  }

  /** Whether the layer is read as a plain gzip stream (not eStargz: it has no TOC). */
  boolean plainGzip() {
    return estargz == null;
  }

  /**
   * What one layer says about a path: its entry's type code, header metadata and size, the
   * absolute path a link points to (a symbolic link's resolved against the entry's directory,
   * a hard link's naming a file of this same layer), or that the layer whites it out. A regular
   * file's bytes are {@code data} when a search of the stream found it, else read from {@code
   * dataOffset} by {@link #data}.
   */
  public record Lookup(char type, byte[] data, String linkTarget, boolean hardLink,
      boolean whiteout, TarMeta meta, long size, long dataOffset, String storedLink) {
    static final Lookup WHITEOUT = new Lookup('\0', null, null, false, true, null, 0, -1, null);
    /** A directory a layer has no entry of, only entries under it: as a view shows it. */
    static final Lookup IMPLIED_DIRECTORY = new Lookup('5', null, null, false, false,
        new TarMeta(0755, 0, 0, "", "", 0, 0, 0, 0, 0, java.util.Map.of()), 0, 0, null);

    boolean regular() {
      return !whiteout && (type == '0' || type == '\0' || type == '7');
    }

    boolean directory() {
      return type == '5';
    }
  }

  /**
   * Looks {@code absPath} up in a plain gzip layer, inflating it only as far as the entry (and
   * a regular file's data, which {@link Lookup#data} then holds); null if the layer neither has
   * it nor whites it out (then the layer has been read whole).
   */
  public Lookup lookup(String absPath) throws IOException {
    Lookup l = find(absPath);
    if (l == null || !l.regular() || l.data() != null) {
      return l;
    }
    return new Lookup(l.type(), data(absPath, l), null, false, false, l.meta(), l.size(),
        l.dataOffset(), l.storedLink());
  }

  /** {@link #lookup}, a regular file's data not read (unless a search of the stream had to). */
  Lookup find(String absPath) throws IOException {
    Lookup sought = probe(absPath);
    if (sought != null) {
      return sought;
    }
    LazyTarScan s = scan();
    String p = Toc.cleanName(absPath);
    LazyTarScan.Found f = s.find(p);
    if (f == null) {
      int slash = p.lastIndexOf('/');
      String wh = (slash < 0 ? "" : p.substring(0, slash + 1)) + ".wh." + p.substring(slash + 1);
      return s.find(wh) != null ? Lookup.WHITEOUT : null;
    }
    return found(p, f);
  }

  /**
   * {@link #lookup} without reading the layer whole: a few headers on from where the scan
   * stands, then {@link #search}. Null when that does not find the entry at {@code absPath} (it
   * may still be there, further on).
   */
  Lookup probe(String absPath) throws IOException {
    LazyTarScan s = scan();
    String p = Toc.cleanName(absPath);
    LazyTarScan.Found f = s.find(p, s.position() + SCAN_FIRST);
    return f != null ? found(p, f) : search(absPath);
  }

  /**
   * The entry at {@code absPath} if the scan has seen it, or finds it within the first {@link
   * #SCAN_FIRST} bytes of the tar; else null (it may be further on). Unlike {@link #probe}, it
   * never moves the scan past that: a lookup of a path the layer does not have near its start,
   * one of many, costs a search rather than another stretch of the stream.
   */
  Lookup peek(String absPath) throws IOException {
    String p = Toc.cleanName(absPath);
    LazyTarScan.Found f = scan().find(p, SCAN_FIRST);
    return f == null ? null : found(p, f);
  }

  /**
   * The entry at {@code absPath} found by a search of the compressed stream, when the scan has
   * not read the layer whole; null when the search cannot tell.
   */
  Lookup search(String absPath) throws IOException {
    return scan().done() ? null : seek(Toc.cleanName(absPath));
  }

  /**
   * The entry at {@code cleanPath} as a read of the whole tar has it (reading on to its end if
   * it has not been), or null; whiteouts are entries here ({@code .wh.} names).
   */
  LazyTarScan.Found entry(String cleanPath) throws IOException {
    return scan().find(cleanPath);
  }

  /** Whether the layer has an entry below directory {@code cleanDir} (read whole). */
  boolean hasUnder(String cleanDir) throws IOException {
    return scan().hasUnder(cleanDir);
  }

  private static Lookup found(String p, LazyTarScan.Found f) {
    return lookupOf(p, f.type(), f.link(), null, f.meta(), f.size(), f.dataOffset());
  }

  private static Lookup lookupOf(String p, char type, String link, byte[] data, TarMeta meta,
      long size, long dataOffset) {
    String target = switch (type) {
      case '2' -> "/" + resolveLink(p, link);
      case '1' -> "/" + Toc.cleanName(link);
      default -> null;
    };
    return new Lookup(type, data, target, type == '1', false, meta, size, dataOffset, link);
  }

  /** The bytes of a regular file this layer's lookup found (read at once). */
  byte[] data(String absPath, Lookup f) throws IOException {
    if (f.data() != null) {
      return f.data();
    }
    if (f.size() > Integer.MAX_VALUE - 8) {
      throw new FileSystemException(absPath, null, "too large to read at once (" + f.size()
          + " bytes); pull the image to read it as a stream");
    }
    ByteBuffer b = ByteBuffer.allocate((int) f.size());
    while (b.hasRemaining()) {
      int n = gzip().read(f.dataOffset() + b.position(), b);
      if (n < 0) {
        throw new IOException("layer " + layer.digest() + " ends inside '" + absPath + "'");
      }
    }
    return b.array();
  }

  /**
   * The entry at {@code p} found by a search of the compressed stream ({@link GzipSeek}) rather
   * than a read from its start; null when the search cannot tell for sure, or finds an entry a
   * read from the start must report (not a file, link or directory).
   */
  private Lookup seek(String p) throws IOException {
    GzipSeek.Found g = seeker().find(p);
    if (g == null) {
      return null;
    }
    return switch (g.type()) {
      case '0', '\0', '7' -> lookupOf(p, g.type(), g.link(), g.data(), g.meta(), g.data().length,
          -1);
      case '1', '2', '5' -> lookupOf(p, g.type(), g.link(), null, g.meta(), 0, -1);
      default -> null;
    };
  }

  /** Probes the searches of the compressed stream made so far (0 for an eStargz layer). */
  long seekProbes() {
    GzipSeek g;
    synchronized (this) {
      g = seek;
    }
    return g == null ? 0 : g.probes();
  }

  private synchronized GzipSeek seeker() {
    if (seek == null) {
      seek = new GzipSeek(blob);
    }
    return seek;
  }

  synchronized LazyGzip gzip() throws IOException {
    if (gzip == null) {
      gzip = new LazyGzip(dir, blob, layer.diffId());
    }
    return gzip;
  }

  private synchronized LazyTarScan scan() throws IOException {
    if (scan == null) {
      scan = new LazyTarScan(gzip());
    }
    return scan;
  }

  PartialBlob blob() {
    return blob;
  }

  /**
   * Fetches what is missing of the blob, verifies it and stores it ({@link
   * PartialBlob#complete(ContentStore, BooleanSupplier)}). A plain gzip layer already read by
   * path in this process then keeps its inflated prefix: the rest of the stream is inflated
   * after it, and the tar, checked against the DiffID, is stored as the layer's uncompressed
   * blob, so its first use indexes it without inflating the layer again.
   *
   * @return false when {@code stop} ended it early
   */
  boolean complete(ContentStore store, BooleanSupplier stop) throws IOException {
    if (!store.contains(layer.digest()) && !blob.complete(store, stop)) {
      return false;
    }
    LazyGzip inflated;
    synchronized (this) {
      inflated = gzip;
    }
    if (inflated != null && inflated.frontier() > 0 && !store.contains(layer.diffId())
        && !stop.getAsBoolean()) {
      try {
        inflated.inflateAll();
        try (InputStream in = inflated.openPrefix()) {
          store.ingest(in, layer.diffId(), -1);
        }
      } catch (IOException e) {
        // only a shortcut: the layer's first use inflates the stored blob and reports damage
      }
    }
    return true;
  }

  synchronized void close() throws IOException {
    if (gzip != null) {
      gzip.close();
    }
    blob.close();
  }

  /** {@code target}, a link at {@code path}, as a clean path from the root. */
  static String resolveLink(String path, String target) {
    if (target.startsWith("/")) {
      return Toc.cleanName(target);
    }
    int slash = path.lastIndexOf('/');
    String dir = slash < 0 ? "" : path.substring(0, slash);
    java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
    for (String s : (dir + "/" + target).split("/")) {
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        parts.pollLast();
      } else {
        parts.add(s);
      }
    }
    return String.join("/", parts);
  }

  @Override
  public String toString() {
    return "LazyLayer[" + layer.digest() + (estargz != null ? ", eStargz" : ", gzip") + "]";
  }
}
