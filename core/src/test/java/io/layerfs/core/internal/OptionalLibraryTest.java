package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Compression;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.FileTree;
import io.layerfs.core.Progress;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;
import org.junit.jupiter.api.io.TempDir;

/**
 * zstd-jni, Bouncy Castle and Jimfs are optional: in a JVM whose class path lacks them, gzip
 * images still read and volumes mount, and zstd, signing and tmpfs mounts fail with an error
 * naming the missing artifact.
 */
class OptionalLibraryTest {
  @TempDir Path dir;

  @Test
  void presentLibrariesPass() {
    assertDoesNotThrow(OptionalLibrary.ZSTD::require);
    assertDoesNotThrow(OptionalLibrary.BOUNCY_CASTLE::require);
    assertDoesNotThrow(OptionalLibrary.JIMFS::require);
    assertDoesNotThrow(OptionalLibrary.XZ::require);
  }

  @Test
  void withoutXzAnXzArchiveIsRefusedNamingTheArtifact() throws Exception {
    Path store = dir.resolve("store");
    ImageBuilder.create(store).layer(LayerCompression.GZIP).file("/hello", "hi\n")
        .build("plain:1");
    Path tar = dir.resolve("plain.tar");
    try (Store s = Store.open(store)) {
      s.exportImage("plain:1", "docker-archive:" + tar, Progress.NONE);
    }
    try (InputStream in = Files.newInputStream(tar);
        OutputStream out = new XZOutputStream(Files.newOutputStream(store.resolve("plain.tar.xz")),
            new LZMA2Options())) {
      in.transferTo(out);
    }
    List<String> out = runWithout(XzProbe.class, store, "xz-1.");
    assertEquals("xz class absent", out.get(0), String.join("\n", out));
    assertTrue(out.get(1).startsWith("import: xz-compressed archives need org.tukaani:xz:1.10 (an"
        + " optional dependency of io.layerfs:layerfs-core), which is not on the class path"),
        out.get(1));
    assertEquals("tags: []", out.get(2));
  }

  /** A user without xz imports an xz-compressed archive. */
  static final class XzProbe {
    public static void main(String[] args) throws IOException {
      try {
        Class.forName("org.tukaani.xz.XZInputStream");
        System.out.println("xz class present");
      } catch (ClassNotFoundException e) {
        System.out.println("xz class absent");
      }
      try (Store store = Store.open(Path.of(args[0]))) {
        store.untag("plain:1");
        try {
          store.importImage("docker-archive:" + Path.of(args[0], "plain.tar.xz"), null,
              Progress.NONE);
          System.out.println("import: done");
        } catch (IOException e) {
          System.out.println("import: " + e.getMessage());
        }
        System.out.println("tags: " + store.tags());
      }
    }
  }

  @Test
  void withoutThemReadingWorksAndTheFeaturesNameTheArtifacts() throws Exception {
    Path store = dir.resolve("store");
    ImageBuilder.create(store).layer(LayerCompression.GZIP).file("/hello", "hi\n")
        .build("plain:1");
    ImageBuilder.create(store).layer(LayerCompression.ZSTD).file("/hello", "zstd\n")
        .build("zstd:1");
    List<String> out = runWithout(store, "bcprov", "bcpg", "bcutil", "zstd-jni");
    assertEquals("zstd class absent", out.get(0), String.join("\n", out));
    assertEquals("read plain:1: [hello]", out.get(1));
    String zstd = "zstd-compressed layers need com.github.luben:zstd-jni:1.5.7-28 (an optional "
        + "dependency of io.layerfs:layerfs-core), which is not on the class path";
    assertTrue(out.get(2).startsWith("read zstd:1: " + zstd), out.get(2));
    assertTrue(out.get(3).startsWith("commit zstd: " + zstd), out.get(3));
    assertTrue(out.get(4).startsWith("verify: image signatures need "
        + "org.bouncycastle:bcpg-jdk18on:1.87 and org.bouncycastle:bcprov-jdk18on:1.87 (optional "
        + "dependencies"),
        out.get(4));
    assertTrue(out.get(4).contains("--add-modules org.bouncycastle.pg"), out.get(4));
  }

