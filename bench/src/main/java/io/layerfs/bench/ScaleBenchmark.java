package io.layerfs.bench;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributes;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Opening an already indexed image of 10,000 or 1,000,000 entries ({@link ScaleImage}, in one or
 * ten layers): {@code FileSystems.newFileSystem}, one {@code Files.readAttributes} of a file in
 * the top layer, {@code close}. No other file system of the store is open, so every open loads
 * the persisted indexes from disk (from the page cache, after the first) and merges what the
 * lookup needs. Targets (issue 2): under 20 ms for 10,000 entries, under 1 s for 1,000,000.
 * The heap it keeps per entry is {@link HeapPerEntry}'s figure.
 *
 * <pre>
 * bench/run.sh ScaleBenchmark                     # also measures HeapPerEntry
 * bench/run.sh ScaleBenchmark -p entries=10000    # what --smoke runs (no 1,000,000 image)
 * </pre>
 *
 * <p>The first trial of a size builds its image and indexes (a million entries: about a minute
 * and 500 MB per layer count under the benchmark directory); later runs reuse them.
 *
 * <p>Not final and public because JMH subclasses benchmark classes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class ScaleBenchmark {
  /** Entries of the image, all layers together. */
  @Param({"10000", "1000000"})
  public int entries;

  /** Layers the entries are spread over. */
  @Param({"1", "10"})
  public int layers;

  private ScaleImage image;
  private String deepFile;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    image = ScaleImage.get(entries, layers);
    deepFile = image.deepFile();
  }

  /**
   * Open, stat one file, close:
   * {@code java -jar bench/target/benchmarks.jar ScaleBenchmark.openStatClose}.
   */
  @Benchmark
  public long openStatClose() throws IOException {
    try (FileSystem fs = image.open("bench-scale")) {
      return Files.readAttributes(fs.getPath(deepFile), BasicFileAttributes.class).size();
    }
  }
}
