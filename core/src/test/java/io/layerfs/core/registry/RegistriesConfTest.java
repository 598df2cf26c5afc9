package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * containers-registries.conf(5) as skopeo 1.9.3 (containers/image 5.23) reads it: each
 * expectation here was first observed with skopeo against local registries (prefix matching,
 * rewriting, the order of mirrors, blocking, the errors).
 */
class RegistriesConfTest {
  private static final Path FILE = Path.of("test.conf");
  private static final String DIGEST =
      "sha256:2b416dac0000000000000000000000000000000000000000000000000000beef";

  @TempDir Path tmp;

  @Test
  void theLongestPrefixWinsAndMatchesWholePathComponents() throws IOException {
    RegistriesConf conf = RegistriesConf.parse("""
        [[registry]]
        location = "example.test"
        [[registry]]
        prefix = "example.test/foo"
        location = "mirror.test/foo"
        [[registry]]
        prefix = "example.test/foo/app"
        location = "mirror.test/app"
        """, FILE);
    assertEquals("example.test/foo/app", prefixFor(conf, "example.test/foo/app:1"));
    assertEquals("example.test/foo", prefixFor(conf, "example.test/foo/other:1"));
    assertEquals("example.test", prefixFor(conf, "example.test/x:1"));
    assertEquals("example.test", prefixFor(conf, "example.test/foobar/app:1"));
    assertNull(conf.find(Reference.parse("other.test/app:1")));
  }

  @Test
  void aPrefixWithATagMatchesNothingAsContainersImageMatchesNamesOnly() throws IOException {
    RegistriesConf conf = RegistriesConf.parse("""
        [[registry]]
        prefix = "example.test/foo/app:1"
        location = "mirror.test/app"
        """, FILE);
    assertNull(conf.find(Reference.parse("example.test/foo/app:1")));
    assertNull(conf.find(Reference.parse("example.test/foo/app:10")));
  }

  @Test
  void dockerHubReferencesAreNormalizedBeforeMatchingButPrefixesAreNot() throws IOException {
    RegistriesConf conf = RegistriesConf.parse("""
        [[registry]]
        prefix = "docker.io/library/x"
        location = "mirror.test/top/x"
        [[registry]]
        prefix = "docker.io/y"
        location = "mirror.test/top/y"
        """, FILE);
    assertEquals("mirror.test/top/x:1", only(conf, "x:1"));
    assertEquals("mirror.test/top/x:1", only(conf, "docker.io/x:1"));
    assertEquals("docker.io/library/y:1", only(conf, "y:1"));
    assertEquals("docker.io/library/y:1", only(conf, "docker.io/y:1"));
  }

  @Test
  void locationsReplaceThePrefixAndKeepTheRestOfTheName() throws IOException {
    assertEquals("127.0.0.1:5000/bar/app:1", only(RegistriesConf.parse("""
        [[registry]]
        prefix = "example.test/foo"
        location = "127.0.0.1:5000/bar/"
        """, FILE), "example.test/foo/app:1"));
    assertEquals("127.0.0.1:5000/bar/app:1", only(RegistriesConf.parse("""
        [[registry]]
        prefix = "example.test/foo"
        location = "127.0.0.1:5000"
        """, FILE), "example.test/foo/bar/app:1"));
    assertEquals("127.0.0.1:5000/bar/app@" + DIGEST, only(RegistriesConf.parse("""
        [[registry]]
        prefix = "example.test"
        location = "127.0.0.1:5000/bar"
        """, FILE), "example.test/app@" + DIGEST));
  }

