package io.layerfs.core.overlay;

import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntSupplier;

/**
 * A {@link Node} of a container's upper layer: a copy of an {@link UpperEntry}'s metadata taken
 * under the tree lock (and a file's monitor), so it stays a snapshot while the entry changes.
 */
final class UpperNode implements Node.Upper {
  private final String path;
  private final EntryType type;
  private final int mode;
  private final int uid;
  private final int gid;
  private final String userName;
  private final String groupName;
  private final long mtime;
  private final long atime;
  private final long ctime;
  private final long size;
  private final String linkTarget;
  private final int devMajor;
  private final int devMinor;
  private final Map<String, byte[]> xattrs;
  private final long fileKey;
  /** Asked on the first {@link #linkCount()}: a directory counts its merged subdirectories. */
  private final IntSupplier links;
  private int linkCount;

  /** A directory's node, or a file's when {@code e} is an {@link UpperFile}. */
  UpperNode(String path, UpperEntry e, IntSupplier links) {
    this.path = path;
    this.mode = e.mode;
    this.uid = e.uid;
    this.gid = e.gid;
    this.userName = e.userName;
    this.groupName = e.groupName;
    this.mtime = e.mtime;
    this.atime = e.atime;
    this.ctime = e.ctime;
    this.xattrs = copy(e.xattrs);
    this.fileKey = e.fileKey();
    this.links = links;
    if (e instanceof UpperFile f) {
      this.type = f.type;
      this.size = f.size;
      this.linkTarget = f.linkTarget;
      this.devMajor = f.devMajor;
      this.devMinor = f.devMinor;
    } else {
      this.type = EntryType.DIRECTORY;
      this.size = 0;
      this.linkTarget = "";
      this.devMajor = 0;
      this.devMinor = 0;
    }
  }

  private static Map<String, byte[]> copy(Map<String, byte[]> m) {
    Map<String, byte[]> c = new TreeMap<>();
    // a loop, not forEach with a lambda: every node copies, and a lambda is spun on first use
    for (Map.Entry<String, byte[]> e : m.entrySet()) {
      c.put(e.getKey(), e.getValue().clone());
    }
    return c;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public EntryType type() {
    return type;
  }

  @Override
  public int mode() {
    return mode;
  }

  @Override
  public int uid() {
    return uid;
  }

  @Override
  public int gid() {
    return gid;
  }

  @Override
  public String userName() {
    return userName;
  }

  @Override
  public String groupName() {
    return groupName;
  }

  @Override
  public long mtimeNanos() {
    return mtime;
  }

  @Override
  public long atimeNanos() {
    return atime;
  }

  @Override
  public long ctimeNanos() {
    return ctime;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public String linkTarget() {
    return linkTarget;
  }

  @Override
  public int devMajor() {
    return devMajor;
  }

  @Override
  public int devMinor() {
    return devMinor;
  }

  @Override
  public Map<String, byte[]> xattrs() {
    return copy(xattrs);
  }

  @Override
  public int layer() {
    return -1;
  }

  @Override
  public long fileKey() {
    return fileKey;
  }

  @Override
  public int linkCount() {
    int c = linkCount;
    if (c == 0) {
      c = links.getAsInt();
      linkCount = c;
    }
    return c;
  }

  @Override
  public String toString() {
    return "UpperNode[" + path + " " + type + " " + Integer.toOctalString(mode) + " size=" + size
        + "]";
  }
}
