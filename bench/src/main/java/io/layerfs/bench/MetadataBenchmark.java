package io.layerfs.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Metadata operations on the benchmark tree ({@link TreeGenerator}) for each competitor of
 * {@link Impl}: what a program does before it reads anything. layerfs answers these from its
 * in-memory index without a system call.
 *
 * <p>Run all of them, or one, for some competitors:
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar MetadataBenchmark
 * java -jar bench/target/benchmarks.jar MetadataBenchmark.stat -p impl=layerfs,default
 * bench/run.sh MetadataBenchmark          # also writes bench/results/latest.md
 * </pre>
 *
 * <p>Defaults keep one benchmark and competitor under about 15 s: one fork, 3 warmup and 5
 * measured iterations of 1 s each; average time per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MetadataBenchmark {

  /**
   * {@code Files.readAttributes(path, BasicFileAttributes.class)} of a random existing regular
   * file: {@code java -jar bench/target/benchmarks.jar MetadataBenchmark.stat}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public void stat(TreeState s, Blackhole bh) throws IOException {
    BasicFileAttributes a = Files.readAttributes(s.files[s.next()], BasicFileAttributes.class);
    bh.consume(a.size());
    bh.consume(a.lastModifiedTime());
    bh.consume(a.isRegularFile());
  }

  /**
   * {@code Files.exists} of a path that does not exist (a missing name, a missing directory on
   * the way, a missing top-level directory; see {@link Keys#missing()}):
   * {@code java -jar bench/target/benchmarks.jar MetadataBenchmark.missing}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public boolean missing(TreeState s) {
    return Files.exists(s.missing[s.next()]);
  }

  /**
   * Lists the directory with the most entries ({@value TreeGenerator#BIG_DIR_ENTRIES} in the
   * generated tree) with {@code Files.newDirectoryStream}, touching each name:
   * {@code java -jar bench/target/benchmarks.jar MetadataBenchmark.list}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int list(TreeState s, Blackhole bh) throws IOException {
    int n = 0;
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(s.bigDir)) {
      for (Path p : dir) {
        bh.consume(p.getFileName());
        n++;
      }
    }
    return n;
  }

  /**
   * Counts every entry of the tree with {@code Files.walk} (no links followed):
   * {@code java -jar bench/target/benchmarks.jar MetadataBenchmark.walk}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long walk(TreeState s) throws IOException {
    try (Stream<Path> all = Files.walk(s.tree.root())) {
      return all.count();
    }
  }
}