  @Test
  void mirrorsComeFirstInFileOrderAsTheirPullSettingsAllow() throws IOException {
    String mirrors = """
        [[registry]]
        location = "primary.test"
        %s
        [[registry.mirror]]
        location = "one.test"
        %s
        [[registry.mirror]]
        location = "two.test"
        %s
        """;
    String tag = "primary.test/app:1";
    String digest = "primary.test/app@" + DIGEST;
    RegistriesConf all = RegistriesConf.parse(mirrors.formatted("", "", ""), FILE);
    assertEquals(List.of("one.test", "two.test", "primary.test"), hosts(all, tag));
    assertEquals(List.of("one.test", "two.test", "primary.test"), hosts(all, digest));
    RegistriesConf byDigest = RegistriesConf.parse(
        mirrors.formatted("mirror-by-digest-only = true", "", ""), FILE);
    assertEquals(List.of("primary.test"), hosts(byDigest, tag));
    assertEquals(List.of("one.test", "two.test", "primary.test"), hosts(byDigest, digest));
    RegistriesConf split = RegistriesConf.parse(mirrors.formatted("",
        "pull-from-mirror = \"digest-only\"", "pull-from-mirror = \"tag-only\""), FILE);
    assertEquals(List.of("two.test", "primary.test"), hosts(split, tag));
    assertEquals(List.of("one.test", "primary.test"), hosts(split, digest));
  }

  @Test
  void eachSourceIsInsecureByItsOwnEntry() throws IOException {
    RegistriesConf conf = RegistriesConf.parse("""
        [[registry]]
        location = "primary.test"
        insecure = true
        [[registry.mirror]]
        location = "one.test"
        [[registry.mirror]]
        location = "two.test"
        insecure = true
        """, FILE);
    List<RegistriesConf.Source> sources = conf.pullSources(Reference.parse("primary.test/a:1"));
    assertEquals(List.of(false, true, true),
        sources.stream().map(RegistriesConf.Source::insecure).toList());
  }

  @Test
  void aWildcardMatchesSubdomainsOnlyAndWinsATieWithTheSameHost() throws IOException {
    RegistriesConf conf = RegistriesConf.parse("""
        [[registry]]
        location = "a.example.test"
        [[registry]]
        prefix = "*.example.test"
        [[registry.mirror]]
        location = "mirror.test"
        """, FILE);
    assertEquals("*.example.test", prefixFor(conf, "a.example.test/app:1"));
    assertEquals("*.example.test", prefixFor(conf, "x.y.example.test/app:1"));
    assertNull(conf.find(Reference.parse("example.test/app:1")));
    assertNull(conf.find(Reference.parse("xexample.test/app:1")));
    assertEquals(List.of("mirror.test/app:1", "b.example.test/app:1"),
        conf.pullSources(Reference.parse("b.example.test/app:1")).stream()
            .map(s -> s.reference().toString()).toList());
  }

  @Test
  void aLongerPrefixBeatsAWildcardThatMatchesTheSameHost() throws IOException {
    RegistriesConf conf = RegistriesConf.parse("""
        [[registry]]
        prefix = "*.example.test"
        location = "w.test"
        [[registry]]
        location = "ab.example.test"
        """, FILE);
    // "*.example.test" is 14 characters, "ab.example.test" 15: the exact host wins, as in skopeo
    assertEquals("ab.example.test", prefixFor(conf, "ab.example.test/app:1"));
    assertEquals("*.example.test", prefixFor(conf, "c.example.test/app:1"));
  }

  @Test
  void blockedIsAskedOfEachPlaceASourceGoesTo() throws IOException {
    RegistriesConf conf = RegistriesConf.parse("""
        [[registry]]
        location = "primary.test"
        blocked = true
        [[registry.mirror]]
        location = "mirror.test"
        [[registry]]
        prefix = "example.test/foo"
        location = "elsewhere.test/bar"
        blocked = true
        """, FILE);
    String message = conf.blocked(Reference.parse("primary.test/app:1"));
    assertTrue(message.contains("blocked") && message.contains("test.conf")
        && message.contains("'primary.test'"), message);
    assertNull(conf.blocked(Reference.parse("mirror.test/app:1")));
    // a rewritten location falls under no table: containers/image pulls from it
    assertNull(conf.blocked(Reference.parse("elsewhere.test/bar/app:1")));
    assertTrue(conf.blocked(Reference.parse("example.test/foo/app:1")) != null);
  }

