package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
  @TempDir Path tmp;

  /**
   * Two deleters of one tree (a volume removal and another process cleaning up what removals
   * left) both end without an error, whichever of them deletes each file.
   */
  @Test
  void twoDeletersOfOneTreeBothSucceed() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 40; round++) {
        Path tree = tmp.resolve("tree" + round);
        for (int d = 0; d < 20; d++) {
          Path dir = Files.createDirectories(tree.resolve("d" + d).resolve("sub"));
          for (int f = 0; f < 10; f++) {
            Files.writeString(dir.resolve("f" + f), "x");
            Files.writeString(dir.getParent().resolve("g" + f), "y");
          }
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> both = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          both.add(pool.submit(() -> {
            go.await();
            FileTrees.deleteTree(tree);
            return null;
          }));
        }
        go.countDown();
        for (Future<?> f : both) {
          f.get(); // an error in either deleter fails the test, naming the round below
        }
        assertFalse(Files.exists(tree), "round " + round);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aMissingTreeIsNoError() throws IOException {
    FileTrees.deleteTree(tmp.resolve("none"));
    try (var left = Files.list(tmp)) {
      assertEquals(0, left.count());
    }
  }
}
