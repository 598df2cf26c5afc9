package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.layerfs.core.CommitOptions;
import io.layerfs.provider.LayerFileSystems;
import io.layerfs.provider.contract.ContainerDifferentialTest.Commit;
import io.layerfs.provider.contract.ContainerOps.ChannelWrite;
import io.layerfs.provider.contract.ContainerOps.Data;
import io.layerfs.provider.contract.ContainerOps.HardLink;
import io.layerfs.provider.contract.ContainerOps.Move;
import io.layerfs.provider.contract.ContainerOps.Op;
import io.layerfs.provider.contract.ContainerOps.ReadAll;
import io.layerfs.provider.contract.ContainerOps.Stat;
import io.layerfs.testing.LayerCompression;
import io.layerfs.testing.Props;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The differential programs of {@link ContainerDifferentialTest} against the kernel's own
 * overlayfs, the file system Docker's overlay2 driver mounts: each part of a program runs in an
 * overlay mount and, side by side, in a layerfs container, the first over the fixture tree and
 * its image, each later one over a copy ({@code cp -a}) of the last mount's tree and the image
 * the last container committed. So what the host alone cannot say is checked against Linux: a
 * hard link of the image breaks on copy-up, its other name still counting both links. The last
 * image, four layers layerfs committed over the fixture's, must unpack with {@code umoci unpack}
 * to the same tree.
 *
 * <p>Mounted as Docker mounts it ({@code index=off}, {@code metacopy=off}) but with {@code
 * redirect_dir=on}, as layerfs renames a lower directory where overlay2 without it answers
 * EXDEV. A merged directory's link count is left out: overlayfs reports 1 for it (so that find(1)
 * does not count on it), layerfs a directory's count on Linux's disk file systems. The layers
 * are not stacked as overlay2 stacks them, each its own lower directory: where a later layer
 * replaces one name of an earlier layer's hard link, overlay2 still counts the replaced name,
 * while layerfs counts the names left, as the unpacked image ({@code umoci unpack}, {@code
 * docker export}) does.
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
    // -Dlayerfs.fuzz.tries=N for a longer run, with a fresh seed
    Integer longer = Integer.getInteger("layerfs.fuzz.tries");
    Props p = longer != null ? Props.tries(longer) : Props.tries(30).seed(20261206);
    p.qt()
        .withShrinkCycles(10)
        .forAll(ContainerDifferentialTest.programs(p, xattrs, IMAGE_HARD_LINK)
            .map(program -> ContainerDifferentialTest.cutByCommits(program, true)))
        .checkAssert(Props.io(program -> ContainerDifferentialTest.check(program,
            "aChainOfContainersAgreesWithTheKernelsOverlay", KernelOverlayIT::runChain)));
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

  /** A directory's link count out of a stat's or a tree's line (see the class comment). */
  private static final UnaryOperator<String> NO_DIRECTORY_LINK_COUNT =
      line -> line.replaceFirst("^((?:ok )?dir mode=\\d+ uid=\\d+ gid=\\d+) nlink=\\d+", "$1");

  private static String runChain(List<Op> program, Map<String, Integer> steps) throws Exception {
    Path chain = Files.createDirectories(work.resolve("chain-" + CHAINS.incrementAndGet()));
    Path lower = master;
    String image = FixtureImages.TAG;
    try {
      int start = 0;
      for (int part = 0; start <= program.size(); part++) {
        int end = start;
        while (end < program.size() && !(program.get(end) instanceof Commit)) {
          end++;
        }
        Path dir = Files.createDirectories(chain.resolve("part-" + part));
        Path merged = mount(dir, lower);
        String name = chain.getFileName() + "-" + part;
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
            Map.of("store", store, "image", image))) {
          Path root = fs.getPath("/");
          String failure = compare(merged, root, "in a new container");
          if (failure == null) {
            failure = ContainerDifferentialTest.runSideBySide(program.subList(start, end),
                merged, root, "layerfs", steps, NO_DIRECTORY_LINK_COUNT);
          }
          if (failure == null) {
            failure = compare(merged, root, "after a part of the program");
          }
          if (failure != null) {
            return failure + "\n(in container " + (part + 1) + " of the chain)";
          }
          image = name + "-committed";
          LayerFileSystems.commit(fs, image, CommitOptions.defaults());
          lower = dir.resolve("image");
          run("cp", "-a", merged.toString(), lower.toString());
        } finally {
          umount(merged);
        }
        start = end + 1;
      }
      try (FileSystem view = FileSystems.newFileSystem(
          URI.create("layerfs://" + chain.getFileName() + "-view"),
          Map.of("store", store, "image", image, "readOnly", true))) {
        String failure =
            compare(lower, view.getPath("/"), "in the image the last container committed");
        if (failure != null) {
          return failure;
        }
      }
      // and as another tool reads the layers the chain committed
      Path bundle = chain.resolve("bundle");
      run("umoci", "unpack", "--image", store + ":" + image, bundle.toString());
      return ContainerDifferentialTest.compareTrees(lower, bundle.resolve("rootfs"),
          "in umoci unpack of the last image", xattrs, KernelOverlayIT::withoutEmptyXattrs);
    } finally {
      ContainerDifferentialTest.deleteTree(chain);
    }
  }

  /**
   * A tree's line without its empty {@code user.} attributes: a layer keeps them (a PAX record
   * with an empty value), but Go's tar reader, umoci's as Docker's, skips such records.
   */
  private static String withoutEmptyXattrs(String line) {
    int at = line.indexOf(" xattrs=[");
    if (at < 0) {
      return line;
    }
    List<String> kept = Arrays.stream(line.substring(at + 9, line.length() - 1).split(", "))
        .filter(x -> !x.endsWith("=0:")).toList();
    return line.substring(0, at) + (kept.isEmpty() ? "" : " xattrs=" + kept);
  }

  private static String compare(Path overlay, Path layerfs, String when) {
    return ContainerDifferentialTest.compareTrees(overlay, layerfs, when, xattrs,
        NO_DIRECTORY_LINK_COUNT);
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

  private static void umount(Path merged) throws IOException, InterruptedException {
    run("umount", merged.toString());
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.waitFor(), () -> String.join(" ", command) + " failed (this test"
        + " needs root, umoci and a kernel with overlayfs, as Docker's overlay2 does): " + out);
  }
}
