package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default store is found as the XDG rules and other tools find a user's files: under {@code
 * $HOME}, which a CI job or {@code sudo -E} may point elsewhere than the password database's
 * home (the JVM's {@code user.home}); {@code $XDG_DATA_HOME} and {@code $LAYERFS_STORE} first.
 */
class DefaultStoreTest {
  @TempDir Path home;

  @Test
  void theDefaultStoreIsUnderHome() throws Exception {
    assertTrue(images(Map.of("HOME", home.toString()))
        .contains(home.resolve(".local/share/layerfs").toString()));
    Path xdg = home.resolve("xdg");
    assertTrue(images(Map.of("HOME", home.toString(), "XDG_DATA_HOME", xdg.toString()))
        .contains(xdg.resolve("layerfs").toString()));
  }

  /** What {@code layerfs images} says on stderr in a JVM with {@code env} (no store there). */
  private static String images(Map<String, String> env) throws Exception {
    // surefire's own class path is a manifest-only jar: it gives the real one in this property
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    ProcessBuilder builder = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-cp", classPath, Main.class.getName(), "images"));
    builder.environment().remove("LAYERFS_STORE");
    builder.environment().remove("XDG_DATA_HOME");
    builder.environment().putAll(env);
    Process p = builder.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(1, p.exitValue(), err);
    return err;
  }
}
