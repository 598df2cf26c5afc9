package io.layerfs.provider.contract;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM started without {@code --enable-native-access}, as most users start theirs: volume and
 * bind mount files read whole through the usual path, and nothing is printed. On Java 22 and
 * later the {@code openat2} shortcut must stay off there: its first downcall would make the JDK
 * print its restricted-method warning on the user's standard error (and fail where native access
 * is denied). Each case runs in a JVM of its own, since this build runs the tests with native
 * access enabled; CI's newer-JDK step runs this class on Java 25.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "openat2 is Linux's")
class LayerFsWithoutNativeAccessTest {
  private static final String OPENAT2_CHANNEL = "io.layerfs.core.mount.FdChannel";
  private static final int BIG = 300_000;
  private static final String TAG = "plain:1";

  @TempDir Path tmp;
  private Path store;
  private Path host;

  @BeforeEach
  void setUp() throws IOException {
    store = tmp.resolve("store");
    // gzip, not the fixture's zstd layer: zstd-jni loads its library with System.loadLibrary,
    // which Java 24 and later restrict as well (README, "Use it from Java")
    ImageBuilder.create(store).layer(LayerCompression.GZIP).dir("/h").dir("/v")
        .file("/etc/motd", "hello\n").build(TAG);
    host = Files.createDirectory(tmp.resolve("host"));
    Files.createDirectories(host.resolve("a/b"));
    Files.writeString(host.resolve("a/b/f"), "inside");
  }

  private record Run(List<String> out, String err) {}

  /** {@link Probe} in a JVM of its own, with {@code options} before the class name. */
  private Run probe(String... options) throws Exception {
    // surefire's own class path is a manifest-only jar: it gives the real one in this property
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(Arrays.asList(options));
    command.addAll(List.of("-cp", classPath, Probe.class.getName(), store.toString(),
        host.toString()));
    Process p = new ProcessBuilder(command).redirectError(tmp.resolve("err").toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not end");
    String err = Files.readString(tmp.resolve("err"));
    assertEquals(0, p.exitValue(), out + err);
    return new Run(out.lines().toList(), err);
  }

  @Test
  void withoutNativeAccessMountedFilesReadThroughTheUsualPathWithNoWarning() throws Exception {
    Run run = probe();
    // no "WARNING: A restricted method in java.lang.foreign.Linker has been called"
    assertEquals("", run.err());
    assertEquals(List.of(
        "/v/g openat2=false in the volume",
        "/h/a/b/f openat2=false inside",
        "/v/big openat2=false " + BIG + " bytes, as written"), run.out());
  }

  /**
   * The control: with native access the same probe takes the shortcut, so the test above would
   * see it taken (and the JDK's warning) if the shortcut did not check for native access.
   */
  @Test
  @EnabledForJreRange(min = JRE.JAVA_22,
      disabledReason = "the Foreign Function and Memory API is final from Java 22")
  void withNativeAccessTheSameReadsTakeOpenat2() throws Exception {
    Run run = probe("--enable-native-access=ALL-UNNAMED");
    assertEquals("", run.err());
    assertEquals(List.of(
        "/v/g openat2=true in the volume",
        "/h/a/b/f openat2=true inside",
        "/v/big openat2=true " + BIG + " bytes, as written"), run.out());
  }

  /**
   * What a user's program does: a container with a bind mount and a volume, files written to the
   * volume and read back; prints for each file whether its channel was {@code openat2}'s, and
   * what it read.
   */
  static final class Probe {
    public static void main(String[] args) throws IOException {
      Path store = Path.of(args[0]);
      String host = args[1];
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://probe"),
          Map.of("store", store, "image", TAG, "mounts", List.of(
              "type=bind,source=" + host + ",target=/h", "type=volume,source=v,target=/v")))) {
        Files.writeString(fs.getPath("/v/g"), "in the volume");
        byte[] big = new byte[BIG];
        new Random(28).nextBytes(big);
        Files.write(fs.getPath("/v/big"), big);
        for (String path : List.of("/v/g", "/h/a/b/f")) {
          Path p = fs.getPath(path);
          System.out.println(path + " openat2=" + openat2(p) + " " + Files.readString(p));
        }
        Path p = fs.getPath("/v/big");
        byte[] read = Files.readAllBytes(p);
        System.out.println("/v/big openat2=" + openat2(p) + " " + read.length + " bytes, "
            + (Arrays.equals(big, read) ? "as written" : "NOT as written"));
      }
    }

    private static boolean openat2(Path p) throws IOException {
      try (SeekableByteChannel ch = Files.newByteChannel(p)) {
        return ch.getClass().getName().equals(OPENAT2_CHANNEL);
      }
    }
  }
}
