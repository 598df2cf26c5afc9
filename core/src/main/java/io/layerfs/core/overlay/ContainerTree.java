package io.layerfs.core.overlay;

import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import io.layerfs.core.internal.PathErrors;
import io.layerfs.core.internal.PathLimits;
import io.layerfs.core.internal.PathNames;
import io.layerfs.core.rootfs.LayerNode;
import io.layerfs.core.rootfs.MergedTree;
import io.layerfs.core.rootfs.RootFs;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.IntSupplier;

/**
 * The merged view of a container: its upper layer over the image's {@link RootFs}, resolved as
 * overlay2 does.
 *
 * <p>A directory of the view is a {@link Cursor}: its upper directory (or null while it is only
 * in the lower layers) and its lower path (or null: opaque or new). A name in it is the upper
 * child if the upper directory has one (a whiteout: no such name), else the lower child at the
 * lower path. Symbolic links resolve chroot-style across both, as {@link MergedTree} does.
 *
 * <p>{@link #ensureUpper} copies a directory chain up (metadata only), {@link #copyUp} a lower
 * non-directory (a metacopy: {@link UpperFile} keeps the lower bytes as its origin).
 * {@code ensureUpper} re-checks the upper directory first, so cursors made before an earlier
 * copy-up of the same operation stay usable (a move's source and target parents, a link's file
 * and new name); a {@link Found} given to {@code copyUp} must not have been copied up since it
 * was resolved. Callers hold the container's tree lock (write lock for the copy-up methods).
 */
final class ContainerTree {
  private static final int MAX_SYMLINK_HOPS = 40;

  /** At most this many directories are kept in {@link #directories}. */
  private static final int MAX_KEPT_DIRECTORIES = 4096;

  private final RootFs lower;
  private final UpperLayer upper;
  private final ReadWriteLock lock;
  /**
   * Directory cursors by the path they were resolved from (its links followed), for readers
   * ({@link #resolveReading}): good until the next change, and emptied by {@link #forget} under
   * the write lock before each. Readers fill it concurrently under the read lock; the cursors
   * of a write's own resolves are never put in it (they are what {@link #ensureUpper} changes).
   */
  private final ConcurrentHashMap<String, Cursor> directories = new ConcurrentHashMap<>();

  /** The channels reading image files, which {@link #copyOf} moves onto the copies. */
  final LowerReaders readers = new LowerReaders();

  ContainerTree(RootFs lower, UpperLayer upper, ReadWriteLock lock) {
    this.lower = lower;
    this.upper = upper;
    this.lock = lock;
  }

  RootFs lower() {
    return lower;
  }

  UpperLayer upper() {
    return upper;
  }

  /** A directory of the merged view. */
  static final class Cursor {
    final String path;
    UpperDir up;
    final String lower;
    final Cursor parent;
    final String name;
    /** The lower directory's node, once known: each step to a child then costs one probe. */
    LayerNode lowerNode;

    Cursor(String path, UpperDir up, String lower, Cursor parent, String name) {
      this.path = path;
      this.up = up;
      this.lower = lower;
      this.parent = parent;
      this.name = name;
    }
  }

  /**
   * A resolved name: {@code obj} is an {@link UpperEntry}, a lower {@link Node} or null (missing
   * last component, when allowed); {@code dir} is set for a directory; {@code parent} is null
   * only for the root.
   */
  static final class Found {
    final Cursor parent;
    final String name;
    final String path;
    final Object obj;
    final Cursor dir;

    Found(Cursor parent, String name, String path, Object obj, Cursor dir) {
      this.parent = parent;
      this.name = name;
      this.path = path;
      this.obj = obj;
      this.dir = dir;
    }

    boolean exists() {
      return obj != null;
    }

    boolean isDirectory() {
      return dir != null;
    }

    boolean isSymlink() {
      return ContainerTree.isSymlink(obj);
    }
  }

  Cursor rootCursor() {
    return new Cursor("/", upper.root(), upper.root().lower, null, null);
  }

  /**
   * Resolves {@code absPath}.
   *
   * @param allowMissing return a {@link Found} without object when only the last name is missing
   */
  Found resolve(String absPath, boolean followLast, boolean allowMissing) throws IOException {
    return resolve(absPath, followLast, allowMissing, false);
  }

  /** Drops the directories kept for readers: the caller holds the write lock for a change. */
  void forget() {
    directories.clear();
  }

