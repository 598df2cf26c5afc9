package io.layerfs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The heap an open layerfs file system of a {@link ScaleImage} keeps per entry (issue 2: under 64
 * bytes per entry for 1,000,000 entries). JMH has no good way to report a retained size, so this
 * is a plain program: it builds the image if needed, then for each size forces full collections,
 * reads the used heap, opens the image and stats one file (what {@link ScaleBenchmark} does),
 * collects again and divides the growth by the entry count; then it walks the whole tree (every
 * merged directory materialized) and measures again. It keeps a reference to the file system
 * so nothing it holds can be collected before the reading.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.layerfs.bench.HeapPerEntry \
 *     [--out FILE] [--jmh RESULTS.json] [ENTRIES[xLAYERS]]...
 * </pre>
 *
 * <p>The sizes are the arguments, plus those {@link ScaleBenchmark} ran with in {@code --jmh}'s
 * JMH results (as {@code bench/run.sh} passes them, so a full run measures all of {@link
 * ScaleBenchmark}'s sizes: 1,000 to 1,000,000 entries in 1, 10 and 50 layers); with neither,
 * 1000, 10000, 100000 and 1000000 in one layer. Prints one line per figure; {@code --out
 * FILE} also writes them as tab-separated {@code name, value, unit} lines for {@link
 * RatioReport}'s {@code --figures}.
 */
public final class HeapPerEntry {
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private HeapPerEntry() {}

  public static void main(String[] args) throws IOException {
    Path out = null;
    List<int[]> sizes = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--out") && i + 1 < args.length) {
        out = Path.of(args[++i]);
      } else if (args[i].equals("--jmh") && i + 1 < args.length) {
        for (JsonNode r : new ObjectMapper().readTree(Path.of(args[++i]).toFile())) {
          if (r.path("benchmark").asText().contains(".ScaleBenchmark.")) {
            int[] size = {r.path("params").path("entries").asInt(),
                r.path("params").path("layers").asInt(1)};
            if (sizes.stream().noneMatch(s -> Arrays.equals(s, size))) {
              sizes.add(size);
            }
          }
        }
        if (sizes.isEmpty()) {
          return; // no ScaleBenchmark in that run: nothing to measure
        }
      } else {
        try {
          String[] p = args[i].split("x", 2);
          sizes.add(new int[] {Integer.parseInt(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 1});
        } catch (NumberFormatException e) {
          System.err.println("HeapPerEntry: not ENTRIES[xLAYERS]: " + args[i]);
          System.exit(2);
        }
      }
    }
    if (sizes.isEmpty()) {
      for (int entries : new int[] {1_000, 10_000, 100_000, 1_000_000}) {
        sizes.add(new int[] {entries, 1});
      }
    }
    StringBuilder tsv = new StringBuilder();
    for (int[] size : sizes) {
      ScaleImage image = ScaleImage.get(size[0], size[1]);
      String params = "(entries=" + size[0] + ", layers=" + size[1] + ")";
      double[] figures = measure(image);
      line(tsv, "HeapPerEntry.openStat " + params, figures[0]);
      line(tsv, "HeapPerEntry.afterWalk " + params, figures[1]);
    }
    if (out != null) {
      Files.writeString(out, tsv);
    }
  }

  private static void line(StringBuilder tsv, String name, double bytesPerEntry) {
    String value = String.format(Locale.ROOT, "%.1f", bytesPerEntry);
    System.out.println(name + ": " + value + " B/entry");
    tsv.append(name).append('\t').append(value).append("\tB/entry\n");
  }

  /** Bytes per entry retained after open + stat, and after a full walk. */
  static double[] measure(ScaleImage image) throws IOException {
    long before = usedAfterGc();
    try (FileSystem fs = image.open("bench-heap")) {
      Files.readAttributes(fs.getPath(image.deepFile()), BasicFileAttributes.class);
      long opened = usedAfterGc();
      try (Stream<Path> all = Files.walk(fs.getPath("/"))) {
        all.count();
      }
      long walked = usedAfterGc();
      // keeps fs reachable until after the last reading
      if (!fs.isOpen()) {
        throw new IllegalStateException("closed early");
      }
      return new double[] {
        (opened - before) / (double) image.entries(), (walked - before) / (double) image.entries()
      };
    }
  }

  private static long usedAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
