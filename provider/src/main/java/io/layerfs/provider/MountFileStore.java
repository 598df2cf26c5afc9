package io.layerfs.provider;

import io.layerfs.core.Mount;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserDefinedFileAttributeView;

/**
 * The file store of one mount of a container, as {@code /proc/mounts} names it: a volume or bind
 * mount shows its host directory's store's space, a tmpfs its own size limit and use. Two are
 * equal when they describe the same mount.
 */
final class MountFileStore extends FileStore {
  private final Mount mount;
  private final FileStore under;

  /** A mount's store, typed so that the file system's class loads this one only here. */
  static FileStore of(Mount mount, FileStore under) {
    return new MountFileStore(mount, under);
  }

  private MountFileStore(Mount mount, FileStore under) {
    this.mount = mount;
    this.under = under;
  }

  /** The source (volume name or host directory), or "tmpfs", as the first field of a mount. */
  @Override
  public String name() {
    return mount.source() != null ? mount.source() : "tmpfs";
  }

  /** volume, bind or tmpfs. */
  @Override
  public String type() {
    return mount.type().id();
  }

  @Override
  public boolean isReadOnly() {
    return mount.readOnly();
  }

  @Override
  public long getTotalSpace() throws IOException {
    return under.getTotalSpace();
  }

  @Override
  public long getUsableSpace() throws IOException {
    return mount.readOnly() ? 0 : under.getUsableSpace();
  }

  /** The block size of the host file system under the mount, or a tmpfs's. */
  @Override
  public long getBlockSize() throws IOException {
    // Jimfs, a tmpfs's memory, predates the call
    return mount.type() == Mount.Type.TMPFS ? Mount.TMPFS_BLOCK_SIZE : under.getBlockSize();
  }

  @Override
  public long getUnallocatedSpace() throws IOException {
    return mount.readOnly() ? 0 : under.getUnallocatedSpace();
  }

  @Override
  public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
    return type == BasicFileAttributeView.class || type == PosixFileAttributeView.class
        || type == FileOwnerAttributeView.class
        || (type == UserDefinedFileAttributeView.class || type == DosFileAttributeView.class)
        && under.supportsFileAttributeView(UserDefinedFileAttributeView.class);
  }

  /**
   * The views a mounted path has; {@code user} (and {@code dos}, kept in one) where the mount's
   * own file system keeps them.
   */
  @Override
  public boolean supportsFileAttributeView(String name) {
    return switch (name) {
      case "basic", "posix", "unix", "owner" -> true;
      case "user", "dos" -> under.supportsFileAttributeView("user"); // dos: a user xattr
      default -> false;
    };
  }

  @Override
  public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
    return null;
  }

  @Override
  public Object getAttribute(String attribute) throws IOException {
    return LayerFileStore.attribute(this, attribute);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MountFileStore m && m.mount.equals(mount);
  }

  @Override
  public int hashCode() {
    return mount.hashCode();
  }

  @Override
  public String toString() {
    return mount.target() + " (" + name() + ", " + type() + ")";
  }
}