  /**
   * {@link #resolve}, for a caller that changes nothing (under the read lock): the parent
   * directory of a plain last name is found among those kept since the last change, so a path
   * costs one step, not one per component. Anything else (links to follow in the last name, a
   * missing or non-directory parent) goes the long way, which also makes the errors.
   */
  Found resolveReading(String absPath, boolean followLast, boolean allowMissing)
      throws IOException {
    Cursor dir = parentReading(absPath);
    if (dir != null && dir != MISSING_PARENT) {
      String name = absPath.substring(absPath.lastIndexOf('/') + 1);
      Object o = child(dir, name);
      if (o == null) {
        PathLimits.checkMissingName(absPath, name);
        if (allowMissing) {
          return new Found(dir, name, PathNames.child(dir.path, name), null, null);
        }
      } else if (!(followLast && isSymlink(o))) {
        return found(dir, name, o);
      }
    }
    return resolve(absPath, followLast, allowMissing);
  }

  /** {@link #find} for a caller that changes nothing, as {@link #resolveReading}. */
  Found findReading(String absPath, boolean followLast) throws IOException {
    Cursor dir = parentReading(absPath);
    if (dir == MISSING_PARENT) {
      return null; // a name on the way is missing: so is the path
    }
    if (dir != null) {
      String name = absPath.substring(absPath.lastIndexOf('/') + 1);
      Object o = child(dir, name);
      if (o == null) {
        PathLimits.checkMissingName(absPath, name);
        return null;
      }
      if (!(followLast && isSymlink(o))) {
        return found(dir, name, o);
      }
    }
    return find(absPath, followLast);
  }

  /** The directory {@code absDir} (links followed) as a reader resolves it, kept for the next. */
  Found directoryReading(String absDir) throws IOException {
    Cursor kept = directories.get(absDir);
    if (kept != null) {
      return dirFound(kept);
    }
    Found f = resolve(absDir, true, false);
    if (f.isDirectory()) {
      keep(absDir, f.dir);
    }
    return f;
  }

  /** What {@link #parentReading} gives for a parent path a name of which is missing. */
  private static final Cursor MISSING_PARENT = new Cursor("", null, null, null, null);

  /**
   * The kept or now resolved directory holding the last name of {@code absPath}, when that name
   * is plain and the parent resolves to a directory; {@link #MISSING_PARENT} when a name of the
   * parent is missing; else null.
   */
  private Cursor parentReading(String absPath) throws IOException {
    int slash = absPath.lastIndexOf('/');
    if (slash <= 0 || !PathNames.isPlainName(absPath.substring(slash + 1))) {
      return null;
    }
    String parent = absPath.substring(0, slash);
    Cursor dir = directories.get(parent);
    if (dir == null) {
      Found f;
      try {
        f = find(parent, true);
      } catch (IOException e) {
        return null; // the long way says it naming the whole path
      }
      if (f == null) {
        return MISSING_PARENT;
      }
      if (!f.isDirectory()) {
        return null;
      }
      dir = f.dir;
      keep(parent, dir);
    }
    return dir;
  }

  private void keep(String path, Cursor dir) {
    if (directories.size() < MAX_KEPT_DIRECTORIES) {
      directories.put(path, dir);
    }
  }

  /**
   * {@link #resolve} for an existence check: null where it would throw {@link
   * NoSuchFileException} or give a name without object. No exception is built for a missing path:
   * its stack trace costs more than the lookup.
   */
  Found find(String absPath, boolean followLast) throws IOException {
    Found f = resolve(absPath, followLast, true, true);
    return f == null || !f.exists() ? null : f;
  }

  private Found resolve(String absPath, boolean followLast, boolean allowMissing,
      boolean nullIfMissing) throws IOException {
    ArrayDeque<String> todo = new ArrayDeque<>();
    for (String name : PathNames.componentsRaw(absPath)) {
      todo.addLast(name); // not the copying constructor, which calls forEach with a lambda
    }
    Cursor cur = rootCursor();
    int hops = 0;
    if (todo.isEmpty()) {
      return dirFound(cur);
    }
    while (true) {
      String c = todo.pollFirst();
      boolean last = todo.isEmpty();
      if (c.equals(".") || c.equals("..")) {
        if (c.equals("..") && cur.parent != null) {
          cur = cur.parent;
        }
        if (last) {
          return dirFound(cur);
        }
        continue;
      }
      Object o = child(cur, c);
      if (o == null) {
        PathLimits.checkMissingName(absPath, c);
        if (nullIfMissing) {
          return null;
        }
        if (last && allowMissing) {
          return new Found(cur, c, PathNames.child(cur.path, c), null, null);
        }
        throw new NoSuchFileException(absPath);
      }
      if (isSymlink(o) && (!last || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw PathErrors.tooManyLinks(absPath);
        }
        String target = linkTarget(o);
        if (target.isEmpty()) {
          if (nullIfMissing) {
            return null;
          }
          throw new NoSuchFileException(absPath);
        }
        if (target.charAt(0) == '/') {
          cur = rootCursor();
        }
        List<String> parts = PathNames.componentsRaw(target);
        for (int i = parts.size() - 1; i >= 0; i--) {
          todo.addFirst(parts.get(i));
        }
        if (todo.isEmpty()) {
          return dirFound(cur);
        }
        continue;
      }
      if (isDirectory(o)) {
        cur = descend(cur, c, o);
        if (last) {
          return dirFound(cur);
        }
        continue;
      }
      if (!last) {
        throw new FileSystemException(absPath, null, "Not a directory");
      }
      return new Found(cur, c, PathNames.child(cur.path, c), o, null);
    }
  }

