package io.layerfs.provider.contract;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write contract suite on a container that has a mount elsewhere ({@code /mnt/volume}, a
 * volume no test touches): every path of the suite is then resolved by the container's mount
 * table before its own tree, which keeps listings and finds listed paths apart from a container
 * without mounts. Where this fails and {@link LayerFsWriteContractTest} passes, a container with
 * mounts differs from one without.
 */
class LayerFsMountedWriteContractTest extends AbstractWriteContractTest {
  @TempDir static Path store;
  private FileSystem fs;
  private URI uri;

  @BeforeAll
  static void buildImage() throws IOException {
    FixtureImages.build(store);
  }

  @Override
  protected Path freshTree(String name) throws IOException {
    uri = URI.create("layerfs://m-" + name);
    fs = FileSystems.newFileSystem(uri, Map.of("store", store, "image", FixtureImages.TAG,
        "mounts", List.of("type=volume,source=m-" + name + ",target=/mnt/volume,volume-nocopy")));
    return fs.getPath("/");
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
