package io.layerfs.core.rootfs;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.internal.LruCache;
import io.layerfs.core.internal.NameBytes;
import io.layerfs.core.internal.PathErrors;
import io.layerfs.core.internal.PathLimits;
import io.layerfs.core.internal.PathNames;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BiConsumer;
import java.util.function.ToLongBiFunction;

/**
 * The file tree of an image: its {@link LayerIndex}es applied bottom to top, as the OCI image
 * spec applies layer changesets. Lookups resolve symbolic links chroot-style and throw what the
 * JDK's default provider throws on Linux; merged directories are computed on first use and
 * cached. The merge rules, the lookup semantics and the caching are described in the package
 * documentation.
 *
 * <p>Thread-safe: merged directories are immutable once published; two threads racing on the
 * same directory may both compute it, with equal results.
 */
public final class MergedTree {

  /** Bound of the directory cache, in children (each costs about 100 bytes). */
  static final long MAX_CACHED_CHILDREN = 1_000_000;

  private static final int MAX_SYMLINK_HOPS = 40;
  /** {@link #lookupPlain}'s answer for a missing name; never leaves this class. */
  private static final LayerNode ABSENT =
      new LayerNode(null, "/", EntryType.DIRECTORY, null, -1, -1, null, 0, null, -1, -1);
  // type codes as constants: lookups compare them for every component
  private static final int HARDLINK = EntryType.HARDLINK.code();
  private static final int SYMLINK = EntryType.SYMLINK.code();
  private static final int DIRECTORY = EntryType.DIRECTORY.code();
  private static final int WHITEOUT = LayerIndex.T_WHITEOUT;

  private final LayerIndex[] layers;
  private final Digest[] digests;
  private final Dir root;
  private final LruCache<String, Dir> dirs;
  private final AtomicReferenceArray<MergedTree> below;
  private final boolean[] unresolvedAbove;
  private final Map<Long, Integer> linkCounts = new ConcurrentHashMap<>();
  // Where the last plain lookup ended: a walk looks up one sibling after another. Racy on
  // purpose: the tree never changes, so any directory of it is a valid start for a path below
  // it. (Remembering the last node too, for a path looked up twice, made a warm stat slower:
  // each lookup stored a young object into this old one.)
  private Dir lastDir;

  private MergedTree(LayerIndex[] layers, Digest[] digests, long maxChildren) {
    this.layers = layers;
    this.digests = digests;
    this.below = new AtomicReferenceArray<>(layers.length);
    this.unresolvedAbove = new boolean[layers.length + 1];
    for (int l = layers.length - 1; l >= 0; l--) {
      unresolvedAbove[l] = unresolvedAbove[l + 1] || layers[l].unresolvedHardLinks().length > 0;
    }
    this.dirs = new LruCache<>(maxChildren, DirCache.INSTANCE, DirCache.INSTANCE);
    this.root = rootDir();
  }

  /**
   * The merged tree of {@code bottomToTop}; {@code diffIds.get(i)} is the DiffID of layer i.
   *
   * @throws IllegalArgumentException if the lists differ in length
   */
  public static MergedTree of(List<LayerIndex> bottomToTop, List<Digest> diffIds) {
    if (bottomToTop.size() != diffIds.size()) {
      throw new IllegalArgumentException("layers (" + bottomToTop.size() + ") and diffIds ("
          + diffIds.size() + ") differ in length");
    }
    return new MergedTree(bottomToTop.toArray(new LayerIndex[0]),
        diffIds.toArray(new Digest[0]), MAX_CACHED_CHILDREN);
  }

  /**
   * Looks up an absolute path, following symbolic links in it chroot-style, and the last
   * component too if {@code followLast}.
   *
   * @throws NoSuchFileException if a component does not exist (or a symlink dangles)
   * @throws FileSystemException "Not a directory" if a non-directory is used as a directory, "Too
   *     many levels of symbolic links" after 40 symlinks
   */
  public LayerNode lookup(String absPath, boolean followLast) throws IOException {
    LayerNode n = lookupPlain(absPath, followLast);
    if (n == ABSENT) {
      throw new NoSuchFileException(absPath);
    }
    return n != null ? n : toNode(resolve(absPath, followLast));
  }

