package io.layerfs.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.Props;
import io.layerfs.testing.RandomImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A view opened with env {@code lazy} on random small images ({@link RandomImage}) served by a
 * loopback registry, against a view of the same image opened whole, through the JDK's calls
 * (existence, attributes with and without following links, link targets, real paths, bytes):
 * every path of up to three names and variants of some of them ("." and ".." on the way, a
 * trailing slash or "/.", doubled slashes); the same once a walk opened the whole tree; and,
 * in a second view, while another thread walks it (opening the whole tree during the reads):
 * each answer is the whole view's, never other bytes.
 */
class LazyTreePropertyTest {
  @TempDir Path tmp;
  private int example;

  // a fixed seed keeps CI repeatable; -Dlayerfs.qt.seed for new images, and
  // -Dlayerfs.fuzz.tries=N for a longer run (a fresh seed each run unless one is given)
  @Test
  void aLazyViewShowsWhatAWholeViewShows() {
    Integer longer = Integer.getInteger("layerfs.fuzz.tries");
    Props p = longer != null ? Props.tries(longer) : Props.tries(15).seed(20261204);
    p.qt()
        .withShrinkCycles(50)
        .forAll(RandomImage.images(p))
        .checkAssert(Props.io(this::sameAsTheWholeView));
  }

  private void sameAsTheWholeView(RandomImage.Image image) throws Exception {
    int n = example++;
    Path dir = tmp.resolve("e" + n);
    Path remote = dir.resolve("remote");
    Built built = RandomImage.build(image, ImageBuilder.create(remote), "img");
    List<String> paths = paths(image.order());
    List<String> wrong = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem whole = FileSystems.newFileSystem(URI.create("layerfs://prop-whole-" + n),
            Map.of("store", remote, "image", "img", "readOnly", true));
        FileSystem lazy = lazy(registry, dir.resolve("local"), "prop-lazy-" + n);
        FileSystem racing = lazy(registry, dir.resolve("racing"), "prop-racing-" + n)) {
      List<String> expected = lines(whole, paths);
      differences("lazily", expected, lines(lazy, paths), wrong);
      List<String> walked = LazyTreeTest.walk(whole);
      if (!walked.equals(LazyTreeTest.walk(lazy))) {
        wrong.add("walk: " + LazyTreeTest.walk(lazy) + "\n    instead of " + walked);
      }
      differences("whole", expected, lines(lazy, paths), wrong);
      // reads in one thread while another opens the whole tree, at some point among them
      Future<List<String>> reader = pool.submit(() -> lines(racing, paths));
      Future<List<String>> walker = pool.submit(() -> {
        Thread.sleep(image.order() % 20);
        return LazyTreeTest.walk(racing);
      });
      if (!walked.equals(walker.get())) {
        wrong.add("racing walk: " + walker.get() + "\n    instead of " + walked);
      }
      differences("racing", expected, reader.get(), wrong);
    } finally {
      pool.shutdownNow();
      delete(dir);
    }
    assertEquals(List.of(), wrong, image.toString());
  }

  private static FileSystem lazy(RangeRegistry registry, Path store, String name)
      throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name), Map.of("store", store,
        "image", registry.address() + "/test/img:1", "lazy", true, "readOnly", true));
  }

  /** Every path of up to three names, and variants of a third of them (in a random order). */
  private static List<String> paths(long order) {
    List<String> base = new ArrayList<>(RandomImage.paths());
    Collections.shuffle(base, new Random(order));
    List<String> out = new ArrayList<>(base);
    for (String p : base.subList(0, base.size() / 3)) {
      int slash = p.lastIndexOf('/');
      out.add(p + "/");
      out.add(p + "/.");
      out.add(p + "/..");
      out.add(p.substring(0, slash) + "/./" + p.substring(slash + 1));
      out.add("/a/.." + p);
      out.add("/" + p);
      out.add(p + "/../" + p.substring(slash + 1));
    }
    return out;
  }

  private static List<String> lines(FileSystem fs, List<String> paths) {
    List<String> lines = new ArrayList<>();
    for (String p : paths) {
      lines.add(p + ": " + LazyTreeTest.describe(fs.getPath(p)));
    }
    return lines;
  }

  private static void differences(String when, List<String> expected, List<String> actual,
      List<String> wrong) {
    for (int i = 0; i < expected.size(); i++) {
      if (!expected.get(i).equals(actual.get(i))) {
        wrong.add(when + " " + actual.get(i) + "\n    instead of " + expected.get(i));
      }
    }
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
