package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.layerfs.core.CommitOptions;
import io.layerfs.provider.LayerFileSystems;
import io.layerfs.provider.contract.ContainerDifferentialTest.Commit;
import io.layerfs.provider.contract.ContainerOps.ChannelWrite;
import io.layerfs.provider.contract.ContainerOps.Chmod;
import io.layerfs.provider.contract.ContainerOps.Chown;
import io.layerfs.provider.contract.ContainerOps.Data;
import io.layerfs.provider.contract.ContainerOps.HardLink;
import io.layerfs.provider.contract.ContainerOps.KeyAcross;
import io.layerfs.provider.contract.ContainerOps.Move;
import io.layerfs.provider.contract.ContainerOps.OnPath;
import io.layerfs.provider.contract.ContainerOps.Op;
import io.layerfs.provider.contract.ContainerOps.ReadAll;
import io.layerfs.provider.contract.ContainerOps.Stat;
import io.layerfs.provider.contract.ContainerOps.Touch;
import io.layerfs.provider.contract.ContainerOps.Truncate;
import io.layerfs.provider.contract.ContainerOps.Write;
import io.layerfs.provider.contract.ContainerOps.Xattr;
import io.layerfs.testing.LayerCompression;
import io.layerfs.testing.Props;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The differential programs of {@link ContainerDifferentialTest} against the kernel's own
 * overlayfs, the file system Docker's overlay2 driver mounts. A program is cut into four parts;
 * each runs in an overlay mount and, side by side, in a layerfs container, the first over the
 * fixture tree and its image, each later one over {@code umoci unpack} of the image the last
 * part's container committed and that image. So what the host alone cannot say is checked
 * against Linux: a hard link of the image breaks on copy-up, its other name still counting
 * both links. Each committed image must read in layerfs as umoci unpacks it, exactly, and as
 * the kernel showed the container, but for link counts: a layer cannot link into a lower one,
 * so a file of a lower layer with another name in the new one (written there as a copy) counts
 * fewer links in the image than it did in the container, in umoci's tree as in layerfs's. Each
 * change of a file in place also says whether the file kept its key ({@code st_ino}), which
 * overlayfs keeps across a copy-up unless the lower tree links the file under another name.
 *
 * <p>{@link #aChainOfContainersWithMountsAgreesWithTheKernel} adds bind mounts (of directories
 * and of a file), a named volume and a tmpfs, the kernel's own inside the overlay, so that what
 * crosses a mount or meets a mount point is Linux's answer too, but for the moves layerfs
 * refuses by design (README).
 *
 * <p>Mounted as Docker mounts it ({@code index=off}, {@code metacopy=off}) but with {@code
 * redirect_dir=on}, as layerfs renames a lower directory where overlay2 without it answers
 * EXDEV. A merged directory's link count is left out: overlayfs reports 1 for it (so that find(1)
 * does not count on it), layerfs a directory's count on Linux's disk file systems.
 */
final class KernelOverlayIT {
  private static final AtomicInteger CHAINS = new AtomicInteger();
  private static Path work;
  private static Path master;
  private static Path store;
  private static boolean xattrs;

  @BeforeAll
  static void setUp() throws Exception {
    work = Files.createTempDirectory("layerfs-overlay");
    master = work.resolve("fixture");
    Fixture.materialize(master);
    store = work.resolve("store");
    // no zstd, which the umoci of Debian 12 cannot read
    FixtureImages.build(store, LayerCompression.GZIP, LayerCompression.NONE);
    run("umoci", "--version");
    // fails, saying why, where the kernel or the user cannot mount an overlay
    Path probe = Files.createDirectories(work.resolve("probe"));
    mount(probe, master);
    xattrs = ContainerDifferentialTest.hostStoresUserXattrs(probe.resolve("merged"));
    umount(probe.resolve("merged"));
  }

  @AfterAll
  static void tearDown() throws IOException {
    if (work != null) {
      ContainerDifferentialTest.deleteTree(work);
    }
  }

