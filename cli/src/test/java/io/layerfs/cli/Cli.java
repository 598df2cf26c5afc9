package io.layerfs.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Runs the command line in this JVM and captures what it prints. */
final class Cli {
  private Cli() {}

  record Result(int code, String out, String err) {
    /** Standard error is the one line "layerfs: ..." of an error. */
    String errorLine() {
      if (err.lines().count() != 1 || !err.startsWith("layerfs: ")) {
        throw new AssertionError("not one error line: [" + err + "]");
      }
      return err.strip();
    }
  }

  static Result run(String... args) {
    return run(Map.of(), args);
  }

  static Result run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true), env);
    return new Result(code, out.toString(), err.toString());
  }

  /** As {@link #run(String...)} with {@code input} on standard input (UTF-8). */
  static Result runWithInput(String input, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true), Map.of(),
        System.out, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
    return new Result(code, out.toString(), err.toString());
  }
}
