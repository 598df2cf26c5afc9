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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Threads that change one file at once through handles of their own (forces, truncations,
 * chmods) leave its last state as the log's last record of it, so that a crash replays what the
 * program saw, and a size that the data file holds.
 */
@ExtendWith(NoRunningCompaction.class)
class FileRecordOrderTest {
  private static final int ROUNDS = 16;
  private static final String WRITER = "record-order-writer";

  @TempDir Path tmp;
  OverlayFixture fx;
  ExecutorService pool;

  @BeforeEach
  void setUp() throws IOException {
    fx = new OverlayFixture(tmp);
    pool = Executors.newFixedThreadPool(2, r -> new Thread(r, WRITER + "-" + r.hashCode()));
  }

  @AfterEach
  void tearDown() throws IOException {
    pool.shutdownNow();
    fx.close();
  }

  /**
   * Each round, the log's appends are held back (this thread holds its monitor) while one thread
   * forces a handle that grew the file to 15 bytes and another truncates it to 4; once they may
   * append, both records go in. Before, the force took the file's state, let go of the file and
   * appended later, so the truncation's record could come first and a crash replay 15 bytes
   * over a 4-byte data file (about half the rounds).
   */
  @Test
  void aForceAndATruncationOfOneFileAtOnceLogTheLastStateLast() throws Exception {
    MetaLog log = fx.ov.tree().upper().metaLog();
    for (int round = 0; round < ROUNDS; round++) {
      String path = "/f" + round;
      write(path, "0123456789");
      try (FileHandle grown = fx.ov.open(path, Set.of(WRITE), 0);
          FileHandle cut = fx.ov.open(path, Set.of(WRITE), 0)) {
        grown.write(ByteBuffer.wrap("abcde".getBytes(StandardCharsets.UTF_8)), 10);
        Future<?> force;
        Future<?> truncate;
        synchronized (log) {
          force = pool.submit(() -> {
            grown.force(true);
            return null;
          });
          waitUntilBlocked(1);
          truncate = pool.submit(() -> {
            cut.truncate(4);
            return null;
          });
          waitUntilBlocked(2);
        }
        force.get(10, TimeUnit.SECONDS);
        truncate.get(10, TimeUnit.SECONDS);
        assertEquals(4, grown.size());
        try (Overlay crash = fx.crashView()) {
          assertEquals("0123", read(crash, path), "round " + round + ", as a crash leaves it");
        }
      }
    }
  }

  /**
   * A change of a file's metadata (chmod, chown, times, a hard link) takes the file's state into
   * its record under the tree's lock; a handle truncating the file between that and the record's
   * append logs the shorter size first. The change then logs the file again, so a crash replays
   * the truncation with the new mode. Before, it replayed the older 10 bytes over a 4-byte data
   * file.
   */
  @Test
  void aMetadataChangeOvertakenByATruncationLogsTheFileAgain() throws IOException {
    write("/g", "0123456789");
    UpperLayer upper = fx.ov.tree().upper();
    try (FileHandle cut = fx.ov.open("/g", Set.of(WRITE), 0)) {
      UpperFile f = (UpperFile) fx.ov.tree().resolve("/g", false, false).obj;
      UpperLayer.Batch chmod = upper.batch();
      synchronized (f) {
        f.mode = 0600;
      }
      chmod.entry(f); // the state, 10 bytes, as a chmod holding the tree's lock takes it
      cut.truncate(4); // another thread's handle, logged at once
      upper.commit(chmod);
      try (Overlay crash = fx.crashView()) {
        assertEquals("0123", read(crash, "/g"));
        assertEquals(0600, crash.lookup("/g", false).mode() & 07777);
      }
    }
    try (Overlay crash = fx.crashView()) {
      assertEquals("0123", read(crash, "/g"), "and after the handle's close");
    }
  }

