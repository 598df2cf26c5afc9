package io.layerfs.provider;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import java.util.Map;

/**
 * A file of a {@link LazyTree}'s whole tree with the key the lazy merge gave it before the
 * tree was opened, so that the file keeps one identity; all else is the tree's node.
 */
final class RekeyedNode implements Node.Lower {
  private final Node.Lower node;
  private final long fileKey;

  RekeyedNode(Node.Lower node, long fileKey) {
    this.node = node;
    this.fileKey = fileKey;
  }

  @Override
  public long fileKey() {
    return fileKey;
  }

  @Override
  public Digest layerDigest() {
    return node.layerDigest();
  }

  @Override
  public long dataOffset() {
    return node.dataOffset();
  }

  @Override
  public String path() {
    return node.path();
  }

  @Override
  public EntryType type() {
    return node.type();
  }

  @Override
  public int mode() {
    return node.mode();
  }

  @Override
  public int uid() {
    return node.uid();
  }

  @Override
  public int gid() {
    return node.gid();
  }

  @Override
  public String userName() {
    return node.userName();
  }

  @Override
  public String groupName() {
    return node.groupName();
  }

  @Override
  public long mtimeNanos() {
    return node.mtimeNanos();
  }

  @Override
  public long atimeNanos() {
    return node.atimeNanos();
  }

  @Override
  public long ctimeNanos() {
    return node.ctimeNanos();
  }

  @Override
  public long size() {
    return node.size();
  }

  @Override
  public String linkTarget() {
    return node.linkTarget();
  }

  @Override
  public int devMajor() {
    return node.devMajor();
  }

  @Override
  public int devMinor() {
    return node.devMinor();
  }

  @Override
  public Map<String, byte[]> xattrs() {
    return node.xattrs();
  }

  @Override
  public int layer() {
    return node.layer();
  }

  @Override
  public int linkCount() {
    return node.linkCount();
  }

  @Override
  public String toString() {
    return node.toString();
  }
}
