package io.layerfs.bench;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * Opening the image as a file system and closing it again, with layerfs' indexes already built
 * and persisted (setup opens it once and walks it): what a program pays per {@code
 * FileSystems.newFileSystem}. The counterpart is zipfs opening the zip of the same tree, which
 * reads the zip's whole central directory on open. The host file system and Jimfs have no
 * equivalent (Jimfs would have to be filled).
 *
 * <p>{@link #openClose} alone may flatter a provider that loads lazily, so {@link
 * #openStatClose} also stats one deep file before closing.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar OpenBenchmark
 * bench/run.sh OpenBenchmark              # also writes bench/results/latest.md
 * </pre>
 *
 * <p>Its {@code impl} takes only {@code layerfs} and {@code zipfs}; any other value fails the
 * trial, so a run restricted with {@code -p impl=default,...} has to leave this class out:
 * {@code bench/run.sh 'Metadata|Read' -p impl=default,zipfs,jimfs}.
 *
 * <p>Not final and public because JMH subclasses benchmark classes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class OpenBenchmark {
  /** The competitor: {@code layerfs} or {@code zipfs} (see {@link Impl}). */
  @Param({"layerfs", "zipfs"})
  public String impl;

  private Impl competitor;
  private Fixture fixture;
  private Path zip;
  private String deepFile;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    competitor = Impl.of(impl);
    if (competitor != Impl.LAYERFS && competitor != Impl.ZIPFS) {
      throw new IllegalArgumentException("OpenBenchmark compares layerfs and zipfs only, not "
          + impl + ": leave it out (regex 'Metadata|Read') or give it impl=layerfs,zipfs");
    }
    fixture = Fixture.get();
    Keys keys = fixture.keys();
    deepFile = keys.files().stream()
        .max((a, b) -> Long.compare(a.chars().filter(c -> c == '/').count(),
            b.chars().filter(c -> c == '/').count()))
        .orElseThrow();
    zip = competitor == Impl.ZIPFS ? fixture.zip() : null;
    try (FileSystem fs = open(); Stream<Path> all = Files.walk(fs.getPath("/"))) {
      all.count();
    }
  }

  /**
   * {@code FileSystems.newFileSystem} and {@code close}:
   * {@code java -jar bench/target/benchmarks.jar OpenBenchmark.openClose}.
   */
  @Benchmark
  public FileSystem openClose() throws IOException {
    FileSystem fs = open();
    fs.close();
    return fs;
  }

  /**
   * Open, stat the deepest file, close:
   * {@code java -jar bench/target/benchmarks.jar OpenBenchmark.openStatClose}.
   */
  @Benchmark
  public long openStatClose() throws IOException {
    try (FileSystem fs = open()) {
      return Files.readAttributes(fs.getPath("/", deepFile), BasicFileAttributes.class).size();
    }
  }

  private FileSystem open() throws IOException {
    return competitor == Impl.LAYERFS
        ? fixture.openLayerfs("bench-open")
        : FileSystems.newFileSystem(zip);
  }
}
