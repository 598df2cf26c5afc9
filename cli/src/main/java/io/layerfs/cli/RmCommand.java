package io.layerfs.cli;

import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs rm NAME...}: removes containers and their writable layers, as {@code docker rm}:
 * prints each name removed, goes on past a failure, reports each failure on its own line, and
 * exits 1 if any failed.
 */
final class RmCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new RmCommand(), "rm",
        "Remove containers (their writable layers are deleted; images stay).");
    spec.addPositional(Specs.names("NAME", "The containers to remove."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<String> names = in.positional(0);
    PrintWriter out = in.out();
    try (Store store = Stores.existing(in.store())) {
      return Main.eachOf(names, in, name -> {
        Stores.checkContainer(store, name);
        store.removeContainer(name);
        out.println(name);
      });
    }
  }
}