  /**
   * {@link #lookup}, but null where lookup throws {@link NoSuchFileException}: existence checks
   * are frequent, and building the exception's stack trace costs more than the lookup.
   *
   * @throws FileSystemException as {@link #lookup} for the other errors
   */
  public LayerNode find(String absPath, boolean followLast) throws IOException {
    LayerNode n = lookupPlain(absPath, followLast);
    if (n == ABSENT) {
      return null;
    }
    if (n != null) {
      return n;
    }
    try {
      return toNode(resolve(absPath, followLast));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * The child {@code name} of the directory {@code dir} (a node of this tree), as {@link
   * #find}{@code (dir.path() + "/" + name, false)} gives it, but in one step: walking a deep tree
   * by children costs its size, not its size times its depth.
   */
  public LayerNode findChild(LayerNode dir, String name) throws IOException {
    Dir d = dir.mergedDir();
    if (d == null) {
      return find(PathNames.child(dir.path(), name), false);
    }
    Children ch = d.children();
    int k = ch.find(name); // a walk's names are the listing's own: found before any check
    if (k < 0) {
      return PathNames.isPlainName(name) ? null : find(PathNames.child(dir.path(), name), false);
    }
    int l = ch.layer[k];
    int e = ch.entry[k];
    if (layers[l].isDirectory(e)) {
      Dir sub = ch.subdir(this, d, k);
      return dirNode(sub.path, sub);
    }
    return childFileNode(d.path, ch.names[k], l, e);
  }

  /** The sorted names in the directory {@code dir} (a node of this tree). */
  public List<String> list(LayerNode dir) throws IOException {
    Dir d = dir.mergedDir();
    return d != null ? List.of(d.children().names) : list(dir.path());
  }

  /** The sorted names in a directory (symlinks followed, the last one too). */
  public List<String> list(String absDirPath) throws IOException {
    // a plain path (as a walk lists) without the general resolver's per-component allocations
    LayerNode plain = lookupPlain(absDirPath, true);
    if (plain != null && plain != ABSENT && plain.mergedDir() != null) {
      return List.of(plain.mergedDir().children().names);
    }
    Ref r = resolve(absDirPath, true);
    if (r.dir == null) {
      throw new NotDirectoryException(absDirPath);
    }
    return List.of(r.dir.children().names);
  }

  // ------------------------------------------------------------------------------- resolution

  /** A resolved name: the effective layer entry, and the merged directory if it is one. */
  private static final class Ref {
    final String path;
    final int layer;
    final int entry;
    final Dir dir;

    Ref(String path, int layer, int entry, Dir dir) {
      this.path = path;
      this.layer = layer;
      this.entry = entry;
      this.dir = dir;
    }
  }

  /**
   * The common case, without allocating per component: every component is a plain name (no
   * {@code .} or {@code ..}), no symlink is followed and no non-directory is used as a directory.
   * Names are found by hashing and comparing regions of {@code p}. Returns null when the path
   * needs {@link #resolve}, which then also produces the errors (a missing name that may be too
   * long among them), and {@link #ABSENT} for a missing name, exactly where {@link #resolve}
   * would throw {@link NoSuchFileException}.
   */
  private LayerNode lookupPlain(String p, boolean followLast) {
    int n = p.length();
    Dir dir = root;
    int i = 0;
    Dir hint = lastDir;
    if (hint != null && hint != root) {
      if (isBelow(p, hint.path)) {
        dir = hint;
        i = hint.path.length();
      } else if (hint.parent != null && hint.parent != root && isBelow(p, hint.parent.path)) {
        dir = hint.parent;
        i = dir.path.length();
      }
    }
    // whether p is its own resolved path: one slash before each component, none at the end
    // (a directory's path is, so starting from one keeps it true)
    boolean exact = true;
    while (true) {
      int start = i;
      while (i < n && p.charAt(i) == '/') {
        i++;
      }
      if (i >= n) {
        lastDir = dir;
        return dirNode(dir.path, dir);
      }
      if (i - start != 1) {
        exact = false;
      }
      int j = p.indexOf('/', i);
      if (j < 0) {
        j = n;
      }
      int len = j - i;
      if (p.charAt(i) == '.' && (len == 1 || (len == 2 && p.charAt(i + 1) == '.'))) {
        return null;
      }
      Children ch = dir.children();
      int k = ch.find(p, i, len);
      if (k < 0) {
        lastDir = dir;
        return PathLimits.mayBeTooLong(len) ? null : ABSENT; // resolve tells if it is
      }
      int rest = j;
      while (rest < n && p.charAt(rest) == '/') {
        rest++;
      }
      boolean isLast = rest >= n;
      int l = ch.layer[k];
      int e = ch.entry[k];
      LayerIndex x = layers[l];
      if (x.isDirectory(e)) {
        dir = ch.subdir(this, dir, k);
        i = j;
        continue;
      }
      if (!isLast || (followLast && x.typeCode(e) == SYMLINK)) {
        return null;
      }
      lastDir = dir;
      return exact && j == n ? fileNode(p, l, e) : childFileNode(dir.path, ch.names[k], l, e);
    }
  }

  /** Whether {@code p} names something strictly below the directory {@code dirPath}. */
  private static boolean isBelow(String p, String dirPath) {
    int l = dirPath.length();
    return p.length() > l && p.charAt(l) == '/' && p.startsWith(dirPath);
  }

  private Ref resolve(String absPath, boolean followLast) throws IOException {
    ArrayDeque<String> todo = new ArrayDeque<>();
    pushComponents(todo, absPath);
    ArrayList<Dir> stack = new ArrayList<>();
    stack.add(root);
    Dir dir = root;
    // the current non-directory reached, if any; only legal as the last component
    int curLayer = -1;
    int curEntry = -1;
    String curPath = null;
    int hops = 0;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (curPath != null) {
        throw new FileSystemException(absPath, null, "Not a directory");
      }
      if (c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (stack.size() > 1) {
          stack.remove(stack.size() - 1);
        }
        dir = stack.get(stack.size() - 1);
        continue;
      }
      Children ch = dir.children();
      int k = ch.find(c);
      if (k < 0) {
        PathLimits.checkMissingName(absPath, c);
        throw new NoSuchFileException(absPath);
      }
      int l = ch.layer[k];
      int e = ch.entry[k];
      if (layers[l].typeCode(e) == SYMLINK && (followLast || !todo.isEmpty())) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw PathErrors.tooManyLinks(absPath);
        }
        String target = layers[l].linkTarget(e);
        if (target.isEmpty()) {
          throw new NoSuchFileException(absPath);
        }
        if (target.charAt(0) == '/') {
          stack.subList(1, stack.size()).clear();
          dir = root;
        }
        pushComponentsFront(todo, target);
        continue;
      }
      if (layers[l].isDirectory(e)) {
        dir = ch.subdir(this, dir, k);
        stack.add(dir);
      } else {
        curLayer = l;
        curEntry = e;
        curPath = PathNames.child(dir.path, c);
      }
    }
    if (curPath != null) {
      return new Ref(curPath, curLayer, curEntry, null);
    }
    return new Ref(dir.path, dir.topLayer, dir.topEntry, dir);
  }

