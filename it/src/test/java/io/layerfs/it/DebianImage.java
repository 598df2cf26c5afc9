package io.layerfs.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.Deflater;

/**
 * A real Debian rootfs as an OCI image: {@code debootstrap --variant=minbase bookworm}, made into
 * an image with umoci, plus a second layer of changes, in an OCI image layout; and the rootfs
 * {@code umoci unpack} makes of each tag, the oracle layerfs is compared with.
 *
 * <p>Tags:
 *
 * <ul>
 *   <li>{@value #BASE}: one layer, the debootstrap tree as it is ({@code umoci new}, {@code umoci
 *       unpack}, the tree extracted into the bundle's rootfs with owners, modes and xattrs, {@code
 *       umoci repack}). merged /usr (symlinks /bin, /lib, /sbin), hard links (perl), device
 *       nodes under /dev, setuid binaries, a few thousand files.
 *   <li>{@value #CHANGED}: {@value #BASE} plus a layer that deletes {@code /usr/share/doc} (a
 *       whiteout hiding a large directory), deletes {@code /etc/motd}, rewrites {@code
 *       /etc/hostname} and adds {@code /etc/layerfs-it}.
 *   <li>{@value #SPLIT}, written by {@link #main} only (for the registry pull benchmark, which
 *       needs layers of similar size to download in parallel): the same debootstrap tree in
 *       {@value #SPLIT_LAYERS} layers, each a run of the tree's entries in its tar's order with
 *       about the same number of compressed bytes, added by {@code umoci repack} one after the
 *       other.
 * </ul>
 *
 * <p>debootstrap takes minutes, so its tree is cached as a tar (numeric owners, xattrs) in {@code
 * $XDG_CACHE_HOME/layerfs-it} (default {@code ~/.cache/layerfs-it}) and rebuilt only when missing;
 * delete the file to fetch a newer bookworm. The mirror is the one the machine's apt sources name
 * (the deb822 {@code debian.sources} or the one-line {@code sources.list}), read at run time. A
 * debootstrap that fails (no network to the mirror, say) fails the test with its stderr and the
 * tail of its log: never a skip.
 *
 * <p>Building needs root, as {@link UmociImages} does: debootstrap and umoci unpack restore owners
 * and device nodes only as root.
 *
 * <p>{@link #main} writes the same layout to a directory, for the benchmarks ({@code
 * it/scripts/debian-layout.sh}).
 */
final class DebianImage {

  static final String SUITE = "bookworm";
  static final String BASE = "bookworm";
  static final String CHANGED = "bookworm-changed";
  static final List<String> TAGS = List.of(BASE, CHANGED);
  static final String SPLIT = "bookworm-split";
  static final int SPLIT_LAYERS = 4;

  /** Content of {@code /etc/hostname} in {@value #CHANGED}. */
  static final String HOSTNAME = "layerfs-debian\n";

  /** Path and content of the file {@value #CHANGED} adds. */
  static final String ADDED = "/etc/layerfs-it";

  static final String ADDED_CONTENT = "added by the second layer\n";

  /** Generous limits: debootstrap downloads and unpacks ~100 packages; repack gzips ~200 MB. */
  private static final long DEBOOTSTRAP_SECONDS = 1800;

  private static final long UMOCI_SECONDS = 1200;
  private static final String CACHE_NAME = "debian-" + SUITE + "-minbase.tar";
  private static final List<String> TAR_ATTRIBUTES =
      List.of("--numeric-owner", "--xattrs", "--xattrs-include=*");

  private final Path work;
  private final Path layout;
  private final Map<String, Path> unpacked = new LinkedHashMap<>();
  private int bundles;

  private DebianImage(Path work, Path layout) {
    this.work = work;
    this.layout = layout;
  }

  /** Builds the layout with the {@link #TAGS} at {@code work/layout}. */
  static DebianImage build(Path work) {
    return build(work, work.resolve("layout"));
  }

