package io.layerfs.provider.contract;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.COPY_ATTRIBUTES;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.DELETE_ON_CLOSE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.core.CommitOptions;
import io.layerfs.provider.LayerFileSystems;
import io.layerfs.provider.contract.ContainerOps.Access;
import io.layerfs.provider.contract.ContainerOps.ChannelWrite;
import io.layerfs.provider.contract.ContainerOps.Chmod;
import io.layerfs.provider.contract.ContainerOps.Chown;
import io.layerfs.provider.contract.ContainerOps.Copy;
import io.layerfs.provider.contract.ContainerOps.CopyIn;
import io.layerfs.provider.contract.ContainerOps.Data;
import io.layerfs.provider.contract.ContainerOps.Delete;
import io.layerfs.provider.contract.ContainerOps.DeleteIfExists;
import io.layerfs.provider.contract.ContainerOps.Glob;
import io.layerfs.provider.contract.ContainerOps.HardLink;
import io.layerfs.provider.contract.ContainerOps.ListDir;
import io.layerfs.provider.contract.ContainerOps.ListXattrs;
import io.layerfs.provider.contract.ContainerOps.MapFile;
import io.layerfs.provider.contract.ContainerOps.Mkdir;
import io.layerfs.provider.contract.ContainerOps.Mkdirs;
import io.layerfs.provider.contract.ContainerOps.Move;
import io.layerfs.provider.contract.ContainerOps.Op;
import io.layerfs.provider.contract.ContainerOps.ReadAll;
import io.layerfs.provider.contract.ContainerOps.Readlink;
import io.layerfs.provider.contract.ContainerOps.RealPath;
import io.layerfs.provider.contract.ContainerOps.SameFile;
import io.layerfs.provider.contract.ContainerOps.Stat;
import io.layerfs.provider.contract.ContainerOps.Symlink;
import io.layerfs.provider.contract.ContainerOps.Touch;
import io.layerfs.provider.contract.ContainerOps.Truncate;
import io.layerfs.provider.contract.ContainerOps.Write;
import io.layerfs.provider.contract.ContainerOps.Xattr;
import io.layerfs.testing.Props;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;

/**
 * The differential test of writable containers: seeded random programs of NIO operations run on
 * a layerfs container over {@link Fixture}'s three-layer image and, side by side, on a host copy
 * of the same merged tree with the JDK's default provider, the oracle. Every step's outcome (the
 * value, or the exception class) must be equal; after the program the whole trees must be equal
 * ({@link TreeSnapshot}), and equal again after the container is closed and reopened by name,
 * and in the image committed from it, read as an image view.
 *
 * <p>Programs draw relative paths from a small pool over the fixture: lower files, directories
 * and symbolic links of every layer (whited-out, opaque, type-changed and merged directories
 * among them), paths through links and with {@code ..}, and fresh names. Left out of the pool:
 * {@code chroot/} (absolute link targets, which the host would follow out of the tree), {@code
 * special/fifo} (opening it blocks), the unicode name (the provider's tests do not force a UTF-8
 * locale) and the hard-linked pair {@code data/100000.bin}/{@code .hard}: overlay2 breaks a lower
 * hard link on copy-up, the host keeps it, so on them the two oracles disagree by design. A
 * program can still move, link or create links so that a path would leave the host tree; {@link
 * HostGuard} drops such a step on both sides.
 *
 * <p>Programs also hold channels open across steps ({@link HeldChannelOps}: two a tree, read,
 * written, truncated and closed between the other steps), so that renames, deletes, copy-ups and
 * {@code DELETE_ON_CLOSE} act on files a channel still has; the runner closes them when the
 * program ends, before the trees are compared.
 *
 * <p>User xattrs ({@code user:} view) are part of the programs and of the tree comparison when
 * the host file system of the temp directory stores them (checked once in {@link #setUp}); when
 * it does not, the programs have no xattr operations and the run prints a line on stderr saying
 * so. mtimes set by the clock compare as "recent" (see {@link ContainerOps}).
 *
 * <p>{@link #hostAgreesWithHost} is the control: the same programs on two host copies must
 * agree, or the generator or the oracle is wrong, not layerfs. Needs root (the fixture has other
 * owners) and {@code cp}, {@code mkfifo}, {@code chown}, {@code chmod}, {@code touch}.
 *
 * <p>Run: {@code mvn -o -pl provider -am test -Dtest=ContainerDifferentialTest
 * -Dsurefire.failIfNoSpecifiedTests=false}. A failure prints the shrunk program, one NIO call per
 * element, the first step whose outcomes differ and the seed to run it again with. At the end the
 * run prints on stderr what the steps came to (ok, or which exception), per property.
 */
