package io.layerfs.provider.contract;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paths a directory stream listed, read again and again by some threads while others replace
 * what they name: a read that begins after a replacement ended sees it (or a later one), never
 * the node kept from before (a container keeps a listed path's node while nothing changed, and
 * checks that without its lock). Each writer owns one symbolic link, whose target is a counter
 * it raises with each replacement (a new link renamed over the old one); readers read the links
 * through paths listed once. In a container, in one with a volume mounted elsewhere, and in a
 * volume (a host directory). Runs 2 s each; {@code -Dlayerfs.concurrency.seconds=N} runs longer.
 */
class ListedPathsRaceTest {
  private static final int LINKS = 3;
  private static final int READERS = 3;

  @TempDir static Path store;

  @BeforeAll
  static void buildImage() throws IOException {
    FixtureImages.build(store);
  }

  @Test
  void aContainersListedPathsSeeEveryReplacementThatEndedBefore() throws Exception {
    race("race", Map.of("store", store, "image", FixtureImages.TAG));
  }

  @Test
  void listedPathsOfAContainerWithAMountSeeEveryReplacementThatEndedBefore() throws Exception {
    race("race-mounted", Map.of("store", store, "image", FixtureImages.TAG, "mounts",
        List.of("type=volume,source=race,target=/mnt/volume,volume-nocopy")));
  }

  @Test
  void listedPathsInAVolumeSeeEveryReplacementThatEndedBefore() throws Exception {
    race("race-volume", Map.of("store", store, "image", FixtureImages.TAG, "mounts",
        List.of("type=volume,source=race-volume,target=/mnt/volume,volume-nocopy")),
        "/mnt/volume");
  }

  private static void race(String name, Map<String, Object> env) throws Exception {
    race(name, env, "/");
  }

  /** Runs the race in directories made under {@code under}. */
  private static void race(String name, Map<String, Object> env, String under)
      throws Exception {
    long seconds = Long.getLong("layerfs.concurrency.seconds", 2);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name), env)) {
      Path dir = Files.createDirectory(fs.getPath(under, "race"));
      Path scratch = Files.createDirectory(fs.getPath(under, "scratch"));
      for (int i = 0; i < LINKS; i++) {
        Files.createSymbolicLink(dir.resolve("l" + i), fs.getPath("0"));
      }
      // what each writer has finished installing: a read that starts later must see it
      AtomicLongArray ended = new AtomicLongArray(LINKS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      ExecutorService pool = Executors.newFixedThreadPool(LINKS + READERS);
      try {
        List<Future<Long>> done = new ArrayList<>();
        for (int i = 0; i < LINKS; i++) {
          int link = i;
          done.add(pool.submit(() -> {
            Path temp = scratch.resolve("t" + link);
            long v = 0;
            while (System.nanoTime() < deadline) {
              v++;
              Files.createSymbolicLink(temp, fs.getPath(Long.toString(v)));
              Files.move(temp, dir.resolve("l" + link), ATOMIC_MOVE);
              ended.set(link, v);
            }
            return v;
          }));
        }
        for (int r = 0; r < READERS; r++) {
          done.add(pool.submit(() -> {
            Map<String, Path> listed = list(dir);
            long reads = 0;
            while (System.nanoTime() < deadline) {
              for (int i = 0; i < LINKS; i++) {
                Path p = listed.get("l" + i);
                if (p == null) {
                  // rename(2) replaces a name at once: a listing never lacks it
                  throw new AssertionError("a listing of " + dir + " lacks l" + i + ": "
                      + listed.keySet());
                }
                for (int twice = 0; twice < 2; twice++) {
                  long before = ended.get(i);
                  long seen = Long.parseLong(Files.readSymbolicLink(p).toString());
                  if (seen < before) {
                    throw new AssertionError(p + ": read " + seen + " after " + before
                        + " was installed");
                  }
                  reads++;
                }
              }
              if (reads % 1000 == 0) {
                listed = list(dir); // new paths from time to time, listed amid the changes
              }
            }
            return reads;
          }));
        }
        long total = 0;
        for (Future<Long> f : done) {
          total += f.get(seconds + 60, TimeUnit.SECONDS);
        }
        assertTrue(total > 0, "nothing ran");
      } finally {
        pool.shutdownNow();
      }
      for (int i = 0; i < LINKS; i++) {
        assertEquals(Long.toString(ended.get(i)),
            Files.readSymbolicLink(dir.resolve("l" + i)).toString());
      }
    }
  }

  private static Map<String, Path> list(Path dir) throws IOException {
    Map<String, Path> listed = new HashMap<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        listed.put(p.getFileName().toString(), p);
      }
    }
    return listed;
  }
}