  /**
   * The child {@code name} (a plain name) of the directory {@code dir}, as {@link #resolve} of
   * its path without following a last link finds it; null if missing.
   */
  Found childFound(Cursor dir, String name) throws IOException {
    Object o = child(dir, name);
    return o == null ? null : found(dir, name, o);
  }

  /** The child {@code name} of {@code dir}, which is {@code o} (not null), as a {@link Found}. */
  private Found found(Cursor dir, String name, Object o) throws IOException {
    return isDirectory(o) ? dirFound(descend(dir, name, o))
        : new Found(dir, name, PathNames.child(dir.path, name), o, null);
  }

  private Found dirFound(Cursor c) throws IOException {
    Object obj = c.up != null ? c.up : lowerNode(c);
    return new Found(c.parent, c.name, c.path, obj, c);
  }

  /** The child {@code name} of a merged directory: upper entry, lower node, or null. */
  Object child(Cursor dir, String name) throws IOException {
    if (dir.up != null) {
      UpperEntry e = dir.up.children.get(name);
      if (e == UpperEntry.WHITEOUT) {
        return null;
      }
      if (e != null) {
        return e;
      }
    }
    return lowerChild(dir, name);
  }

  private LayerNode lowerChild(Cursor dir, String name) throws IOException {
    LayerNode d = lowerNode(dir);
    // find, not lookup: a new name in an image directory is the common case of a create
    return d == null ? null : lower.findChild(d, name);
  }

  /**
   * The node of a cursor's lower directory, or null if it has none: found from its parent's in
   * one step where the lower path is the parent's plus its name (no redirect), so that resolving
   * a path costs its depth, not its depth squared.
   */
  LayerNode lowerNode(Cursor c) throws IOException {
    if (c.lower == null || c.lowerNode != null) {
      return c.lowerNode;
    }
    // up to the nearest cursor whose node is known or that cannot step from its parent, then
    // down again: no recursion, however deep the tree
    ArrayDeque<Cursor> chain = new ArrayDeque<>();
    Cursor k = c;
    while (k.lowerNode == null && steps(k)) {
      chain.push(k);
      k = k.parent;
    }
    if (k.lowerNode == null) {
      k.lowerNode = directory(lower.find(k.lower, false));
    }
    LayerNode n = k.lowerNode;
    while (!chain.isEmpty()) {
      Cursor d = chain.pop();
      n = n == null ? null : directory(lower.findChild(n, d.name));
      d.lowerNode = n;
    }
    return c.lowerNode;
  }

  /** Whether {@code c}'s lower directory is its parent's plus its name (no redirect). */
  private static boolean steps(Cursor c) {
    Cursor p = c.parent;
    return p != null && p.lower != null && c.lower != null
        && c.lower.equals(PathNames.child(p.lower, c.name));
  }

  /** {@code n} if it is a directory: below a non-directory of the image nothing shows. */
  private static LayerNode directory(LayerNode n) {
    return n != null && n.isDirectory() ? n : null;
  }

  /** Whether the lower layers have {@code name} in the directory (deleting it needs a whiteout). */
  boolean hasLower(Cursor dir, String name) throws IOException {
    return lowerChild(dir, name) != null;
  }

  /** The cursor of directory {@code name} (an {@link UpperDir} or a lower node) in {@code cur}. */
  static Cursor descend(Cursor cur, String name, Object o) {
    String path = PathNames.child(cur.path, name);
    if (o instanceof UpperDir) {
      UpperDir d = (UpperDir) o;
      return new Cursor(path, d, d.lower, cur, name);
    }
    Cursor c = new Cursor(path, null, PathNames.child(cur.lower, name), cur, name);
    c.lowerNode = (LayerNode) o; // callers descend only into directories
    return c;
  }

  static boolean isSymlink(Object o) {
    if (o instanceof UpperFile) {
      return ((UpperFile) o).type == EntryType.SYMLINK;
    }
    return o instanceof LayerNode && ((LayerNode) o).isSymbolicLink();
  }

  static boolean isDirectory(Object o) {
    return o instanceof UpperDir || (o instanceof LayerNode && ((LayerNode) o).isDirectory());
  }

  private static String linkTarget(Object o) {
    return o instanceof UpperFile ? ((UpperFile) o).linkTarget : ((LayerNode) o).linkTarget();
  }

