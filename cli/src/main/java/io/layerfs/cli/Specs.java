package io.layerfs.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The parts the commands' picocli models share. The models are built by hand, not read from
 * annotations: picocli reads annotations through dynamic proxy classes, which the class data
 * sharing archive cannot hold, and generating them cost about a third of a short command's time.
 */
final class Specs {
  private Specs() {}

  /**
   * A command named {@code name} running {@code command}, with the {@code -h/--help} and {@code
   * -V/--version} options every command has.
   */
  static CommandSpec command(CliCommand command, String name, String... description) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name);
    // "Usage: layerfs pull [OPTIONS] REF", as docker writes it: the options are listed below,
    // and a synopsis of them all took three lines, cut inside "--creds=USER:PASSWORD"
    spec.usageMessage().description(description).abbreviateSynopsis(true);
    spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
        .description("Show this help message and exit.").build());
    spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
        .description("Print version information and exit.").build());
    return spec;
  }

  /** An option without a value: true when given. */
  static OptionSpec flag(String[] names, String description) {
    return OptionSpec.builder(names).description(description).build();
  }

  /** As {@link #flag(String[], String)} with one name. */
  static OptionSpec flag(String name, String description) {
    return flag(new String[] {name}, description);
  }

  /** An option with a string value (more attributes on the builder). */
  static OptionSpec.Builder option(String name, String paramLabel, String description) {
    return option(new String[] {name}, paramLabel, description);
  }

  /** As {@link #option(String, String, String)} with several names. */
  static OptionSpec.Builder option(String[] names, String paramLabel, String description) {
    return OptionSpec.builder(names).type(String.class).paramLabel(paramLabel)
        .description(description);
  }

  /** An option whose value {@code converter} turns into a {@code type}. */
  static <T> OptionSpec.Builder option(String name, String paramLabel, Class<T> type,
      ITypeConverter<T> converter, String description) {
    return OptionSpec.builder(name).type(type).converters(converter).paramLabel(paramLabel)
        .description(description);
  }

  /**
   * The required string positional parameter at {@code index}, or the next one when null (more
   * attributes on the builder).
   */
  static PositionalParamSpec.Builder positional(String index, String paramLabel,
      String description) {
    // required as picocli makes an annotated one of arity 1: the model does not infer it
    PositionalParamSpec.Builder builder = PositionalParamSpec.builder().type(String.class)
        .required(true).paramLabel(paramLabel).description(description);
    return index == null ? builder : builder.index(index);
  }

  /** As {@link #positional} but optional: null when not given, unless it has a default. */
  static PositionalParamSpec.Builder optionalPositional(String index, String paramLabel,
      String description) {
    return positional(index, paramLabel, description).arity("0..1").required(false);
  }

  /** Positional parameters taking the rest of the arguments, at least one, as a list. */
  static PositionalParamSpec names(String paramLabel, String description) {
    return PositionalParamSpec.builder().type(java.util.List.class).auxiliaryTypes(String.class)
        .arity("1..*").required(true).paramLabel(paramLabel).description(description).build();
  }

  /**
   * The top-level command {@code command} under {@code parent} as {@code name}, as docker's
   * long forms ({@code docker image ls} is {@code docker images}): the same model, renamed, its
   * own synopsis (if it has one) saying where it is.
   */
  static CommandSpec longForm(String parent, String name, String command) {
    CommandSpec spec = Main.spec(command).name(name);
    String[] synopsis = spec.usageMessage().customSynopsis();
    String own = "layerfs " + command;
    if (synopsis.length > 0 && synopsis[0].startsWith(own)) {
      synopsis = synopsis.clone();
      synopsis[0] = "layerfs " + parent + " " + name + synopsis[0].substring(own.length());
      spec.usageMessage().customSynopsis(synopsis);
    }
    return spec;
  }
}
