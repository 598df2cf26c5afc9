package io.layerfs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

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
 *
 * <p>Each command declares its options and parameters in a static {@code spec()}, with picocli's
 * programmatic model ({@link Specs}: no annotation is read, as that costs a short command about a
 * third of its time), and runs as a {@link CliCommand} with an {@link Invocation}.
 */
public final class Main implements CliCommand {
  /**
   * What picocli's system property {@code picocli.converters.excludes} leaves out of each command
   * line: its converters for the java.time and java.sql types, registered by reflection, which
   * initialises those classes (java.time's formatters among them), 2-10 ms of a command that does
   * not use them itself. No option has such a type ({@code HelpTest}); a value given stays.
   */
  static final String CONVERTER_EXCLUDES = "java\\.time\\..*,java\\.sql\\..*";

  /**
   * The subcommands in the order the help lists them. Building a command's model loads the
   * classes it uses, so {@link #run} adds only the one named when it can tell which.
   */
  private static final List<String> COMMANDS = List.of("demo", "images", "import", "export",
      "pull", "push", "create", "ls", "cat", "cp", "diff", "commit", "rm", "rmi", "tag", "ps",
      "inspect", "history", "image", "container", "volume", "flatten", "convert", "gc", "fsck",
      "sign", "verify", "help");

  static {
    // picocli's default factory looks for Groovy's Closure class, absent here; the failed search
    // of the class path opens the jar and indexes its 14,000 entries, which images, ps, diff and
    // inspect otherwise never do
    if (System.getProperty("picocli.disable.closures") == null) {
      System.setProperty("picocli.disable.closures", "true");
    }
  }

  /** The store given with --store, null if none. */
  Path store;

  /** Whether --debug was given: errors print their stack traces. */
  boolean debug;

  /** The environment (SOURCE_DATE_EPOCH); tests give their own. */
  Map<String, String> env = System.getenv();

  /** Whether standard output failed and the command ended for it. */
  private boolean outputFailed;

  /** Where the bytes of files and tars go (see {@link StandardOutput}); tests give their own. */
  OutputStream stdout = System.out;

  /** Where a prompt's answer is read ({@code image prune}); tests give their own. */
  InputStream stdin = System.in;

  public static void main(String[] args) {
    OutputStream stdout = StandardOutput.ofProcess();
    System.exit(run(RawArguments.of(args), StandardOutput.text(stdout),
        new PrintWriter(System.err, true), System.getenv(), stdout));
  }

