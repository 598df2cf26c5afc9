package io.layerfs.core.mount;

import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import java.util.Map;

/**
 * A file of a mount ({@link DirTree}), as {@code stat(2)} described it when it was looked up; the
 * fields only a {@code stat} by path gives come from its {@link PathStat} when first asked for. It
 * belongs to no layer ({@link #layer()} is -1), as a container's own files.
 */
record DirNode(String path, EntryType type, long mtimeNanos, long atimeNanos, long size,
    String linkTarget, long device, PathStat stat) implements Node.Upper {

  /** The same file seen at {@code fullPath} of the container. */
  DirNode at(String fullPath) {
    return new DirNode(fullPath, type, mtimeNanos, atimeNanos, size, linkTarget, device, stat);
  }

  @Override
  public int mode() {
    return stat.fields().mode();
  }

  @Override
  public int uid() {
    return stat.fields().uid();
  }

  @Override
  public int gid() {
    return stat.fields().gid();
  }

  @Override
  public long ctimeNanos() {
    return stat.fields().ctimeNanos();
  }

  @Override
  public int devMajor() {
    return stat.fields().devMajor();
  }

  @Override
  public int devMinor() {
    return stat.fields().devMinor();
  }

  @Override
  public long fileKey() {
    return stat.fields().fileKey();
  }

  @Override
  public int linkCount() {
    return stat.fields().linkCount();
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
