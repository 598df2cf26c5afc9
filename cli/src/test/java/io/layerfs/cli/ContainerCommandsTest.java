package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Image;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** create, rm, ps and volume, on images built in a temporary store. */
class ContainerCommandsTest {
  @TempDir Path dir;
  private Path storeDir;
  private String store;
  private Image image;

  @BeforeEach
  void buildImage() throws IOException {
    storeDir = dir.resolve("store");
    store = storeDir.toString();
    ContentStore store = ContentStore.open(storeDir);
    image = Images.resolve(store, ImageBuilder.create(store.root()).created(Instant.EPOCH)
        .dir("/etc").file("/etc/motd", "hello\n").build("base:1").manifestDigest());
  }

  private Cli.Result run(String... args) {
    return runIn(null, args);
  }

  /** {@link #run} with the environment's TZ set to {@code tz} (unset when null). */
  private Cli.Result runIn(String tz, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--store";
    all[1] = store;
    System.arraycopy(args, 0, all, 2, args.length);
    return tz == null ? Cli.run(all) : Cli.run(Map.of("TZ", tz), all);
  }

  @Test
  void createPrintsTheNameAndTheContainerShowsTheImage() {
    Cli.Result r = run("create", "web", "base:1");
    assertEquals(0, r.code(), r.err());
    assertEquals("web\n", r.out());
    assertEquals("", r.err());
    Cli.Result ls = run("ls", "web", "/etc");
    assertEquals("motd\n", ls.out());
  }

  /**
   * Two creates of one name in two processes: the one whose look found no container but whose
   * open meets the other's, made of another image or with other mounts, says it exists.
   */
  @Test
  void aCreateThatMeetsAnotherProcesssContainerOfAnotherImageSaysItExists() throws IOException {
    ImageBuilder.create(storeDir).created(Instant.EPOCH).file("/etc/motd", "two\n")
        .build("two:1");
    try (io.layerfs.core.store.Store s = Stores.existing(storeDir)) {
      s.container("race", "base:1", false).close(); // the other process's, made since the look
      FileAlreadyExistsException byImage = assertThrows(FileAlreadyExistsException.class,
          () -> CreateCommand.createAfterLook(s, "race", "two:1", List.of()));
      assertTrue(byImage.getReason().startsWith("container race already exists in store "),
          byImage.getMessage());
      FileAlreadyExistsException mounts = assertThrows(FileAlreadyExistsException.class,
          () -> CreateCommand.createAfterLook(s, "race", "base:1",
              List.of("type=tmpfs,target=/tmp")));
      assertTrue(mounts.getReason().contains("another process created it"), mounts.getMessage());
      // a container that does not exist is made, and a refusal of a bad image stays its own
      assertEquals("other", CreateCommand.createAfterLook(s, "other", "two:1", List.of()));
      assertThrows(IllegalArgumentException.class,
          () -> s.container("race", "two:1", false).close());
      try (Container other = s.container("other", null, true);
          Container race = s.container("race", null, true)) {
        assertEquals(Images.resolve(ContentStore.open(storeDir), "two:1").manifestDigest(),
            other.image().manifestDigest());
        assertEquals(image.manifestDigest(), race.image().manifestDigest());
      }
    }
  }

  @Test
  void aCreateThatCannotReadTheImagesLayersLeavesNoContainer() throws IOException {
    Path blob = ContentStore.open(storeDir).blobPath(image.layers().get(0).digest());
    Path aside = Files.move(blob, dir.resolve("aside"));
    Cli.Result r = run("create", "web", "base:1");
    assertEquals(1, r.code());
    assertTrue(r.errorLine().contains("layer blob " + image.layers().get(0).digest()), r.err());
    assertEquals("", run("ps", "-q").out(), "a failed create leaves no container");
    assertEquals(List.of(), Container.list(ContentStore.open(storeDir)));
    assertEquals(Map.of(), ContentStore.open(storeDir).readIndex().holds(), "nor its hold");
    // once the blob is back, the same create works: no "already exists"
    Files.move(aside, blob);
    Cli.Result again = run("create", "web", "base:1");
    assertEquals(0, again.code(), again.err());
    assertEquals("motd\n", run("ls", "web", "/etc").out());
  }

