package io.layerfs.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code layerfs} command: {@code java -jar cli/target/layerfs.jar [--store DIR] COMMAND}.
 *
 * <p>Exit codes: 0 on success, 1 on an error (one line on stderr, the stack trace only with
 * {@code --debug}), 2 on a usage error.
 */
@Command(
    name = "layerfs",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Container image layers as a java.nio.file file system.",
    subcommands = {
      DemoCommand.class,
      ImagesCommand.class,
      LsCommand.class,
      CatCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {
  @Option(
      names = "--store",
      paramLabel = "DIR",
      description = "The store (an OCI image layout). Default: -Dlayerfs.store, $LAYERFS_STORE, "
          + "$XDG_DATA_HOME/layerfs, ~/.local/share/layerfs.",
      scope = CommandLine.ScopeType.INHERIT)
  Path store;

  @Option(names = "--debug", description = "Print stack traces of errors.",
      scope = CommandLine.ScopeType.INHERIT)
  boolean debug;

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns its exit code; used by tests as well. */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    Main main = new Main();
    CommandLine cli = new CommandLine(main);
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler((e, arguments) -> {
      CommandLine line = e.getCommandLine();
      line.getErr().println("layerfs: " + e.getMessage());
      line.getErr().println("Try '" + line.getCommandSpec().qualifiedName() + " --help'.");
      return CommandLine.ExitCode.USAGE;
    });
    cli.setExecutionExceptionHandler((e, line, parsed) -> {
      line.getErr().println("layerfs: " + Errors.describe(e));
      if (main.debug) {
        e.printStackTrace(line.getErr());
      }
      return 1;
    });
    try {
      return cli.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The store the user named, or the provider's default. */
  Path store() {
    return store != null ? store.toAbsolutePath() : Stores.defaultStore();
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"layerfs " + (v == null ? "(development build)" : v)};
    }
  }
}
