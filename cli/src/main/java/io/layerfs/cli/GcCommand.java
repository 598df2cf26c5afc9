package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.GcReport;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs gc}: removes the blobs, layer indexes, signatures and stale temp files that no
 * tag, container or running import references ({@link GarbageCollector}), and prints each with
 * its size and the total, as {@code docker system prune} does. What made gc keep things it might
 * have removed goes to standard error as warnings; they do not make it fail.
 */
final class GcCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new GcCommand(), "gc",
        "Remove what no image, container or import uses, and show what was freed.");
    spec.addOption(FormatOption.spec());
    spec.addOption(Specs.flag(new String[] {"-n", "--dry-run"},
        "Only show what would be removed."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    GcReport report;
    try (Store store = Stores.existing(in.store())) {
      report = store.gc(in.flag("--dry-run"));
    }
    PrintWriter out = in.out();
    if (FormatOption.json(in)) {
      ObjectNode json = Json.object();
      json.put("dryRun", report.dryRun());
      ArrayNode removed = json.putArray("removed");
      for (GcReport.Item item : report.removed()) {
        ObjectNode row = removed.addObject();
        row.put("kind", kind(item.kind()));
        row.put("name", item.name());
        row.put("bytes", item.bytes());
      }
      json.put("bytesFreed", report.bytesFreed());
      ArrayNode problems = json.putArray("problems");
      report.problems().forEach(problems::add);
      Json.print(out, json);
    } else {
      String verb = report.dryRun() ? "would remove" : "removed";
      for (GcReport.Item item : report.removed()) {
        out.printf("%s %s %s (%s)%n", verb, kind(item.kind()), item.name(),
            Human.size(item.bytes(), 4));
      }
      out.println((report.dryRun() ? "Total reclaimable space: " : "Total reclaimed space: ")
          + Human.size(report.bytesFreed(), 4));
    }
    PrintWriter err = in.err();
    report.problems().forEach(p -> err.println("layerfs: warning: " + p));
    return 0;
  }

  /**
   * "blob", "uncompressed-layer", "layer-index", "signature", "lazy-state", "blob-origins",
   * "temp-file", "container-leftover", "volume-leftover".
   */
  private static String kind(GcReport.Kind kind) {
    return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
