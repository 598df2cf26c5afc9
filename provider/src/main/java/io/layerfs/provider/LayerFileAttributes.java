package io.layerfs.provider;

import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Set;

/** The attributes of one node, as {@code stat(2)} on an unpacked copy would report them. */
final class LayerFileAttributes implements PosixFileAttributes {
  /**
   * The size every directory reports. A directory's size is its file system's bookkeeping, which
   * a tar does not carry (its entries say 0): ext4 gives a directory 4096 bytes until its entries
   * need more blocks, so {@code stat} and {@code ls -l} show 4096 on an unpacked copy and, as
   * Docker's overlay2 keeps its layers on ext4 mostly, in a container (tmpfs would say 20 bytes
   * an entry, btrfs the names' lengths twice).
   */
  static final long DIRECTORY_SIZE = 4096;

  private static final PosixFilePermission[] PERMISSIONS = {
    PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
    PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE,
    PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
    PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
    PosixFilePermission.OWNER_READ
  };

  private final Node node;
  private final ContainerAccounts accounts;

  LayerFileAttributes(Node node, ContainerAccounts accounts) {
    this.node = node;
    this.accounts = accounts;
    // a mount's node reads its owner, set-id bits and ctime by path when first asked: now, so
    // that these attributes are one moment's, as a stat's are
    node.mode();
  }

  Node node() {
    return node;
  }

  @Override
  public FileTime lastModifiedTime() {
    return LayerBasicAttributes.time(node.mtimeNanos());
  }

  @Override
  public FileTime lastAccessTime() {
    return LayerBasicAttributes.time(node.atimeNanos());
  }

  /** Linux keeps no birth time that stat reports, so the JDK answers the mtime; so do we. */
  @Override
  public FileTime creationTime() {
    return lastModifiedTime();
  }

  FileTime changeTime() {
    return LayerBasicAttributes.time(node.ctimeNanos());
  }

  @Override
  public boolean isRegularFile() {
    return node.type() == EntryType.FILE;
  }

  @Override
  public boolean isDirectory() {
    return node.type() == EntryType.DIRECTORY;
  }

  @Override
  public boolean isSymbolicLink() {
    return node.type() == EntryType.SYMLINK;
  }

  @Override
  public boolean isOther() {
    return LayerBasicAttributes.isOther(node.type());
  }

  @Override
  public long size() {
    return node.type() == EntryType.DIRECTORY ? DIRECTORY_SIZE : node.size();
  }

  @Override
  public Object fileKey() {
    return node.fileKey();
  }

  @Override
  public UserPrincipal owner() {
    return new LayerPrincipal.User(node.uid(), accounts.userName(node.uid()));
  }

  @Override
  public GroupPrincipal group() {
    return new LayerPrincipal.Group(node.gid(), accounts.groupName(node.gid()));
  }

  @Override
  public Set<PosixFilePermission> permissions() {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    int mode = node.mode();
    for (int bit = 0; bit < PERMISSIONS.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(PERMISSIONS[bit]);
      }
    }
    return set;
  }

  /** {@code st_mode}: the file type bits over the permission bits, as {@code unix:mode}. */
  int unixMode() {
    int type = switch (node.type()) {
      case DIRECTORY -> 0040000;
      case SYMLINK -> 0120000;
      case CHAR_DEVICE -> 0020000;
      case BLOCK_DEVICE -> 0060000;
      case FIFO -> 0010000;
      default -> 0100000;
    };
    return type | (node.mode() & 07777);
  }

  /** {@code st_rdev} as glibc's makedev encodes it. */
  long rdev() {
    long major = node.devMajor() & 0xffffffffL;
    long minor = node.devMinor() & 0xffffffffL;
    return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
        | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
  }
}
