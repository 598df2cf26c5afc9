package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs volume create|ls|rm}: the store's named volumes ({@link Volumes}), as
 * {@code docker volume} manages them. All volumes use the {@code local} driver.
 */
@Command(name = "volume", mixinStandardHelpOptions = true,
    description = "Manage named volumes.",
    subcommands = {VolumeCommand.Create.class, VolumeCommand.Ls.class, VolumeCommand.Rm.class})
final class VolumeCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: create, ls or rm");
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
      Table table = new Table("DRIVER", "VOLUME NAME");
      ArrayNode rows = Json.array();
      for (String name : store.volumes()) {
        if (format.json()) {
          ObjectNode row = rows.addObject();
          row.put("name", name);
          row.put("driver", "local");
          row.put("mountpoint", store.volume(name).toString());
        } else {
          table.row("local", name);
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

  @Command(name = "rm", mixinStandardHelpOptions = true,
      description = "Remove volumes and all their files.")
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
