package io.layerfs.provider.contract;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract suite on layerfs: {@link Fixture} built as a three-layer image with core's
 * ImageBuilder and opened read-only as {@code layerfs://contract}. Where this fails and {@link
 * DefaultFsContractTest} passes, the provider differs from Linux.
 */
class LayerFsContractTest extends AbstractReadOnlyContractTest {
  @TempDir static Path store;
  private static FileSystem fs;

  @BeforeAll
  static void open() throws IOException {
    FixtureImages.build(store);
    fs = FixtureImages.open("contract", store);
  }

  @AfterAll
  static void close() throws IOException {
    if (fs != null) {
      fs.close();
    }
  }

  @Override
  protected Path root() {
    return fs.getPath("/");
  }
}