class ContainerDifferentialTest {
  /** Paths of the merged fixture tree (and paths through its links). */
  private static final List<String> EXISTING = List.of(
      ".profile", "etc", "etc/os-release", "etc/conf", "etc/was-file", "etc/was-file/inner",
      "etc/gone", "usr/bin", "usr/bin/tool", "usr/bin/su", "usr/local", "usr/local/setgid-file",
      "tmp", "data", "data/empty", "data/one", "data/4095.bin", "data/4096.bin", "data/removed",
      "data/nested", "data/nested/a", "data/nested/a/b", "data/nested/a/b/deep.txt", "opaque",
      "opaque/old", "opaque/new", "opaque/old-dir", "many", "many/f000", "many/f150",
      "many/f299", "names", "names/.hidden", "names/.hidden-dir", "names/.hidden-dir/inside",
      "names/with space.txt", "links", "links/rel", "links/dir", "links/dir-dots",
      "links/dangling", "links/loop-a", "links/self", "links/through-file", "links/dir/a",
      "links/dir/x", "links/rel/x", "data/nested/../one", "links/dir/../one");
  /** Names that do not exist at first. */
  private static final List<String> FRESH = List.of(
      "x", "y", "d1", "d1/x", "d1/y", "d1/s", "d1/s/x", "data/x", "data/y", "data/nested/x",
      "etc/x", "opaque/x", "tmp/x", "tmp/d", "tmp/d/x", "links/missing-target", "many/x",
      "usr/x");
  private static final List<String> TARGETS = List.of(
      "one", "x", "../data/one", "data/one", "nested", "d1", "../x", "missing", "..", ".",
      "x/y", "/data/one", "../../..");

  private static final AtomicInteger CONTAINERS = new AtomicInteger();
  private static Path work;
  private static Path master;
  private static Path store;
  private static boolean hostXattrs;
  /** The properties whose first failure was minimized (once each: it runs the program often). */
  private static final Set<String> MINIMIZED = ConcurrentHashMap.newKeySet();
  /** Per property, how often each outcome came up: the programs must reach past the errors. */
  private static final Map<String, Map<String, Integer>> STEPS = new TreeMap<>();

  @BeforeAll
  static void setUp() throws Exception {
    work = Files.createTempDirectory("layerfs-differential");
    master = work.resolve("fixture");
    Fixture.materialize(master);
    store = work.resolve("store");
    FixtureImages.build(store);
    hostXattrs = hostStoresUserXattrs(work);
    if (!hostXattrs) {
      System.err.println("ContainerDifferentialTest: the host file system of " + work
          + " does not store user xattrs; programs run without xattr operations");
    }
  }

  @AfterAll
  static void tearDown() throws IOException {
    STEPS.forEach((property, counts) -> {
      int all = counts.values().stream().mapToInt(Integer::intValue).sum();
      StringBuilder text = new StringBuilder("ContainerDifferentialTest#" + property + ": " + all
          + " steps");
      counts.entrySet().stream()
          .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
          .forEach(e -> text.append(String.format("%n  %-50s %5d %6.2f %%", e.getKey(),
              e.getValue(), 100.0 * e.getValue() / all)));
      System.err.println(text);
    });
    if (work != null) {
      deleteTree(work);
    }
  }

  /**
   * The property itself: layerfs agrees with Linux at every step, at the end, after reopen, and
   * in the image committed from the container.
   */
  @Test
  void containerAgreesWithLinux() {
    Props p = Props.tries(50).seed(20240603);
    p.qt()
        .withShrinkCycles(20) // about 0.5 s each; minimize below does the rest
        .forAll(programs(p, hostXattrs))
        .checkAssert(Props.io(program -> check(program, "containerAgreesWithLinux",
            ContainerDifferentialTest::runOnContainer)));
  }

  /**
   * The same over a chain of images: the program is cut by three commits, each part run in a
   * new container on the image the last part's container committed (the first on the fixture's),
   * so later parts change, delete and link what lower layers of several commits hold; each
   * part's tree must be Linux's, in the new container, after the part and in the image committed
   * from it.
   */
  @Test
  void aChainOfCommitsAgreesWithLinux() {
    Props p = Props.tries(25).seed(20261206);
    p.qt()
        .withShrinkCycles(20)
        .forAll(programs(p, hostXattrs).map(program -> cutByCommits(program, false)))
        .checkAssert(Props.io(program -> check(program, "aChainOfCommitsAgreesWithLinux",
            ContainerDifferentialTest::runOnCommitChain)));
  }

  /**
   * {@code program} with a {@link Commit} after each of its first three quarters, with or without
   * its hard links: once committed, two names of a file are an image's hard link, which a write to
   * one breaks by copying it up alone, as overlay2 does (README), where the host's stays one file.
   */
  static List<Op> cutByCommits(List<Op> program, boolean keepHardLinks) {
    List<Op> out = new ArrayList<>();
    for (int i = 0; i < program.size(); i++) {
      if (i > 0 && i * 4 / program.size() != (i - 1) * 4 / program.size()) {
        out.add(new Commit());
      }
      if (keepHardLinks || !(program.get(i) instanceof HardLink)) {
        out.add(program.get(i));
      }
    }
    return out;
  }