  @Test
  void theVersionOneListsAreInsecureAndBlockedRegistries() throws IOException {
    RegistriesConf conf = RegistriesConf.parse("""
        [registries.search]
        registries = ["docker.io"]
        [registries.insecure]
        registries = ["127.0.0.1:5000"]
        [registries.block]
        registries = ["bad.test"]
        """, FILE);
    assertTrue(conf.insecure(Reference.parse("127.0.0.1:5000/app:1")));
    assertFalse(conf.insecure(Reference.parse("docker.io/app:1")));
    assertTrue(conf.blocked(Reference.parse("bad.test/app:1")) != null);
  }

  @Test
  void filesWithoutRegistriesAreNotParsed() throws IOException {
    Path aliases = tmp.resolve("shortnames.conf");
    Files.writeString(aliases, "[aliases]\n  \"centos\" = \"quay.io/centos/centos\"\n"
        + "  \"registry\" = \"docker.io/library/registry\"\n  registry = \"x\"\n# [[registry\n");
    assertSame(RegistriesConf.NONE, load(aliases, Map.of(), tmp));
    assertFalse(RegistriesConf.mayHoldRegistries(Files.readString(aliases)));
    assertTrue(RegistriesConf.mayHoldRegistries("  [[ registry.mirror ]]\n"));
    assertTrue(RegistriesConf.mayHoldRegistries("[registries.block]\nregistries = []\n"));
    assertTrue(RegistriesConf.mayHoldRegistries("registry = [{ location = \"a.test\" }]\n"));
    RegistriesConf inline = RegistriesConf.parse(
        "registry = [{ location = \"a.test\", insecure = true }]\n", FILE);
    assertTrue(inline.insecure(Reference.parse("a.test/app:1")));
  }

  @Test
  void badFilesAreErrorsNamingTheFileAndWhatIsWrong() {
    assertError("mixes the version 1", """
        [registries.insecure]
        registries = ["a.test"]
        [[registry]]
        location = "b.test"
        """);
    assertError("mixes the version 1", """
        unqualified-search-registries = ["a.test"]
        [registries.insecure]
        registries = ["a.test"]
        """);
    assertError("not valid TOML", "[[registry]\nlocation = \"x\"\n");
    assertError("'insecure' must be true or false", """
        [[registry]]
        location = "a.test"
        insecure = "yes"
        """);
    assertError("different 'insecure' or 'blocked'", """
        [[registry]]
        prefix = "x.test"
        location = "a.test"
        insecure = true
        [[registry]]
        prefix = "y.test"
        location = "a.test"
        """);
    assertError("has a URI scheme", "[[registry]]\nlocation = \"http://a.test\"\n");
    assertError("a mirror's setting", """
        [[registry]]
        location = "a.test"
        pull-from-mirror = "all"
        """);
    assertError("expected all, digest-only or tag-only", """
        [[registry]]
        location = "a.test"
        [[registry.mirror]]
        location = "b.test"
        pull-from-mirror = "bogus"
        """);
    assertError("cannot both be set", """
        [[registry]]
        location = "a.test"
        mirror-by-digest-only = true
        [[registry.mirror]]
        location = "b.test"
        pull-from-mirror = "tag-only"
        """);
    assertError("no location", "[[registry]]\nprefix = \"a.test\"\n");
    assertError("wildcard prefix", "[[registry]]\nprefix = \"*.a.test/foo\"\n");
    assertError("sets neither prefix nor location", "[[registry]]\ninsecure = true\n");
  }

  @Test
  void unknownKeysAreIgnoredAsContainersImageIgnoresThem() throws IOException {
    RegistriesConf conf = RegistriesConf.parse("""
        frobnicate = 1
        [[registry]]
        location = "a.test"
        whatever = true
        """, FILE);
    assertEquals("a.test", prefixFor(conf, "a.test/app:1"));
  }

