package io.layerfs.core;

import java.util.LinkedHashMap;
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

  private final String path;
  private final EntryType type;
  private final int mode;
  private final int uid;
  private final int gid;
  private final String userName;
  private final String groupName;
  private final long mtimeNanos;
  private final long atimeNanos;
  private final long ctimeNanos;
  private final long size;
  private final String linkTarget;
  private final int devMajor;
  private final int devMinor;
  private final Map<String, byte[]> xattrs;
  private final int layer;
  private final Digest layerDigest;
  private final long dataOffset;
  private final long fileKey;
  private final int linkCount;

  Node(String path, EntryType type, int mode, int uid, int gid, String userName, String groupName,
      long mtimeNanos, long atimeNanos, long ctimeNanos, long size, String linkTarget,
      int devMajor, int devMinor, Map<String, byte[]> xattrs, int layer, Digest layerDigest,
      long dataOffset, long fileKey, int linkCount) {
    this.path = path;
    this.type = type;
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    this.userName = userName;
    this.groupName = groupName;
    this.mtimeNanos = mtimeNanos;
    this.atimeNanos = atimeNanos;
    this.ctimeNanos = ctimeNanos;
    this.size = size;
    this.linkTarget = linkTarget;
    this.devMajor = devMajor;
    this.devMinor = devMinor;
    this.xattrs = xattrs;
    this.layer = layer;
    this.layerDigest = layerDigest;
    this.dataOffset = dataOffset;
    this.fileKey = fileKey;
    this.linkCount = linkCount;
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
    return mode;
  }

  public int uid() {
    return uid;
  }

  public int gid() {
    return gid;
  }

  /** Owner name from the tar header ("" when absent). */
  public String userName() {
    return userName;
  }

  /** Group name from the tar header ("" when absent). */
  public String groupName() {
    return groupName;
  }

  /** Modification time, nanoseconds since the epoch (sub-second only when PAX recorded it). */
  public long mtimeNanos() {
    return mtimeNanos;
  }

  /** Access time (PAX {@code atime}, else the modification time). */
  public long atimeNanos() {
    return atimeNanos;
  }

  /** Status change time (PAX {@code ctime}, else the modification time). */
  public long ctimeNanos() {
    return ctimeNanos;
  }

  /** Size in bytes: file data length, symlink target length (UTF-8 bytes), else 0. */
  public long size() {
    return size;
  }

  /** Symlink target as stored ("" for other types). */
  public String linkTarget() {
    return linkTarget;
  }

  public int devMajor() {
    return devMajor;
  }

  public int devMinor() {
    return devMinor;
  }

  /** Extended attributes ({@code SCHILY.xattr.*}); a fresh copy. */
  public Map<String, byte[]> xattrs() {
    if (xattrs.isEmpty()) {
      return Map.of();
    }
    Map<String, byte[]> m = new LinkedHashMap<>();
    xattrs.forEach((k, v) -> m.put(k, v.clone()));
    return m;
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
    return dataOffset;
  }

  /** Identity of the underlying file: equal for all hard links to it, distinct otherwise. */
  public long fileKey() {
    return fileKey;
  }

  /** Number of visible names of this file (2 + subdirectories for a directory). */
  public int linkCount() {
    return linkCount;
  }

  @Override
  public String toString() {
    return "Node[" + path + " " + type + " " + Integer.toOctalString(mode) + " size=" + size
        + " layer=" + layer + "]";
  }
}
