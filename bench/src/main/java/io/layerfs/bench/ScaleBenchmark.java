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
 * Opening an already indexed image of 1,000, 10,000, 100,000 or 1,000,000 entries ({@link
 * ScaleImage}, spread over 1, 10 or 50 layers; issue 5's scale figures): {@code
 * FileSystems.newFileSystem}, one {@code Files.readAttributes} of a file in the top layer,
 * {@code close}. No other file system of the store is open, so every open loads
 * the persisted indexes from disk (from the page cache, after the first) and merges what the
 * lookup needs. Targets (issue 2): under 20 ms for 10,000 entries, under 1 s for 1,000,000.
 * The heap it keeps per entry is {@link HeapPerEntry}'s figure.
 *
 * <pre>
 * bench/run.sh ScaleBenchmark                     # all 12 sizes; also measures HeapPerEntry
 * bench/run.sh ScaleBenchmark -p entries=1000000 -p layers=1,10   # the million without x 50
 * bench/run.sh ScaleBenchmark -p entries=10000 -p layers=1        # what --smoke runs
 * </pre>
 *
 * <p>The first trial of a size builds its image and indexes (a million entries: about a minute
 * and 500 MB per layer count under the benchmark directory); later runs reuse them. All twelve
 * sizes are kept, 1,000,000 x 50 too: on 2 cores, building and indexing it took well under a
 * minute (a run of the three millions with only that image to build took 50 s). Where that is too
 * slow, leave it out with {@code -p layers=1,10} for the million, as above. {@link RatioReport}
 * groups the figures by entries and layers.
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
  @Param({"1000", "10000", "100000", "1000000"})
  public int entries;

  /** Layers the entries are spread over. */
  @Param({"1", "10", "50"})
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
