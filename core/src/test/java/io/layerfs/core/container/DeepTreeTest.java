package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.layerfs.core.Change;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2,000-level-deep directory of an image: a container resolves a path in steps proportional
 * to its depth (each step from the parent's node, not again from the root), so walking it and
 * writing at its bottom take time proportional to its size, and diff and commit walk it without
 * a deep Java stack. Before, one lookup cost depth squared and this walk did not finish in
 * minutes, and diff overflowed the stack.
 */
class DeepTreeTest {
  private static final int DEPTH = 2000;

  @TempDir Path tmp;

  @Test
  void aDeepTreeWalksWritesDiffsAndCommitsInTime() throws IOException {
    StringBuilder p = new StringBuilder();
    ImageBuilder b = ImageBuilder.create(tmp).layer();
    for (int i = 0; i < DEPTH; i++) {
      p.append("/d");
      b.dir(p.toString());
    }
    String bottom = p.toString();
    b.file(bottom + "/leaf", "deep\n");
    b.build("deep:1");
    try (Store store = Store.open(tmp);
        Container c = store.container("deep", "deep:1", false)) {
      assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
        // a walk: list each directory and look up each entry, as Files.walk does
        String dir = "/";
        int seen = 0;
        while (true) {
          List<String> names = c.list(dir);
          for (String name : names) {
            Node n = c.lookup(dir.equals("/") ? "/" + name : dir + "/" + name, false);
            seen++;
            if (n.isDirectory()) {
              dir = n.path();
            }
          }
          if (names.equals(List.of("leaf"))) {
            break;
          }
        }
        assertEquals(DEPTH + 1, seen);
        c.open(bottom + "/new", Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            0644).close();
        assertEquals(bottom + "/new", c.lookup(bottom + "/new", false).path());
        List<Change> changes = c.diff();
        assertEquals(DEPTH + 1, changes.size(), "every directory on the way changed, one added");
        assertEquals(new Change(Change.Kind.ADDED, bottom + "/new"), changes.get(DEPTH));
        c.commit("deep:2", CommitOptions.defaults(), Progress.NONE);
      });
    }
  }
}
