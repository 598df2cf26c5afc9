import io.layerfs.core.registry.Platform;
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
 * The in-process half of bench/registry-pull.sh: pulls REF into a fresh store WARMUP + RUNS times
 * in one JVM (so the JIT has compiled the pull, as in a long-running program using the library)
 * with PARALLEL layer downloads, and prints the median and best of the measured runs in ms. With
 * CERTS, the registry speaks TLS, verified against the authorities of that directory; without,
 * {@code --tls-verify=false}.
 *
 * <pre>java -cp cli/target/layerfs.jar bench/RegistryPullTimer.java REF RUNS PARALLEL DIR [CERTS]
 * </pre>
 */
public final class RegistryPullTimer {
  public static void main(String[] args) throws IOException {
    String ref = args[0];
    int runs = Integer.parseInt(args[1]);
    int parallel = Integer.parseInt(args[2]);
    Path work = Path.of(args[3]);
    RegistryOptions options = RegistryOptions.defaults().withParallelism(parallel);
    options = args.length > 4 ? options.withCertDir(Path.of(args[4]))
        : options.withTlsVerify(false);
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < runs + 3; i++) {
      Path dir = work.resolve("inprocess-" + parallel + "-" + i);
      long start = System.nanoTime();
      try (Store store = Store.open(dir)) {
        store.pull(ref, options, Platform.DEFAULT, null);
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      if (i >= 3) {
        times.add(ms);
      }
      delete(dir);
    }
    Collections.sort(times);
    System.out.println(times.get((times.size() - 1) / 2) + " " + times.get(0));
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
