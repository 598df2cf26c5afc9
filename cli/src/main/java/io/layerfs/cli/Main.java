package io.layerfs.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The {@code layerfs} command: {@code java -jar cli/target/layerfs.jar [--store DIR] COMMAND}.
 *
 * <p>Exit codes: 0 on success, 1 on an error (one line on stderr, "layerfs: what and why", the
 * stack trace only with {@code --debug}), 2 on a usage error. Commands of several names ({@code
 * rm}, {@code volume rm}) go on past a failure, print one line per failure and exit 1.
 *
 * <p>Conventions of the commands: {@code --help} on each; {@code --store} inherited by all,
 * defaulting as the provider does ({@link Stores}); commands that only read or change a store
 * never create one ({@code import} and {@code volume create} do); output for people as tables
 * laid out like Docker's ({@link Table}, sizes and ages as Docker writes them, {@link Human}) and
 * {@code --format json} where the output is data ({@link FormatOption}); commands that make
 * something print its name or digest, one a line, so scripts can use it; long work (import,
 * export, commit, flatten, fsck) draws progress bars on standard error only when attached to a
 * terminal ({@link TerminalProgress}).
 */
// no `subcommands` here: run() adds only the one the arguments name (see COMMANDS)
@Command(
    name = "layerfs",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Container image layers as a java.nio.file file system.")
public final class Main {
  /**
   * The subcommands in the order the help lists them. picocli reflects over a command class when
   * it is added, loading the types of its fields; adding all of them cost about a third of a
   * short command's time, so {@link #run} adds only the one named when it can tell which. The
   * names are spelled here too, as reading them from the annotations parses all of them.
   */
  private static final Map<String, Class<?>> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("demo", DemoCommand.class);
    COMMANDS.put("images", ImagesCommand.class);
    COMMANDS.put("import", ImportCommand.class);
    COMMANDS.put("export", ExportCommand.class);
    COMMANDS.put("pull", PullCommand.class);
    COMMANDS.put("push", PushCommand.class);
    COMMANDS.put("create", CreateCommand.class);
    COMMANDS.put("ls", LsCommand.class);
    COMMANDS.put("cat", CatCommand.class);
    COMMANDS.put("cp", CpCommand.class);
    COMMANDS.put("diff", DiffCommand.class);
    COMMANDS.put("commit", CommitCommand.class);
    COMMANDS.put("rm", RmCommand.class);
    COMMANDS.put("ps", PsCommand.class);
    COMMANDS.put("inspect", InspectCommand.class);
    COMMANDS.put("volume", VolumeCommand.class);
    COMMANDS.put("flatten", FlattenCommand.class);
    COMMANDS.put("convert", ConvertCommand.class);
    COMMANDS.put("gc", GcCommand.class);
    COMMANDS.put("fsck", FsckCommand.class);
    COMMANDS.put("sign", SignCommand.class);
    COMMANDS.put("verify", VerifyCommand.class);
    COMMANDS.put("help", CommandLine.HelpCommand.class);
  }

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

  /** The environment (SOURCE_DATE_EPOCH); tests give their own. */
  Map<String, String> env = System.getenv();

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns its exit code; used by tests as well. */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    return run(args, out, err, System.getenv());
  }

  /** As {@link #run(String[], PrintWriter, PrintWriter)} with the environment {@code env}. */
  static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
    Main main = new Main();
    main.env = env;
    CommandLine cli = new CommandLine(main);
    Class<?> named = COMMANDS.get(commandName(args));
    if (named != null && named != CommandLine.HelpCommand.class) {
      cli.addSubcommand(named);
    } else {
      // help, usage errors and no command: all of them, so that help and suggestions list all
      for (Class<?> command : COMMANDS.values()) {
        cli.addSubcommand(command);
      }
    }
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler(new UsageErrors());
    cli.setExecutionExceptionHandler(new CommandErrors(main));
    try {
      return cli.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The subcommands by name, in the order of the help. */
  static Map<String, Class<?>> commands() {
    return Collections.unmodifiableMap(COMMANDS);
  }

  /**
   * The first argument that is not an option of the top-level command (nor the value of
   * {@code --store}), which picocli will take as the subcommand's name; null if none.
   */
  static String commandName(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--store")) {
        i++;
      } else if (!arg.startsWith("-")) {
        return arg;
      } else if (arg.equals("--")) {
        return null;
      }
    }
    return null;
  }

  /** The one line of an error on {@code err}, and its stack trace with {@code --debug}. */
  void report(PrintWriter err, Throwable e) {
    err.println("layerfs: " + Errors.describe(e));
    if (debug) {
      e.printStackTrace(err);
    }
  }

  /** What {@link #eachOf} does to one name. */
  interface Action {
    void apply(String name) throws IOException;
  }

  /**
   * Applies {@code action} to every name, as {@code docker rm} does: a failure is reported (one
   * line) and the next name is tried; the exit code is 1 if any failed.
   */
  static int eachOf(List<String> names, CommandSpec spec, Main main, Action action) {
    int code = 0;
    for (String name : names) {
      try {
        action.apply(name);
      } catch (IOException | RuntimeException e) {
        main.report(spec.commandLine().getErr(), e);
        code = 1;
      }
    }
    return code;
  }

  /** A digest as the tables show it: the algorithm and 12 hex digits, as Docker's short ids. */
  static String shortDigest(String digest) {
    int colon = digest.indexOf(':');
    return digest.substring(0, Math.min(digest.length(), colon + 13));
  }

  /** The store the user named, or the provider's default. */
  Path store() {
    return store != null ? store.toAbsolutePath() : Stores.defaultStore();
  }

  /*
   * The two handlers are classes, not lambdas: the build's class data sharing archive cannot hold
   * a lambda implementing an interface of picocli (compiled for Java 5), and archiving one made
   * the JVM leave picocli's CommandLine out of the archive too.
   */

  /** A usage error: one line and a hint, exit code 2. */
  private static final class UsageErrors implements CommandLine.IParameterExceptionHandler {
    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
      CommandLine line = e.getCommandLine();
      line.getErr().println("layerfs: " + e.getMessage());
      line.getErr().println("Try '" + line.getCommandSpec().qualifiedName() + " --help'.");
      return CommandLine.ExitCode.USAGE;
    }
  }

  /** A command that failed: {@link #report}, exit code 1. */
  private static final class CommandErrors implements CommandLine.IExecutionExceptionHandler {
    private final Main main;

    CommandErrors(Main main) {
      this.main = main;
    }

    @Override
    public int handleExecutionException(
        Exception e, CommandLine line, CommandLine.ParseResult parsed) {
      main.report(line.getErr(), e);
      return 1;
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"layerfs " + (v == null ? "(development build)" : v)};
    }
  }
}
