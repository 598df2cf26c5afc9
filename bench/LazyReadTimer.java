import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The first lazy read of a file of a registry image, as LazyRegistryIT times it but without the
 * test: in a fresh store each time, {@code Store.lazyImage} of REF then {@code readLazily} of
 * PATH, 1 + RUNS times in one JVM (the first not counted), printing the median and best of the
 * measured runs in ms and the bytes the last one fetched. Run it with the jars of two builds in
 * turn to compare them on a busy machine.
 *
 * <pre>java -cp cli/target/layerfs.jar bench/LazyReadTimer.java REF PATH RUNS DIR</pre>
 */
public final class LazyReadTimer {
  public static void main(String[] args) throws IOException {
    String ref = args[0];
    String path = args[1];
    int runs = Integer.parseInt(args[2]);
    Path work = Path.of(args[3]);
    RegistryOptions options = RegistryOptions.defaults().withTlsVerify(false);
    List<Long> times = new ArrayList<>();
    long fetched = 0;
    for (int i = 0; i < runs + 1; i++) {
      Path dir = work.resolve("lazy-read-" + i);
      long start = System.nanoTime();
      try (Store store = Store.open(dir)) {
        String image = store.lazyImage(ref, options);
        if (store.readLazily(image, path) == null) {
          throw new IOException(path + " is not in " + ref);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (i >= 1) {
          times.add(ms);
        }
        fetched = store.lazyFetchedBytes();
      }
      delete(dir);
    }
    Collections.sort(times);
    System.out.println(times.get((times.size() - 1) / 2) + " " + times.get(0) + " " + fetched);
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
