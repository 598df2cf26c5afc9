package io.layerfs.provider.contract;

import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control: the contract suite on the JDK's default file system, over a host copy of {@link
 * Fixture}'s merged tree. What fails here is a wrong test, not a provider bug. Needs root (it
 * gives files other owners) and {@code mkfifo}, {@code chown}, {@code chmod}, {@code touch}.
 */
class DefaultFsContractTest extends AbstractReadOnlyContractTest {
  @TempDir static Path tmp;
  private static Path root;

  @BeforeAll
  static void materialize() throws Exception {
    root = tmp.resolve("root");
    Fixture.materialize(root);
  }

  @Override
  protected Path root() {
    return root;
  }

  /** The host's own: 4096 on ext4, another number on tmpfs, btrfs or XFS. */
  @Override
  protected OptionalLong directorySize() {
    return OptionalLong.empty();
  }
}
