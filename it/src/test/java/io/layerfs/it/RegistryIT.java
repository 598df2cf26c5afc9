package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Images pushed by skopeo to a local docker-registry, opened by layerfs from the registry
 * reference into an empty store. The registry is the one it/scripts/with-tools.sh starts and
 * names in {@code LAYERFS_TEST_REGISTRY} (host:port, plain HTTP); without it the tests fail.
 */
final class RegistryIT {

  @TempDir static Path work;
  private static UmociImages images;
  private static String registry;

  @BeforeAll
  static void buildAndPush() {
    registry = System.getenv("LAYERFS_TEST_REGISTRY");
    if (registry == null || registry.isBlank()) {
      throw new AssertionError(
          "LAYERFS_TEST_REGISTRY is not set: run the build through it/scripts/with-tools.sh,"
              + " which starts a docker-registry and sets it to its host:port");
    }
    images = UmociImages.build(work.resolve("images"));
    for (String tag : UmociImages.TAGS) {
      images.rootfs(tag);
      images.push(tag, registry);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {UmociImages.BASE, UmociImages.LAYERED, UmociImages.OPAQUE})
  void pulledImageMatchesUmociUnpack(String tag) throws IOException {
    Path store = work.resolve("store-" + tag);
    String reference = registry + "/" + UmociImages.REPOSITORY + ":" + tag;
    try (FileSystem fs = LayerFs.open(store, reference, Map.of("tlsVerify", false))) {
      assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
    }
  }
}