  @Test
  void aChainOfContainersAgreesWithTheKernelsOverlay() {
    Props p = props(30, 20261206);
    p.qt()
        .withShrinkCycles(10)
        .forAll(ContainerDifferentialTest.programs(p, xattrs, IMAGE_HARD_LINK)
            .map(KernelOverlayIT::noMapOfAHeldChannel)
            .map(program -> ContainerDifferentialTest.cutByCommits(program, true))
            .map(KernelOverlayIT::noEmptyXattrValues)
            .map(KernelOverlayIT::withKeys))
        .checkAssert(Props.io(program -> ContainerDifferentialTest.check(program,
            "aChainOfContainersAgreesWithTheKernelsOverlay", KernelOverlayIT::runChain)));
  }

  /**
   * The same with mounts, as {@code docker run --mount} gives them: a bind mount at {@code
   * data/nested}, a named volume at {@code opaque}, a tmpfs at {@code tmp}, a read-only bind
   * mount at {@code usr/bin} and a bind mount of a file at {@code etc/os-release}; on the kernel's
   * side each is a Linux mount inside the overlay ({@code mount --bind} of host copies, a {@code
   * tmpfs}, a bind remounted read-only). The programs' paths cross them, so moves, links,
   * deletes and copies between two mounts, onto a mount point or into one, meet the kernel's own
   * answers. The bind sources and the volume live on through the chain, as on a host; the tmpfs
   * starts empty in each container. After each part the host directories must equal the
   * kernel's, and the committed image must hold none of what went into the mounts.
   */
  @Test
  void aChainOfContainersWithMountsAgreesWithTheKernel() {
    Props p = props(20, 20261207);
    p.qt()
        .withShrinkCycles(10)
        .forAll(ContainerDifferentialTest.programs(p, xattrs, IMAGE_HARD_LINK)
            .map(ContainerDifferentialTest::withoutWhatATmpfsLacks)
            .map(KernelOverlayIT::noMapOfAHeldChannel)
            .map(KernelOverlayIT::noMoveOfAMount)
            .map(program -> ContainerDifferentialTest.cutByCommits(program, true))
            .map(KernelOverlayIT::noEmptyXattrValues)
            .map(KernelOverlayIT::withKeys))
        .checkAssert(Props.io(program -> ContainerDifferentialTest.check(program,
            "aChainOfContainersWithMountsAgreesWithTheKernel",
            (chain, steps) -> runChain(chain, steps, true))));
  }

  /** {@code tries} programs of {@code seed}; {@code -Dlayerfs.fuzz.tries=N}: N, a fresh seed. */
  private static Props props(int tries, long seed) {
    Integer longer = Integer.getInteger("layerfs.fuzz.tries");
    return longer != null ? Props.tries(longer) : Props.tries(tries).seed(seed);
  }

  /**
   * {@code program} without mappings of held channels: overlayfs maps the lower file for a
   * descriptor opened before a copy-up (the kernel's documentation, overlayfs "non-standard
   * behavior"), bytes the file no longer has under a size it reports from the copy, so a read
   * of the mapping faults; layerfs maps the copy, as the host's file system would (README).
   */
  private static List<Op> noMapOfAHeldChannel(List<Op> program) {
    return program.stream()
        .filter(op -> !(op instanceof HeldChannelOps.FileChannelCall call
            && call.call().equals("map")))
        .toList();
  }

  /**
   * {@code program} with each move checked by {@link MoveUnlessOfAMount}: moves layerfs refuses
   * by design where Linux goes ahead (README, limits). Linux renames a directory with a mount
   * point below it within one mount, and the mount along; layerfs's mounts are fixed at their
   * targets. The JDK's replacing move unlinks the target before it finds a mount point busy
   * (rename(2)) or, across two mounts, a source directory not empty or a source in a read-only
   * mount (it copies, cannot unlink the source, and unlinks the copy); layerfs refuses before it
   * unlinks anything.
   */
  private static List<Op> noMoveOfAMount(List<Op> program) {
    return program.stream()
        .map(op -> op instanceof Move m ? new MoveUnlessOfAMount(m) : op)
        .toList();
  }

