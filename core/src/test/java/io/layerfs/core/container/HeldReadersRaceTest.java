package io.layerfs.core.container;

import static io.layerfs.core.container.ContainerFixture.opts;
import static io.layerfs.core.container.ContainerFixture.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileHandle;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * Channels held open on image files while other threads append to those files through their
 * paths (the first append copies the file up) or change their mode (a copy-up of metadata
 * only), and while the readers open and close channels of their own. Every whole read through
 * a held channel must be the image's bytes followed by whole appended blocks, with at most the
 * last one cut (a read racing an append), and must hold every block whose append ended before
 * the read began, whichever copy-up the channel was opened before: the kernel's overlay moves a
 * descriptor onto the copy-up (since Linux 4.19). At the end each file holds every append once.
 *
 * <p>Rounds of a tenth of a second, each in a new container so that each copies the files up
 * anew, the readers' first channels opened before it starts. Runs 2 s in CI; {@code
 * -Dlayerfs.concurrency.seconds=N} runs longer, and {@code -Dlayerfs.concurrency.seed=S} repeats
 * a run's choices (each failure prints its round's seed).
 */
class HeldReadersRaceTest {
  private static final List<String> FILES = List.of("/etc/hosts", "/d1/a", "/d2/c", "/big");
  private static final int WRITERS = 2;
  private static final int READERS = 4;
  private static final long ROUND_MILLIS = 100;

  @TempDir Path tmp;

  /** An append of {@code block} to file {@code file} that ran from {@code start} to {@code end}. */
  private record Append(int file, String block, long start, long end) {}

  @Test
  void heldChannelsOfImageFilesReadEveryAppendThatEndedBeforeTheRead() throws Exception {
    long seconds = Long.getLong("layerfs.concurrency.seconds", 2);
    long seed = Long.getLong("layerfs.concurrency.seed", System.nanoTime());
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS + READERS);
    int rounds = 0;
    long appended = 0;
    try (LayerStore layers = new LayerStore(store)) {
      // a new container each round, so that each round copies every file up again
      for (; rounds == 0 || System.nanoTime() < deadline; rounds++) {
        try (Container c = Container.open(store, layers, "held-" + rounds,
            ContainerFixture.IMAGE, false, List.of())) {
          appended += round(c, pool, seed + rounds);
        }
      }
    } finally {
      pool.shutdown();
    }
    System.out.println("HeldReadersRaceTest: " + rounds + " rounds, " + appended + " appends in "
        + seconds + " s, seed " + seed);
    assertTrue(appended > WRITERS, "the writers ran");
  }

  /** One round of {@link #ROUND_MILLIS} in container {@code c}; returns the appends made. */
  private static int round(Container c, ExecutorService pool, long seed) throws Exception {
    List<byte[]> image = new ArrayList<>();
    for (String f : FILES) {
      image.add(read(c, f));
    }
    ConcurrentLinkedQueue<Append> appends = new ConcurrentLinkedQueue<>();
    long origin = System.nanoTime();
    long deadline = origin + TimeUnit.MILLISECONDS.toNanos(ROUND_MILLIS);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < WRITERS; t++) {
      int thread = t;
      done.add(pool.submit(() -> {
        Random random = new Random(seed * 31 + thread);
        go.await();
        for (long n = 0; System.nanoTime() < deadline; n++) {
          int f = random.nextInt(FILES.size());
          if (random.nextInt(4) == 0) {
            c.setMode(FILES.get(f), true, random.nextBoolean() ? 0644 : 0600);
            continue;
          }
          String block = "<" + thread + ":" + n + ">";
          long start = System.nanoTime() - origin;
          ContainerFixture.write(c, FILES.get(f), block.getBytes(StandardCharsets.US_ASCII), 0,
              StandardOpenOption.WRITE, StandardOpenOption.APPEND);
          appends.add(new Append(f, block, start, System.nanoTime() - origin));
        }
        return null;
      }));
    }
    for (int t = 0; t < READERS; t++) {
      int thread = WRITERS + t;
      Random random = new Random(seed * 31 + thread);
      FileHandle[] held = new FileHandle[2];
      int[] heldFile = new int[2];
      for (int slot = 0; slot < held.length; slot++) {
        // opened before the round's copy-ups
        heldFile[slot] = random.nextInt(FILES.size());
        held[slot] = c.open(FILES.get(heldFile[slot]), opts(StandardOpenOption.READ), 0);
      }
      done.add(pool.submit(() -> {
        go.await();
        try {
          while (System.nanoTime() < deadline) {
            int slot = random.nextInt(held.length);
            if (random.nextInt(8) == 0) {
              held[slot].close();
              heldFile[slot] = random.nextInt(FILES.size());
              held[slot] = c.open(FILES.get(heldFile[slot]), opts(StandardOpenOption.READ), 0);
              continue;
            }
            long start = System.nanoTime() - origin;
            byte[] got = readWhole(held[slot]);
            check(got, image.get(heldFile[slot]), heldFile[slot], start, appends, seed);
          }
        } finally {
          for (FileHandle h : held) {
            h.close();
          }
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> d : done) {
      d.get(120, TimeUnit.SECONDS);
    }
    for (int f = 0; f < FILES.size(); f++) {
      byte[] last = read(c, FILES.get(f));
      check(last, image.get(f), f, System.nanoTime() - origin, appends, seed);
      int file = f;
      long expected = image.get(f).length + appends.stream().filter(a -> a.file() == file)
          .mapToLong(a -> a.block().length()).sum();
      assertTrue(last.length == expected, "seed " + seed + ": " + FILES.get(f) + " has "
          + last.length + " bytes after the round's appends, expected " + expected);
    }
    return appends.size();
  }

  private static byte[] readWhole(FileHandle h) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) h.size());
    while (b.hasRemaining() && h.read(b, b.position()) > 0) {
      // reads until the size seen at the start, or the end
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  /**
   * {@code got}: the image's bytes, then appended blocks, whole but maybe the last, holding
   * every append that ended before the read began.
   */
  private static void check(byte[] got, byte[] image, int file, long start,
      ConcurrentLinkedQueue<Append> appends, long seed) {
    String where = "seed " + seed + ": " + FILES.get(file) + " read through a held channel";
    assertTrue(got.length >= image.length, where + ": " + got.length + " bytes, the image has "
        + image.length);
    assertArrayEquals(image, Arrays.copyOf(got, image.length), where + ": the image's bytes");
    String tail = new String(got, image.length, got.length - image.length,
        StandardCharsets.US_ASCII);
    List<String> seen = new ArrayList<>();
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    int at = 0;
    while (at < tail.length()) {
      int close = tail.indexOf('>', at);
      if (close < 0) {
        rest.writeBytes(tail.substring(at).getBytes(StandardCharsets.US_ASCII));
        break;
      }
      seen.add(tail.substring(at, close + 1));
      at = close + 1;
    }
    String cut = rest.toString(StandardCharsets.US_ASCII);
    assertTrue(cut.isEmpty() || cut.startsWith("<") && cut.indexOf('<', 1) < 0,
        where + ": a torn block '" + cut + "'");
    for (String block : seen) {
      assertTrue(block.matches("<\\d+:\\d+>"), where + ": not a block: '" + block + "'");
    }
    for (Append a : appends) {
      if (a.file() == file && a.end() < start) {
        assertTrue(seen.contains(a.block()), where + " from " + start + " ns lacks "
            + a.block() + ", appended by " + a.end() + " ns");
      }
    }
  }
}