  /** The parts of {@code program} between its {@link Commit}s, in order (one when it has none). */
  static List<List<Op>> parts(List<Op> program) {
    List<List<Op>> parts = new ArrayList<>(List.of(new ArrayList<>()));
    for (Op op : program) {
      if (op instanceof Commit) {
        parts.add(new ArrayList<>());
      } else {
        parts.get(parts.size() - 1).add(op);
      }
    }
    return parts;
  }

  /** Where {@link #runOnCommitChain} commits and opens a new container on what it committed. */
  record Commit() implements Op {
    @Override
    public String apply(Path root) {
      throw new UnsupportedOperationException("a commit is the runner's, not a step");
    }

    @Override
    public List<ContainerOps.Arg> args() {
      return List.of();
    }

    @Override
    public String toString() {
      return "commit, and a new container on the image";
    }
  }

  /**
   * The same through a bind mount: the programs run on a host copy of the tree mounted into a
   * container ({@code /srv/tree}, as {@code LayerFsBindWriteContractTest} mounts it) and on
   * another host copy, the oracle; then the trees must be equal through layerfs and on the host
   * itself, user xattrs included (the host file's own).
   */
  @Test
  void bindMountAgreesWithLinux() {
    Props p = Props.tries(25).seed(20240603);
    p.qt()
        .withShrinkCycles(20)
        .forAll(programs(p, hostXattrs))
        .checkAssert(Props.io(program -> check(program, "bindMountAgreesWithLinux",
            ContainerDifferentialTest::runOnBindMount)));
  }

  /**
   * The same through a named volume: the tree copied into a volume's directory, mounted at
   * {@code /srv} of a container, so reads go through the kept directories the volume's change
   * counter lets a reader reuse without a {@code stat} each (where directories are renamed and
   * replaced under them).
   */
  @Test
  void volumeAgreesWithLinux() {
    Props p = Props.tries(15).seed(20240603);
    p.qt()
        .withShrinkCycles(20)
        .forAll(programs(p, hostXattrs))
        .checkAssert(Props.io(program -> check(program, "volumeAgreesWithLinux",
            ContainerDifferentialTest::runOnVolume)));
  }

  /**
   * The same in a tmpfs mount (Jimfs in the heap, which layerfs makes behave as Linux's tmpfs):
   * the fixture made in it through the provider, as {@code LayerFsTmpfsWriteContractTest} makes
   * it, without its fifo (Java makes none; the host copy loses it too).
   */
  @Test
  void tmpfsAgreesWithLinux() {
    Props p = Props.tries(15).seed(20240603);
    p.qt()
        .withShrinkCycles(20)
        .forAll(programs(p, hostXattrs).map(ContainerDifferentialTest::withoutWhatATmpfsLacks))
        .checkAssert(Props.io(program -> check(program, "tmpfsAgreesWithLinux",
            ContainerDifferentialTest::runOnTmpfs)));
  }

  /**
   * {@code program} without read-write mappings, and with each hard link made only where its
   * existing path is no symbolic link: a tmpfs maps files as copies, so not {@code READ_WRITE},
   * and refuses to link a link itself (README, limits), both of which Linux does.
   */
  static List<Op> withoutWhatATmpfsLacks(List<Op> program) {
    List<Op> out = new ArrayList<>();
    for (Op op : program) {
      if (!(op instanceof MapFile map && map.dataOrNull() != null)) {
        out.add(op instanceof HardLink h ? new HardLinkUnlessToALink(h) : op);
      }
    }
    return out;
  }

