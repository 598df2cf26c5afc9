package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HelpTest {
  private static final List<String> COMMANDS = List.of("demo", "images", "import", "export",
      "create", "ls", "cat", "cp", "diff", "commit", "rm", "ps", "inspect", "volume", "volume create",
      "volume ls", "volume rm", "flatten", "gc", "fsck", "sign", "verify");

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
    CommandLine cli = new CommandLine(new Main());
    for (String name : cli.getSubcommands().keySet()) {
      if (!name.equals("help")) {
        assertTrue(COMMANDS.contains(name), name + " has no help test");
      }
    }
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
