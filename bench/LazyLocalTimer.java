import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.RangedBlob;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.estargz.FileRangedBlob;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The first lazy read of a file as {@code LazyReadTimer} times it, but with the layers' remote
 * blobs read from a local OCI layout instead of a registry, so neither the network nor a
 * registry's CPU is in the figures: in a fresh store each time (holding only TAG's manifest and
 * config), {@code attachLazy} to the layout's blobs and {@code readLazily} of PATH, 3 + RUNS times
 * in one JVM (the first three not counted). Prints the median and best wall time and the median
 * CPU time of the reading thread (prefetch threads not counted), in ms. With LATENCY_MS, each
 * range request waits that long before its bytes come, as a round trip to a registry would (on
 * whichever thread makes it): the wall times then show how many round trips a read waits for,
 * and the last line how many requests the last read made and how many of them its own thread.
 *
 * <pre>java -cp cli/target/layerfs.jar bench/LazyLocalTimer.java LAYOUT TAG PATH RUNS DIR
 *     [LATENCY_MS]</pre>
 */
public final class LazyLocalTimer {
  private static final int WARMUP = 3;

  public static void main(String[] args) throws IOException {
    Path layout = Path.of(args[0]);
    String tag = args[1];
    String path = args[2];
    int runs = Integer.parseInt(args[3]);
    Path work = Path.of(args[4]);
    long latency = args.length > 5 ? Long.parseLong(args[5]) : 0;
    AtomicInteger requests = new AtomicInteger();
    AtomicInteger byReader = new AtomicInteger();
    ContentStore from = ContentStore.open(layout);
    Image image;
    try (Store s = Store.open(layout)) {
      image = s.image(tag);
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    List<Long> wall = new ArrayList<>();
    List<Long> cpu = new ArrayList<>();
    for (int i = 0; i < WARMUP + runs; i++) {
      Path dir = work.resolve("lazy-local-" + i);
      ContentStore to = ContentStore.open(dir);
      to.write(from.readJson(image.configDigest()));
      to.write(from.readJson(image.manifestDigest()));
      to.tag(tag, image.manifestDigest());
      long cpu0 = threads.getCurrentThreadCpuTime();
      long start = System.nanoTime();
      try (Store store = Store.open(dir)) {
        requests.set(0);
        byReader.set(0);
        Thread reader = Thread.currentThread();
        store.attachLazy(tag, l -> {
          RangedBlob file = new FileRangedBlob(from.blobPath(l.digest()), l.digest());
          return latency == 0 ? file : new RangedBlob() {
            @Override
            public Digest digest() {
              return file.digest();
            }

            @Override
            public long size() throws IOException {
              return file.size();
            }

            @Override
            public InputStream open(long offset, long length) throws IOException {
              requests.incrementAndGet();
              if (Thread.currentThread() == reader) {
                byReader.incrementAndGet();
              }
              try {
                Thread.sleep(latency);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted");
              }
              return file.open(offset, length);
            }
          };
        });
        if (store.readLazily(tag, path) == null) {
          throw new IOException(path + " is not in " + tag);
        }
      }
      if (i >= WARMUP) {
        wall.add(System.nanoTime() - start);
        cpu.add(threads.getCurrentThreadCpuTime() - cpu0);
      }
      delete(dir);
    }
    Collections.sort(wall);
    Collections.sort(cpu);
    System.out.printf("wall median %.1f best %.1f, thread cpu median %.1f%n",
        wall.get((runs - 1) / 2) / 1e6, wall.get(0) / 1e6, cpu.get((runs - 1) / 2) / 1e6);
    if (latency > 0) {
      System.out.printf("%d range requests, %d by the reading thread%n", requests.get(),
          byReader.get());
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
