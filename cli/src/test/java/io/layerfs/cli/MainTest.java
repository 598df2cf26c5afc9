package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {
  @TempDir Path dir;

  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void everySubcommandIsListedUnderItsOwnName() {
    for (String name : Main.commands()) {
      assertEquals(name, Main.spec(name).name());
    }
    assertNull(Main.spec("nosuch"));
    CommandLine all = Main.commandLine(new Main(), null);
    assertEquals(Main.commands(), List.copyOf(all.getSubcommands().keySet()));
  }

  @Test
  void onlyTheNamedCommandIsAdded() {
    CommandLine ls = Main.commandLine(new Main(), "ls");
    assertEquals(List.of("ls"), List.copyOf(ls.getSubcommands().keySet()));
    CommandLine help = Main.commandLine(new Main(), "help");
    assertEquals(Main.commands(), List.copyOf(help.getSubcommands().keySet()));
    CommandLine unknown = Main.commandLine(new Main(), "nosuch");
    assertEquals(Main.commands(), List.copyOf(unknown.getSubcommands().keySet()));
  }

  /** As {@code docker} alone: the help on stdout, exit code 0 (skopeo prints it too). */
  @Test
  void noCommandPrintsTheHelp() {
    Result r = run();
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    assertEquals(run("--help").out(), r.out());
    assertTrue(r.out().startsWith("Usage: layerfs "), r.out());
    assertEquals(r, run("--store", dir.resolve("none").toString()));
    Result volume = run("volume");
    assertEquals(0, volume.code(), volume.err());
    assertEquals(run("volume", "--help").out(), volume.out());
  }

  @Test
  void theCommandNameSkipsTopLevelOptions() {
    assertEquals("cat", Main.commandName(new String[] {"--store", "ls", "--debug", "cat", "x"}));
    assertEquals("ls", Main.commandName(new String[] {"--store=x", "ls"}));
    assertNull(Main.commandName(new String[] {"--store", "ls"}));
    assertNull(Main.commandName(new String[] {"--help"}));
  }

  @Test
  void storeGoesBeforeOrAfterTheCommand() {
    Path store = dir.resolve("store");
    assertEquals(0, run("--store", store.toString(), "demo", "--keep").code());
    Result before = run("--store", store.toString(), "images");
    Result after = run("images", "--store", store.toString());
    assertEquals(0, after.code(), after.err());
    assertTrue(after.out().contains("demo:1"), after.out());
    assertEquals(before, after);
  }

  @Test
  void demoBuildsOpensAndReadsThroughTheLayers() {
    Result r = run("--store", dir.resolve("store").toString(), "demo");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("built image demo:1 (sha256:"), r.out());
    assertTrue(
        r.out().contains("Welcome to layerfs: this line comes from the image's layer 1."),
        r.out());
    assertTrue(r.out().contains("echo hello"), r.out());
    assertTrue(r.out().contains("  absent"), r.out());
    assertTrue(r.out().contains("/home/app/notes.txt"), r.out());
    assertTrue(r.out().contains("  written by the container\n\n$ layerfs diff demo"), r.out());
    assertTrue(
        r.out().endsWith("  Welcome to layerfs: this line comes from the image's layer 1.\n"),
        r.out());
  }

  @Test
  void demoPrintsTheDiffAndTheCommittedDigest() {
    Result r = run("demo");
    assertEquals(0, r.code(), r.err());
    for (String line : new String[] {"  C /etc/motd", "  D /etc/os-release", "  D /usr/bin",
        "  A /srv/www/index.html", "  C /home/app/notes.txt"}) {
      assertTrue(r.out().contains("\n" + line + "\n"), line + " in " + r.out());
    }
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("layerfs commit demo demo:2 .*\n  (sha256:[0-9a-f]{64})\n").matcher(r.out());
    assertTrue(m.find(), r.out());
    assertTrue(r.out().contains("holds the writes"), r.out());
    assertTrue(r.out().contains("$ ls /srv/www\n  index.html\n"), r.out());
    java.util.regex.Matcher scratch = java.util.regex.Pattern
        .compile("^built image demo:1 \\(sha256:[0-9a-f]{64}\\) with 2 layers in a scratch store,"
            + " (\\S+)\n").matcher(r.out());
    assertTrue(scratch.find(), r.out());
    assertTrue(r.out().endsWith("\n\nremoved the scratch store " + scratch.group(1)
        + " (--keep or --store DIR keeps the store, to look at with layerfs --store DIR images,"
        + " ps, diff demo, ls demo /...)\n"), r.out());
    assertFalse(Files.exists(Path.of(scratch.group(1))), "removed");
    String digest = m.group(1);
    Result again = run("demo");
    assertTrue(again.out().contains("\n  " + digest + "\n"), "reproducible: " + again.out());
  }

  @Test
  void demoLeavesACommittedImageInAGivenStore() {
    String store = dir.resolve("store").toString();
    assertEquals(0, run("--store", store, "demo").code());
    Result images = run("--store", store, "images");
    assertTrue(images.out().lines().anyMatch(l -> l.startsWith("demo:2 ")), images.out());
    Result diff = run("--store", store, "diff", "demo");
    assertTrue(diff.out().contains("D /etc/os-release\n"), diff.out());
  }

  @Test
  void demoAgainInTheSameStoreIsRefusedBeforeItChangesAnything() throws Exception {
    Path store = dir.resolve("store");
    assertEquals(0, run("--store", store.toString(), "demo").code());
    String before = run("--store", store.toString(), "diff", "demo").out();
    Result again = run("--store", store.toString(), "demo");
    assertEquals(1, again.code());
    assertEquals("layerfs: container demo already exists in store " + store + " (an earlier "
        + "demo's?): remove it with 'layerfs rm demo' or give another --store\n", again.err());
    assertEquals("", again.out());
    assertEquals(before, run("--store", store.toString(), "diff", "demo").out());
    assertEquals(0, run("--store", store.toString(), "rm", "demo").code());
    assertEquals(0, run("--store", store.toString(), "demo").code());
  }

  @Test
  void lsAndCatShowAContainerByName() {
    String store = dir.resolve("store").toString();
    assertEquals(0, run("--store", store, "demo").code());
    Result cat = run("--store", store, "cat", "demo", "/etc/motd");
    assertEquals(0, cat.code(), cat.err());
    Result ls = run("--store", store, "ls", "demo", "/srv/www");
    assertEquals("index.html", ls.out().strip());
  }

  @Test
  void commandsReadTheStoreTheDemoLeft() {
    String store = dir.resolve("store").toString();
    assertEquals(0, run("--store", store, "demo").code());
    Result images = run("--store", store, "images");
    assertEquals(0, images.code(), images.err());
    assertTrue(images.out().lines().anyMatch(l -> l.startsWith("demo:1 ")), images.out());
    Result json = run("--store", store, "images", "--format", "json");
    assertTrue(json.out().lines().anyMatch(
        l -> l.contains("\"Repository\":\"demo\"") && l.contains("\"Tag\":\"1\"")), json.out());
    Result cat = run("--store", store, "cat", "demo:1", "/etc/os-release");
    assertEquals(0, cat.code(), cat.err());
    Cli.Result ls = Cli.run(Map.of("TZ", "UTC"), "--store", store, "ls", "-l", "demo:1", "/bin");
    assertEquals("lrwxrwxrwx     0     0          7 2026-01-01 00:00 bin -> usr/bin",
        ls.out().strip());
    // local time, as GNU ls -l prints it: the zone TZ names (empty or unknown: UTC, as glibc)
    Cli.Result kolkata = Cli.run(Map.of("TZ", "Asia/Kolkata"), "--store", store, "ls", "-l",
        "demo:1", "/bin");
    assertEquals("lrwxrwxrwx     0     0          7 2026-01-01 05:30 bin -> usr/bin",
        kolkata.out().strip());
    Cli.Result empty = Cli.run(Map.of("TZ", ""), "--store", store, "ls", "-l", "demo:1", "/bin");
    assertEquals(ls.out(), empty.out());
  }

  @Test
  void lsLongAlignsOwnerGroupAndSizeOverTheListing() throws Exception {
    Path store = dir.resolve("alignstore");
    io.layerfs.testing.ImageBuilder.create(
            io.layerfs.core.content.ContentStore.open(store).root())
        .created(java.time.Instant.EPOCH).layer()
        .dir("/etc")
        .file("/etc/group", "root:x:0:\nshadow:x:42:\n")
        .file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        .add(io.layerfs.testing.ImageBuilder.Entry.file("/etc/shadow", new byte[3])
            .owner(0, 42).mtime(java.time.Instant.EPOCH))
        .add(io.layerfs.testing.ImageBuilder.Entry.file("/etc/zz", new byte[12])
            .owner(1234567, 0).mtime(java.time.Instant.EPOCH))
        .build("align:1");
    Cli.Result ls = Cli.run(Map.of("TZ", "UTC"), "--store", store.toString(), "ls", "-l",
        "align:1", "/etc");
    assertEquals(0, ls.code(), ls.err());
    // as ls -l: each column as wide as its widest cell, so names and sizes stay in line
    List<String> lines = ls.out().lines()
        .filter(l -> l.endsWith(" shadow") || l.endsWith(" zz")).toList();
    assertEquals(List.of(
        "-rw-r--r--    root shadow          3 1970-01-01 00:00 shadow",
        "-rw-r--r-- 1234567   root         12 1970-01-01 00:00 zz"), lines);
  }

  @Test
  void lsAsJsonPrintsDockersPathStatALine() throws Exception {
    Path store = dir.resolve("jsonstore");
    io.layerfs.testing.ImageBuilder.create(
            io.layerfs.core.content.ContentStore.open(store).root())
        .created(java.time.Instant.EPOCH).layer()
        .dir("/dev").charDevice("/dev/null", 1, 3).dir("/usr/bin").file("/usr/bin/sh", "#!\n")
        .symlink("/bin", "usr/bin").build("dev:1");
    // local times as the daemon encodes them: Go's RFC3339Nano with the zone's offset
    Cli.Result r = Cli.run(Map.of("TZ", "Asia/Kolkata"),
        "--store", store.toString(), "ls", "--format", "json", "dev:1", "/");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(3, lines.size(), r.out());
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.JsonNode bin = json.readTree(lines.get(0));
    // docker's container path stat (what docker cp reads): name, size, mode as Go's
    // os.FileMode, mtime in RFC 3339, linkTarget; then layerfs' type
    List<String> keys = new java.util.ArrayList<>();
    bin.fieldNames().forEachRemaining(keys::add);
    assertEquals(List.of("name", "size", "mode", "mtime", "linkTarget", "type"), keys);
    assertEquals("bin", bin.get("name").asText());
    assertEquals("usr/bin", bin.get("linkTarget").asText());
    assertEquals("symlink", bin.get("type").asText());
    assertEquals((1L << 27) | 0777, bin.get("mode").asLong());
    assertTrue(bin.get("mtime").asText().matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+\\+05:30"),
        bin.toString());
    com.fasterxml.jackson.databind.JsonNode devDir = json.readTree(lines.get(1));
    assertEquals("directory", devDir.get("type").asText());
    assertEquals((1L << 31) | 0755, devDir.get("mode").asLong());
    assertEquals("", devDir.get("linkTarget").asText());
    Result sh = run("--store", store.toString(), "ls", "--format", "json", "dev:1", "/usr/bin/sh");
    com.fasterxml.jackson.databind.JsonNode file = json.readTree(sh.out());
    assertEquals(3, file.get("size").asLong());
    assertEquals("file", file.get("type").asText());
    Result nul = run("--store", store.toString(), "ls", "--format", "json", "dev:1", "/dev");
    com.fasterxml.jackson.databind.JsonNode device = json.readTree(nul.out());
    assertEquals("char-device", device.get("type").asText());
    // Go's ModeDevice | ModeCharDevice
    assertEquals((1L << 26) | (1L << 21), device.get("mode").asLong() & ~0777L);
  }

  @Test
  void lsLongShowsDeviceAndFifoTypesAndATrailingSlashFollowsALink() throws Exception {
    Path store = dir.resolve("devstore");
    io.layerfs.testing.ImageBuilder.create(
            io.layerfs.core.content.ContentStore.open(store).root())
        .created(java.time.Instant.EPOCH).layer()
        .dir("/dev").charDevice("/dev/null", 1, 3).blockDevice("/dev/sda", 8, 0)
        .fifo("/dev/pipe").dir("/usr/bin").file("/usr/bin/sh", "#!\n")
        .symlink("/bin", "usr/bin").build("dev:1");
    Result dev = run("--store", store.toString(), "ls", "-l", "dev:1", "/dev");
    assertEquals(0, dev.code(), dev.err());
    // as ls -l: c, b and p, and a device's MAJOR, MINOR where a file's size goes
    List<String> types = dev.out().lines().map(l -> l.charAt(0) + " " + l.substring(23, 33).strip()
        + " " + l.substring(l.lastIndexOf(' ') + 1)).sorted().toList();
    assertEquals(List.of("b 8, 0 sda", "c 1, 3 null", "p 0 pipe"), types);
    // 'ls -l /bin' shows the link; 'ls -l /bin/' lists where it leads, as GNU ls does
    assertTrue(run("--store", store.toString(), "ls", "-l", "dev:1", "/bin").out()
        .endsWith("bin -> usr/bin\n"));
    Result followed = run("--store", store.toString(), "ls", "-l", "dev:1", "/bin/");
    assertTrue(followed.out().strip().endsWith(" sh"), followed.out());
  }

  @Test
  void errorsAreOneLineWithExitCodeOne() {
    String store = dir.resolve("store").toString();
    assertEquals(0, run("--store", store, "demo").code());
    Result missing = run("--store", store, "cat", "demo:1", "/etc/nope");
    assertEquals(1, missing.code());
    // the container or image first: the path is no host path
    assertEquals("layerfs: demo:1: /etc/nope: no such file or directory", missing.err().strip());
    Result notDir = run("--store", store, "ls", "demo", "/etc/motd/x");
    assertEquals(1, notDir.code());
    assertEquals("layerfs: demo: /etc/motd/x: Not a directory", notDir.err().strip());
    Result lsMissing = run("--store", store, "ls", "-l", "demo", "/nosuch");
    assertEquals("layerfs: demo: /nosuch: no such file or directory", lsMissing.err().strip());
    Result noImage = run("--store", store, "ls", "nosuch");
    assertEquals(1, noImage.code());
    assertEquals(1, noImage.err().strip().lines().count(), noImage.err());
    assertTrue(Files.isDirectory(dir.resolve("store")));
  }

  @Test
  void usageErrorsExitWithTwo() {
    Result r = run("bogus");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("layerfs: 'bogus' is not a layerfs command"), r.err());
    assertEquals(2, run("images", "--format", "xml").code());
  }

  @Test
  void dockersCommandsThatLayerfsNamesOtherwiseSayWhatToType() {
    // spelling suggestions would name unrelated commands here (save: verify or convert)
    Result save = run("save", "-o", "x.tar", "app:1");
    assertEquals(2, save.code());
    assertEquals("layerfs: 'save' is not a layerfs command; as docker save -o FILE IMAGE:"
        + " layerfs export IMAGE docker-archive:FILE", save.err().lines().findFirst().get());
    assertTrue(run("load").err().startsWith("layerfs: 'load' is not a layerfs command; as docker"
        + " load -i FILE: layerfs import FILE; as docker load < FILE: layerfs import -"
        + " < FILE\n"), run("load").err());
    Result exec = run("exec", "-it", "web", "bash");
    assertEquals(2, exec.code());
    assertTrue(exec.err().startsWith("layerfs: 'exec' is not a layerfs command; layerfs runs no"
        + " processes: 'layerfs create' makes a container"), exec.err());
    // a layerfs command further on ("ls" here) is not what went wrong, nor is an option's value
    for (Result wrong : List.of(run("run", "web", "ls"), run("--store", "dir", "exec", "web",
        "ls", "-l"), run("--store=x", "run", "--rm", "web", "cat"))) {
      assertEquals(2, wrong.code(), wrong.err());
      assertTrue(wrong.err().matches("(?s)layerfs: '(run|exec)' is not a layerfs command; "
          + "layerfs runs no processes.*\nTry 'layerfs --help'.\n"), wrong.err());
    }
    // only at the top: a volume subcommand keeps the nearest names
    assertTrue(run("volume", "save").err().startsWith(
        "layerfs: 'save' is not a layerfs volume command"), run("volume", "save").err());
    assertFalse(run("volume", "save").err().contains("docker save"));
  }

  @Test
  void anUnknownCommandIsNamedWithTheNearestOnes() {
    Result typo = run("imags");
    assertEquals(2, typo.code());
    assertTrue(typo.err().startsWith("layerfs: 'imags' is not a layerfs command; did you mean "
        + "image or images"), typo.err());
    assertTrue(typo.err().contains("Try 'layerfs --help'."), typo.err());
    Result volume = run("volume", "lss");
    assertEquals(2, volume.code());
    assertTrue(volume.err().startsWith("layerfs: 'lss' is not a layerfs volume command; did you "
        + "mean ls?"), volume.err());
    // an unknown option stays picocli's message
    Result option = run("images", "--bogus");
    assertEquals(2, option.code());
    assertTrue(option.err().startsWith("layerfs: Unknown option: '--bogus'"), option.err());
  }

  @Test
  void catOfADirectoryNamesIt() {
    String store = dir.resolve("store").toString();
    assertEquals(0, run("--store", store, "demo").code());
    Result cat = run("--store", store, "cat", "demo:1", "/etc");
    assertEquals(1, cat.code());
    assertEquals("layerfs: demo:1: /etc: Is a directory\n", cat.err());
  }
}
