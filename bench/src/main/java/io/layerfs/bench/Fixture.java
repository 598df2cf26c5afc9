package io.layerfs.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The benchmark tree on disk, in each form the competitors read: a host directory, a zip of it
 * and an OCI layout holding it as an image. Each form is built once and cached in a directory
 * that survives trials, forks and runs, so a benchmark's setup costs seconds only the first time.
 *
 * <p>Where the tree comes from:
 *
 * <ul>
 *   <li>by default, {@link TreeGenerator} with its fixed seed: the host directory is the merged
 *       view of its layers, the image is written with the testing module's {@code ImageBuilder};
 *   <li>with the system properties {@code layerfs.bench.layout} (an OCI layout directory) and
 *       {@code layerfs.bench.image} (a tag or manifest digest in it), an existing image: the
 *       host directory is then copied out of layerfs itself (so that needs a working provider),
 *       with devices and fifos left out and absolute link targets made relative. layerfs keeps
 *       its indexes in that layout's private state directory.
 * </ul>
 *
 * <p>The cache lives in the system property {@code layerfs.bench.dir}, default {@code
 * layerfs-bench} in {@code java.io.tmpdir}; {@code bench/run.sh --clean} removes it. Each form
 * is built in a temporary sibling and renamed into place, so an interrupted build is redone.
 *
 * <p>Thread safety: the instance is shared by all benchmarks of a JVM; its methods synchronize.
 */
final class Fixture {
  static final String IMAGE_TAG = "bench";
  static final String LAYOUT_PROPERTY = "layerfs.bench.layout";
  static final String IMAGE_PROPERTY = "layerfs.bench.image";
  static final String DIR_PROPERTY = "layerfs.bench.dir";

  private static Fixture instance;

  private final Path cache;
  private final Path externalLayout;
  private final String image;
  private Keys keys;

  private Fixture(Path cache, Path externalLayout, String image) {
    this.cache = cache;
    this.externalLayout = externalLayout;
    this.image = image;
  }

  /** The cache directory all benchmark fixtures live in ({@code layerfs.bench.dir}). */
  static Path baseDir() {
    return Path.of(System.getProperty(DIR_PROPERTY,
        Path.of(System.getProperty("java.io.tmpdir"), "layerfs-bench").toString()));
  }

  static synchronized Fixture get() throws IOException {
    if (instance == null) {
      Path base = baseDir();
      String layout = System.getProperty(LAYOUT_PROPERTY, "");
      if (layout.isEmpty()) {
        String name = "generated-v" + TreeGenerator.VERSION + "-" + Long.toHexString(
            TreeGenerator.SEED);
        instance = new Fixture(base.resolve(name), null, IMAGE_TAG);
      } else {
        String tag = System.getProperty(IMAGE_PROPERTY, "");
        if (tag.isEmpty()) {
          throw new IllegalArgumentException(
              "system property " + LAYOUT_PROPERTY + " needs " + IMAGE_PROPERTY + " too");
        }
        Path dir = Path.of(layout).toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("oci-layout"))) {
          throw new IllegalArgumentException(
              LAYOUT_PROPERTY + ": not an OCI image layout (no oci-layout file): " + dir);
        }
        instance = new Fixture(base.resolve("layout-" + shortHash(dir + "\n" + tag)), dir, tag);
      }
      Files.createDirectories(instance.cache);
    }
    return instance;
  }

  /** Whether the tree is the generated one, not copied out of an existing image. */
  boolean isGenerated() {
    return externalLayout == null;
  }

  /** The tag (or digest) of the image in {@link #store()}. */
  String image() {
    return image;
  }

  /** The tree as a host directory. */
  synchronized Path tree() throws IOException {
    return once(cache.resolve("tree"), tmp -> {
      if (externalLayout == null) {
        Trees.apply(TreeGenerator.generate(TreeGenerator.SEED), tmp);
      } else {
        Files.createDirectories(tmp);
        try (FileSystem fs = openLayerfs("bench-extract")) {
          Trees.copy(fs.getPath("/"), tmp, Trees.Links.KEEP);
        }
      }
    });
  }

  /** The tree as a zip with stored (uncompressed) entries; links are small files there. */
  synchronized Path zip() throws IOException {
    Path tree = tree();
    return once(cache.resolve("tree.zip"), tmp -> {
      try (FileSystem zip = FileSystems.newFileSystem(
          tmp, Map.of("create", "true", "noCompression", "true"))) {
        Trees.copy(tree, zip.getPath("/"), Trees.Links.AS_FILES);
      }
    });
  }

  /** The OCI layout holding {@link #image()}. */
  synchronized Path store() throws IOException {
    if (externalLayout != null) {
      return externalLayout;
    }
    return once(cache.resolve("store"), tmp ->
        ImageWriter.write(TreeGenerator.generate(TreeGenerator.SEED), tmp, IMAGE_TAG));
  }

  /** A read-only layerfs view of the image, as a container named {@code name}. */
  FileSystem openLayerfs(String name) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store(), "image", image, "readOnly", true));
  }

  /** Container {@code name} on the image, made the first time; the benchmarks only read it. */
  FileSystem openContainer(String name) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store(), "image", image));
  }

  /** The sample of paths the benchmarks pick from, taken from the host directory. */
  synchronized Keys keys() throws IOException {
    if (keys == null) {
      keys = Keys.of(tree());
    }
    return keys;
  }

  interface Build {
    void into(Path tmp) throws IOException;
  }

  /**
   * {@code target}, built by {@code build} into a temporary sibling and renamed into place unless
   * it exists already (shared by the other fixtures of this package).
   */
  static Path once(Path target, Build build) throws IOException {
    if (Files.exists(target)) {
      return target;
    }
    Path tmp = target.resolveSibling(
        target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    Trees.deleteRecursively(tmp);
    System.err.println("layerfs-bench: building " + target + " (once; cached after)");
    build.into(tmp);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException raced) {
      // another JVM built it meanwhile: keep theirs
      if (!Files.exists(target)) {
        throw raced;
      }
      Trees.deleteRecursively(tmp);
    }
    return target;
  }

  private static String shortHash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
