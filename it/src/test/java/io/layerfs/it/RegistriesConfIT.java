package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * containers-registries.conf(5) with skopeo as the oracle: for each configuration both tools pull
 * the same reference with the same file ({@code layerfs pull --registries-conf FILE}, {@code
 * skopeo --registries-conf FILE copy} into an OCI layout). Both succeed or both fail; on success
 * both read the manifest from the same place (layerfs' {@code source}, the last place skopeo's
 * debug log says it tried), have the manifest of the image the configuration should have led
 * to, and the layerfs view equals {@code umoci unpack} of skopeo's copy. The provider's env key
 * {@code registriesConf}, {@code CONTAINERS_REGISTRIES_CONF}, a user's drop-in and a lazy read
 * take the same way; a push goes where its reference says, as skopeo's does, unless the file
 * blocks it.
 *
 * <p>The registries are the test's own: a primary and a mirror in plain HTTP (every entry for
 * them says {@code insecure = true}, which skopeo needs even on a loopback address, where layerfs
 * would speak plain HTTP anyway), and one that speaks TLS with a self-signed certificate, where
 * {@code insecure} decides for both tools. A dead source is {@code 127.0.0.1:1}, where nothing
 * listens. The mirror and the primary hold different images under one name, so which source was
 * read shows in the digest.
 */
final class RegistriesConfIT {
  private static final String DEAD = "127.0.0.1:1";
  private static final String BASE = UmociImages.BASE;
  private static final String LAYERED = UmociImages.LAYERED;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** skopeo --debug's line for each place it tries to pull from, in order. */
  private static final Pattern TRYING = Pattern.compile("Trying to access \\\\\"(.+?)\\\\\"");
  /** Numbers the files and directories each case makes under {@link #work}. */
  private static final AtomicInteger RUNS = new AtomicInteger();

  @TempDir static Path work;
  private static UmociImages images;
  private static RegistryProcess primary;
  private static RegistryProcess mirror;
  private static RegistryProcess tls;

