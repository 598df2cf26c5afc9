package io.layerfs.bench;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Random;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A writable place for one competitor ({@code impl}) of {@link WriteBenchmark}:
 *
 * <ul>
 *   <li>layerfs: a fresh writable container of the benchmark image ({@link Fixture#store()}),
 *       removed after the trial; everything written goes to its upper layer;
 *   <li>default: a fresh host directory in the benchmark cache directory, so on the same file
 *       system as layerfs' upper layer;
 *   <li>zipfs: a new zip (STORED entries) in the same directory; zipfs keeps new entries in
 *       memory and in temporary files until it is closed;
 *   <li>jimfs: an empty Jimfs.
 * </ul>
 *
 * <p>Setup writes the {@value #UPPER_MIB} MiB file the overwrite benchmark rewrites (for layerfs
 * an upper file, not a lower one: {@link CopyUpBenchmark} measures those) and opens it for
 * reading and writing. Each iteration gets a new empty directory for the new files, deleted after
 * the iteration (outside the measured time) so that memory-backed competitors do not fill up.
 * Nothing is forced to disk by any competitor: what is compared is the file system code, with
 * the host's page cache under both layerfs and the default provider.
 *
 * <p>Not final and public because JMH subclasses state classes. Meant for one benchmark thread.
 */
@State(Scope.Benchmark)
public class WriteState {
  static final int UPPER_MIB = 16;
  static final int BLOCK = 4096;
  static final long SEED = 0x3717eL;

  /** The competitor; see {@link Impl} (here each starts empty, only layerfs has lower files). */
  @Param({"layerfs", "default", "zipfs", "jimfs"})
  public String impl;

  final byte[] small = new byte[BLOCK];
  final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
  final ByteBuffer mib = ByteBuffer.allocateDirect(1 << 20);
  long[] offsets;
  Path work;
  Path bigFile;
  Path iterationDir;
  FileChannel upperChannel;
  int fileNumber;
  private int iteration;
  private int cursor;
  private FileSystem fs;
  private Path hostDir;
  private Path zip;
  private Path store;
  private String container;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    Random random = new Random(SEED);
    random.nextBytes(small);
    byte[] pattern = new byte[1 << 20];
    random.nextBytes(pattern);
    mib.put(pattern).flip();
    block.put(small).flip();
    offsets = new long[Keys.SAMPLES];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = (long) random.nextInt((UPPER_MIB << 20) / BLOCK) * BLOCK;
    }
    Path base = Fixture.baseDir();
    Files.createDirectories(base);
    String unique = "write-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    switch (Impl.of(impl)) {
      case LAYERFS -> {
        Fixture fixture = Fixture.get();
        store = fixture.store();
        Containers.removeStale(store, "bench-write");
        container = Containers.newName("bench-write");
        fs = Containers.open(store, fixture.image(), container);
        work = fs.getPath("/bench-write");
      }
      case DEFAULT -> {
        hostDir = base.resolve(unique);
        work = hostDir;
      }
      case ZIPFS -> {
        zip = base.resolve(unique + ".zip");
        fs = FileSystems.newFileSystem(zip, Map.of("create", "true", "noCompression", "true"));
        work = fs.getPath("/bench-write");
      }
      case JIMFS -> {
        fs = Jimfs.newFileSystem(Configuration.unix().toBuilder().setWorkingDirectory("/").build());
        work = fs.getPath("/bench-write");
      }
    }
    Files.createDirectories(work);
    bigFile = work.resolve("big");
    Path upper = work.resolve("upper");
    upperChannel = FileChannel.open(upper, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    for (int i = 0; i < UPPER_MIB; i++) {
      ByteBuffer b = mib.duplicate();
      while (b.hasRemaining()) {
        upperChannel.write(b);
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
      if (upperChannel != null) {
        upperChannel.close();
      }
    } finally {
      if (container != null) {
        Containers.remove(fs, store, container);
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

  /** The offset of the next 4 KiB block to rewrite. */
  long nextOffset() {
    return offsets[cursor++ & (Keys.SAMPLES - 1)];
  }
}
