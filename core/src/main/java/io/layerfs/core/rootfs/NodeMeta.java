package io.layerfs.core.rootfs;

import io.layerfs.core.EntryType;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The metadata of an entry of a container's upper layer, frozen for a {@link Node}: a plain
 * immutable copy taken under the container's lock, so the node stays a snapshot.
 */
public final class NodeMeta {
  final EntryType type;
  final int mode;
  final int uid;
  final int gid;
  final String userName;
  final String groupName;
  final long mtime;
  final long atime;
  final long ctime;
  final long size;
  final String linkTarget;
  final int devMajor;
  final int devMinor;
  final Map<String, byte[]> xattrs;
  final long fileKey;
  /** Called on the first {@link Node#linkCount()}; a directory counts its merged subdirectories. */
  final IntSupplier linkCount;

  public NodeMeta(EntryType type, int mode, int uid, int gid, String userName, String groupName,
      long mtime, long atime, long ctime, long size, String linkTarget, int devMajor,
      int devMinor, Map<String, byte[]> xattrs, long fileKey, IntSupplier linkCount) {
    this.type = type;
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    this.userName = userName;
    this.groupName = groupName;
    this.mtime = mtime;
    this.atime = atime;
    this.ctime = ctime;
    this.size = size;
    this.linkTarget = linkTarget;
    this.devMajor = devMajor;
    this.devMinor = devMinor;
    this.xattrs = xattrs;
    this.fileKey = fileKey;
    this.linkCount = linkCount;
  }
}
