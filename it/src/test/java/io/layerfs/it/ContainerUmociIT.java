package io.layerfs.it;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.Image;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import io.layerfs.provider.LayerFileAttributeView;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The differential test of writable containers on an image umoci made: a seeded program of 300
 * NIO operations runs on a layerfs container over {@link UmociImages#LAYERED} and, side by side,
 * on a copy of {@code umoci unpack} of the same tag with the JDK's default provider, the oracle.
 * Each step's outcome (value or exception class) must agree; then the trees must be equal
 * ({@link TreeComparison}), and again after the container is closed and reopened by name.
 *
 * <p>The provider module's {@code ContainerDifferentialTest} is the property version of this
 * (many seeds, shrinking) over its own fixture; this one is a single seed over a real tool's image.
 * Left out of the path pool: the hard-linked {@code /bin/tool} names (overlay2 breaks a lower hard
 * link on copy-up, a host directory does not: the two oracles differ there by design), devices
 * and the fifo. A step whose path would, on the host, follow an absolute symlink or climb above
 * the root (a chroot keeps both inside, the host does not) runs on neither side.
 *
 * <p>mtimes the clock sets (files written during the run) cannot be equal to the nanosecond on
 * two file systems: paths whose host mtime is later than 2021 are compared as "recent on both
 * sides" instead.
 */
final class ContainerUmociIT {
  private static final long SEED = 20240603L;
  private static final int STEPS = 300;
  /** 2021-01-01T00:00:00Z: later than every mtime of the images. */
  private static final long RECENT = 1_609_459_200L;

  private static final List<String> PATHS = List.of(
      "etc", "etc/hostname", "etc/motd", "data", "data/kept", "modes", "modes/suid",
      "modes/sgid", "modes/none", "modes/all", "modes/sticky-dir", "modes/setgid-dir", "owners",
      "owners/user", "owners/nobody", "owners/big-ids", "links", "links/relative",
      "links/absolute", "links/dangling", "links/self", "links/dir", "links/dir/lib",
      "convert", "convert/file-to-dir", "convert/file-to-dir/child", "convert/dir-to-file",
      "convert/file-to-link", "convert/link-to-dir", "var/cache/app", "var/cache/app/new",
      "names/with space", "new-in-layered", "deep/1/2", "usr", "usr/lib", "usr/share",
      "x", "y", "d1", "d1/x", "data/x", "etc/x", "var/cache/app/x", "convert/link-to-dir/x",
      "links/dir/x", "owners/nobody/x");
  private static final List<String> TARGETS = List.of(
      "x", "../etc/motd", "hostname", "d1", "..", "missing", "/etc/motd");

  @TempDir static Path work;
  private static UmociImages images;

  @BeforeAll
  static void buildImages() {
    images = UmociImages.build(work);
    images.rootfs(UmociImages.LAYERED);
  }

  @Test
  void containerAgreesWithUmociUnpack() throws Exception {
    Path host = work.resolve("host-copy");
    Tools.run("cp", "-a", images.rootfs(UmociImages.LAYERED).toString(), host.toString());
    List<Step> program = program(new Random(SEED));
    URI uri = URI.create("layerfs://umoci-diff");
    long start = System.currentTimeMillis();
    try (FileSystem fs = FileSystems.newFileSystem(uri,
        Map.of("store", images.layout(), "image", UmociImages.LAYERED))) {
      Path root = fs.getPath("/");
      for (int i = 0; i < program.size(); i++) {
        Step step = program.get(i);
        if (!confined(host, step)) {
          continue;
        }
        String expected = step.outcome(host);
        String actual = step.outcome(root);
        if (!expected.equals(actual)) {
          StringBuilder text = new StringBuilder("step " + i + " differs: " + step
              + "\n  linux:   " + expected + "\n  layerfs: " + actual + "\nprogram:");
          for (int j = 0; j <= i; j++) {
            text.append("\n  ").append(j).append(": ").append(program.get(j));
          }
          fail(text.toString());
        }
      }
      assertSameTree(host, root);
    }
    try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of("store", images.layout()))) {
      assertSameTree(host, fs.getPath("/"));
    }
    assertCommitUnpacksToTheContainersTree(uri);
    System.err.println("ContainerUmociIT: " + program.size() + " steps in "
        + (System.currentTimeMillis() - start) + " ms");
  }

  /**
   * What a ustar header cannot hold must survive commit and {@code umoci unpack} (Go's tar
   * reader): names over 100 bytes and not ASCII (up to the 255 bytes Linux takes, a longer one
   * refused as Linux refuses it), long link targets, nanosecond and pre-1970
   * mtimes, ids over 2,097,151, binary xattr values; plus a renamed lower directory, a deleted
   * and re-created one, and a hard link made in the container.
   */
  @Test
  void commitKeepsWhatUstarCannotHold() throws Exception {
    URI uri = URI.create("layerfs://pax");
    try (FileSystem fs = FileSystems.newFileSystem(uri,
        Map.of("store", images.layout(), "image", UmociImages.LAYERED))) {
      Path root = fs.getPath("/");
      Path dir = Files.createDirectories(root.resolve("pax/" + "d".repeat(120)));
      Path longName = Files.writeString(dir.resolve("f".repeat(200)), "long\n");
      Path unicode = Files.writeString(root.resolve("pax/gr\u00fc\u00dfe-\u65e5\u672c"), "u\n");
      Files.createSymbolicLink(root.resolve("pax/long-link"), fs.getPath("t".repeat(300)));
      // the longest name Linux takes (255 bytes), eleven deep: a path of some 3,000 bytes
      String longest = "n".repeat(247) + "\u00e9\u65e5\u672c";
      Path deep = root.resolve("pax");
      for (int i = 0; i < 11; i++) {
        deep = Files.createDirectory(deep.resolve(longest));
      }
      Files.writeString(deep.resolve(longest), "deep\n");
      FileSystemException tooLong = assertThrows(FileSystemException.class,
          () -> Files.createFile(root.resolve("pax/x" + longest)));
      assertEquals("File name too long", tooLong.getReason());
      Files.setLastModifiedTime(unicode, FileTime.from(
          java.time.Instant.ofEpochSecond(1_700_000_000L, 123_456_789)));
      Files.setLastModifiedTime(longName, FileTime.from(
          java.time.Instant.ofEpochSecond(-1_500_000L, 250_000_000)));
      Files.setAttribute(longName, "unix:uid", 3_000_000, NOFOLLOW_LINKS);
      Files.setAttribute(longName, "unix:gid", 4_000_000, NOFOLLOW_LINKS);
      Files.getFileAttributeView(unicode, UserDefinedFileAttributeView.class)
          .write("user.bin", ByteBuffer.wrap(new byte[] {0, (byte) 0xff, 1, (byte) 0x80, '='}));
      Files.createLink(root.resolve("pax/hard"), unicode);
      Files.move(root.resolve("etc"), root.resolve("etc-moved"));
      deleteTree(root.resolve("data"));
      Files.createDirectory(root.resolve("data"));
      Files.writeString(root.resolve("data/new"), "new\n");
    }
    ContentStore store = ContentStore.open(images.layout());
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "pax", null, false)) {
      c.commit("committed-pax", CommitOptions.defaults(), Progress.NONE);
    }
    try (FileSystem fs = FileSystems.newFileSystem(uri,
        Map.of("store", images.layout(), "readOnly", true))) {
      LayerFs.assertSameTree(images.rootfs("committed-pax"), fs.getPath("/"),
          TreeComparison.builder().ignoreOwnerNames().ignoreMtime("/"::equals).build());
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * Commits the container; {@code umoci unpack} of the new image must give exactly the tree the
   * container shows (mtimes too, to the nanosecond), and skopeo must read the image.
   */
  private static void assertCommitUnpacksToTheContainersTree(URI uri) throws IOException {
    // `layerfs diff` and `layerfs commit`, as a user runs them
    assertTrue(!LayerfsCli.run(images.layout(), "diff", uri.getHost()).isBlank(),
        "the program changed nothing");
    String digest = LayerfsCli.run(images.layout(), "commit", uri.getHost(), "committed").strip();
    Image committed = Images.resolve(ContentStore.open(images.layout()), "committed");
    assertEquals(committed.manifestDigest().toString(), digest);
    Path unpacked = images.rootfs("committed");
    try (FileSystem fs = FileSystems.newFileSystem(uri,
        Map.of("store", images.layout(), "readOnly", true))) {
      // A layer cannot link into a lower one: a lower file with several names, one of which
      // the new layer holds (as a copy), has fewer links in the image than in the container,
      // which still shows the lower count as overlay2 does.
      Set<String> lowerLinked = new TreeSet<>();
      try (Stream<Path> walk = Files.walk(fs.getPath("/"))) {
        for (Path p : walk.toList()) {
          if (Files.isRegularFile(p, NOFOLLOW_LINKS)
              && (Integer) Files.getAttribute(p, "unix:nlink", NOFOLLOW_LINKS) > 1
              && !Files.getFileAttributeView(p, LayerFileAttributeView.class, NOFOLLOW_LINKS)
                  .readOrigin().upper()) {
            lowerLinked.add(p.toString());
          }
        }
      }
      TreeComparison comparison = TreeComparison.builder().ignoreOwnerNames()
          .ignoreMtime("/"::equals).ignoreNlink(lowerLinked::contains).build();
      LayerFs.assertSameTree(unpacked, fs.getPath("/"), comparison);
    }
    String inspect =
        Tools.run("skopeo", "inspect", "--raw", "oci:" + images.layout() + ":committed");
    assertTrue(inspect.contains(committed.layers().get(committed.layers().size() - 1)
        .digest().toString()), inspect);
    Tools.run("skopeo", "inspect", "oci:" + images.layout() + ":committed");
  }

  /** TreeComparison, with clock-set mtimes compared as "recent" on both sides. */
  private static void assertSameTree(Path host, Path container) throws IOException {
    Set<String> recent = new TreeSet<>();
    try (Stream<Path> walk = Files.walk(host)) {
      for (Path p : walk.toList()) {
        if (Files.getLastModifiedTime(p, NOFOLLOW_LINKS).to(TimeUnit.SECONDS) >= RECENT) {
          recent.add("/" + host.relativize(p));
        }
      }
    }
    recent.add("/");
    TreeComparison comparison = TreeComparison.builder().ignoreOwnerNames()
        .ignoreMtime(UmociImages.unreproducibleMtimes(UmociImages.LAYERED))
        .ignoreMtime(recent::contains).build();
    LayerFs.assertSameTree(host, container, comparison);
    for (String path : recent) {
      Path p = container.resolve(path.substring(1));
      if (Files.isRegularFile(p, NOFOLLOW_LINKS)) {
        long seconds = Files.getLastModifiedTime(p, NOFOLLOW_LINKS).to(TimeUnit.SECONDS);
        assertTrue(seconds >= RECENT, () -> path + ": the host's mtime is recent, layerfs shows "
            + java.time.Instant.ofEpochSecond(seconds));
      }
    }
  }

  // ------------------------------------------------------------------ the program

  /** What a step does to a root; returns the value compared. */
  private interface Action {
    String run(Path root) throws Exception;
  }

  /** One NIO call: its text, the paths it names (last component followed or not), the action. */
  private record Step(String call, List<String> followed, List<String> notFollowed,
      Action action) {
    String outcome(Path root) {
      try {
        return "ok " + action.run(root);
      } catch (Exception e) {
        return "ex " + e.getClass().getName();
      }
    }

    @Override
    public String toString() {
      return call;
    }
  }

  private static List<Step> program(Random r) {
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < STEPS; i++) {
      steps.add(step(r));
    }
    return steps;
  }

  private static <T> T pick(Random r, List<T> list) {
    return list.get(r.nextInt(list.size()));
  }

  private static String q(String path) {
    return "p(\"" + path + "\")";
  }

  private static Step step(Random r) {
    String a = pick(r, PATHS);
    String b = pick(r, PATHS);
    int kind = r.nextInt(17);
    switch (kind) {
      case 0, 1 -> {
        List<OpenOption> o = pick(r, List.of(List.<OpenOption>of(),
            List.of(StandardOpenOption.CREATE_NEW), List.of(StandardOpenOption.APPEND),
            List.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND),
            List.of(StandardOpenOption.WRITE)));
        byte[] data = data(pick(r, List.of(0, 5, 4096, 70_000)), r.nextInt(100));
        return new Step("Files.write(" + q(a) + ", " + describe(data) + ", " + o + ")",
            List.of(a), List.of(), root -> {
              Files.write(root.resolve(a), data, o.toArray(OpenOption[]::new));
              return "";
            });
      }
      case 2 -> {
        long pos = pick(r, List.of(0L, 3L, 4096L, 65_536L, 100_000L));
        byte[] data = data(pick(r, List.of(1, 100, 5000)), r.nextInt(100));
        return new Step("FileChannel.open(" + q(a) + ", WRITE, CREATE).write(" + describe(data)
            + ", " + pos + ")", List.of(a), List.of(), root -> {
              try (FileChannel ch = FileChannel.open(root.resolve(a), StandardOpenOption.WRITE,
                  StandardOpenOption.CREATE)) {
                return ch.write(ByteBuffer.wrap(data), pos) + " size=" + ch.size();
              }
            });
      }
      case 3 -> {
        long size = pick(r, List.of(0L, 1L, 4096L, 1_000_000L));
        return new Step("FileChannel.open(" + q(a) + ", WRITE).truncate(" + size + ")",
            List.of(a), List.of(), root -> {
              try (FileChannel ch = FileChannel.open(root.resolve(a), StandardOpenOption.WRITE)) {
                return "size=" + ch.truncate(size).size();
              }
            });
      }
      case 4 -> {
        return new Step("Files.delete(" + q(a) + ")", List.of(), List.of(a), root -> {
          Files.delete(root.resolve(a));
          return "";
        });
      }
      case 5, 6 -> {
        List<CopyOption> o = pick(r, List.of(List.<CopyOption>of(),
            List.of(StandardCopyOption.REPLACE_EXISTING), List.of(StandardCopyOption.ATOMIC_MOVE)));
        return new Step("Files.move(" + q(a) + ", " + q(b) + ", " + o + ")", List.of(),
            List.of(a, b), root -> {
              Files.move(root.resolve(a), root.resolve(b), o.toArray(CopyOption[]::new));
              return "";
            });
      }
      case 7 -> {
        List<CopyOption> o = pick(r, List.of(List.<CopyOption>of(),
            List.of(StandardCopyOption.COPY_ATTRIBUTES), List.of(NOFOLLOW_LINKS),
            List.of(StandardCopyOption.COPY_ATTRIBUTES, NOFOLLOW_LINKS,
                StandardCopyOption.REPLACE_EXISTING)));
        boolean follow = !o.contains(NOFOLLOW_LINKS);
        return new Step("Files.copy(" + q(a) + ", " + q(b) + ", " + o + ")",
            follow ? List.of(a) : List.of(), follow ? List.of(b) : List.of(a, b), root -> {
              Files.copy(root.resolve(a), root.resolve(b), o.toArray(CopyOption[]::new));
              return "";
            });
      }
      case 8 -> {
        return new Step("Files.createDirectory(" + q(a) + ")", List.of(), List.of(a), root -> {
          Files.createDirectory(root.resolve(a));
          return "";
        });
      }
      case 9 -> {
        String target = pick(r, TARGETS);
        return new Step("Files.createSymbolicLink(" + q(a) + ", \"" + target + "\")", List.of(),
            List.of(a), root -> {
              Path p = root.resolve(a);
              Files.createSymbolicLink(p, p.getFileSystem().getPath(target));
              return "";
            });
      }
      case 10 -> {
        return new Step("Files.createLink(" + q(a) + ", " + q(b) + ")", List.of(b), List.of(a),
            root -> {
              Files.createLink(root.resolve(a), root.resolve(b));
              return "";
            });
      }
      case 11 -> {
        int bits = r.nextInt(01000);
        return new Step("Files.setPosixFilePermissions(" + q(a) + ", 0"
            + Integer.toOctalString(bits) + ")", List.of(a), List.of(), root -> {
              Files.setPosixFilePermissions(root.resolve(a), perms(bits));
              return "";
            });
      }
      case 12 -> {
        FileTime t = FileTime.from(978_307_200_000_000L + r.nextInt(1_000_000_000) * 1000L,
            TimeUnit.MICROSECONDS);
        String attr = r.nextBoolean() ? "unix:uid" : "unix:gid";
        int id = pick(r, List.of(0, 1000, 65534));
        return r.nextBoolean()
            ? new Step("Files.setLastModifiedTime(" + q(a) + ", " + t + ")", List.of(a),
                List.of(), root -> {
                  Files.setLastModifiedTime(root.resolve(a), t);
                  return "";
                })
            : new Step("Files.setAttribute(" + q(a) + ", \"" + attr + "\", " + id + ")",
                List.of(a), List.of(), root -> {
                  Files.setAttribute(root.resolve(a), attr, id);
                  return "";
                });
      }
      case 13 -> {
        String name = pick(r, List.of("comment", "layer", "new"));
        byte[] value = data(r.nextInt(20), r.nextInt(100));
        return new Step("userView(" + q(a) + ").write(\"" + name + "\", " + describe(value)
            + ")", List.of(a), List.of(), root -> Integer.toString(
                Files.getFileAttributeView(root.resolve(a), UserDefinedFileAttributeView.class)
                    .write(name, ByteBuffer.wrap(value))));
      }
      case 14 -> {
        return new Step("Files.list(" + q(a) + ")", List.of(a), List.of(), root -> {
          try (Stream<Path> s = Files.list(root.resolve(a))) {
            return s.map(c -> c.getFileName().toString()).sorted().toList().toString();
          }
        });
      }
      case 15 -> {
        boolean follow = r.nextBoolean();
        return new Step("Files.readAttributes(" + q(a) + ", \"unix:*\""
            + (follow ? "" : ", NOFOLLOW_LINKS") + ")", follow ? List.of(a) : List.of(),
            follow ? List.of() : List.of(a), root -> stat(root.resolve(a), follow));
      }
      default -> {
        return r.nextBoolean()
            ? new Step("Files.readSymbolicLink(" + q(a) + ")", List.of(), List.of(a),
                root -> Files.readSymbolicLink(root.resolve(a)).toString())
            : new Step("Files.readAllBytes(" + q(a) + ")", List.of(a), List.of(),
                root -> describe(Files.readAllBytes(root.resolve(a))));
      }
    }
  }

  private static byte[] data(int size, int seed) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (i * 31 + (i >>> 7) * 7 + seed * 101 + 1);
    }
    return b;
  }

  private static String describe(byte[] bytes) {
    return bytes.length + ":#" + Integer.toHexString(Arrays.hashCode(bytes));
  }

  private static Set<PosixFilePermission> perms(int bits) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ ... OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) {
      if ((bits & (0400 >> i)) != 0) {
        set.add(all[i]);
      }
    }
    return set;
  }

  /** Type, mode with set-id bits, owner, nlink, size and mtime where they are not host noise. */
  private static String stat(Path p, boolean follow) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,nlink,size,lastModifiedTime",
        follow ? new java.nio.file.LinkOption[0] : new java.nio.file.LinkOption[] {NOFOLLOW_LINKS});
    int mode = (Integer) a.get("mode");
    int type = mode & 0170000;
    String s = Integer.toOctalString(mode) + " " + a.get("uid") + ":" + a.get("gid")
        + " nlink=" + a.get("nlink");
    if (type != 0040000) {
      s += " size=" + a.get("size");
    }
    if (type == 0100000) {
      FileTime t = (FileTime) a.get("lastModifiedTime");
      s += " mtime=" + (t.to(TimeUnit.SECONDS) >= RECENT ? "recent" : t.toInstant().toString());
    }
    return s;
  }

  // ------------------------------------------------------------------ host confinement

  private static boolean confined(Path host, Step step) throws IOException {
    for (String p : step.followed()) {
      if (!confined(host, p, true)) {
        return false;
      }
    }
    for (String p : step.notFollowed()) {
      if (!confined(host, p, false)) {
        return false;
      }
    }
    return true;
  }

  /** Resolves as the kernel does (physical "..", 40 hops); false when the walk leaves root. */
  private static boolean confined(Path root, String relative, boolean followLast)
      throws IOException {
    Deque<String> todo = new ArrayDeque<>(List.of(relative.split("/")));
    List<String> real = new ArrayList<>();
    int hops = 0;
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (real.isEmpty()) {
          return false;
        }
        real.remove(real.size() - 1);
        continue;
      }
      real.add(name);
      boolean last = todo.stream().allMatch(n -> n.isEmpty() || n.equals("."));
      Path p = root.resolve(String.join("/", real));
      if (!Files.isSymbolicLink(p)) {
        if (!last && !Files.isDirectory(p, NOFOLLOW_LINKS)) {
          return true;
        }
        continue;
      }
      if ((last && !followLast) || ++hops > 40) {
        return true;
      }
      String target = Files.readSymbolicLink(p).toString();
      if (target.startsWith("/")) {
        return false;
      }
      real.remove(real.size() - 1);
      String[] parts = target.split("/");
      for (int i = parts.length - 1; i >= 0; i--) {
        todo.push(parts[i]);
      }
    }
    return true;
  }
}
