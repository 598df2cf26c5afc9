package io.layerfs.core.rootfs;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import java.util.Map;

/**
 * One file of a {@link MergedTree}, as {@code stat(2)} would describe it: an immutable snapshot of
 * the winning layer entry's metadata plus where its bytes are.
 *
 * <p>The type is never {@link EntryType#HARDLINK}: a hard link is the file it names, with that
 * file's type, metadata, data location and {@link #fileKey()}; {@link #linkCount()} counts the
 * visible names sharing it. Directories take their metadata from the topmost layer with an explicit
 * entry for them (an implied directory, one only present as the parent of other entries, is mode
 * 0755, owner 0:0, time 0) and {@link #layer()} is the topmost layer that has them.
 */
public final class Node {

  // Implementation notes: a Node is made on every lookup (every stat), so constructing one only
  // stores where its metadata is: the winning entry of an immutable LayerIndex, or nothing for an
  // implied directory. Accessors read the index when called; strings are decoded on first use and
  // kept (a race decodes twice, equal results; Strings are safe to publish this way), the link
  // count is computed on first use by the tree (for a directory it needs the merged children).
  // Everything read is immutable, so a Node is still an immutable snapshot.

  private final MergedTree tree;
  private final String path;
  private final EntryType type;
  /** Where the metadata is; null for an implied directory (0755, 0:0, time 0). */
  private final LayerIndex meta;
  private final int entry;
  private final int layer;
  private final Digest layerDigest;
  private final long fileKey;
  /** For the link count: the tree's merged directory, or null and (inodeLayer, inode). */
  private final Object dir;
  private final int inodeLayer;
  private final int inode;
  private String userName;
  private String groupName;
  private String linkTarget;
  private int linkCount;
  /** Metadata of a container's upper entry, or null for a node of the merged layers. */
  private final NodeMeta own;

  Node(MergedTree tree, String path, EntryType type, LayerIndex meta, int entry, int layer,
      Digest layerDigest, long fileKey, Object dir, int inodeLayer, int inode) {
    this.tree = tree;
    this.path = path;
    this.type = type;
    this.meta = meta;
    this.entry = entry;
    this.layer = layer;
    this.layerDigest = layerDigest;
    this.fileKey = fileKey;
    this.dir = dir;
    this.inodeLayer = inodeLayer;
    this.inode = inode;
    this.own = null;
  }

  private Node(String path, NodeMeta own, Node base) {
    this.tree = base == null ? null : base.tree;
    this.path = path;
    this.type = own != null ? own.type : base.type;
    this.meta = base == null ? null : base.meta;
    this.entry = base == null ? 0 : base.entry;
    this.layer = own != null ? -1 : base.layer;
    this.layerDigest = own != null ? null : base.layerDigest;
    this.fileKey = own != null ? own.fileKey : base.fileKey;
    this.dir = base == null ? null : base.dir;
    this.inodeLayer = base == null ? -1 : base.inodeLayer;
    this.inode = base == null ? -1 : base.inode;
    this.own = own;
  }

  /** A node of a container's upper layer: {@code layer() == -1}, {@code layerDigest() == null}. */
  public static Node upper(String path, NodeMeta meta) {
    return new Node(path, meta, null);
  }

  /** This node seen at another path (a lower entry under a renamed directory of a container). */
  public Node withPath(String newPath) {
    return newPath.equals(path) ? this : new Node(newPath, own, this);
  }

  /** The resolved absolute path ("/" for the root). */
  public String path() {
    return path;
  }

  public EntryType type() {
    return type;
  }

  public boolean isDirectory() {
    return type == EntryType.DIRECTORY;
  }

  public boolean isRegularFile() {
    return type == EntryType.FILE;
  }

  public boolean isSymbolicLink() {
    return type == EntryType.SYMLINK;
  }

  /** Permission bits and setuid/setgid/sticky ({@code 07777}). */
  public int mode() {
    return own != null ? own.mode : meta == null ? 0755 : meta.mode(entry);
  }

