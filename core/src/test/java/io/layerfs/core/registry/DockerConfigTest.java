package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        + "\"helper.example\":{}},"
        + "\"credsStore\":\"desktop\"}");
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