  /**
   * Three threads writing, forcing, truncating and chmodding one file through handles of their
   * own, round after round: once they are done (their handles closed), the state a crash leaves
   * is the file as the program sees it, bytes and mode.
   */
  @Test
  void threadsChangingOneFileLeaveItsStateForACrash() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try {
      for (int round = 0; round < 150; round++) {
        String path = "/r" + round % 5;
        write(path, "start of round " + round);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
          long seed = round * 3L + t;
          done.add(threads.submit(() -> {
            Random random = new Random(seed);
            try (FileHandle h = fx.ov.open(path, Set.of(WRITE), 0)) {
              for (int op = 0; op < 12; op++) {
                switch (random.nextInt(4)) {
                  case 0 -> {
                    byte[] bytes = new byte[1 + random.nextInt(40)];
                    random.nextBytes(bytes);
                    h.write(ByteBuffer.wrap(bytes), random.nextInt(64));
                  }
                  case 1 -> h.force(true);
                  case 2 -> h.truncate(random.nextInt(48));
                  default -> fx.ov.setMode(path, false, 0600 | random.nextInt(0100));
                }
              }
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get(30, TimeUnit.SECONDS);
        }
        try (Overlay crash = fx.crashView()) {
          assertEquals(read(fx.ov, path), read(crash, path), "round " + round);
          assertEquals(fx.ov.lookup(path, false).mode(), crash.lookup(path, false).mode(),
              "round " + round);
        }
      }
    } finally {
      threads.shutdownNow();
    }
  }

  /**
   * Two handles truncating one file at once, to 8 and to 4 bytes, while a third forces it, leave
   * it 4 bytes, as the JDK's channels do (a truncation to a larger size changes nothing). Before,
   * a handle checked the size, then truncated: when the other cut the file to 4 between the two
   * (the force, holding the file, lets both queue), the file took 8 bytes over a 4-byte data
   * file, and its reads failed (`data file data/N is 4 bytes, shorter than the 8 bytes the logged
   * state holds`) in the running program and after a reopen (round 40 of 1,000, once).
   */
  @Test
  void twoTruncationsAtOnceLeaveTheShorterSize() throws Exception {
    write("/t", "0123456789");
    ExecutorService three = Executors.newFixedThreadPool(3);
    try (FileHandle to8 = fx.ov.open("/t", Set.of(WRITE), 0);
        FileHandle to4 = fx.ov.open("/t", Set.of(WRITE), 0);
        FileHandle forced = fx.ov.open("/t", Set.of(WRITE), 0)) {
      for (int round = 0; round < 1000; round++) {
        to8.write(ByteBuffer.wrap("0123456789".getBytes(StandardCharsets.UTF_8)), 0);
        CyclicBarrier start = new CyclicBarrier(3);
        List<Future<?>> done = new ArrayList<>();
        done.add(three.submit(() -> {
          start.await();
          forced.force(false); // holds the file while its data file is forced
          return null;
        }));
        done.add(three.submit(() -> {
          start.await();
          to8.truncate(8);
          return null;
        }));
        done.add(three.submit(() -> {
          start.await();
          to4.truncate(4);
          return null;
        }));
        for (Future<?> f : done) {
          f.get(10, TimeUnit.SECONDS);
        }
        assertEquals(4, to4.size(), "round " + round);
        assertEquals("0123", read(fx.ov, "/t"), "round " + round);
      }
    } finally {
      three.shutdownNow();
    }
    try (Overlay crash = fx.crashView()) {
      assertEquals("0123", read(crash, "/t"));
    }
  }

  /** Waits until {@code threads} of the pool wait for a monitor (the log's, or the file's). */
  private void waitUntilBlocked(int threads) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (blocked() < threads) {
      assertTrue(System.nanoTime() < deadline, "the writers did not reach the log");
      Thread.sleep(1);
    }
  }

  private static long blocked() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(WRITER) && t.getState() == Thread.State.BLOCKED)
        .count();
  }

  private void write(String path, String text) throws IOException {
    try (FileHandle h = fx.ov.open(path, Set.of(WRITE, CREATE, TRUNCATE_EXISTING), 0644)) {
      h.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
    }
  }

  private static String read(Overlay ov, String path) throws IOException {
    try (FileHandle h = ov.open(path, Set.of(READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) > 0) {
        // until full
      }
      return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }
  }
}