  @Test
  void createTakesDockersNameOptionOrMakesANameAsDockerDoes() {
    Cli.Result named = run("create", "--name", "web", "base:1");
    assertEquals(0, named.code(), named.err());
    assertEquals("web\n", named.out());
    Cli.Result made = run("create", "base:1");
    assertEquals(0, made.code(), made.err());
    String name = made.out().strip();
    assertTrue(name.matches("[0-9a-f]{12}"), name);
    assertEquals("motd\n", run("ls", name, "/etc").out());
    assertEquals(List.of(name, "web"), List.of(run("ps", "-q").out().strip().split("\n")).stream()
        .sorted().toList());
    Cli.Result twice = run("create", "--name", "a", "b", "base:1");
    assertEquals(2, twice.code());
    assertTrue(twice.err().contains("the name is given twice"), twice.err());
    Cli.Result none = run("create");
    assertEquals(2, none.code());
    assertTrue(none.err().contains("IMAGE"), none.err());
  }

  @Test
  void lsAndCatTakeTheContainerAndPathInCpsForm() {
    assertEquals(0, run("create", "web", "base:1").code());
    assertEquals("motd\n", run("ls", "web:/etc").out());
    assertEquals("hello\n", catBytes("web:/etc/motd"));
    assertEquals("hello\n", catBytes("base:1:/etc/motd")); // an image's tag too
    assertEquals("motd\n", run("ls", "base:1", "/etc").out()); // a tag is not NAME:PATH
    Cli.Result twice = run("cat", "web:/etc/motd", "/etc/motd");
    assertEquals(2, twice.code());
    assertTrue(twice.err().contains("the path is given twice"), twice.err());
    Cli.Result none = run("cat", "web");
    assertEquals(2, none.code());
    assertTrue(none.err().contains("'PATH' (or give NAME:PATH)"), none.err());
    // an empty path names no file, as GNU ls and cat take it (not the root)
    for (String command : List.of("ls", "cat")) {
      Cli.Result empty = run(command, "web", "");
      assertEquals(1, empty.code());
      assertEquals("layerfs: web: '': no such file or directory", empty.errorLine());
    }
  }

