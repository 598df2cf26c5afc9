package io.layerfs.core.container;

import static io.layerfs.core.container.ContainerFixture.read;
import static io.layerfs.core.container.ContainerFixture.write;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads reading and replacing a few files of one container, checked against the model
 * of one register per file: each whole-file write (a private temp file renamed over the target,
 * which is atomic on Linux) installs a unique value, and every read must see exactly one value,
 * whole, that a write installed, no older than what real time allows.
 *
 * <p>The checks are sound (each failure is a real violation) though not complete: a read may not
 * see a value written after it ended, nor one that a write finished replacing before the read
 * began; a read that began after another read ended may not see a value older than the one the
 * other saw. Runs 2 s in CI; {@code -Dlayerfs.concurrency.seconds=N} runs longer, and {@code
 * -Dlayerfs.concurrency.seed=S} repeats a run's choices (each failure prints its seed).
 */
class ContainerLinearizabilityTest {
  private static final int FILES = 4;
  private static final int THREADS = 8;

  @TempDir Path tmp;

  /** One operation: a rename installing {@code value}, or a read that saw it. */
  record Op(boolean write, int file, long value, long start, long end) {}

  @Test
  void readsAndRenamesOfSharedFilesAreLinearizable() throws Exception {
    race("lin", List.of(), "");
  }

  /**
   * The same in a volume, a host directory, where a rename over a file must replace it at once
   * (one that unlinked the target first let reads find no file).
   */
  @Test
  void readsAndRenamesInAVolumeAreLinearizable() throws Exception {
    race("lin-volume", List.of("type=volume,source=lin,target=/v"), "/v");
  }

  /** The same in a bind mount of a host directory, which layerfs checks at every step. */
  @Test
  void readsAndRenamesInABindMountAreLinearizable() throws Exception {
    Path host = Files.createDirectories(tmp.resolve("bind"));
    race("lin-bind", List.of("type=bind,source=" + host + ",target=/b"), "/b");
  }

