package io.layerfs.cli;

import java.io.IOException;

/**
 * A command of the command line: what it does with one {@link Invocation}. Each command class
 * also declares its options and parameters in a static {@code spec()} (picocli's programmatic
 * model, see {@link Specs}), whose user object is an instance of the class.
 */
interface CliCommand {
  /** Runs the command and returns its exit code. */
  int run(Invocation in) throws IOException;
}
