package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code images --filter}, as {@code docker images --filter} shows images. */
class ImagesFilterTest {
  @TempDir Path dir;
  private Path storeDir;
  private Built old;
  private Built lib;
  private Built dangling;

  /**
   * old:1 (2001, labelled), team/lib:2 (2011), team/app:3 and :4 (2022), and the image (2021)
   * team/app:3 named before it moved, left dangling.
   */
  @BeforeEach
  void buildStore() throws IOException {
    storeDir = dir.resolve("store");
    ContentStore.open(storeDir);
    ObjectNode runtime = new ObjectMapper().createObjectNode();
    runtime.putObject("Labels").put("stage", "build");
    old = ImageBuilder.create(storeDir).created(Instant.parse("2001-01-01T00:00:00Z"))
        .runtimeConfig(runtime).layer().file("/o", "o\n").build("old:1");
    lib = ImageBuilder.create(storeDir).created(Instant.parse("2011-01-01T00:00:00Z")).layer()
        .file("/l", "l\n").build("team/lib:2");
    dangling = ImageBuilder.create(storeDir).created(Instant.parse("2021-01-01T00:00:00Z"))
        .layer().file("/a", "a\n").build("team/app:3");
    ImageBuilder.create(storeDir).created(Instant.parse("2022-01-01T00:00:00Z")).layer()
        .file("/a", "b\n").build("team/app:4");
    Cli.Result moved = Cli.run("--store", storeDir.toString(), "tag", "team/app:4", "team/app:3");
    assertEquals(0, moved.code(), moved.err()); // the tag moves: the first image stays dangling
  }

  private List<String> tags(String... filters) {
    List<String> args = new ArrayList<>(List.of("--store", storeDir.toString(), "images"));
    for (String f : filters) {
      args.add("--filter");
      args.add(f);
    }
    Cli.Result r = Cli.run(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    return r.out().lines().skip(1).map(l -> l.split(" +")[0]).toList();
  }

  @Test
  void filtersChooseRowsAsDockersDo() {
    assertEquals(List.of("old:1", "team/app:3", "team/app:4", "team/lib:2", "<none>"), tags());
    assertEquals(List.of("<none>"), tags("dangling=true"));
    assertEquals(List.of("old:1", "team/app:3", "team/app:4", "team/lib:2"),
        tags("dangling=false"));
    assertEquals(List.of("team/app:3", "team/app:4", "team/lib:2"), tags("reference=team/*"));
    assertEquals(List.of("team/lib:2"), tags("reference=*/lib:2"));
    assertEquals(List.of("old:1"), tags("reference=*"), "* stops at a slash");
    assertEquals(List.of("old:1"), tags("reference=*:1"));
    assertEquals(List.of("team/app:4"), tags("reference=team/app:[4-9]"));
    assertEquals(List.of("old:1", "team/lib:2"), tags("reference=old", "reference=team/l?b"));
    assertEquals(List.of("old:1"), tags("label=stage"));
    assertEquals(List.of("old:1"), tags("label=stage=build"));
    assertEquals(List.of(), tags("label=stage=test"));
    assertEquals(List.of("old:1"), tags("before=team/lib:2"));
    assertEquals(List.of("team/app:3", "team/app:4", "<none>"), tags("since=team/lib:2"));
    assertEquals(List.of("<none>"), tags("since=team/lib:2", "dangling=true"));
    assertEquals(List.of("team/app:3", "team/app:4"), tags("since=" + dangling.configDigest()));
  }

  @Test
  void quietListsTheIdsItAdmits() {
    Cli.Result r = Cli.run("--store", storeDir.toString(), "images", "-q", "-f",
        "dangling=true");
    assertEquals(0, r.code(), r.err());
    assertEquals(dangling.configDigest().substring("sha256:".length(), 19) + "\n", r.out());
    r = Cli.run("--store", storeDir.toString(), "images", "-q", "-f", "reference=old:*");
    assertEquals(old.configDigest().substring(7, 19) + "\n", r.out());
    assertTrue(lib.configDigest().startsWith("sha256:"));
  }

  @Test
  void aFilterImagesDoesNotKnowIsAUsageErrorNamingIt() {
    for (String filter : List.of("until=24h", "dangling=maybe", "reference", "reference=[a")) {
      Cli.Result r = Cli.run("--store", storeDir.toString(), "images", "--filter", filter);
      assertEquals(2, r.code(), filter + ": " + r.err());
      assertTrue(r.err().contains("--filter: "), r.err());
    }
    Cli.Result r = Cli.run("--store", storeDir.toString(), "images", "--filter", "since=nope");
    assertEquals(1, r.code());
    assertFalse(r.err().isEmpty());
  }
}
