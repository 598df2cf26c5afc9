package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.FsckReport;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs fsck}: checks the store as {@code git fsck} checks a repository ({@link
 * Store#fsck}) and prints one line per problem, "KIND OBJECT: MESSAGE", then a summary line. Exit
 * code 1 when something is wrong that was not repaired, 0 otherwise; an error that stops the
 * check is one line on standard error, as with every command.
 */
@Command(name = "fsck", mixinStandardHelpOptions = true,
    description = {"Check every blob, image and container of the store.",
        "Exit code 1 if something is wrong that was not repaired."})
final class FsckCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin FormatOption format;

  @Option(names = "--repair", description = "Move corrupt blobs to layerfs/quarantine/ and remove "
      + "corrupt uncompressed layers and their indexes, which the next use rebuilds.")
  boolean repair;

  @Override
  public Integer call() throws IOException {
    FsckReport report;
    try (Store store = Stores.existing(main.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      report = store.fsck(repair, progress);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format.json()) {
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
