package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.provider.LayerFileSystemProvider;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract suite on layerfs: {@link Fixture} built as a three-layer image with the testing
 * module's ImageBuilder and opened read-only as {@code layerfs://contract}. Where this fails and
 * {@link DefaultFsContractTest} passes, the provider differs from Linux.
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

  /**
   * The provider's {@code exists} (what {@code Files.exists} calls on Java 20 and later) answers
   * as {@code Files.exists} does on Java 17, which the suite checks against Linux.
   */
  @Test
  void providerExistsAgreesWithFilesExists() {
    LayerFileSystemProvider provider = (LayerFileSystemProvider) fs.provider();
    Checks.Mismatches m = new Checks.Mismatches();
    List<String> paths = new ArrayList<>(Fixture.tree().keySet());
    paths.addAll(List.of("data/missing", "nope/deeper/x", "links/dangling", "links/dir/missing",
        "missing/..", "data/removed", "opaque/old", "etc/gone/file", "many/f300"));
    int absent = 0;
    for (String path : paths) {
      Path q = p(path);
      boolean exists = Files.exists(q);
      absent += exists ? 0 : 1;
      m.check(path, "exists", exists, provider.exists(q));
      m.check(path, "exists NOFOLLOW_LINKS", Files.exists(q, LinkOption.NOFOLLOW_LINKS),
          provider.exists(q, LinkOption.NOFOLLOW_LINKS));
    }
    m.assertNone();
    assertTrue(absent >= 8, "the probes include missing paths: " + absent);
  }
}