  /** Runs the command line and returns its exit code; used by tests as well. */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    return run(args, out, err, System.getenv());
  }

  /** As {@link #run(String[], PrintWriter, PrintWriter)} with the environment {@code env}. */
  static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
    return run(args, out, err, env, System.out);
  }

  /**
   * As {@link #run(String[], PrintWriter, PrintWriter, Map)}, the bytes of files and tars
   * ({@code cat}, {@code cp NAME:SRC -}, {@code export NAME}) written to {@code stdout}.
   */
  static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env,
      OutputStream stdout) {
    return run(args, out, err, env, stdout, System.in);
  }

  /**
   * As {@link #run(String[], PrintWriter, PrintWriter, Map, OutputStream)}, a prompt's answer
   * read from {@code stdin}.
   */
  static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env,
      OutputStream stdout, InputStream stdin) {
    if (System.getProperty("picocli.converters.excludes") == null) {
      System.setProperty("picocli.converters.excludes", CONVERTER_EXCLUDES);
    }
    Main main = new Main();
    main.env = env;
    main.stdout = stdout;
    main.stdin = stdin;
    CommandLine cli = commandLine(main, commandName(args));
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler(new UsageErrors());
    cli.setExecutionExceptionHandler(new CommandErrors(main));
    cli.setExecutionStrategy(new Execution(main));
    try {
      int code = cli.execute(args);
      if (!main.outputFailed) {
        out.flush(); // what a print without a newline left; it fails as any print does
      }
      return code;
    } catch (RuntimeException e) {
      // text that failed outside a command: help, usage, the last flush
      StandardOutput.WriteError write = StandardOutput.writeError(e);
      if (write == null) {
        throw e;
      }
      return main.writeFailed(write, err);
    } finally {
      err.flush();
    }
  }

  /**
   * The command line of {@code main} with the subcommand {@code name}; with all of them when
   * {@code name} is null, unknown or {@code help}, so that help and suggestions list all.
   */
  static CommandLine commandLine(Main main, String name) {
    CommandLine cli = new CommandLine(spec(main));
    CommandSpec named = name == null || name.equals("help") ? null : spec(name);
    if (named != null) {
      cli.addSubcommand(named);
    } else {
      for (String command : COMMANDS) {
        cli.addSubcommand(spec(command));
      }
    }
    return cli;
  }

  /** The names of the subcommands, in the order of the help. */
  static List<String> commands() {
    return COMMANDS;
  }

  /** A new model of the subcommand {@code name}; null if there is none of that name. */
  static CommandSpec spec(String name) {
    return switch (name) {
      case "demo" -> DemoCommand.spec();
      case "images" -> ImagesCommand.spec();
      case "import" -> ImportCommand.spec();
      case "export" -> ExportCommand.spec();
      case "pull" -> PullCommand.spec();
      case "push" -> PushCommand.spec();
      case "create" -> CreateCommand.spec();
      case "ls" -> LsCommand.spec();
      case "cat" -> CatCommand.spec();
      case "cp" -> CpCommand.spec();
      case "diff" -> DiffCommand.spec();
      case "commit" -> CommitCommand.spec();
      case "rm" -> RmCommand.spec();
      case "rmi" -> RmiCommand.spec();
      case "tag" -> TagCommand.spec();
      case "ps" -> PsCommand.spec();
      case "inspect" -> InspectCommand.spec();
      case "history" -> HistoryCommand.spec();
      case "image" -> ImageCommand.spec();
      case "container" -> ContainerCommand.spec();
      case "volume" -> VolumeCommand.spec();
      case "flatten" -> FlattenCommand.spec();
      case "convert" -> ConvertCommand.spec();
      case "gc" -> GcCommand.spec();
      case "fsck" -> FsckCommand.spec();
      case "sign" -> SignCommand.spec();
      case "verify" -> VerifyCommand.spec();
      case "help" -> HelpCommand.spec();
      default -> null;
    };
  }

  /** The top-level command; {@code --store} and {@code --debug} are inherited by all. */
  private static CommandSpec spec(Main main) {
    CommandSpec spec = Specs.command(main, "layerfs",
        "Container image layers as a java.nio.file file system.");
    spec.versionProvider(new Version());
    spec.addOption(OptionSpec.builder("--store").type(Path.class).paramLabel("DIR")
        // short lines: picocli wraps a long one after any '.', as in "~/." and "local/share"
        .description("The store (an OCI image layout). Default:",
            "-Dlayerfs.store, $LAYERFS_STORE,", "$XDG_DATA_HOME/layerfs, ~/.local/share/layerfs.")
        .scopeType(CommandLine.ScopeType.INHERIT).build());
    spec.addOption(OptionSpec.builder("--debug").description("Print stack traces of errors.")
        .scopeType(CommandLine.ScopeType.INHERIT).build());
    return spec;
  }

  /** {@code layerfs} without a command: its help, on stdout and exit code 0, as {@code docker}. */
  @Override
  public int run(Invocation in) {
    in.commandLine().usage(in.out());
    return 0;
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
  /**
   * The exit status of a command whose standard output failed: a reader that went away ({@code |
   * head -c 10}) ends it silently with the status the shell gives a program killed by SIGPIPE,
   * as cat and docker end; any other failure is GNU cat's "write error: REASON", status 1.
   */
  int writeFailed(StandardOutput.WriteError write, PrintWriter err) {
    outputFailed = true; // said once: the text still buffered would only fail again
    if (write.brokenPipe()) {
      return StandardOutput.BROKEN_PIPE_STATUS;
    }
    report(err, new IOException("write error: " + Errors.describe(write), write));
    return 1;
  }

  void report(PrintWriter err, Throwable e) {
    err.println("layerfs: " + Errors.printable(Errors.describe(e)));
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
  static int eachOf(List<String> names, Invocation in, Action action) {
    int code = 0;
    for (String name : names) {
      try {
        action.apply(name);
      } catch (IOException | RuntimeException e) {
        if (StandardOutput.writeError(e) != null) {
          throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
        }
        in.main().report(in.err(), e);
        code = 1;
      }
    }
    return code;
  }

  /**
   * Reports {@code failures} (one line each) after what was printed, as {@code docker inspect}
   * reports the names it did not find after the others; the exit code, 1 if any failed.
   */
  static int reportAfter(Invocation in, List<? extends Exception> failures) {
    in.out().flush();
    failures.forEach(e -> in.main().report(in.err(), e));
    return failures.isEmpty() ? 0 : 1;
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
   * The handlers, the strategy and the commands' converters are classes, not lambdas: the build's
   * class data sharing archive cannot hold a lambda implementing an interface of picocli
   * (compiled for Java 5), and archiving one made the JVM leave picocli's CommandLine out of the
   * archive too.
   */

  /** A usage error: one line and a hint, exit code 2. */
  private static final class UsageErrors implements CommandLine.IParameterExceptionHandler {
    /**
     * docker's commands that layerfs has under another name or not at all, with what to type
     * instead: the spelling suggestions for them name unrelated commands (save: verify).
     */
    private static final Map<String, String> DOCKER_WORDS = dockerWords();

    private static Map<String, String> dockerWords() {
      String noProcess = "layerfs runs no processes: 'layerfs create' makes a container, and cp, "
          + "cat, ls or the Java API read and write its files";
      Map<String, String> words = new HashMap<>();
      for (String run : List.of("run", "start", "exec", "stop", "kill", "restart", "attach",
          "logs", "top", "pause", "unpause", "wait")) {
        words.put(run, noProcess);
      }
      words.put("save", "as docker save -o FILE IMAGE: layerfs export IMAGE docker-archive:FILE");
      words.put("load", "as docker load -i FILE: layerfs import FILE; as docker load < FILE:"
          + " layerfs import - < FILE");
      words.put("login", "layerfs reads the credentials docker login stores "
          + "(~/.docker/config.json), or --creds USER:PASSWORD on pull and push");
      return Map.copyOf(words);
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
      CommandLine line = e.getCommandLine();
      CommandLine top = line;
      while (top.getParent() != null) {
        top = top.getParent();
      }
      String word = firstWord(top, args);
      if (line != top && word != null && !top.getSubcommands().containsKey(word)) {
        // "run web ls": picocli goes on to the ls it finds later, but the first word is wrong
        e = new CommandLine.UnmatchedArgumentException(top, List.of(word));
        line = top;
      }
      line.getErr().println("layerfs: " + message(e, line));
      line.getErr().println("Try '" + line.getCommandSpec().qualifiedName() + " --help'.");
      return CommandLine.ExitCode.USAGE;
    }

    /** The first argument that is neither an option of {@code top} nor an option's value. */
    private static String firstWord(CommandLine top, String[] args) {
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.equals("--")) {
          return i + 1 < args.length ? args[i + 1] : null;
        }
        if (!arg.startsWith("-") || arg.equals("-")) {
          return arg;
        }
        CommandLine.Model.OptionSpec option = top.getCommandSpec().findOption(arg);
        if (option != null && option.arity().max() > 0) {
          i++; // its value, given apart ("--store DIR"; "--store=DIR" is one argument)
        }
      }
      return null;
    }

    /**
     * picocli's message, but for a word where a command has subcommands: "'frob' is not a
     * layerfs volume command", as docker says, with picocli's nearest names.
     */
    private static String message(CommandLine.ParameterException e, CommandLine line) {
      if (e instanceof CommandLine.UnmatchedArgumentException unmatched
          && !line.getSubcommands().isEmpty() && line.getCommandSpec().positionalParameters()
              .isEmpty()) {
        List<String> words = unmatched.getUnmatched();
        String word = words.isEmpty() ? "" : words.get(0);
        if (!word.startsWith("-")) {
          String what = "'" + word + "' is not a " + line.getCommandSpec().qualifiedName()
              + " command";
          String docker = line.getParent() == null ? DOCKER_WORDS.get(word) : null;
          if (docker != null) {
            return what + "; " + docker;
          }
          List<String> near = unmatched.getSuggestions();
          return what
              + (near.isEmpty() ? "" : "; did you mean " + String.join(" or ", near) + "?");
        }
      }
      return e.getMessage();
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
      StandardOutput.WriteError write = StandardOutput.writeError(e);
      if (write != null) {
        return main.writeFailed(write, line.getErr());
      }
      main.report(line.getErr(), e);
      return 1;
    }
  }

  /**
   * Runs the command the arguments named (the last one parsed), after the help a help option or
   * the help command asked for. Its exceptions go to {@link CommandErrors}, as picocli's own
   * strategies send them, except usage errors, which go to {@link UsageErrors}.
   */
  private static final class Execution implements CommandLine.IExecutionStrategy {
    private final Main main;

    Execution(Main main) {
      this.main = main;
    }

    @Override
    public int execute(CommandLine.ParseResult parsed) {
      Integer help;
      try {
        help = CommandLine.executeHelpRequest(parsed);
      } catch (UncheckedIOException e) { // standard output failed: reported as a command's
        throw new CommandLine.ExecutionException(parsed.commandSpec().commandLine(),
            "help: " + e, e);
      }
      if (help != null) {
        return help;
      }
      CommandSpec root = parsed.commandSpec();
      main.store = root.findOption("--store").getValue();
      main.debug = Boolean.TRUE.equals(root.findOption("--debug").getValue());
      CommandLine.ParseResult last = parsed;
      while (last.hasSubcommand()) {
        last = last.subcommand();
      }
      CommandLine line = last.commandSpec().commandLine();
      CliCommand command = line.getCommand();
      try {
        return command.run(new Invocation(main, last.commandSpec()));
      } catch (CommandLine.ParameterException | CommandLine.ExecutionException e) {
        throw e;
      } catch (Exception e) {
        throw new CommandLine.ExecutionException(line, "Error while running command ("
            + line.getCommandName() + "): " + e, e);
      }
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
