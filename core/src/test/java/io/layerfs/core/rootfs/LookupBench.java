package io.layerfs.core.rootfs;

import io.layerfs.core.Node;
import io.layerfs.core.Digest;
import io.layerfs.core.internal.PathNames;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A quick microbenchmark of {@link MergedTree#lookup} plus the attributes {@code
 * BasicFileAttributes} reads, on a 3-layer, 10,000-entry tree: warm up, then 1,000,000 lookups of
 * random existing paths, printing ns per lookup. Not a test (no timing assertions); the JMH
 * benchmarks in {@code bench} are the real measurement. Run its {@code main} on the test class
 * path.
 */
final class LookupBench {

  private LookupBench() {}

  public static void main(String[] args) throws IOException {
    int lookups = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    List<String> paths = new ArrayList<>();
    MergedTree tree = tree(paths);
    Random rnd = new Random(42);
    String[] probe = new String[1 << 16];
    for (int i = 0; i < probe.length; i++) {
      probe[i] = paths.get(rnd.nextInt(paths.size()));
    }
    long sink = 0;
    for (int round = 0; round < 5; round++) {
      sink += run(tree, probe, lookups);
    }
    int rounds = 5;
    long best = Long.MAX_VALUE;
    for (int round = 0; round < rounds; round++) {
      long t0 = System.nanoTime();
      sink += run(tree, probe, lookups);
      long ns = System.nanoTime() - t0;
      best = Math.min(best, ns);
      System.out.printf("round %d: %.1f ns/lookup%n", round, (double) ns / lookups);
    }
    System.out.printf("best: %.1f ns/lookup (%d paths, sink %d)%n", (double) best / lookups,
        paths.size(), sink);
  }

  private static long run(MergedTree tree, String[] probe, int n) throws IOException {
    long sink = 0;
    int mask = probe.length - 1;
    for (int i = 0; i < n; i++) {
      Node node = tree.lookup(probe[i & mask], true);
      // what a BasicFileAttributes view reads
      sink += node.size() + node.mtimeNanos() + node.atimeNanos() + node.ctimeNanos()
          + node.fileKey() + node.type().code();
    }
    return sink;
  }

  /** Three layers of about 3,334 entries each, in directories up to 4 deep. */
  static MergedTree tree(List<String> paths) throws IOException {
    List<LayerIndex> indexes = new ArrayList<>();
    List<Digest> digests = new ArrayList<>();
    Random rnd = new Random(7);
    java.util.Set<String> all = new java.util.TreeSet<>();
    for (int l = 0; l < 3; l++) {
      TestTars t = new TestTars();
      for (int i = 0; i < 3334; i++) {
        StringBuilder p = new StringBuilder("usr");
        int depth = 1 + rnd.nextInt(4);
        for (int d = 0; d < depth; d++) {
          p.append('/').append(d == depth - 1 ? "file-" : "dir-").append(rnd.nextInt(12));
        }
        String path = p.toString();
        if (all.contains("/" + path) || hasFilePrefix(all, path)) {
          continue;
        }
        t.file(path, "x" + i);
        all.add("/" + path);
      }
      byte[] b = t.bytes();
      indexes.add(TarIndexer.index(new ByteArrayInputStream(b)));
      digests.add(Digest.sha256(b));
    }
    MergedTree tree = MergedTree.of(indexes, digests);
    for (String p : all) {
      String cur = "";
      for (String c : PathNames.components(p)) {
        cur = cur + "/" + c;
        paths.add(cur);
      }
    }
    return tree;
  }

  private static boolean hasFilePrefix(java.util.Set<String> files, String path) {
    String cur = "";
    for (String c : PathNames.components(path)) {
      cur = cur + "/" + c;
      if (files.contains(cur)) {
        return true;
      }
    }
    return false;
  }
}
