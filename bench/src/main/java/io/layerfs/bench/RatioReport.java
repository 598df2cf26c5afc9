package io.layerfs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns JMH's JSON results ({@code -rf json}) into a Markdown table: one row per benchmark (and
 * per value of any parameter other than {@code impl}), one column per competitor, and the ratio
 * of layerfs to each other competitor, written so that a ratio above 1 means layerfs is faster
 * (for time per operation: their time / layerfs' time; for throughput: layerfs' / theirs).
 * Above the table: the date, the machine and the JVM that ran the benchmarks.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.layerfs.bench.RatioReport results.json latest.md \
 *     [--java-version FILE] [--note TEXT]...
 * </pre>
 *
 * <p>{@code --java-version} names a file holding {@code java -version}'s output; each {@code
 * --note} adds a line under the heading; {@code --figures} names a file of tab-separated {@code
 * name, value, unit} lines measured outside JMH ({@link HeapPerEntry}). Exits 2 on bad arguments,
 * 1 if the results are unreadable or hold no benchmark.
 *
 * <p>Benchmarks of layerfs alone, which issue 2 gives a target, get a table of their own above
 * the comparison: {@link ScaleBenchmark} (open an indexed image: under 20 ms for 10,000 entries,
 * under 1 s for 1,000,000), {@link HeapPerEntry} (under 64 bytes per entry) and {@link
 * IngestBenchmark} (first open of a gzip layer at 0.9 or more of the speed of inflating alone:
 * the ratio {@code inflateOnly / firstOpen} of their times). Issue 3's targets join them: {@link
 * WriteBenchmark} at 0.9 or more of the host file system's speed (the ratio of the comparison
 * table, repeated), {@link CopyUpBenchmark} (the first 4 KiB write into a 1 GiB lower file under
 * 10 ms, with the full copy's time beside it) and {@link ChmodBenchmark} (no data bytes written
 * to the container's data directory, from the figures it records through {@link Figures}; the
 * metadata's size beside them). Issue 5's {@link LowerDirBenchmark} (delete and rename of a
 * lower directory tree) is in the comparison table, against the host file system; the data
 * bytes it writes to the container are a target row (0 B).
 *
 * <p>Below the targets, issue 5's scale figures ({@link ScaleBenchmark}'s open time and {@link
 * HeapPerEntry}'s heap per entry) again, grouped: one table per figure, a row per entry count,
 * a column per layer count.
 */
public final class RatioReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RatioReport() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: RatioReport RESULTS.json OUT.md [--java-version FILE]"
          + " [--note TEXT]...");
      System.exit(2);
    }
    Path in = Path.of(args[0]);
    Path out = Path.of(args[1]);
    String javaVersion = null;
    List<String> notes = new ArrayList<>();
    List<String[]> figures = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      if (i + 1 >= args.length) {
        System.err.println("RatioReport: " + args[i] + " needs a value");
        System.exit(2);
      }
      switch (args[i]) {
        case "--java-version" -> javaVersion = Files.readString(Path.of(args[++i])).strip();
        case "--note" -> notes.add(args[++i]);
        case "--figures" -> {
          Path f = Path.of(args[++i]);
          if (Files.isRegularFile(f)) {
            for (String line : Files.readAllLines(f)) {
              String[] cols = line.split("\t");
              if (cols.length == 3) {
                figures.add(cols);
              }
            }
          }
        }
        default -> {
          System.err.println("RatioReport: unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    JsonNode results;
    try {
      results = JSON.readTree(in.toFile());
    } catch (IOException e) {
      System.err.println("RatioReport: cannot read JMH results " + in + ": " + e.getMessage());
      System.exit(1);
      return;
    }
    if (results == null || !results.isArray() || results.isEmpty()) {
      System.err.println("RatioReport: no benchmark results in " + in);
      System.exit(1);
      return;
    }
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(out, render(results, javaVersion, notes, figures, ZonedDateTime.now()));
  }

  /** One cell: a competitor's score of one row. */
  private record Score(double score, double error, String unit, String mode) {}

  static String render(JsonNode results, String javaVersion, List<String> notes,
      ZonedDateTime now) {
    return render(results, javaVersion, notes, List.of(), now);
  }

  static String render(JsonNode results, String javaVersion, List<String> notes,
      List<String[]> figures, ZonedDateTime now) {
    Map<String, Map<Impl, Score>> rows = new LinkedHashMap<>();
    Map<String, Score> unranked = new LinkedHashMap<>();
    for (JsonNode r : results) {
      String name = shortName(r.path("benchmark").asText());
      String impl = null;
      StringBuilder params = new StringBuilder();
      for (Iterator<Map.Entry<String, JsonNode>> it = r.path("params").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> p = it.next();
        if (p.getKey().equals("impl")) {
          impl = p.getValue().asText();
        } else {
          params.append(params.length() == 0 ? " (" : ", ")
              .append(p.getKey()).append('=').append(p.getValue().asText());
        }
      }
      if (params.length() > 0) {
        params.append(')');
      }
      JsonNode m = r.path("primaryMetric");
      Score s = new Score(m.path("score").asDouble(Double.NaN),
          m.path("scoreError").asDouble(Double.NaN), m.path("scoreUnit").asText(),
          r.path("mode").asText());
      String key = name + params;
      Impl competitor = impl == null ? null : parse(impl);
      if (competitor == null) {
        unranked.put(key + (impl == null ? "" : " [" + impl + "]"), s);
      } else {
        rows.computeIfAbsent(key, k -> new EnumMap<>(Impl.class)).put(competitor, s);
      }
    }

    JsonNode first = results.get(0);
    StringBuilder md = new StringBuilder();
    md.append("# layerfs benchmarks\n\n");
    md.append("- date: ")
        .append(now.truncatedTo(ChronoUnit.SECONDS).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
        .append('\n');
    md.append("- machine: ").append(Runtime.getRuntime().availableProcessors())
        .append(" cores, ").append(System.getProperty("os.name")).append(' ')
        .append(System.getProperty("os.arch")).append(cpuModel()).append('\n');
    md.append("- JVM that ran them: ").append(first.path("vmName").asText()).append(' ')
        .append(first.path("vmVersion").asText()).append(" (JDK ")
        .append(first.path("jdkVersion").asText()).append("), JMH ")
        .append(first.path("jmhVersion").asText()).append('\n');
    md.append("- settings of the first: ").append(first.path("forks").asInt()).append(" fork(s), ")
        .append(first.path("warmupIterations").asInt()).append(" x ")
        .append(first.path("warmupTime").asText()).append(" warmup, ")
        .append(first.path("measurementIterations").asInt()).append(" x ")
        .append(first.path("measurementTime").asText()).append(" measurement\n");
    for (String note : notes) {
      md.append("- ").append(note).append('\n');
    }
    if (javaVersion != null && !javaVersion.isEmpty()) {
      md.append("\n`java -version`:\n\n```\n").append(javaVersion).append("\n```\n");
    }
    String scale = scale(unranked, figures);
    md.append(targets(rows, unranked, figures));
    md.append(scale);
    md.append("\nScores are score ± 99.9% error. A ratio above 1 means layerfs is faster by that"
        + " factor, below 1 slower (time per op: theirs / layerfs'; throughput: layerfs' /"
        + " theirs).\n\n");
    md.append("| benchmark | unit | layerfs | container | default | zipfs | jimfs |"
        + " layerfs vs default | layerfs vs zipfs | layerfs vs jimfs | container vs default |\n");
    md.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (Map.Entry<String, Map<Impl, Score>> row : rows.entrySet()) {
      Map<Impl, Score> cells = row.getValue();
      Score any = cells.values().iterator().next();
      md.append("| ").append(row.getKey()).append(" | ").append(any.unit()).append(" |");
      for (Impl impl : Impl.values()) {
        Score s = cells.get(impl);
        md.append(' ').append(s == null ? "—" : format(s)).append(" |");
      }
      Score layerfs = cells.get(Impl.LAYERFS);
      for (Impl other : List.of(Impl.DEFAULT, Impl.ZIPFS, Impl.JIMFS)) {
        md.append(' ').append(ratio(layerfs, cells.get(other))).append(" |");
      }
      md.append(' ').append(ratio(cells.get(Impl.CONTAINER), cells.get(Impl.DEFAULT)))
          .append(" |");
      md.append('\n');
    }
    if (rows.isEmpty()) {
      md.setLength(md.lastIndexOf("| benchmark | unit | layerfs |"));
      md.append("(no benchmark with competitors in this run)\n");
    }
    if (!unranked.isEmpty()) {
      md.append("\nOther results:\n\n| benchmark | score | unit |\n|---|--:|---|\n");
      unranked.forEach((k, s) -> md.append("| ").append(k).append(" | ").append(format(s))
          .append(" | ").append(s.unit()).append(" |\n"));
    }
    return md.toString();
  }

  /**
   * The table of issues 2's and 3's targets, from the results without competitors (which it
   * removes from {@code unranked}), the write benchmarks' rows and the figures measured outside
   * JMH; empty when there is none of them.
   */
  static String targets(Map<String, Map<Impl, Score>> rows, Map<String, Score> unranked,
      List<String[]> figures) {
    StringBuilder t = new StringBuilder();
    for (Iterator<Map.Entry<String, Score>> it = unranked.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Score> e = it.next();
      String key = e.getKey();
      if (!key.startsWith("ScaleBenchmark.openStatClose")) {
        continue;
      }
      Score s = e.getValue();
      double ms = s.score() * toMillis(s.unit());
      double limit = key.contains("entries=10000,") || key.endsWith("entries=10000)") ? 20
          : key.contains("entries=1000000") ? 1000 : Double.NaN;
      t.append("| open an indexed image, stat, close: ").append(key).append(" | ")
          .append(format(s)).append(' ').append(s.unit()).append(" | ")
          .append(Double.isNaN(limit) ? "—" : "< " + significant(limit) + " ms").append(" | ")
          .append(Double.isNaN(limit) || Double.isNaN(ms) ? "—" : ms < limit ? "yes" : "**no**")
          .append(" |\n");
      it.remove();
    }
    for (String[] f : figures) {
      if (!f[0].startsWith("HeapPerEntry.")) {
        continue;
      }
      // issue 2's target is the million's; smaller images spread fixed costs over fewer entries
      boolean target = f[0].startsWith("HeapPerEntry.openStat")
          && f[0].contains("entries=1000000");
      double v = Double.parseDouble(f[1]);
      t.append("| heap kept per entry: ").append(f[0]).append(" | ").append(f[1]).append(' ')
          .append(f[2]).append(" | ").append(target ? "< 64 B/entry" : "— (informative)")
          .append(" | ").append(!target ? "—" : v < 64 ? "yes" : "**no**").append(" |\n");
    }
    Map<String, Score[]> ingest = new LinkedHashMap<>();
    for (Map.Entry<String, Score> e : unranked.entrySet()) {
      String key = e.getKey();
      for (String m : List.of("inflateOnly", "firstOpen")) {
        String prefix = "IngestBenchmark." + m;
        if (key.startsWith(prefix)) {
          ingest.computeIfAbsent(key.substring(prefix.length()), k -> new Score[2])
              [m.equals("inflateOnly") ? 0 : 1] = e.getValue();
        }
      }
    }
    ingest.forEach((params, pair) -> {
      if (pair[0] == null || pair[1] == null) {
        return;
      }
      double inflate = pair[0].score() * toMillis(pair[0].unit());
      double layerfs = pair[1].score() * toMillis(pair[1].unit());
      boolean throughput = pair[0].mode().equals("thrpt");
      double r = throughput ? pair[1].score() / pair[0].score() : inflate / layerfs;
      t.append("| first open of a gzip layer, speed relative to inflating alone").append(params)
          .append(": IngestBenchmark.inflateOnly ").append(format(pair[0])).append(' ')
          .append(pair[0].unit()).append(" / firstOpen ").append(format(pair[1])).append(' ')
          .append(pair[1].unit()).append(" | ").append(significant(r)).append("× | ≥ 0.90× | ")
          .append(Double.isNaN(r) ? "—" : r >= 0.9 ? "yes" : "**no**").append(" |\n");
      unranked.remove("IngestBenchmark.inflateOnly" + params);
      unranked.remove("IngestBenchmark.firstOpen" + params);
    });
    writeTargets(rows, unranked, figures, t);
    if (t.length() == 0) {
      return "";
    }
    return "\nTargets of issues 2, 3 and 5 (the 1,000,000-entry figures are issue 2's own; the"
        + " other heap figures and the walks are informative; issue 3: writes; issue 5: delete"
        + " and rename of lower directories write no data):\n\n"
        + "| figure | measured | target | met |\n|---|--:|---|---|\n" + t;
  }

  /** Appends issue 3's rows: write speed, first write into a lower file, chmod's bytes. */
  private static void writeTargets(Map<String, Map<Impl, Score>> rows,
      Map<String, Score> unranked, List<String[]> figures, StringBuilder t) {
    rows.forEach((key, cells) -> {
      Score layerfs = cells.get(Impl.LAYERFS);
      Score host = cells.get(Impl.DEFAULT);
      if (!key.startsWith("WriteBenchmark.") || layerfs == null || host == null) {
        return;
      }
      String r = ratio(layerfs, host);
      double v = r.endsWith("×") ? Double.parseDouble(r.substring(0, r.length() - 1))
          : Double.NaN;
      t.append("| write speed relative to the host file system: ").append(key)
          .append(": layerfs ").append(format(layerfs)).append(' ').append(layerfs.unit())
          .append(", default ").append(format(host)).append(' ').append(host.unit())
          .append(" | ").append(r).append(" | ≥ 0.90× | ")
          .append(Double.isNaN(v) ? "—" : v >= 0.9 ? "yes" : "**no**").append(" |\n");
    });
    Map<String, Score[]> copyUp = new LinkedHashMap<>();
    for (Map.Entry<String, Score> e : unranked.entrySet()) {
      for (String m : List.of("firstWrite", "fullCopy")) {
        String prefix = "CopyUpBenchmark." + m;
        if (e.getKey().startsWith(prefix)) {
          copyUp.computeIfAbsent(e.getKey().substring(prefix.length()), k -> new Score[2])
              [m.equals("firstWrite") ? 0 : 1] = e.getValue();
        }
      }
    }
    copyUp.forEach((params, pair) -> {
      Score first = pair[0];
      Score full = pair[1];
      boolean target = params.contains("size=1GiB");
      double ms = first == null ? Double.NaN : first.score() * toMillis(first.unit());
      t.append("| first 4 KiB write into a lower file").append(params).append(": ")
          .append("CopyUpBenchmark.firstWrite; beside it a full copy (fullCopy): ")
          .append(full == null ? "not run" : format(full) + " " + full.unit()).append(" | ")
          .append(first == null ? "not run" : format(first) + " " + first.unit()).append(" | ")
          .append(target ? "< 10 ms" : "— (informative)").append(" | ")
          .append(!target || Double.isNaN(ms) ? "—" : ms < 10 ? "yes" : "**no**")
          .append(" |\n");
      unranked.remove("CopyUpBenchmark.firstWrite" + params);
      unranked.remove("CopyUpBenchmark.fullCopy" + params);
    });
    for (String[] f : figures) {
      if (f[0].startsWith("HeapPerEntry.")) {
        continue;
      }
      boolean zero = (f[0].startsWith("ChmodBenchmark.")
          || f[0].startsWith("LowerDirBenchmark."))
          && (f[0].endsWith(" data bytes") || f[0].endsWith(" data allocated"));
      String what = f[0].startsWith("ChmodBenchmark.")
          ? "written to the container by chmod of lower files: "
          : f[0].startsWith("LowerDirBenchmark.")
          ? "written to the container by delete or rename of a lower directory: "
          : f[0].startsWith("CopyUpBenchmark.") ? "copied up by the first write: " : "";
      double v = Double.parseDouble(f[1]);
      t.append("| ").append(what).append(f[0]).append(" | ").append(f[1]).append(' ')
          .append(f[2]).append(" | ").append(zero ? "0 B" : "— (informative)").append(" | ")
          .append(!zero ? "—" : v == 0 ? "yes" : "**no**").append(" |\n");
    }
  }

  private static final Pattern ENTRIES = Pattern.compile("entries=(\\d+)");
  private static final Pattern LAYERS = Pattern.compile("layers=(\\d+)");

  /**
   * Issue 5's scale figures grouped by entries (rows) and layers (columns): {@link
   * ScaleBenchmark}'s open, stat, close and {@link HeapPerEntry}'s heap per entry, one table
   * each; empty when the run has neither. Leaves {@code unranked} as it is.
   */
  static String scale(Map<String, Score> unranked, List<String[]> figures) {
    Map<String, Map<Long, Map<Long, String>>> grids = new LinkedHashMap<>();
    String open = "open an indexed image, stat one file, close (ScaleBenchmark.openStatClose)";
    String heapOpen = "heap kept per entry after open and stat (HeapPerEntry.openStat), B/entry";
    String heapWalk = "heap kept per entry after a full walk (HeapPerEntry.afterWalk), B/entry";
    unranked.forEach((key, s) -> {
      if (key.startsWith("ScaleBenchmark.openStatClose")) {
        put(grids, open, key, format(s) + " " + s.unit());
      }
    });
    for (String[] f : figures) {
      if (f[0].startsWith("HeapPerEntry.openStat")) {
        put(grids, heapOpen, f[0], f[1]);
      } else if (f[0].startsWith("HeapPerEntry.afterWalk")) {
        put(grids, heapWalk, f[0], f[1]);
      }
    }
    if (grids.isEmpty()) {
      return "";
    }
    StringBuilder t = new StringBuilder("\nScale: how the figures grow with the entries of the"
        + " image (rows, all layers together) and the layers they are spread over (columns):\n");
    grids.forEach((title, grid) -> {
      TreeSet<Long> layers = new TreeSet<>();
      grid.values().forEach(row -> layers.addAll(row.keySet()));
      t.append("\n").append(title).append(":\n\n| entries |");
      layers.forEach(l -> t.append(' ').append(l).append(l == 1 ? " layer |" : " layers |"));
      t.append("\n|--:|");
      layers.forEach(l -> t.append("--:|"));
      t.append('\n');
      grid.forEach((entries, row) -> {
        t.append("| ").append(String.format(Locale.ROOT, "%,d", entries)).append(" |");
        layers.forEach(l -> t.append(' ').append(row.getOrDefault(l, "—")).append(" |"));
        t.append('\n');
      });
    });
    return t.toString();
  }

  /** Puts {@code cell} at the entries and layers named in {@code key} (layers 1 if unnamed). */
  private static void put(Map<String, Map<Long, Map<Long, String>>> grids, String title,
      String key, String cell) {
    Matcher e = ENTRIES.matcher(key);
    if (!e.find()) {
      return;
    }
    Matcher l = LAYERS.matcher(key);
    long layers = l.find() ? Long.parseLong(l.group(1)) : 1;
    grids.computeIfAbsent(title, k -> new TreeMap<>())
        .computeIfAbsent(Long.parseLong(e.group(1)), k -> new TreeMap<>()).put(layers, cell);
  }

  /** Milliseconds per unit of a JMH time-per-operation unit; NaN for other units. */
  private static double toMillis(String unit) {
    return switch (unit) {
      case "s/op" -> 1000;
      case "ms/op" -> 1;
      case "us/op" -> 1e-3;
      case "ns/op" -> 1e-6;
      default -> Double.NaN;
    };
  }

  private static Impl parse(String impl) {
    try {
      return Impl.of(impl);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** {@code io.layerfs.bench.ReadBenchmark.smallFile} -> {@code ReadBenchmark.smallFile}. */
  private static String shortName(String benchmark) {
    int method = benchmark.lastIndexOf('.');
    int type = method < 0 ? -1 : benchmark.lastIndexOf('.', method - 1);
    return benchmark.substring(type + 1);
  }

  private static String ratio(Score layerfs, Score other) {
    if (layerfs == null || other == null || !layerfs.unit().equals(other.unit())
        || !(layerfs.score() > 0) || !(other.score() > 0)) {
      return "—";
    }
    boolean throughput = layerfs.mode().equals("thrpt");
    double r = throughput ? layerfs.score() / other.score() : other.score() / layerfs.score();
    return significant(r) + "×";
  }

  private static String format(Score s) {
    String score = significant(s.score());
    return Double.isNaN(s.error()) ? score : score + " ± " + significant(s.error());
  }

  /** Three significant digits, no exponent. */
  private static String significant(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    int decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : 4;
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return ", " + line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable: the core count has to do
    }
    return "";
  }
}
