package io.layerfs.core.internal;

import static java.util.stream.Collectors.joining;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The optional dependencies of core: libraries only some features need, so that a user who only
 * reads gzip images does not pull them (they are {@code <optional>} in core's pom and {@code
 * requires static} in its module). A feature calls {@link #require} before it touches one; when
 * it is absent that is a {@link Missing} exception naming the artifact to add, not a {@code
 * NoClassDefFoundError} from deep inside.
 */
public enum OptionalLibrary {
  /** zstd-compressed layers (read, inflate, commit with zstd). */
  ZSTD("zstd-compressed layers", "com.github.luben.zstd_jni",
      new Artifact("com.github.luben", "zstd-jni", "zstd-jni", "com.github.luben.zstd.Zstd")),
  /** xz-compressed image archives (import). */
  XZ("xz-compressed archives", "org.tukaani.xz",
      new Artifact("org.tukaani", "xz", "xz", "org.tukaani.xz.XZInputStream")),
  /** OpenPGP simple signing: sign, verify, open with {@code signedBy}. */
  BOUNCY_CASTLE("image signatures", "org.bouncycastle.pg",
      new Artifact("org.bouncycastle", "bcpg-jdk18on", "bouncycastle",
          "org.bouncycastle.openpgp.PGPPublicKeyRing"),
      new Artifact("org.bouncycastle", "bcprov-jdk18on", "bouncycastle",
          "org.bouncycastle.jce.provider.BouncyCastleProvider")),
  /** tmpfs mounts: an in-memory file system. */
  JIMFS("tmpfs mounts", "com.google.common.jimfs",
      new Artifact("com.google.jimfs", "jimfs", "jimfs", "com.google.common.jimfs.Jimfs"),
      new Artifact("com.google.guava", "guava", "guava",
          "com.google.common.collect.ImmutableList"));

  private final String feature;
  private final String module;
  private final List<Artifact> artifacts;
  private volatile boolean present;

  OptionalLibrary(String feature, String module, Artifact... artifacts) {
    this.feature = feature;
    this.module = module;
    this.artifacts = List.of(artifacts);
  }

  /** One jar: its coordinates (the version is the one core was built with) and a class of it. */
  private record Artifact(String groupId, String artifactId, String versionKey, String probe) {
    String coordinates() {
      return groupId + ":" + artifactId + ":" + Versions.PROPERTIES.getProperty(versionKey, "?");
    }
  }

  /** Thrown by {@link #require}: a feature needs an optional library that is absent. */
  public static final class Missing extends IOException {
    private static final long serialVersionUID = 1L;

    Missing(String message) {
      super(message);
    }
  }

  /**
   * Returns if the library is there; otherwise throws {@link Missing}, whose message names the
   * feature, the artifacts ({@code groupId:artifactId:version}) and how to add them.
   */
  public void require() throws Missing {
    if (present) {
      return;
    }
    List<String> missing = new ArrayList<>();
    for (Artifact a : artifacts) {
      if (!loadable(a.probe())) {
        missing.add(a.coordinates());
      }
    }
    if (missing.isEmpty()) {
      present = true;
      return;
    }
    boolean one = missing.size() == 1;
    throw new Missing(feature + " need " + String.join(" and ", missing)
        + (one ? " (an optional dependency" : " (optional dependencies")
        + " of io.layerfs:layerfs-core), which " + (one ? "is" : "are")
        + " not on the class path: add " + (one ? "it" : "them") + " to the build (Gradle: "
        + missing.stream().map(m -> "implementation '" + m + "'").collect(joining("; "))
        + "); on the module path also --add-modules " + module);
  }

  private static boolean loadable(String className) {
    try {
      Class.forName(className, false, OptionalLibrary.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** The build's versions, read once when an error needs them. */
  private static final class Versions {
    static final Properties PROPERTIES = load();

    private static Properties load() {
      Properties p = new Properties();
      try (InputStream in = OptionalLibrary.class.getResourceAsStream(
          "optional-libraries.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return p;
    }
  }
}
