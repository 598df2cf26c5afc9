package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code layerfs fsck}: its lines, its JSON and its exit codes. */
class FsckCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Path storeDir;
  private Image image;

  @BeforeEach
  void buildImage() throws IOException {
    storeDir = dir.resolve("store");
    Files.createDirectories(storeDir);
    try (Store store = Store.open(storeDir)) {
      ImageBuilder.create(storeDir).layer().file("/motd", "hello\n").build("base:1");
      image = store.image("base:1");
    }
    assertEquals(0, run("create", "web", "base:1").code());
  }

  private Cli.Result run(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--store";
    all[1] = storeDir.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return Cli.run(all);
  }

  private Path blob(Digest d) {
    return storeDir.resolve("blobs").resolve(d.algorithm()).resolve(d.hex());
  }

  @Test
  void aWholeStoreExitsZeroWithASummary() {
    Cli.Result r = run("fsck");
    assertEquals(0, r.code(), r.err());
    // manifest, config, the layer and its uncompressed blob (create made it), and the
    // container's hold of its image in index.json
    assertEquals("checked 5 blobs, 1 image, 1 container: no problems\n", r.out());
    assertEquals("", r.err());
  }

  @Test
  void aCorruptBlobIsOneLineAndExitOne() throws IOException {
    Digest config = image.configDigest();
    Files.writeString(blob(config), "{}");

    Cli.Result r = run("fsck");

    assertEquals(1, r.code(), r.err());
    assertTrue(r.out().startsWith("corrupt-blob " + config + ": "), r.out());
    assertTrue(r.out().contains("config of tag 'base:1'"), r.out());
    assertTrue(r.out().endsWith(": 1 problem, 0 repaired\n"), r.out());
    assertEquals("", r.err());
  }

  @Test
  void jsonListsEachProblemAndARepairOfGarbageExitsZero() throws IOException {
    Digest garbage;
    try (Store store = Store.open(storeDir)) {
      ImageBuilder.create(storeDir).layer().file("/junk", "junk\n").build("junk:1");
      garbage = store.image("junk:1").configDigest();
      store.untag("junk:1");
    }
    Files.writeString(blob(garbage), "{\"not\": \"it\"}");

    Cli.Result check = run("fsck", "--format", "json");
    assertEquals(1, check.code(), check.err());
    JsonNode report = JSON.readTree(check.out());
    assertFalse(report.get("ok").asBoolean());
    assertFalse(report.get("repair").asBoolean());
    assertEquals(1, report.get("images").asInt());
    JsonNode problem = report.get("problems").get(0);
    assertEquals("corrupt-blob", problem.get("kind").asText());
    assertEquals(garbage.toString(), problem.get("object").asText());
    assertFalse(problem.get("repaired").asBoolean());

    Cli.Result repair = run("fsck", "--repair", "--format", "json");
    assertEquals(0, repair.code(), repair.err());
    JsonNode repaired = JSON.readTree(repair.out());
    assertTrue(repaired.get("ok").asBoolean());
    assertTrue(repaired.get("problems").get(0).get("repaired").asBoolean());
    assertTrue(Files.exists(storeDir.resolve("layerfs/quarantine/sha256/" + garbage.hex())));

    Cli.Result after = run("fsck");
    assertEquals(0, after.code(), after.err());
    assertTrue(after.out().endsWith(": no problems\n"), after.out());
  }

  @Test
  void aRepairedLineSaysSo() throws IOException {
    Path junk = storeDir.resolve("blobs/sha256/" + "0".repeat(64));
    Files.writeString(junk, "junk");
    Cli.Result r = run("fsck", "--repair");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("corrupt-blob sha256:" + "0".repeat(64) + ": "), r.out());
    assertTrue(r.out().contains(" (repaired)\n"), r.out());
    assertTrue(r.out().endsWith(": 1 problem, 1 repaired\n"), r.out());
  }

  @Test
  void aMissingStoreIsOneErrorLine() {
    Cli.Result r = Cli.run("--store", dir.resolve("nowhere").toString(), "fsck");
    assertEquals(1, r.code());
    assertEquals("layerfs: no store at " + dir.resolve("nowhere") + " (give --store DIR, or "
        + "import or pull an image to make one there)", r.errorLine());
  }
}
