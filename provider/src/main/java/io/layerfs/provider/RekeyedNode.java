package io.layerfs.provider;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import java.util.Map;

/**
 * A node of a {@link LazyTree}'s whole tree with the key the lazy merge gave its file before the
 * tree was opened, so that the file keeps one identity; all else is the tree's node. It stands
 * for a file of the image, or for a container's copy-up of one, which keeps the image file's key.
 */
abstract sealed class RekeyedNode {
  private final Node node;
  private final long fileKey;

  private RekeyedNode(Node node, long fileKey) {
    this.node = node;
    this.fileKey = fileKey;
  }

  /** {@code node} showing {@code fileKey}, of the same kind (lower or upper). */
  static Node of(Node node, long fileKey) {
    return node instanceof Node.Lower lower ? new OfLower(lower, fileKey)
        : new OfUpper((Node.Upper) node, fileKey);
  }

  public long fileKey() {
    return fileKey;
  }

  public String path() {
    return node.path();
  }

  public EntryType type() {
    return node.type();
  }

  public int mode() {
    return node.mode();
  }

  public int uid() {
    return node.uid();
  }

  public int gid() {
    return node.gid();
  }

  public String userName() {
    return node.userName();
  }

  public String groupName() {
    return node.groupName();
  }

  public long mtimeNanos() {
    return node.mtimeNanos();
  }

  public long atimeNanos() {
    return node.atimeNanos();
  }

  public long ctimeNanos() {
    return node.ctimeNanos();
  }

  public long size() {
    return node.size();
  }

  public String linkTarget() {
    return node.linkTarget();
  }

  public int devMajor() {
    return node.devMajor();
  }

  public int devMinor() {
    return node.devMinor();
  }

  public Map<String, byte[]> xattrs() {
    return node.xattrs();
  }

  public int layer() {
    return node.layer();
  }

  public int linkCount() {
    return node.linkCount();
  }

  @Override
  public String toString() {
    return node.toString();
  }

  /** A file of the image. */
  static final class OfLower extends RekeyedNode implements Node.Lower {
    private final Node.Lower lower;

    private OfLower(Node.Lower lower, long fileKey) {
      super(lower, fileKey);
      this.lower = lower;
    }

    @Override
    public Digest layerDigest() {
      return lower.layerDigest();
    }

    @Override
    public long dataOffset() {
      return lower.dataOffset();
    }
  }

  /** A file or directory a container copied up, which kept the image file's key. */
  static final class OfUpper extends RekeyedNode implements Node.Upper {
    private OfUpper(Node.Upper upper, long fileKey) {
      super(upper, fileKey);
    }
  }
}
