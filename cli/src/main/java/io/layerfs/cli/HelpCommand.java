package io.layerfs.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code layerfs help [COMMAND]}: the help of a command, or of layerfs. The same command as
 * picocli's {@code HelpCommand} (same help text and errors), declared without annotations like
 * every other command; {@link CommandLine#executeHelpRequest} runs it.
 */
final class HelpCommand implements CommandLine.IHelpCommandInitializable2, Callable<Integer> {
  private CommandLine self;
  private ColorScheme colors;
  private PrintWriter out;

  static CommandSpec spec() {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(new HelpCommand()).name("help")
        .helpCommand(true);
    spec.usageMessage()
        .header("Display help information about the specified command.")
        .synopsisHeading("%nUsage: ")
        .description("%nWhen no COMMAND is given, the usage help for the main command is "
            + "displayed.", "If a COMMAND is specified, the help for that command is shown.%n");
    spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
        .description("Show usage help for the help command and exit.").build());
    spec.addPositional(PositionalParamSpec.builder().type(String.class).arity("0..1")
        .paramLabel("COMMAND").description("The COMMAND to display the usage help message for.")
        .build());
    return spec;
  }

  @Override
  public void init(CommandLine helpCommandLine, ColorScheme colorScheme, PrintWriter out,
      PrintWriter err) {
    this.self = helpCommandLine;
    this.colors = colorScheme;
    this.out = out;
  }

  @Override
  public Integer call() {
    CommandLine parent = self.getParent();
    String name = self.getCommandSpec().positionalParameters().get(0).getValue();
    if (name == null) {
      parent.usage(out, colors);
      return parent.getCommandSpec().exitCodeOnUsageHelp();
    }
    CommandLine command = parent.getSubcommands().get(name);
    if (command == null) {
      throw new ParameterException(parent, "Unknown subcommand '" + name + "'.", null, name);
    }
    command.usage(out, colors);
    return command.getCommandSpec().exitCodeOnUsageHelp();
  }
}
