package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import io.layerfs.core.internal.PathNames;
import io.layerfs.testing.Props;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;

/**
 * {@link MergedTree} against a reference that applies layers in order to one in-memory map, the
 * way {@code umoci unpack} extracts them into one directory: per layer, first the whiteouts and
 * opaque markers (the OCI image spec: "applied first ... regardless of the ordering"), then the
 * other entries in tar order; a missing or non-directory parent becomes a directory (0755, 0:0).
 * As in umoci, a marker below a path that its own layer has (so far) as a non-directory is a
 * no-op, and any other entry there makes the layer fail to unpack (mkdir parent: not a
 * directory).
 */
class MergedTreeModelTest {
  /** ELOOP's reason, in the JDK's default provider's words. */
  private static final String LOOP =
      "Too many levels of symbolic links or unable to access attributes of symbolic link";

  // ------------------------------------------------------------------------------ operations

  sealed interface Op permits FileOp, DirOp, LinkOp, HardOp, WhiteoutOp, OpaqueOp, RootOp {}

  record FileOp(String path, int mode, int uid) implements Op {}

  record DirOp(String path, int mode, int uid) implements Op {}

  record LinkOp(String path, String target) implements Op {}

  record HardOp(String path, String target) implements Op {}

  record WhiteoutOp(String dir, String name) implements Op {}

  record OpaqueOp(String dir) implements Op {}

  record RootOp(int mode) implements Op {}

  static Gen<List<List<Op>>> stacks(Props p) {
    Gen<String> comp = p.choose("a", "b", "c");
    Gen<String> path = p.map(p.lists(comp, 1, 3), l -> String.join("/", l));
    Gen<String> dir = p.map(p.lists(comp, 0, 2), l -> String.join("/", l));
    Gen<Integer> mode = p.choose(0644, 0600, 0755, 0700);
    Gen<Integer> uid = p.ints(0, 2);
    Gen<String> target = p.combine(p.choose("", "/", "../", "./", "../../", "/a/../"), path,
        (prefix, s) -> prefix + s);
    Gen<Op> op = p.frequency(List.of(
        Pair.of(30, p.combine(path, mode, uid, FileOp::new)),
        Pair.of(20, p.combine(path, mode, uid, DirOp::new)),
        Pair.of(10, p.combine(path, target, LinkOp::new)),
        Pair.of(7, p.combine(path, path, HardOp::new)),
        Pair.of(12, p.combine(dir, comp, WhiteoutOp::new)),
        Pair.of(6, p.map(dir, OpaqueOp::new)),
        Pair.of(2, p.map(mode, RootOp::new))));
    // umoci repack's "directory became a file": the file, then whiteouts (or an opaque marker)
    // below it in the same layer; and other entries below a non-directory of the same layer
    Gen<List<Op>> dirToFile = p.combine(path, mode, p.lists(comp, 1, 2), p.booleans(),
        (f, m, names, opaque) -> {
          List<Op> ops = new ArrayList<>();
          ops.add(new FileOp(f, m, 0));
          for (String n : names) {
            ops.add(new WhiteoutOp(f, n));
          }
          if (opaque) {
            ops.add(new OpaqueOp(f));
          }
          return ops;
        });
    Gen<List<Op>> chunk =
        p.frequency(List.of(Pair.of(92, p.map(op, o -> List.of(o))), Pair.of(8, dirToFile)));
    Gen<List<Op>> layer = p.map(p.lists(chunk, 0, 10),
        cs -> cs.stream().flatMap(List::stream).toList());
    return p.lists(layer, 1, 4);
  }

  /**
   * Whether the model can take {@code stack} (jqwik's Assume before): not when a layer hard links
   * a directory, which the indexer rejects; with {@code unpackable}, not when umoci would fail.
   */
  static boolean modelled(List<List<Op>> stack, boolean unpackable) {
    Model model = new Model();
    for (int l = 0; l < stack.size(); l++) {
      model.apply(stack.get(l), l);
      if (model.invalid || (unpackable && model.belowNonDirectory)) {
        return false;
      }
      if (model.belowNonDirectory) {
        return true; // the property stops at this layer
      }
    }
    return true;
  }

  // ------------------------------------------------------------------------------- reference

