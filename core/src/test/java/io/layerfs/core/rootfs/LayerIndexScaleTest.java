package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds, writes and loads big synthetic indexes; prints load time and heap per entry. */
class LayerIndexScaleTest {

  static LayerIndex synthetic(int n) throws IOException {
    LayerIndexBuilder b = new LayerIndexBuilder();
    int perDir = 100;
    for (int i = 0; i < n; i++) {
      LayerIndexBuilder.Inode ino = new LayerIndexBuilder.Inode();
      ino.mode = 0644;
      ino.uname = "root";
      ino.gname = "root";
      ino.mtimeNanos = 1_700_000_000_000_000_000L + i;
      ino.size = i % 4096;
      ino.dataOffset = 512L * i;
      int d = i / perDir;
      b.add("usr/share/pkg" + (d / 100) + "/dir" + d + "/file-" + i + ".txt", ino);
    }
    return b.build();
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  private static void measure(int n, Path dir) throws IOException {
    Path f = dir.resolve("index-" + n);
    synthetic(n).write(f);
    LayerIndex.read(f); // warm up class loading and the page cache
    long before = usedHeap();
    long start = System.nanoTime();
    LayerIndex x = LayerIndex.read(f);
    long nanos = System.nanoTime() - start;
    long after = usedHeap();
    int e = x.find("/usr/share/pkg0/dir7/file-777.txt");
    assertTrue(e > 0);
    assertEquals(777, x.size(e));
    System.out.printf("LayerIndex %,d entries (%,d with dirs): file %,d bytes, load %.2f ms, "
            + "heap %.2f bytes/entry, weight %,d%n", n, x.size(), Files.size(f), nanos / 1e6,
        (after - before) / (double) x.size(), x.weight());
  }

  @Test
  void tenThousandAndAMillionEntries(@TempDir Path dir) throws IOException {
    measure(10_000, dir);
    measure(1_000_000, dir);
  }
}
