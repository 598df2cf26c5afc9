package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TerminalProgressTest {
  @Test
  void noBarsWithoutATerminal() {
    // surefire runs without a console, as pipes and redirections do
    TerminalProgress p = TerminalProgress.forConsole();
    assertFalse(p.drawing());
    p.start("step", 10); // silently ignored
    p.advance(5);
    p.close();
  }

  /**
   * {@code layerfs import - < FILE} on a terminal: standard input is a file, standard error the
   * terminal the bars are drawn on, so they are drawn; with standard error sent to a file, none
   * are. Run under util-linux's {@code script}, which gives the command a terminal.
   */
  @Test
  void barsFollowStandardErrorNotStandardInput(@TempDir Path dir) throws Exception {
    Path store = dir.resolve("store");
    ImageBuilder.create(ContentStore.open(store).root()).layer().file("/f", "data")
        .build("demo:1");
    Path archive = dir.resolve("demo.tar");
    Cli.Result exported = Cli.run("--store", store.toString(), "export", "demo:1",
        "docker-archive:" + archive);
    assertEquals(0, exported.code(), exported.err());
    String layerfs = String.join(" ", List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("surefire.test.class.path",
            System.getProperty("java.class.path")), Main.class.getName(), "--store",
        dir.resolve("into").toString(), "import", "-"));
    String onTerminal = underScript(layerfs + " < " + archive);
    assertTrue(onTerminal.contains("read standard input"), onTerminal);
    assertTrue(onTerminal.contains("demo:1"), onTerminal);
    Path errors = dir.resolve("errors");
    String redirected = underScript(layerfs + " < " + archive + " 2> " + errors);
    assertTrue(redirected.contains("demo:1"), redirected);
    assertEquals("", Files.readString(errors));
  }

  /** What {@code command} wrote to the terminal {@code script} gave it; it must exit 0. */
  private static String underScript(String command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("script", "-qec", command, "/dev/null")
          .redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("util-linux's script is missing (apt-get install -y bsdutils):"
          + " this test needs it to give the command a terminal", e);
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), command);
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  @Test
  void eachStepGetsABarThatReachesItsTotal() {
    List<String> frames = new ArrayList<>();
    Progress p = new TerminalProgress(() -> new DelegatingProgressBarConsumer(frames::add, 120));
    p.start("import layer sha256:" + "ab12".repeat(16), 30L << 20);
    p.advance(10L << 20);
    p.advance(10L << 20);
    p.done();
    p.start("write index", -1);
    p.advance(10);
    p.done();
    p.done(); // a second done is harmless
    String all = String.join("\n", frames);
    assertTrue(all.contains("import layer sha256:ab12ab12ab12 "), all);
    assertFalse(all.contains("ab12ab12ab12ab12"), all);
    assertTrue(all.contains("100%"), all);
    assertTrue(all.contains("30/30MiB"), all);
    assertTrue(all.contains("write index"), all);
    int before = frames.size();
    p.start("interrupted", 100 << 10);
    p.advance(10 << 10);
    ((TerminalProgress) p).close(); // a failure part way: the bar is closed
    assertTrue(frames.size() > before);
    String last = frames.get(frames.size() - 1);
    assertTrue(last.contains("interrupted") && last.contains("KiB"), last);
  }

  /** A consumer that counts its closes: each ends the bar's line on a terminal. */
  private static final class Counted extends DelegatingProgressBarConsumer {
    private final AtomicInteger closes;

    Counted(List<String> frames, AtomicInteger closes) {
      super(frames::add, 120);
      this.closes = closes;
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  @Test
  void everyBarEndsItsLineOnceThoughDoneBeforeItsFirstRefresh() {
    // progressbar closes the consumer only for a bar drawn before its close: quick steps, as
    // most of fsck's on a small store, left the summary on the last bar's line
    List<String> frames = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger closes = new AtomicInteger();
    TerminalProgress p = new TerminalProgress(() -> new Counted(frames, closes));
    for (int i = 0; i < 20; i++) {
      p.start("step " + i, i % 2 == 0 ? 0 : -1);
      p.done();
    }
    p.start("cut short", 10);
    p.close();
    p.close();
    assertEquals(21, closes.get());

    AtomicInteger lineCloses = new AtomicInteger();
    TerminalProgress parallel = new TerminalProgress(null,
        () -> new Counted(frames, lineCloses), null);
    for (int i = 0; i < 10; i++) {
      parallel.task("pull " + i, 0).done();
    }
    parallel.task("cut short", 10);
    parallel.close();
    assertEquals(11, lineCloses.get());
  }

  @Test
  void parallelStepsGetALineEachAndReachTheirTotals() throws Exception {
    List<List<String>> lines = new ArrayList<>();
    TerminalProgress p = new TerminalProgress(null, () -> {
      List<String> frames = java.util.Collections.synchronizedList(new ArrayList<>());
      lines.add(frames);
      return new DelegatingProgressBarConsumer(frames::add, 120);
    }, null);
    Progress a = p.task("pull sha256:" + "aa11".repeat(16), 20L << 20);
    Progress b = p.task("pull sha256:" + "bb22".repeat(16), 30L << 10);
    assertEquals(2, lines.size(), "a line per step, made when it begins");
    Thread other = new Thread(() -> {
      for (int i = 0; i < 30; i++) {
        b.advance(1 << 10);
      }
      b.done();
    });
    other.start();
    for (int i = 0; i < 20; i++) {
      a.advance(1 << 20);
    }
    other.join();
    a.done();
    a.done(); // harmless
    String first = String.join("\n", lines.get(0));
    String second = String.join("\n", lines.get(1));
    assertTrue(first.contains("sha256:aa11aa11aa11 ") && first.contains("20/20MiB"), first);
    assertTrue(second.contains("sha256:bb22bb22bb22 ") && second.contains("30/30KiB"), second);
    assertFalse(first.contains("bb22"), "a line shows one step only: " + first);
    p.close();
  }

  @Test
  void withoutATerminalAFinishedParallelStepIsOnePlainLine() {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    TerminalProgress p = new TerminalProgress(null, null,
        new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    Progress a = p.task("pull sha256:" + "aa11".repeat(16), 3L << 20);
    Progress b = p.task("pull sha256:" + "bb22".repeat(16), 5L << 20);
    b.advance(1 << 20);
    a.advance(3L << 20);
    a.done();
    p.close(); // b failed part way: no line claims it done
    assertEquals("pull sha256:aa11aa11aa11: done (3.146MB)\n",
        err.toString(java.nio.charset.StandardCharsets.UTF_8));
  }
}
