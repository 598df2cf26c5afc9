package io.layerfs.provider.contract;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write contract suite on layerfs: each test gets a new writable container {@code
 * layerfs://w-TEST} of {@link Fixture}'s three-layer image, so every starting path lies in a
 * lower layer. Reopening closes the container and opens it again by name (no image given), so
 * what a test reads afterwards comes from the container's stored upper layer. Where this fails
 * and {@link DefaultFsWriteContractTest} passes, the provider differs from Linux.
 */
class LayerFsWriteContractTest extends AbstractWriteContractTest {
  @TempDir static Path store;
  private FileSystem fs;
  private URI uri;

  @BeforeAll
  static void buildImage() throws IOException {
    FixtureImages.build(store);
  }

  @Override
  protected Path freshTree(String name) throws IOException {
    uri = URI.create("layerfs://w-" + name);
    fs = FileSystems.newFileSystem(uri, createEnv(name));
    return fs.getPath("/");
  }

  /** The env that creates the container of test {@code name}. */
  Map<String, Object> createEnv(String name) {
    return Map.of("store", store, "image", FixtureImages.TAG);
  }

  @Override
  protected Path reopenTree() throws IOException {
    fs.close();
    fs = FileSystems.newFileSystem(uri, Map.of("store", store));
    return fs.getPath("/");
  }

  @Override
  protected void disposeTree() throws IOException {
    if (fs != null) {
      fs.close();
    }
  }
}
