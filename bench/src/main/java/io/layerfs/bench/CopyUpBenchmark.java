package io.layerfs.bench;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Random;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The first write into a lower file of a container, by the file's size (issue 3: under 10 ms for
 * the first 4 KiB written into a 1 GiB lower file), layerfs alone, with what a full copy-up
 * would cost beside it:
 *
 * <ul>
 *   <li>{@link #firstWrite}: opens the lower file {@value #FILE} of a fresh container for
 *       writing, writes 4 KiB at its middle (4 KiB-aligned) and closes it: layerfs copies up only
 *       the 64 KiB chunk written into (overlay2 would copy the whole file on open);
 *   <li>{@link #fullCopy}: {@code Files.copy} of the same lower file out of the container to the
 *       host file system (a stream copy: the source is another provider), about what a
 *       whole-file copy-up costs.
 * </ul>
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar CopyUpBenchmark
 * java -jar bench/target/benchmarks.jar CopyUpBenchmark.firstWrite -p size=1GiB
 * bench/run.sh CopyUpBenchmark            # also writes bench/results/latest.md
 * bench/run.sh --smoke                    # size=1MiB only
 * </pre>
 *
 * <p>Every invocation gets a fresh container (a new name, created in setup and removed in
 * teardown, outside the measured time), so the mode is single-shot. The trial's setup runs the
 * body a few times first ({@value #WARM_ROUNDS} for {@code firstWrite}, once for {@code
 * fullCopy}): a single shot on a cold JIT measures the compiler. After each {@code firstWrite}
 * the teardown checks the bytes read back (the block written, and lower bytes beside it in the
 * same chunk) and measures the container's data directory; {@link Figures} records the most
 * disk it took ({@code upper data allocated}), which shows how much was copied.
 *
 * <p>The image (cached under the benchmark directory, one per size, built once) has one
 * uncompressed layer with the file alone: a 64 KiB random block repeated, each copy stamped
 * with its index so a chunk read from the wrong place shows. Building the 1 GiB one holds the
 * file twice in the heap (the builder copies it): about 2 GiB for some seconds.
 *
 * <p>Not final and public because JMH subclasses benchmark classes.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@State(Scope.Benchmark)
public class CopyUpBenchmark {
  static final String FILE = "/data/big";
  private static final String TAG = "copyup";
  private static final int VERSION = 1;
  private static final int PATTERN = 1 << 16;
  private static final int BLOCK = 4096;
  private static final int WARM_ROUNDS = 5;
  private static final long SEED = 0xc0b1eL;

  /** Size of the lower file: 1MiB, 64MiB or 1GiB ({@code --smoke} uses 1MiB). */
  @Param({"1MiB", "64MiB", "1GiB"})
  public String size;

  private long bytes;
  private Path store;
  private Path outDir;
  private byte[] pattern;
  private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
  private long offset;
  private boolean writes;
  private String label;
  private long maxAllocated;
  private long maxDataFiles;

  private String container;
  private FileSystem fs;
  private Path lower;
  private Path copy;

  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) throws IOException {
    bytes = parseSize(size);
    pattern = pattern();
    Path base = Fixture.baseDir();
    Files.createDirectories(base);
    store = Fixture.once(base.resolve(String.format(Locale.ROOT, "copyup-v%d-%s", VERSION,
        size.toLowerCase(Locale.ROOT))), tmp -> write(tmp, bytes, pattern));
    Containers.removeStale(store, "bench-copyup");
    outDir = base.resolve("copyup-out-" + ProcessHandle.current().pid());
    Files.createDirectories(outDir);
    byte[] b = new byte[BLOCK];
    new Random(SEED + 1).nextBytes(b);
    block.put(b).flip();
    offset = bytes / 2 / BLOCK * BLOCK;
    writes = params.getBenchmark().endsWith(".firstWrite");
    label = "CopyUpBenchmark.firstWrite (size=" + size + ")";
    int rounds = writes ? WARM_ROUNDS : 1;
    for (int i = 0; i < rounds; i++) {
      newContainer();
      try {
        if (writes) {
          firstWrite();
        } else {
          fullCopy();
        }
      } finally {
        removeContainer();
      }
    }
    maxAllocated = 0;
    maxDataFiles = 0;
  }

  @Setup(Level.Invocation)
  public void newContainer() throws IOException {
    container = Containers.newName("bench-copyup");
    fs = Containers.open(store, TAG, container);
    lower = fs.getPath(FILE);
    copy = outDir.resolve("full-copy");
  }

  @TearDown(Level.Invocation)
  public void removeContainer() throws IOException {
    try {
      if (writes) {
        check();
        UpperUsage usage = UpperUsage.of(store, container);
        maxAllocated = Math.max(maxAllocated, usage.dataAllocated());
        maxDataFiles = Math.max(maxDataFiles, usage.dataFiles());
      } else if (Files.size(copy) != bytes) {
        throw new IOException("full copy has " + Files.size(copy) + " bytes, not " + bytes);
      }
    } finally {
      Containers.remove(fs, store, container);
      fs = null;
      Files.deleteIfExists(copy);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    Trees.deleteRecursively(outDir);
    if (writes) {
      Figures.record(label + " upper data allocated", maxAllocated, "B");
      Figures.record(label + " upper data files", maxDataFiles, "files");
    }
  }

  /** {@code java -jar bench/target/benchmarks.jar CopyUpBenchmark.firstWrite}. */
  @Benchmark
  public int firstWrite() throws IOException {
    try (FileChannel ch = FileChannel.open(lower, StandardOpenOption.WRITE)) {
      return ch.write(block.duplicate(), offset);
    }
  }

  /** {@code java -jar bench/target/benchmarks.jar CopyUpBenchmark.fullCopy}. */
  @Benchmark
  public Path fullCopy() throws IOException {
    return Files.copy(lower, copy, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Reads back the block written and the lower bytes after it, in the same chunk. */
  private void check() throws IOException {
    ByteBuffer got = ByteBuffer.allocate(2 * BLOCK);
    try (FileChannel ch = FileChannel.open(lower, StandardOpenOption.READ)) {
      while (got.hasRemaining() && ch.read(got, offset + got.position()) > 0) {
        // reads until full
      }
      if (ch.size() != bytes) {
        throw new IOException(FILE + " has " + ch.size() + " bytes after the write, not " + bytes);
      }
    }
    got.flip();
    ByteBuffer written = got.slice(0, BLOCK);
    if (got.limit() != 2 * BLOCK || written.mismatch(block.duplicate()) >= 0) {
      throw new IOException(FILE + ": the 4 KiB written do not read back");
    }
    for (int i = BLOCK; i < got.limit(); i++) {
      if (got.get(i) != expected(pattern, offset + i)) {
        throw new IOException(FILE + ": lower byte " + (offset + i) + " reads wrong after the"
            + " copy-up");
      }
    }
  }

  /** The byte at {@code position} of the lower file. */
  private static byte expected(byte[] pattern, long position) {
    int inBlock = (int) (position & (PATTERN - 1));
    if (inBlock < Long.BYTES) {
      return (byte) ((position >>> 16) >>> (8 * (Long.BYTES - 1 - inBlock)));
    }
    return pattern[inBlock];
  }

  private static byte[] pattern() {
    byte[] p = new byte[PATTERN];
    new Random(SEED).nextBytes(p);
    return p;
  }

  static long parseSize(String size) {
    String s = size.strip();
    long unit = s.endsWith("GiB") ? 1L << 30 : s.endsWith("MiB") ? 1L << 20
        : s.endsWith("KiB") ? 1L << 10 : 0;
    if (unit == 0) {
      throw new IllegalArgumentException("size '" + size + "': expected e.g. 1MiB, 64MiB, 1GiB");
    }
    return Long.parseLong(s.substring(0, s.length() - 3)) * unit;
  }

  /** Writes the image: one uncompressed layer holding {@value #FILE} of {@code size} bytes. */
  private static void write(Path layout, long size, byte[] pattern) throws IOException {
    if (size > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("size " + size + ": at most 2 GiB");
    }
    byte[] data = new byte[(int) size];
    for (int at = 0; at < data.length; at += PATTERN) {
      System.arraycopy(pattern, 0, data, at, Math.min(PATTERN, data.length - at));
    }
    for (long at = 0; at < data.length; at++) {
      if ((at & (PATTERN - 1)) < Long.BYTES) {
        data[(int) at] = expected(pattern, at);
      } else {
        at = (at | (PATTERN - 1));
      }
    }
    ImageBuilder.create(layout)
        .layer(LayerCompression.NONE)
        .dir("/data")
        .file(FILE, data)
        .build(TAG);
  }
}
