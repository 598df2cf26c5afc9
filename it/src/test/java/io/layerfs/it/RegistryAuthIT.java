package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication against registries: a docker-registry of the test's own with basic auth from an
 * htpasswd file (bcrypt, made with Bouncy Castle), credentials from {@code --creds} and from a
 * Docker config's {@code auths}; bearer tokens from a token server ({@link RegistryProxy} in
 * front of the run's registry) with basic credentials, fetched once per scope and reused, or
 * with a Docker identity token as an OAuth2 refresh grant.
 */
final class RegistryAuthIT {
  private static final String USER = "alice";
  private static final String PASSWORD = "wonder:land";
  private static final String TAG = UmociImages.BASE;

  @TempDir static Path work;
  private static UmociImages images;
  private static RegistryProcess basic;
  private static RegistryProxy tokens;

  @BeforeAll
  static void start() throws IOException {
    images = UmociImages.build(work.resolve("umoci"));
    images.rootfs(TAG);
    Path htpasswd = work.resolve("htpasswd");
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    Files.writeString(htpasswd, USER + ":"
        + OpenBSDBCrypt.generate("2y", PASSWORD.toCharArray(), salt, 6) + "\n");
    basic = RegistryProcess.start(work.resolve("basic-registry"), htpasswd);
    Tools.run("skopeo", "copy", "-q", "--dest-tls-verify=false", "--dest-creds",
        USER + ":" + PASSWORD, "oci:" + images.layout() + ":" + TAG,
        "docker://" + basic.address() + "/" + UmociImages.REPOSITORY + ":" + TAG);

    String registry = TestRegistry.address();
    images.push(TAG, registry);
    tokens = new RegistryProxy(registry);
    tokens.requireTokens(USER, PASSWORD);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (tokens != null) {
      tokens.close();
    }
    if (basic != null) {
      basic.close();
    }
  }

  @Test
  void basicAuthWithCredsOrDockerConfig() throws IOException {
    String reference = basic.address() + "/" + UmociImages.REPOSITORY + ":" + TAG;
    Path store = work.resolve("basic");

    LayerfsCli.Result r = LayerfsCli.runFailing(store, "pull", "--tls-verify=false", reference);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("registry " + basic.address()) && r.stderr().contains(
        "HTTP 401") && r.stderr().contains(reference), r::stderr);

    r = LayerfsCli.runFailing(store, "pull", "--tls-verify=false", "--creds", USER + ":wrong",
        reference);
    assertTrue(r.exit() == 1 && r.stderr().contains("HTTP 401"), r::stderr);

    LayerfsCli.run(store, "pull", "--tls-verify=false", "--creds", USER + ":" + PASSWORD,
        reference);
    try (FileSystem fs = LayerFs.open(store, reference)) {
      assertSameTree(images.rootfs(TAG), fs.getPath("/"), UmociImages.comparison(TAG));
    }

