package io.layerfs.cli;

import io.layerfs.core.Progress;
import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;

/**
 * Draws core's {@link Progress} steps as progress bars (me.tongfei progressbar) on standard
 * error, one bar per step, in KiB or MiB, digests in step names shortened to 12 hex digits; a
 * step of unknown size gets an indefinite bar. Steps that run at once ({@link Progress.Parallel}:
 * a pull's layers) get a line each, all redrawn in place as they advance, as Docker draws a
 * pull's layers; without a terminal, each such step that finishes is one plain line instead.
 *
 * <p>{@link #forConsole()} decides whether to draw: bars appear when standard error is a
 * terminal (on Linux, what {@code /proc/self/fd/2} links to; elsewhere, when {@link
 * System#console()} says the JVM is attached to one), never when it is a pipe or file, nor in
 * tests; standard output stays exactly the command's data. Commands use it in
 * try-with-resources, so a failure part way does not leave a bar (and its refresh thread)
 * running above the error line.
 */
final class TerminalProgress implements Progress.Parallel, AutoCloseable {
  private static final long KIB = 1 << 10;
  private static final long MIB = 1 << 20;
  // full digests in step names leave no room for the bar: shorten them as Docker's ids
  private static final Pattern DIGEST = Pattern.compile("(sha256:[0-9a-f]{12})[0-9a-f]{52}");

  private final Supplier<ProgressBarConsumer> consumers;
  private final Supplier<ProgressBarConsumer> lineConsumers;
  private final PrintStream plain;
  private Bar bar;
  // bars of parallel steps not done yet
  // @GuardedBy("this")
  private final List<Bar> tasks = new ArrayList<>();

  /** Draws with consumers from {@code consumersOrNull}, or nothing when it is null. */
  TerminalProgress(Supplier<ProgressBarConsumer> consumersOrNull) {
    this(consumersOrNull, consumersOrNull, null);
  }

  /**
   * @param consumersOrNull draws the steps, one at a time; null: nothing
   * @param lineConsumersOrNull draws the parallel steps, a line each; null: see {@code plain}
   * @param plainOrNull where a finished parallel step is a plain line when they are not drawn
   */
  TerminalProgress(Supplier<ProgressBarConsumer> consumersOrNull,
      Supplier<ProgressBarConsumer> lineConsumersOrNull, PrintStream plainOrNull) {
    this.consumers = consumersOrNull;
    this.lineConsumers = lineConsumersOrNull;
    this.plain = plainOrNull;
  }

  /**
   * Bars on standard error when attached to a terminal (parallel steps a line each, moved to
   * with the cursor); otherwise no bars, and a plain line on standard error per parallel step
   * done.
   */
  static TerminalProgress forConsole() {
    return isTerminal()
        ? new TerminalProgress(() -> new ConsoleProgressBarConsumer(System.err),
            () -> new InteractiveConsoleProgressBarConsumer(System.err), null)
        : new TerminalProgress(null, null, System.err);
  }

  /** Whether this draws at all. */
  boolean drawing() {
    return consumers != null;
  }

  private static boolean isTerminal() {
    // the bars go to standard error: a terminal there counts, whatever standard input and output
    // are (import - < FILE, export NAME > FILE), which System.console() also asks about
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException notLinux) {
      return consoleIsTerminal();
    }
  }

  private static boolean consoleIsTerminal() {
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
    bar = newBar(DIGEST.matcher(step).replaceAll("$1"), total, consumers.get());
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
      bar.complete();
      bar.close();
      bar = null;
    }
  }

  @Override
  public Progress task(String step, long total) {
    String name = DIGEST.matcher(step).replaceAll("$1");
    if (lineConsumers != null) {
      Bar line = newBar(name, total, lineConsumers.get());
      synchronized (this) {
        tasks.add(line);
      }
      return new Progress() {
        @Override
        public void start(String ignored, long size) {}

        @Override
        public void advance(long amount) {
          line.stepBy(amount);
        }

        @Override
        public void done() {
          synchronized (TerminalProgress.this) {
            if (!tasks.remove(line)) {
              return;
            }
          }
          line.complete();
          line.close();
        }
      };
    }
    if (plain == null) {
      return Progress.NONE;
    }
    AtomicLong bytes = new AtomicLong();
    AtomicBoolean finished = new AtomicBoolean();
    return new Progress() {
      @Override
      public void start(String ignored, long size) {}

      @Override
      public void advance(long amount) {
        bytes.addAndGet(amount);
      }

      @Override
      public void done() {
        if (finished.compareAndSet(false, true)) {
          synchronized (plain) {
            plain.println(name + ": done (" + Human.size(Math.max(bytes.get(), total), 4)
                + ")");
          }
        }
      }
    };
  }

  private static Bar newBar(String name, long total, ProgressBarConsumer consumer) {
    boolean small = total >= 0 && total < 10 * MIB;
    ClosingOnce once = new ClosingOnce(consumer);
    return new Bar(new ProgressBarBuilder()
        .setTaskName(name)
        .setInitialMax(total < 0 ? -1 : total)
        .setUnit(small ? "KiB" : "MiB", small ? KIB : MIB)
        .showSpeed()
        .setConsumer(once)
        .build(), once);
  }

  /**
   * A bar and its consumer. progressbar 0.10.1 closes the consumer (which ends the bar's line)
   * only when the bar was drawn once before it was closed: a step done before its first refresh
   * left the next output on the bar's line ({@code ...?KiB/schecked 4 blobs}), and a parallel
   * line among the active ones. {@link #close} closes the consumer too, once.
   */
  private record Bar(ProgressBar bar, ClosingOnce consumer) {
    void stepBy(long amount) {
      bar.stepBy(amount);
    }

    /** Shows the bar at its total (where it is, for one of unknown size). */
    void complete() {
      if (bar.getMax() >= 0) {
        bar.stepTo(Math.max(bar.getMax(), bar.getCurrent()));
      }
    }

    void close() {
      bar.close();
      consumer.close();
    }
  }

  /** A consumer whose {@link #close} acts once, whoever calls it first. */
  static final class ClosingOnce implements ProgressBarConsumer {
    private final ProgressBarConsumer consumer;
    private final AtomicBoolean closed = new AtomicBoolean();

    ClosingOnce(ProgressBarConsumer consumer) {
      this.consumer = consumer;
    }

    @Override
    public int getMaxRenderedLength() {
      return consumer.getMaxRenderedLength();
    }

    @Override
    public void accept(String rendered) {
      consumer.accept(rendered);
    }

    @Override
    public void clear() {
      consumer.clear();
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        consumer.close();
      }
    }
  }

  /**
   * Ends the current bar and the parallel ones, if any, where they stand (after a failure they
   * did not finish).
   */
  @Override
  public void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
    List<Bar> open;
    synchronized (this) {
      open = List.copyOf(tasks);
      tasks.clear();
    }
    open.forEach(Bar::close);
  }
}
