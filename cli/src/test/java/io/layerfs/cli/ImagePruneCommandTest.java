package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code layerfs image prune}, as {@code docker image prune}: its prompt, {@code -f}, {@code
 * -a}, the images containers use kept, and docker's output.
 */
class ImagePruneCommandTest {
  private static final String DANGLING_PROMPT = "WARNING! This will remove all dangling images.\n"
      + "Are you sure you want to continue? [y/N] ";
  private static final String ALL_PROMPT = "WARNING! This will remove all images without at least"
      + " one container associated to them.\nAre you sure you want to continue? [y/N] ";

  @TempDir Path dir;
  private Path storeDir;
  private Built base;
  private Built next;

  /** base:1 and next:1; base's tag then moves to next, leaving base dangling. */
  @BeforeEach
  void buildStore() throws IOException {
    storeDir = dir.resolve("store");
    ContentStore.open(storeDir);
    base = ImageBuilder.create(storeDir).layer().file("/base", "b\n").build("base:1");
    next = ImageBuilder.create(storeDir).layer().file("/next", "n\n").build("next:1");
  }

  private Cli.Result run(String... args) {
    return runWithInput("", args);
  }

  private Cli.Result runWithInput(String input, String... args) {
    List<String> all = new ArrayList<>(List.of("--store", storeDir.toString()));
    all.addAll(List.of(args));
    return Cli.runWithInput(input, all.toArray(String[]::new));
  }

  private boolean stored(String digest) {
    Digest d = Digest.parse(digest);
    return Files.exists(storeDir.resolve("blobs").resolve(d.algorithm()).resolve(d.hex()));
  }

  private void danglingBase() {
    assertEquals(0, run("tag", "next:1", "base:1").code());
    assertTrue(run("images").out().lines().anyMatch(l -> l.startsWith("<none> ")));
  }

  @Test
  void anAnswerOtherThanYesRemovesNothingAndExitsZeroAsDockersCancelledPrompt() {
    danglingBase();
    for (String answer : List.of("", "n\n", "yes\n", "N\n")) {
      Cli.Result r = runWithInput(answer, "image", "prune");
      assertEquals(0, r.code(), r.err());
      assertEquals(DANGLING_PROMPT, r.out(), "answer [" + answer + "]");
      assertEquals("", r.err());
      assertTrue(stored(base.manifestDigest()));
    }
    Cli.Result all = runWithInput("\n", "image", "prune", "-a");
    assertEquals(ALL_PROMPT, all.out());
    assertTrue(run("images").out().contains("next"));
  }

