package io.layerfs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Reading file contents of the benchmark tree ({@link TreeGenerator}) for each competitor of
 * {@link Impl}. layerfs reads with positional reads on one shared channel per layer; the host
 * file system reads its own files (from the page cache once warm); zipfs reads its zip (and
 * copies an entry to a temporary file whenever a {@code FileChannel} of it is opened, which the
 * per-operation opens below pay for); Jimfs copies from heap.
 *
 * <p>Buffers are direct, as high-throughput readers use them.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar ReadBenchmark
 * java -jar bench/target/benchmarks.jar ReadBenchmark.randomRead4k -p impl=layerfs,default
 * bench/run.sh ReadBenchmark              # also writes bench/results/latest.md
 * </pre>
 *
 * <p>Defaults keep one benchmark and competitor under about 15 s: one fork, 3 warmup and 5
 * measured iterations of 1 s each; average time per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ReadBenchmark {

  /**
   * {@code Files.readAllBytes} of a random small file (at most 8 KiB):
   * {@code java -jar bench/target/benchmarks.jar ReadBenchmark.smallFile}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] smallFile(TreeState s) throws IOException {
    return Files.readAllBytes(s.smallFiles[s.next()]);
  }

  /**
   * Opens the biggest file ({@value TreeGenerator#BIG_FILE_MIB} MiB in the generated tree) as a
   * {@code FileChannel} and reads it to its end through a 64 KiB buffer:
   * {@code java -jar bench/target/benchmarks.jar ReadBenchmark.sequentialRead}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long sequentialRead(TreeState s, Blackhole bh) throws IOException {
    long total = 0;
    ByteBuffer buffer = s.chunk;
    try (FileChannel ch = FileChannel.open(s.bigFile, StandardOpenOption.READ)) {
      int n;
      while ((n = ch.read(buffer.clear())) >= 0) {
        total += n;
        bh.consume(buffer);
      }
    }
    if (total != s.bigFileSize) {
      throw new IOException("read " + total + " bytes of " + s.bigFileSize + ": " + s.bigFile);
    }
    return total;
  }

  /**
   * A positional 4 KiB read ({@code FileChannel.read(buffer, position)}) at a random 4 KiB-aligned
   * offset of the biggest file, on a channel opened once in setup:
   * {@code java -jar bench/target/benchmarks.jar ReadBenchmark.randomRead4k}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public int randomRead4k(TreeState s) throws IOException {
    return s.bigChannel.read(s.block.clear(), s.blockOffsets[s.next()]);
  }

  /**
   * Opens the biggest file and {@code transferTo}s all of it to a channel that discards
   * without copying ({@link NullChannel}), so only the source's side is measured:
   * {@code java -jar bench/target/benchmarks.jar ReadBenchmark.transferTo}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long transferTo(TreeState s) throws IOException {
    long total = 0;
    try (FileChannel ch = FileChannel.open(s.bigFile, StandardOpenOption.READ)) {
      long size = ch.size();
      while (total < size) {
        long n = ch.transferTo(total, size - total, s.nullChannel);
        if (n <= 0) {
          throw new IOException(
              "transferTo stopped at " + total + " of " + size + ": " + s.bigFile);
        }
        total += n;
      }
    }
    return total;
  }
}
