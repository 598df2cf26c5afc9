package io.layerfs.cli;

import io.layerfs.core.GcReport;
import io.layerfs.core.ImagePruneReport;
import io.layerfs.core.image.ImagePruneFilter;
import io.layerfs.core.store.Store;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code layerfs image prune}, and docker's long forms of the image commands ({@code image ls}
 * is {@code images}, {@code image rm} is {@code rmi}, {@code image tag} is {@code tag}...), which
 * stay top-level commands, as docker's short forms.
 */
final class ImageCommand implements CliCommand {
  /** {@code image NAME} and the top-level command it is, as docker's management commands. */
  private static final String[][] ALIASES = {{"ls", "images"}, {"rm", "rmi"}, {"tag", "tag"},
      {"inspect", "inspect"}, {"history", "history"}, {"pull", "pull"}, {"push", "push"},
      {"import", "import"}};

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ImageCommand(), "image", "Manage images.");
    spec.addSubcommand(null, Prune.spec()); // under the name its model gives
    // docker's long forms of the top-level commands: docker image ls is docker images
    for (String[] alias : ALIASES) {
      spec.addSubcommand(alias[0], Specs.longForm("image", alias[0], alias[1]));
    }
    return spec;
  }

  /** {@code image} alone: its help, exit code 0, as {@code docker image}. */
  @Override
  public int run(Invocation in) {
    in.commandLine().usage(in.out());
    return 0;
  }

  /**
   * {@code image prune [-a] [-f]}, as {@code docker image prune}: asks first (docker's words,
   * its answer read from standard input, terminal or not: only {@code y} or {@code Y} goes on,
   * anything else or none ends the command with exit code 0 and nothing removed, as docker's
   * cancelled prompt ends), then removes the images no container uses ({@link
   * Store#pruneImages}) and prints docker's lines: {@code untagged: TAG} and {@code deleted:
   * ID} for each image (no {@code deleted:} for a used image that only lost tags), {@code
   * deleted: DIGEST} for each other blob freed (as docker's containerd image store lists the
   * content it deleted), then the total.
   */
  static final class Prune implements CliCommand {
    // docker/cli cli/command/image/prune.go
    static final String DANGLING_WARNING = "WARNING! This will remove all dangling images.\n"
        + "Are you sure you want to continue?";
    static final String ALL_WARNING = "WARNING! This will remove all images without at least one"
        + " container associated to them.\nAre you sure you want to continue?";

    static CommandSpec spec() {
      CommandSpec spec = Specs.command(new Prune(), "prune",
          "Remove the dangling images (untagged, <none> in 'images') no container uses, or with"
              + " -a every image no container uses and the tags of used ones no container was"
              + " created by, as 'docker image prune'. What only those"
              + " images reached (layers, configs, manifests) is deleted at once and is the"
              + " reclaimed space; older garbage stays for 'gc'.");
      spec.addOption(Specs.flag(new String[] {"-a", "--all"},
          "Remove all unused images, not just dangling ones (tags included)."));
      spec.addOption(Specs.flag(new String[] {"-f", "--force"},
          "Do not prompt for confirmation."));
      spec.addOption(OptionSpec.builder("--filter").type(List.class)
          .auxiliaryTypes(String.class).paramLabel("FILTER")
          .description("Only images it admits, as docker's: until=TIME (created before it: a"
              + " duration back from now such as 24h or 1h30m, an RFC 3339 time, a date or Unix"
              + " seconds), label=KEY[=VALUE], label!=KEY[=VALUE], dangling=false (as -a)."
              + " Repeatable: all must admit an image.").build());
      return spec;
    }

    @Override
    public int run(Invocation in) throws IOException {
      ImagePruneFilter filter;
      try {
        filter = ImagePruneFilter.parse(in.options("--filter"), Instant.now());
      } catch (IllegalArgumentException e) {
        throw in.usageError("--filter: " + e.getMessage());
      }
      boolean all = in.flag("--all");
      PrintWriter out = in.out();
      if (!in.flag("--force") && !confirmed(in, all ? ALL_WARNING : DANGLING_WARNING)) {
        return 0; // docker: "image prune has been cancelled", a cancellation, exit code 0
      }
      ImagePruneReport report;
      try (Store store = Stores.existing(in.store())) {
        report = store.pruneImages(all, filter);
      }
      print(report, out);
      report.freed().problems().forEach(p -> in.err().println("layerfs: warning: " + p));
      return 0;
    }

    /**
     * docker's prompt: the question and {@code [y/N] } on standard output, one line read from
     * standard input; true for {@code y} or {@code Y} (blanks around it aside).
     */
    private static boolean confirmed(Invocation in, String warning) throws IOException {
      PrintWriter out = in.out();
      out.print(warning + " [y/N] ");
      out.flush();
      // not closed: standard input stays open for the process
      BufferedReader reader = new BufferedReader(
          new InputStreamReader(in.stdin(), Charset.defaultCharset()));
      String answer = reader.readLine();
      return answer != null && answer.strip().equalsIgnoreCase("y");
    }

    private static void print(ImagePruneReport report, PrintWriter out) {
      if (!report.images().isEmpty()) {
        out.println("Deleted Images:");
        Set<String> said = new HashSet<>();
        for (ImagePruneReport.PrunedImage image : report.images()) {
          image.untagged().forEach(tag -> out.println("untagged: " + tag));
          if (image.deleted() && said.add(image.id().toString())) {
            out.println("deleted: " + image.id());
          }
        }
        for (GcReport.Item item : report.freed().removed()) {
          boolean blob = item.kind() == GcReport.Kind.BLOB
              || item.kind() == GcReport.Kind.UNCOMPRESSED_LAYER;
          if (blob && said.add(item.name())) {
            out.println("deleted: " + item.name());
          }
        }
        out.println(); // docker prints the list, then a blank line
      }
      out.println("Total reclaimed space: " + Human.size(report.freed().bytesFreed(), 4));
    }
  }
}
