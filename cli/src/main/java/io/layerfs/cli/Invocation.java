package io.layerfs.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * One run of a command: the values the command line gave the command's options and parameters
 * (their defaults where it gave none), the top-level command ({@link Main}: the store, {@code
 * --debug}, the environment) and where to print.
 */
final class Invocation {
  private final Main main;
  private final CommandSpec spec;

  Invocation(Main main, CommandSpec spec) {
    this.main = main;
    this.spec = spec;
  }

  Main main() {
    return main;
  }

  /** The store the user named, or the provider's default. */
  Path store() {
    return main.store();
  }

  /** The environment (SOURCE_DATE_EPOCH); tests give their own. */
  Map<String, String> env() {
    return main.env;
  }

  /** The zone local times are printed in, as docker prints them ({@link Human#zone}). */
  java.time.ZoneId zone() {
    return Human.zone(main.env);
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /**
   * Standard output for bytes, buffered, stopping at the first failed write ({@link
   * StandardOutput}); closing it flushes it.
   */
  OutputStream stdout() {
    return StandardOutput.over(main.stdout);
  }

  /** Standard input, where a prompt reads its answer. */
  InputStream stdin() {
    return main.stdin;
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** The value of the option named {@code name} (any of its names), null if none. */
  <T> T option(String name) {
    return spec.findOption(name).getValue();
  }

  /** Whether the option without a value named {@code name} was given. */
  boolean flag(String name) {
    return Boolean.TRUE.equals(spec.findOption(name).getValue());
  }

  /** The values of a repeatable option, empty if none. */
  <T> List<T> options(String name) {
    List<T> values = spec.findOption(name).getValue();
    return values == null ? List.of() : values;
  }

  /** The value of the {@code i}-th positional parameter as declared, null if none. */
  <T> T positional(int i) {
    return spec.positionalParameters().get(i).getValue();
  }

  /** A usage error of this command (exit code 2): the message and a hint to its help. */
  ParameterException usageError(String message) {
    return new ParameterException(commandLine(), message);
  }

  CommandLine commandLine() {
    return spec.commandLine();
  }
}
