package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Docker's -v and --tmpfs as --mount specs. */
class ShortMountsTest {
  @TempDir Path dir;

  @Test
  void volumesBindMountsAndTmpfsBecomeMountSpecs() {
    assertEquals("type=volume,source=data,target=/data", ShortMounts.volume("data:/data"));
    assertEquals("type=volume,source=data,target=/data,readonly,volume-nocopy",
        ShortMounts.volume("data:/data:ro,nocopy"));
    assertEquals("type=bind,source=/srv/site,target=/www,readonly,bind-propagation=rshared",
        ShortMounts.volume("/srv/site:/www:ro,rshared"));
    assertEquals("type=bind,source=/h,target=/c", ShortMounts.volume("/h:/c:rw"));
    assertEquals("type=tmpfs,target=/tmp", ShortMounts.tmpfs("/tmp"));
    assertEquals("type=tmpfs,target=/run,tmpfs-size=1m,tmpfs-mode=700",
        ShortMounts.tmpfs("/run:size=1m,mode=700"));
  }

  /**
   * A bind source that starts with {@code .} is relative to the working directory, in {@code -v}
   * and in {@code --mount}, as the docker CLI takes it since 23; any other name is a volume's.
   */
  @Test
  void aSourceThatStartsWithADotIsAHostPathMadeAbsolute() {
    Path cwd = Path.of("").toAbsolutePath();
    assertEquals("type=bind,source=" + cwd.resolve("site") + ",target=/www,readonly",
        ShortMounts.volume("./site:/www:ro"));
    assertEquals("type=bind,source=" + cwd.getParent().resolve("app.conf")
        + ",target=/etc/app.conf", ShortMounts.volume("../app.conf:/etc/app.conf"));
    assertEquals("type=bind,source=" + cwd + ",target=/src", ShortMounts.volume(".:/src"));
    assertEquals("type=volume,source=site,target=/www", ShortMounts.volume("site:/www"));
    assertEquals(List.of("type=bind,source=" + cwd.resolve("conf/app.conf")
        + ",target=/etc/app.conf,readonly", "type=bind,source=/srv,target=/srv"),
        ShortMounts.all(List.of("type=bind,source=./conf/app.conf,target=/etc/app.conf,ro",
            "type=bind,source=/srv,target=/srv"), List.of(), List.of()));
    assertEquals("invalid mount spec 'type=bind,source=conf,target=/c': bind source 'conf' is "
        + "not an absolute path (nor one that starts with ./ or ../)",
        message(() -> ShortMounts.all(List.of("type=bind,source=conf,target=/c"), List.of(),
            List.of())));
  }

  @Test
  void badShortFormsNameTheSpecAndTheProblem() {
    assertEquals("invalid -v '/data': a volume needs a source naming it, as SOURCE:/path "
        + "(anonymous volumes are not supported)", message(() -> ShortMounts.volume("/data")));
    assertEquals("invalid -v 'a:/b:ro:x': expected SOURCE:/path[:OPTIONS]",
        message(() -> ShortMounts.volume("a:/b:ro:x")));
    assertEquals("invalid -v 'data:/d:Z': unknown option 'Z' (known: ro, rw, nocopy)",
        message(() -> ShortMounts.volume("data:/d:Z")));
    assertEquals("invalid -v '/h:/c:nocopy': unknown option 'nocopy' (known: ro, rw, private, "
        + "rprivate, shared, rshared, slave, rslave)",
        message(() -> ShortMounts.volume("/h:/c:nocopy")));
    assertEquals("invalid --tmpfs '/t:uid=0': unknown option 'uid=0' (known: size=, mode=, rw)",
        message(() -> ShortMounts.tmpfs("/t:uid=0")));
  }

  @Test
  void aPathWithACommaIsQuotedAsDockersCsvSpecsQuoteIt() throws IOException {
    assertEquals("type=bind,\"source=/srv/a,b\",target=/www", ShortMounts.volume("/srv/a,b:/www"));
    assertEquals("type=tmpfs,\"target=/run/a,b\",tmpfs-size=1m",
        ShortMounts.tmpfs("/run/a,b:size=1m"));
    Path store = dir.resolve("store");
    ImageBuilder.create(ContentStore.open(store).root()).layer().dir("/etc").build("base:1");
    Path site = Files.createDirectory(dir.resolve("site,one"));
    Files.writeString(site.resolve("index.html"), "hi\n");
    String s = store.toString();
    Cli.Result quoted = Cli.run("--store", s, "create", "long", "base:1",
        "--mount", "type=bind,\"source=" + site + "\",target=/srv");
    assertEquals(0, quoted.code(), quoted.err());
    Cli.Result r = Cli.run("--store", s, "create", "short", "base:1", "-v", site + ":/srv");
    assertEquals(0, r.code(), r.err());
    ObjectMapper json = new ObjectMapper();
    for (String name : List.of("long", "short")) {
      assertEquals("index.html\n", Cli.run("--store", s, "ls", name, "/srv").out(), name);
      assertEquals(site.toString(), json.readTree(Cli.run("--store", s, "inspect", name,
          "--format", "json").out()).get(0).get("Mounts").get(0).get("Source").asText(), name);
    }
    Cli.Result open = Cli.run("--store", s, "create", "bad", "base:1",
        "--mount", "type=bind,\"source=" + site + ",target=/srv");
    assertEquals(1, open.code());
    assertEquals("layerfs: invalid mount spec 'type=bind,\"source=" + site + ",target=/srv': "
        + "unterminated quote: the field opened by the '\"' at column 11 has no closing '\"'",
        open.errorLine());
  }

  private static String message(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }

  @Test
  void createRecordsTheSameMountsAsWithMount() throws IOException {
    Path store = dir.resolve("store");
    ImageBuilder.create(ContentStore.open(store).root()).layer().dir("/etc").build("base:1");
    Path site = Files.createDirectory(dir.resolve("site"));
    String s = store.toString();
    assertEquals(0, Cli.run("--store", s, "create", "long", "base:1",
        "--mount", "type=volume,source=data,target=/data,readonly",
        "--mount", "type=bind,source=" + site + ",target=/srv",
        "--mount", "type=tmpfs,target=/tmp,tmpfs-size=1m").code());
    Cli.Result r = Cli.run("--store", s, "create", "short", "base:1",
        "-v", "data:/data:ro", "--volume", site + ":/srv", "--tmpfs", "/tmp:size=1m");
    assertEquals(0, r.code(), r.err());
    ObjectMapper json = new ObjectMapper();
    assertEquals(
        json.readTree(Cli.run("--store", s, "inspect", "long", "--format", "json").out())
            .get(0).get("Mounts"),
        json.readTree(Cli.run("--store", s, "inspect", "short", "--format", "json").out())
            .get(0).get("Mounts"));
    Cli.Result bad = Cli.run("--store", s, "create", "bad", "base:1", "-v", "/data");
    assertEquals(1, bad.code());
    List<String> names = new java.util.ArrayList<>();
    for (String line : Cli.run("--store", s, "ps", "--format", "json").out().lines().toList()) {
      names.add(json.readTree(line).get("Names").asText()); // docker's JSON lines
    }
    assertEquals(List.of("long", "short"), names, "a bad -v makes no container");
  }
}
