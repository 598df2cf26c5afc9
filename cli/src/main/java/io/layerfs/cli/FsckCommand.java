package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.FsckReport;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs fsck}: checks the store as {@code git fsck} checks a repository ({@link
 * Store#fsck}) and prints one line per problem, "KIND OBJECT: MESSAGE", then a summary line. Exit
 * code 1 when something is wrong that was not repaired, 0 otherwise; an error that stops the
 * check is one line on standard error, as with every command.
 */
final class FsckCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new FsckCommand(), "fsck",
        "Check every blob, image and container of the store.",
        "Exit code 1 if something is wrong that was not repaired.");
    spec.addOption(FormatOption.spec());
    spec.addOption(Specs.flag("--repair", "Move corrupt blobs to layerfs/quarantine/ and remove "
        + "corrupt uncompressed layers and their indexes, which the next use rebuilds."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    FsckReport report;
    try (Store store = Stores.existing(in.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      report = store.fsck(in.flag("--repair"), progress);
    }
    PrintWriter out = in.out();
    if (FormatOption.json(in)) {
      ObjectNode json = Json.object();
      json.put("repair", report.repair());
      json.put("ok", report.ok());
      json.put("blobs", report.blobs());
      json.put("images", report.images());
      json.put("containers", report.containers());
      ArrayNode problems = json.putArray("problems");
      for (FsckReport.Problem p : report.problems()) {
        ObjectNode row = problems.addObject();
        row.put("kind", FsckReport.kindName(p.kind()));
        row.put("object", p.object());
        row.put("message", p.message());
        row.put("repaired", p.repaired());
      }
      Json.print(out, json);
    } else {
      for (FsckReport.Problem p : report.problems()) {
        out.println(p + (p.repaired() ? " (repaired)" : ""));
      }
      out.println(summary(report));
    }
    return report.ok() ? 0 : 1;
  }

  /** "checked 6 blobs, 1 image, 1 container: 2 problems, 1 repaired". */
  static String summary(FsckReport report) {
    long repaired = report.problems().stream().filter(FsckReport.Problem::repaired).count();
    int problems = report.problems().size();
    return "checked " + count(report.blobs(), "blob") + ", " + count(report.images(), "image")
        + ", " + count(report.containers(), "container") + ": "
        + (problems == 0 ? "no problems" : count(problems, "problem") + ", " + repaired
            + " repaired");
  }

  private static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
