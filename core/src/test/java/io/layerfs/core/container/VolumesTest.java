package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.content.ContentStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumesTest {
  @TempDir Path tmp;

  @Test
  void createMakesDockersLayoutAndIsIdempotent() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Path data = Volumes.create(store, "data");
    assertEquals(store.root().resolve("layerfs/volumes/data/_data"), data);
    assertTrue(Files.isDirectory(data));
    Files.writeString(data.resolve("kept.txt"), "still here");
    assertEquals(data, Volumes.create(store, "data"));
    assertEquals("still here", Files.readString(data.resolve("kept.txt")));
    assertEquals(data, Volumes.dataDir(store, "data"));
  }

  @Test
  void listIsSortedAndSkipsWhatIsNotAVolume() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    assertEquals(List.of(), Volumes.list(store));
    Volumes.create(store, "zeta");
    Volumes.create(store, "Alpha.1");
    Volumes.create(store, "m_2-x");
    Path root = store.root().resolve("layerfs/volumes");
    Files.createDirectories(root.resolve("no-data-dir"));
    Files.createDirectories(root.resolve(".hidden/_data"));
    Files.writeString(root.resolve("a-file"), "x");
    assertEquals(List.of("Alpha.1", "m_2-x", "zeta"), Volumes.list(store));
  }

  @Test
  void removalWaitsWhileAContainerMountsItsVolumes() throws Exception {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Volumes.create(store, "shared");
    java.util.concurrent.ExecutorService other =
        java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      java.util.concurrent.Future<?> rm;
      java.util.concurrent.Future<io.layerfs.core.VolumePruneReport> prune;
      try (VolumeLock mounting = VolumeLock.acquire(store)) {
        rm = other.submit(() -> {
          Volumes.removeUnused(store, "shared");
          return null;
        });
        prune = other.submit(() -> Volumes.prune(store));
        Thread.sleep(300);
        assertFalse(rm.isDone(), "a removal waits for the container mounting the volume");
        assertEquals(List.of("shared"), Volumes.list(store));
      }
      rm.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(List.of(),
          prune.get(10, java.util.concurrent.TimeUnit.SECONDS).volumes());
      assertEquals(List.of(), Volumes.list(store));
    } finally {
      other.shutdownNow();
    }
  }

  @Test
  void removeDeletesTheVolumeAndItsFiles() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Path data = Volumes.create(store, "web");
    Files.createDirectories(data.resolve("a/b"));
    Files.writeString(data.resolve("a/b/c.txt"), "c");
    Path outside = Files.writeString(tmp.resolve("outside.txt"), "not the volume's");
    Files.createSymbolicLink(data.resolve("link"), outside);
    Volumes.create(store, "other");
    Volumes.remove(store, "web");
    assertEquals(List.of("other"), Volumes.list(store));
    assertFalse(Files.exists(store.root().resolve("layerfs/volumes/web")));
    assertEquals("not the volume's", Files.readString(outside));
    try (var s = Files.list(store.root().resolve("layerfs/volumes"))) {
      assertEquals(List.of("other"), s.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void removeOfAMissingVolumeNamesIt() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> Volumes.remove(store, "ghost"));
    assertTrue(e.getReason().contains("no volume ghost"), e.getReason());
    assertThrows(NoSuchFileException.class, () -> Volumes.dataDir(store, "ghost"));
  }

  @Test
  void removeCleansLeftoversOfAnEarlierFailedRemove() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Path root = store.root().resolve("layerfs/volumes");
    Files.createDirectories(root.resolve(".removing-1234/_data/x"));
    Volumes.create(store, "v");
    Volumes.remove(store, "v");
    assertFalse(Files.exists(root.resolve(".removing-1234")));
  }

  @Test
  void pruneCleansLeftoversAlsoWhenNoVolumeIsUnused() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    assertEquals(List.of(), Volumes.prune(store).volumes(), "no volume yet");
    Path root = store.root().resolve("layerfs/volumes");
    Files.createDirectories(root.resolve(".removing-1234/_data/x"));
    assertEquals(List.of(), Volumes.prune(store).volumes());
    assertFalse(Files.exists(root.resolve(".removing-1234")));
  }

  @Test
  void badNamesAreRejectedByName() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    for (String bad : new String[] {"", "-x", ".x", "_x", "a/b", "..", "a b", "é",
        "x".repeat(256)}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Volumes.create(store, bad), bad);
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> Volumes.remove(store, bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> Volumes.create(store, null));
    assertEquals(List.of(), Volumes.list(store));
    Volumes.create(store, "x".repeat(255));
    Volumes.create(store, "7");
  }
}