  /** The race in container {@code name} with {@code mounts}, its files under {@code root}. */
  private void race(String name, List<String> mounts, String root) throws Exception {
    long seconds = Long.getLong("layerfs.concurrency.seconds", 2);
    long seed = Long.getLong("layerfs.concurrency.seed", System.nanoTime());
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, name, ContainerFixture.IMAGE, false,
            mounts)) {
      String shared = root + "/shared";
      c.createDirectory(shared, 0755);
      c.createDirectory(root + "/scratch", 0755);
      ConcurrentLinkedQueue<Op> history = new ConcurrentLinkedQueue<>();
      for (int f = 0; f < FILES; f++) {
        long v = -1 - f;
        write(c, shared + "/f" + f, content(v), 0);
        history.add(new Op(true, f, v, 0, 0));
      }
      long origin = System.nanoTime();
      long deadline = origin + TimeUnit.SECONDS.toNanos(seconds);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          Random random = new Random(seed * 31 + thread);
          String temp = root + "/scratch/t" + thread;
          go.await();
          int ops = 0;
          for (long n = 0; System.nanoTime() < deadline; n++) {
            int f = random.nextInt(FILES);
            String path = shared + "/f" + f;
            if (random.nextInt(3) == 0) {
              long v = (long) thread << 40 | n;
              write(c, temp, content(v), 0);
              long start = System.nanoTime() - origin;
              c.move(temp, path, true);
              history.add(new Op(true, f, v, start, System.nanoTime() - origin));
            } else {
              long start = System.nanoTime() - origin;
              byte[] got = read(c, path);
              long end = System.nanoTime() - origin;
              history.add(new Op(false, f, value(got, path, seed), start, end));
            }
            ops++;
          }
          return ops;
        }));
      }
      go.countDown();
      int total = 0;
      for (Future<Integer> d : done) {
        total += d.get(seconds + 120, TimeUnit.SECONDS);
      }
      pool.shutdown();
      // a last read of each file, after every write
      for (int f = 0; f < FILES; f++) {
        long start = System.nanoTime() - origin;
        long v = value(read(c, shared + "/f" + f), shared + "/f" + f, seed);
        history.add(new Op(false, f, v, start, System.nanoTime() - origin));
      }
      System.out.println("ContainerLinearizabilityTest: " + total + " operations in " + seconds
          + " s, seed " + seed);
      assertTrue(total > THREADS, "the threads ran");
      for (int f = 0; f < FILES; f++) {
        int file = f;
        check(history.stream().filter(o -> o.file() == file).toList(), shared + "/f" + f, seed);
      }
    }
  }

  /** The bytes of value {@code v}: its decimal form repeated to a length it decides. */
  static byte[] content(long v) {
    String unit = v + ";";
    int repeat = 1 + (int) Math.floorMod(v * 2654435761L, 3000L);
    return unit.repeat(repeat).getBytes(StandardCharsets.US_ASCII);
  }

  /** The value a read saw; a torn or foreign content fails the test. */
  static long value(byte[] got, String path, long seed) {
    String s = new String(got, StandardCharsets.US_ASCII);
    int semi = s.indexOf(';');
    long v;
    try {
      v = Long.parseLong(s.substring(0, Math.max(0, semi)));
    } catch (NumberFormatException e) {
      throw new AssertionError("seed " + seed + ": " + path + " read as '"
          + s.substring(0, Math.min(40, s.length())) + "'");
    }
    if (!Arrays.equals(content(v), got)) {
      throw new AssertionError("seed " + seed + ": " + path + " read torn: value " + v + ", "
          + got.length + " bytes instead of " + content(v).length);
    }
    return v;
  }

  /** The register checks of one file's history. */
  static void check(List<Op> ops, String path, long seed) {
    Map<Long, Op> writes = new HashMap<>();
    List<Op> writeList = new ArrayList<>();
    List<Op> reads = new ArrayList<>();
    for (Op o : ops) {
      if (o.write()) {
        assertNull(writes.put(o.value(), o), "values are unique");
        writeList.add(o);
      } else {
        reads.add(o);
      }
    }
    // writes by end, with the latest start among those ending so far: a read may not see a
    // value that a write which ended before the read began had replaced
    writeList.sort(Comparator.comparingLong(Op::end));
    long[] writeEnds = writeList.stream().mapToLong(Op::end).toArray();
    long[] latestStart = new long[writeList.size()];
    Op[] latest = new Op[writeList.size()];
    for (int i = 0; i < writeList.size(); i++) {
      boolean take = i == 0 || writeList.get(i).start() > latestStart[i - 1];
      latestStart[i] = take ? writeList.get(i).start() : latestStart[i - 1];
      latest[i] = take ? writeList.get(i) : latest[i - 1];
    }
    for (Op r : reads) {
      Op w = writes.get(r.value());
      if (w == null) {
        throw new AssertionError("seed " + seed + ": " + path + " showed " + r.value()
            + ", which no write installed");
      }
      if (w.start() > r.end()) {
        throw new AssertionError("seed " + seed + ": " + path + " read " + r + " saw the write "
            + w + " that began after it ended");
      }
      int before = lastBelow(writeEnds, r.start());
      if (before >= 0 && latestStart[before] > w.end()) {
        throw new AssertionError("seed " + seed + ": " + path + " read " + r + " saw " + w
            + ", replaced by " + latest[before] + " before the read began");
      }
    }
    // new-old inversion: reads sorted by end, with the latest write-start seen so far
    reads.sort(Comparator.comparingLong(Op::end));
    long[] ends = reads.stream().mapToLong(Op::end).toArray();
    long[] newest = new long[reads.size()];
    Op[] newestRead = new Op[reads.size()];
    for (int i = 0; i < reads.size(); i++) {
      long s = writes.get(reads.get(i).value()).start();
      boolean take = i == 0 || s > newest[i - 1];
      newest[i] = take ? s : newest[i - 1];
      newestRead[i] = take ? reads.get(i) : newestRead[i - 1];
    }
    for (Op r2 : reads) {
      int before = lastBelow(ends, r2.start());
      if (before >= 0 && newest[before] > writes.get(r2.value()).end()) {
        throw new AssertionError("seed " + seed + ": " + path + " read " + r2 + " saw an older"
            + " value than the earlier read " + newestRead[before]);
      }
    }
  }

  /** The last index of sorted {@code a} whose value is below {@code x}, or -1. */
  private static int lastBelow(long[] a, long x) {
    int lo = 0;
    int hi = a.length; // first index with a[i] >= x
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo - 1;
  }

  @Test
  void theCheckerFindsAStaleRead() {
    // the checker itself must be able to fail: a read after a finished replacement sees the old
    List<Op> stale = List.of(new Op(true, 0, 1, 0, 10), new Op(true, 0, 2, 20, 30),
        new Op(false, 0, 1, 40, 50));
    assertTrue(fails(stale).contains("replaced by"));
    List<Op> future = List.of(new Op(true, 0, 1, 0, 10), new Op(true, 0, 2, 60, 70),
        new Op(false, 0, 2, 40, 50));
    assertTrue(fails(future).contains("began after"));
    List<Op> inversion = List.of(new Op(true, 0, 1, 0, 10), new Op(true, 0, 2, 20, 100),
        new Op(false, 0, 2, 30, 40), new Op(false, 0, 1, 50, 60));
    assertTrue(fails(inversion).contains("older value"));
    // overlapping: both orders are allowed
    check(List.of(new Op(true, 0, 1, 0, 10), new Op(true, 0, 2, 20, 100),
        new Op(false, 0, 1, 30, 40), new Op(false, 0, 2, 35, 60)), "/ok", 0);
  }

  private static String fails(List<Op> ops) {
    try {
      check(new ArrayList<>(ops), "/f", 0);
    } catch (AssertionError e) {
      return e.getMessage();
    }
    throw new AssertionError("no violation found in " + ops);
  }
}