  private static void pushComponents(ArrayDeque<String> todo, String path) {
    todo.addAll(PathNames.componentsRaw(path));
  }

  private static void pushComponentsFront(ArrayDeque<String> todo, String path) {
    ArrayDeque<String> t = new ArrayDeque<>();
    pushComponents(t, path);
    while (!t.isEmpty()) {
      todo.addFirst(t.pollLast());
    }
  }

  private LayerNode toNode(Ref r) {
    if (r.dir != null) {
      return dirNode(r.path, r.dir);
    }
    return fileNode(r.path, r.layer, r.entry);
  }

  private LayerNode dirNode(String path, Dir d) {
    LayerIndex meta = d.metaLayer < 0 ? null : layers[d.metaLayer];
    return new LayerNode(this, path, EntryType.DIRECTORY, meta, d.metaEntry, d.topLayer,
        digest(d.topLayer), key(d.topLayer, d.topEntry), d, -1, -1);
  }

  private LayerNode fileNode(String path, int l, int e) {
    LayerIndex x = layers[l];
    int inode = x.inode(e);
    return new LayerNode(this, path, x.type(e), x, e, l, digests[l], key(l, inode), null, l,
        inode);
  }

  /** {@link #fileNode} of the child {@code name} of {@code dirPath}, its path made when asked. */
  private LayerNode childFileNode(String dirPath, String name, int l, int e) {
    LayerIndex x = layers[l];
    int inode = x.inode(e);
    return LayerNode.child(this, dirPath, name, x.type(e), x, e, l, digests[l], key(l, inode), l,
        inode);
  }

