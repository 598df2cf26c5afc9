package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigTest {
  @TempDir Path dir;

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsAuthsAsDockerLoginWritesThem() throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"auths\":{"
        + "\"https://index.docker.io/v1/\":{\"auth\":\"" + b64("hubuser:hub:pass") + "\"},"
        + "\"127.0.0.1:5000\":{\"auth\":\"" + b64("local:secret") + "\"},"
        + "\"https://ghcr.io\":{\"username\":\"gh\",\"password\":\"tok\"},"
        + "\"helper.example\":{}}}");
    DockerConfig config = DockerConfig.read(file);
    assertEquals(Optional.of(new Credentials("hubuser", "hub:pass")),
        config.lookup("index.docker.io"));
    assertEquals(config.lookup("index.docker.io"), config.lookup("docker.io"));
    assertEquals(Optional.of(new Credentials("local", "secret")), config.lookup("127.0.0.1:5000"));
    assertEquals(Optional.of(new Credentials("gh", "tok")), config.lookup("ghcr.io"));
    assertEquals(Optional.empty(), config.lookup("helper.example"));
    assertEquals(Optional.empty(), config.lookup("127.0.0.1:5001"));
  }

  @Test
  void identityTokensAsDockerLoginAndHelpersKeepThem() throws IOException {
    Path bin = helper("tokens", "127.0.0.1:5002",
        "{\"ServerURL\":\"127.0.0.1:5002\",\"Username\":\"<token>\",\"Secret\":\"rt-2\"}");
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"auths\":{"
        + "\"myregistry.azurecr.io\":{\"auth\":\"" + b64("00000000-0000:") + "\","
        + "\"identitytoken\":\"rt-1\"}},"
        + "\"credHelpers\":{\"127.0.0.1:5002\":\"tokens\"}}");
    DockerConfig config = DockerConfig.read(file, bin.toString());
    Credentials fromAuths = config.lookup("myregistry.azurecr.io").orElseThrow();
    assertTrue(fromAuths.isIdentityToken(), "the identity token wins over auth");
    assertEquals(Credentials.identityToken("rt-1"), fromAuths);
    Credentials fromHelper = config.lookup("127.0.0.1:5002").orElseThrow();
    assertTrue(fromHelper.isIdentityToken());
    assertEquals("rt-2", fromHelper.password());
    assertFalse(new Credentials("alice", "x").isIdentityToken());
    assertEquals("<token>:***", fromHelper.toString(), "the token stays hidden");
  }

  /** A fake {@code docker-credential-NAME} that logs each address asked and knows one. */
  private Path helper(String name, String knownAddress, String json) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path script = bin.resolve("docker-credential-" + name);
    Files.writeString(script, "#!/bin/sh\n"
        + "read -r address\n"
        + "echo \"$address\" >> \"$(dirname \"$0\")/" + name + ".log\"\n"
        + "[ \"$1\" = get ] || exit 2\n"
        + "if [ \"$address\" = '" + knownAddress + "' ]; then\n"
        + "  printf '%s' '" + json + "'\n"
        + "  exit 0\n"
        + "fi\n"
        + "echo 'credentials not found in native keychain'\n"
        + "exit 1\n");
    script.toFile().setExecutable(true);
    return bin;
  }

  @Test
  void credentialHelpersAnswerAsForDocker() throws IOException {
    Path bin = helper("store1", "127.0.0.1:5000",
        "{\"ServerURL\":\"127.0.0.1:5000\",\"Username\":\"alice\",\"Secret\":\"s3:cret\"}");
    helper("hub", "https://index.docker.io/v1/",
        "{\"ServerURL\":\"x\",\"Username\":\"hubby\",\"Secret\":\"tok\"}");
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"auths\":{"
        + "\"127.0.0.1:5001\":{\"auth\":\"" + b64("file:user") + "\"}},"
        + "\"credHelpers\":{\"docker.io\":\"hub\"},"
        + "\"credsStore\":\"store1\"}");
    DockerConfig config = DockerConfig.read(file, "/nonexistent:" + bin);
    assertEquals(Optional.of(new Credentials("alice", "s3:cret")),
        config.lookup("127.0.0.1:5000"));
    assertEquals(config.lookup("127.0.0.1:5000"), config.lookup("127.0.0.1:5000"));
    assertEquals(Optional.empty(), config.lookup("127.0.0.1:5001"),
        "with a credsStore, Docker asks the helper, not auths; it knows nothing here");
    assertEquals(Optional.of(new Credentials("hubby", "tok")), config.lookup("index.docker.io"));
    assertEquals("127.0.0.1:5000\n127.0.0.1:5001\n",
        Files.readString(bin.resolve("store1.log")), "each registry asked once");
    assertEquals("https://index.docker.io/v1/\n", Files.readString(bin.resolve("hub.log")));
  }

  @Test
  void aHelperMissingOrFailingIsAnErrorNamingIt() throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"credsStore\":\"nowhere\"}");
    IOException e = assertThrows(IOException.class,
        () -> DockerConfig.read(file, dir.toString()).lookup("h:1"));
    assertTrue(e.getMessage().contains("docker-credential-nowhere")
        && e.getMessage().contains("not on PATH"), e.getMessage());
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path broken = bin.resolve("docker-credential-broken");
    Files.writeString(broken, "#!/bin/sh\necho 'keychain locked' >&2\nexit 3\n");
    broken.toFile().setExecutable(true);
    Files.writeString(file, "{\"credHelpers\":{\"h:1\":\"broken\"}}");
    e = assertThrows(IOException.class, () -> DockerConfig.read(file, bin.toString())
        .lookup("h:1"));
    assertTrue(e.getMessage().contains("docker-credential-broken")
        && e.getMessage().contains("exit 3") && e.getMessage().contains("keychain locked"),
        e.getMessage());
    assertEquals(Optional.empty(), DockerConfig.read(file, bin.toString()).lookup("other:2"),
        "a helper only for h:1");
    Files.writeString(file, "{\"credsStore\":\"../evil\"}");
    e = assertThrows(IOException.class, () -> DockerConfig.read(file, bin.toString()));
    assertTrue(e.getMessage().contains("credsStore"), e.getMessage());
  }

  @Test
  void missingFileIsEmptyAndBadOnesNameTheFile() throws IOException {
    assertEquals(Optional.empty(), DockerConfig.read(dir.resolve("none.json")).lookup("x"));
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"auths\":{\"h\":{\"auth\":\"!!!\"}}}");
    IOException e = assertThrows(IOException.class, () -> DockerConfig.read(bad));
    assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("'h'"),
        e.getMessage());
    Files.writeString(bad, "{\"auths\":{\"h\":{\"auth\":\"" + b64("nocolon") + "\"}}}");
    e = assertThrows(IOException.class, () -> DockerConfig.read(bad));
    assertTrue(e.getMessage().contains("user:password"), e.getMessage());
    Files.writeString(bad, "not json");
    e = assertThrows(IOException.class, () -> DockerConfig.read(bad));
    assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
  }

  @Test
  void credentialsParseAndHideThePassword() {
    assertEquals(new Credentials("u", "p:q"), Credentials.parse("u:p:q"));
    assertEquals("u:***", Credentials.parse("u:secret").toString());
    assertThrows(IllegalArgumentException.class, () -> Credentials.parse("nopassword"));
    assertThrows(IllegalArgumentException.class, () -> Credentials.parse(":p"));
  }
}
