package io.layerfs.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * A walk with attributes ({@code Files.walkFileTree}, as a build tool or a sync walks a source
 * tree) of a host directory bind-mounted into a layerfs container ({@code impl=layerfs}: the
 * container's {@code /src}, a {@code --mount type=bind}) beside the same walk of the host
 * directory itself ({@code impl=default}): {@value #DIRS} directories of {@value #FILES} small
 * files each, three levels below the walk's start. With {@code mount=volume} or {@code tmpfs}
 * the container's {@code /src} is a named volume or a tmpfs mount instead, the same tree
 * written into it through the container (the host's walk is of its own copy, as for a bind).
 *
 * <pre>
 * bench/run.sh BindWalkBenchmark        # also writes bench/results/latest.md
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BindWalkBenchmark {
  private static final int DIRS = 20;
  private static final int FILES = 50;

  /** The regular files found and their bytes, so that nothing is left unread. */
  @Benchmark
  public long walk(WalkState s) throws IOException {
    long[] seen = new long[1];
    Files.walkFileTree(s.start, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        seen[0] += 1 + attrs.size();
        return FileVisitResult.CONTINUE;
      }
    });
    return seen[0];
  }

  /** The tree on the host and, for layerfs, a container that bind-mounts it. */
  @State(Scope.Benchmark)
  public static class WalkState {
    /** layerfs (the container's bind mount) or default (the host directory). */
    @Param({"layerfs", "default"})
    public String impl;

    /** What the container's {@code /src} is: bind, volume or tmpfs (layerfs only). */
    @Param({"bind", "volume", "tmpfs"})
    public String mount;

    Path start;
    private Path hostDir;
    private FileSystem fs;
    private Path store;
    private String container;

    @Setup
    public void setUp() throws IOException {
      hostDir = Fixture.baseDir().resolve("bind-walk-" + ProcessHandle.current().pid() + "-"
          + System.nanoTime());
      fill(Files.createDirectories(hostDir));
      if (Impl.of(impl) == Impl.LAYERFS) {
        Fixture fixture = Fixture.get();
        store = fixture.store();
        Containers.removeStale(store, "bench-bind");
        container = Containers.newName("bench-bind");
        String spec = switch (mount) {
          case "bind" -> "type=bind,source=" + hostDir + ",target=/src";
          case "volume" -> "type=volume,source=" + container + ",target=/src";
          case "tmpfs" -> "type=tmpfs,target=/src";
          default -> throw new IllegalArgumentException("mount=" + mount);
        };
        fs = FileSystems.newFileSystem(URI.create("layerfs://" + container), Map.of(
            "store", store, "image", fixture.image(), "mounts", List.of(spec)));
        start = fs.getPath("/src");
        if (!mount.equals("bind")) {
          fill(start);
        }
      } else {
        start = hostDir;
      }
    }

    private static void fill(Path start) throws IOException {
      Path top = Files.createDirectories(start.resolve("a/b"));
      for (int d = 0; d < DIRS; d++) {
        Path dir = Files.createDirectory(top.resolve("d" + d));
        for (int f = 0; f < FILES; f++) {
          Files.writeString(dir.resolve("f" + f + ".txt"), "file " + f);
        }
      }
    }

    @TearDown
    public void tearDown() throws IOException {
      try {
        if (container != null) {
          Containers.remove(fs, store, container);
          if (mount.equals("volume")) {
            try (io.layerfs.core.store.Store s = io.layerfs.core.store.Store.open(store)) {
              s.removeVolume(container); // a volume outlives its container
            }
          }
        }
      } finally {
        Trees.deleteRecursively(hostDir);
      }
    }
  }
}
