package io.layerfs.provider.contract;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The one tree every contract test reads, described once and materialized two ways: as a
 * directory of the host (by {@link #materialize}) and as an image of three layers (by {@code
 * FixtureImages}).
 *
 * <p>The description is a list of layers, each a list of operations, as a layer tar holds them:
 * entries (later ones replace earlier ones, a non-directory replacing a directory hides its
 * children), whiteouts ({@code .wh.NAME}: hide a lower path) and opaque markers (hide all lower
 * children of a directory). {@link #tree()} applies them in order, a small model of the OCI image
 * spec's layer changesets that says what the merged view must show; the host copy is that merged
 * tree.
 *
 * <p>Paths are relative, without a leading slash; every directory of the merged tree has an
 * explicit entry, so the host copy can give it its mode, owner and mtime.
 */
final class Fixture {
  /** The kinds of entries; a hard link names an earlier file of the same layer. */
  enum Kind {
    DIR, FILE, SYMLINK, HARDLINK, FIFO
  }

  /** One tar entry. {@code target} is a symlink's target or a hard link's linked path. */
  record Entry(int layer, Kind kind, String path, int mode, int uid, int gid, long mtimeSeconds,
      byte[] data, String target) {
    FileTime mtime() {
      return FileTime.from(mtimeSeconds, TimeUnit.SECONDS);
    }

    /** {@code st_mode} as {@code stat(2)} reports it: the file type over the mode bits. */
    int statMode() {
      return switch (kind) {
        case DIR -> 0040000 | mode;
        case SYMLINK -> 0120777;
        case FIFO -> 0010000 | mode;
        default -> 0100000 | mode;
      };
    }

    String name() {
      int slash = path.lastIndexOf('/');
      return slash < 0 ? path : path.substring(slash + 1);
    }

    String parent() {
      int slash = path.lastIndexOf('/');
      return slash < 0 ? "" : path.substring(0, slash);
    }
  }

  /** What a layer holds: an entry, a whiteout of {@code path}, or an opaque marker in it. */
  record Op(Entry entry, String whiteout, String opaque) {}

  static final int LAYERS = 3;
  static final int MANY = 300;
  /** 2020-01-01T00:00:00Z: mtimes are this plus a step per entry, whole seconds (tar's unit). */
  private static final long EPOCH = 1_577_836_800L;

  private static final List<List<Op>> OPS = build();
  private static final Map<String, Entry> TREE = merge(OPS);

  private Fixture() {}

  /** The operations of each layer, bottom to top. */
  static List<List<Op>> layers() {
    return OPS;
  }

  /** The merged tree: every path (relative, sorted) and the entry that wins for it. */
  static Map<String, Entry> tree() {
    return TREE;
  }

  static Entry get(String path) {
    Entry e = TREE.get(path);
    if (e == null) {
      throw new IllegalArgumentException("not in the fixture: " + path);
    }
    return e;
  }

  /**
   * The bytes a regular file of the fixture holds: deterministic, and not periodic at 4096, so
   * a read at the wrong offset shows.
   */
  static byte[] content(String path, int size) {
    byte[] b = new byte[size];
    int seed = path.hashCode();
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (i * 131 + (i >>> 9) * 7 + (i >>> 13) + seed);
    }
    return b;
  }

  /** The entry whose attributes a path shows: a hard link shows its target's. */
  static Entry stat(String path) {
    Entry e = get(path);
    return e.kind() == Kind.HARDLINK ? get(e.target()) : e;
  }

  /** {@code st_nlink} of a non-directory: 2 for both names of the hard-linked file. */
  static int linkCount(String path) {
    String self = stat(path).path();
    int n = 0;
    for (Entry e : TREE.values()) {
      if (e.path().equals(self) || (e.kind() == Kind.HARDLINK && e.target().equals(self))) {
        n++;
      }
    }
    return n;
  }

  /** The contents of a file as the merged view shows it (a hard link shows its target's). */
  static byte[] data(String path) {
    Entry e = get(path);
    if (e.kind() == Kind.HARDLINK) {
      return get(e.target()).data();
    }
    if (e.kind() != Kind.FILE) {
      throw new IllegalArgumentException("not a regular file: " + path);
    }
    return e.data();
  }

  /** Regular files of the merged tree, hard links included. */
  static List<String> regularFiles() {
    List<String> files = new ArrayList<>();
    TREE.forEach((p, e) -> {
      if (e.kind() == Kind.FILE || e.kind() == Kind.HARDLINK) {
        files.add(p);
      }
    });
    return files;
  }

  /** The sorted names of a directory's children in the merged tree. */
  static List<String> children(String dir) {
    String prefix = dir.isEmpty() ? "" : dir + "/";
    List<String> names = new ArrayList<>();
    for (String p : TREE.keySet()) {
      if (p.startsWith(prefix) && p.length() > prefix.length()
          && p.indexOf('/', prefix.length()) < 0) {
        names.add(p.substring(prefix.length()));
      }
    }
    Collections.sort(names);
    return names;
  }

  private static List<List<Op>> build() {
    Builder b = new Builder();

    // layer 0: the base
    b.layer(0);
    b.dir("etc", 0755, 0, 0);
    b.file("etc/os-release", 0644, 0, 0, "ID=old\n".getBytes(StandardCharsets.UTF_8));
    b.dir("etc/conf", 0755, 0, 0); // becomes a file in layer 2
    b.file("etc/conf/inner", 0644, 0, 0, content("etc/conf/inner", 10));
    b.file("etc/was-file", 0644, 0, 0, content("etc/was-file", 20)); // becomes a dir in layer 2
    b.dir("etc/gone", 0755, 0, 0); // whited out in layer 2
    b.file("etc/gone/file", 0644, 0, 0, content("etc/gone/file", 30));
    b.dir("usr", 0755, 0, 0);
    b.dir("usr/bin", 0755, 0, 0);
    b.file("usr/bin/tool", 0755, 0, 0, content("usr/bin/tool", 4096));
    b.file("usr/bin/su", 04755, 0, 0, content("usr/bin/su", 4095));
    b.dir("usr/local", 02755, 0, 1000);
    b.file("usr/local/setgid-file", 02711, 0, 1000, content("usr/local/setgid-file", 7));
    b.dir("tmp", 01777, 0, 0);
    b.dir("data", 0750, 0, 0); // re-declared in layer 1 with 0755
    b.file("data/empty", 0644, 0, 0, new byte[0]);
    b.file("data/one", 0600, 1000, 1000, content("data/one", 1));
    b.file("data/4095.bin", 0644, 1000, 65534, content("data/4095.bin", 4095));
    b.file("data/4096.bin", 0640, 65534, 1000, content("data/4096.bin", 4096));
    b.file("data/100000.bin", 0644, 65534, 65534, content("data/100000.bin", 100_000));
    b.hardlink("data/100000.hard", "data/100000.bin");
    b.file("data/removed", 0644, 0, 0, content("data/removed", 5)); // whited out in layer 1
    b.dir("data/nested", 0755, 0, 0);
    b.dir("data/nested/a", 0700, 1000, 1000);
    b.dir("data/nested/a/b", 0755, 0, 0);
    b.file("data/nested/a/b/deep.txt", 0444, 0, 0, "deep\n".getBytes(StandardCharsets.UTF_8));
    b.dir("opaque", 0755, 0, 0); // made opaque in layer 1
    b.file("opaque/old", 0644, 0, 0, content("opaque/old", 3));
    b.dir("opaque/old-dir", 0755, 0, 0);
    b.dir("many", 0700, 0, 0); // re-declared in layer 1 with 0755
    for (int i = 0; i < MANY / 2; i++) {
      String name = String.format("many/f%03d", i);
      b.file(name, 0644, 0, 0, (name + "\n").getBytes(StandardCharsets.UTF_8));
    }
    b.dir("names", 0755, 0, 0);
    b.file("names/with space.txt", 0644, 0, 0, content("names/with space.txt", 11));
    b.file("names/ünïcödé 名前.txt", 0644, 0, 0, content("names/ünïcödé 名前.txt", 12));
    b.file("names/.hidden", 0644, 0, 0, content("names/.hidden", 13));
    b.dir("names/.hidden-dir", 0755, 0, 0);
    b.file("names/.hidden-dir/inside", 0644, 0, 0, content("names/.hidden-dir/inside", 14));
    b.file("names/plain.md", 0644, 0, 0, content("names/plain.md", 15));

    // layer 1: links, specials, and a merge of `many`, `data` and `opaque`
    b.layer(1);
    b.file(".profile", 0644, 0, 0, "export A=1\n".getBytes(StandardCharsets.UTF_8));
    b.dir("data", 0755, 0, 0);
    b.whiteout("data/removed");
    b.dir("many", 0755, 0, 0);
    for (int i = MANY / 2; i < MANY; i++) {
      String name = String.format("many/f%03d", i);
      b.file(name, 0644, 0, 0, (name + "\n").getBytes(StandardCharsets.UTF_8));
    }
    b.dir("opaque", 0755, 0, 0);
    b.opaque("opaque");
    b.file("opaque/new", 0644, 0, 0, content("opaque/new", 4));
    b.dir("links", 0755, 0, 0);
    b.symlink("links/rel", "../data/one");
    b.symlink("links/dir", "../data/nested");
    b.symlink("links/dir-dots", "../links/./../data/nested/a");
    b.symlink("links/dangling", "missing-target");
    b.symlink("links/loop-a", "loop-b");
    b.symlink("links/loop-b", "loop-a");
    b.symlink("links/self", "self");
    b.symlink("links/chain-1", "chain-2");
    b.symlink("links/chain-2", "chain-3");
    b.symlink("links/chain-3", "../data/100000.bin");
    b.symlink("links/through-file", "../data/one/x");
    // absolute and escaping targets: on the host they point outside the tree, so the shared
    // suite only reads them without following; LayerFsChrootTest follows them
    b.dir("chroot", 0755, 0, 0);
    b.symlink("chroot/abs", "/data/one");
    b.symlink("chroot/abs-dir", "/data/nested");
    b.symlink("chroot/abs-dangling", "/no/such/target");
    b.symlink("chroot/abs-loop", "/chroot/abs-loop");
    b.symlink("chroot/escape", "../../../../../../data/4096.bin");
    b.symlink("chroot/abs-dotdot", "/../../links/../data/empty");
    b.symlink("chroot/abs-chain", "/links/chain-1");
    b.dir("special", 0755, 0, 0);
    b.fifo("special/fifo", 0640, 1000, 1000);

    // layer 2: replacements, type changes and a directory whiteout
    b.layer(2);
    b.dir("etc", 0755, 0, 0);
    b.file("etc/os-release", 0644, 0, 0,
        "ID=contract\nVERSION=2\n".getBytes(StandardCharsets.UTF_8));
    b.file("etc/conf", 0600, 0, 0, content("etc/conf", 4097));
    b.dir("etc/was-file", 0711, 0, 0);
    b.file("etc/was-file/inner", 0644, 0, 0, content("etc/was-file/inner", 9));
    b.whiteout("etc/gone");
    return b.layers;
  }

  /** Applies the layers as the OCI image spec says: the model of the merged view. */
  private static Map<String, Entry> merge(List<List<Op>> layers) {
    TreeMap<String, Entry> tree = new TreeMap<>();
    for (List<Op> ops : layers) {
      // whiteouts and opaque markers hide lower entries only, wherever they sit in the tar
      Map<String, Entry> lower = new TreeMap<>(tree);
      for (Op op : ops) {
        if (op.whiteout() != null) {
          removeTree(tree, lower, op.whiteout(), true);
        } else if (op.opaque() != null) {
          removeTree(tree, lower, op.opaque(), false);
        }
      }
      for (Op op : ops) {
        Entry e = op.entry();
        if (e == null) {
          continue;
        }
        Entry old = tree.get(e.path());
        if (old != null && old.kind() == Kind.DIR && e.kind() != Kind.DIR) {
          removeTree(tree, tree, e.path(), false);
        }
        tree.put(e.path(), e);
      }
    }
    for (String path : tree.keySet()) {
      int slash = path.lastIndexOf('/');
      if (slash > 0 && tree.get(path.substring(0, slash)) == null) {
        throw new IllegalStateException("fixture: no entry for the parent of " + path);
      }
    }
    return Collections.unmodifiableMap(tree);
  }

  private static void removeTree(Map<String, Entry> tree, Map<String, Entry> lower, String path,
      boolean self) {
    for (String p : new ArrayList<>(lower.keySet())) {
      if ((self && p.equals(path)) || p.startsWith(path + "/")) {
        tree.remove(p);
      }
    }
  }

  /**
   * Creates the merged tree under {@code root} (which must not exist) with the JDK's default
   * provider: owners, modes (set-id and sticky bits included) and mtimes as described. Needs root.
   */
  static void materialize(Path root) throws IOException, InterruptedException {
    materialize(root, true);
  }

  /** {@link #materialize}, without the fifo unless {@code fifos} (Java makes none). */
  static void materialize(Path root, boolean fifos) throws IOException, InterruptedException {
    Files.createDirectory(root);
    List<Entry> hardlinks = new ArrayList<>();
    for (Entry e : TREE.values()) {
      if (e.kind() == Kind.FIFO && !fifos) {
        continue;
      }
      Path p = root.resolve(e.path());
      switch (e.kind()) {
        case DIR -> Files.createDirectory(p);
        case FILE -> Files.write(p, e.data());
        case SYMLINK -> Files.createSymbolicLink(p, p.getFileSystem().getPath(e.target()));
        case HARDLINK -> hardlinks.add(e);
        case FIFO -> run("mkfifo", p.toString());
        default -> throw new AssertionError(e.kind());
      }
    }
    for (Entry e : hardlinks) {
      Files.createLink(root.resolve(e.path()), root.resolve(e.target()));
    }
    for (Entry e : TREE.values()) {
      Path p = root.resolve(e.path());
      if (e.kind() == Kind.FIFO && !fifos) {
        continue;
      }
      switch (e.kind()) {
        case DIR, FILE -> {
          // chown clears set-id bits, so it goes first
          Files.setAttribute(p, "unix:uid", e.uid(), LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(p, "unix:gid", e.gid(), LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(p, "unix:mode", e.mode(), LinkOption.NOFOLLOW_LINKS);
          if (e.kind() == Kind.FILE) {
            Files.setLastModifiedTime(p, e.mtime());
          }
        }
        case FIFO -> {
          // opening a fifo for its times would block: use the tools, which do not open it
          run("chown", e.uid() + ":" + e.gid(), p.toString());
          run("chmod", Integer.toOctalString(e.mode()), p.toString());
          run("touch", "-h", "-d", "@" + e.mtimeSeconds(), p.toString());
        }
        default -> { }
      }
    }
    // directories last, deepest first: creating their children changed their mtimes
    List<Entry> dirs = new ArrayList<>(TREE.values());
    Collections.reverse(dirs);
    for (Entry e : dirs) {
      if (e.kind() == Kind.DIR) {
        Files.setLastModifiedTime(root.resolve(e.path()), e.mtime());
      }
    }
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
  }

  /** Collects the operations; each entry gets its own whole-second mtime. */
  private static final class Builder {
    final List<List<Op>> layers = new ArrayList<>();
    private int layer = -1;
    private int seq;

    void layer(int index) {
      if (index != layers.size()) {
        throw new IllegalStateException("layers in order");
      }
      layers.add(new ArrayList<>());
      layer = index;
    }

    private void add(Kind kind, String path, int mode, int uid, int gid, byte[] data,
        String target) {
      long mtime = EPOCH + layer * 1_000_000L + (++seq) * 61L;
      layers.get(layer).add(
          new Op(new Entry(layer, kind, path, mode, uid, gid, mtime, data, target), null, null));
    }

    void dir(String path, int mode, int uid, int gid) {
      add(Kind.DIR, path, mode, uid, gid, null, null);
    }

    void file(String path, int mode, int uid, int gid, byte[] data) {
      add(Kind.FILE, path, mode, uid, gid, data, null);
    }

    void symlink(String path, String target) {
      add(Kind.SYMLINK, path, 0777, 0, 0, null, target);
    }

    void hardlink(String path, String existing) {
      add(Kind.HARDLINK, path, 0, 0, 0, null, existing);
    }

    void fifo(String path, int mode, int uid, int gid) {
      add(Kind.FIFO, path, mode, uid, gid, null, null);
    }

    void whiteout(String path) {
      layers.get(layer).add(new Op(null, path, null));
    }

    void opaque(String dir) {
      layers.get(layer).add(new Op(null, null, dir));
    }
  }
}