  /** What {@code cat ARGS} writes to standard output (its bytes go there, not to the writer). */
  private String catBytes(String... args) {
    PrintStream saved = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true));
    try {
      String[] all = new String[args.length + 1];
      all[0] = "cat";
      System.arraycopy(args, 0, all, 1, args.length);
      Cli.Result r = run(all);
      assertEquals(0, r.code(), r.err());
    } finally {
      System.setOut(saved);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aNameThatIsNeitherContainerNorImageIsSaidSoWithBothLists() {
    assertEquals(0, run("create", "web", "base:1").code());
    for (String command : new String[] {"ls", "cat"}) {
      Cli.Result r = run(command, "nope", "/etc/motd");
      assertEquals(1, r.code(), r.err());
      assertEquals("layerfs: no container or image 'nope' in store " + storeDir
          + "; containers: web; tags: base:1", r.errorLine());
    }
  }

  @Test
  void createTwiceIsAnErrorNamingTheContainer() {
    assertEquals(0, run("create", "web", "base:1").code());
    Cli.Result again = run("create", "web", "base:1");
    assertEquals(1, again.code());
    assertTrue(again.errorLine().contains("container web already exists"), again.err());
  }

  @Test
  void createOfAMissingImageFailsAndLeavesNothing() throws IOException {
    Cli.Result r = run("create", "web", "nosuch:1");
    assertEquals(1, r.code());
    assertTrue(r.errorLine().contains("nosuch:1"), r.err());
    assertFalse(Files.exists(storeDir.resolve("layerfs/containers/web")));
    assertEquals(List.of(), Container.list(ContentStore.open(storeDir)));
  }

  @Test
  void createWithTheImageBeforeTheNameSaysWhichIsWhichAndLeavesNothing() throws IOException {
    Cli.Result r = run("create", "base:1", "web");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("'base:1' is an image and 'web' is none"), r.err());
    assertTrue(r.err().contains("create --name NAME IMAGE"), r.err());
    assertEquals(List.of(), Container.list(ContentStore.open(storeDir)));
  }

  @Test
  void createWithABadMountIsRefusedBeforeAnythingIsWritten() throws IOException {
    Cli.Result r = run("create", "web", "base:1", "--mount", "type=volume,source=v,target=/v",
        "--mount", "type=floppy,target=/a");
    assertEquals(1, r.code());
    assertEquals("layerfs: invalid mount spec 'type=floppy,target=/a': unknown type 'floppy' "
        + "(known: volume, bind, tmpfs)", r.errorLine());
    Cli.Result missing = run("create", "web", "base:1", "--mount",
        "type=bind,source=" + dir.resolve("absent") + ",target=/a");
    assertEquals(1, missing.code());
    assertTrue(missing.errorLine().contains("bind source path does not exist: "
        + dir.resolve("absent")), missing.err());
    assertEquals(List.of(), Container.list(ContentStore.open(storeDir)));
    assertFalse(Files.exists(storeDir.resolve("layerfs/volumes/v")));
  }

  /** As Docker: -v makes a missing host directory, --mount type=bind refuses it. */
  @Test
  void createMakesAMissingDashVSourceAndRemovesItIfTheCreateFails() throws IOException {
    Path made = dir.resolve("host/site/www");
    Cli.Result failed = run("create", "web", "base:1", "-v", made + ":/srv", "--mount",
        "type=bind,source=" + dir.resolve("absent") + ",target=/a");
    assertEquals(1, failed.code());
    assertTrue(failed.errorLine().contains("bind source path does not exist: "
        + dir.resolve("absent")), failed.err());
    assertFalse(Files.exists(dir.resolve("host")), "what the failed create made is gone");
    Files.createDirectories(dir.resolve("kept"));
    Cli.Result r = run("create", "web", "base:1", "-v", made + ":/srv", "-v",
        dir.resolve("kept/new") + ":/opt:ro");
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isDirectory(made));
    assertTrue(Files.isDirectory(dir.resolve("kept/new")));
    assertEquals("", run("ls", "web", "/srv").out());
    Files.writeString(made.resolve("index.html"), "hi\n");
    assertEquals("index.html\n", run("ls", "web", "/srv").out());
  }

  @Test
  void inspectJsonHasTheImageConfigAsDockerInspectsAContainer() throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode runtime = (ObjectNode) mapper.readTree("{\"User\": \"app\", \"Env\":"
        + " [\"PATH=/usr/bin\", \"LANG=C.UTF-8\"], \"Entrypoint\": [\"/bin/sh\", \"-c\"],"
        + " \"Cmd\": [\"echo hi\"], \"WorkingDir\": \"/srv\", \"ExposedPorts\":"
        + " {\"80/tcp\": {}}, \"Volumes\": {\"/data\": {}}, \"Labels\": {\"a\": \"b\"},"
        + " \"StopSignal\": \"SIGQUIT\"}");
    ImageBuilder.create(storeDir).runtimeConfig(runtime).dir("/srv").build("app:1");
    assertEquals(0, run("create", "web", "app:1").code());
    assertEquals(0, run("create", "plain", "base:1").code());
    JsonNode all = mapper.readTree(run("inspect", "web", "plain", "--format", "json").out());
    JsonNode config = all.get(0).get("Config");
    assertEquals("app:1", config.get("Image").asText(), "the name given, as documented");
    for (String field : List.of("User", "Env", "Entrypoint", "Cmd", "WorkingDir", "ExposedPorts",
        "Volumes", "Labels", "StopSignal")) {
      assertEquals(runtime.get(field), config.get(field), field);
    }
    // an image without them: docker's values for a container of such an image
    JsonNode plain = all.get(1).get("Config");
    assertEquals("base:1", plain.get("Image").asText());
    assertEquals("", plain.get("User").asText());
    assertEquals("", plain.get("WorkingDir").asText());
    for (String field : List.of("Env", "Cmd", "Entrypoint", "Volumes", "Labels")) {
      assertTrue(plain.get(field).isNull(), field + ": " + plain.get(field));
    }
    assertFalse(plain.has("ExposedPorts"));
    assertFalse(plain.has("StopSignal"));
  }

  @Test
  void createWithMountsInspectAndVolumeUse() throws IOException {
    Path site = Files.createDirectory(dir.resolve("site"));
    Files.writeString(site.resolve("index.html"), "<p>hi</p>\n");
    Cli.Result r = run("create", "web", "base:1", "--mount", "type=volume,source=data,target=/data",
        "--mount", "type=bind,source=" + site + ",target=/srv,readonly",
        "--mount", "type=tmpfs,target=/tmp,tmpfs-size=1m");
    assertEquals(0, r.code(), r.err());
    assertEquals("index.html\n", run("ls", "web", "/srv").out());
    JsonNode mounts = new ObjectMapper().readTree(run("inspect", "web", "--format", "json").out())
        .get(0).get("Mounts");
    assertEquals(3, mounts.size());
    JsonNode v = mounts.get(0);
    assertEquals("volume", v.get("Type").asText());
    assertEquals("data", v.get("Name").asText());
    assertEquals(storeDir.toAbsolutePath().resolve("layerfs/volumes/data/_data").toString(),
        v.get("Source").asText());
    assertEquals("/data", v.get("Destination").asText());
    assertEquals("z", v.get("Mode").asText());
    assertTrue(v.get("RW").asBoolean());
    JsonNode b = mounts.get(1);
    assertEquals("bind", b.get("Type").asText());
    assertEquals(site.toString(), b.get("Source").asText());
    assertFalse(b.get("RW").asBoolean());
    assertEquals("rprivate", b.get("Propagation").asText());
    assertEquals("tmpfs", mounts.get(2).get("Type").asText());
    assertEquals("", mounts.get(2).get("Source").asText());
    String text = run("inspect", "web").out();
    assertTrue(text.contains("\n  bind    " + site + " -> /srv  (read-only)\n"), text);
    assertTrue(text.contains("\n  volume  " + v.get("Source").asText() + " -> /data\n"), text);
    assertTrue(text.contains("\n  tmpfs   (memory, at most 1m) -> /tmp\n"), text);

    assertEquals(0, run("volume", "create", "spare").code());
    assertEquals("DRIVER   VOLUME NAME   CONTAINERS\nlocal    data          web\n"
        + "local    spare\n", run("volume", "ls").out());
    JsonNode inspect =
        new ObjectMapper().readTree(runIn("", "volume", "inspect", "data").out());
    assertEquals("web", inspect.get(0).get("Containers").get(0).asText());
    // docker volume inspect's keys, in its order, then layerfs' Containers
    assertEquals(List.of("CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options",
        "Scope", "Containers"), fieldNames(inspect.get(0)));
    assertTrue(inspect.get(0).get("Labels").isNull());
    assertTrue(inspect.get(0).get("Options").isNull());
    Instant created = Instant.parse(inspect.get(0).get("CreatedAt").asText());
    assertTrue(inspect.get(0).get("CreatedAt").asText().matches(
        "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), inspect.toString());
    assertTrue(created.isAfter(Instant.now().minusSeconds(3600)), created.toString());
    // docker's RFC 3339 in the local zone
    String berlin = new ObjectMapper().readTree(runIn("Europe/Berlin", "volume", "inspect",
        "data").out()).get(0).get("CreatedAt").asText();
    assertEquals(created, Instant.parse(berlin));
    assertTrue(berlin.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+0[12]:00"), berlin);
    // as docker volume inspect: the volumes found, then a line for each one that is not
    Cli.Result some = run("volume", "inspect", "nosuch", "spare");
    assertEquals(1, some.code());
    assertEquals("spare", new ObjectMapper().readTree(some.out()).get(0).get("Name").asText());
    assertEquals(1, new ObjectMapper().readTree(some.out()).size());
    assertEquals("layerfs: no volume nosuch in store " + storeDir.toAbsolutePath(),
        some.errorLine());
    // docker volume inspect --format json: the same JSON; another format is a usage error
    assertEquals(run("volume", "inspect", "data").out(),
        run("volume", "inspect", "--format", "json", "data").out());
    assertEquals(2, run("volume", "inspect", "--format", "table", "data").code());
    Cli.Result none = run("volume", "inspect", "nosuch");
    assertEquals(1, none.code());
    assertEquals("[]\n", none.out());
    Cli.Result rm = run("volume", "rm", "data");
    assertEquals(1, rm.code());
    assertEquals("layerfs: volume data is in use by container web (remove it first)",
        rm.errorLine());
    // as docker volume prune since Docker 23: named volumes go only with -a
    Cli.Result kept = run("volume", "prune", "-f");
    assertEquals(0, kept.code());
    assertEquals("Total reclaimed space: 0B\n", kept.out());
    assertTrue(kept.errorLine().contains("kept 1 unused named volume(s) (spare)"), kept.err());
    assertTrue(Files.isDirectory(storeDir.resolve("layerfs/volumes/spare/_data")));
    // docker's report: the names, a blank line, the bytes of their files (a file of two links
    // once, a symlink not followed)
    Path spare = storeDir.resolve("layerfs/volumes/spare/_data");
    Files.write(spare.resolve("a"), new byte[1234]);
    Files.createLink(spare.resolve("a-again"), spare.resolve("a"));
    Files.createDirectories(spare.resolve("d"));
    Files.write(spare.resolve("d/b"), new byte[1000]);
    Files.createSymbolicLink(spare.resolve("d/motd"), storeDir.resolve("index.json"));
    assertEquals("Deleted Volumes:\nspare\n\nTotal reclaimed space: 2.234kB\n",
        run("volume", "prune", "-a", "-f").out());
    assertEquals("Total reclaimed space: 0B\n", run("volume", "prune", "-a", "-f").out());
    assertEquals(0, run("rm", "web").code());
    assertTrue(Files.isDirectory(storeDir.resolve("layerfs/volumes/data/_data")),
        "a volume outlives its containers");
    assertEquals("data\n", run("volume", "rm", "data").out());
  }

  @Test
  void createWithABadNameNamesIt() {
    Cli.Result r = run("create", "-bad", "base:1");
    assertEquals(2, r.code()); // picocli takes -bad for an unknown option
    Cli.Result r2 = run("create", "a/b", "base:1");
    assertEquals(1, r2.code());
    assertTrue(r2.errorLine().contains("'a/b'"), r2.err());
  }

  @Test
  void rmRemovesEachAndReportsEachFailure() throws IOException {
    assertEquals(0, run("create", "a", "base:1").code());
    assertEquals(0, run("create", "b", "base:1").code());
    Cli.Result r = run("rm", "a", "ghost", "b");
    assertEquals(1, r.code());
    assertEquals("a\nb\n", r.out());
    assertEquals("layerfs: no container ghost in store " + storeDir.toAbsolutePath(),
        r.errorLine());
    assertEquals(List.of(), Container.list(ContentStore.open(storeDir)));
  }

  @Test
  void rmForcedSkipsWhatDoesNotExistAsDockerRmF() throws IOException {
    assertEquals(0, run("create", "a", "base:1").code());
    for (String force : List.of("-f", "--force")) {
      assertEquals(0, run("create", "b", "base:1").code());
      Cli.Result r = run("rm", force, "a", "ghost", "base:1", "b");
      assertEquals(0, r.code(), r.err());
      // docker rm -f prints the names it removed and says nothing of the missing ones
      assertEquals(force.equals("-f") ? "a\nb\n" : "b\n", r.out());
      assertEquals("", r.err());
    }
    assertEquals(List.of(), Container.list(ContentStore.open(storeDir)));
    // a name no container can have is still an error
    Cli.Result bad = run("rm", "-f", "base:2");
    assertEquals(1, bad.code());
    assertTrue(bad.errorLine().contains("invalid container name 'base:2'"), bad.err());
  }

  @Test
  void debugAddsTheStackTrace() {
    Cli.Result r = run("--debug", "rm", "ghost");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("layerfs: no container ghost in store "), r.err());
    assertTrue(r.err().contains("NoSuchFileException"), r.err());
    assertTrue(r.err().lines().count() > 3, r.err());
  }

  @Test
  void lsAndCatNeverPull() throws IOException {
    // a registry reference the store lacks: the provider's env image would pull it
    for (String command : List.of("ls", "cat")) {
      Cli.Result r = run(command, "localhost:1/team/app:1", "/etc/motd");
      assertEquals(1, r.code(), command);
      assertEquals("layerfs: no image 'localhost:1/team/app:1' in store " + storeDir
          + "; tags: base:1", r.errorLine());
    }
    assertEquals(List.of("base:1"), ContentStore.open(storeDir).tags());
    // a name that may be a container's was looked for as both
    for (String command : List.of("ls", "cat")) {
      Cli.Result r = run(command, "ghost", "/etc/motd");
      assertEquals(1, r.code(), command);
      assertEquals("layerfs: no container or image 'ghost' in store " + storeDir
          + "; containers: (none); tags: base:1", r.errorLine());
    }
    Cli.Result cat = run("ls", "base:1", "/etc");
    assertEquals("motd\n", cat.out(), cat.err());
  }

  @Test
  void anImageGivenForAContainerIsNamedAsAnImage() {
    for (List<String> command : List.of(List.of("rm"), List.of("inspect", "--type",
        "container"), List.of("diff"), List.of("commit"))) {
      List<String> args = new java.util.ArrayList<>(command);
      args.add("base:1");
      Cli.Result r = run(args.toArray(String[]::new));
      assertEquals(1, r.code(), command.toString());
      assertEquals("layerfs: no container base:1 in store " + storeDir.toAbsolutePath()
          + ": base:1 is an image ('layerfs ps' lists the containers)", r.errorLine());
    }
    assertEquals(1, run("rm", "base:2").code());
    assertTrue(run("rm", "base:2").errorLine().contains("invalid container name 'base:2'"));
    for (String command : List.of("ls", "cat")) {
      Cli.Result empty = run(command, "", "/etc/motd");
      assertEquals(1, empty.code(), command);
      assertEquals("layerfs: empty container or image name", empty.errorLine());
    }
  }

  @Test
  void rmOfAContainerOpenForWritingIsRefused() throws IOException {
    assertEquals(0, run("create", "busy", "base:1").code());
    ContentStore cs = ContentStore.open(storeDir);
    try (LayerStore layers = new LayerStore(cs);
        Container c = Container.open(cs, layers, "busy", null, false)) {
      Cli.Result r = run("rm", "busy");
      assertEquals(1, r.code());
      // the test holds it in the CLI's own JVM; another process is ContainerProcessTest's case
      assertEquals("layerfs: container busy is already open for writing in this process: close "
          + "that open first (read-only opens work meanwhile)", r.errorLine());
      // force kills a running container in docker; here it never deletes what is being written
      Cli.Result forced = run("rm", "-f", "busy");
      assertEquals(1, forced.code());
      assertEquals(r.errorLine(), forced.errorLine());
      assertEquals("", forced.out());
    }
    assertEquals(List.of("busy"), Container.list(cs));
    assertEquals(0, run("rm", "busy").code());
  }

  @Test
  void psShowsATableLikeDocker() {
    Cli.Result empty = run("ps");
    assertEquals(0, empty.code(), empty.err());
    assertEquals("NAME   IMAGE   MANIFEST   CREATED   SIZE\n", empty.out());
    assertEquals(0, run("create", "web", "base:1").code());
    Cli.Result r = run("ps");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size(), r.out());
    assertTrue(lines.get(0).matches("NAME +IMAGE +MANIFEST +CREATED +SIZE"), lines.get(0));
    String shortDigest = image.manifestDigest().toString().substring(0, 19);
    assertTrue(lines.get(1).matches(
        "web +base:1 +" + shortDigest + " +(Less than a second|\\d+ seconds) ago +[0-9.]+k?B"),
        lines.get(1));
  }

  @Test
  void psShowsTheImageIdOnceTheNameAContainerWasCreatedFromNamesAnotherImage()
      throws IOException {
    assertEquals(0, run("create", "web", "base:1").code());
    assertEquals(0, run("create", "db", "base:1").code());
    String id = image.configDigest().hex().substring(0, 12);
    ImageBuilder.create(storeDir).file("/other", "x").build("other:1");
    assertEquals(0, run("tag", "other:1", "base:1").code()); // base:1 moves to another image
    for (String line : run("ps").out().lines().skip(1).toList()) {
      assertTrue(line.matches("(web|db) +" + id + " +sha256:.*"), line);
    }
    assertEquals(id, new ObjectMapper().readTree(run("ps", "--format", "json").out().lines()
        .findFirst().orElseThrow()).get("Image").asText());
    assertEquals(0, run("tag", image.manifestDigest().toString(), "base:1").code()); // back
    assertTrue(run("ps").out().lines().skip(1).allMatch(l -> l.matches("(web|db) +base:1 .*")));
    assertEquals(0, run("rmi", "-f", "base:1").code()); // the name gone: the ID again
    String after = run("ps").out();
    assertTrue(after.lines().skip(1).allMatch(l -> l.matches("(web|db) +" + id + " .*")), after);
  }

  @Test
  void containerLsRmAndTheRestAreDockersLongFormsOfTheTopLevelCommands() {
    assertEquals("web\n", run("container", "create", "web", "base:1").out());
    assertEquals(run("ps").out(), run("container", "ls").out());
    assertEquals(run("ps", "-q").out(), run("container", "ls", "-q").out());
    assertEquals(run("inspect", "web").out(), run("container", "inspect", "web").out());
    assertEquals(run("diff", "web").out(), run("container", "diff", "web").out());
    Cli.Result rm = run("container", "rm", "web");
    assertEquals(0, rm.code(), rm.err());
    assertEquals("", run("ps", "-q").out());
    Cli.Result help = run("container");
    assertEquals(0, help.code(), help.err());
    assertTrue(help.out().startsWith("Usage: layerfs container ") && help.out().contains("  ls "),
        help.out());
  }

  @Test
  void quietListsOnlyNamesForScriptsAsDockersDoes() {
    assertEquals(0, run("create", "web", "base:1").code());
    assertEquals(0, run("create", "db", "base:1").code());
    Cli.Result names = run("ps", "-a", "-q");
    assertEquals(0, names.code(), names.err());
    assertEquals("db\nweb\n", names.out());
    assertEquals(run("ps").out(), run("ps", "--all").out());
    assertEquals(run("ps").out(), run("ps", "-s").out()); // docker's --size: SIZE always shown
    // docker's image ids, as docker rmi $(docker images -q) takes them
    assertEquals(image.configDigest().hex().substring(0, 12) + "\n",
        run("images", "--quiet").out());
    // docker's idiom: rm $(ps -aq)
    Cli.Result rm = run("rm", "db", "web");
    assertEquals(0, rm.code(), rm.err());
    assertEquals("", run("ps", "-q").out());
  }

  @Test
  void psAsJsonPrintsALineAContainerWithDockersKeys() throws IOException {
    assertEquals(0, run("create", "-v", "data:/data", "web", "base:1").code());
    assertEquals(0, run("create", "db", "base:1").code());
    Cli.Result r = runIn("Asia/Kolkata", "ps", "--format", "json");
    assertEquals(0, r.code(), r.err());
    // as docker ps --format json: one compact object a line, docker's keys, string values
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size(), r.out());
    JsonNode row = new ObjectMapper().readTree(lines.get(1));
    assertEquals(List.of("Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes",
        "Mounts", "Names", "Networks", "Ports", "RunningFor", "Size", "State", "Status",
        "Manifest", "SizeRw"), fieldNames(row));
    assertEquals("web", row.get("Names").asText());
    assertEquals("web", row.get("ID").asText()); // what rm takes: layerfs has no container ids
    assertEquals("base:1", row.get("Image").asText());
    assertEquals("1", row.get("LocalVolumes").asText());
    assertEquals("data", row.get("Mounts").asText());
    assertEquals("created", row.get("State").asText());
    assertEquals("Created", row.get("Status").asText());
    assertTrue(row.get("CreatedAt").asText()
        .matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\+0530 IST"), row.toString());
    assertTrue(row.get("RunningFor").asText().endsWith(" ago"), row.toString());
    // nothing written yet: 0B, as docker shows an untouched container (layerfs' own records
    // of it are no change to its files)
    assertEquals("0B", row.get("Size").asText(), row.toString());
    // layerfs' exact values, for programs
    assertEquals(image.manifestDigest().toString(), row.get("Manifest").asText());
    assertEquals(0, row.get("SizeRw").asLong());
    assertEquals("db", new ObjectMapper().readTree(lines.get(0)).get("Names").asText());
    assertEquals(0, run("rm", "web", "db").code());
    assertEquals("", run("ps", "--format", "json").out());
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void volumeCreateLsRm() throws IOException {
    assertEquals("data\n", run("volume", "create", "data").out());
    assertEquals("data\n", run("volume", "create", "data").out()); // idempotent
    assertEquals(0, run("volume", "create", "cache").code());
    assertTrue(Files.isDirectory(storeDir.resolve("layerfs/volumes/data/_data")));
    Cli.Result ls = run("volume", "ls");
    assertEquals("DRIVER   VOLUME NAME   CONTAINERS\nlocal    cache\nlocal    data\n",
        ls.out());
    // as docker volume ls --format json: one object a line, docker's capitalised keys
    String[] lines = run("volume", "ls", "--format", "json").out().split("\n");
    assertEquals(2, lines.length);
    ObjectMapper mapper = new ObjectMapper();
    JsonNode cache = mapper.readTree(lines[0]);
    List<String> keys = new ArrayList<>();
    cache.fieldNames().forEachRemaining(keys::add);
    assertEquals(List.of("Containers", "Driver", "Labels", "Links", "Mountpoint", "Name", "Scope",
        "Size"), keys);
    assertEquals("cache", cache.get("Name").asText());
    assertEquals("data", mapper.readTree(lines[1]).get("Name").asText());
    assertEquals("local", cache.get("Driver").asText());
    assertEquals("local", cache.get("Scope").asText());
    assertEquals(storeDir.toAbsolutePath().resolve("layerfs/volumes/cache/_data").toString(),
        cache.get("Mountpoint").asText());
    assertEquals("0", cache.get("Links").asText());
    assertEquals(0, cache.get("Containers").size());
    assertEquals(0,
        run("create", "web", "base:1", "--mount", "type=volume,source=data,target=/d").code());
    JsonNode used = mapper.readTree(run("volume", "ls", "--format", "json").out().split("\n")[1]);
    assertEquals("1", used.get("Links").asText());
    assertEquals("web", used.get("Containers").get(0).asText());
    assertEquals(0, run("rm", "web").code());
    Cli.Result rm = run("volume", "rm", "cache", "nope");
    assertEquals(1, rm.code());
    assertEquals("cache\n", rm.out());
    assertTrue(rm.errorLine().contains("no volume nope"), rm.err());
    assertEquals("DRIVER   VOLUME NAME   CONTAINERS\nlocal    data\n",
        run("volume", "ls").out());
  }

  @Test
  void volumeErrors() {
    Cli.Result bad = run("volume", "create", "a/b");
    assertEquals(1, bad.code());
    assertTrue(bad.errorLine().contains("invalid volume name 'a/b'"), bad.err());
    assertEquals(0, run("volume").code(), "its help, as docker volume prints");
    assertEquals(2, run("volume", "rm").code());
    assertEquals(2, run("volume", "ls", "--format", "yaml").code());
    assertEquals(2, run("volume", "frob").code());
  }

  @Test
  void readingCommandsDoNotCreateAStoreWhereNoneIs() {
    Path nowhere = dir.resolve("nowhere");
    for (String[] args : READING_COMMANDS) {
      Cli.Result r = Cli.run(withStore(nowhere, args));
      assertEquals(1, r.code(), String.join(" ", args));
      assertTrue(r.errorLine().contains("no store at " + nowhere), r.err());
      assertFalse(Files.exists(nowhere));
    }
  }

  /** Commands that only read or change a store: none may make one. */
  private static final List<String[]> READING_COMMANDS = List.of(new String[] {"ps"},
      new String[] {"volume", "ls"}, new String[] {"rm", "x"}, new String[] {"images"},
      new String[] {"create", "x", "y"}, new String[] {"ls", "base:1", "/"},
      new String[] {"cat", "x", "/etc/motd"}, new String[] {"cp", "x:/etc", "."},
      new String[] {"diff", "x"}, new String[] {"gc"}, new String[] {"fsck"});

  private static String[] withStore(Path store, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--store";
    all[1] = store.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return all;
  }

  @Test
  void anEmptyDirectoryIsNoStoreAndStaysEmpty() throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    for (String[] args : READING_COMMANDS) {
      Cli.Result r = Cli.run(withStore(empty, args));
      assertEquals(1, r.code(), String.join(" ", args));
      assertEquals("layerfs: no store at " + empty + ": the directory is empty (give --store DIR,"
          + " or import or pull an image to make one there)", r.errorLine());
      try (var entries = Files.list(empty)) {
        assertEquals(List.of(), entries.toList(), String.join(" ", args));
      }
    }
  }

  @Test
  void aFileOrAnotherDirectoryIsNoStore() throws IOException {
    Path file = Files.writeString(dir.resolve("file"), "x");
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.writeString(other.resolve("notes.txt"), "mine");
    for (String[] args : READING_COMMANDS) {
      Cli.Result onFile = Cli.run(withStore(file, args));
      assertEquals(1, onFile.code(), String.join(" ", args));
      assertEquals("layerfs: no store at " + file + ": it is a file (give --store DIR)",
          onFile.errorLine());
      Cli.Result onOther = Cli.run(withStore(other, args));
      assertEquals(1, onOther.code(), String.join(" ", args));
      assertTrue(onOther.errorLine().startsWith("layerfs: no store at " + other
          + ": the directory has no oci-layout file"), onOther.err());
      try (var entries = Files.list(other)) {
        assertEquals(List.of(other.resolve("notes.txt")), entries.toList());
      }
    }
    // commands that make a store name the file in the way, not the layout's blobs/ in it
    Path under = file.resolve("sub/store");
    Cli.Result make = Cli.run(withStore(under, "volume", "create", "v"));
    assertEquals(1, make.code());
    assertEquals("layerfs: cannot make an OCI image layout at " + under + ": " + file
        + " is a file, not a directory", make.errorLine());
    Cli.Result onFile = Cli.run(withStore(file, "volume", "create", "v"));
    assertEquals("layerfs: not an OCI image layout: " + file + " is a file, not a directory",
        onFile.errorLine());
  }
}
