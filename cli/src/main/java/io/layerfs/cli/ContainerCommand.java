package io.layerfs.cli;

import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs container ls|rm|create|inspect|diff|commit|export|cp}: docker's long forms of
 * {@code ps}, {@code rm}, {@code create}, {@code inspect}, {@code diff}, {@code commit}, {@code
 * export} and {@code cp}, the same commands under the names {@code docker container} gives them.
 */
final class ContainerCommand implements CliCommand {
  /** {@code container NAME} and the top-level command it is. */
  private static final String[][] ALIASES = {{"ls", "ps"}, {"rm", "rm"}, {"create", "create"},
      {"inspect", "inspect"}, {"diff", "diff"}, {"commit", "commit"}, {"export", "export"},
      {"cp", "cp"}};

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ContainerCommand(), "container", "Manage containers.");
    for (String[] alias : ALIASES) {
      spec.addSubcommand(alias[0], Specs.longForm("container", alias[0], alias[1]));
    }
    return spec;
  }

  /** {@code container} alone: its help, exit code 0, as {@code docker container}. */
  @Override
  public int run(Invocation in) {
    in.commandLine().usage(in.out());
    return 0;
  }
}