  /** Link count of a node: 2 + subdirectories for {@code dir}, else of (layer, inode). */
  int linkCount(Dir dir, int l, int inode) {
    if (dir != null) {
      return 2 + dir.children().subdirs;
    }
    return linkCount(l, inode);
  }

  private Digest digest(int l) {
    return l < 0 ? null : digests[l];
  }

  private static long key(int layer, int entry) {
    return ((long) layer << 32) | (entry & 0xffffffffL);
  }

  /** Visible names of inode (layer, inode): its names in its layer plus upper hard links to it. */
  private int linkCount(int l, int inode) {
    if (!unresolvedAbove[l + 1] && !layers[l].hasSeveralNames(inode)) {
      return 1;
    }
    int[] names = layers[l].namesOfInode(inode);
    long k = key(l, inode);
    Integer cached = linkCounts.get(k);
    if (cached != null) {
      return cached;
    }
    // distinct paths: an upper hard link may replace a name of the file itself
    Set<String> candidates = new java.util.LinkedHashSet<>();
    for (int n : names) {
      candidates.add(layers[l].path(n));
    }
    for (int u = l + 1; u < layers.length; u++) {
      for (int n : layers[u].unresolvedHardLinks()) {
        candidates.add(layers[u].path(n));
      }
    }
    int count = 0;
    for (String p : candidates) {
      try {
        Ref r = resolve(p, false);
        if (r.dir == null && r.layer == l && layers[l].inode(r.entry) == inode) {
          count++;
        }
      } catch (IOException e) {
        // hidden or unreachable name: not a link
      }
    }
    count = Math.max(1, count);
    linkCounts.put(k, count);
    return count;
  }

  private MergedTree below(int l) {
    MergedTree t = below.get(l);
    if (t == null) {
      t = new MergedTree(Arrays.copyOf(layers, l), Arrays.copyOf(digests, l),
          MAX_CACHED_CHILDREN / 4);
      if (!below.compareAndSet(l, null, t)) {
        t = below.get(l);
      }
    }
    return t;
  }

  // -------------------------------------------------------------------------- merged directories

  /**
   * The weigher and eviction listener of the directory cache. Classes, not lambdas, on the path
   * of opening and walking an image: in a fresh JVM the first call of each lambda spins a class
   * at run time, about a millisecond each, more than loading a small class from the jar.
   */
  private static final class DirCache implements ToLongBiFunction<String, Dir>,
      BiConsumer<String, Dir> {
    static final DirCache INSTANCE = new DirCache();

    @Override
    public long applyAsLong(String path, Dir d) {
      return d.weight();
    }

    @Override
    public void accept(String path, Dir d) {
      d.detach();
    }
  }

  /** A merged directory: where its children come from, and its metadata. */
  final class Dir {
    final String path;
    final Dir parent;
    final int indexInParent;
    /** Layers contributing children, top to bottom, and this directory's entry in each. */
    final int[] layerIds;
    final int[] entryIds;
    final int topLayer;
    final int topEntry;
    final int metaLayer;
    final int metaEntry;
    volatile Children children;

    Dir(String path, Dir parent, int indexInParent, int[] layerIds, int[] entryIds, int topLayer,
        int topEntry, int metaLayer, int metaEntry) {
      this.path = path;
      this.parent = parent;
      this.indexInParent = indexInParent;
      this.layerIds = layerIds;
      this.entryIds = entryIds;
      this.topLayer = topLayer;
      this.topEntry = topEntry;
      this.metaLayer = metaLayer;
      this.metaEntry = metaEntry;
    }

    int weight() {
      Children c = children;
      return 1 + (c == null ? 0 : c.names.length);
    }

    void detach() {
      Children pc = parent == null ? null : parent.children;
      if (pc != null && pc.subdirs() != null && pc.subdirs()[indexInParent] == this) {
        pc.subdirs()[indexInParent] = null;
      }
    }

    Children children() {
      Children c = children;
      if (c == null) {
        c = computeChildren(this);
        children = c;
        if (this != root) {
          dirs.put(path, this); // re-weigh now that children are known
        }
      }
      return c;
    }
  }

