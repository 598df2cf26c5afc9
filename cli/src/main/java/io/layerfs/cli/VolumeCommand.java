package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.VolumePruneReport;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs volume create|ls|inspect|rm|prune}: the store's named volumes, as {@code docker
 * volume} manages them. All volumes use the {@code local} driver; {@code ls} and {@code inspect}
 * name the containers that mount each ({@code ls --format json} one object a line, as docker),
 * {@code rm} refuses a volume a container mounts, {@code prune -a} removes every volume no
 * container mounts ({@code prune} alone none: every volume is named, and Docker 23's prune keeps
 * named volumes without {@code -a}).
 */
final class VolumeCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new VolumeCommand(), "volume", "Manage named volumes.");
    // null: each under the name its model gives
    spec.addSubcommand(null, Create.spec());
    spec.addSubcommand(null, Ls.spec());
    spec.addSubcommand(null, Inspect.spec());
    spec.addSubcommand(null, Rm.spec());
    spec.addSubcommand(null, Prune.spec());
    return spec;
  }

  /** {@code volume} alone: its help, exit code 0, as {@code docker volume}. */
  @Override
  public int run(Invocation in) {
    in.commandLine().usage(in.out());
    return 0;
  }

  static final class Create implements CliCommand {
    static CommandSpec spec() {
      CommandSpec spec = Specs.command(new Create(), "create",
          "Create a volume (nothing changes if it exists) and print its name.");
      spec.addPositional(Specs.positional(null, "NAME", "[a-zA-Z0-9][a-zA-Z0-9_.-]*").build());
      return spec;
    }

    @Override
    public int run(Invocation in) throws IOException {
      String name = in.positional(0);
      try (Store store = Stores.create(in.store())) {
        store.createVolume(name);
      }
      in.out().println(name);
      return 0;
    }
  }

  static final class Ls implements CliCommand {
    static CommandSpec spec() {
      CommandSpec spec = Specs.command(new Ls(), "ls", "List the volumes.");
      spec.addOption(FormatOption.spec());
      return spec;
    }

    @Override
    public int run(Invocation in) throws IOException {
      try (Store store = Stores.existing(in.store())) {
        return list(store, in.out(), FormatOption.json(in));
      }
    }

    private static int list(Store store, PrintWriter out, boolean json) throws IOException {
      Table table = new Table("DRIVER", "VOLUME NAME", "CONTAINERS");
      Map<String, List<String>> users = store.volumeUsers();
      for (String name : store.volumes()) {
        List<String> using = users.getOrDefault(name, List.of());
        if (json) {
          Json.printLine(out, row(store, name, using));
        } else {
          table.row("local", name, String.join(",", using));
        }
      }
      if (!json) {
        table.print(out);
      }
      return 0;
    }

    /**
     * A row as {@code docker volume ls --format json} prints it: docker's keys in its (sorted)
     * order, its values strings; {@code Links} counts the containers that mount the volume
     * (docker's "N/A" where it does not know), {@code Size} is "N/A" as in docker without {@code
     * system df}; layerfs adds {@code Containers}, their names.
     */
    private static ObjectNode row(Store store, String name, List<String> using)
        throws IOException {
      ObjectNode row = Json.object();
      ArrayNode containers = row.putArray("Containers");
      using.forEach(containers::add);
      row.put("Driver", "local");
      row.put("Labels", "");
      row.put("Links", Integer.toString(using.size()));
      row.put("Mountpoint", store.volume(name).toString());
      row.put("Name", name);
      row.put("Scope", "local");
      row.put("Size", "N/A");
      return row;
    }
  }

  static final class Inspect implements CliCommand {
    static CommandSpec spec() {
      CommandSpec spec = Specs.command(new Inspect(), "inspect",
          "Show volumes in detail (JSON, as docker volume inspect).");
      // the output is JSON already; docker volume inspect takes --format json too
      spec.addOption(Specs.option("--format", "FORMAT", FormatOption.Format.class,
          new JsonOnly(), "json (the default and only format, accepted as docker takes it).")
          .build());
      spec.addPositional(Specs.names("NAME", "The volumes to show."));
      return spec;
    }

    /**
     * A class, not a lambda: a lambda of picocli's converter interface (compiled for Java 5)
     * links that interface when the launcher's class data sharing archive is dumped, which then
     * leaves the interface and every converter out of the archive.
     */
    static final class JsonOnly implements picocli.CommandLine.ITypeConverter<FormatOption.Format> {
      @Override
      public FormatOption.Format convert(String value) {
        if (!value.equals("json")) {
          throw new picocli.CommandLine.TypeConversionException(
              "volume inspect prints JSON only: expected 'json' but was '" + value + "'");
        }
        return FormatOption.Format.JSON;
      }
    }

    @Override
    public int run(Invocation in) throws IOException {
      List<String> names = in.positional(0);
      PrintWriter out = in.out();
      ArrayNode all = Json.array();
      List<Exception> failures = new ArrayList<>();
      try (Store store = Stores.existing(in.store())) {
        Map<String, List<String>> users = store.volumeUsers();
        for (String name : names) {
          try {
            ObjectNode o = Json.object();
            Path data = store.volume(name);
            // docker's keys in its order; no labels or driver options in a layerfs volume
            o.put("CreatedAt", createdAt(data.getParent(), in.zone()));
            o.put("Driver", "local");
            o.putNull("Labels");
            o.put("Mountpoint", data.toString());
            o.put("Name", name);
            o.putNull("Options");
            o.put("Scope", "local");
            ArrayNode containers = o.putArray("Containers");
            users.getOrDefault(name, List.of()).forEach(containers::add);
            all.add(o);
          } catch (IOException | RuntimeException e) {
            failures.add(e);
          }
        }
      }
      Json.print(out, all);
      return Main.reportAfter(in, failures);
    }

    /**
     * When the volume was made, as docker prints it (RFC 3339, seconds, in the local zone as
     * {@code TZ} gives it): the birth time of its
     * directory where the JDK and the file system tell it, else the directory's modification
     * time, which only the volume's own files ({@code _data} and its markers) change.
     */
    private static String createdAt(Path volumeDir, java.time.ZoneId zone) throws IOException {
      Instant created = Files.readAttributes(volumeDir, BasicFileAttributes.class)
          .creationTime().toInstant().truncatedTo(ChronoUnit.SECONDS);
      return Human.rfc3339(created, zone);
    }
  }

  static final class Prune implements CliCommand {
    static CommandSpec spec() {
      CommandSpec spec = Specs.command(new Prune(), "prune",
          "With -a, remove every volume no container mounts; prints their names and the space"
              + " reclaimed, as docker does. Without -a,"
              + " as docker volume prune since Docker 23, only anonymous volumes would go, and"
              + " every layerfs volume is named: nothing is removed.");
      spec.addOption(Specs.flag(new String[] {"-f", "--force"},
          "Accepted for docker's sake: layerfs never asks."));
      spec.addOption(Specs.flag(new String[] {"-a", "--all"},
          "Remove the unused named volumes too, that is, every unused volume."));
      return spec;
    }

    @Override
    public int run(Invocation in) throws IOException {
      PrintWriter out = in.out();
      try (Store store = Stores.existing(in.store())) {
        if (!in.flag("--all")) {
          // a docker user's `volume prune` keeps named volumes since Docker 23: their data stays
          Map<String, List<String>> users = store.volumeUsers();
          List<String> unused = store.volumes().stream()
              .filter(name -> users.getOrDefault(name, List.of()).isEmpty()).toList();
          out.println("Total reclaimed space: 0B");
          if (!unused.isEmpty()) {
            in.err().println("layerfs: kept " + unused.size() + " unused named volume(s) ("
                + String.join(", ", unused) + "): as docker volume prune, only -a removes"
                + " named volumes, and layerfs has no others");
          }
          return 0;
        }
        VolumePruneReport report = store.pruneVolumes();
        if (!report.volumes().isEmpty()) {
          // docker's form: the list, a blank line, the total
          out.println("Deleted Volumes:");
          report.volumes().forEach(out::println);
          out.println();
        }
        out.println("Total reclaimed space: " + Human.size(report.bytesFreed(), 4));
      }
      return 0;
    }
  }

  static final class Rm implements CliCommand {
    static CommandSpec spec() {
      CommandSpec spec = Specs.command(new Rm(), "rm",
          "Remove volumes and all their files (refused for a volume a container mounts).");
      spec.addPositional(Specs.names("NAME", "The volumes to remove."));
      return spec;
    }

    @Override
    public int run(Invocation in) throws IOException {
      List<String> names = in.positional(0);
      PrintWriter out = in.out();
      try (Store store = Stores.existing(in.store())) {
        return Main.eachOf(names, in, name -> {
          store.removeVolume(name);
          out.println(name);
        });
      }
    }
  }
}
