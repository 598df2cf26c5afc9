package io.layerfs.core.overlay;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer that keeps its container open compacts the metadata log into the snapshot as the log
 * grows, so the log stays bounded, and the state a crash would leave (the snapshot and the log
 * as they are, {@link OverlayFixture#crashView}) still holds every change: with threads whose
 * file records come outside the tree's lock, and with a compaction that fails.
 */
class RunningCompactionTest {
  private static final long SMALL = 8 << 10;

  @TempDir Path tmp;
  OverlayFixture fx;
  long compactAfter;

  @BeforeEach
  void setUp() throws IOException {
    compactAfter = UpperLayer.COMPACT_AFTER;
    UpperLayer.COMPACT_AFTER = SMALL;
    fx = new OverlayFixture(tmp);
  }

  @AfterEach
  void tearDown() throws IOException {
    UpperLayer.COMPACT_AFTER = compactAfter;
    fx.close();
  }

  @Test
  void aRunningWritersLogStaysBoundedAndLosesNothing() throws IOException {
    Map<String, String> expected = new TreeMap<>();
    fx.ov.createDirectory("/d", 0755);
    long firstGeneration = generation();
    for (int i = 0; i < 4000; i++) {
      String path = "/d/f" + i % 7;
      if (expected.remove(path) != null) {
        fx.ov.delete(path); // replaced by a new file, as a program's atomic save does
      }
      write(fx.ov, path, "round " + i);
      expected.put(path, "round " + i);
      if (i % 1000 == 999) {
        assertEquals(expected, crashFiles(), "as a crash would leave it, round " + i);
      }
    }
    assertTrue(generation() > firstGeneration + 10, "compacted as it ran: " + generation());
    long logBytes = Files.size(fx.dir.resolve(MetaLog.LOG));
    // the log's file holds the records since the last compaction and the zeros mapped ahead
    assertTrue(logBytes < SMALL + UpperLayer.RESERVE + MetaLog.GROW + (64 << 10),
        "the log stays bounded: " + logBytes);
    fx.reopen(false);
    assertEquals(expected, files(fx.ov));
  }

  @Test
  void recordsThatOtherThreadsLogMeanwhileAreKept() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        String path = "/t" + t;
        writers.add(pool.submit(() -> {
          for (int i = 0; i < 1500; i++) {
            write(fx.ov, path, "writer " + path + " at " + i); // logged at each close
          }
          return null;
        }));
      }
      for (int i = 0; i < 1500; i++) {
        fx.ov.createDirectory("/m" + i, 0755); // compacts under the tree's lock
      }
      for (Future<?> w : writers) {
        w.get();
      }
    } finally {
      pool.shutdownNow();
    }
    Map<String, String> expected = files(fx.ov);
    assertEquals("writer /t2 at 1499", expected.get("/t2"));
    try (Overlay crash = fx.crashView()) {
      assertEquals(expected, files(crash));
      assertEquals(1500 + 3, crash.list("/").stream().filter(n -> n.matches("[mt]\\d+")).count());
    }
  }

  /**
   * A file's record logged by another thread after the compaction took the state, before it
   * wrote it, is in the new snapshot: the log is emptied, so it would be lost otherwise (a
   * truncation: the snapshot would hold the longer size, which the data file no longer has).
   */
  @Test
  void aRecordLoggedAfterTheStateWasTakenIsKept() throws Exception {
    write(fx.ov, "/f1", "0123456789");
    FileHandle open = fx.ov.open("/f1", Set.of(WRITE), 0);
    long before = generation();
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      // this thread compacts as a change holding the tree's lock would; the other writes
      fx.ov.tree().upper().compactNow(() -> {
        try {
          other.submit(() -> {
            open.truncate(4); // logs its size at once, outside the tree's lock
            open.close();
            return null;
          }).get();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
    } finally {
      other.shutdownNow();
    }
    assertEquals(before + 1, generation(), "compacted");
    assertEquals("0123", crashFiles().get("/f1"));
  }

  @Test
  void aCompactionThatFailsChangesNothingAndIsTriedAgain() throws IOException {
    Path blocker = Files.createDirectory(fx.dir.resolve(MetaLog.SNAP + ".tmp"));
    Files.writeString(blocker.resolve("x"), "keeps the directory from being deleted");
    long before = generation();
    Map<String, String> expected = new TreeMap<>();
    for (int i = 0; i < 300; i++) {
      write(fx.ov, "/f" + i, "file " + i);
      expected.put("/f" + i, "file " + i);
    }
    assertEquals(before, generation(), "no snapshot could be written");
    assertEquals(expected, crashFiles(), "the log kept every record");
    Files.delete(blocker.resolve("x"));
    Files.delete(blocker);
    for (int i = 300; i < 1000; i++) {
      write(fx.ov, "/f" + i, "file " + i);
      expected.put("/f" + i, "file " + i);
    }
    assertTrue(generation() > before, "compacted once it could");
    assertEquals(expected, crashFiles());
  }

  private Map<String, String> crashFiles() throws IOException {
    try (Overlay crash = fx.crashView()) {
      return files(crash);
    }
  }

  /** The snapshot's generation, from its header. */
  private long generation() throws IOException {
    Path snap = fx.dir.resolve(MetaLog.SNAP);
    if (!Files.exists(snap)) {
      return 0;
    }
    return ByteBuffer.wrap(Files.readAllBytes(snap)).getLong(12);
  }

  private static void write(Overlay ov, String path, String text) throws IOException {
    try (FileHandle h = ov.open(path, Set.of(WRITE, CREATE, TRUNCATE_EXISTING), 0644)) {
      h.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
    }
  }

  /** Every regular file of the container but the image's, by path, with its text. */
  private static Map<String, String> files(Overlay ov) throws IOException {
    Map<String, String> out = new TreeMap<>();
    List<String> dirs = new ArrayList<>(List.of("/"));
    while (!dirs.isEmpty()) {
      String dir = dirs.remove(dirs.size() - 1);
      for (String name : ov.list(dir)) {
        String path = dir.equals("/") ? "/" + name : dir + "/" + name;
        var node = ov.lookup(path, false);
        if (node.isDirectory()) {
          dirs.add(path);
        } else if (node.isRegularFile() && (path.startsWith("/d/") || path.matches("/[tf]\\d+"))) {
          try (FileHandle h = ov.open(path, Set.of(READ), 0)) {
            ByteBuffer b = ByteBuffer.allocate((int) h.size());
            while (b.hasRemaining() && h.read(b, b.position()) > 0) {
              // until full
            }
            out.put(path, new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
          }
        }
      }
    }
    return out;
  }
}