  /** The children of a merged directory, sorted by name, with a hash index. */
  private static final class Children {
    final String[] names;
    final int[] layer;
    final int[] entry;
    final int subdirs;
    private final int[] hashes;
    private final int[] table;
    private final Dir[] dirPointers;

    Children(String[] names, int[] layer, int[] entry, int subdirs) {
      this.names = names;
      this.layer = layer;
      this.entry = entry;
      this.subdirs = subdirs;
      int cap = Integer.highestOneBit(Math.max(4, names.length * 2 - 1)) << 1;
      table = new int[cap];
      hashes = new int[names.length];
      for (int i = 0; i < names.length; i++) {
        hashes[i] = names[i].hashCode();
        int h = mix(hashes[i]) & (cap - 1);
        while (table[h] != 0) {
          h = (h + 1) & (cap - 1);
        }
        table[h] = i + 1;
      }
      dirPointers = new Dir[names.length];
    }

    Dir[] subdirs() {
      return dirPointers;
    }

    /**
     * The child {@code name}, or -1. A name a listing gave is one of {@link #names}: its hash is
     * cached in the string and the same object is found by identity, without comparing chars.
     */
    int find(String name) {
      int hash = name.hashCode();
      int mask = table.length - 1;
      int h = mix(hash) & mask;
      int v;
      while ((v = table[h]) != 0) {
        String candidate = names[v - 1];
        if (candidate == name || (hashes[v - 1] == hash && candidate.equals(name))) {
          return v - 1;
        }
        h = (h + 1) & mask;
      }
      return -1;
    }

    /** The child named {@code s[off, off + len)}, or -1. */
    int find(String s, int off, int len) {
      // String.hashCode of the region, without making the substring (a substring's hash was
      // quicker in a fresh JVM, but its allocation made a warm stat 30% slower)
      int hash = 0;
      for (int i = off, end = off + len; i < end; i++) {
        hash = 31 * hash + s.charAt(i);
      }
      int mask = table.length - 1;
      int h = mix(hash) & mask;
      int v;
      while ((v = table[h]) != 0) {
        String name = names[v - 1];
        if (hashes[v - 1] == hash && name.length() == len && name.regionMatches(0, s, off, len)) {
          return v - 1;
        }
        h = (h + 1) & mask;
      }
      return -1;
    }

    Dir subdir(MergedTree tree, Dir parent, int k) {
      Dir d = dirPointers[k];
      if (d == null) {
        String p = PathNames.child(parent.path, names[k]);
        d = tree.dirs.getIfPresent(p);
        if (d == null) {
          d = tree.dirs.putIfAbsent(p, tree.computeDir(parent, k, p));
        }
        dirPointers[k] = d;
      }
      return d;
    }

    private static int mix(int h) {
      return h ^ (h >>> 16);
    }
  }

  private Dir rootDir() {
    int n = layers.length;
    int[] ls = new int[n];
    int[] es = new int[n];
    int count = 0;
    int metaL = -1;
    boolean stop = false;
    for (int l = n - 1; l >= 0; l--) {
      if (!stop) {
        ls[count] = l;
        es[count++] = 0;
      }
      if (metaL < 0 && !layers[l].isImplied(0)) {
        metaL = l;
      }
      if (layers[l].isOpaque(0)) {
        stop = true;
      }
      if (stop && metaL >= 0) {
        break;
      }
    }
    int top = n == 0 ? -1 : n - 1;
    return new Dir("/", null, -1, Arrays.copyOf(ls, count), Arrays.copyOf(es, count), top,
        0, metaL, 0);
  }

  /** Merged directory for child k of parent, which the parent's children say is a directory. */
  private Dir computeDir(Dir parent, int k, String path) {
    Children pc = parent.children();
    int topL = pc.layer[k];
    int topE = pc.entry[k];
    byte[] name = NameBytes.encode(pc.names[k]);
    int[] ls = new int[parent.layerIds.length];
    int[] es = new int[parent.layerIds.length];
    int count = 0;
    int metaL = -1;
    int metaE = -1;
    boolean stop = false;
    for (int i = 0; i < parent.layerIds.length; i++) {
      int l = parent.layerIds[i];
      if (l > topL) {
        continue;
      }
      int e = l == topL ? topE : layers[l].findChild(parent.entryIds[i], name);
      if (e < 0) {
        continue;
      }
      LayerIndex x = layers[l];
      if (x.isWhiteout(e) || !x.isDirectory(e)) {
        break;
      }
      if (!stop) {
        ls[count] = l;
        es[count++] = e;
      }
      if (metaL < 0 && !x.isImplied(e)) {
        metaL = l;
        metaE = e;
      }
      if (x.isFresh(e)) {
        break;
      }
      if (x.isOpaque(e)) {
        stop = true;
      }
      if (stop && metaL >= 0) {
        break;
      }
    }
    return new Dir(path, parent, k, Arrays.copyOf(ls, count), Arrays.copyOf(es, count), topL,
        topE, metaL, metaE);
  }