  /** Builds the layout at {@code layout} (must not exist yet), using {@code work} for bundles. */
  static DebianImage build(Path work, Path layout) {
    Tools.require("debootstrap", "umoci", "tar", "id");
    String uid = Tools.run("id", "-u").strip();
    if (!uid.equals("0")) {
      throw new AssertionError("the Debian image must be built as root (uid " + uid + "):"
          + " debootstrap and umoci unpack restore owners and device nodes only as root");
    }
    DebianImage image = new DebianImage(work, layout);
    try {
      Files.createDirectories(work);
      image.buildAll(debootstrapTree(work));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return image;
  }

  /** The OCI image layout holding both tags. */
  Path layout() {
    return layout;
  }

  /** The rootfs {@code umoci unpack} made of {@code tag}; unpacked once, then reused. */
  Path rootfs(String tag) {
    return unpacked.computeIfAbsent(tag, t -> unpack(t).resolve("rootfs"));
  }

  /**
   * The comparison for an unpacked tag: everything but owner names, which umoci's tars lack (see
   * {@link TreeComparison}). Every directory has its own entry in umoci's layers, so no mtime is
   * the time of the unpack.
   */
  static TreeComparison comparison() {
    return TreeComparison.builder().ignoreOwnerNames().build();
  }

  /** The cached debootstrap tree, built first when missing. */
  static Path debootstrapTree(Path work) throws IOException {
    Path cache = cacheDir().resolve(CACHE_NAME);
    if (Files.isRegularFile(cache)) {
      return cache;
    }
    Files.createDirectories(cache.getParent());
    String mirror = mirror();
    Path target = work.resolve("debootstrap");
    List<String> command = List.of("debootstrap", "--variant=minbase", SUITE, target.toString(),
        mirror);
    try {
      Tools.run(null, command, DEBOOTSTRAP_SECONDS);
    } catch (AssertionError e) {
      throw new AssertionError("debootstrap could not build a Debian " + SUITE + " rootfs from "
          + mirror + " (the mirror of this machine's apt sources; is it reachable?)\n"
          + e.getMessage() + logTail(target), e);
    } finally {
      unmountUnder(target);
    }
    // written beside the cache and renamed: an interrupted run leaves no half tar behind
    Path partial = Files.createTempFile(cache.getParent(), CACHE_NAME, ".partial");
    try {
      List<String> tar = new ArrayList<>(List.of("tar"));
      tar.addAll(TAR_ATTRIBUTES);
      tar.addAll(List.of("-C", target.toString(), "-cf", partial.toString(), "."));
      Tools.run(null, tar, UMOCI_SECONDS);
      Files.setAttribute(partial, "unix:mode", 0644); // temp files are created private
      Files.move(partial, cache, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
    }
    deleteTree(target);
    return cache;
  }

  /** {@code $XDG_CACHE_HOME/layerfs-it}, or {@code ~/.cache/layerfs-it}. */
  static Path cacheDir() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isEmpty()
        ? Path.of(xdg)
        : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("layerfs-it");
  }

  /**
   * The Debian mirror apt uses here: the first URI of a {@code deb} source for {@value #SUITE},
   * else of any {@code deb} source that is not a security archive.
   */
  static String mirror() throws IOException {
    List<String[]> sources = new ArrayList<>(); // {uri, suite}
    Path deb822 = Path.of("/etc/apt/sources.list.d/debian.sources");
    if (Files.isRegularFile(deb822)) {
      sources.addAll(parseDeb822(Files.readString(deb822)));
    }
    Path oneLine = Path.of("/etc/apt/sources.list");
    if (Files.isRegularFile(oneLine)) {
      sources.addAll(parseOneLine(Files.readString(oneLine)));
    }
    Optional<String> exact =
        sources.stream().filter(s -> s[1].equals(SUITE)).map(s -> s[0]).findFirst();
    Optional<String> any = sources.stream()
        .filter(s -> !s[1].endsWith("-security") && !s[0].contains("security"))
        .map(s -> s[0]).findFirst();
    return exact.or(() -> any).orElseThrow(() -> new AssertionError(
        "no Debian mirror for debootstrap: neither " + deb822 + " nor " + oneLine
            + " names a 'deb' source"));
  }

  static List<String[]> parseDeb822(String text) {
    List<String[]> result = new ArrayList<>();
    for (String stanza : text.split("\\n\\s*\\n")) {
      Map<String, String> fields = new LinkedHashMap<>();
      String last = null;
      for (String line : stanza.split("\\n")) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        if (Character.isWhitespace(line.charAt(0)) && last != null) {
          fields.merge(last, " " + line.strip(), String::concat); // continuation line
          continue;
        }
        int colon = line.indexOf(':');
        if (colon > 0) {
          last = line.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT);
          fields.put(last, line.substring(colon + 1).strip());
        }
      }
      List<String> types = words(fields.get("types"));
      if (!types.contains("deb") || "no".equalsIgnoreCase(fields.get("enabled"))) {
        continue;
      }
      for (String uri : words(fields.get("uris"))) {
        for (String suite : words(fields.get("suites"))) {
          result.add(new String[] {uri, suite});
        }
      }
    }
    return result;
  }

  static List<String[]> parseOneLine(String text) {
    List<String[]> result = new ArrayList<>();
    for (String line : text.split("\\n")) {
      int hash = line.indexOf('#');
      List<String> tokens = words(hash >= 0 ? line.substring(0, hash) : line);
      if (tokens.isEmpty() || !tokens.get(0).equals("deb")) {
        continue;
      }
      int i = 1;
      if (i < tokens.size() && tokens.get(i).startsWith("[")) {
        while (i < tokens.size() && !tokens.get(i).endsWith("]")) {
          i++;
        }
        i++;
      }
      if (i + 1 < tokens.size()) {
        result.add(new String[] {tokens.get(i), tokens.get(i + 1)});
      }
    }
    return result;
  }

  private static List<String> words(String text) {
    if (text == null || text.isBlank()) {
      return List.of();
    }
    return List.of(text.strip().split("\\s+"));
  }

  /** The last lines of debootstrap's own log, which says which package or download failed. */
  private static String logTail(Path target) {
    Path log = target.resolve("debootstrap").resolve("debootstrap.log");
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "\n--- last lines of " + log + " ---\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /**
   * Unmounts what debootstrap may have left mounted in the target (/proc, /sys when it stopped
   * half way), deepest first, so deleting the tree cannot reach into the host's.
   */
  private static void unmountUnder(Path target) {
    String prefix = target.toAbsolutePath().toString() + "/";
    List<String> mounts = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
        String[] fields = line.split(" ");
        // mount points escape spaces as \040
        String point = fields.length > 1 ? fields[1].replace("\\040", " ") : "";
        if (point.startsWith(prefix)) {
          mounts.add(point);
        }
      }
    } catch (IOException e) {
      return;
    }
    mounts.sort(Comparator.comparingInt(String::length).reversed());
    for (String point : mounts) {
      Tools.run("umount", "-l", point);
    }
  }

  /**
   * Deletes {@code dir} and everything in it without following links (a rootfs is full of
   * absolute symlinks that point outside it), unmounting anything mounted inside first.
   */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    unmountUnder(dir);
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private void buildAll(Path tree) throws IOException {
    umoci("init", "--layout", layout.toString());
    umoci("new", "--image", layout + ":" + BASE);

    Path bundle = unpack(BASE);
    List<String> tar = new ArrayList<>(List.of("tar"));
    tar.addAll(TAR_ATTRIBUTES);
    // -p: modes as recorded, setuid bits too; the ./ entry gives the rootfs its attributes
    tar.addAll(List.of("-C", bundle.resolve("rootfs").toString(), "-xpf", tree.toString()));
    Tools.run(null, tar, UMOCI_SECONDS);
    umoci("repack", "--image", layout + ":" + BASE, bundle.toString());
    deleteTree(bundle);

    bundle = unpack(BASE);
    change(bundle.resolve("rootfs"));
    umoci("repack", "--image", layout + ":" + CHANGED, bundle.toString());
    deleteTree(bundle);
  }

  /**
   * Adds {@value #SPLIT}: the tree's entries in its tar's order cut into {@value #SPLIT_LAYERS}
   * runs of about equal compressed bytes, each extracted into the previous layers' unpacked
   * rootfs and repacked as a layer of its own. A directory comes before its contents in the tar,
   * so every run finds its parents made by an earlier one.
   */
  private void buildSplit(Path tree) throws IOException {
    List<String> names = lines(Tools.run("tar", "-tf", tree.toString()));
    long[] sizes = compressedSizes(tree, names);
    long total = 0;
    for (long size : sizes) {
      total += size;
    }
    umoci("new", "--image", layout + ":" + SPLIT);
    int next = 0;
    long done = 0;
    for (int layer = 1; layer <= SPLIT_LAYERS; layer++) {
      long until = total * layer / SPLIT_LAYERS;
      List<String> run = new ArrayList<>();
      while (next < sizes.length && (done < until || layer == SPLIT_LAYERS)) {
        run.add(names.get(next));
        done += sizes[next++];
      }
      Path list = work.resolve("split-" + layer + ".list");
      Files.write(list, run);
      Path bundle = unpack(SPLIT);
      List<String> tar = new ArrayList<>(List.of("tar"));
      tar.addAll(TAR_ATTRIBUTES);
      tar.addAll(List.of("--no-recursion", "-C", bundle.resolve("rootfs").toString(), "-xpf",
          tree.toString(), "-T", list.toString()));
      Tools.run(null, tar, UMOCI_SECONDS);
      umoci("repack", "--image", layout + ":" + SPLIT, bundle.toString());
      deleteTree(bundle);
    }
  }

  /**
   * What each entry adds to a gzip layer, about: its bytes deflated, or a header's 512 for what
   * has no data. The tree is extracted once for this (tar's escapes are left out of the names:
   * an entry not found counts as a header).
   */
  private long[] compressedSizes(Path tree, List<String> names) throws IOException {
    Path extracted = work.resolve("split-tree");
    Files.createDirectories(extracted);
    List<String> tar = new ArrayList<>(List.of("tar"));
    tar.addAll(TAR_ATTRIBUTES);
    tar.addAll(List.of("-C", extracted.toString(), "-xpf", tree.toString()));
    Tools.run(null, tar, UMOCI_SECONDS);
    long[] sizes = new long[names.size()];
    Deflater deflater = new Deflater(Deflater.BEST_SPEED);
    byte[] out = new byte[1 << 16];
    try {
      for (int i = 0; i < sizes.length; i++) {
        Path file = extracted.resolve(names.get(i));
        sizes[i] = 512;
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          deflater.reset();
          deflater.setInput(Files.readAllBytes(file));
          deflater.finish();
          while (!deflater.finished()) {
            sizes[i] += deflater.deflate(out);
          }
        }
      }
    } finally {
      deflater.end();
      deleteTree(extracted);
    }
    return sizes;
  }

  private static List<String> lines(String text) {
    return text.lines().filter(line -> !line.isEmpty()).toList();
  }

  private static void change(Path rootfs) throws IOException {
    deleteTree(rootfs.resolve("usr/share/doc"));
    Files.deleteIfExists(rootfs.resolve("etc/motd"));
    Files.writeString(rootfs.resolve("etc/hostname"), HOSTNAME);
    Path added = rootfs.resolve(ADDED.substring(1));
    Files.writeString(added, ADDED_CONTENT);
    Files.setAttribute(added, "unix:mode", 0640);
  }

  private Path unpack(String tag) {
    Path bundle = work.resolve("bundle-" + tag + "-" + bundles++);
    umoci("unpack", "--image", layout + ":" + tag, bundle.toString());
    return bundle;
  }

  private static void umoci(String... args) {
    List<String> command = new ArrayList<>(List.of("umoci"));
    command.addAll(List.of(args));
    Tools.run(null, command, UMOCI_SECONDS);
  }

  /**
   * Writes the layout to {@code args[0]} (a directory that does not exist yet or is empty) and
   * prints its tags; bundles go to a temporary directory that is removed afterwards.
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: DebianImage LAYOUT_DIR");
      System.exit(2);
    }
    Path layout = Path.of(args[0]).toAbsolutePath();
    if (Files.isDirectory(layout)) {
      try (Stream<Path> children = Files.list(layout)) {
        if (children.findAny().isPresent()) {
          System.err.println("DebianImage: " + layout + " is not empty");
          System.exit(1);
        }
      }
      Files.delete(layout); // umoci init wants to create it
    }
    Path work = Files.createTempDirectory("layerfs-debian-");
    try {
      DebianImage image = build(work, layout);
      image.buildSplit(debootstrapTree(work));
    } finally {
      deleteTree(work);
    }
    System.out.println(layout + ": tags " + String.join(", ", TAGS) + ", " + SPLIT);
  }
}
