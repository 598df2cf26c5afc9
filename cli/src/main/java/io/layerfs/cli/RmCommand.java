package io.layerfs.cli;

import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs rm NAME...}: removes containers and their writable layers, as {@code docker rm}:
 * prints each name removed, goes on past a failure, reports each failure on its own line, and
 * exits 1 if any failed.
 */
@Command(name = "rm", mixinStandardHelpOptions = true,
    description = "Remove containers (their writable layers are deleted; images stay).")
final class RmCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", arity = "1..*", description = "The containers to remove.")
  List<String> names;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    try (Store store = Stores.existing(main.store())) {
      return Main.eachOf(names, spec, main, name -> {
        store.removeContainer(name);
        out.println(name);
      });
    }
  }
}
