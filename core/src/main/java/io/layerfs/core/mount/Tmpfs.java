package io.layerfs.core.mount;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerfs.core.Mount;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A tmpfs mount: a Jimfs file system in the JVM's heap, so nothing of it reaches a disk (no temp
 * or swap files of ours), empty at every open and gone at close. Its size limit is Jimfs's
 * maximum size, in 4 KiB blocks as a tmpfs counts pages. Loaded only after {@code
 * OptionalLibrary.JIMFS.require()}: Jimfs and Guava are optional dependencies of core.
 */
final class Tmpfs {
  private static final int BLOCK = Mount.TMPFS_BLOCK_SIZE;

  private Tmpfs() {}

  /** A new empty tmpfs for {@code mount}, its root with the mount's mode. */
  static DirTree open(Mount mount, Devices devices) throws IOException {
    long size = mount.tmpfsSize() > 0 ? mount.tmpfsSize() : Runtime.getRuntime().maxMemory() / 2;
    long blocks = Math.max(1, (size + BLOCK - 1) / BLOCK);
    Configuration config = Configuration.unix().toBuilder()
        .setWorkingDirectory("/")
        .setAttributeViews("basic", "owner", "posix", "unix", "user")
        .setBlockSize(BLOCK)
        .setMaxSize(blocks * BLOCK)
        .setMaxCacheSize(0) // freed blocks go back to the heap, as tmpfs pages do
        .addAttributeProvider(new TmpfsAttributes())
        .build();
    FileSystem fs = Jimfs.newFileSystem(config);
    try {
      Path root = fs.getPath("/");
      Files.setPosixFilePermissions(root, DirTree.permissions(mount.tmpfsMode()));
      Files.getFileAttributeView(root, TmpfsAttributes.View.class).setBits(mount.tmpfsMode());
      return DirTree.open(root, false, devices, fs);
    } catch (IOException | RuntimeException e) {
      fs.close();
      throw e;
    }
  }
}
