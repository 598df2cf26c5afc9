package io.layerfs.core.mount;

import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import java.util.Map;

/**
 * A file of a mount ({@link DirTree}), as {@code stat(2)} described it when it was looked up. It
 * belongs to no layer ({@link #layer()} is -1), as a container's own files.
 */
record DirNode(String path, EntryType type, int mode, int uid, int gid, long mtimeNanos,
    long atimeNanos, long ctimeNanos, long size, String linkTarget, int devMajor, int devMinor,
    long fileKey, int linkCount, long device) implements Node.Upper {

  /** The same file seen at {@code fullPath} of the container. */
  DirNode at(String fullPath) {
    return new DirNode(fullPath, type, mode, uid, gid, mtimeNanos, atimeNanos, ctimeNanos, size,
        linkTarget, devMajor, devMinor, fileKey, linkCount, device);
  }

  @Override
  public String userName() {
    return "";
  }

  @Override
  public String groupName() {
    return "";
  }

  @Override
  public Map<String, byte[]> xattrs() {
    return new java.util.HashMap<>();
  }

  @Override
  public int layer() {
    return -1;
  }
}
