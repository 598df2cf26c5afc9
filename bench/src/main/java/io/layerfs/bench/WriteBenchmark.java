package io.layerfs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Writing through each competitor of {@link WriteState}: layerfs' upper layer of a container,
 * the host file system, zipfs and Jimfs (issue 3: layerfs at least 0.9 times the host file
 * system's speed for new files and rewrites of upper files; {@link RatioReport} shows the
 * ratios against that target).
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar WriteBenchmark
 * java -jar bench/target/benchmarks.jar WriteBenchmark.newSmallFile -p impl=layerfs,default
 * bench/run.sh WriteBenchmark             # also writes bench/results/latest.md
 * </pre>
 *
 * <p>Defaults keep one benchmark and competitor under about 15 s: one fork, 3 warmup and 5
 * measured iterations of 1 s each; average time per operation. No competitor forces its writes
 * to disk.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WriteBenchmark {
  private static final int BIG_MIB = 64;

  /**
   * Creates a new file in the iteration's directory, writes 4 KiB and closes it ({@code
   * Files.write} with {@code CREATE_NEW}):
   * {@code java -jar bench/target/benchmarks.jar WriteBenchmark.newSmallFile}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Path newSmallFile(WriteState s) throws IOException {
    return Files.write(s.iterationDir.resolve("f" + s.fileNumber++), s.small,
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /**
   * Opens a file with {@code CREATE, TRUNCATE_EXISTING} as a {@code FileChannel} and writes
   * {@value #BIG_MIB} MiB in 1 MiB direct buffers, then closes it (the same file every time, so
   * each operation also truncates the previous one's bytes):
   * {@code java -jar bench/target/benchmarks.jar WriteBenchmark.sequentialWrite}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long sequentialWrite(WriteState s) throws IOException {
    long total = 0;
    try (FileChannel ch = FileChannel.open(s.bigFile, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      for (int i = 0; i < BIG_MIB; i++) {
        ByteBuffer b = s.mib.duplicate();
        while (b.hasRemaining()) {
          total += ch.write(b);
        }
      }
    }
    return total;
  }

  /**
   * A positional 4 KiB write ({@code FileChannel.write(buffer, position)}) at a random 4
   * KiB-aligned offset of a {@value WriteState#UPPER_MIB} MiB file written in setup (in layerfs
   * an upper file), on a channel opened once in setup:
   * {@code java -jar bench/target/benchmarks.jar WriteBenchmark.overwrite4k}.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public int overwrite4k(WriteState s) throws IOException {
    return s.upperChannel.write(s.block.duplicate(), s.nextOffset());
  }
}
