package io.layerfs.core.overlay;

import io.layerfs.core.Change;
import io.layerfs.core.Node;
import io.layerfs.core.internal.PathNames;
import io.layerfs.core.rootfs.RootFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The changes of a container against its image, in the order a layer tar holds them: the shared
 * source of {@link Overlay#diff} and {@link Overlay#commit}. Directories copied up in place are
 * walked incrementally (only their upper children), any other upper directory in full (opaque
 * marker and every merged name), which is how a renamed image directory becomes plain layer
 * entries; the package documentation gives the rules and the {@code A}/{@code C}/{@code D}
 * letters.
 *
 * <p>Callers hold the container's tree lock.
 */
final class ChangeWalk {
  /** What an item puts into the layer. */
  enum Op {
    /** A file, directory, link or device at {@link Item#path}. */
    ENTRY,
    /** A whiteout: the image's {@link Item#path} is deleted. */
    WHITEOUT,
    /** An opaque marker: the image's children of directory {@link Item#path} are hidden. */
    OPAQUE,
    /** Only for the diff: the image's {@link Item#path} is gone under an opaque directory. */
    HIDDEN
  }

  /**
   * One step of the walk. For an {@link Op#ENTRY}, {@code node} has its metadata as of the walk
   * and {@code source} is the {@link UpperFile} or lower {@link Node} to read bytes from.
   */
  record Item(Op op, String path, Node node, Object source, Change.Kind kind) {}

  private final ContainerTree tree;
  private final RootFs image;
  private final List<Item> items = new ArrayList<>();
  private final ArrayDeque<Step> pending = new ArrayDeque<>();

  private ChangeWalk(ContainerTree tree) {
    this.tree = tree;
    this.image = tree.lower();
  }

  /** Walks the container of {@code tree} (see the package documentation). */
  static ChangeWalk walk(ContainerTree tree) throws IOException {
    ChangeWalk w = new ChangeWalk(tree);
    ContainerTree.Cursor root = tree.rootCursor();
    w.run(List.of(() -> w.incremental(root, true)));
    return w;
  }

  /**
   * Walks the image of {@code tree} in full, as if its whole tree were new: the entries of a
   * single layer holding it (flatten).
   */
  static ChangeWalk walkAll(ContainerTree tree) throws IOException {
    ChangeWalk w = new ChangeWalk(tree);
    ContainerTree.Cursor root = tree.rootCursor();
    w.items.add(new Item(Op.ENTRY, "/", w.image.lookup("/", false), null, Change.Kind.CHANGED));
    List<Step> steps = new ArrayList<>();
    for (String name : tree.list(root)) {
      Object child = tree.child(root, name);
      String path = PathNames.child("/", name);
      if (ContainerTree.isDirectory(child)) {
        ContainerTree.Cursor cc = ContainerTree.descend(root, name, child);
        steps.add(() -> w.full(cc, null, true));
      } else {
        steps.add(() -> w.file(root, name, path, child, null));
      }
    }
    w.run(steps);
    return w;
  }

  /**
   * Leaves out the item of the root directory, as {@code docker export} writes no entry for it
   * (moby's archive code skips the source directory itself); a layer keeps it, for the root's
   * metadata.
   */
  void dropRoot() {
    items.removeIf(i -> i.op() == Op.ENTRY && i.path().equals("/"));
  }

  /** The items in layer order. */
  List<Item> items() {
    return items;
  }

  /** The changes as {@code docker diff} lists them, sorted by path. */
  List<Change> changes() {
    List<Change> out = new ArrayList<>();
    for (Item i : items) {
      // docker diff never lists the root itself
      if (i.op() != Op.OPAQUE && !i.path().equals("/")) {
        out.add(new Change(i.kind(), i.path()));
      }
    }
    out.sort((a, b) -> a.path().compareTo(b.path()));
    return out;
  }

  /** Reads bytes of an entry's source at {@code position}; -1 at its end. */
  int read(Item item, ByteBuffer dst, long position) throws IOException {
    if (item.source() instanceof UpperFile) {
      return ((UpperFile) item.source()).read(dst, position);
    }
    return image.read((Node.Lower) item.source(), dst, position);
  }

  private void incremental(ContainerTree.Cursor c, boolean root) throws IOException {
    if (!root) {
      entry(c, c.up, Change.Kind.CHANGED);
    } else {
      Node before = image.lookup("/", false);
      Node now = tree.node(new ContainerTree.Found(null, null, "/", c.up, c));
      if (!sameMeta(before, now)) {
        // a ./ entry: the root's own mode, owner, times or xattrs changed
        items.add(new Item(Op.ENTRY, "/", now, null, Change.Kind.CHANGED));
      }
    }
    List<Step> steps = new ArrayList<>();
    for (Map.Entry<String, UpperEntry> e : c.up.sortedChildren().entrySet()) {
      String name = e.getKey();
      UpperEntry child = e.getValue();
      String path = PathNames.child(c.path, name);
      Node before = imageNode(path);
      if (child == UpperEntry.WHITEOUT) {
        if (before != null) {
          steps.add(() -> items.add(
              new Item(Op.WHITEOUT, path, null, null, Change.Kind.DELETED)));
        }
      } else if (child instanceof UpperDir) {
        UpperDir d = (UpperDir) child;
        ContainerTree.Cursor cc = ContainerTree.descend(c, name, d);
        if (path.equals(d.lower) && before != null && before.isDirectory()) {
          steps.add(() -> incremental(cc, false));
        } else {
          steps.add(() -> full(cc, before, false));
        }
      } else {
        steps.add(() -> file(c, name, path, child, before));
      }
    }
    push(steps);
  }

  /**
   * Walks a directory in full.
   *
   * @param before the image's node at the same path, or null
   * @param hidden whether an opaque marker above already hides the image's content here
   */
  private void full(ContainerTree.Cursor c, Node before, boolean hidden) throws IOException {
    Object self = c.up != null ? c.up : tree.lowerNode(c);
    entry(c, self, before != null ? Change.Kind.CHANGED : Change.Kind.ADDED);
    boolean beforeDir = before != null && before.isDirectory();
    List<String> names = tree.list(c);
    if (beforeDir) {
      if (!hidden) {
        items.add(new Item(Op.OPAQUE, c.path, null, null, Change.Kind.CHANGED));
      }
      Set<String> now = new TreeSet<>(names);
      for (String old : image.list(c.path)) {
        if (!now.contains(old)) {
          items.add(new Item(Op.HIDDEN, PathNames.child(c.path, old), null, null,
              Change.Kind.DELETED));
        }
      }
    }
    List<Step> steps = new ArrayList<>();
    for (String name : names) {
      Object child = tree.child(c, name);
      String path = PathNames.child(c.path, name);
      Node childBefore = beforeDir ? imageNode(path) : null;
      if (ContainerTree.isDirectory(child)) {
        ContainerTree.Cursor cc = ContainerTree.descend(c, name, child);
        steps.add(() -> full(cc, childBefore, true));
      } else {
        steps.add(() -> file(c, name, path, child, childBefore));
      }
    }
    push(steps);
  }

  /** One step of the walk; a directory's step pushes its children's steps. */
  private interface Step {
    void run() throws IOException;
  }

  /**
   * Steps to run next, in order: they go on the stack ahead of what was pending, so the items
   * come out as a recursive walk would give them (parents first, then each child's subtree), but
   * a tree thousands of levels deep needs no deep Java stack.
   */
  private void push(List<Step> steps) {
    for (int i = steps.size() - 1; i >= 0; i--) {
      pending.push(steps.get(i));
    }
  }

  private void run(List<Step> first) throws IOException {
    push(first);
    while (!pending.isEmpty()) {
      pending.pop().run();
    }
  }

  private void file(ContainerTree.Cursor parent, String name, String path, Object obj,
      Node before) {
    Node n = tree.node(new ContainerTree.Found(parent, name, path, obj, null));
    items.add(new Item(Op.ENTRY, path, n, obj,
        before != null ? Change.Kind.CHANGED : Change.Kind.ADDED));
  }

  private void entry(ContainerTree.Cursor c, Object obj, Change.Kind kind) {
    Node n = tree.node(new ContainerTree.Found(c.parent, c.name, c.path, obj, c));
    items.add(new Item(Op.ENTRY, c.path, n, null, kind));
  }

  private static boolean sameMeta(Node a, Node b) {
    if (a.mode() != b.mode() || a.uid() != b.uid() || a.gid() != b.gid()
        || a.mtimeNanos() != b.mtimeNanos() || a.xattrs().size() != b.xattrs().size()) {
      return false;
    }
    for (Map.Entry<String, byte[]> x : a.xattrs().entrySet()) {
      if (!java.util.Arrays.equals(x.getValue(), b.xattrs().get(x.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** The image's own entry at {@code path} (not one reached through a symbolic link), or null. */
  private Node imageNode(String path) throws IOException {
    try {
      Node n = image.lookup(path, false);
      return n.path().equals(path) ? n : null;
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      // a parent is not a directory or a link loop on the way: the image has nothing there
      return null;
    }
  }
}