  static final class MNode {
    final String kind; // file, dir, link
    int mode;
    int uid;
    long mtime;
    final String content; // file data or link target
    boolean explicit;

    MNode(String kind, int mode, int uid, long mtime, String content, boolean explicit) {
      this.kind = kind;
      this.mode = mode;
      this.uid = uid;
      this.mtime = mtime;
      this.content = content;
      this.explicit = explicit;
    }

    boolean dir() {
      return kind.equals("dir");
    }

    static MNode impliedDir() {
      return new MNode("dir", 0755, 0, 0, "", false);
    }
  }

  static final class Model {
    final Map<String, MNode> map = new HashMap<>();
    boolean invalid;
    /** An entry other than a marker lies below a non-directory of its own layer: umoci fails. */
    boolean belowNonDirectory;

    Model() {
      map.put("/", MNode.impliedDir());
    }

    void apply(List<Op> ops, int layer) {
      Map<String, MNode> before = new HashMap<>(map);
      for (Op op : ops) {
        if (op instanceof WhiteoutOp w) {
          removeSubtree(PathNames.child(abs(w.dir()), w.name()), null);
        } else if (op instanceof OpaqueOp o) {
          String d = abs(o.dir());
          if (map.containsKey(d) && map.get(d).dir()) {
            for (String p : new ArrayList<>(map.keySet())) {
              if (isUnder(p, d)) {
                map.remove(p);
              }
            }
          }
        }
      }
      Set<String> layerPaths = new HashSet<>();
      Set<String> dead = new HashSet<>();
      int i = 0;
      for (Op op : ops) {
        long mtime = mtime(layer, i++);
        if (op instanceof WhiteoutOp w) {
          // umoci: a marker below a non-directory of this layer removes and creates nothing
          if (!blocked(abs(w.dir()), layerPaths, dead)) {
            ensureDirs(abs(w.dir()), true, layerPaths, dead);
          }
        } else if (op instanceof OpaqueOp o) {
          if (!blocked(abs(o.dir()), layerPaths, dead)) {
            ensureDirs(abs(o.dir()), true, layerPaths, dead);
          }
        } else if (op instanceof RootOp r) {
          MNode root = map.get("/");
          root.mode = r.mode();
          root.uid = 0;
          root.mtime = mtime;
          root.explicit = true;
        } else {
          String p = abs(pathOf(op));
          if (blocked(PathNames.parent(p), layerPaths, dead)) {
            belowNonDirectory = true; // umoci: mkdir parent: not a directory
            return;
          }
          ensureDirs(PathNames.parent(p), true, layerPaths, dead);
          MNode node;
          if (op instanceof FileOp f) {
            node = new MNode("file", f.mode(), f.uid(), mtime, content(layer, i - 1), true);
          } else if (op instanceof DirOp d) {
            node = new MNode("dir", d.mode(), d.uid(), mtime, "", true);
          } else if (op instanceof LinkOp l) {
            node = new MNode("link", 0777, 0, mtime, l.target(), true);
          } else {
            String t = PathNames.normalize(((HardOp) op).target());
            if (layerPaths.contains(t) && (map.containsKey(t) || dead.contains(t))) {
              node = dead.contains(t) ? null : map.get(t);
              if (node != null && node.dir()) {
                invalid = true; // the indexer rejects a hard link to a directory
                return;
              }
            } else {
              node = resolveIn(before, t, false) instanceof Path rp ? before.get(rp.p()) : null;
              if (node != null && node.dir()) {
                node = null;
              }
            }
            if (node == null) {
              removeSubtree(p, layerPaths);
              dead.add(p);
              layerPaths.add(p);
              continue;
            }
          }
          MNode old = map.get(p);
          if (old != null && old.dir() && node.dir()) {
            old.mode = node.mode;
            old.uid = node.uid;
            old.mtime = node.mtime;
            old.explicit = true;
          } else {
            removeSubtree(p, layerPaths);
            map.put(p, node);
          }
          dead.remove(p);
          layerPaths.add(p);
        }
      }
    }

    /** Whether {@code dir} or an ancestor is, in this layer so far, a non-directory entry. */
    private boolean blocked(String dir, Set<String> layerPaths, Set<String> dead) {
      String cur = "/";
      for (String c : PathNames.components(dir)) {
        cur = PathNames.child(cur, c);
        MNode n = map.get(cur);
        if (layerPaths.contains(cur) && (dead.contains(cur) || (n != null && !n.dir()))) {
          return true;
        }
      }
      return false;
    }

