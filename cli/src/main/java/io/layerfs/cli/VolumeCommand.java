package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs volume create|ls|inspect|rm|prune}: the store's named volumes, as {@code docker
 * volume} manages them. All volumes use the {@code local} driver; {@code ls} and {@code inspect}
 * name the containers that mount each, {@code rm} refuses a volume a container mounts, {@code
 * prune} removes every volume no container mounts.
 */
@Command(name = "volume", mixinStandardHelpOptions = true,
    description = "Manage named volumes.",
    subcommands = {VolumeCommand.Create.class, VolumeCommand.Ls.class, VolumeCommand.Inspect.class,
        VolumeCommand.Rm.class, VolumeCommand.Prune.class})
final class VolumeCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(),
        "missing subcommand: create, ls, inspect, rm or prune");
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a volume (nothing changes if it exists) and print its name.")
  static final class Create implements Callable<Integer> {
    @ParentCommand VolumeCommand volume;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "[a-zA-Z0-9][a-zA-Z0-9_.-]*")
    String name;

    @Override
    public Integer call() throws IOException {
      try (Store store = Stores.create(volume.main.store())) {
        store.createVolume(name);
      }
      spec.commandLine().getOut().println(name);
      return 0;
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "List the volumes.")
  static final class Ls implements Callable<Integer> {
    @ParentCommand VolumeCommand volume;
    @Spec CommandSpec spec;
    @Mixin FormatOption format;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      try (Store store = Stores.existing(volume.main.store())) {
        return list(store, out);
      }
    }

    private Integer list(Store store, PrintWriter out) throws IOException {
      Table table = new Table("DRIVER", "VOLUME NAME", "CONTAINERS");
      ArrayNode rows = Json.array();
      Map<String, List<String>> users = store.volumeUsers();
      for (String name : store.volumes()) {
        List<String> using = users.getOrDefault(name, List.of());
        if (format.json()) {
          ObjectNode row = rows.addObject();
          row.put("name", name);
          row.put("driver", "local");
          row.put("mountpoint", store.volume(name).toString());
          ArrayNode containers = row.putArray("containers");
          using.forEach(containers::add);
        } else {
          table.row("local", name, String.join(",", using));
        }
      }
      if (format.json()) {
        Json.print(out, rows);
      } else {
        table.print(out);
      }
      return 0;
    }
  }

  @Command(name = "inspect", mixinStandardHelpOptions = true,
      description = "Show volumes in detail (JSON, as docker volume inspect).")
  static final class Inspect implements Callable<Integer> {
    @ParentCommand VolumeCommand volume;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "NAME", arity = "1..*", description = "The volumes to show.")
    List<String> names;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      try (Store store = Stores.existing(volume.main.store())) {
        Map<String, List<String>> users = store.volumeUsers();
        ArrayNode all = Json.array();
        int code = Main.eachOf(names, spec, volume.main, name -> {
          ObjectNode o = Json.object();
          o.put("Name", name);
          o.put("Driver", "local");
          o.put("Mountpoint", store.volume(name).toString());
          o.put("Scope", "local");
          ArrayNode containers = o.putArray("Containers");
          users.getOrDefault(name, List.of()).forEach(containers::add);
          all.add(o);
        });
        Json.print(out, all);
        return code;
      }
    }
  }

  @Command(name = "prune", mixinStandardHelpOptions = true,
      description = "Remove every volume no container mounts (docker volume prune -a); prints "
          + "their names.")
  static final class Prune implements Callable<Integer> {
    @ParentCommand VolumeCommand volume;
    @Spec CommandSpec spec;

    @Option(names = {"-f", "--force"}, description = "Accepted for docker's sake: layerfs "
        + "never asks.")
    boolean force;

    @Option(names = {"-a", "--all"}, description = "Accepted for docker's sake: every "
        + "volume is named.")
    boolean all;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      try (Store store = Stores.existing(volume.main.store())) {
        List<String> removed = store.pruneVolumes();
        out.println("Deleted Volumes:");
        removed.forEach(out::println);
      }
      return 0;
    }
  }

  @Command(name = "rm", mixinStandardHelpOptions = true,
      description = "Remove volumes and all their files (refused for a volume a container "
          + "mounts).")
  static final class Rm implements Callable<Integer> {
    @ParentCommand VolumeCommand volume;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "NAME", arity = "1..*", description = "The volumes to remove.")
    List<String> names;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      try (Store store = Stores.existing(volume.main.store())) {
        return Main.eachOf(names, spec, volume.main, name -> {
          store.removeVolume(name);
          out.println(name);
        });
      }
    }
  }
}
