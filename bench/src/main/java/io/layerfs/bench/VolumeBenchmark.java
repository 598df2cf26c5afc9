package io.layerfs.bench;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
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

/**
 * Reads and writes in a named volume mounted in a layerfs container ({@code impl=layerfs}: the
 * container's {@code /vol}, a {@code --mount type=volume}), beside the host file system, zipfs and
 * Jimfs doing the same (issue 11: volume I/O at the host file system's speed; the ratios of
 * {@link RatioReport} are layerfs-volume against each).
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar VolumeBenchmark
 * bench/run.sh VolumeBenchmark -p impl=layerfs,default     # also writes bench/results/latest.md
 * </pre>
 *
 * <p>One fork (native access enabled), 3 warmup and 5 measured iterations of 1 s; average time
 * per operation. Nothing is forced to disk; the volume's directory is in the benchmark store, on
 * the same file system as the host competitor's directory.
 */
@BenchmarkMode(Mode.AverageTime)
// native access: a volume's reads by openat2 on Java 22+ (the mount package); Java 17 takes the
// option and does nothing
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class VolumeBenchmark {
  private static final int FILE_MIB = 16;
  private static final int SMALL_FILES = 256;
  private static final int BLOCK = 4096;

  /** Creates a 4 KiB file in the iteration's directory ({@code Files.write}, CREATE_NEW). */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Path newSmallFile(VolumeState s) throws IOException {
    return Files.write(s.iterationDir.resolve("f" + s.fileNumber++), s.small,
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /** {@code Files.readAllBytes} of one of {@value #SMALL_FILES} 4 KiB files, in turn. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] readSmallFile(VolumeState s) throws IOException {
    return Files.readAllBytes(s.smallFiles[s.cursor++ & (SMALL_FILES - 1)]);
  }

  /** A positional 4 KiB read at a random aligned offset of a {@value #FILE_MIB} MiB file. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public int read4k(VolumeState s) throws IOException {
    return s.channel.read(s.readBuffer.clear(), s.nextOffset());
  }

  /** A positional 4 KiB write at a random aligned offset of the same file. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public int overwrite4k(VolumeState s) throws IOException {
    return s.channel.write(s.block.duplicate(), s.nextOffset());
  }

  /** Writes {@value #FILE_MIB} MiB into a new file in 1 MiB buffers and closes it. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long sequentialWrite(VolumeState s) throws IOException {
    long total = 0;
    try (FileChannel ch = FileChannel.open(s.iterationDir.resolve("seq" + s.fileNumber++),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int i = 0; i < FILE_MIB; i++) {
        ByteBuffer b = s.mib.duplicate();
        while (b.hasRemaining()) {
          total += ch.write(b);
        }
      }
    }
    return total;
  }

  /**
   * One competitor's place: a volume of a fresh container (removed with its volume after the
   * trial), a host directory, a new zip or an empty Jimfs. Not final and public because JMH
   * subclasses state classes; one benchmark thread.
   */
  @State(Scope.Benchmark)
  public static class VolumeState {
    /** layerfs (a volume of a container), default, zipfs or jimfs. */
    @Param({"layerfs", "default", "zipfs", "jimfs"})
    public String impl;

    final byte[] small = new byte[BLOCK];
    final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
    final ByteBuffer readBuffer = ByteBuffer.allocateDirect(BLOCK);
    final ByteBuffer mib = ByteBuffer.allocateDirect(1 << 20);
    final Path[] smallFiles = new Path[SMALL_FILES];
    long[] offsets;
    FileChannel channel;
    Path work;
    Path iterationDir;
    int fileNumber;
    int cursor;
    private int iteration;
    private int offsetCursor;
    private FileSystem fs;
    private Path hostDir;
    private Path zip;
    private Path store;
    private String container;
    private String volume;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      Random random = new Random(0x11L);
      random.nextBytes(small);
      byte[] pattern = new byte[1 << 20];
      random.nextBytes(pattern);
      mib.put(pattern).flip();
      block.put(small).flip();
      offsets = new long[Keys.SAMPLES];
      for (int i = 0; i < offsets.length; i++) {
        offsets[i] = (long) random.nextInt((FILE_MIB << 20) / BLOCK) * BLOCK;
      }
      Path base = Fixture.baseDir();
      Files.createDirectories(base);
      String unique = "volume-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
      switch (Impl.of(impl)) {
        case LAYERFS -> {
          Fixture fixture = Fixture.get();
          store = fixture.store();
          Containers.removeStale(store, "bench-volume");
          container = Containers.newName("bench-volume");
          volume = container;
          fs = FileSystems.newFileSystem(URI.create("layerfs://" + container), Map.of(
              "store", store, "image", fixture.image(),
              "mounts", List.of("type=volume,source=" + volume + ",target=/vol,volume-nocopy")));
          work = fs.getPath("/vol/bench");
        }
        case DEFAULT -> {
          hostDir = base.resolve(unique);
          work = hostDir;
        }
        case ZIPFS -> {
          zip = base.resolve(unique + ".zip");
          fs = FileSystems.newFileSystem(zip, Map.of("create", "true", "noCompression", "true"));
          work = fs.getPath("/bench");
        }
        case JIMFS -> {
          fs = Jimfs.newFileSystem(
              Configuration.unix().toBuilder().setWorkingDirectory("/").build());
          work = fs.getPath("/bench");
        }
      }
      Files.createDirectories(work);
      Path small = Files.createDirectories(work.resolve("small"));
      for (int i = 0; i < SMALL_FILES; i++) {
        smallFiles[i] = Files.write(small.resolve("s" + i), this.small);
      }
      channel = FileChannel.open(work.resolve("big"), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.READ, StandardOpenOption.WRITE);
      for (int i = 0; i < FILE_MIB; i++) {
        ByteBuffer b = mib.duplicate();
        while (b.hasRemaining()) {
          channel.write(b);
        }
      }
    }

    @Setup(Level.Iteration)
    public void newDirectory() throws IOException {
      iterationDir = work.resolve("d" + iteration++);
      Files.createDirectory(iterationDir);
      fileNumber = 0;
    }

    @TearDown(Level.Iteration)
    public void deleteDirectory() throws IOException {
      Trees.deleteRecursively(iterationDir);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      try {
        if (channel != null) {
          channel.close();
        }
      } finally {
        if (container != null) {
          Containers.remove(fs, store, container);
          try (io.layerfs.core.store.Store s = io.layerfs.core.store.Store.open(store)) {
            s.removeVolume(volume);
          }
        } else if (fs != null) {
          fs.close();
        }
        if (hostDir != null) {
          Trees.deleteRecursively(hostDir);
        }
        if (zip != null) {
          Files.deleteIfExists(zip);
        }
      }
    }

    long nextOffset() {
      return offsets[offsetCursor++ & (Keys.SAMPLES - 1)];
    }
  }
}
