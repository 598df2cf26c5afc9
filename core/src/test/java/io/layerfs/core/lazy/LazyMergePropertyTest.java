package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileTree;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.Props;
import io.layerfs.testing.RandomImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lazy merge against a view of the same image read whole, on random small images ({@link
 * RandomImage}: 1 to 4 layers of files, directories, symbolic links, hard links, whiteouts,
 * opaque directories, directories replaced by files and back; layers optionally led by an
 * incompressible file, so that their entries lie past the bytes a lookup scans and are found
 * by searching the stream). Every path
 * of up to three names (and some of four) is looked up, with and without following the last
 * link, in a random order: the merge must say what the view says (metadata, link target, error)
 * or that it cannot tell, and read the bytes the view reads.
 */
class LazyMergePropertyTest {
  @TempDir Path tmp;
  private int example;
  private int lazilyRead;

  // a fixed seed keeps CI repeatable; -Dlayerfs.qt.seed for new images, and
  // -Dlayerfs.fuzz.tries=N for a longer run (a fresh seed each run unless one is given)
  @Test
  void everyLookupIsTheViewsOrCannotTell() {
    Integer longer = Integer.getInteger("layerfs.fuzz.tries");
    Props p = longer != null ? Props.tries(longer) : Props.tries(60).seed(20261204);
    p.qt()
        .withShrinkCycles(200)
        .forAll(RandomImage.images(p))
        .checkAssert(Props.io(this::sameAsTheView));
    System.out.printf("%d images, %d read lazily%n", example, lazilyRead);
    assertTrue(lazilyRead > example / 2, lazilyRead + " of " + example + " read lazily");
  }

  private void sameAsTheView(RandomImage.Image image) throws IOException {
    Path dir = tmp.resolve("e" + example++);
    Path remote = dir.resolve("remote");
    RandomImage.build(image, ImageBuilder.create(remote), "img");
    List<String> wrong = new ArrayList<>();
    try (RangeServer server = new RangeServer(remote);
        Store lazy = LazyReadTest.storeWithMetadataOf(remote, "img", dir.resolve("local"));
        Store whole = Store.open(remote);
        FileTree view = whole.view("img")) {
      lazy.attachLazy("img", l -> server.blob(l.digest(), l.size()));
      LazyMerge merge = lazy.lazyMerge("img");
      if (merge == null) {
        return; // a layer the store holds already (an empty one): views read the image whole
      }
      lazilyRead++;
      List<String> queries = new ArrayList<>(RandomImage.paths());
      Collections.shuffle(queries, new Random(image.order()));
      for (String q : queries) {
        for (boolean follow : new boolean[] {true, false}) {
          String expected = LazyReadMergeTest.described(() -> view.lookup(q, follow));
          LazyEntry[] found = {null};
          String actual = LazyReadMergeTest.described(() -> found[0] = merge.find(q, follow));
          if (actual.equals("(cannot tell)")) {
            continue;
          }
          if (!expected.equals(actual)) {
            wrong.add(q + (follow ? "" : " (nofollow)") + ": " + actual + "\n    instead of "
                + expected);
            continue;
          }
          if (found[0] != null && found[0].type() == io.layerfs.core.EntryType.FILE) {
            String bytes = new String(merge.read(found[0]), StandardCharsets.UTF_8);
            String viewed = new String(LazyReadTest.read(view, q), StandardCharsets.UTF_8);
            if (!bytes.equals(viewed)) {
              wrong.add(q + " reads '" + bytes + "' instead of '" + viewed + "'");
            }
          }
        }
      }
    } finally {
      delete(dir);
    }
    assertEquals(List.of(), wrong, image.toString());
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