  /** The sorted names of a merged directory. */
  List<String> list(Cursor dir) throws IOException {
    List<String> image = List.of();
    if (dir.lower != null) {
      LayerNode d = lowerNode(dir);
      if (d != null) {
        image = lower.list(d);
      }
    }
    if (dir.up == null || dir.up.children.isEmpty()) {
      return image; // nothing of the upper layer to merge in: the image's names, sorted
    }
    TreeSet<String> names = new TreeSet<>(image);
    for (Map.Entry<String, UpperEntry> e : dir.up.children.entrySet()) {
      if (e.getValue() == UpperEntry.WHITEOUT) {
        names.remove(e.getKey());
      } else {
        names.add(e.getKey());
      }
    }
    return new ArrayList<>(names);
  }

  /** The upper directory of {@code c}, copying its chain up (metadata only) as needed. */
  UpperDir ensureUpper(Cursor c, UpperLayer.Batch b) throws IOException {
    // the cursors without an upper directory, innermost first: a loop, not recursion, for
    // trees thousands of levels deep
    ArrayDeque<Cursor> chain = new ArrayDeque<>();
    for (Cursor k = c; k.up == null; k = k.parent) {
      chain.push(k);
    }
    while (!chain.isEmpty()) {
      Cursor k = chain.pop();
      UpperDir pu = k.parent.up;
      UpperEntry existing = pu.children.get(k.name);
      if (existing instanceof UpperDir) {
        k.up = (UpperDir) existing;
        continue;
      }
      LayerNode n = lowerNode(k);
      UpperDir d = upper.newDir();
      d.copyUpFrom(n, k.lower);
      b.dirWithImageKey(d);
      b.put(pu, k.name, d);
      k.up = d;
    }
    return c.up;
  }

  /** The upper file of a found non-directory, copying a lower one up as a metacopy. */
  UpperFile copyUp(Found f, UpperLayer.Batch b) throws IOException {
    if (f.obj instanceof UpperFile) {
      return (UpperFile) f.obj;
    }
    UpperDir pu = ensureUpper(f.parent, b);
    LayerNode n = (LayerNode) f.obj;
    UpperFile uf = copyOf(n, n.ctimeNanos(), b);
    b.put(pu, f.name, uf);
    return uf;
  }

  /**
   * A new upper file for the image file {@code n}, its metadata copied (its bytes stay the
   * layer's until written) but its change time {@code ctime}, which the channels reading {@code
   * n} move onto; not yet named.
   */
  UpperFile copyOf(LayerNode n, long ctime, UpperLayer.Batch b) throws IOException {
    UpperFile uf = upper.newFile(n.type());
    uf.copyUpFrom(n);
    uf.ctime = ctime;
    b.fileWithImageKey(uf);
    // before the batch commits: should it fail, the copy the readers read is the image's bytes
    readers.copiedUp(n, uf);
    return uf;
  }

  /** The upper entry of a found name, copying up metadata only: for chmod, chown, touch, xattrs. */
  UpperEntry copyUpMeta(Found f, UpperLayer.Batch b) throws IOException {
    return f.dir != null ? ensureUpper(f.dir, b) : copyUp(f, b);
  }

  /** The {@link Node} of a found name, as of now. */
  Node node(Found f) {
    if (f.obj instanceof LayerNode) {
      return ((LayerNode) f.obj).withPath(f.path);
    }
    if (f.obj instanceof UpperDir) {
      return new UpperNode(f.path, (UpperDir) f.obj, new SubdirLinks(this, f.dir));
    }
    UpperFile u = (UpperFile) f.obj;
    synchronized (u) {
      return new UpperNode(f.path, u, new FileLinks(Math.max(1, u.nlink)));
    }
  }

  // Classes, not lambdas, for the link counts: a fresh JVM spins a class for a lambda on its
  // first use, and a container's first walk makes these for every upper node.

  /** A directory's link count, counted when first asked. */
  private static final class SubdirLinks implements IntSupplier {
    private final ContainerTree tree;
    private final Cursor dir;

    SubdirLinks(ContainerTree tree, Cursor dir) {
      this.tree = tree;
      this.dir = dir;
    }

    @Override
    public int getAsInt() {
      return tree.subdirLinks(dir);
    }
  }

  /** A file's link count as it was when its node was made. */
  private static final class FileLinks implements IntSupplier {
    private final int links;

    FileLinks(int links) {
      this.links = links;
    }

    @Override
    public int getAsInt() {
      return links;
    }
  }

  private int subdirLinks(Cursor c) {
    lock.readLock().lock();
    try {
      int n = 2;
      for (String name : list(c)) {
        if (isDirectory(child(c, name))) {
          n++;
        }
      }
      return n;
    } catch (IOException e) {
      return 2;
    } finally {
      lock.readLock().unlock();
    }
  }

}