  /** {@link HardLink}, skipped on both sides where the existing path is a symbolic link. */
  private record HardLinkUnlessToALink(HardLink link) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      if (Files.isSymbolicLink(root.resolve(link.existing()))) {
        return "skipped: a hard link to a symbolic link";
      }
      return link.apply(root);
    }

    @Override
    public List<ContainerOps.Arg> args() {
      return link.args();
    }

    @Override
    public String toString() {
      return link.toString();
    }
  }

  private static String runOnTmpfs(List<Op> program, Map<String, Integer> steps)
      throws Exception {
    Path expected = copyOfFixture();
    Files.delete(expected.resolve("special/fifo"));
    String name = "tmpfs-" + CONTAINERS.incrementAndGet();
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store, "image", FixtureImages.TAG,
            "mounts", List.of("type=tmpfs,target=/srv")))) {
      Path root = fs.getPath("/srv/tree");
      Fixture.materialize(root, false);
      String failure = compareTrees(expected, root, "as made");
      if (failure == null) {
        failure = runSideBySide(program, expected, root, "tmpfs", steps);
      }
      if (failure == null) {
        failure = compareTrees(expected, root, "after the program, through layerfs");
      }
      return failure;
    } finally {
      deleteTree(expected);
    }
  }

  /**
   * Runs {@code program} on a host copy in a named volume of a new container and on another
   * host copy; null when they agree throughout, else what differs first.
   */
  private static String runOnVolume(List<Op> program, Map<String, Integer> steps)
      throws Exception {
    Path expected = copyOfFixture();
    String name = "vol-" + CONTAINERS.incrementAndGet();
    Map<String, Object> env = Map.of("store", store, "image", FixtureImages.TAG,
        "mounts", List.of("type=volume,source=" + name + ",target=/srv"));
    Path data;
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name), env)) {
      data = store.resolve("layerfs/volumes/" + name + "/_data");
    }
    Files.move(copyOfFixture(), data.resolve("tree"));
    try {
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
          Map.of("store", store))) {
        Path root = fs.getPath("/srv/tree");
        String failure = runSideBySide(program, expected, root, "volume", steps);
        if (failure == null) {
          failure = compareTrees(expected, root, "after the program, through layerfs");
        }
        if (failure == null) {
          failure = compareTrees(expected, data.resolve("tree"),
              "after the program, on the host");
        }
        return failure;
      }
    } finally {
      deleteTree(expected);
      deleteTree(data.resolve("tree"));
    }
  }

  /**
   * Runs {@code program} with {@code runner} for {@code property}; fails with what differs
   * first, having printed the first failure of each property minimized (the shrinking is
   * bounded; a greedy pass over that one failure is not).
   */
  static void check(List<Op> program, String property, Runner runner) throws Exception {
    String failure = runner.run(program, steps(property));
    if (failure != null) {
      if (MINIMIZED.add(property)) {
        System.err.println("ContainerDifferentialTest: minimal failing program:\n"
            + minimize(program, signature(failure), runner));
      }
      fail(failure);
    }
  }

  /** How a program is run side by side; null when both sides agree, else what differs. */
  interface Runner {
    String run(List<Op> program, Map<String, Integer> steps) throws Exception;
  }

  /**
   * Runs {@code program} on a host copy bind-mounted into a new container and on another host
   * copy; null when they agree throughout, else what differs first.
   */
  private static String runOnBindMount(List<Op> program, Map<String, Integer> steps)
      throws Exception {
    Path expected = copyOfFixture();
    Path mounted = Files.createTempDirectory(work, "bind-");
    Path tree = mounted.resolve("tree");
    Files.move(copyOfFixture(), tree);
    String name = "bind-" + CONTAINERS.incrementAndGet();
    try {
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
          Map.of("store", store, "image", FixtureImages.TAG,
              "mounts", List.of("type=bind,source=" + mounted + ",target=/srv")))) {
        Path root = fs.getPath("/srv/tree");
        String failure = runSideBySide(program, expected, root, "bind mount", steps);
        if (failure == null) {
          failure = compareTrees(expected, root, "after the program, through layerfs");
        }
        if (failure == null) {
          failure = compareTrees(expected, tree, "after the program, on the host");
        }
        return failure;
      }
    } finally {
      deleteTree(expected);
      deleteTree(mounted);
    }
  }

  private static synchronized Map<String, Integer> steps(String property) {
    return STEPS.computeIfAbsent(property, k -> new TreeMap<>());
  }

  /**
   * Runs {@code program} on a new container and a new host copy; returns null when they agree
   * throughout, else what differs first.
   */
  private static String runOnContainer(List<Op> program, Map<String, Integer> steps)
      throws Exception {
    Path host = copyOfFixture();
    String name = "diff-" + CONTAINERS.incrementAndGet();
    try {
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
          Map.of("store", store, "image", FixtureImages.TAG))) {
        String failure = runSideBySide(program, host, fs.getPath("/"), "layerfs", steps);
        if (failure == null) {
          failure = compareTrees(host, fs.getPath("/"), "after the program");
        }
        if (failure != null) {
          return failure;
        }
      }
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
          Map.of("store", store))) {
        String failure = compareTrees(host, fs.getPath("/"), "after close and reopen");
        if (failure != null) {
          return failure;
        }
        LayerFileSystems.commit(fs, name + "-committed", CommitOptions.defaults());
      }
      // the committed image, read as an image view, is the container's tree
      try (FileSystem image = FileSystems.newFileSystem(URI.create("layerfs://" + name + "-view"),
          Map.of("store", store, "image", name + "-committed", "readOnly", true))) {
        return compareTrees(host, image.getPath("/"), "in the image committed after the program");
      }
    } finally {
      deleteTree(host);
    }
  }

  private static String runOnCommitChain(List<Op> program, Map<String, Integer> steps)
      throws Exception {
    Path host = copyOfFixture();
    String chain = "chain-" + CONTAINERS.incrementAndGet();
    String image = FixtureImages.TAG;
    try {
      List<List<Op>> parts = parts(program);
      for (int part = 0; part < parts.size(); part++) {
        String name = chain + "-" + part;
        // the part's number goes last, out of the signature: minimizing drops commits too
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
            Map.of("store", store, "image", image))) {
          String failure = compareTrees(host, fs.getPath("/"), "in a new container");
          if (failure == null) {
            failure = runSideBySide(parts.get(part), host, fs.getPath("/"), "layerfs", steps);
          }
          if (failure == null) {
            failure = compareTrees(host, fs.getPath("/"), "after a part of the program");
          }
          if (failure != null) {
            return failure + "\n(in container " + (part + 1) + " of the chain)";
          }
          image = name + "-committed";
          LayerFileSystems.commit(fs, image, CommitOptions.defaults());
        }
      }
      try (FileSystem view = FileSystems.newFileSystem(URI.create("layerfs://" + chain + "-view"),
          Map.of("store", store, "image", image, "readOnly", true))) {
        return compareTrees(host, view.getPath("/"), "in the image the last container committed");
      }
    } finally {
      deleteTree(host);
    }
  }

  /**
   * Greedy delta debugging: drops chunks of steps, then single steps, while it still fails the
   * same way (same {@link #signature}).
   */
  private static String minimize(List<Op> failing, String signature, Runner runner)
      throws Exception {
    List<Op> program = new ArrayList<>(failing);
    for (int chunk = Math.max(1, program.size() / 2); chunk >= 1; chunk /= 2) {
      for (int i = 0; i < program.size(); ) {
        List<Op> candidate = new ArrayList<>(program.subList(0, i));
        candidate.addAll(program.subList(Math.min(program.size(), i + chunk), program.size()));
        if (!candidate.isEmpty()
            && signature.equals(signature(runner.run(candidate, new TreeMap<>())))) {
          program = candidate;
        } else {
          i += chunk;
        }
      }
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < program.size(); i++) {
      text.append("  ").append(i).append(": ").append(program.get(i)).append('\n');
    }
    return text + runner.run(program, new TreeMap<>());
  }

  /**
   * A new volume is filled with what the image has at its target, as Docker copies it (modes,
   * owners, times, links, hard links and extended attributes; the root's owner and mode): each
   * top directory of the fixture and three of other owners and modes, mounted as a new volume,
   * equals the host copy's directory, and so does the volume's directory on the host.
   */
  @Test
  void aNewVolumeIsACopyOfTheImageAtItsTarget() throws IOException {
    for (String dir : List.of("data", "etc", "links", "usr", "opaque", "names", "chroot",
        "usr/local", "data/nested/a", "tmp")) {
      String name = "fill-" + dir.replace('/', '-');
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
          Map.of("store", store, "image", FixtureImages.TAG,
              "mounts", List.of("type=volume,source=" + name + ",target=/" + dir)))) {
        assertNull(compareTrees(master.resolve(dir), fs.getPath("/" + dir),
            "/" + dir + " through the volume"));
      }
      assertNull(compareTrees(master.resolve(dir),
          store.resolve("layerfs/volumes/" + name + "/_data"), "/" + dir + " on the host"));
    }
  }

  /** The control: two host copies agree, so the generator and the oracle are deterministic. */
  @Test
  void hostAgreesWithHost() {
    Props p = Props.tries(5).seed(20240603);
    p.qt()
        .withShrinkCycles(0) // a failure here is in the generator or the oracle: no shrinking
        .forAll(programs(p, hostXattrs))
        .checkAssert(Props.io(program -> {
          Path first = copyOfFixture();
          Path second = copyOfFixture();
          try {
            String failure = runSideBySide(program, first, second, "second host copy",
                steps("hostAgreesWithHost"));
            if (failure == null) {
              failure = compareTrees(first, second, "after the program");
            }
            if (failure != null) {
              fail(failure);
            }
          } finally {
            deleteTree(first);
            deleteTree(second);
          }
        }));
  }

  /** Programs of 100 to 300 steps; QuickTheories shrinks them from the end and step by step. */
  static Gen<List<Op>> programs(Props p, boolean xattrs) {
    return programs(p, xattrs, List.of());
  }

  /** As above, {@code moreExisting} paths of the fixture among those the operations name. */
  static Gen<List<Op>> programs(Props p, boolean xattrs, List<String> moreExisting) {
    List<String> existing = new ArrayList<>(EXISTING);
    existing.addAll(moreExisting);
    return p.lists(op(p, xattrs, existing), 100, 300);
  }

  /** An operation; {@code xattrs}: user xattr operations among them. */
  private static Gen<Op> op(Props p, boolean xattrs, List<String> existing) {
    Gen<String> path = p.frequency(List.of(Pair.of(3, p.choose(existing)),
        Pair.of(2, p.choose(FRESH))));
    Gen<String> readPath = p.frequency(List.of(Pair.of(1, p.constant("")), Pair.of(10, path)));
    Gen<Data> data = p.combine(p.choose(0, 1, 7, 100, 4095, 4096, 5000, 70000), p.ints(0, 99),
        Data::new);
    Gen<Data> smallData = p.combine(p.choose(0, 1, 7, 100), p.ints(0, 99), Data::new);
    Gen<List<OpenOption>> writeOptions = p.choose(
        List.of(), List.of(CREATE_NEW), List.of(CREATE), List.of(CREATE, TRUNCATE_EXISTING),
        List.of(TRUNCATE_EXISTING), List.of(WRITE), List.of(APPEND), List.of(CREATE, APPEND));
    Gen<List<OpenOption>> seekableOptions = p.choose(
        List.of(WRITE), List.of(WRITE, CREATE), List.of(WRITE, CREATE_NEW), List.of(READ, WRITE),
        List.of(WRITE, APPEND), List.of(WRITE, CREATE, TRUNCATE_EXISTING), List.of(READ));
    Gen<List<OpenOption>> fileChannelOptions = p.choose(
        List.of(WRITE), List.of(WRITE, CREATE), List.of(READ, WRITE, CREATE),
        List.of(WRITE, CREATE_NEW), List.of(READ));
    Gen<Long> position = p.choose(0L, 1L, 100L, 4095L, 4096L, 65535L, 65536L, 70000L, 131077L);
    Gen<List<CopyOption>> moveOptions = p.choose(
        List.of(), List.of(REPLACE_EXISTING), List.of(ATOMIC_MOVE),
        List.of(REPLACE_EXISTING, ATOMIC_MOVE));
    Gen<List<CopyOption>> copyOptions = p.choose(
        List.of(), List.of(REPLACE_EXISTING), List.of(COPY_ATTRIBUTES), List.of(NOFOLLOW_LINKS),
        List.of(COPY_ATTRIBUTES, NOFOLLOW_LINKS),
        List.of(REPLACE_EXISTING, COPY_ATTRIBUTES, NOFOLLOW_LINKS));
    Gen<Integer> slot = p.ints(0, HeldChannelOps.SLOTS - 1);
    Gen<List<OpenOption>> heldOptions = p.choose(
        List.of(READ), List.of(WRITE), List.of(READ, WRITE), List.of(WRITE, APPEND),
        List.of(READ, WRITE, CREATE), List.of(WRITE, CREATE_NEW),
        List.of(READ, WRITE, TRUNCATE_EXISTING), List.of(READ, NOFOLLOW_LINKS),
        List.of(READ, WRITE, DELETE_ON_CLOSE), List.of(WRITE, CREATE, DELETE_ON_CLOSE),
        List.of(READ, DELETE_ON_CLOSE));
    Gen<Long> heldPosition = p.choose(-1L, -1L, 0L, 100L, 4096L, 70000L);
    Gen<Integer> id = p.choose(0, 1, 1000, 4242, 65534);
    Gen<String> xattrName = p.choose("a", "b", "comment");

    List<Pair<Integer, ? extends Gen<Op>>> ops = new ArrayList<>(List.of(
        Pair.of(8, p.combine(path, data, writeOptions, Write::new)),
        Pair.of(3, p.combine(path, seekableOptions, position, data,
            (f, o, pos, d) -> new ChannelWrite(f, false, o, pos, d))),
        Pair.of(3, p.combine(path, fileChannelOptions, position, data,
            (f, o, pos, d) -> new ChannelWrite(f, true, o, pos, d))),
        Pair.of(3, p.combine(path, p.choose(0L, 1L, 100L, 4096L, 65536L, 1_000_000L),
            Truncate::new)),
        Pair.of(4, p.map(path, Delete::new)),
        Pair.of(5, p.combine(path, path, moveOptions, Move::new)),
        Pair.of(4, p.combine(path, path, copyOptions, Copy::new)),
        Pair.of(4, p.map(path, Mkdir::new)),
        Pair.of(3, p.combine(path, p.choose(TARGETS), Symlink::new)),
        Pair.of(2, p.combine(path, path, HardLink::new)),
        Pair.of(2, p.combine(path, p.ints(0, 0777), Chmod::new)),
        Pair.of(2, p.combine(path, p.longs(978_307_200_000_000L, 1_546_300_800_000_000L),
            Touch::new)),
        Pair.of(2, p.combine(path, p.choose(false, true), id, Chown::new)),
        Pair.of(3, p.map(readPath, ListDir::new)),
        Pair.of(6, p.combine(readPath, p.choose(true, false), Stat::new)),
        Pair.of(2, p.map(path, Readlink::new)),
        Pair.of(2, p.combine(path, path, SameFile::new)),
        Pair.of(2, p.combine(readPath, p.choose(true, false), RealPath::new)),
        Pair.of(2, p.map(path, Mkdirs::new)),
        Pair.of(2, p.map(path, DeleteIfExists::new)),
        Pair.of(2, p.combine(path, data, p.choose(false, true), CopyIn::new)),
        Pair.of(2, p.combine(path, p.choose(AccessMode.values()), Access::new)),
        Pair.of(2, p.combine(readPath, p.choose("*", "*.txt", ".*", "{one,x,a}", "[a-m]*",
            "f[0-9][0-9]0", "*/*", "\\*"), Glob::new)),
        Pair.of(2, p.combine(path, position, data, MapFile::new)),
        Pair.of(1, p.map(path, f -> new MapFile(f, 0, null))),
        Pair.of(5, p.map(path, ReadAll::new)),
        Pair.of(4, p.combine(slot, path, p.choose(HeldChannelOps.Kind.values()), heldOptions,
            HeldChannelOps.Open::new)),
        Pair.of(3, p.combine(slot, heldPosition, p.choose(1, 100, 5000),
            HeldChannelOps.Read::new)),
        Pair.of(3, p.combine(slot, heldPosition, data, HeldChannelOps.Write::new)),
        Pair.of(1, p.combine(slot, p.choose(0L, 100L, 70000L), HeldChannelOps.Truncate::new)),
        Pair.of(1, p.map(slot, HeldChannelOps.Close::new)),
        Pair.of(2, p.combine(slot, p.choose("map", "transferTo", "tryLock", "tryLock shared"),
            HeldChannelOps.FileChannelCall::new))));
    if (xattrs) {
      ops.add(Pair.of(2, p.combine(path, xattrName, smallData, Xattr::new)));
      ops.add(Pair.of(1, p.combine(path, xattrName, (f, n) -> new Xattr(f, n, null))));
      ops.add(Pair.of(1, p.map(path, ListXattrs::new)));
    }
    return p.frequency(ops);
  }

  /** A failure without its step number and program: the op and outcomes, or the first path. */
  private static String signature(String failure) {
    if (failure == null) {
      return null;
    }
    String[] lines = failure.split("\n");
    if (lines[0].startsWith("step ")) {
      return lines[0].substring(lines[0].indexOf(' ', 5)) + lines[1] + lines[2];
    }
    return lines[0].replaceFirst(", \\d+ path\\(s\\)", "") + (lines.length > 1 ? lines[1] : "");
  }

  /**
   * Runs the program on both trees, step by step; stops at the first step whose outcomes differ
   * and returns it with the program up to it; null when all agree.
   */
  private static String runSideBySide(List<Op> program, Path expectedRoot, Path actualRoot,
      String actualName, Map<String, Integer> steps) throws IOException {
    return runSideBySide(program, expectedRoot, actualRoot, actualName, steps,
        UnaryOperator.identity());
  }

  /**
   * As above, each outcome read through {@code normalize} first, for an oracle that differs by
   * design in what it takes out.
   */
  static String runSideBySide(List<Op> program, Path expectedRoot, Path actualRoot,
      String actualName, Map<String, Integer> steps, UnaryOperator<String> normalize)
      throws IOException {
    try {
      return runStepByStep(program, expectedRoot, actualRoot, actualName, steps, normalize);
    } finally {
      // the program's channels end with it, before its trees are compared
      try {
        HeldChannelOps.closeAll(expectedRoot);
      } finally {
        HeldChannelOps.closeAll(actualRoot);
      }
    }
  }

  private static String runStepByStep(List<Op> program, Path expectedRoot, Path actualRoot,
      String actualName, Map<String, Integer> steps, UnaryOperator<String> normalize)
      throws IOException {
    Map<String, Path> expectedListed = listed(expectedRoot, expectedRoot);
    Map<String, Path> actualListed = listed(actualRoot, expectedRoot);
    for (int i = 0; i < program.size(); i++) {
      Op op = program.get(i);
      if (i % 5 == 0 && i > 0) {
        // new listings, which the next steps make stale in turn
        expectedListed = listed(expectedRoot, expectedRoot);
        actualListed = listed(actualRoot, expectedRoot);
      }
      if (!HostGuard.confined(expectedRoot, op)) {
        steps.merge("skipped: would leave the host tree", 1, Integer::sum);
        continue;
      }
      StringBuilder expectedMessage = new StringBuilder();
      StringBuilder actualMessage = new StringBuilder();
      String expected = normalize.apply(ContainerOps.outcome(op, expectedRoot, expectedMessage));
      String actual = normalize.apply(ContainerOps.outcome(op, actualRoot, actualMessage));
      steps.merge(expected.startsWith("ok") ? "ok" : expected, 1, Integer::sum);
      if (!expected.equals(actual)) {
        StringBuilder text = new StringBuilder("step " + i + " differs: " + op
            + "\n  linux:   " + expected + " " + expectedMessage
            + "\n  " + actualName + ": " + actual + " " + actualMessage
            + "\n  on linux before it: " + describe(expectedRoot, op)
            + "\nprogram up to that step:");
        for (int j = 0; j <= i; j++) {
          text.append("\n  ").append(j).append(": ").append(program.get(j));
        }
        return text.toString();
      }
      Map<String, String> expectedStates = states(expectedListed);
      Map<String, String> actualStates = states(actualListed);
      Set<String> names = new java.util.TreeSet<>(expectedStates.keySet());
      names.addAll(actualStates.keySet());
      for (String name : names) {
        if (!HostGuard.confined(expectedRoot, name, false)) {
          // a link on the way now leaves the host tree (the container's stays inside, as a
          // chroot's): the host is no oracle for it
          expectedStates.remove(name);
          actualStates.remove(name);
        }
      }
      if (!expectedStates.equals(actualStates)) {
        StringBuilder text = new StringBuilder("after step " + i + " (" + op + "), paths a"
            + " directory stream listed before it read otherwise (linux, then " + actualName
            + "):");
        expectedStates.forEach((name, state) -> {
          if (!state.equals(actualStates.get(name))) {
            text.append("\n  ").append(name).append(": ").append(state).append(", ")
                .append(actualStates.get(name));
          }
        });
        actualStates.keySet().stream().filter(name -> !expectedStates.containsKey(name))
            .forEach(name -> text.append("\n  ").append(name).append(": not listed, listed"));
        return text.toString();
      }
    }
    return null;
  }

  /** Directories whose listed paths are kept through the steps and read after each. */
  private static final List<String> LISTED = List.of("", "etc", "data", "data/nested",
      "usr/bin", "opaque", "names", "links", "links/dir", "tmp");

  /**
   * The paths directory streams give for {@link #LISTED} (a directory that is not there lists
   * nothing), by relative name: layerfs finds such a path from its listing while the container
   * is unchanged, so after a change they must still read as Linux reads them. A directory
   * that a link now takes out of the host's tree ({@code hostRoot}) is not listed on either side:
   * the host would list a directory of its own (a chroot view stays inside).
   */
  private static Map<String, Path> listed(Path root, Path hostRoot) throws IOException {
    Map<String, Path> paths = new TreeMap<>();
    for (String dir : LISTED) {
      if (!dir.isEmpty() && !HostGuard.confined(hostRoot, dir, true)) {
        continue;
      }
      try (var s = Files.newDirectoryStream(dir.isEmpty() ? root : root.resolve(dir))) {
        for (Path p : s) {
          paths.put(dir.isEmpty() ? p.getFileName().toString() : dir + "/" + p.getFileName(), p);
        }
      } catch (IOException e) {
        // removed, or not a directory now: nothing listed
      }
    }
    return paths;
  }

  /** What each listed path is now (its last link not followed): type, a file's size, or error. */
  private static Map<String, String> states(Map<String, Path> listed) {
    Map<String, String> states = new TreeMap<>();
    listed.forEach((name, p) -> {
      String state;
      try {
        var a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
            NOFOLLOW_LINKS);
        state = a.isSymbolicLink() ? "link" : a.isDirectory() ? "dir"
            : a.isRegularFile() ? "file " + a.size() : "other";
      } catch (IOException e) {
        state = e.getClass().getSimpleName();
      }
      states.put(name, state);
    });
    return states;
  }

  /**
   * What each path of {@code op} and each directory on its way was on the host after the step
   * failed (which the step may have changed): what Linux checked, in the order it checks.
   */
  private static String describe(Path root, Op op) {
    List<String> seen = new ArrayList<>();
    for (ContainerOps.Arg arg : op.args()) {
      String prefix = "";
      for (String name : arg.path().split("/")) {
        prefix = prefix.isEmpty() ? name : prefix + "/" + name;
        Path p = root.resolve(prefix);
        String kind = Files.isSymbolicLink(p) ? "link"
            : Files.isDirectory(p, NOFOLLOW_LINKS) ? "dir"
            : Files.exists(p, NOFOLLOW_LINKS) ? "file" : "missing";
        seen.add(prefix + ": " + kind);
      }
    }
    return String.join(", ", seen);
  }

  private static String compareTrees(Path expected, Path actual, String when) {
    return compareTrees(expected, actual, when, hostXattrs, UnaryOperator.identity());
  }

  /** As above, each path's line read through {@code normalize} first. */
  static String compareTrees(Path expected, Path actual, String when, boolean xattrs,
      UnaryOperator<String> normalize) {
    List<String> diff;
    try {
      Map<String, String> expectedTree = TreeSnapshot.of(expected, xattrs);
      Map<String, String> actualTree = TreeSnapshot.of(actual, xattrs);
      expectedTree.replaceAll((path, line) -> normalize.apply(line));
      actualTree.replaceAll((path, line) -> normalize.apply(line));
      diff = TreeSnapshot.diff(expectedTree, actualTree);
    } catch (IOException | RuntimeException e) {
      return when + ", reading the trees failed: " + e;
    }
    return diff.isEmpty() ? null
        : when + ", " + diff.size() + " path(s) differ:\n  " + String.join("\n  ", diff);
  }

  /** A fresh host copy of the fixture tree, owners, modes, mtimes and hard links kept. */
  private static Path copyOfFixture() throws IOException, InterruptedException {
    Path copy = Files.createTempDirectory(work, "host-");
    Files.delete(copy);
    Process cp = new ProcessBuilder("cp", "-a", master.toString(), copy.toString())
        .redirectErrorStream(true).start();
    String out = new String(cp.getInputStream().readAllBytes());
    if (cp.waitFor() != 0) {
      throw new IOException("cp -a failed: " + out);
    }
    return copy;
  }

  static boolean hostStoresUserXattrs(Path dir) throws IOException {
    Path probe = Files.createTempFile(dir, "xattr-probe", "");
    try {
      UserDefinedFileAttributeView view =
          Files.getFileAttributeView(probe, UserDefinedFileAttributeView.class);
      if (view == null) {
        return false;
      }
      view.write("probe", ByteBuffer.wrap(new byte[] {1}));
      return view.list().contains("probe");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    } finally {
      Files.delete(probe);
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
