package io.layerfs.bench;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Delete and rename of a lower directory tree of {@value #ENTRIES} entries (issue 5: "delete
 * and rename of lower directories"), against the same on a host directory holding the same tree.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar LowerDirBenchmark
 * java -jar bench/target/benchmarks.jar LowerDirBenchmark.renameDir -p impl=layerfs
 * bench/run.sh LowerDirBenchmark -i 5     # also writes bench/results/latest.md
 * </pre>
 *
 * <ul>
 *   <li>{@code deleteTree}: {@code Files.walk} of {@code /data/tree} and {@code Files.delete} of
 *       every entry in reverse order (children before their directory). layerfs records a
 *       whiteout per lower entry; the host file system unlinks each.
 *   <li>{@code renameDir}: one {@code Files.move} of {@code /data/tree} to {@code /data/moved}.
 *       layerfs copies nothing: it records a redirect (the new name points at the lower
 *       directory) and a whiteout of the old name; the host file system renames in place.
 * </ul>
 *
 * <p>Single-shot: each invocation gets a fresh tree, prepared in {@code @Setup(Level.Invocation)}
 * outside the measured time: for layerfs a fresh writable container ({@link Containers}), so
 * the whole tree is still lower; for default a fresh copy of the cached host tree, removed after
 * the invocation. After each invocation (not timed) the teardown checks the result (the old
 * name is gone; after a rename a file of the tree is found under the new name), so a broken
 * operation fails the run instead of timing nothing; for layerfs it also measures the
 * container's upper directory ({@link UpperUsage}) and records the largest of the trial through
 * {@link Figures} ({@code data bytes}, target 0: neither operation copies data).
 *
 * <p>The tree: {@code /data/tree} holding {@value #DIRS} directories of {@value #PER_DIR}
 * files of 64 bytes ({@value #ENTRIES} entries with the directories and the root of the tree),
 * in one uncompressed layer; the image and the host tree are cached under the benchmark
 * directory as {@code lowerdir-v1}.
 *
 * <p>Not final and public because JMH subclasses benchmark classes.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@State(Scope.Benchmark)
public class LowerDirBenchmark {
  static final int DIRS = 10;
  static final int PER_DIR = 99;
  static final int ENTRIES = 1 + DIRS + DIRS * PER_DIR;
  private static final String TAG = "lowerdir";
  private static final int VERSION = 1;
  private static final int FILE_BYTES = 64;
  private static final String TREE = "data/tree";
  private static final String MOVED = "data/moved";
  /** A file of the tree, relative to the tree's root, checked after a rename. */
  private static final String PROBE = String.format(Locale.ROOT, "d%02d/f%02d", DIRS - 1,
      PER_DIR - 1);

  /** The competitor: layerfs or default (the others have no lower directories). */
  @Param({"layerfs", "default"})
  public String impl;

  private boolean layerfs;
  private Path store;
  private Path hostTree;
  private Path work;
  private int invocation;
  private Path copy;
  private String container;
  private FileSystem fs;
  private Path root;
  private boolean renamed;
  private UpperUsage most = new UpperUsage(0, 0, 0, 0);
  private String label;

  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) throws IOException {
    layerfs = switch (Impl.of(impl)) {
      case LAYERFS -> true;
      case DEFAULT -> false;
      default -> throw new IllegalArgumentException(
          "LowerDirBenchmark knows impl layerfs and default, not " + impl);
    };
    String benchmark = params.getBenchmark();
    label = "LowerDirBenchmark" + benchmark.substring(benchmark.lastIndexOf('.'));
    Path base = Fixture.baseDir();
    Path cache = base.resolve(String.format(Locale.ROOT, "lowerdir-v%d", VERSION));
    Files.createDirectories(cache);
    store = Fixture.once(cache.resolve("store"), LowerDirBenchmark::writeImage);
    hostTree = Fixture.once(cache.resolve("tree"), LowerDirBenchmark::writeTree);
    Containers.removeStale(store, "bench-lowerdir");
    work = cache.resolve("work-" + ProcessHandle.current().pid());
    Trees.deleteRecursively(work);
    Files.createDirectories(work);
  }

  @Setup(Level.Invocation)
  public void open() throws IOException {
    renamed = false;
    if (layerfs) {
      container = Containers.newName("bench-lowerdir");
      fs = Containers.open(store, TAG, container);
      root = fs.getPath("/");
    } else {
      copy = work.resolve(Integer.toString(invocation++));
      copyTree(hostTree, copy);
      root = copy;
    }
  }

  @TearDown(Level.Invocation)
  public void close() throws IOException {
    try {
      if (Files.exists(root.resolve(TREE))) {
        throw new IllegalStateException(label + ": /" + TREE + " still exists (" + impl + ")");
      }
      if (renamed && !Files.isRegularFile(root.resolve(MOVED).resolve(PROBE))) {
        throw new IllegalStateException(label + ": /" + MOVED + "/" + PROBE + " missing after"
            + " the rename (" + impl + ")");
      }
      if (layerfs) {
        UpperUsage u = UpperUsage.of(store, container);
        most = new UpperUsage(Math.max(most.dataFiles(), u.dataFiles()),
            Math.max(most.dataBytes(), u.dataBytes()),
            Math.max(most.dataAllocated(), u.dataAllocated()),
            Math.max(most.metaBytes(), u.metaBytes()));
      }
    } finally {
      if (layerfs) {
        Containers.remove(fs, store, container);
        fs = null;
      } else {
        Trees.deleteRecursively(copy);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    Trees.deleteRecursively(work);
    if (layerfs) {
      Figures.record(label + " data bytes", most.dataBytes(), "B");
      Figures.record(label + " metadata bytes", most.metaBytes(), "B");
    }
  }

  /**
   * Deletes the lower tree, children first:
   * {@code java -jar bench/target/benchmarks.jar LowerDirBenchmark.deleteTree}.
   */
  @Benchmark
  public int deleteTree() throws IOException {
    List<Path> all;
    try (Stream<Path> walk = Files.walk(root.resolve(TREE))) {
      all = walk.collect(Collectors.toList());
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      Files.delete(all.get(i));
    }
    return all.size();
  }

  /**
   * Renames the lower tree's root directory:
   * {@code java -jar bench/target/benchmarks.jar LowerDirBenchmark.renameDir}.
   */
  @Benchmark
  public Path renameDir() throws IOException {
    renamed = true;
    return Files.move(root.resolve(TREE), root.resolve(MOVED));
  }

  private static String dir(int d) {
    return String.format(Locale.ROOT, "%s/d%02d", TREE, d);
  }

  private static String file(int d, int f) {
    return String.format(Locale.ROOT, "%s/d%02d/f%02d", TREE, d, f);
  }

  private static byte[] content(int d, int f) {
    byte[] b = new byte[FILE_BYTES];
    for (int j = 0; j < b.length; j++) {
      b[j] = (byte) ('a' + (d + f + j) % 26);
    }
    return b;
  }

  private static void writeImage(Path layout) throws IOException {
    ImageBuilder builder = ImageBuilder.create(layout)
        .layer(LayerCompression.NONE)
        .dir("/data")
        .dir("/" + TREE);
    for (int d = 0; d < DIRS; d++) {
      builder.dir("/" + dir(d));
      for (int f = 0; f < PER_DIR; f++) {
        builder.file("/" + file(d, f), content(d, f));
      }
    }
    builder.build(TAG);
  }

  private static void writeTree(Path target) throws IOException {
    for (int d = 0; d < DIRS; d++) {
      Files.createDirectories(target.resolve(dir(d)));
      for (int f = 0; f < PER_DIR; f++) {
        Files.write(target.resolve(file(d, f)), content(d, f));
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(from, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
          throws IOException {
        Files.createDirectories(to.resolve(from.relativize(dir).toString()));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.copy(file, to.resolve(from.relativize(file).toString()));
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
