package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.ImageBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code layerfs} commands on one store at the same moment, as scripts run them: each must
 * end as if it had run alone or say why not, as two docker commands do against one daemon.
 */
final class TwoCommandsIT {
  @TempDir Path work;

  /**
   * {@code layerfs create NAME} in two processes at once, of two images: one creates it, the
   * other says the name is taken, as {@code docker create --name} says it ("already in use"),
   * never that the container is open for writing (which its user never opened).
   */
  @Test
  void twoCreatesOfOneNameMakeOneContainerAndTheOtherSaysItExists() throws Exception {
    Path store = work.resolve("store");
    ImageBuilder.create(store).layer().file("/etc/which", "one\n").build("one:1");
    ImageBuilder.create(store).layer().file("/etc/which", "two\n").build("two:1");
    for (int round = 0; round < 4; round++) {
      String name = "race" + round;
      CompletableFuture<LayerfsCli.Result> one = CompletableFuture.supplyAsync(
          () -> LayerfsCli.runFailing(store, "create", name, "one:1"));
      LayerfsCli.Result two = LayerfsCli.runFailing(store, "create", name, "two:1");
      List<LayerfsCli.Result> both = List.of(one.get(), two);
      List<LayerfsCli.Result> made = both.stream().filter(r -> r.exit() == 0).toList();
      assertEquals(1, made.size(), "round " + round + ": " + both);
      assertEquals(name + "\n", made.get(0).stdout());
      LayerfsCli.Result refused =
          both.stream().filter(r -> r.exit() != 0).findFirst().orElseThrow();
      assertTrue(refused.stderr().startsWith("layerfs: container " + name + " already exists in "
          + "store "), "round " + round + ": " + refused.stderr());
      String which = LayerfsCli.run(store, "cat", name, "/etc/which");
      assertTrue(which.equals("one\n") || which.equals("two\n"), which);
    }
  }

  /** Two processes tagging at once lose no tag: each rewrite of index.json keeps the other's. */
  @Test
  void twoProcessesTaggingAtOnceLoseNoTag() throws Exception {
    Path store = work.resolve("store");
    ImageBuilder.create(store).layer().file("/etc/motd", "hi\n").build("base:1");
    CompletableFuture<Void> a = CompletableFuture.runAsync(() -> IntStream.range(0, 8)
        .forEach(i -> LayerfsCli.run(store, "tag", "base:1", "a" + i)));
    IntStream.range(0, 8).forEach(i -> LayerfsCli.run(store, "tag", "base:1", "b" + i));
    a.get();
    List<String> expected = new ArrayList<>(List.of("base:1"));
    for (int i = 0; i < 8; i++) {
      expected.add("a" + i + ":latest");
      expected.add("b" + i + ":latest");
    }
    assertEquals(expected.stream().sorted().toList(),
        LayerfsCli.tags(store).stream().sorted().toList());
  }
}
