package io.layerfs.cli;

import io.layerfs.core.Progress;
import java.io.Console;
import java.lang.reflect.Method;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;

/**
 * Draws core's {@link Progress} steps as progress bars (me.tongfei progressbar) on standard
 * error, one bar per step, in KiB or MiB, digests in step names shortened to 12 hex digits; a
 * step of unknown size gets an indefinite bar.
 *
 * <p>{@link #forConsole()} decides whether to draw: bars appear when the JVM is attached to a
 * terminal ({@link System#console()} is not null, and on JDK 22 and later also says it is a
 * terminal), never in pipes, redirections or tests, so standard output stays exactly the
 * command's data. Commands use it in try-with-resources, so a failure part way does not leave a
 * bar (and its refresh thread) running above the error line.
 */
final class TerminalProgress implements Progress, AutoCloseable {
  private static final long KIB = 1 << 10;
  private static final long MIB = 1 << 20;
  // full digests in step names leave no room for the bar: shorten them as Docker's ids
  private static final Pattern DIGEST = Pattern.compile("(sha256:[0-9a-f]{12})[0-9a-f]{52}");

  private final Supplier<ProgressBarConsumer> consumers;
  private ProgressBar bar;

  /** Draws with consumers from {@code consumersOrNull}, or nothing when it is null. */
  TerminalProgress(Supplier<ProgressBarConsumer> consumersOrNull) {
    this.consumers = consumersOrNull;
  }

  /** Bars on standard error when attached to a terminal, otherwise silent. */
  static TerminalProgress forConsole() {
    return new TerminalProgress(
        isTerminal() ? () -> new ConsoleProgressBarConsumer(System.err) : null);
  }

  /** Whether this draws at all. */
  boolean drawing() {
    return consumers != null;
  }

  private static boolean isTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      // JDK 22+ returns a Console for redirected streams too; isTerminal() tells them apart
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // before JDK 22, a console means a terminal
    }
  }

  @Override
  public void start(String step, long total) {
    done();
    if (consumers == null) {
      return;
    }
    boolean small = total >= 0 && total < 10 * MIB;
    bar = new ProgressBarBuilder()
        .setTaskName(DIGEST.matcher(step).replaceAll("$1"))
        .setInitialMax(total < 0 ? -1 : total)
        .setUnit(small ? "KiB" : "MiB", small ? KIB : MIB)
        .showSpeed()
        .setConsumer(consumers.get())
        .build();
  }

  @Override
  public void advance(long amount) {
    if (bar != null) {
      bar.stepBy(amount);
    }
  }

  @Override
  public void done() {
    if (bar != null) {
      if (bar.getMax() >= 0) {
        bar.stepTo(Math.max(bar.getMax(), bar.getCurrent()));
      }
      bar.close();
      bar = null;
    }
  }

  /** Ends the current bar, if any, where it stands (after a failure it did not finish). */
  @Override
  public void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
