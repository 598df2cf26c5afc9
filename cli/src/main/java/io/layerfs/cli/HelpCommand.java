package io.layerfs.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code layerfs help [COMMAND...]}: the help of a command, of a subcommand of one ({@code help
 * volume ls}, as {@code docker help volume ls} shows {@code docker volume ls --help}), or of
 * layerfs. picocli's {@code HelpCommand} takes one word only; this one walks the words down the
 * tree of commands, and names a word that is no command of the one before it. Declared without
 * annotations like every other command; {@link CommandLine#executeHelpRequest} runs it.
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
            + "displayed.", "If a COMMAND is specified, the help for that command is shown; "
            + "a subcommand of it follows it (help volume ls).%n");
    spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
        .description("Show usage help for the help command and exit.").build());
    spec.addPositional(PositionalParamSpec.builder().type(List.class)
        .auxiliaryTypes(String.class).arity("0..*").paramLabel("COMMAND")
        .description("The COMMAND to display the usage help message for.").build());
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
    CommandLine command = self.getParent();
    List<String> names = self.getCommandSpec().positionalParameters().get(0).getValue();
    for (String name : names == null ? List.<String>of() : names) {
      CommandLine sub = command.getSubcommands().get(name);
      if (sub == null) {
        String of = command.getParent() == null ? ""
            : " of '" + command.getCommandSpec().qualifiedName() + "'";
        throw new ParameterException(command, "Unknown subcommand '" + name + "'" + of + ".",
            null, name);
      }
      command = sub;
    }
    command.usage(out, colors);
    return command.getCommandSpec().exitCodeOnUsageHelp();
  }
}
