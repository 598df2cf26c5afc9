package io.layerfs.it;

/**
 * The plain-HTTP docker-registry {@code it/scripts/with-tools.sh} starts for a run, named by
 * {@code LAYERFS_TEST_REGISTRY} ({@code 127.0.0.1:PORT}). Without it the registry tests fail,
 * naming the script, rather than skip.
 */
final class TestRegistry {
  private TestRegistry() {}

  /** {@code 127.0.0.1:PORT} of the run's registry. */
  static String address() {
    String address = System.getenv("LAYERFS_TEST_REGISTRY");
    if (address == null || address.isBlank()) {
      throw new AssertionError("LAYERFS_TEST_REGISTRY is not set: the registry tests need the "
          + "docker-registry that it/scripts/with-tools.sh starts; run the build through it");
    }
    return address.strip();
  }
}