  /** {@link Move}, skipped on both sides where layerfs refuses it by design (see above). */
  private record MoveUnlessOfAMount(Move move) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      String source = real(root, move.source());
      String target = real(root, move.target());
      if (source == null || target == null) {
        return move.apply(root);
      }
      boolean across = !renamedIn(source).equals(renamedIn(target));
      if (source.isEmpty() || !across && MOUNT_TARGETS.stream()
          .anyMatch(mount -> mount.startsWith(source + "/"))) {
        return "skipped: a rename of a directory holding a mount point";
      }
      if (move.options().contains(StandardCopyOption.REPLACE_EXISTING)
          && !move.options().contains(StandardCopyOption.ATOMIC_MOVE)
          && Files.exists(root.resolve(move.target()), LinkOption.NOFOLLOW_LINKS)) {
        if (MOUNT_TARGETS.contains(source)) {
          return "skipped: a replacing move of a mount point";
        }
        if (across && renamedIn(source).equals(READ_ONLY_TARGET)) {
          return "skipped: a replacing move out of a read-only mount";
        }
        Path from = root.resolve(move.source());
        if (across && Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS)) {
          try (Stream<Path> children = Files.list(from)) {
            if (children.findAny().isPresent()) {
              return "skipped: a replacing move of a full directory across mounts";
            }
          }
        }
      }
      return move.apply(root);
    }

    /** {@code path} relative to {@code root}, its directory's links resolved; null if none. */
    private static String real(Path root, String path) throws IOException {
      Path p = root.resolve(path);
      Path parent = p.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        return null;
      }
      return root.toRealPath().relativize(parent.toRealPath().resolve(p.getFileName().toString()))
          .toString();
    }

    /**
     * The mount target whose file system rename(2) finds {@code real}'s name in: its parent
     * directory's, or the empty string for the container's own.
     */
    private static String renamedIn(String real) {
      String parent = real.contains("/") ? real.substring(0, real.lastIndexOf('/')) : "";
      return MOUNT_TARGETS.stream()
          .filter(t -> parent.equals(t) || parent.startsWith(t + "/"))
          .findFirst().orElse("");
    }

    @Override
    public List<ContainerOps.Arg> args() {
      return move.args();
    }

    @Override
    public String toString() {
      return move.toString();
    }
  }

  /** Where {@link #aChainOfContainersWithMountsAgreesWithTheKernel} mounts what. */
  private static final String BIND_TARGET = "data/nested";
  private static final String VOLUME_TARGET = "opaque";
  private static final String TMPFS_TARGET = "tmp";
  private static final String READ_ONLY_TARGET = "usr/bin";
  private static final String FILE_TARGET = "etc/os-release";
  private static final List<String> MOUNT_TARGETS =
      List.of(BIND_TARGET, VOLUME_TARGET, TMPFS_TARGET, READ_ONLY_TARGET, FILE_TARGET);

  /**
   * {@code program} with each empty {@code user.} attribute value one byte long: a layer keeps
   * an empty one (a PAX record with an empty value), but Go's tar reader, umoci's as Docker's,
   * skips such a record (README's limits).
   */
  private static List<Op> noEmptyXattrValues(List<Op> program) {
    return program.stream().map(op -> op instanceof Xattr x && x.dataOrNull() != null
        && x.dataOrNull().size() == 0 ? new Xattr(x.path(), x.name(), new Data(1, 0)) : op)
        .toList();
  }

  /**
   * {@code program} with each change of a file in place (a write, a truncation, a mode, times, an
   * owner, an attribute) wrapped in {@link KeyAcross}: the file keeps its key through it, but
   * for the copy-up of one name of a hard link of the lower tree.
   */
  private static List<Op> withKeys(List<Op> program) {
    return program.stream()
        .map(op -> op instanceof Write || op instanceof ChannelWrite || op instanceof Truncate
            || op instanceof Chmod || op instanceof Touch || op instanceof Chown
            || op instanceof Xattr
            ? new KeyAcross(((OnPath) op).path(), op, ((OnPath) op).path(), true) : op)
        .toList();
  }

  /**
   * A file whose two names are an image's hard link: not among the paths the differential
   * programs name against the host, whose copy keeps them one file when written.
   */
  private static final List<String> IMAGE_HARD_LINK = List.of("data/100000.bin",
      "data/100000.hard");

  /**
   * The case the host is no oracle for: a hard link committed into the image, one name written in
   * the next container. Copied up alone, that name is a file of its own; the other keeps the
   * image's bytes and, as overlay2 shows it, its count of two links.
   */
  @Test
  void aWriteToOneNameOfAnImageHardLinkCopiesItUpAlone() throws Exception {
    List<Op> program = List.of(
        new HardLink("data/x", "data/one"),
        new Commit(),
        new ChannelWrite("data/one", false, List.of(StandardOpenOption.WRITE), 0,
            new Data(7, 1)),
        new Stat("data/x", true),
        new Stat("data/one", true),
        new ReadAll("data/x"));
    Map<String, Integer> steps = new TreeMap<>();
    assertNull(runChain(program, steps));
    assertEquals(Map.of("ok", 5), steps, "every step ran, and succeeded on the kernel's overlay");
  }

  /**
   * Channels reading the two names of an image's hard link while one name is written: the
   * written name's channel reads the copy-up, the other's the image's bytes, as overlayfs gives
   * each name an inode of its own.
   */
  @Test
  void aChannelOfAnImageHardLinkReadsItsOwnNamesCopyUp() throws Exception {
    List<Op> program = List.of(
        new HardLink("data/x", "data/one"),
        new Commit(),
        new HeldChannelOps.Open(0, "data/x", HeldChannelOps.Kind.BYTE_CHANNEL,
            List.of(StandardOpenOption.READ)),
        new HeldChannelOps.Open(1, "data/one", HeldChannelOps.Kind.FILE_CHANNEL,
            List.of(StandardOpenOption.READ)),
        new ChannelWrite("data/one", false, List.of(StandardOpenOption.WRITE), 0,
            new Data(7, 1)),
        new HeldChannelOps.Read(0, 0, 100),
        new HeldChannelOps.Read(1, 0, 100),
        new HeldChannelOps.Close(0),
        new HeldChannelOps.Close(1));
    Map<String, Integer> steps = new TreeMap<>();
    assertNull(runChain(program, steps));
    assertEquals(Map.of("ok", 8), steps, "every step ran, and succeeded on the kernel's overlay");
  }

  /**
   * Two names of an image's hard link: one file to the JDK's move, which checks {@code
   * isSameFile} first, two to rename(2) (an atomic move) on overlayfs, where each name has an
   * inode of its own: the source's copy-up replaces the target.
   */
  @Test
  void anAtomicMoveOntoAnotherNameOfAnImageHardLinkReplacesIt() throws Exception {
    String hard = "data/100000.hard";
    String bin = "data/100000.bin";
    List<Op> program = List.of(
        new Move(hard, bin, List.of(StandardCopyOption.REPLACE_EXISTING)),
        new Stat(hard, false),
        new Move(hard, bin, List.of(StandardCopyOption.ATOMIC_MOVE)),
        new Stat(bin, false),
        new ReadAll(bin));
    Map<String, Integer> steps = new TreeMap<>();
    assertNull(runChain(program, steps));
    assertEquals(Map.of("ok", 5), steps, "every step ran, and succeeded on the kernel's overlay");
  }

  /**
   * A file keeps its key ({@code st_ino}) across its copy-up, by a write, a change of metadata
   * or a rename of it or of a directory above it, as overlayfs keeps the inode of an image file
   * whose only name it is; the two names of an image's hard link part at a copy-up, so the name
   * copied up gets a key of its own. A file of a committed image is such a file too.
   */
  @Test
  void aFileKeepsItsKeyAcrossItsCopyUpUnlessTheImageLinksIt() throws Exception {
    List<OpenOption> write = List.of(StandardOpenOption.WRITE);
    String deep = "data/nested/a/b/deep.txt";
    String moved = "data/moved/a/b/deep.txt";
    List<Op> program = List.of(
        new KeyAcross("data/4095.bin", new ChannelWrite("data/4095.bin", false, write, 0,
            new Data(7, 1)), "data/4095.bin", false),
        new KeyAcross("data/100000.bin", new ChannelWrite("data/100000.bin", true, write, 0,
            new Data(7, 2)), "data/100000.bin", false),
        new KeyAcross(deep, new Move("data/nested", "data/moved", List.of()), moved, false),
        new KeyAcross(moved, new Chmod(moved, 0640), moved, false),
        new KeyAcross("data/moved", new Chmod("data/moved", 0700), "data/moved", false),
        new KeyAcross("usr/bin/tool", new Move("usr/bin/tool", "usr/tool", List.of()), "usr/tool",
            false),
        new KeyAcross("etc/os-release", new Touch("etc/os-release", 1_000_000), "etc/os-release",
            false),
        new KeyAcross("data/one", new HardLink("data/x", "data/one"), "data/x", false),
        new Commit(),
        new KeyAcross("data/4096.bin", new Truncate("data/4096.bin", 10), "data/4096.bin", false),
        new KeyAcross("data/one", new Truncate("data/one", 0), "data/one", false),
        new KeyAcross("usr/tool", new Chmod("usr/tool", 0700), "usr/tool", false));
    Map<String, Integer> steps = new TreeMap<>();
    assertNull(runChain(program, steps));
    assertEquals(Map.of("ok", 11), steps, "every step ran, and succeeded on the kernel's overlay");
  }

  /** A directory's link count out of a stat's or a tree's line (see the class comment). */
  private static final UnaryOperator<String> NO_DIRECTORY_LINK_COUNT =
      line -> line.replaceFirst("^((?:ok )?dir mode=\\d+ uid=\\d+ gid=\\d+) nlink=\\d+", "$1");

  /** The link count out of a tree's line. */
  private static final UnaryOperator<String> NO_LINK_COUNT =
      line -> line.replaceFirst("^(\\S+ mode=\\d+ uid=\\d+ gid=\\d+) nlink=\\d+", "$1");

  private static String runChain(List<Op> program, Map<String, Integer> steps) throws Exception {
    return runChain(program, steps, false);
  }

  private static String runChain(List<Op> program, Map<String, Integer> steps,
      boolean withMounts) throws Exception {
    Path chain = Files.createDirectories(work.resolve("chain-" + CHAINS.incrementAndGet()));
    Path lower = master;
    String image = FixtureImages.TAG;
    try {
      Mounts mounts = withMounts ? Mounts.of(chain) : null;
      List<List<Op>> parts = ContainerDifferentialTest.parts(program);
      for (int part = 0; part < parts.size(); part++) {
        Path dir = Files.createDirectories(chain.resolve("part-" + part));
        String name = chain.getFileName() + "-" + part;
        String failure = runPart(parts.get(part), steps, dir, lower, image, name, mounts);
        if (failure != null) {
          return failure + "\n(in container " + (part + 1) + " of the chain)";
        }
        image = name + "-committed";
        lower = dir.resolve("bundle/rootfs");
      }
      return null;
    } finally {
      ContainerDifferentialTest.deleteTree(chain);
    }
  }

  /**
   * The host directories of a chain's mounts: a bind source and a volume name for layerfs, and
   * for the kernel two more host directories it bind-mounts, each a copy of what the fixture
   * has at the target (as a new volume is filled).
   */
  private record Mounts(Path bind, String volume, Path kernelBind, Path kernelVolume,
      Path readOnly, Path file, Path kernelFile) {
    static Mounts of(Path chain) throws IOException, InterruptedException {
      Path bind = copy(master.resolve(BIND_TARGET), chain.resolve("bind"));
      Path kernelBind = copy(master.resolve(BIND_TARGET), chain.resolve("kernel-bind"));
      Path kernelVolume = copy(master.resolve(VOLUME_TARGET), chain.resolve("kernel-volume"));
      Path readOnly = copy(master.resolve(READ_ONLY_TARGET), chain.resolve("read-only"));
      // a file's bind mount, its source alone in a directory of its own
      Path file = copy(master.resolve(FILE_TARGET),
          Files.createDirectory(chain.resolve("file")).resolve("os-release"));
      Path kernelFile = copy(master.resolve(FILE_TARGET),
          Files.createDirectory(chain.resolve("kernel-file")).resolve("os-release"));
      return new Mounts(bind, chain.getFileName() + "-volume", kernelBind, kernelVolume,
          readOnly, file, kernelFile);
    }

    List<String> specs() {
      return List.of("type=bind,source=" + bind + ",target=/" + BIND_TARGET,
          "type=volume,source=" + volume + ",target=/" + VOLUME_TARGET,
          "type=tmpfs,target=/" + TMPFS_TARGET,
          "type=bind,source=" + readOnly + ",target=/" + READ_ONLY_TARGET + ",readonly",
          "type=bind,source=" + file + ",target=/" + FILE_TARGET);
    }

    Path volumeData() {
      return store.resolve("layerfs/volumes/" + volume + "/_data");
    }

    /**
     * Mounts the five into {@code merged}, an overlay of {@code lower}; returns the mount
     * points. An empty volume is filled first with what {@code lower} has at its target, as
     * Docker fills one for each container it creates (and layerfs at each open).
     */
    List<Path> mountInto(Path merged, Path lower) throws IOException, InterruptedException {
      try (Stream<Path> children = Files.list(kernelVolume)) {
        if (children.findAny().isEmpty()) {
          run("cp", "-a", lower.resolve(VOLUME_TARGET) + "/.", kernelVolume.toString());
        }
      }
      run("mount", "--bind", kernelBind.toString(), merged.resolve(BIND_TARGET).toString());
      run("mount", "--bind", kernelVolume.toString(),
          merged.resolve(VOLUME_TARGET).toString());
      run("mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs",
          merged.resolve(TMPFS_TARGET).toString());
      String readOnlyPoint = merged.resolve(READ_ONLY_TARGET).toString();
      run("mount", "--bind", readOnly.toString(), readOnlyPoint);
      run("mount", "-o", "remount,bind,ro", readOnlyPoint);
      run("mount", "--bind", kernelFile.toString(), merged.resolve(FILE_TARGET).toString());
      return MOUNT_TARGETS.stream().map(merged::resolve).toList();
    }

    /** Null when each host directory equals the kernel's, else what differs first. */
    String compareHostDirectories() {
      String failure = compare(kernelBind, bind, "in the bind mount's source on the host",
          UnaryOperator.identity());
      if (failure == null) {
        failure = compare(kernelVolume, volumeData(), "in the volume's directory on the host",
            UnaryOperator.identity());
      }
      if (failure == null) {
        failure = compare(kernelFile.getParent(), file.getParent(),
            "in the directory of the file bind mount's source on the host",
            UnaryOperator.identity());
      }
      return failure != null ? failure : compare(master.resolve(READ_ONLY_TARGET), readOnly,
          "in the read-only bind mount's source on the host", UnaryOperator.identity());
    }

    private static Path copy(Path from, Path to) throws IOException, InterruptedException {
      run("cp", "-a", from.toString(), to.toString());
      return to;
    }
  }

  /**
   * One part of a program: on an overlay of {@code lower} and in a container {@code name} on
   * {@code image}, with {@code mounts} unless null, then committed as {@code NAME-committed} and
   * unpacked by umoci into {@code dir/bundle}; null when all agree, else what differs first.
   */
  private static String runPart(List<Op> part, Map<String, Integer> steps, Path dir, Path lower,
      String image, String name, Mounts mounts) throws Exception {
    Path merged = mount(dir, lower);
    List<Path> inner = new ArrayList<>();
    try {
      Map<String, Object> env = new HashMap<>(Map.of("store", store, "image", image));
      if (mounts != null) {
        inner.addAll(mounts.mountInto(merged, lower));
        env.put("mounts", mounts.specs());
      }
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name), env)) {
        Path root = fs.getPath("/");
        String failure = compare(merged, root, "in a new container", NO_DIRECTORY_LINK_COUNT);
        if (failure == null) {
          failure = ContainerDifferentialTest.runSideBySide(part, merged, root, "layerfs", steps,
              NO_DIRECTORY_LINK_COUNT);
        }
        if (failure == null) {
          failure = compare(merged, root, "after a part of the program", NO_DIRECTORY_LINK_COUNT);
        }
        if (failure != null) {
          return failure;
        }
        LayerFileSystems.commit(fs, name + "-committed", CommitOptions.defaults());
      }
      if (mounts != null) {
        String failure = mounts.compareHostDirectories();
        if (failure != null) {
          return failure;
        }
        umountAll(inner); // what the container's own layer holds, as a commit sees it
      }
      Path bundle = dir.resolve("bundle");
      run("umoci", "unpack", "--image", store + ":" + name + "-committed", bundle.toString());
      Path unpacked = bundle.resolve("rootfs");
      try (FileSystem view = FileSystems.newFileSystem(URI.create("layerfs://" + name + "-view"),
          Map.of("store", store, "image", name + "-committed", "readOnly", true))) {
        String failure = compare(unpacked, view.getPath("/"),
            "in the committed image, against umoci unpack of it", UnaryOperator.identity());
        if (failure != null) {
          return failure;
        }
      }
      // a layer cannot link into a lower one (see the class comment)
      return compare(merged, unpacked, "in umoci unpack of the committed image, against the"
          + " container's last tree", NO_LINK_COUNT);
    } finally {
      umountAll(inner);
      umount(merged);
    }
  }

  /** Unmounts {@code mountPoints}, last first, and forgets them. */
  private static void umountAll(List<Path> mountPoints) throws IOException, InterruptedException {
    for (int i = mountPoints.size() - 1; i >= 0; i--) {
      umount(mountPoints.remove(i));
    }
  }

  private static String compare(Path expected, Path actual, String when,
      UnaryOperator<String> normalize) {
    return ContainerDifferentialTest.compareTrees(expected, actual, when, xattrs, normalize);
  }

  /** Mounts an overlay of {@code lower} with a new upper directory at {@code dir/merged}. */
  private static Path mount(Path dir, Path lower) throws IOException, InterruptedException {
    Path merged = Files.createDirectories(dir.resolve("merged"));
    Path upper = Files.createDirectories(dir.resolve("upper"));
    // the mount's root is the upper directory itself: it starts as the lower tree's root
    Files.setAttribute(upper, "unix:uid", Files.getAttribute(lower, "unix:uid"));
    Files.setAttribute(upper, "unix:gid", Files.getAttribute(lower, "unix:gid"));
    Files.setAttribute(upper, "unix:mode", Files.getAttribute(lower, "unix:mode"));
    UserDefinedFileAttributeView from =
        Files.getFileAttributeView(lower, UserDefinedFileAttributeView.class);
    UserDefinedFileAttributeView to =
        Files.getFileAttributeView(upper, UserDefinedFileAttributeView.class);
    for (String name : from.list()) {
      ByteBuffer value = ByteBuffer.allocate(from.size(name));
      from.read(name, value);
      to.write(name, value.flip());
    }
    Path workDir = Files.createDirectories(dir.resolve("work"));
    run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + upper
        + ",workdir=" + workDir + ",redirect_dir=on,index=off,metacopy=off", merged.toString());
    return merged;
  }

  /** Detached at once: a mapping of one of its files, until collected, would keep it busy. */
  private static void umount(Path merged) throws IOException, InterruptedException {
    run("umount", "--lazy", merged.toString());
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.waitFor(), () -> String.join(" ", command) + " failed (this test"
        + " needs root, umoci and a kernel with overlayfs, as Docker's overlay2 does): " + out);
  }
}
