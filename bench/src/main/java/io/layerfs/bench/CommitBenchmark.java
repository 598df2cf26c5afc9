package io.layerfs.bench;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
 * Commit of a changed tree (issue 5): a container's changes written as a new layer and image,
 * against packaging the same changes from the host file system, Jimfs or zipfs into the same kind
 * of layer blob.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar CommitBenchmark
 * java -jar bench/target/benchmarks.jar CommitBenchmark -p impl=layerfs,default -p compression=gzip
 * bench/run.sh CommitBenchmark -i 5       # also writes bench/results/latest.md
 * </pre>
 *
 * <p>The data ({@link ChangedTree}, cached under the benchmark directory as {@code commit-v1}):
 * an image of 4,200 files in one gzip layer and, made before the measured time, 1,000 files
 * rewritten or added (1 to 8 KiB), 100 lower files and two lower directories deleted, a lower
 * directory of 200 files renamed and 200 lower files chmod'ed: a layer of {@value
 * ChangedTree#EXPECTED_ENTRIES} entries, about 5 MiB of file bytes. {@code compression} is
 * {@code gzip} (what {@code docker commit} writes) or {@code none}.
 *
 * <ul>
 *   <li>layerfs: {@code Container.commit(null, CommitOptions.defaults().withCompression(c),
 *       Progress.NONE)} on a container created and changed through the NIO provider in the
 *       trial's setup (removed after the trial). It walks the upper layer, writes the tar into
 *       two blobs, compressed and (with gzip) as it is, each hashed, forced to disk and renamed
 *       into the store, then writes the image config and manifest, each forced too, and keeps the
 *       manifest untagged in index.json;
 *   <li>default: the same changes as an overlay upper directory on the host file system,
 *       packaged by {@link UpperTar} the way a naive {@code docker commit} does: a sorted walk, a
 *       PAX tar (Commons Compress), the DiffID, gzip and the blob's digest, into a host file
 *       forced to disk;
 *   <li>jimfs and zipfs: the same upper directory in Jimfs (filled in the trial's setup, with the
 *       POSIX attribute view for the modes) or in a zip of stored entries (with POSIX
 *       attributes), packaged by {@link UpperTar} into the same kind of host file.
 *       Neither has layers, so neither finds changes: their figure is only how fast packaging an
 *       upper tree that is already separate reads from them.
 * </ul>
 *
 * <p>What the peers leave out, so a ratio below 1 is partly these: finding the changes (the upper
 * directory is given), the image config and manifest, the rename into the store; they also write
 * file times in whole seconds, where layerfs keeps nanoseconds in PAX records.
 *
 * <p>Single-shot. The trial's setup commits (or packages) once, outside the measured time, reads
 * the layer back and fails unless it holds {@value ChangedTree#EXPECTED_ENTRIES} entries and its
 * tar hashes to the DiffID the writer gave; it keeps that DiffID. After each invocation (not
 * timed) the teardown fails unless the result has that DiffID (and, for layerfs, the image has
 * the base's layers plus one), so a broken run fails instead of timing nothing; then it deletes
 * what the invocation wrote (the new blobs, or the peer's file), so every invocation writes into
 * the same store.
 *
 * <p>Not final and public because JMH subclasses benchmark classes.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@State(Scope.Benchmark)
public class CommitBenchmark {
  private static final int VERSION = 1;

  /** The competitor; see the class doc. */
  @Param({"layerfs", "default", "jimfs", "zipfs"})
  public String impl;

  /** The layer's compression: {@code gzip} (as {@code docker commit}) or {@code none}. */
  @Param({"gzip", "none"})
  public String compression;

  private Impl competitor;
  private Compression codec;
  private Path store;
  private Path work;
  private int invocation;
  // layerfs
  private String containerName;
  private ContentStore content;
  private LayerStore layers;
  private Container container;
  private Set<Digest> baseBlobs;
  private int baseLayers;
  private Image committed;
  // the peers
  private FileSystem peerFs;
  private Path upperRoot;
  private Path out;
  private UpperTar.Packed packed;
  private Digest expectedDiffId;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    competitor = Impl.of(impl);
    codec = switch (compression) {
      case "gzip" -> Compression.GZIP;
      case "none" -> Compression.NONE;
      default -> throw new IllegalArgumentException(
          "CommitBenchmark knows compression gzip and none, not " + compression);
    };
    Path cache = Fixture.baseDir().resolve(String.format(Locale.ROOT, "commit-v%d", VERSION));
    Files.createDirectories(cache);
    work = cache.resolve("work-" + ProcessHandle.current().pid());
    Trees.deleteRecursively(work);
    Files.createDirectories(work);
    UpperTar.Readback read = null;
    Digest written = null;
    switch (competitor) {
      case LAYERFS -> {
        store = Fixture.once(cache.resolve("store"), ChangedTree::writeImage);
        Containers.removeStale(store, "bench-commit");
        containerName = Containers.newName("bench-commit");
        try (FileSystem fs = Containers.open(store, ChangedTree.TAG, containerName)) {
          ChangedTree.change(fs.getPath("/"));
        }
        content = ContentStore.open(store);
        layers = new LayerStore(content);
        container = Container.open(content, layers, containerName, null, false);
        Image base = container.image();
        baseLayers = base.layers().size();
        baseBlobs = new HashSet<>(List.of(base.manifestDigest(), base.configDigest()));
        base.layers().forEach(l -> baseBlobs.add(l.digest()));
        Image first = commitOnce();
        Layer top = first.layers().get(first.layers().size() - 1);
        try (InputStream in = content.openBlob(top.digest())) {
          read = UpperTar.readBack(in);
        }
        written = top.diffId();
        deleteBlobs(first);
      }
      case DEFAULT -> upperRoot = Fixture.once(cache.resolve("upper"), ChangedTree::writeUpper);
      case JIMFS -> {
        // the posix view keeps the chmod'ed files' modes (Configuration.unix() has only basic)
        peerFs = Jimfs.newFileSystem(Configuration.unix().toBuilder().setWorkingDirectory("/")
            .setAttributeViews("basic", "owner", "posix").build());
        upperRoot = peerFs.getPath("/");
        ChangedTree.writeUpper(upperRoot);
      }
      case ZIPFS -> {
        Path zip = Fixture.once(cache.resolve("upper.zip"), tmp -> {
          try (FileSystem z = FileSystems.newFileSystem(tmp, zipEnv(true))) {
            ChangedTree.writeUpper(z.getPath("/"));
          }
        });
        peerFs = FileSystems.newFileSystem(zip, zipEnv(false));
        upperRoot = peerFs.getPath("/");
      }
    }
    if (competitor != Impl.LAYERFS) {
      Path first = work.resolve("first");
      UpperTar.Packed p = UpperTar.pack(upperRoot, first, codec);
      try (InputStream in = Files.newInputStream(first)) {
        read = UpperTar.readBack(in);
      }
      Files.delete(first);
      if (p.entries() != read.entries()) {
        throw new IllegalStateException("CommitBenchmark: " + impl + " wrote " + p.entries()
            + " entries, its tar holds " + read.entries());
      }
      written = p.diffId();
    }
    if (read.entries() != ChangedTree.EXPECTED_ENTRIES || !read.diffId().equals(written)) {
      throw new IllegalStateException("CommitBenchmark: the layer of " + impl + " holds "
          + read.entries() + " entries, DiffID " + read.diffId() + "; expected "
          + ChangedTree.EXPECTED_ENTRIES + " entries (else the changed trees differ) and the"
          + " DiffID the writer gave, " + written);
    }
    expectedDiffId = written;
    System.err.println("layerfs-bench: CommitBenchmark " + impl + ": " + read.entries()
        + " entries, " + read.tarBytes() + " bytes of tar, DiffID " + expectedDiffId);
  }

  @TearDown(Level.Invocation)
  public void check() throws IOException {
    if (competitor == Impl.LAYERFS) {
      Image image = committed;
      committed = null;
      if (image == null) {
        throw new IllegalStateException("CommitBenchmark: no image committed (layerfs)");
      }
      try {
        List<Layer> l = image.layers();
        if (l.size() != baseLayers + 1 || !l.get(l.size() - 1).diffId().equals(expectedDiffId)) {
          throw new IllegalStateException("CommitBenchmark: image " + image.manifestDigest()
              + " has " + l.size() + " layers, top DiffID " + l.get(l.size() - 1).diffId()
              + "; expected " + (baseLayers + 1) + " and " + expectedDiffId);
        }
      } finally {
        deleteBlobs(image);
      }
    } else {
      UpperTar.Packed p = packed;
      packed = null;
      try {
        if (p == null || p.entries() != ChangedTree.EXPECTED_ENTRIES
            || !p.diffId().equals(expectedDiffId)) {
          throw new IllegalStateException("CommitBenchmark: " + impl + " wrote " + p
              + "; expected " + ChangedTree.EXPECTED_ENTRIES + " entries and DiffID "
              + expectedDiffId);
        }
      } finally {
        Files.deleteIfExists(out);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try {
      if (container != null) {
        container.close();
      }
      if (layers != null) {
        layers.close();
      }
      if (containerName != null) {
        Container.remove(content, containerName);
      }
      if (peerFs != null) {
        peerFs.close();
      }
    } finally {
      container = null;
      layers = null;
      containerName = null;
      peerFs = null;
      Trees.deleteRecursively(work);
    }
  }

  /**
   * Writes the changes as a layer:
   * {@code java -jar bench/target/benchmarks.jar CommitBenchmark.commit}.
   */
  @Benchmark
  public Object commit() throws IOException {
    if (competitor == Impl.LAYERFS) {
      committed = commitOnce();
      return committed;
    }
    out = work.resolve("layer-" + invocation++);
    packed = UpperTar.pack(upperRoot, out, codec);
    return packed;
  }

  private Image commitOnce() throws IOException {
    return container.commit(null, CommitOptions.defaults().withCompression(codec),
        Progress.NONE);
  }

  /**
   * Deletes the blobs {@code image} added to the store (never one of the base image's) and its
   * untagged index.json entry, so that index.json does not grow from one invocation to the next.
   */
  private void deleteBlobs(Image image) throws IOException {
    content.forgetUntagged(image.manifestDigest());
    List<Digest> added = new ArrayList<>(List.of(image.manifestDigest(), image.configDigest()));
    image.layers().forEach(l -> added.add(l.digest()));
    for (Digest d : added) {
      if (!baseBlobs.contains(d)) {
        Files.deleteIfExists(content.blobPath(d));
      }
    }
  }

  private static Map<String, Object> zipEnv(boolean create) {
    return create
        ? Map.of("create", "true", "noCompression", "true", "enablePosixFileAttributes", "true")
        : Map.of("enablePosixFileAttributes", "true");
  }
}
