package io.layerfs.core.rootfs;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Limits;
import io.layerfs.core.internal.NameBytes;
import io.layerfs.core.internal.PathNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Applies the entries of one layer tar, in order, to an in-memory tree (the layer's own "diff
 * directory" as overlay2 would extract it) and encodes the result as a {@link LayerIndex}. The
 * rules (the OCI layer spec plus what {@code umoci unpack} does when extracting into an empty
 * directory) are listed in the package documentation.
 *
 * <p>Not thread-safe; one builder per tar.
 */
final class LayerIndexBuilder {

  /** Metadata shared by every name of one file (an inode). Fields are filled by the caller. */
  static final class Inode {
    EntryType type = EntryType.FILE;
    int mode;
    int uid;
    int gid;
    String uname = "";
    String gname = "";
    long mtimeNanos;
    long atimeNanos = LayerIndex.ABSENT_TIME;
    long ctimeNanos = LayerIndex.ABSENT_TIME;
    long size;
    long dataOffset;
    /** Index in the tar's {@link ChunkSums} of the first chunk of this file's data, or -1. */
    int firstSum = -1;
    String link = "";
    int devMajor;
    int devMinor;
    Map<String, byte[]> xattrs = Map.of();
  }

  private static final class Rec {
    final String name;
    Inode inode; // null for implied directories and whiteouts
    boolean dir;
    boolean whiteout;
    boolean opaque;
    boolean fresh;
    HashMap<String, Rec> children;

    Rec(String name) {
      this.name = name;
    }

    static Rec impliedDir(String name) {
      Rec r = new Rec(name);
      r.dir = true;
      return r;
    }
  }

  private final Rec root = Rec.impliedDir("");
  private int count = 1;
  private final Limits limits;
  private final long maxDirectoryEntries;

  LayerIndexBuilder() {
    this(Limits.DEFAULTS);
  }

  /** A builder refusing a directory of more than {@link Limits#directoryEntries()} names. */
  LayerIndexBuilder(Limits limits) {
    this.limits = limits;
    this.maxDirectoryEntries = limits.directoryEntries();
  }

  /** Upper bound of the number of entries the index will hold (root included). */
  int size() {
    return count;
  }

  /** Applies one tar entry named {@code tarName}. */
  void add(String tarName, Inode ino) throws IOException {
    List<String> comps = PathNames.components(tarName);
    if (comps.isEmpty()) {
      if (ino.type != EntryType.DIRECTORY) {
        throw new IOException("tar entry '" + tarName + "' would make the root a " + ino.type);
      }
      root.inode = ino;
      return;
    }
    String base = comps.get(comps.size() - 1);
    boolean marker = base.startsWith(".wh.");
    Rec blocker = nonDirectoryAncestor(comps);
    if (blocker != null) {
      if (marker) {
        return; // umoci: lstat of the target fails with ENOTDIR, nothing to remove or create
      }
      throw new IOException("tar entry '" + tarName + "' is below '" + blocker.name
          + "', which this layer made a " + (blocker.inode == null ? "file" : blocker.inode.type)
          + " (umoci unpack fails here too: mkdir parent: not a directory)");
    }
    Rec parent = ensureDir(comps, comps.size() - 1, tarName);
    if (marker) {
      whiteout(parent, base, tarName);
      return;
    }
    if (ino.type == EntryType.HARDLINK) {
      ino = resolveHardLink(tarName, ino);
    }
    Map<String, Rec> kids = children(parent);
    Rec old = kids.get(base);
    Rec rec = new Rec(base);
    rec.inode = ino;
    rec.dir = ino.type == EntryType.DIRECTORY;
    if (old != null) {
      if (old.dir && rec.dir) {
        old.inode = ino;
        return;
      }
      rec.fresh = old.fresh || old.whiteout || (rec.dir && !old.dir);
    } else {
      count++;
      checkWidth(kids, tarName);
    }
    kids.put(base, rec);
  }

  /** Refuses one more name in a directory that holds {@code directoryEntries} already. */
  private void checkWidth(Map<String, Rec> kids, String tarName) throws IOException {
    if (kids.size() >= maxDirectoryEntries) {
      throw limits.exceeded("directoryEntries", "tar entry '" + TarIndexer.shorten(tarName)
          + "' is entry number " + (kids.size() + 1) + " of its directory");
    }
  }

  private void whiteout(Rec dir, String base, String tarName) throws IOException {
    if (base.equals(".wh..wh..opq")) {
      dir.opaque = true;
      return;
    }
    String target = base.substring(4);
    if (target.startsWith(".wh.") || target.isEmpty() || target.equals(".")
        || target.equals("..")) {
      return;
    }
    Map<String, Rec> kids = children(dir);
    Rec old = kids.get(target);
    if (old == null) {
      checkWidth(kids, tarName);
      Rec w = new Rec(target);
      w.whiteout = true;
      kids.put(target, w);
      count++;
    } else if (!old.whiteout) {
      old.fresh = true;
    }
  }

  private Inode resolveHardLink(String tarName, Inode ino) throws IOException {
    List<String> t = PathNames.components(ino.link);
    Rec cur = root;
    for (int i = 0; i < t.size() && cur != null; i++) {
      cur = cur.children == null ? null : cur.children.get(t.get(i));
    }
    if (cur != null && !cur.whiteout) {
      if (cur.dir) {
        throw new IOException("tar entry '" + tarName + "' is a hard link to directory '"
            + ino.link + "'");
      }
      return cur.inode;
    }
    Inode u = ino;
    u.link = PathNames.normalize(ino.link);
    return u;
  }

  /**
   * The first proper ancestor of {@code comps} that this layer has, so far, as an explicit
   * non-directory (a whiteout record is not one), or null.
   */
  private Rec nonDirectoryAncestor(List<String> comps) {
    Rec cur = root;
    for (int i = 0; i < comps.size() - 1; i++) {
      cur = cur.children == null ? null : cur.children.get(comps.get(i));
      if (cur == null || cur.whiteout) {
        return null;
      }
      if (!cur.dir) {
        return cur;
      }
    }
    return null;
  }

  /** Walks to the directory named by the first {@code n} components, creating implied ones. */
  private Rec ensureDir(List<String> comps, int n, String tarName) throws IOException {
    Rec cur = root;
    for (int i = 0; i < n; i++) {
      String c = comps.get(i);
      Map<String, Rec> kids = children(cur);
      Rec next = kids.get(c);
      if (next == null) {
        checkWidth(kids, tarName);
        next = Rec.impliedDir(c);
        kids.put(c, next);
        count++;
      } else if (!next.dir || next.whiteout) {
        Rec d = Rec.impliedDir(c);
        d.fresh = true;
        kids.put(c, d);
        next = d;
      }
      cur = next;
    }
    return cur;
  }

  private static HashMap<String, Rec> children(Rec r) {
    if (r.children == null) {
      r.children = new HashMap<>();
    }
    return r.children;
  }

  // ---------------------------------------------------------------------------------- encoding

  private static final class Flat {
    final Rec rec;
    final byte[] name;
    Flat(Rec rec, byte[] name) {
      this.rec = rec;
      this.name = name;
    }
  }

  private static final class Dir {
    final Rec rec;
    final byte[] path;
    final String pathString;
    Dir(Rec rec, String pathString) {
      this.rec = rec;
      this.pathString = pathString;
      this.path = NameBytes.encode(pathString);
    }
  }

  /** {@link #build(ChunkSums, Digest, long)} for a tar of no known layer, without checksums. */
  LayerIndex build() throws IOException {
    return build(new ChunkSums(), null, 0);
  }

  /**
   * Encodes the tree into the binary index format (see {@link LayerIndex}): of the layer {@code
   * diffId} (null: none), whose tar is {@code blobLength} bytes long, with the checksums of the
   * files' data from {@code sums}.
   */
  LayerIndex build(ChunkSums sums, Digest diffId, long blobLength) throws IOException {
    // Directories with children, sorted by path bytes; "" holds only the root entry.
    List<Dir> dirs = new ArrayList<>();
    dirs.add(new Dir(null, ""));
    collectDirs(root, "/", dirs);
    dirs.sort((a, b) -> Arrays.compareUnsigned(a.path, b.path));
    IdentityHashMap<Rec, Integer> dirIndexOf = new IdentityHashMap<>();
    for (int i = 0; i < dirs.size(); i++) {
      if (dirs.get(i).rec != null) {
        dirIndexOf.put(dirs.get(i).rec, i);
      }
    }
    List<Flat> entries = new ArrayList<>(count);
    int[] dirFirst = new int[dirs.size()];
    int[] dirCount = new int[dirs.size()];
    for (int d = 0; d < dirs.size(); d++) {
      dirFirst[d] = entries.size();
      if (d == 0) {
        entries.add(new Flat(root, new byte[0]));
      } else {
        List<Flat> kids = new ArrayList<>(dirs.get(d).rec.children.size());
        for (Rec r : dirs.get(d).rec.children.values()) {
          kids.add(new Flat(r, NameBytes.encode(r.name)));
        }
        kids.sort((a, b) -> Arrays.compareUnsigned(a.name, b.name));
        entries.addAll(kids);
      }
      dirCount[d] = entries.size() - dirFirst[d];
    }
    int n = entries.size();

    // inode ids: the first entry index naming each inode
    IdentityHashMap<Inode, int[]> inodes = new IdentityHashMap<>();
    int[] inodeOf = new int[n];
    List<int[]> pairs = new ArrayList<>();
    List<Integer> unresolved = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Inode ino = entries.get(i).rec.inode;
      if (ino == null || entries.get(i).rec.dir) {
        inodeOf[i] = i;
        continue;
      }
      int[] first = inodes.get(ino);
      if (first == null) {
        inodes.put(ino, new int[] {i, 1});
        inodeOf[i] = i;
      } else {
        first[1]++;
        inodeOf[i] = first[0];
      }
      if (ino.type == EntryType.HARDLINK) {
        unresolved.add(i);
      }
    }
    for (int i = 0; i < n; i++) {
      Inode ino = entries.get(i).rec.inode;
      if (ino != null && !entries.get(i).rec.dir && inodes.get(ino)[1] > 1) {
        pairs.add(new int[] {inodeOf[i], i});
      }
    }
    pairs.sort((a, b) -> a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]));
    List<Inode> withData = filesWithData(entries, sums);

    Pool pool = new Pool();
    Pool extras = new Pool();
    HashMap<String, Integer> stringIds = new HashMap<>();
    List<int[]> strings = new ArrayList<>();
    byte[] diffIdBytes =
        diffId == null ? new byte[0] : diffId.toString().getBytes(StandardCharsets.UTF_8);
    int diffIdOff = pool.add(diffIdBytes);
    int[] dirPathOff = new int[dirs.size()];
    for (int d = 0; d < dirs.size(); d++) {
      dirPathOff[d] = pool.add(dirs.get(d).path);
    }

    long tableBytes = (long) n * LayerIndex.ENTRY_SIZE + (long) dirs.size() * LayerIndex.DIR_SIZE;
    ByteBuffer entryBuf =
        ByteBuffer.allocate(checkedInt(tableBytes)).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      Flat f = entries.get(i);
      Rec r = f.rec;
      Inode ino = r.inode;
      int base = i * LayerIndex.ENTRY_SIZE;
      int nameOff = pool.add(f.name);
      int flags = (ino == null && r.dir ? LayerIndex.F_IMPLIED : 0)
          | (r.opaque ? LayerIndex.F_OPAQUE : 0) | (r.fresh ? LayerIndex.F_FRESH : 0);
      int type = r.whiteout ? LayerIndex.T_WHITEOUT
          : r.dir ? EntryType.DIRECTORY.code() : ino.type.code();
      entryBuf.putInt(base, nameOff);
      entryBuf.putInt(base + 4, f.name.length);
      entryBuf.put(base + 8, (byte) type);
      entryBuf.put(base + 9, (byte) flags);
      Integer childDir = dirIndexOf.get(r);
      entryBuf.putInt(base + 68, childDir == null ? -1 : childDir);
      entryBuf.putInt(base + 20, inodeOf[i]);
      if (ino == null) {
        entryBuf.putShort(base + 10, (short) (r.dir ? 0755 : 0));
        entryBuf.putInt(base + 48, -1);
        entryBuf.putInt(base + 56, -1);
        entryBuf.putInt(base + 60, -1);
        entryBuf.putInt(base + 64, -1);
        continue;
      }
      entryBuf.putShort(base + 10, (short) (ino.mode & 07777));
      entryBuf.putInt(base + 12, ino.uid);
      entryBuf.putInt(base + 16, ino.gid);
      entryBuf.putLong(base + 24, ino.mtimeNanos);
      entryBuf.putLong(base + 32, ino.size);
      entryBuf.putLong(base + 40, ino.dataOffset);
      if (ino.link.isEmpty()) {
        entryBuf.putInt(base + 48, -1);
      } else {
        byte[] lb = NameBytes.encode(ino.link);
        entryBuf.putInt(base + 48, pool.add(lb));
        entryBuf.putInt(base + 52, lb.length);
      }
      entryBuf.putInt(base + 56, stringId(ino.uname, stringIds, strings, pool));
      entryBuf.putInt(base + 60, stringId(ino.gname, stringIds, strings, pool));
      boolean hasExtra = ino.atimeNanos != LayerIndex.ABSENT_TIME
          || ino.ctimeNanos != LayerIndex.ABSENT_TIME || ino.devMajor != 0 || ino.devMinor != 0
          || !ino.xattrs.isEmpty();
      entryBuf.putInt(base + 64, hasExtra ? extras.addExtra(ino) : -1);
    }
    int dirBase = n * LayerIndex.ENTRY_SIZE;
    for (int d = 0; d < dirs.size(); d++) {
      int b = dirBase + d * LayerIndex.DIR_SIZE;
      entryBuf.putInt(b, dirPathOff[d]);
      entryBuf.putInt(b + 4, dirs.get(d).path.length);
      entryBuf.putInt(b + 8, dirFirst[d]);
      entryBuf.putInt(b + 12, dirCount[d]);
    }

    long sumCount = 0;
    for (Inode ino : withData) {
      sumCount += ChunkSums.chunks(ino.size);
    }
    long total = LayerIndex.HEADER_SIZE + tableBytes + 8L * strings.size() + 8L * pairs.size()
        + (long) LayerIndex.DATA_SIZE * withData.size() + 4L * unresolved.size() + 4L * sumCount;
    total = (total + 7) & ~7L;
    total += extras.size() + pool.size() + 4;
    ByteBuffer out = ByteBuffer.allocate(checkedInt(total)).order(ByteOrder.LITTLE_ENDIAN);
    out.put(LayerIndex.MAGIC);
    out.putInt(LayerIndex.VERSION);
    out.putInt(n);
    out.putInt(dirs.size());
    out.putInt(strings.size());
    out.putInt(pairs.size());
    out.putInt(unresolved.size());
    out.putLong(extras.size());
    out.putLong(pool.size());
    out.putLong(total);
    out.putInt(withData.size());
    out.putInt(checkedInt(sumCount));
    out.putLong(blobLength);
    out.putInt(diffIdOff);
    out.putInt(diffIdBytes.length);
    out.position(LayerIndex.HEADER_SIZE);
    out.put(entryBuf.array());
    for (int[] s : strings) {
      out.putInt(s[0]).putInt(s[1]);
    }
    for (int[] p : pairs) {
      out.putInt(p[0]).putInt(p[1]);
    }
    int nextSum = 0;
    for (Inode ino : withData) {
      out.putLong(ino.dataOffset).putLong(ino.size).putInt(nextSum).putInt(0);
      nextSum += (int) ChunkSums.chunks(ino.size);
    }
    for (int u : unresolved) {
      out.putInt(u);
    }
    for (Inode ino : withData) {
      int chunks = (int) ChunkSums.chunks(ino.size);
      for (int c = 0; c < chunks; c++) {
        out.putInt(sums.get(ino.firstSum + c));
      }
    }
    out.position((out.position() + 7) & ~7);
    extras.writeTo(out);
    pool.writeTo(out);
    CRC32C crc = new CRC32C();
    crc.update(out.array(), 0, out.position());
    out.putInt((int) crc.getValue());
    return new LayerIndex(out.clear(), null);
  }

  /**
   * The distinct files of the index that have data in this tar, by data offset: hard links
   * share their inode's row. Checks that the tar's checksums cover each.
   */
  private static List<Inode> filesWithData(List<Flat> entries, ChunkSums sums)
      throws IOException {
    IdentityHashMap<Inode, Boolean> seen = new IdentityHashMap<>();
    List<Inode> files = new ArrayList<>();
    for (Flat f : entries) {
      Inode ino = f.rec.inode;
      if (ino == null || f.rec.dir || ino.type != EntryType.FILE || ino.size == 0
          || seen.put(ino, Boolean.TRUE) != null) {
        continue;
      }
      if (ino.firstSum < 0 || ino.firstSum + ChunkSums.chunks(ino.size) > sums.count()) {
        if (sums.count() == 0 && ino.firstSum < 0) {
          continue; // built without checksums (build())
        }
        throw new IOException("tar data of the file at offset " + ino.dataOffset
            + " is shorter than its size " + ino.size);
      }
      files.add(ino);
    }
    files.sort((a, b) -> Long.compare(a.dataOffset, b.dataOffset));
    return files;
  }

  /**
   * Adds every directory with children below {@code root}, in no particular order (the caller
   * sorts them). An explicit stack, not recursion: a hostile layer may nest thousands deep.
   */
  private static void collectDirs(Rec root, String rootPath, List<Dir> dirs) {
    ArrayDeque<Rec> recs = new ArrayDeque<>();
    ArrayDeque<String> paths = new ArrayDeque<>();
    recs.push(root);
    paths.push(rootPath);
    while (!recs.isEmpty()) {
      Rec r = recs.pop();
      String path = paths.pop();
      if (r.children == null || r.children.isEmpty()) {
        continue;
      }
      dirs.add(new Dir(r, path));
      for (Rec c : r.children.values()) {
        if (c.dir) {
          recs.push(c);
          paths.push(PathNames.child(path, c.name));
        }
      }
    }
  }

  private static int stringId(String s, Map<String, Integer> ids, List<int[]> strings, Pool pool)
      throws IOException {
    Integer id = ids.get(s);
    if (id == null) {
      byte[] b = NameBytes.encode(s);
      id = strings.size();
      strings.add(new int[] {pool.add(b), b.length});
      ids.put(s, id);
    }
    return id;
  }

  private static int checkedInt(long v) throws IOException {
    if (v > Integer.MAX_VALUE - 64) {
      throw new IOException("layer index too large (" + v + " bytes)");
    }
    return (int) v;
  }

  /** A growable byte pool addressed by int offsets. */
  private static final class Pool {
    private byte[] buf = new byte[1024];
    private int len;

    int size() {
      return len;
    }

    int add(byte[] b) throws IOException {
      ensure(b.length);
      int off = len;
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
      return off;
    }

    int addExtra(Inode ino) throws IOException {
      int off = len;
      putLong(ino.atimeNanos);
      putLong(ino.ctimeNanos);
      putInt(ino.devMajor);
      putInt(ino.devMinor);
      putInt(ino.xattrs.size());
      for (Map.Entry<String, byte[]> e : ino.xattrs.entrySet()) {
        byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
        putInt(k.length);
        add(k);
        putInt(e.getValue().length);
        add(e.getValue());
      }
      return off;
    }

    private void putLong(long v) throws IOException {
      putInt((int) v);
      putInt((int) (v >>> 32));
    }

    private void putInt(int v) throws IOException {
      ensure(4);
      buf[len++] = (byte) v;
      buf[len++] = (byte) (v >>> 8);
      buf[len++] = (byte) (v >>> 16);
      buf[len++] = (byte) (v >>> 24);
    }

    private void ensure(int more) throws IOException {
      long need = (long) len + more;
      if (need > Integer.MAX_VALUE - 64) {
        throw new IOException("layer index pool exceeds 2 GiB");
      }
      if (need > buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 64, Math.max(need,
            (long) buf.length * 2)));
      }
    }

    void writeTo(ByteBuffer out) {
      out.put(buf, 0, len);
    }
  }
}