  @Test
  void yesOnStandardInputPrunesAsForceDoes() {
    danglingBase();
    Cli.Result r = runWithInput(" Y \n", "image", "prune");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith(DANGLING_PROMPT + "Deleted Images:\ndeleted: "
        + base.configDigest() + "\n"), r.out());
    assertFalse(stored(base.manifestDigest()));
  }

  @Test
  void forcePrunesTheDanglingImageAndPrintsDockersLines() {
    danglingBase();
    Cli.Result r = run("image", "prune", "-f");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals("Deleted Images:", lines.get(0));
    assertEquals("deleted: " + base.configDigest(), lines.get(1));
    List<String> blobs = new ArrayList<>(base.layerDigests());
    blobs.add(base.manifestDigest());
    for (String blob : blobs) {
      assertTrue(lines.contains("deleted: " + blob), blob + " in " + r.out());
      assertFalse(stored(blob), blob);
    }
    assertEquals(blobs.size() + 2, lines.indexOf(""), "a blank line after the list: " + r.out());
    assertTrue(lines.get(lines.size() - 1).matches("Total reclaimed space: [0-9.]+k?B"),
        r.out());
    assertEquals(lines.indexOf("") + 2, lines.size(), r.out());
    assertFalse(run("images").out().contains("<none>"));
    assertTrue(stored(next.manifestDigest()));

    // nothing left to prune: docker's one line
    assertEquals("Total reclaimed space: 0B\n", run("image", "prune", "--force").out());
  }

  @Test
  void allRemovesEveryImageNoContainerUsesWithItsTagsAndKeepsTheOthers() {
    assertEquals(0, run("tag", "base:1", "base:2").code());
    assertEquals(0, run("create", "web", "next:1").code());
    assertEquals(0, run("tag", "next:1", "next:2").code());
    Cli.Result none = run("image", "prune", "-f");
    assertEquals("Total reclaimed space: 0B\n", none.out(), "no dangling image");
    Cli.Result r = run("image", "prune", "-a", "-f");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("Deleted Images:\nuntagged: base:1\nuntagged: base:2\n"
        + "deleted: " + base.configDigest() + "\n"), r.out());
    // as docker's containerd store: web's image keeps the tag web was created by, and stays
    assertTrue(r.out().contains("untagged: next:2\n"), r.out());
    assertFalse(r.out().contains("untagged: next:1"), r.out());
    assertFalse(r.out().contains(next.configDigest()), r.out());
    String images = run("images").out();
    assertFalse(images.contains("base"), images);
    assertTrue(images.lines().anyMatch(l -> l.startsWith("next:1 ")), images);
    assertFalse(images.contains("next:2"), images);
    assertTrue(stored(next.manifestDigest()));
  }

  @Test
  void theDanglingImageAContainerUsesStays() {
    assertEquals(0, run("create", "web", "base:1").code());
    danglingBase();
    Cli.Result r = run("image", "prune", "-a", "--force");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("untagged: base:1\nuntagged: next:1\ndeleted: "
        + next.configDigest()), r.out());
    assertTrue(run("images").out().lines().anyMatch(l -> l.startsWith("<none> ")),
        "web's image stays, dangling");
    assertTrue(stored(base.manifestDigest()));
    base.layerDigests().forEach(layer -> assertTrue(stored(layer), layer));
    assertEquals(0, run("diff", "web").code(), "web reads its image");
  }

  @Test
  void filtersKeepTheImagesTheyDoNotAdmitAsDockersDo() throws IOException {
    ObjectNode labelled = new ObjectMapper().createObjectNode();
    labelled.putObject("Labels").put("stage", "build");
    Built old = ImageBuilder.create(storeDir).runtimeConfig(labelled).layer()
        .file("/old", "o\n").build("old:1"); // created at the epoch
    Built recent = ImageBuilder.create(storeDir).created(Instant.now()).layer()
        .file("/recent", "r\n").build("recent:1");
    // created within the day: kept by until=24h; a label it lacks keeps it from label=
    Cli.Result r = run("image", "prune", "-a", "-f", "--filter", "until=24h",
        "--filter", "label=stage");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("untagged: old:1\ndeleted: " + old.configDigest()), r.out());
    assertFalse(r.out().contains("recent:1") || r.out().contains("base:1"), r.out());
    assertTrue(stored(recent.manifestDigest()) && stored(base.manifestDigest()));
    // label!= keeps what carries it; dangling=false is -a
    r = run("image", "prune", "-f", "--filter", "dangling=false", "--filter", "label!=none",
        "--filter", "until=" + Instant.now().plusSeconds(60));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("untagged: base:1") && r.out().contains("untagged: recent:1"),
        r.out());
    assertFalse(stored(recent.manifestDigest()));
  }

  @Test
  void aFilterPruneDoesNotKnowIsAUsageErrorNamingIt() {
    for (String filter : List.of("reference=base", "until=yesterday", "dangling=maybe", "until")) {
      Cli.Result r = run("image", "prune", "-f", "--filter", filter);
      assertEquals(2, r.code(), filter);
      assertTrue(r.err().contains("--filter: ") && r.err().contains(filter.split("=")[0]),
          r.err());
    }
    assertTrue(stored(base.manifestDigest()));
  }

  @Test
  void imageAloneShowsItsHelp() {
    Cli.Result r = run("image");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("Usage: layerfs image "), r.out());
    assertTrue(r.out().contains("prune"), r.out());
  }
}
