package io.layerfs.core.mount;

import io.layerfs.core.EntryType;
import java.io.IOException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The fields of a mount file's {@code stat(2)} that the JDK gives only by path (the set-id and
 * sticky bits, owner, inode, link count, ctime, device numbers; a tmpfs's from Jimfs's and
 * layerfs's own views), read the first time one is asked for: a walk, which needs the type, size
 * and times of the relative {@code stat} alone, makes no call by path. A host path's answer
 * stands only where it names the file the relative {@code stat} found (the same file key); a
 * file a host process put there since leaves the relative {@code stat}'s own.
 */
final class PathStat {
  /** Named, not "unix:*": that also looks the owner's and group's names up (NSS, slow). */
  private static final String UNIX_ATTRIBUTES = "unix:fileKey,mode,uid,gid,ino,nlink,ctime,rdev";

  /** The fields, with {@code fileKey} already the node's (the mount's prefix applied). */
  record Fields(EntryType type, int mode, int uid, int gid, long ctimeNanos, long fileKey,
      int linkCount, int devMajor, int devMinor) {}

  private final Path path;
  private final PosixFileAttributes relative;
  private final EntryType type;
  /** A host directory's file; else a tmpfs's (Jimfs's views, its owner names, its own bits). */
  private final boolean host;
  private final long keyPrefix;
  /** Read once; two threads may both read them, either answer is the file's. */
  private volatile Fields fields;

  /**
   * @param path the file's path, in the host's file system or the tmpfs's
   * @param relative its {@code stat} relative to its directory
   * @param type its type as {@code relative} tells it
   * @param host whether {@code path} is the host's (else a tmpfs's)
   * @param keyPrefix the mount's, applied to the inode number for {@link Fields#fileKey}
   */
  PathStat(Path path, PosixFileAttributes relative, EntryType type, boolean host,
      long keyPrefix) {
    this.path = path;
    this.relative = relative;
    this.type = type;
    this.host = host;
    this.keyPrefix = keyPrefix;
  }

  Fields fields() {
    Fields f = fields;
    if (f == null) {
      f = host ? readHost() : readTmpfs();
      fields = f;
    }
    return f;
  }

  private Fields readHost() {
    Map<String, Object> unix = unix();
    if (unix == null || !java.util.Objects.equals(unix.get("fileKey"), relative.fileKey())) {
      return new Fields(type, DirTree.mode(relative.permissions()), 0, 0, nanos(
          relative.lastModifiedTime()), keyPrefix ^ relativeIno(), defaultLinkCount(), 0, 0);
    }
    int mode = ((Number) unix.get("mode")).intValue();
    long rdev = ((Number) unix.get("rdev")).longValue();
    return new Fields(typeOf(mode, type), mode & 07777, ((Number) unix.get("uid")).intValue(),
        ((Number) unix.get("gid")).intValue(), nanos((FileTime) unix.get("ctime")),
        keyPrefix ^ ((Number) unix.get("ino")).longValue(),
        ((Number) unix.get("nlink")).intValue(),
        (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfff)),
        (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xff)));
  }

  private Fields readTmpfs() {
    long mtime = nanos(relative.lastModifiedTime());
    long ino = relativeIno();
    int nlink = defaultLinkCount();
    long ctime = mtime;
    int bits = 0;
    Map<String, Object> unix = unix();
    if (unix != null && java.util.Objects.equals(unix.get("fileKey"), relative.fileKey())) {
      ino = ((Number) unix.get("ino")).longValue();
      nlink = ((Number) unix.get("nlink")).intValue();
      try {
        TmpfsAttributes.View tmpfs = Files.getFileAttributeView(path,
            TmpfsAttributes.View.class, LinkOption.NOFOLLOW_LINKS);
        bits = tmpfs.bits();
        ctime = tmpfs.changeTime(mtime, nanos((FileTime) unix.get("ctime")));
      } catch (IOException | ClosedFileSystemException e) {
        // removed since, or the tmpfs is gone: the relative stat's own
      }
    }
    // a Linux link is always 0777; Jimfs gives it a file's permissions
    int mode = type == EntryType.SYMLINK ? 0777 : DirTree.mode(relative.permissions()) | bits;
    return new Fields(type, mode, id(relative.owner().getName()),
        id(relative.group().getName()), ctime, keyPrefix ^ ino, nlink, 0, 0);
  }

  /** The named {@code unix} attributes of the path, or null where it has none or is gone. */
  private Map<String, Object> unix() {
    try {
      return Files.readAttributes(path, UNIX_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException
        | ClosedFileSystemException e) {
      return null; // the relative stat stands alone (a tmpfs closed since: it is gone)
    }
  }

  private long relativeIno() {
    Object key = relative.fileKey();
    return key != null ? key.hashCode() & 0xffffffffL : 0;
  }

  private int defaultLinkCount() {
    return type == EntryType.DIRECTORY ? 2 : 1;
  }

  /** A tmpfs owner's name is its decimal id (set by {@code DirTree.setOwner}); others root's. */
  private static int id(String name) {
    try {
      return Integer.parseInt(name);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static long nanos(FileTime t) {
    return t == null ? 0 : t.to(TimeUnit.NANOSECONDS);
  }

  /** A device's or FIFO's type from its mode, which the relative stat only calls "other". */
  private static EntryType typeOf(int mode, EntryType fallback) {
    return switch (mode & 0170000) {
      case 0060000 -> EntryType.BLOCK_DEVICE;
      case 0020000 -> EntryType.CHAR_DEVICE;
      case 0010000 -> EntryType.FIFO;
      default -> fallback;
    };
  }
}
