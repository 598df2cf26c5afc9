package io.layerfs.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generates the benchmark image: a tree shaped like a real distribution image with an
 * application on top, spread over four layers, from a fixed seed.
 *
 * <ul>
 *   <li>layer 1, base system: {@code /bin -> usr/bin} style top-level symlinks, {@code /etc},
 *       {@code /usr/bin}, {@code /usr/lib/x86_64-linux-gnu} with exactly {@value #BIG_DIR_ENTRIES}
 *       entries (libraries and their soname symlinks: the directory listing benchmark's
 *       directory), {@code /usr/share/doc}, locales, time zones and a python tree;
 *   <li>layer 2, a runtime: {@code /usr/lib/jvm/...} with one {@value #BIG_FILE_MIB} MiB file
 *       ({@code lib/modules}), two 8 MiB files and many small ones;
 *   <li>layer 3, application dependencies: a {@code node_modules} tree with nested
 *       {@code node_modules} up to about a dozen levels deep;
 *   <li>layer 4, the application: new files, rewritten {@code /etc} files and whiteouts of
 *       documentation directories and files below.
 * </ul>
 *
 * <p>Most files are 100 B to 8 KiB (log-uniform), some up to 256 KiB, executables and libraries
 * 4 KiB to 256 KiB: about 7,600 files, 400 links and 2,700 directories, 210 MiB in all.
 * The output depends only on the seed and {@link #VERSION}: change the shape, bump the version,
 * so cached fixtures of the old shape are not reused.
 */
final class TreeGenerator {
  /** Bumped whenever the generated shape changes; part of the fixture cache key. */
  static final int VERSION = 1;

  static final long SEED = 0x1a7e2f5L;
  static final int BIG_DIR_ENTRIES = 1000;
  static final int BIG_FILE_MIB = 64;

  private final SplittableRandom random;
  private final List<List<TreeEntry>> layers = new ArrayList<>();
  /** Regular files of the layers written so far, for rewrites and whiteouts. */
  private final List<String> lowerFiles = new ArrayList<>();

  private List<TreeEntry> layer;
  private Set<String> dirsOfLayer;

  private TreeGenerator(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** The layers, bottom to top, of the tree for {@code seed}. */
  static List<List<TreeEntry>> generate(long seed) {
    TreeGenerator g = new TreeGenerator(seed);
    g.baseLayer();
    g.runtimeLayer();
    g.dependencyLayer();
    g.applicationLayer();
    return g.layers;
  }

  private void baseLayer() {
    startLayer();
    symlink("/bin", "usr/bin");
    symlink("/sbin", "usr/sbin");
    symlink("/lib", "usr/lib");
    symlink("/lib64", "usr/lib64");
    for (String d : List.of("/dev", "/proc", "/sys", "/tmp", "/root", "/home", "/run", "/mnt",
        "/var/log/apt", "/var/cache/apt", "/var/lib/dpkg/info", "/usr/lib64", "/usr/local/bin")) {
      dir(d);
    }
    for (int i = 0; i < 120; i++) {
      smallFile("/etc/" + word() + i + (i % 3 == 0 ? ".conf" : ""), 0644);
    }
    for (int i = 0; i < 40; i++) {
      String d = "/etc/" + word() + i + ".d";
      int n = 2 + random.nextInt(4);
      for (int j = 0; j < n; j++) {
        smallFile(d + "/" + (10 + j * 10) + "-" + word(), 0644);
      }
    }
    List<String> binaries = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      String name = word() + i;
      binaries.add(name);
      file("/usr/bin/" + name, 0755, binarySize());
    }
    for (int i = 0; i < 80; i++) {
      symlink("/usr/bin/" + word() + "-alias" + i, binaries.get(random.nextInt(binaries.size())));
    }
    for (int i = 0; i < 60; i++) {
      file("/usr/sbin/" + word() + i, 0755, binarySize());
    }
    // the directory listing benchmark's directory: libraries and soname symlinks
    int libs = BIG_DIR_ENTRIES * 7 / 10;
    for (int i = 0; i < libs; i++) {
      String lib = "lib" + word() + i + ".so";
      String real = lib + "." + random.nextInt(4) + "." + random.nextInt(20) + ".0";
      file("/usr/lib/x86_64-linux-gnu/" + real, 0644, binarySize());
      if (i < BIG_DIR_ENTRIES - libs) {
        symlink("/usr/lib/x86_64-linux-gnu/" + lib + "." + i % 4, real);
      }
    }
    for (int i = 0; i < 600; i++) {
      String d = "/usr/share/doc/" + word() + "-" + i;
      smallFile(d + "/copyright", 0644);
      smallFile(d + "/changelog.Debian.gz", 0644);
    }
    for (int i = 0; i < 40; i++) {
      String lang = "" + (char) ('a' + i % 26) + (char) ('a' + i / 26);
      String d = "/usr/share/locale/" + lang + "/LC_MESSAGES";
      for (int j = 0; j < 15; j++) {
        smallFile(d + "/" + word() + j + ".mo", 0644);
      }
    }
    for (int i = 0; i < 10; i++) {
      for (int j = 0; j < 30; j++) {
        smallFile("/usr/share/zoneinfo/" + capitalized() + i + "/" + capitalized() + j, 0644);
      }
    }
    for (int i = 0; i < 50; i++) {
      String pkg = "/usr/lib/python3/dist-packages/" + word() + i;
      for (int depth = 0; depth < 3; depth++) {
        pkg = pkg + "/" + word();
        for (int j = 0; j < 5; j++) {
          smallFile(pkg + "/" + (j == 0 ? "__init__" : word() + j) + ".py", 0644);
        }
      }
    }
  }

  private void runtimeLayer() {
    startLayer();
    String jvm = "/usr/lib/jvm/java-17-openjdk-amd64";
    file(jvm + "/lib/modules", 0644, (long) BIG_FILE_MIB << 20);
    file(jvm + "/lib/src.zip", 0644, 8L << 20);
    file(jvm + "/lib/ct.sym", 0644, 8L << 20);
    for (int i = 0; i < 60; i++) {
      file(jvm + "/lib/lib" + word() + i + ".so", 0644, binarySize());
    }
    for (int i = 0; i < 70; i++) {
      String d = jvm + "/legal/java." + word() + i;
      smallFile(d + "/LICENSE", 0644);
      smallFile(d + "/ASSEMBLY_EXCEPTION", 0644);
      smallFile(d + "/ADDITIONAL_LICENSE_INFO", 0644);
    }
    for (int i = 0; i < 30; i++) {
      smallFile(jvm + "/conf/" + word() + i + ".properties", 0644);
    }
    symlink("/usr/bin/java", "../lib/jvm/java-17-openjdk-amd64/bin/java");
    file(jvm + "/bin/java", 0755, binarySize());
  }

  private void dependencyLayer() {
    startLayer();
    for (int i = 0; i < 250; i++) {
      nodePackage("/app/node_modules/" + word() + i, 0);
    }
    // one long chain of nested dependencies, as npm makes on conflicts
    String chain = "/app/node_modules";
    for (int depth = 0; depth < 12; depth++) {
      chain = chain + "/" + word() + "-dep" + depth;
      nodePackage(chain, 3);
      chain = chain + "/node_modules";
    }
  }

  private void nodePackage(String dir, int depth) {
    smallFile(dir + "/package.json", 0644);
    smallFile(dir + "/README.md", 0644);
    smallFile(dir + "/LICENSE", 0644);
    int n = 2 + random.nextInt(9);
    for (int j = 0; j < n; j++) {
      smallFile(dir + "/lib/" + word() + j + ".js", 0644);
    }
    if (depth < 2 && random.nextInt(8) == 0) {
      nodePackage(dir + "/node_modules/" + word() + "-nested", depth + 1);
    }
  }

  private void applicationLayer() {
    List<String> below = new ArrayList<>(lowerFiles);
    startLayer();
    for (int i = 0; i < 20; i++) {
      for (int j = 0; j < 20; j++) {
        smallFile("/app/src/" + word() + i + "/" + word() + "/" + word() + j + ".js", 0644);
      }
    }
    symlink("/app/current", "src");
    Set<String> touched = new HashSet<>();
    int rewrites = 0;
    while (rewrites < 60) {
      String path = below.get(random.nextInt(below.size()));
      if (path.startsWith("/etc/") && touched.add(path)) {
        smallFile(path, 0644);
        rewrites++;
      }
    }
    for (int i = 0; i < 30; i++) {
      String path = "/usr/share/doc/" + randomDocDir(below);
      if (touched.add(path)) {
        whiteout(path);
      }
    }
    int removed = 0;
    while (removed < 20) {
      String path = below.get(random.nextInt(below.size()));
      String parent = path.substring(0, path.lastIndexOf('/'));
      if (path.startsWith("/usr/share/locale/") && touched.add(path) && !touched.contains(parent)) {
        whiteout(path);
        removed++;
      }
    }
  }

  private String randomDocDir(List<String> files) {
    while (true) {
      String path = files.get(random.nextInt(files.size()));
      if (path.startsWith("/usr/share/doc/")) {
        String rest = path.substring("/usr/share/doc/".length());
        return rest.substring(0, rest.indexOf('/'));
      }
    }
  }

  private void startLayer() {
    layer = new ArrayList<>();
    dirsOfLayer = new HashSet<>();
    layers.add(layer);
  }

  /** Adds the parents of {@code path} not yet in this layer, as image builders do. */
  private void parents(String path) {
    int slash = path.indexOf('/', 1);
    while (slash > 0) {
      String parent = path.substring(0, slash);
      if (dirsOfLayer.add(parent)) {
        layer.add(TreeEntry.dir(parent));
      }
      slash = path.indexOf('/', slash + 1);
    }
  }

  private void dir(String path) {
    parents(path);
    if (dirsOfLayer.add(path)) {
      layer.add(TreeEntry.dir(path));
    }
  }

  private void file(String path, int mode, long size) {
    parents(path);
    layer.add(TreeEntry.file(path, mode, size, random.nextLong()));
    lowerFiles.add(path);
  }

  private void smallFile(String path, int mode) {
    file(path, mode, smallSize());
  }

  private void symlink(String path, String target) {
    parents(path);
    layer.add(TreeEntry.symlink(path, target));
  }

  private void whiteout(String path) {
    parents(path);
    layer.add(TreeEntry.whiteout(path));
  }

  /** 100 B to 8 KiB, log-uniform, for nine files in ten; up to 256 KiB for the rest. */
  private long smallSize() {
    double max = random.nextInt(10) == 0 ? 256 * 1024 : 8 * 1024;
    return Math.round(Math.exp(Math.log(100) + random.nextDouble() * Math.log(max / 100)));
  }

  /** Executables and libraries: 4 KiB to 256 KiB, log-uniform. */
  private long binarySize() {
    return Math.round(Math.exp(Math.log(4096) + random.nextDouble() * Math.log(64)));
  }

  private String word() {
    int length = 3 + random.nextInt(8);
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append((char) ('a' + random.nextInt(26)));
    }
    return b.toString();
  }

  private String capitalized() {
    String w = word();
    return Character.toUpperCase(w.charAt(0)) + w.substring(1);
  }
}