    private void ensureDirs(String dir, boolean inclusive, Set<String> layerPaths,
        Set<String> dead) {
      List<String> comps = PathNames.components(dir);
      String cur = "/";
      for (String c : comps) {
        cur = PathNames.child(cur, c);
        MNode n = map.get(cur);
        if (n == null || !n.dir()) {
          removeSubtree(cur, layerPaths);
          dead.remove(cur);
          map.put(cur, MNode.impliedDir());
        }
        layerPaths.add(cur);
      }
    }

    private void removeSubtree(String p, Set<String> layerPaths) {
      for (String k : new ArrayList<>(map.keySet())) {
        if (k.equals(p) || isUnder(k, p)) {
          map.remove(k);
        }
      }
      if (layerPaths != null) {
        layerPaths.removeIf(k -> k.equals(p) || isUnder(k, p));
      }
    }
  }

  static boolean isUnder(String p, String dir) {
    return dir.equals("/") ? !p.equals("/") : p.startsWith(dir + "/");
  }

  static String abs(String rel) {
    return PathNames.normalize(rel);
  }

  static String pathOf(Op op) {
    if (op instanceof FileOp f) {
      return f.path();
    } else if (op instanceof DirOp d) {
      return d.path();
    } else if (op instanceof LinkOp l) {
      return l.path();
    }
    return ((HardOp) op).path();
  }

  static long mtime(int layer, int i) {
    return (layer * 1000L + i + 1) * 1_000_000_000L;
  }

  static String content(int layer, int i) {
    return "L" + layer + "#" + i;
  }

