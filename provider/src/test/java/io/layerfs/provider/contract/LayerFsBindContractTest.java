package io.layerfs.provider.contract;

import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read contract suite through a bind mount: {@link Fixture}'s merged tree materialized on the
 * host (as {@link DefaultFsContractTest} has it, the oracle) and mounted at {@code /mnt/fixture}
 * of a layerfs container, so every read goes through the mount's resolution and its secure
 * directory streams. Where this fails and the control passes, the bind mount differs from the
 * host directory itself.
 */
class LayerFsBindContractTest extends AbstractReadOnlyContractTest {
  @TempDir static Path tmp;
  private static FileSystem fs;

  @BeforeAll
  static void mount() throws Exception {
    Path host = tmp.resolve("root");
    Fixture.materialize(host);
    Path store = tmp.resolve("store");
    FixtureImages.build(store);
    fs = FileSystems.newFileSystem(URI.create("layerfs://bind-read"), Map.of("store", store,
        "image", FixtureImages.TAG, "mounts",
        List.of("type=bind,source=" + host + ",target=/mnt/fixture")));
  }

  @AfterAll
  static void unmount() throws Exception {
    fs.close();
  }

  @Override
  protected Path root() {
    return fs.getPath("/mnt/fixture");
  }
}
