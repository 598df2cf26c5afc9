package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write contract suite through a bind mount: each test gets a {@code cp -a} copy of {@link
 * Fixture}'s merged tree on the host (as {@link DefaultFsWriteContractTest}, the oracle, has it),
 * whose parent is mounted at {@code /srv} of a new layerfs container (the tree is {@code
 * /srv/tree}: removing a mount's root is EBUSY, which the suite's own root must not meet);
 * reopening closes the container and opens it by name, its mount coming back from its record.
 * Where this fails and the control passes, the bind mount differs from the host directory itself.
 */
class LayerFsBindWriteContractTest extends AbstractWriteContractTest {
  @TempDir static Path tmp;
  private static Path master;
  private static Path store;
  private static boolean xattrs;
  private Path host;
  private FileSystem fs;
  private URI uri;

  @BeforeAll
  static void materialize() throws Exception {
    master = tmp.resolve("fixture");
    Fixture.materialize(master);
    store = tmp.resolve("store");
    FixtureImages.build(store);
    xattrs = ContainerDifferentialTest.hostStoresUserXattrs(tmp);
  }

  @Override
  protected Path freshTree(String name) throws Exception {
    host = java.nio.file.Files.createDirectory(tmp.resolve(name));
    Process cp = new ProcessBuilder("cp", "-a", master.toString(),
        host.resolve("tree").toString())
        .redirectErrorStream(true).start();
    String out = new String(cp.getInputStream().readAllBytes());
    if (cp.waitFor() != 0) {
      throw new IOException("cp -a failed: " + out);
    }
    uri = URI.create("layerfs://b-" + name);
    fs = FileSystems.newFileSystem(uri, Map.of("store", store, "image", FixtureImages.TAG,
        "mounts", List.of("type=bind,source=" + host + ",target=/srv")));
    return fs.getPath("/srv/tree");
  }

  @Override
  protected Path reopenTree() throws IOException {
    fs.close();
    fs = FileSystems.newFileSystem(uri, Map.of("store", store));
    return fs.getPath("/srv/tree");
  }

  @Override
  protected void disposeTree() throws IOException {
    if (fs != null) {
      fs.close();
    }
    // rm, not a walk: a path of the container near PATH_MAX is longer than that on the host
    Process rm = new ProcessBuilder("rm", "-rf", host.toString()).inheritIO().start();
    try {
      assertEquals(0, rm.waitFor(), "rm -rf of the host tree");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("rm -rf of the host tree");
    }
  }

  @Override
  protected boolean storesUserXattrs() {
    return xattrs;
  }

  /**
   * A bind mount's attributes are the host file's own: one a host process set is read through
   * the mount, one set through the mount is on the host file, a copy with its attributes from
   * the mount into the container's own layer carries them, and a move back across copies them
   * as the JDK's move between file systems does.
   */
  @Test
  void userXattrsAreTheHostFilesOwn() throws IOException {
    assumeTrue(xattrs, "the host file system stores user xattrs");
    Path hostFile = host.resolve("tree/etc/os-release");
    UserDefinedFileAttributeView onHost = Files.getFileAttributeView(hostFile,
        UserDefinedFileAttributeView.class);
    onHost.write("by-host", ByteBuffer.wrap(new byte[] {1, 2}));
    Path mounted = fs.getPath("/srv/tree/etc/os-release");
    UserDefinedFileAttributeView view = Files.getFileAttributeView(mounted,
        UserDefinedFileAttributeView.class);
    assertEquals(List.of("by-host"), view.list());
    view.write("by-layerfs", ByteBuffer.wrap(new byte[] {3}));
    assertEquals(List.of("by-host", "by-layerfs"), onHost.list().stream().sorted().toList());
    assertArrayEquals(new byte[] {3}, (byte[]) Files.getAttribute(hostFile, "user:by-layerfs"));

    Path inLayer = fs.getPath("/tmp/copied");
    Files.copy(mounted, inLayer, StandardCopyOption.COPY_ATTRIBUTES);
    assertArrayEquals(new byte[] {1, 2}, (byte[]) Files.getAttribute(inLayer, "user:by-host"));
    Files.move(inLayer, fs.getPath("/srv/moved"));
    assertArrayEquals(new byte[] {3},
        (byte[]) Files.getAttribute(host.resolve("moved"), "user:by-layerfs"));
    view.delete("by-host");
    assertEquals(List.of("by-layerfs"), onHost.list());
  }
}