  public int uid() {
    return own != null ? own.uid : meta == null ? 0 : meta.uid(entry);
  }

  public int gid() {
    return own != null ? own.gid : meta == null ? 0 : meta.gid(entry);
  }

  /** Owner name from the tar header ("" when absent). */
  public String userName() {
    String s = userName;
    if (s == null) {
      s = own != null ? own.userName : meta == null ? "" : meta.userName(entry);
      userName = s;
    }
    return s;
  }

  /** Group name from the tar header ("" when absent). */
  public String groupName() {
    String s = groupName;
    if (s == null) {
      s = own != null ? own.groupName : meta == null ? "" : meta.groupName(entry);
      groupName = s;
    }
    return s;
  }

  /** Modification time, nanoseconds since the epoch (sub-second only when PAX recorded it). */
  public long mtimeNanos() {
    return own != null ? own.mtime : meta == null ? 0 : meta.mtimeNanos(entry);
  }

  /** Access time (PAX {@code atime}, else the modification time). */
  public long atimeNanos() {
    if (own != null) {
      return own.atime;
    }
    if (meta == null) {
      return 0;
    }
    long t = meta.atimeNanos(entry);
    return t == LayerIndex.ABSENT_TIME ? meta.mtimeNanos(entry) : t;
  }

  /** Status change time (PAX {@code ctime}, else the modification time). */
  public long ctimeNanos() {
    if (own != null) {
      return own.ctime;
    }
    if (meta == null) {
      return 0;
    }
    long t = meta.ctimeNanos(entry);
    return t == LayerIndex.ABSENT_TIME ? meta.mtimeNanos(entry) : t;
  }

  /** Size in bytes: file data length, symlink target length (UTF-8 bytes), else 0. */
  public long size() {
    return own != null ? own.size : meta == null ? 0 : meta.size(entry);
  }

  /** Symlink target as stored ("" for other types). */
  public String linkTarget() {
    String s = linkTarget;
    if (s == null) {
      s = own != null ? own.linkTarget : meta == null ? "" : meta.linkTarget(entry);
      linkTarget = s;
    }
    return s;
  }

  public int devMajor() {
    return own != null ? own.devMajor : meta == null ? 0 : meta.devMajor(entry);
  }

  public int devMinor() {
    return own != null ? own.devMinor : meta == null ? 0 : meta.devMinor(entry);
  }

  /** Extended attributes ({@code SCHILY.xattr.*}); a fresh copy. */
  public Map<String, byte[]> xattrs() {
    // decoded afresh from the index on each call: the result is the caller's copy
    if (own != null) {
      Map<String, byte[]> m = new java.util.TreeMap<>();
      own.xattrs.forEach((k, v) -> m.put(k, v.clone()));
      return m;
    }
    Map<String, byte[]> m = meta == null ? Map.of() : meta.xattrs(entry);
    return m.isEmpty() ? Map.of() : m;
  }

  /** Index in the layer list (bottom = 0) whose blob holds this file (topmost one for dirs). */
  public int layer() {
    return layer;
  }

  /** DiffID of {@link #layer()}, the uncompressed blob that {@link #dataOffset()} points into. */
  public Digest layerDigest() {
    return layerDigest;
  }

  /** Offset of the file's bytes in the uncompressed layer tar. */
  public long dataOffset() {
    return own != null ? 0 : meta == null ? 0 : meta.dataOffset(entry);
  }

  /** Identity of the underlying file: equal for all hard links to it, distinct otherwise. */
  public long fileKey() {
    return fileKey;
  }

  /** Number of visible names of this file (2 + subdirectories for a directory). */
  public int linkCount() {
    int c = linkCount;
    if (c == 0) {
      c = own != null ? own.linkCount.getAsInt() : tree.linkCount(dir, inodeLayer, inode);
      linkCount = c;
    }
    return c;
  }

  @Override
  public String toString() {
    return "Node[" + path + " " + type + " " + Integer.toOctalString(mode()) + " size=" + size()
        + " layer=" + layer + "]";
  }
}