  private Children computeChildren(Dir d) {
    if (d.layerIds.length == 1) {
      Children c = childrenOfOneLayer(d.layerIds[0], d.entryIds[0]);
      if (c != null) {
        return c;
      }
    }
    HashMap<String, long[]> found = new HashMap<>();
    Set<String> hidden = new HashSet<>();
    List<String> pending = new ArrayList<>();
    for (int i = 0; i < d.layerIds.length; i++) {
      int l = d.layerIds[i];
      LayerIndex x = layers[l];
      int cd = x.childDir(d.entryIds[i]);
      if (cd < 0) {
        continue;
      }
      int first = x.dirFirst(cd);
      int end = first + x.dirCount(cd);
      for (int e = first; e < end; e++) {
        String name = x.name(e);
        if (x.isWhiteout(e)) {
          pending.add(name);
        } else if (!hidden.contains(name) && !found.containsKey(name)) {
          found.put(name, new long[] {l, e});
        }
      }
      hidden.addAll(pending);
      pending.clear();
    }
    String[] names = new String[found.size()];
    int n = 0;
    for (Map.Entry<String, long[]> me : found.entrySet()) {
      long[] le = me.getValue();
      if (layers[(int) le[0]].typeCode((int) le[1]) == HARDLINK) {
        int l = (int) le[0];
        try {
          Ref t = below(l).resolve(layers[l].linkTarget((int) le[1]), false);
          if (t.dir != null) {
            continue;
          }
          le[0] = t.layer;
          le[1] = t.entry;
        } catch (IOException e) {
          continue; // a hard link to nothing: the name does not exist
        }
      }
      names[n++] = me.getKey();
    }
    names = Arrays.copyOf(names, n);
    Arrays.sort(names);
    int[] ls = new int[n];
    int[] es = new int[n];
    int subdirs = 0;
    for (int i = 0; i < n; i++) {
      long[] le = found.get(names[i]);
      ls[i] = (int) le[0];
      es[i] = (int) le[1];
      if (layers[ls[i]].isDirectory(es[i])) {
        subdirs++;
      }
    }
    return new Children(names, ls, es, subdirs);
  }

  /**
   * The children of a directory only layer {@code l} contributes to (most directories of most
   * images), straight from the index, which stores them sorted: no merging, no set of hidden
   * names, no sort. Null when the general merge is needed: a hard link to resolve, or names whose
   * byte order differs from {@link String#compareTo}'s (some above U+FFFF).
   */
  private Children childrenOfOneLayer(int l, int dirEntry) {
    LayerIndex x = layers[l];
    int cd = x.childDir(dirEntry);
    if (cd < 0) {
      return new Children(new String[0], new int[0], new int[0], 0);
    }
    int first = x.dirFirst(cd);
    int count = x.dirCount(cd);
    String[] names = new String[count];
    int[] ls = new int[count];
    int[] es = new int[count];
    int n = 0;
    int subdirs = 0;
    for (int e = first; e < first + count; e++) {
      int type = x.typeCode(e);
      if (type == WHITEOUT) {
        continue; // hides nothing: no layer below contributes
      }
      if (type == HARDLINK) {
        return null;
      }
      String name = x.name(e);
      if (n > 0 && names[n - 1].compareTo(name) >= 0) {
        return null;
      }
      names[n] = name;
      ls[n] = l;
      es[n] = e;
      if (type == DIRECTORY) {
        subdirs++;
      }
      n++;
    }
    return n == count ? new Children(names, ls, es, subdirs)
        : new Children(Arrays.copyOf(names, n), Arrays.copyOf(ls, n), Arrays.copyOf(es, n),
            subdirs);
  }
}
