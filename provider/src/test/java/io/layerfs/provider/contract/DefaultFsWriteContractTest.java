package io.layerfs.provider.contract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control: the write contract suite on the JDK's default file system, each test on its own
 * {@code cp -a} copy of {@link Fixture}'s merged tree. What fails here is a wrong test, not a
 * provider bug. "Reopening" keeps the same directory. Needs root (the fixture has other owners)
 * and {@code cp}, {@code mkfifo}, {@code chown}, {@code chmod}, {@code touch}.
 */
class DefaultFsWriteContractTest extends AbstractWriteContractTest {
  @TempDir static Path tmp;
  private static Path master;
  private static boolean xattrs;
  private Path root;

  @BeforeAll
  static void materialize() throws Exception {
    master = tmp.resolve("fixture");
    Fixture.materialize(master);
    xattrs = ContainerDifferentialTest.hostStoresUserXattrs(tmp);
  }

  @Override
  protected Path freshTree(String name) throws Exception {
    root = tmp.resolve(name);
    Process cp = new ProcessBuilder("cp", "-a", master.toString(), root.toString())
        .redirectErrorStream(true).start();
    String out = new String(cp.getInputStream().readAllBytes());
    if (cp.waitFor() != 0) {
      throw new IOException("cp -a failed: " + out);
    }
    return root;
  }

  @Override
  protected Path reopenTree() {
    return root;
  }

  @Override
  protected void disposeTree() throws IOException {
    // a test may have left a directory without write permission: root deletes it anyway
    ContainerDifferentialTest.deleteTree(root);
  }

  @Override
  protected boolean storesUserXattrs() {
    return xattrs;
  }
}
