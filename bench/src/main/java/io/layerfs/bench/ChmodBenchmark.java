package io.layerfs.bench;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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

/**
 * {@code chmod} of many lower files in a fresh container (issue 3: no data copied, a metadata
 * copy-up only, as overlayfs' metacopy), against the same on a host directory holding the same
 * files.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar ChmodBenchmark
 * java -jar bench/target/benchmarks.jar ChmodBenchmark -p impl=layerfs -p files=10000
 * bench/run.sh ChmodBenchmark             # also writes bench/results/latest.md
 * bench/run.sh --smoke                    # files=1000
 * </pre>
 *
 * <p>One operation is {@code Files.setPosixFilePermissions} of every one of the {@code files}
 * files (64 bytes each, 100 per directory): single-shot, each invocation on a fresh container
 * for layerfs (created in setup, removed in teardown, outside the measured time), so every file
 * is still a lower one. The host directory toggles between two modes, so each invocation
 * changes every file there too. layerfs logs each change as one metadata record, forced to disk
 * before the call returns; the host file system forces nothing.
 *
 * <p>Bytes written: after each layerfs invocation, before the container is closed, the teardown
 * measures its data directory and its metadata ({@link UpperUsage}); {@link Figures} records the
 * largest of the trial: {@code data bytes} (logical size of the data files, the target: 0),
 * {@code data allocated} (their disk blocks), {@code data files} and {@code metadata bytes}
 * ({@code meta.log} and {@code meta.snap}, separate from the data). {@link RatioReport} shows
 * them with the targets.
 *
 * <p>The image and the host copy (cached under the benchmark directory, one per {@code files},
 * built once) have one uncompressed layer.
 *
 * <p>Not final and public because JMH subclasses benchmark classes.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@State(Scope.Benchmark)
public class ChmodBenchmark {
  private static final String TAG = "chmod";
  private static final int VERSION = 1;
  private static final int PER_DIR = 100;
  private static final int FILE_BYTES = 64;
  private static final Set<PosixFilePermission> MODE_A = PosixFilePermissions.fromString(
      "rw-------");
  private static final Set<PosixFilePermission> MODE_B = PosixFilePermissions.fromString(
      "rw-r-----");

  /** The competitor: layerfs or default (the others have no lower files to copy up). */
  @Param({"layerfs", "default"})
  public String impl;

  /** How many lower files to chmod ({@code --smoke} uses 1000). */
  @Param({"10000"})
  public int files;

  private boolean layerfs;
  private Path store;
  private Path hostTree;
  private String[] names;
  private Path[] paths;
  private int invocation;
  private String container;
  private FileSystem fs;
  private UpperUsage most = new UpperUsage(0, 0, 0, 0);

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    layerfs = switch (Impl.of(impl)) {
      case LAYERFS -> true;
      case DEFAULT -> false;
      default -> throw new IllegalArgumentException(
          "ChmodBenchmark knows impl layerfs and default, not " + impl);
    };
    names = new String[files];
    for (int i = 0; i < files; i++) {
      names[i] = path(i);
    }
    Path base = Fixture.baseDir();
    Files.createDirectories(base);
    Path cache = base.resolve(String.format(Locale.ROOT, "chmod-v%d-%d", VERSION, files));
    Files.createDirectories(cache);
    store = Fixture.once(cache.resolve("store"), this::writeImage);
    hostTree = Fixture.once(cache.resolve("tree"), this::writeTree);
    Containers.removeStale(store, "bench-chmod");
    paths = new Path[files];
  }

  @Setup(Level.Invocation)
  public void open() throws IOException {
    Path root = hostTree;
    if (layerfs) {
      container = Containers.newName("bench-chmod");
      fs = Containers.open(store, TAG, container);
      root = fs.getPath("/");
    }
    for (int i = 0; i < files; i++) {
      paths[i] = root.resolve(names[i].substring(1));
    }
  }

  @TearDown(Level.Invocation)
  public void close() throws IOException {
    if (!layerfs) {
      return;
    }
    try {
      UpperUsage u = UpperUsage.of(store, container);
      most = new UpperUsage(Math.max(most.dataFiles(), u.dataFiles()),
          Math.max(most.dataBytes(), u.dataBytes()),
          Math.max(most.dataAllocated(), u.dataAllocated()),
          Math.max(most.metaBytes(), u.metaBytes()));
    } finally {
      Containers.remove(fs, store, container);
      fs = null;
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    if (layerfs) {
      String label = "ChmodBenchmark.chmod (files=" + files + ")";
      Figures.record(label + " data bytes", most.dataBytes(), "B");
      Figures.record(label + " data allocated", most.dataAllocated(), "B");
      Figures.record(label + " data files", most.dataFiles(), "files");
      Figures.record(label + " metadata bytes", most.metaBytes(), "B");
    }
  }

  /** {@code java -jar bench/target/benchmarks.jar ChmodBenchmark}. */
  @Benchmark
  public int chmod() throws IOException {
    Set<PosixFilePermission> mode = (invocation++ & 1) == 0 ? MODE_A : MODE_B;
    for (Path p : paths) {
      Files.setPosixFilePermissions(p, mode);
    }
    return paths.length;
  }

  private static String path(int i) {
    return String.format(Locale.ROOT, "/data/d%04d/f%06d", i / PER_DIR, i);
  }

  private static byte[] content(int i) {
    byte[] b = new byte[FILE_BYTES];
    for (int j = 0; j < b.length; j++) {
      b[j] = (byte) ('a' + (i + j) % 26);
    }
    return b;
  }

  private void writeImage(Path layout) throws IOException {
    ImageBuilder builder = ImageBuilder.create(layout)
        .layer(LayerCompression.NONE)
        .dir("/data");
    for (int i = 0; i < files; i++) {
      if (i % PER_DIR == 0) {
        builder.dir(names[i].substring(0, names[i].lastIndexOf('/')));
      }
      builder.file(names[i], content(i));
    }
    builder.build(TAG);
  }

  private void writeTree(Path dir) throws IOException {
    for (int i = 0; i < files; i++) {
      Path p = dir.resolve(names[i].substring(1));
      Files.createDirectories(p.getParent());
      Files.write(p, content(i));
    }
  }
}
