package io.layerfs.core.content;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerfs.core.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several threads, and several processes, creating one store at once: each must succeed and
 * every tag each wrote must survive, as two {@code docker pull}s into one new directory do.
 */
class ContentStoreCreationTest {
  private static final int WRITERS = 6;

  @TempDir Path tmp;

  /** The child process: opens (creating) the store {@code args[0]} and tags {@code args[1]}. */
  public static void main(String[] args) throws IOException {
    tagOne(Path.of(args[0]), args[1]);
  }

  private static void tagOne(Path dir, String tag) throws IOException {
    ContentStore store = ContentStore.open(dir);
    Digest manifest = store.write(("{\"schemaVersion\":2,\"mediaType\":"
        + "\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[],\"annotations\":"
        + "{\"writer\":\"" + tag + "\"}}").getBytes(StandardCharsets.UTF_8));
    store.tag(tag, manifest);
  }

  @Test
  void threadsCreatingOneStoreAllSucceedAndKeepTheirTags() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    try {
      for (int round = 0; round < 30; round++) {
        Path dir = tmp.resolve("store-" + round);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          String tag = "w" + w;
          done.add(pool.submit(() -> {
            tagOne(dir, tag);
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get(30, TimeUnit.SECONDS); // rethrows a writer's failure
        }
        assertEquals(expectedTags(), tagsOf(dir), "round " + round);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void processesCreatingOneStoreAllSucceedAndKeepTheirTags() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int round = 0; round < 3; round++) {
      Path dir = tmp.resolve("store-" + round);
      List<Process> children = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        children.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
            ContentStoreCreationTest.class.getName(), dir.toString(), "w" + w)
            .redirectErrorStream(true).start());
      }
      for (Process child : children) {
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), "a writer failed: " + out);
      }
      assertEquals(expectedTags(), tagsOf(dir), "round " + round);
    }
  }

  private static List<String> tagsOf(Path dir) throws IOException {
    return ContentStore.open(dir).tags().stream().sorted().toList();
  }

  private static List<String> expectedTags() {
    List<String> tags = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      tags.add("w" + w);
    }
    return tags;
  }
}