  @BeforeAll
  static void startRegistries() throws IOException {
    images = UmociImages.build(work.resolve("umoci"));
    primary = RegistryProcess.start(work.resolve("primary"), null);
    mirror = RegistryProcess.start(work.resolve("mirror"), null);
    Path certs = Files.createDirectories(work.resolve("certs"));
    Tools.run(certs, List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1"));
    tls = RegistryProcess.startTls(work.resolve("tls"), certs.resolve("cert.pem"),
        certs.resolve("key.pem"), null);

    push(BASE, mirror, "layerfs/it:" + BASE);
    // one name, two images: the mirror's is the one a pull through the mirror gets
    push(BASE, mirror, "layerfs/both:v1");
    push(LAYERED, primary, "layerfs/both:v1");
    push(LAYERED, primary, "layerfs/primary-only:v1");
    push(LAYERED, primary, "rewritten/app:v1");
    push(BASE, primary, "blocked/app:v1");
    push(LAYERED, tls, "layerfs/it:v1");
  }

  @AfterAll
  static void stopRegistries() throws InterruptedException {
    for (RegistryProcess r : new RegistryProcess[] {primary, mirror, tls}) {
      if (r != null) {
        r.close();
      }
    }
  }

  @Test
  void aMirrorWithTheImageServesItWhileThePrimaryIsDead() {
    Path conf = deadPrimaryWithMirror("", "");
    bothPull(conf, DEAD + "/layerfs/it:" + BASE, BASE);
  }

  @Test
  void theMirrorIsAskedBeforeThePrimary() {
    Path conf = primaryWithMirror();
    bothPull(conf, primary.address() + "/layerfs/both:v1", BASE);
  }

  @Test
  void aMirrorWithoutTheImageFallsThroughToThePrimary() {
    Path conf = primaryWithMirror();
    bothPull(conf, primary.address() + "/layerfs/primary-only:v1", LAYERED);
  }

  @Test
  void mirrorByDigestOnlyLeavesATagToTheDeadPrimaryAndServesADigest() {
    Path conf = deadPrimaryWithMirror("mirror-by-digest-only = true", "");
    bothRefuse(conf, DEAD + "/layerfs/it:" + BASE);
    bothPull(conf, DEAD + "/layerfs/it@" + digestOf(BASE), BASE);
  }

  @Test
  void aTagOnlyMirrorServesATagAndLeavesADigestToTheDeadPrimary() {
    Path conf = deadPrimaryWithMirror("", "pull-from-mirror = \"tag-only\"");
    bothPull(conf, DEAD + "/layerfs/it:" + BASE, BASE);
    bothRefuse(conf, DEAD + "/layerfs/it@" + digestOf(BASE));
  }

  @Test
  void aLocationReplacesThePrefixOfTheReference() {
    Path conf = conf("[[registry]]", "prefix = \"regconf.test/team\"",
        "location = \"" + primary.address() + "/rewritten\"", "insecure = true");
    bothPull(conf, "regconf.test/team/app:v1", LAYERED);
  }

  /**
   * Of a wildcard and a longer prefix for the same host, the longer wins: containers/image
   * compares the lengths of the prefixes, not of what they match.
   */
  @Test
  void aLongerPrefixBeatsAWildcardOfTheSameHost() {
    Path conf = conf("[[registry]]", "prefix = \"*.regconf.test\"",
        "location = \"" + mirror.address() + "\"", "insecure = true",
        "[[registry]]", "prefix = \"ab.regconf.test\"",
        "location = \"" + primary.address() + "\"", "insecure = true");
    bothPull(conf, "ab.regconf.test/layerfs/both:v1", LAYERED);
    bothPull(conf, "a.regconf.test/layerfs/both:v1", BASE);
  }

  @Test
  void aBlockedPrefixIsRefusedNamingTheFile() {
    String blocked = primary.address() + "/blocked";
    Path conf = conf("[[registry]]", "prefix = \"" + blocked + "\"",
        "location = \"" + blocked + "\"", "insecure = true", "blocked = true");
    String error = bothRefuse(conf, blocked + "/app:v1");
    assertTrue(error.contains(conf.toString()) && error.contains("blocked"), error);
  }

  @Test
  void insecureLetsBothSpeakToATlsRegistryOfAnUnknownAuthority() {
    String reference = tls.address() + "/layerfs/it:v1";
    bothRefuse(conf("[[registry]]", "location = \"" + tls.address() + "\""), reference);
    bothPull(conf("[[registry]]", "location = \"" + tls.address() + "\"", "insecure = true"),
        reference, LAYERED);
  }

  /** skopeo 1.9 does not read the variable: it is given the same file with the flag. */
  @Test
  void theEnvironmentVariableNamesTheFileForLayerfs() {
    Path conf = deadPrimaryWithMirror("", "");
    String reference = DEAD + "/layerfs/it:" + BASE;
    Outcome skopeo = skopeo(conf, reference);
    Outcome layerfs = layerfs(List.of(), Map.of("CONTAINERS_REGISTRIES_CONF", conf.toString()),
        reference);
    assertAgreeOnSuccess(skopeo, layerfs, reference, BASE);
  }

  /**
   * A drop-in file of the user's ({@code $HOME/.config/containers/registries.conf.d}, read after
   * the file named) replaces the named file's table of the same prefix whole: its mirror goes
   * with it. Both tools are given a home of the test's own.
   */
  @Test
  void aUsersDropInReplacesTheTableOfTheSamePrefix() throws IOException {
    Path home = work.resolve("home-" + RUNS.incrementAndGet());
    Path dropIns = Files.createDirectories(home.resolve(".config/containers/registries.conf.d"));
    String name = primary.address() + "/layerfs/both";
    Path conf = primaryWithMirror();
    // alone, the file sends the pull to the mirror first
    bothPull(conf, name + ":v1", BASE);
    Files.writeString(dropIns.resolve("50-no-mirror.conf"), "[[registry]]\nlocation = \""
        + primary.address() + "\"\ninsecure = true\n");
    Files.writeString(dropIns.resolve("README"), "not a .conf file: not read\n");
    Map<String, String> env = Map.of("HOME", home.toString());
    assertAgreeOnSuccess(skopeo(conf, name + ":v1", env),
        layerfs(List.of("--registries-conf", conf.toString()), env, name + ":v1"),
        name + ":v1", LAYERED);
  }

  @Test
  void theProvidersEnvKeyRegistriesConfOpensTheImageThroughTheMirror() throws IOException {
    Path conf = deadPrimaryWithMirror("", "");
    String reference = DEAD + "/layerfs/it:" + BASE;
    Outcome skopeo = skopeo(conf, reference);
    Path store = work.resolve("provider-" + RUNS.incrementAndGet());
    // the store lacks the image: opening pulls it, through the file's mirror
    try (FileSystem fs = LayerFs.open(store, reference, Map.of("registriesConf", conf))) {
      assertTrue(Files.isRegularFile(fs.getPath("/usr/share/doc/readme")));
    }
    assertAgreeOnSuccess(skopeo, new Outcome("layerfs (provider)", 0, "", store, null), reference,
        BASE);
  }

  @Test
  void aLazyReadGoesThroughTheMirror() throws IOException {
    Path conf = deadPrimaryWithMirror("", "");
    String reference = DEAD + "/layerfs/it:" + BASE;
    Outcome skopeo = skopeo(conf, reference);
    assertTrue(skopeo.succeeded(), skopeo::toString);
    Path bundle = work.resolve("unpacked-" + RUNS.incrementAndGet());
    Tools.run("umoci", "unpack", "--image", skopeo.pulled() + ":pulled", bundle.toString());
    byte[] expected = Files.readAllBytes(bundle.resolve("rootfs/usr/share/doc/readme"));
    LayerfsCli.Result r = LayerfsCli.runWith(Map.of(),
        work.resolve("lazy-" + RUNS.incrementAndGet()), "cat", "--lazy", "--registries-conf",
        conf.toString(), reference, "/usr/share/doc/readme");
    assertEquals(0, r.exit(), r::stderr);
    assertTrue(Arrays.equals(expected, r.stdout().getBytes(StandardCharsets.ISO_8859_1)),
        "the lazily read file differs from umoci's unpack of skopeo's copy");
  }

  /** The man page: locations and mirrors are for reads; a push goes where its reference says. */
  @Test
  void aPushGoesToTheReferenceAsWrittenNotToTheLocation() throws IOException {
    String prefix = primary.address() + "/pushed";
    Path conf = conf("[[registry]]", "prefix = \"" + prefix + "\"",
        "location = \"" + mirror.address() + "/elsewhere\"", "insecure = true",
        "[[registry.mirror]]", "location = \"" + mirror.address() + "/mirrored\"",
        "insecure = true");
    Path store = work.resolve("push-" + RUNS.incrementAndGet());
    LayerfsCli.run(store, "import", "oci:" + images.layout() + ":" + BASE);
    String byLayerfs = LayerfsCli.run(store, "push", "--registries-conf", conf.toString(), BASE,
        prefix + "/by-layerfs:v1").strip();
    Run bySkopeo = exec(List.of("skopeo", "--registries-conf", conf.toString(), "copy", "-q",
        "oci:" + images.layout() + ":" + BASE, "docker://" + prefix + "/by-skopeo:v1"), Map.of());
    assertEquals(0, bySkopeo.exit(), bySkopeo::stderr);
    assertEquals(digestOf(BASE), byLayerfs);
    for (String tool : List.of("by-layerfs", "by-skopeo")) {
      // read without the file: the image is at the literal reference, and not at the location
      assertEquals(digestOf(BASE), Tools.run("skopeo", "inspect", "--tls-verify=false",
          "--format", "{{.Digest}}", "docker://" + prefix + "/" + tool + ":v1").strip());
      for (String other : List.of("elsewhere", "mirrored")) {
        Run absent = exec(List.of("skopeo", "inspect", "--raw", "--tls-verify=false",
            "docker://" + mirror.address() + "/" + other + "/" + tool + ":v1"), Map.of());
        assertTrue(absent.exit() != 0, tool + " pushed to " + other);
      }
    }
  }

  @Test
  void aPushToABlockedPrefixIsRefusedByBoth() {
    String blocked = primary.address() + "/no-push";
    Path conf = conf("[[registry]]", "prefix = \"" + blocked + "\"",
        "location = \"" + blocked + "\"", "insecure = true", "blocked = true");
    Path store = work.resolve("push-blocked-" + RUNS.incrementAndGet());
    LayerfsCli.run(store, "import", "oci:" + images.layout() + ":" + BASE);
    LayerfsCli.Result byLayerfs = LayerfsCli.runFailing(store, "push", "--registries-conf",
        conf.toString(), BASE, blocked + "/app:v1");
    Run bySkopeo = exec(List.of("skopeo", "--registries-conf", conf.toString(), "copy", "-q",
        "oci:" + images.layout() + ":" + BASE, "docker://" + blocked + "/app:v1"), Map.of());
    assertTrue(bySkopeo.exit() != 0, "skopeo pushed to a blocked prefix");
    assertEquals(1, byLayerfs.exit(), byLayerfs::stderr);
    assertTrue(byLayerfs.stderr().contains(conf.toString()), byLayerfs::stderr);
    Run absent = exec(List.of("skopeo", "inspect", "--raw", "--tls-verify=false",
        "docker://" + blocked + "/app:v1"), Map.of());
    assertTrue(absent.exit() != 0, "an image arrived at the blocked prefix");
  }

  @Test
  void theVersion1FormatsBlockListRefusesAsSkopeoDoes() {
    String reference = primary.address() + "/layerfs/primary-only:v1";
    Path conf = conf("[registries.block]", "registries = [\"" + primary.address() + "\"]");
    String error = bothRefuse(conf, reference);
    assertTrue(error.contains(conf.toString()), error);
    Path insecure = conf("[registries.insecure]",
        "registries = [\"" + primary.address() + "\"]");
    bothPull(insecure, reference, LAYERED);
  }

  @Test
  void aFileThatIsNotValidTomlIsRefusedNamingIt() {
    Path conf = conf("[[registry]", "location = \"" + mirror.address() + "\"");
    String error = bothRefuse(conf, mirror.address() + "/layerfs/it:" + BASE);
    assertTrue(error.contains(conf.toString()) && error.contains("TOML"), error);
  }

  // --- the two tools

  /**
   * How one tool's pull ended: {@code pulled} holds its store or layout when it succeeded, and
   * {@code sourceOrNull} where it read the manifest (the mirror or location, as a reference).
   */
  private record Outcome(String tool, int exit, String stderr, Path pulled, String sourceOrNull) {
    boolean succeeded() {
      return exit == 0;
    }

    @Override
    public String toString() {
      return tool + " exited " + exit + ": " + stderr.strip();
    }
  }

  private static Outcome skopeo(Path conf, String reference) {
    return skopeo(conf, reference, Map.of());
  }

  /** skopeo's debug log says each place it tries; the last one tried served a good pull. */
  private static Outcome skopeo(Path conf, String reference, Map<String, String> env) {
    Path layout = work.resolve("skopeo-" + RUNS.incrementAndGet());
    Run r = exec(List.of("skopeo", "--debug", "--registries-conf", conf.toString(), "copy", "-q",
        "docker://" + reference, "oci:" + layout + ":pulled"), env);
    String source = null;
    for (Matcher m = TRYING.matcher(r.stderr()); m.find(); ) {
      source = m.group(1);
    }
    String errors = r.stderr().lines().filter(l -> !l.contains("level=debug"))
        .collect(Collectors.joining("\n"));
    return new Outcome("skopeo", r.exit(), errors, layout, source);
  }

  private static Outcome layerfs(List<String> flags, Map<String, String> env, String reference) {
    Path store = work.resolve("layerfs-" + RUNS.incrementAndGet());
    List<String> args = new ArrayList<>(List.of("pull", "--format", "json"));
    args.addAll(flags);
    args.add(reference);
    LayerfsCli.Result r = LayerfsCli.runWith(env, store, args.toArray(String[]::new));
    String source = null;
    if (r.exit() == 0) {
      JsonNode result;
      try {
        result = JSON.readTree(r.stdout());
      } catch (IOException e) {
        throw new AssertionError("layerfs pull --format json printed no JSON: " + r.stdout(), e);
      }
      assertEquals(reference, result.path("tag").asText(), "the tag is the reference as given");
      source = result.path("source").asText();
    }
    return new Outcome("layerfs", r.exit(), r.stderr(), store, source);
  }

  /** Both pull {@code reference} through {@code conf} and get the image {@code tag} alike. */
  private static void bothPull(Path conf, String reference, String tag) {
    Outcome skopeo = skopeo(conf, reference);
    Outcome layerfs = layerfs(List.of("--registries-conf", conf.toString()), Map.of(), reference);
    assertAgreeOnSuccess(skopeo, layerfs, reference, tag);
  }

  /** Both refuse to pull {@code reference} through {@code conf}; returns layerfs' error. */
  private static String bothRefuse(Path conf, String reference) {
    Outcome skopeo = skopeo(conf, reference);
    Outcome layerfs = layerfs(List.of("--registries-conf", conf.toString()), Map.of(), reference);
    assertEquals(skopeo.succeeded(), layerfs.succeeded(), () -> "the tools disagree on "
        + reference + "\n" + skopeo + "\n" + layerfs);
    assertTrue(!skopeo.succeeded(), () -> "both pulled " + reference + " through "
        + read(conf));
    assertEquals(1, layerfs.exit(), layerfs::toString);
    assertTrue(!Files.exists(layerfs.pulled()) || LayerfsCli.tags(layerfs.pulled()).isEmpty(),
        "a refused pull tagged an image");
    return layerfs.stderr();
  }

  /**
   * Both succeeded, have the manifest of {@code tag} (the image the source that should have
   * served it holds), and layerfs' view of {@code reference} is umoci's unpack of skopeo's copy.
   */
  private static void assertAgreeOnSuccess(Outcome skopeo, Outcome layerfs, String reference,
      String tag) {
    assertEquals(skopeo.succeeded(), layerfs.succeeded(), () -> "the tools disagree on "
        + reference + "\n" + skopeo + "\n" + layerfs);
    assertTrue(skopeo.succeeded(), () -> "neither pulled " + reference + "\n" + skopeo + "\n"
        + layerfs);
    String copied = Tools.run("skopeo", "inspect", "--format", "{{.Digest}}",
        "oci:" + skopeo.pulled() + ":pulled").strip();
    assertEquals(digestOf(tag), copied, "skopeo read another image than " + tag);
    if (skopeo.sourceOrNull() != null && layerfs.sourceOrNull() != null) {
      assertEquals(skopeo.sourceOrNull(), layerfs.sourceOrNull(),
          "the tools read the manifest of " + reference + " from different places");
    }
    try (Store s = Store.open(layerfs.pulled())) {
      assertEquals(copied, s.image(reference).manifestDigest().toString(),
          "layerfs pulled another image than skopeo");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path bundle = work.resolve("unpacked-" + RUNS.incrementAndGet());
    Tools.run("umoci", "unpack", "--image", skopeo.pulled() + ":pulled", bundle.toString());
    try (FileSystem fs = LayerFs.open(layerfs.pulled(), reference)) {
      assertSameTree(bundle.resolve("rootfs"), fs.getPath("/"), UmociImages.comparison(tag));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // --- fixtures

  /** The primary with the mirror, both in plain HTTP. */
  private static Path primaryWithMirror() {
    return conf("[[registry]]", "location = \"" + primary.address() + "\"", "insecure = true",
        "[[registry.mirror]]", "location = \"" + mirror.address() + "\"", "insecure = true");
  }

  /** {@link #DEAD} with the mirror; each setting is one more line of the registry, the mirror. */
  private static Path deadPrimaryWithMirror(String registrySetting, String mirrorSetting) {
    return conf("[[registry]]", "location = \"" + DEAD + "\"", "insecure = true",
        registrySetting, "[[registry.mirror]]", "location = \"" + mirror.address() + "\"",
        "insecure = true", mirrorSetting);
  }

  /** A registries.conf of these lines, in a file of its own. */
  private static Path conf(String... lines) {
    Path file = work.resolve("registries-" + RUNS.incrementAndGet() + ".conf");
    try {
      Files.writeString(file, String.join("\n", lines) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  private static void push(String tag, RegistryProcess registry, String repositoryAndTag) {
    Tools.run("skopeo", "copy", "-q", "--dest-tls-verify=false",
        "oci:" + images.layout() + ":" + tag,
        "docker://" + registry.address() + "/" + repositoryAndTag);
  }

  /** The manifest digest of {@code tag} in the umoci layout, which a registry keeps. */
  private static String digestOf(String tag) {
    return Tools.run("skopeo", "inspect", "--format", "{{.Digest}}",
        "oci:" + images.layout() + ":" + tag).strip();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private record Run(int exit, String stderr) {}

  /** Runs a command that may fail; its stdout is dropped. */
  private static Run exec(List<String> command, Map<String, String> env) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("LC_ALL", "C.UTF-8");
    builder.environment().putAll(env);
    try {
      Path err = Files.createTempFile(work, "stderr", ".txt");
      Process p = builder.redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(err.toFile()).start();
      p.getOutputStream().close();
      if (!p.waitFor(Tools.TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish");
      }
      return new Run(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
