package io.layerfs.core.rootfs;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import io.layerfs.core.internal.PathNames;
import java.util.Map;

/**
 * A {@link Node} of a {@link MergedTree}: where the winning entry's metadata sits in an immutable
 * {@link LayerIndex}, read when asked (a node is made on every lookup, so making one only stores
 * positions). An implied directory, one only present as the parent of other entries, has no
 * entry: mode 0755, owner 0:0, time 0; {@link #layer()} is the topmost layer that has it.
 */
public final class LayerNode implements Node.Lower {
  private final MergedTree tree;
  // Made from parentPath and name when first asked for (a walk reads attributes, not paths); a
  // racy single-check cache, as String's hash: the value is always the same string.
  private String path;
  private final String parentPath;
  private final String name;
  private final EntryType type;
  /** Where the metadata is; null for an implied directory (0755, 0:0, time 0). */
  private final LayerIndex meta;
  private final int entry;
  private final int layer;
  private final Digest layerDigest;
  private final long fileKey;
  /** For the link count: the tree's merged directory, or null and (inodeLayer, inode). */
  private final MergedTree.Dir dir;
  private final int inodeLayer;
  private final int inode;
  private String userName;
  private String groupName;
  private String linkTarget;
  private int linkCount;

  LayerNode(MergedTree tree, String path, EntryType type, LayerIndex meta, int entry, int layer,
      Digest layerDigest, long fileKey, MergedTree.Dir dir, int inodeLayer, int inode) {
    this(tree, path, null, null, type, meta, entry, layer, layerDigest, fileKey, dir, inodeLayer,
        inode);
  }

  /** A file node of the child {@code name} of the directory at {@code parentPath}. */
  static LayerNode child(MergedTree tree, String parentPath, String name, EntryType type,
      LayerIndex meta, int entry, int layer, Digest layerDigest, long fileKey, int inodeLayer,
      int inode) {
    return new LayerNode(tree, null, parentPath, name, type, meta, entry, layer, layerDigest,
        fileKey, null, inodeLayer, inode);
  }

  private LayerNode(MergedTree tree, String path, String parentPath, String name, EntryType type,
      LayerIndex meta, int entry, int layer, Digest layerDigest, long fileKey, MergedTree.Dir dir,
      int inodeLayer, int inode) {
    this.tree = tree;
    this.path = path;
    this.parentPath = parentPath;
    this.name = name;
    this.type = type;
    this.meta = meta;
    this.entry = entry;
    this.layer = layer;
    this.layerDigest = layerDigest;
    this.fileKey = fileKey;
    this.dir = dir;
    this.inodeLayer = inodeLayer;
    this.inode = inode;
  }

  /** The merged directory of a directory node, for steps to its children; else null. */
  MergedTree.Dir mergedDir() {
    return dir;
  }

  /** This node seen at another path (a lower entry under a renamed directory of a container). */
  public LayerNode withPath(String newPath) {
    return newPath.equals(path()) ? this : new LayerNode(tree, newPath, type, meta, entry, layer,
        layerDigest, fileKey, dir, inodeLayer, inode);
  }

  /** The resolved absolute path ("/" for the root). */
  @Override
  public String path() {
    String p = path;
    if (p == null) {
      p = PathNames.child(parentPath, name);
      path = p;
    }
    return p;
  }

  @Override
  public EntryType type() {
    return type;
  }




  /** Permission bits and setuid/setgid/sticky ({@code 07777}). */
  @Override
  public int mode() {
    return meta == null ? 0755 : meta.mode(entry);
  }

  @Override
  public int uid() {
    return meta == null ? 0 : meta.uid(entry);
  }

  @Override
  public int gid() {
    return meta == null ? 0 : meta.gid(entry);
  }

  /** Owner name from the tar header ("" when absent). */
  @Override
  public String userName() {
    String s = userName;
    if (s == null) {
      s = meta == null ? "" : meta.userName(entry);
      userName = s;
    }
    return s;
  }

  /** Group name from the tar header ("" when absent). */
  @Override
  public String groupName() {
    String s = groupName;
    if (s == null) {
      s = meta == null ? "" : meta.groupName(entry);
      groupName = s;
    }
    return s;
  }

  /** Modification time, nanoseconds since the epoch (sub-second only when PAX recorded it). */
  @Override
  public long mtimeNanos() {
    return meta == null ? 0 : meta.mtimeNanos(entry);
  }

  /** Access time (PAX {@code atime}, else the modification time). */
  @Override
  public long atimeNanos() {
    if (meta == null) {
      return 0;
    }
    long t = meta.atimeNanos(entry);
    return t == LayerIndex.ABSENT_TIME ? meta.mtimeNanos(entry) : t;
  }

  /** Status change time (PAX {@code ctime}, else the modification time). */
  @Override
  public long ctimeNanos() {
    if (meta == null) {
      return 0;
    }
    long t = meta.ctimeNanos(entry);
    return t == LayerIndex.ABSENT_TIME ? meta.mtimeNanos(entry) : t;
  }

  /** Size in bytes: file data length, symlink target length (UTF-8 bytes), else 0. */
  @Override
  public long size() {
    return meta == null ? 0 : meta.size(entry);
  }

  /** Symlink target as stored ("" for other types). */
  @Override
  public String linkTarget() {
    String s = linkTarget;
    if (s == null) {
      s = meta == null ? "" : meta.linkTarget(entry);
      linkTarget = s;
    }
    return s;
  }

  @Override
  public int devMajor() {
    return meta == null ? 0 : meta.devMajor(entry);
  }

  @Override
  public int devMinor() {
    return meta == null ? 0 : meta.devMinor(entry);
  }

  /** Extended attributes ({@code SCHILY.xattr.*}); a fresh copy. */
  @Override
  public Map<String, byte[]> xattrs() {
    // decoded afresh from the index on each call: the result is the caller's copy
    Map<String, byte[]> m = meta == null ? Map.of() : meta.xattrs(entry);
    return m.isEmpty() ? Map.of() : m;
  }

  /** Index in the layer list (bottom = 0) whose blob holds this file (topmost one for dirs). */
  @Override
  public int layer() {
    return layer;
  }

  /** DiffID of {@link #layer()}, the uncompressed blob that {@link #dataOffset()} points into. */
  @Override
  public Digest layerDigest() {
    return layerDigest;
  }

  /** Offset of the file's bytes in the uncompressed layer tar. */
  @Override
  public long dataOffset() {
    return meta == null ? 0 : meta.dataOffset(entry);
  }

  /** Identity of the underlying file: equal for all hard links to it, distinct otherwise. */
  @Override
  public long fileKey() {
    return fileKey;
  }

  /**
   * Identity of this name's entry in the image (its layer and entry): distinct for each name, the
   * names of a hard link too, and the same for a name seen under a renamed directory.
   */
  public long entryKey() {
    return (long) layer << 32 | (entry & 0xFFFF_FFFFL);
  }

  /** Number of visible names of this file (2 + subdirectories for a directory). */
  @Override
  public int linkCount() {
    int c = linkCount;
    if (c == 0) {
      c = tree.linkCount(dir, inodeLayer, inode);
      linkCount = c;
    }
    return c;
  }

  @Override
  public String toString() {
    return "LayerNode[" + path() + " " + type + " " + Integer.toOctalString(mode()) + " size="
        + size() + " layer=" + layer + "]";
  }
}
