package io.layerfs.bench;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
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
 * Small-file I/O and locks in a tmpfs mount of a layerfs container ({@code impl=layerfs}: the
 * container's {@code /t}, a {@code --mount type=tmpfs}), beside Jimfs itself (which the mount is
 * made of: what layerfs adds to it) and the host's own tmpfs ({@code impl=default}: a directory
 * in {@code /dev/shm}).
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar TmpfsBenchmark
 * bench/run.sh TmpfsBenchmark -p impl=layerfs,default,jimfs
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TmpfsBenchmark {
  private static final int SMALL_FILES = 256;
  private static final int BLOCK = 4096;

  /** {@code Files.readAllBytes} of one of {@value #SMALL_FILES} 4 KiB files, in turn. */
  @Benchmark
  public byte[] readSmallFile(TmpfsState s) throws IOException {
    return Files.readAllBytes(s.smallFiles[s.cursor++ & (SMALL_FILES - 1)]);
  }

  /** Creates a 4 KiB file in the iteration's directory ({@code Files.write}, CREATE_NEW). */
  @Benchmark
  public Path newSmallFile(TmpfsState s) throws IOException {
    return Files.write(s.iterationDir.resolve("f" + s.fileNumber++), s.small,
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /** {@code tryLock} of a whole file through an open channel, then its release. */
  @Benchmark
  public boolean lockAndRelease(TmpfsState s) throws IOException {
    FileLock lock = s.locked.tryLock();
    boolean valid = lock.isValid();
    lock.release();
    return valid;
  }

  /** One competitor's tmpfs: a container's mount, Jimfs, or the host's {@code /dev/shm}. */
  @State(Scope.Benchmark)
  public static class TmpfsState {
    /** layerfs (a tmpfs mount of a container), default (the host's /dev/shm) or jimfs. */
    @Param({"layerfs", "default", "jimfs"})
    public String impl;

    final byte[] small = new byte[BLOCK];
    final Path[] smallFiles = new Path[SMALL_FILES];
    FileChannel locked;
    Path iterationDir;
    int fileNumber;
    int cursor;
    private Path work;
    private int iteration;
    private FileSystem fs;
    private Path hostDir;
    private Path store;
    private String container;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      new Random(0x7L).nextBytes(small);
      switch (Impl.of(impl)) {
        case LAYERFS -> {
          Fixture fixture = Fixture.get();
          store = fixture.store();
          Containers.removeStale(store, "bench-tmpfs");
          container = Containers.newName("bench-tmpfs");
          fs = FileSystems.newFileSystem(URI.create("layerfs://" + container), Map.of(
              "store", store, "image", fixture.image(),
              "mounts", List.of("type=tmpfs,target=/t")));
          work = fs.getPath("/t/bench");
        }
        case DEFAULT -> {
          hostDir = Files.createTempDirectory(Path.of("/dev/shm"), "layerfs-bench-tmpfs-");
          work = hostDir;
        }
        case JIMFS -> {
          fs = Jimfs.newFileSystem(
              Configuration.unix().toBuilder().setWorkingDirectory("/").build());
          work = fs.getPath("/bench");
        }
        default -> throw new IllegalArgumentException("TmpfsBenchmark knows layerfs, default"
            + " and jimfs, not " + impl);
      }
      Path dir = Files.createDirectories(work.resolve("small"));
      for (int i = 0; i < SMALL_FILES; i++) {
        smallFiles[i] = Files.write(dir.resolve("s" + i), small);
      }
      locked = FileChannel.open(work.resolve("locked"), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
    }

    @Setup(Level.Iteration)
    public void newDirectory() throws IOException {
      iterationDir = Files.createDirectory(work.resolve("d" + iteration++));
      fileNumber = 0;
    }

    @TearDown(Level.Iteration)
    public void deleteDirectory() throws IOException {
      Trees.deleteRecursively(iterationDir);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      try {
        locked.close();
      } finally {
        if (container != null) {
          Containers.remove(fs, store, container);
        } else if (fs != null) {
          fs.close();
        }
        if (hostDir != null) {
          Trees.deleteRecursively(hostDir);
        }
      }
    }
  }
}
