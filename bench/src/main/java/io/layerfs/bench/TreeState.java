package io.layerfs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The benchmark tree opened by one competitor ({@code impl}), with the keys of every read
 * benchmark resolved to its paths beforehand, so what is measured is the file system operation,
 * not the parsing of a string.
 *
 * <p>Setup walks the whole tree once: a program has its caches warm after its first look around,
 * and layerfs has its layer indexes loaded (built on first use and persisted, so only the very
 * first trial builds them). The walk also checks that the competitor shows as many entries as
 * the host copy of the generated tree.
 * Keys are drawn with a fixed seed ({@link Keys#SEED}), the same for every competitor, and
 * handed out in sequence; a cursor wraps after {@link Keys#SAMPLES}.
 *
 * <p>Not final and public because JMH subclasses state classes. Meant for one benchmark thread
 * (JMH's default); with {@code -t N} the shared cursor races, harmlessly.
 */
@State(Scope.Benchmark)
public class TreeState {
  /** The competitor; see {@link Impl}. */
  @Param({"layerfs", "container", "default", "zipfs", "jimfs"})
  public String impl;

  OpenTree tree;
  Path[] files;
  Path[] smallFiles;
  Path[] missing;
  Path bigDir;
  Path bigFile;
  long bigFileSize;
  long[] blockOffsets;
  FileChannel bigChannel;
  final ByteBuffer block = ByteBuffer.allocateDirect(4096);
  final ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
  final NullChannel nullChannel = new NullChannel();
  private int cursor;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    Fixture fixture = Fixture.get();
    Keys keys = fixture.keys();
    tree = Impl.of(impl).open(fixture, "bench");
    files = resolve(Keys.sample(keys.files(), 1));
    smallFiles = resolve(Keys.sample(keys.smallFiles(), 2));
    missing = resolve(keys.missing());
    bigDir = tree.root().resolve(keys.bigDir());
    bigFile = tree.root().resolve(keys.bigFile());
    bigFileSize = keys.bigFileSize();
    blockOffsets = keys.blockOffsets();
    long entries;
    try (Stream<Path> all = Files.walk(tree.root())) {
      entries = all.count();
    }
    // comparing different trees would be meaningless (a copy out of an existing image lacks
    // its devices and fifos, so only the generated tree must match exactly)
    if (entries != keys.entries() && fixture.isGenerated()) {
      throw new IllegalStateException(impl + " shows " + entries + " entries, the host copy "
          + keys.entries() + ": the copies of the tree differ");
    }
    bigChannel = FileChannel.open(bigFile, StandardOpenOption.READ);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try (OpenTree t = tree) {
      if (bigChannel != null) {
        bigChannel.close();
      }
    }
  }

  /** The index of the next key. */
  int next() {
    return cursor++ & (Keys.SAMPLES - 1);
  }

  private Path[] resolve(List<String> keys) {
    Path[] out = new Path[keys.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = tree.root().resolve(keys.get(i));
    }
    return out;
  }
}
