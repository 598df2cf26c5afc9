package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HelpTest {
  private static final List<String> COMMANDS = List.of("demo", "images", "import", "export",
      "pull", "push", "create", "ls", "cat", "cp", "diff", "commit", "rm", "rmi", "tag",
      "ps", "inspect", "history", "image", "image prune", "image ls", "image rm", "image tag",
      "image inspect", "image history", "image pull", "image push", "image import",
      "container", "container ls", "container rm", "container create", "container inspect",
      "container diff", "container commit", "container export", "container cp", "volume",
      "volume create",
      "volume ls", "volume inspect", "volume rm", "volume prune", "flatten", "convert", "gc",
      "fsck", "sign", "verify");

  @Test
  void everyCommandHasHelp() {
    for (String command : COMMANDS) {
      String[] words = (command + " --help").split(" ");
      Cli.Result r = Cli.run(words);
      assertEquals(0, r.code(), command + ": " + r.err());
      assertTrue(r.out().startsWith("Usage: layerfs " + command + " "), r.out());
      assertTrue(r.out().contains("--store=DIR"), command + " inherits --store: " + r.out());
      assertEquals("", r.err());
    }
  }

  @Test
  void everyRegisteredCommandIsCovered() {
    List<String> registered = new ArrayList<>();
    collect(Main.commandLine(new Main(), null), "", registered);
    registered.remove("help");
    assertEquals(List.copyOf(new TreeSet<>(COMMANDS)), List.copyOf(new TreeSet<>(registered)));
  }

  /**
   * No option converts with a lambda: one of picocli's converter interface (a Java 5 class)
   * links it when the launcher's class data sharing archive is dumped, which then leaves every
   * converter out of the archive (about 14 ms of each command's start).
   */
  @Test
  void noConverterIsALambda() {
    int converters = 0;
    for (CommandLine line : allCommandLines()) {
      for (CommandLine.Model.OptionSpec option : line.getCommandSpec().options()) {
        for (CommandLine.ITypeConverter<?> converter : option.converters()) {
          converters++;
          assertTrue(!converter.getClass().isSynthetic()
              && !converter.getClass().getName().contains("$$Lambda"),
              line.getCommandName() + " " + option.longestName() + ": " + converter.getClass());
        }
      }
    }
    assertTrue(converters > 0, "the commands have converters");
  }

  @Test
  void noOptionOrParameterNeedsAConverterTheCommandLineLeavesOut() {
    Main.run(new String[] {"--version"}, new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()));
    assertEquals(Main.CONVERTER_EXCLUDES, System.getProperty("picocli.converters.excludes"));
    int args = 0;
    for (CommandLine line : allCommandLines()) {
      for (CommandLine.Model.ArgSpec arg : line.getCommandSpec().args()) {
        args++;
        List<Class<?>> types = new ArrayList<>(List.of(arg.type()));
        types.addAll(List.of(arg.auxiliaryTypes()));
        for (Class<?> type : types) {
          boolean excluded = Arrays.stream(Main.CONVERTER_EXCLUDES.split(","))
              .anyMatch(type.getName()::matches);
          assertTrue(!excluded || arg.converters().length > 0,
              line.getCommandName() + " " + arg.paramLabel() + ": " + type.getName());
        }
      }
    }
    assertTrue(args > 50, "the commands have options and parameters: " + args);
  }

  /** Every command line: the top one with all subcommands, and theirs. */
  private static List<CommandLine> allCommandLines() {
    List<CommandLine> all = new ArrayList<>();
    all.add(Main.commandLine(new Main(), null));
    for (int i = 0; i < all.size(); i++) {
      all.addAll(all.get(i).getSubcommands().values());
    }
    return all;
  }

  /** The qualified names below {@code line}, subcommands of subcommands too. */
  private static void collect(CommandLine line, String prefix, List<String> names) {
    for (Map.Entry<String, CommandLine> e : line.getSubcommands().entrySet()) {
      names.add(prefix + e.getKey());
      collect(e.getValue(), prefix + e.getKey() + " ", names);
    }
  }

  @Test
  void helpIsWrappedBetweenWordsOnly() {
    for (String command : COMMANDS) {
      String help = Cli.run((command + " --help").split(" ")).out();
      assertTrue(help.contains("~/.local/share/layerfs."), command + ": " + help);
      List<String> lines = help.lines().toList();
      assertTrue(lines.get(0).startsWith("Usage: layerfs " + command + " [OPTIONS]"), help);
      assertTrue(!lines.get(1).startsWith(" "), command + ", a synopsis of one line: " + help);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        assertTrue(line.length() <= 80, command + ", longer than 80 columns: " + line);
        // picocli breaks a long line after a '.' inside a word ("~/." + "local/share") and
        // wraps a long indented footer line at column 0
        if (i + 1 < lines.size() && !lines.get(i + 1).isBlank()) {
          char next = lines.get(i + 1).strip().charAt(0);
          int indent = lines.get(i + 1).indexOf(next);
          // a wrapped line: a paragraph's (column 0) or a description's (under its column)
          boolean wrapped = indent == 0 || indent >= 8;
          boolean continues = Character.isLowerCase(next) && line.startsWith(" ")
              && !lines.get(i + 1).startsWith(" ");
          boolean splitWord = wrapped && line.endsWith(".") && Character.isLowerCase(next)
              && Character.isLetter(line.charAt(line.length() - 2))
              && !line.endsWith(" etc.") && !line.endsWith(" e.g.");
          assertTrue(!continues && !splitWord,
              command + ", wrapped inside a word or at column 0:\n" + line + "\n"
                  + lines.get(i + 1));
        }
      }
    }
  }

  @Test
  void theHelpCommandShowsACommandsHelp() {
    Cli.Result help = Cli.run("help", "ls");
    assertEquals(0, help.code(), help.err());
    assertEquals(Cli.run("ls", "--help").out(), help.out());
    Cli.Result top = Cli.run("help");
    assertEquals(0, top.code(), top.err());
    assertEquals(Cli.run("--help").out(), top.out());
    Cli.Result unknown = Cli.run("help", "nosuch");
    assertEquals(2, unknown.code());
    assertEquals("layerfs: Unknown subcommand 'nosuch'.\nTry 'layerfs --help'.\n",
        unknown.err());
  }

  @Test
  void theHelpCommandShowsASubcommandsHelp() {
    for (String command : COMMANDS) {
      if (command.contains(" ")) {
        List<String> words = new ArrayList<>(List.of(command.split(" ")));
        words.add(0, "help");
        Cli.Result help = Cli.run(words.toArray(String[]::new));
        assertEquals(0, help.code(), command + ": " + help.err());
        assertTrue(help.out().startsWith("Usage: layerfs " + command + " "), help.out());
        assertEquals(Cli.run((command + " --help").split(" ")).out(), help.out());
      }
    }
    Cli.Result unknown = Cli.run("help", "volume", "nosuch");
    assertEquals(2, unknown.code());
    assertEquals("", unknown.out());
    assertEquals("layerfs: Unknown subcommand 'nosuch' of 'layerfs volume'.\n"
        + "Try 'layerfs volume --help'.\n", unknown.err());
    Cli.Result tooDeep = Cli.run("help", "ls", "nosuch");
    assertEquals(2, tooDeep.code());
    assertEquals("layerfs: Unknown subcommand 'nosuch' of 'layerfs ls'.\n"
        + "Try 'layerfs ls --help'.\n", tooDeep.err());
  }

  @Test
  void topLevelHelpListsTheCommands() {
    Cli.Result r = Cli.run("--help");
    assertEquals(0, r.code());
    for (String command : COMMANDS) {
      if (!command.contains(" ")) {
        assertTrue(r.out().contains("  " + command + " "), command + " in: " + r.out());
      }
    }
  }
}
