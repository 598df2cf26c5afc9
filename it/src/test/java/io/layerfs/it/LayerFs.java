package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens layerfs through the public contract only ({@link FileSystems} with a {@code layerfs:} URI
 * or an archive path and the documented env keys), and asserts trees equal.
 */
final class LayerFs {

  private static final AtomicInteger NAMES = new AtomicInteger();

  private LayerFs() {}

  /** A read-only view of {@code image} in {@code store}, under a container name unique per JVM. */
  static FileSystem open(Path store, String image) throws IOException {
    return open(store, image, Map.of());
  }

  /** As {@link #open(Path, String)}, with more env keys (e.g. {@code tlsVerify}). */
  static FileSystem open(Path store, String image, Map<String, ?> more) throws IOException {
    String name = "it-" + NAMES.incrementAndGet();
    Map<String, Object> env = new java.util.HashMap<>(more);
    env.put("store", store);
    env.put("image", image);
    env.put("readOnly", true);
    return FileSystems.newFileSystem(URI.create("layerfs://" + name), env);
  }

  /** Fails listing every difference between the host tree and the layerfs tree. */
  static void assertSameTree(Path expected, Path actual, TreeComparison comparison) {
    List<TreeComparison.Difference> differences = comparison.run(expected, actual);
    assertTrue(
        differences.isEmpty(),
        () -> "layerfs " + actual.toUri() + " differs from " + expected + ": "
            + TreeComparison.describe(differences));
  }
}