  /** Chroot resolution over a model map: the resolved path, or "ENOENT"/"ENOTDIR"/"ELOOP". */
  static Object resolveIn(Map<String, MNode> m, String path, boolean followLast) {
    ArrayDeque<String> todo = new ArrayDeque<>(PathNames.componentsRaw(path));
    String cur = "/";
    int hops = 0;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (!m.get(cur).dir()) {
        return "ENOTDIR";
      }
      if (c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        cur = cur.equals("/") ? "/" : PathNames.parent(cur);
        continue;
      }
      String next = PathNames.child(cur, c);
      MNode n = m.get(next);
      if (n == null) {
        return "ENOENT";
      }
      if (n.kind.equals("link") && (followLast || !todo.isEmpty())) {
        if (++hops > 40) {
          return "ELOOP";
        }
        if (n.content.isEmpty()) {
          return "ENOENT";
        }
        if (n.content.startsWith("/")) {
          cur = "/";
        }
        List<String> t = PathNames.componentsRaw(n.content);
        for (int i = t.size() - 1; i >= 0; i--) {
          todo.addFirst(t.get(i));
        }
        continue;
      }
      cur = next;
    }
    return new Path(cur);
  }

  record Path(String p) {}

  // --------------------------------------------------------------------------------- property

  // a fixed seed keeps CI repeatable; -Dlayerfs.qt.seed for new stacks, and
  // -Dlayerfs.fuzz.tries=N for a longer run (a fresh seed each run unless one is given)
  @Test
  void mergedTreeMatchesReference() {
    Integer longer = Integer.getInteger("layerfs.fuzz.tries");
    Props p = longer != null ? Props.tries(longer) : Props.tries(400).seed(20261126);
    p.qt()
        .withShrinkCycles(2500) // about 4 ms each
        .forAll(stacks(p))
        .assuming(stack -> modelled(stack, false))
        .checkAssert(Props.io(MergedTreeModelTest::matchesReference));
  }

  private interface Finder {
    LayerNode find() throws IOException;
  }

  /** What a lookup found: path, type and key, null, or the error (type and message). */
  private static String found(Finder f) {
    try {
      LayerNode n = f.find();
      return n == null ? null : n.path() + " " + n.type() + " " + n.fileKey();
    } catch (IOException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static void matchesReference(List<List<Op>> stack) throws IOException {
    Model model = new Model();
    List<LayerIndex> indexes = new ArrayList<>();
    List<byte[]> tars = new ArrayList<>();
    List<Digest> digests = new ArrayList<>();
    for (int l = 0; l < stack.size(); l++) {
      model.apply(stack.get(l), l); // never invalid: modelled(stack, false) holds
      byte[] tar = tar(stack.get(l), l);
      if (model.belowNonDirectory) {
        IOException e = assertThrows(IOException.class,
            () -> TarIndexer.index(new ByteArrayInputStream(tar)), "layer " + l + " of " + stack);
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
        return;
      }
      tars.add(tar);
      indexes.add(TarIndexer.index(new ByteArrayInputStream(tar)));
      digests.add(Digest.sha256(tar));
    }
    MergedTree tree = MergedTree.of(indexes, digests);
    Map<String, MNode> m = model.map;

    // every path of the model, not following the last component
    IdentityHashMap<MNode, Long> keyOf = new IdentityHashMap<>();
    Map<Long, MNode> nodeOf = new HashMap<>();
    Map<MNode, Integer> names = new IdentityHashMap<>();
    m.values().forEach(n -> names.merge(n, 1, Integer::sum));
    for (Map.Entry<String, MNode> me : new TreeMap<>(m).entrySet()) {
      String p = me.getKey();
      MNode want = me.getValue();
      LayerNode got = tree.lookup(p, false);
      String ctx = p + " in " + stack;
      assertEquals(p, got.path(), ctx);
      // the same path spelled with extra slashes names the same node by its clean path
      assertEquals(p, tree.lookup(p.replace("/", "//"), false).path(), "// " + ctx);
      if (want.dir()) {
        assertEquals(p, tree.lookup("/" + p + "/", false).path(), "trailing / " + ctx);
      }
      switch (want.kind) {
        case "dir" -> {
          assertEquals(EntryType.DIRECTORY, got.type(), ctx);
          List<String> kids = new ArrayList<>(new TreeSet<>(childrenOf(m, p)));
          assertEquals(kids, tree.list(p), ctx);
          assertEquals(kids, tree.list(got), ctx);
          // as on Linux: its own name, its "." and each subdirectory's ".."
          long subdirs = kids.stream().filter(k -> m.get(PathNames.child(p, k)).dir()).count();
          assertEquals(2 + subdirs, got.linkCount(), "links of " + ctx);
          assertEquals(got.layer() < 0 ? null : digests.get(got.layer()), got.layerDigest(),
              "layer digest of " + ctx);
          // a child in one step is the child found from the root
          List<String> probeNames = new ArrayList<>(kids);
          probeNames.addAll(List.of("absent", ".", "..", "", "a/b"));
          for (String k : probeNames) {
            assertEquals(found(() -> tree.find(PathNames.child(p, k), false)),
                found(() -> tree.findChild(got, k)), "child " + k + " of " + ctx);
          }
        }
        case "file" -> {
          assertEquals(EntryType.FILE, got.type(), ctx);
          byte[] data = Arrays.copyOfRange(tars.get(got.layer()), (int) got.dataOffset(),
              (int) (got.dataOffset() + got.size()));
          assertEquals(want.content, new String(data, StandardCharsets.UTF_8), ctx);
          assertEquals(digests.get(got.layer()), got.layerDigest(), ctx);
        }
        default -> {
          assertEquals(EntryType.SYMLINK, got.type(), ctx);
          assertEquals(want.content, got.linkTarget(), ctx);
        }
      }
      if (!want.kind.equals("link")) {
        assertEquals(want.mode, got.mode(), "mode of " + ctx);
        assertEquals(want.uid, got.uid(), "uid of " + ctx);
        assertEquals(want.mtime, got.mtimeNanos(), "mtime of " + ctx);
      }
      if (!want.dir()) {
        assertEquals((int) names.get(want), got.linkCount(), "links of " + ctx);
        Long k = keyOf.putIfAbsent(want, got.fileKey());
        if (k != null) {
          assertEquals(k, got.fileKey(), "hard links share a key: " + ctx);
        }
        MNode other = nodeOf.putIfAbsent(got.fileKey(), want);
        if (other != null && other != want) {
          fail("distinct files share a key: " + ctx);
        }
      }
    }
    assertEquals(List.copyOf(new TreeSet<>(childrenOf(m, "/"))), tree.list("/"));

    // resolution of every model path and of some that do not exist, following symlinks
    Set<String> probes = new TreeSet<>(m.keySet());
    for (String p : m.keySet()) {
      probes.add(PathNames.child(p, "a"));
      probes.add(PathNames.child(p, "../b"));
    }
    for (String p : probes) {
      for (boolean follow : new boolean[] {true, false}) {
        Object want = resolveIn(m, p, follow);
        String got;
        try {
          got = tree.lookup(p, follow).path();
        } catch (NoSuchFileException e) {
          assertEquals(p, e.getFile());
          got = "ENOENT";
        } catch (FileSystemException e) {
          assertEquals(p, e.getFile());
          got = e.getReason().equals("Not a directory") ? "ENOTDIR"
              : e.getReason().equals(LOOP) ? "ELOOP"
              : e.getReason();
        }
        String w = want instanceof Path wp ? wp.p() : (String) want;
        assertEquals(w, got, "resolve " + p + " follow=" + follow + " in " + stack);
        // find answers as lookup does, with null instead of NoSuchFileException
        String found;
        try {
          Node n = tree.find(p, follow);
          found = n == null ? "ENOENT" : n.path();
        } catch (FileSystemException e) {
          assertFalse(e instanceof NoSuchFileException, "find threw " + e);
          found = e.getReason().equals("Not a directory") ? "ENOTDIR"
              : e.getReason().equals(LOOP) ? "ELOOP"
              : e.getReason();
        }
        assertEquals(got, found, "find " + p + " follow=" + follow + " in " + stack);
      }
    }
  }

  static List<String> childrenOf(Map<String, MNode> m, String dir) {
    List<String> r = new ArrayList<>();
    for (String k : m.keySet()) {
      if (!k.equals("/") && PathNames.parent(k).equals(dir)) {
        r.add(PathNames.fileName(k));
      }
    }
    return r;
  }

  static byte[] tar(List<Op> ops, int layer) {
    TestTars t = new TestTars();
    int i = 0;
    for (Op op : ops) {
      long mtime = mtime(layer, i);
      String content = content(layer, i++);
      TarArchiveEntry e;
      byte[] data = null;
      if (op instanceof FileOp f) {
        e = new TarArchiveEntry(f.path());
        data = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(data.length);
        e.setMode(0100000 | f.mode());
        e.setUserId(f.uid());
      } else if (op instanceof DirOp d) {
        e = new TarArchiveEntry(d.path() + "/");
        e.setMode(040000 | d.mode());
        e.setUserId(d.uid());
      } else if (op instanceof RootOp r) {
        e = new TarArchiveEntry("./");
        e.setMode(040000 | r.mode());
      } else if (op instanceof LinkOp l) {
        e = new TarArchiveEntry(l.path(), TarConstants.LF_SYMLINK);
        e.setLinkName(l.target());
      } else if (op instanceof HardOp h) {
        e = new TarArchiveEntry(h.path(), TarConstants.LF_LINK);
        e.setLinkName(h.target());
      } else if (op instanceof WhiteoutOp w) {
        e = new TarArchiveEntry(w.dir().isEmpty() ? ".wh." + w.name()
            : w.dir() + "/.wh." + w.name());
      } else {
        String d = ((OpaqueOp) op).dir();
        e = new TarArchiveEntry(d.isEmpty() ? ".wh..wh..opq" : d + "/.wh..wh..opq");
      }
      e.setModTime(FileTime.fromMillis(mtime / 1_000_000));
      t.entry(e, data);
    }
    return t.bytes();
  }

  @Test
  void readingTheSameTarTwiceGivesEqualTrees() {
    Props p = Props.tries(50);
    p.qt()
        .forAll(stacks(p))
        .assuming(stack -> modelled(stack, true))
        .checkAssert(Props.io(stack -> {
          for (int l = 0; l < stack.size(); l++) {
            byte[] tar = tar(stack.get(l), l);
            LayerIndex a = TarIndexer.index(new ByteArrayInputStream(tar));
            LayerIndex b = TarIndexer.index(new ByteArrayInputStream(tar));
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
              assertEquals(a.path(i), b.path(i));
              assertArrayEquals(new int[] {a.typeCode(i)}, new int[] {b.typeCode(i)});
            }
          }
        }));
  }
}