    Path config = work.resolve("docker-config");
    Files.createDirectories(config);
    String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD)
        .getBytes(StandardCharsets.UTF_8));
    Files.writeString(config.resolve("config.json"), "{\"auths\":{\"" + basic.address()
        + "\":{\"auth\":\"" + auth + "\"}}}");
    Path other = work.resolve("basic-config");
    r = LayerfsCli.runWith(Map.of("DOCKER_CONFIG", config.toString()), other, "pull",
        "--tls-verify=false", reference);
    assertEquals(0, r.exit(), r::stderr);
    String pushed = basic.address() + "/pushed/by-config:1";
    r = LayerfsCli.runWith(Map.of("DOCKER_CONFIG", config.toString()), other, "push",
        "--tls-verify=false", reference, pushed);
    assertEquals(0, r.exit(), r::stderr);
    assertEquals(r.stdout().strip(), Tools.run("skopeo", "inspect", "--tls-verify=false",
        "--creds", USER + ":" + PASSWORD, "--format", "{{.Digest}}", "docker://" + pushed)
        .strip());
  }

  @Test
  void aCredentialHelperOnPathAnswersAsForDocker() throws IOException {
    String reference = basic.address() + "/" + UmociImages.REPOSITORY + ":" + TAG;
    Path bin = Files.createDirectories(work.resolve("helper-bin"));
    Path helper = bin.resolve("docker-credential-fake");
    // as docker-credential-helpers do: the server address on stdin, JSON on stdout
    Files.writeString(helper, "#!/bin/sh\n"
        + "read -r address\n"
        + "echo \"$1 $address\" >> \"" + bin.resolve("asked") + "\"\n"
        + "if [ \"$address\" = '" + basic.address() + "' ]; then\n"
        + "  printf '{\"ServerURL\":\"%s\",\"Username\":\"" + USER + "\",\"Secret\":\""
        + PASSWORD + "\"}' \"$address\"\n"
        + "  exit 0\n"
        + "fi\n"
        + "echo 'credentials not found in native keychain'; exit 1\n");
    helper.toFile().setExecutable(true);
    Path config = Files.createDirectories(work.resolve("helper-config"));
    Files.writeString(config.resolve("config.json"), "{\"credsStore\":\"fake\"}");
    Map<String, String> env = Map.of("DOCKER_CONFIG", config.toString(),
        "PATH", bin + ":" + System.getenv("PATH"));
    LayerfsCli.Result r = LayerfsCli.runWith(env, work.resolve("helper-store"), "pull",
        "--tls-verify=false", reference);
    assertEquals(0, r.exit(), r::stderr);
    assertEquals("get " + basic.address() + "\n", Files.readString(bin.resolve("asked")),
        "the helper runs once, for the registry's address");
    try (FileSystem fs = LayerFs.open(work.resolve("helper-store"), reference)) {
      assertSameTree(images.rootfs(TAG), fs.getPath("/"), UmociImages.comparison(TAG));
    }
    Files.writeString(config.resolve("config.json"), "{\"credHelpers\":{\"" + basic.address()
        + "\":\"absent\"}}");
    r = LayerfsCli.runWith(env, work.resolve("helper-store2"), "pull", "--tls-verify=false",
        reference);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("docker-credential-absent") && r.stderr().contains(
        "not on PATH"), r::stderr);
  }

  @Test
  void bearerTokensFromTheTokenServer() throws IOException {
    String reference = tokens.address() + "/" + UmociImages.REPOSITORY + ":" + TAG;
    Path store = work.resolve("bearer");

    LayerfsCli.Result r = LayerfsCli.runFailing(store, "pull", "--tls-verify=false", reference);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("token server") && r.stderr().contains("HTTP 401")
        && r.stderr().contains("bad credentials for the token server"), r::stderr);

    int before = tokens.tokenRequests();
    LayerfsCli.run(store, "pull", "--tls-verify=false", "--creds", USER + ":" + PASSWORD,
        reference);
    // one token for the repository's pull scope, reused by every request of the pull
    assertEquals(1, tokens.tokenRequests() - before);
    try (FileSystem fs = LayerFs.open(store, reference)) {
      assertSameTree(images.rootfs(TAG), fs.getPath("/"), UmociImages.comparison(TAG));
    }
    assertTrue(tokens.seen().stream().filter(s -> s.path().contains("/blobs/"))
        .allMatch(s -> s.authorization() != null && s.authorization().startsWith("Bearer ")));

    String target = tokens.address() + "/pushed/tokened:1";
    String digest = LayerfsCli.run(store, "push", "--tls-verify=false", "--creds",
        USER + ":" + PASSWORD, reference, target).strip();
    assertEquals(digest, Tools.run("skopeo", "inspect", "--tls-verify=false", "--format",
        "{{.Digest}}", "docker://" + TestRegistry.address() + "/pushed/tokened:1").strip());
  }

  @Test
  void identityTokensAsDockerLoginKeepsThem() throws IOException {
    String reference = tokens.address() + "/" + UmociImages.REPOSITORY + ":" + TAG;
    String identityToken = "refresh-" + UUID.randomUUID();
    tokens.acceptRefreshToken(identityToken);
    Path config = Files.createDirectories(work.resolve("identity-config"));
    // as docker login writes it for a registry that hands out identity tokens (Azure's, say)
    Files.writeString(config.resolve("config.json"), "{\"auths\":{\"" + tokens.address()
        + "\":{\"auth\":\"" + Base64.getEncoder().encodeToString(
            "00000000-0000-0000-0000-000000000000:".getBytes(StandardCharsets.UTF_8))
        + "\",\"identitytoken\":\"" + identityToken + "\"}}}");
    Path store = work.resolve("identity-store");
    int before = tokens.tokenForms().size();
    LayerfsCli.Result r = LayerfsCli.runWith(Map.of("DOCKER_CONFIG", config.toString()), store,
        "pull", "--tls-verify=false", reference);
    assertEquals(0, r.exit(), r::stderr);
    List<String> forms = tokens.tokenForms().subList(before, tokens.tokenForms().size());
    assertEquals(1, forms.size(), "one refresh grant for the pull's scope: " + forms);
    List<String> fields = List.of(forms.get(0).split("&"));
    assertTrue(fields.contains("grant_type=refresh_token"), forms::toString);
    assertTrue(fields.contains("service=layerfs-test"), forms::toString);
    assertTrue(fields.contains("scope=" + URLEncoder.encode("repository:"
        + UmociImages.REPOSITORY + ":pull", StandardCharsets.UTF_8)), forms::toString);
    try (FileSystem fs = LayerFs.open(store, reference)) {
      assertSameTree(images.rootfs(TAG), fs.getPath("/"), UmociImages.comparison(TAG));
    }

    // a credential helper's <token> answer is an identity token too
    Path bin = Files.createDirectories(work.resolve("identity-bin"));
    Path helper = bin.resolve("docker-credential-idt");
    Files.writeString(helper, "#!/bin/sh\nread -r address\n"
        + "printf '{\"ServerURL\":\"%s\",\"Username\":\"<token>\",\"Secret\":\""
        + identityToken + "\"}' \"$address\"\n");
    helper.toFile().setExecutable(true);
    Files.writeString(config.resolve("config.json"), "{\"credsStore\":\"idt\"}");
    Map<String, String> env = Map.of("DOCKER_CONFIG", config.toString(),
        "PATH", bin + ":" + System.getenv("PATH"));
    r = LayerfsCli.runWith(env, work.resolve("identity-store2"), "pull", "--tls-verify=false",
        reference);
    assertEquals(0, r.exit(), r::stderr);

    // a token the server does not know: one line naming the token server and the status
    Files.writeString(config.resolve("config.json"), "{\"auths\":{\"" + tokens.address()
        + "\":{\"identitytoken\":\"revoked\"}}}");
    r = LayerfsCli.runWith(Map.of("DOCKER_CONFIG", config.toString()),
        work.resolve("identity-store3"), "pull", "--tls-verify=false", reference);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("token server") && r.stderr().contains("HTTP 401")
        && r.stderr().contains("with an identity token"), r::stderr);
  }
}
