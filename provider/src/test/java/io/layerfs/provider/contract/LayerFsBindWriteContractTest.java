package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
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
    xattrs = false; // extended attributes are not supported through mounts (README limits)
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
   * The README's limit, checked where the xattr cases above are skipped: a mounted file has no
   * {@code user:} attributes, and setting one is refused as Linux refuses it where a file system
   * has none ({@code EOPNOTSUPP}), leaving the host file without it.
   */
  @Test
  void mountedFilesRefuseUserXattrsAsUnsupported() throws IOException {
    UserDefinedFileAttributeView view = Files.getFileAttributeView(
        fs.getPath("/srv/tree/etc/os-release"), UserDefinedFileAttributeView.class);
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> view.write("comment", ByteBuffer.wrap(new byte[] {1})));
    assertEquals("Operation not supported", e.getReason());
    assertEquals(List.of(), view.list());
    assertEquals(List.of(), Files.getFileAttributeView(host.resolve("tree/etc/os-release"),
        UserDefinedFileAttributeView.class).list(), "the host file got an attribute");
  }
}
