package io.layerfs.cli;

import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs rm [-f] NAME...}: removes containers and their writable layers, as {@code docker
 * rm}: prints each name removed, goes on past a failure, reports each failure on its own line,
 * and exits 1 if any failed. With {@code -f}, a container that does not exist is no failure, as
 * {@code docker rm -f} skips one without a word. Docker's force also kills a running container;
 * the nearest thing here, a container another process has open (for writing, or read-only), is
 * still refused: deleting its layer under that process would lose what it writes, or break what
 * it reads.
 */
final class RmCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new RmCommand(), "rm",
        "Remove containers (their writable layers are deleted; images stay).");
    spec.addOption(Specs.flag(new String[] {"-f", "--force"},
        "Skip containers that do not exist, as 'docker rm -f' does. A container another "
            + "process has open (for writing, or read-only) is still not removed: close it "
            + "there first."));
    spec.addPositional(Specs.names("NAME", "The containers to remove."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<String> names = in.positional(0);
    boolean force = in.flag("--force");
    PrintWriter out = in.out();
    try (Store store = Stores.existing(in.store())) {
      return Main.eachOf(names, in, name -> {
        try {
          Stores.checkContainer(store, name);
          store.removeContainer(name);
        } catch (NoSuchFileException e) {
          if (force) {
            return; // docker rm -f: a missing container is what was wanted
          }
          throw e;
        }
        out.println(name);
      });
    }
  }
}