  @Test
  void theUsersFileAloneWithItsDropInsOrTheSystemsWithBoth(@TempDir Path home)
      throws IOException {
    Path userDir = Files.createDirectories(home.resolve(".config/containers"));
    Path given = tmp.resolve("given.conf");
    Files.writeString(given, """
        [[registry]]
        prefix = "example.test/foo"
        location = "a.test/bar"
        [[registry.mirror]]
        location = "b.test"
        [[registry]]
        location = "c.test"
        """);
    Path dropIns = Files.createDirectories(userDir.resolve("registries.conf.d"));
    Files.writeString(dropIns.resolve("50-user.conf"), """
        [[registry]]
        prefix = "example.test/foo"
        location = "a.test/top"
        """);
    Files.writeString(dropIns.resolve("ignored.txt"), "[[registry]\n");
    Path systemDropIns = Files.createDirectories(tmp.resolve("etc/registries.conf.d"));
    Files.writeString(systemDropIns.resolve("10-system.conf"),
        "[[registry]]\nlocation = \"s.test\"\n");
    RegistriesConf conf = load(given, Map.of(), home);
    // the drop-in's table replaces the one of the same prefix whole (its mirror too)
    assertEquals("a.test/top/app:1", only(conf, "example.test/foo/app:1"));
    assertEquals("c.test", prefixFor(conf, "c.test/x:1"));
    assertEquals("s.test", prefixFor(conf, "s.test/x:1"));
    // the environment's file instead of none given; the user's own file else
    RegistriesConf fromEnv = load(null,
        Map.of("CONTAINERS_REGISTRIES_CONF", given.toString()), home);
    assertEquals("c.test", prefixFor(fromEnv, "c.test/x:1"));
    Files.writeString(userDir.resolve("registries.conf"), "[[registry]]\nlocation = \"u.test\"\n");
    RegistriesConf user = load(null, Map.of(), home);
    assertEquals("u.test", prefixFor(user, "u.test/x:1"));
    assertEquals("a.test/top/app:1", only(user, "example.test/foo/app:1"));
    assertNull(user.find(Reference.parse("c.test/x:1")));
    assertNull(user.find(Reference.parse("s.test/x:1")), "the system's drop-ins are not read");
    Files.writeString(dropIns.resolve("70-bad.conf"), "[registries.block]\nregistries = []\n");
    IOException e = assertThrows(IOException.class,
        () -> load(given, Map.of(), home));
    assertTrue(e.getMessage().contains("70-bad.conf") && e.getMessage().contains("drop-in"),
        e.getMessage());
  }

  @Test
  void aFileGivenByNameMustExist() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> load(tmp.resolve("missing.conf"), Map.of(), tmp));
    assertTrue(e.getReason().contains("missing.conf"), e.getReason());
  }

  /** Loads as containers/image does, with a system file and directory of the test's. */
  private RegistriesConf load(Path given, Map<String, String> env, Path home)
      throws IOException {
    return RegistriesConf.load(given, env, home.toString(), tmp.resolve("etc/registries.conf"),
        tmp.resolve("etc/registries.conf.d"));
  }

  private static String prefixFor(RegistriesConf conf, String ref) {
    return conf.find(Reference.parse(ref)).prefix();
  }

  /** The one source of a pull of {@code ref}. */
  private static String only(RegistriesConf conf, String ref) throws IOException {
    List<RegistriesConf.Source> sources = conf.pullSources(Reference.parse(ref));
    assertEquals(1, sources.size(), sources.toString());
    return sources.get(0).reference().toString();
  }

  private static List<String> hosts(RegistriesConf conf, String ref) throws IOException {
    return conf.pullSources(Reference.parse(ref)).stream()
        .map(s -> s.reference().domain()).toList();
  }

  private static void assertError(String part, String text) {
    IOException e = assertThrows(IOException.class, () -> RegistriesConf.parse(text, FILE),
        text);
    assertTrue(e.getMessage().contains(part) && e.getMessage().contains("test.conf"),
        e.getMessage());
  }
}