  @Test
  void withoutJimfsVolumesWorkAndATmpfsNamesTheArtifacts() throws Exception {
    Path store = dir.resolve("store");
    ImageBuilder.create(store).layer(LayerCompression.GZIP).file("/hello", "hi\n")
        .build("plain:1");
    List<String> out = runWithout(TmpfsProbe.class, store, "jimfs", "guava");
    assertEquals("jimfs class absent", out.get(0), String.join("\n", out));
    assertEquals("volume: [f]", out.get(1));
    assertTrue(out.get(2).startsWith("tmpfs: tmpfs mounts need com.google.jimfs:jimfs:1.3.1 and "
        + "com.google.guava:guava:"), out.get(2));
    assertTrue(out.get(2).contains("--add-modules com.google.common.jimfs"), out.get(2));
    assertEquals("containers: [v]", out.get(3), "the refused tmpfs container was not created");
  }

  /** A user without Jimfs: a volume mount works, a tmpfs mount is refused naming it. */
  static final class TmpfsProbe {
    public static void main(String[] args) throws IOException {
      try {
        Class.forName("com.google.common.jimfs.Jimfs");
        System.out.println("jimfs class present");
      } catch (ClassNotFoundException e) {
        System.out.println("jimfs class absent");
      }
      try (Store store = Store.open(Path.of(args[0]))) {
        try (Container c = store.container("v", "plain:1", false,
            List.of("type=volume,source=data,target=/data"))) {
          c.open("/data/f", java.util.Set.of(java.nio.file.StandardOpenOption.CREATE,
              java.nio.file.StandardOpenOption.WRITE), 0644).close();
          System.out.println("volume: " + c.list("/data"));
        }
        try (Container c = store.container("t", "plain:1", false,
            List.of("type=tmpfs,target=/tmp"))) {
          System.out.println("tmpfs: opened");
        } catch (IOException e) {
          System.out.println("tmpfs: " + e.getMessage());
        }
        System.out.println("containers: " + store.containers());
      }
    }
  }

  /** Runs {@link Probe} in a JVM whose class path lacks the jars whose names contain these. */
  private static List<String> runWithout(Path store, String... jars) throws Exception {
    return runWithout(Probe.class, store, jars);
  }

  /** Runs {@code probe} in a JVM whose class path lacks the jars whose names contain these. */
  private static List<String> runWithout(Class<?> probe, Path store, String... jars)
      throws Exception {
    // surefire's own class path is a manifest-only jar: it gives the real one in this property
    String full = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    String classPath = Arrays.stream(full.split(File.pathSeparator))
        .filter(e -> Arrays.stream(jars).noneMatch(Path.of(e).getFileName().toString()::contains))
        .collect(Collectors.joining(File.pathSeparator));
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classPath, probe.getName(), store.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), output);
    return output.lines().toList();
  }

  /** What a user without the optional jars does; prints one line per attempt. */
  static final class Probe {
    public static void main(String[] args) throws IOException {
      try {
        Class.forName("com.github.luben.zstd.Zstd");
        System.out.println("zstd class present");
      } catch (ClassNotFoundException e) {
        System.out.println("zstd class absent");
      }
      try (Store store = Store.open(Path.of(args[0]))) {
        try (FileTree tree = store.openImage("plain:1", null, null)) {
          System.out.println("read plain:1: " + tree.list("/"));
        }
        try (FileTree tree = store.openImage("zstd:1", null, null)) {
          System.out.println("read zstd:1: " + tree.list("/"));
        } catch (IOException e) {
          System.out.println("read zstd:1: " + e.getMessage());
        }
        try (Container c = store.container("c", "plain:1", false)) {
          c.commit("c:1", CommitOptions.defaults().withCompression(Compression.ZSTD),
              Progress.NONE);
          System.out.println("commit zstd: done");
        } catch (IOException e) {
          System.out.println("commit zstd: " + e.getMessage());
        }
        try {
          store.verify("plain:1", Path.of(args[0], "no-key.gpg"), null);
          System.out.println("verify: done");
        } catch (IOException e) {
          System.out.println("verify: " + e.getMessage());
        }
      }
    }
  }
}
