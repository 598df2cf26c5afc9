package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Progress;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import org.junit.jupiter.api.Test;

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
}
