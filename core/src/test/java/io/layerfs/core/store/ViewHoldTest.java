package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.GcReport;
import io.layerfs.testing.ImageBuilder;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Views keep their images from gc in their own JVM (another JVM's: {@link StoreProcessTest}):
 * an image no tag names any more stays whole while a view of it is open, and goes once it
 * closes; the hold file of a process that died goes at the next gc.
 */
class ViewHoldTest {
  @TempDir Path tmp;

  @Test
  void anOpenViewKeepsItsUntaggedImageUntilItCloses() throws Exception {
    Path dir = storeOfHeld();
    try (Store store = Store.open(dir)) {
      FileTree view = store.view("held:1");
      FileTree second = store.openImage("held:1", null, null);
      assertEquals(2, holdFiles(dir).size(), "one hold per open view");
      assertTrue(store.untag("held:1"));

      GcReport kept = store.gc(false);
      assertEquals(List.of(), kept.removed(), "gc took what open views read");
      assertEquals(List.of(), kept.problems());
      assertEquals("held\n", read(view, "/etc/motd"), "read after gc");
      view.close();
      assertEquals(List.of(), store.gc(false).removed(GcReport.Kind.BLOB), "the second view's");

      second.close();
      assertEquals(List.of(), holdFiles(dir), "closed views leave no hold file");
      GcReport freed = store.gc(false);
      assertEquals(3, freed.removed(GcReport.Kind.BLOB).size(), "manifest, config, layer");
      assertEquals(1, freed.removed(GcReport.Kind.UNCOMPRESSED_LAYER).size());
    }
  }

  @Test
  void anImageAProgramHoldsIsKeptUntilTheHoldCloses() throws Exception {
    Path dir = storeOfHeld();
    try (Store store = Store.open(dir)) {
      Closeable hold = store.holdImage("held:1");
      store.untag("held:1");
      assertEquals(List.of(), store.gc(false).removed());
      hold.close();
      hold.close(); // twice is harmless
      assertEquals(3, store.gc(false).removed(GcReport.Kind.BLOB).size());
    }
  }

  @Test
  void manyThreadsOpenViewsOfOneImageAtOnce() throws Exception {
    Path dir = storeOfHeld();
    try (Store store = Store.open(dir)) {
      store.view("held:1").close(); // the layer indexed once
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<Integer>> opened = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          opened.add(pool.submit(() -> {
            int n = 0;
            for (; n < 100; n++) {
              try (FileTree view = store.view("held:1")) {
                assertEquals("held\n", read(view, "/etc/motd"));
              }
            }
            return n;
          }));
        }
        for (Future<Integer> f : opened) {
          assertEquals(100, f.get(60, TimeUnit.SECONDS));
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(List.of(), holdFiles(dir));
    }
  }

  /** A directory in place of gc.lock keeps gc from running: views open, without a hold. */
  @Test
  void aViewOpensWhereTheGcLockFileIsDamaged() throws Exception {
    Path dir = storeOfHeld();
    Path gcLock = dir.resolve("layerfs/gc.lock");
    Files.deleteIfExists(gcLock);
    Files.createDirectories(gcLock);
    try (Store store = Store.open(dir); FileTree view = store.view("held:1")) {
      assertEquals("held\n", read(view, "/etc/motd"));
      assertEquals(List.of(), holdFiles(dir));
    }
  }

  @Test
  void gcRemovesTheHoldFileOfAViewWhoseProcessDied() throws Exception {
    Path dir = storeOfHeld();
    try (Store store = Store.open(dir)) {
      String dead = "999999-0123456789abcdef-sha256-"
          + store.image("held:1").manifestDigest().hex() + ".hold";
      Path views = Files.createDirectories(dir.resolve("layerfs/views"));
      Files.createFile(views.resolve(dead)); // as a killed view leaves it: no longer locked
      Files.createDirectory(views.resolve("not-a-hold.hold")); // not ours to judge: kept
      store.untag("held:1");

      GcReport dryRun = store.gc(true);
      assertEquals(List.of("layerfs/views/" + dead),
          dryRun.removed(GcReport.Kind.TEMP_FILE).stream().map(GcReport.Item::name).toList());
      assertEquals(3, dryRun.removed(GcReport.Kind.BLOB).size(), "a dead view holds nothing");
      assertEquals(1, holdFiles(dir).size(), "a dry run removes nothing");

      GcReport freed = store.gc(false);
      assertEquals(3, freed.removed(GcReport.Kind.BLOB).size());
      assertFalse(Files.exists(views.resolve(dead)));
      assertTrue(Files.isDirectory(views.resolve("not-a-hold.hold")));
    }
  }

  /** A store with one image, {@code held:1}, of one file, {@code /etc/motd}. */
  private Path storeOfHeld() throws Exception {
    Path dir = tmp.resolve("store");
    ImageBuilder.create(dir).layer().file("/etc/motd", "held\n").build("held:1");
    return dir;
  }

  private static String read(FileTree t, String path) throws Exception {
    try (FileHandle h = t.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) > 0) {
        // fill
      }
      return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }
  }

  private static List<Path> holdFiles(Path store) throws Exception {
    Path views = store.resolve("layerfs/views");
    if (!Files.isDirectory(views)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(views)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }
}
