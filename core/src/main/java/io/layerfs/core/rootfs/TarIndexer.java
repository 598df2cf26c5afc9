package io.layerfs.core.rootfs;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Limits;
import io.layerfs.core.internal.NameBytes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads an uncompressed layer tar once, front to back, and builds its {@link LayerIndex}.
 *
 * <p>Headers are parsed by Commons Compress ({@code TarArchiveInputStream}: ustar, GNU long
 * names/links, PAX {@code path}/{@code linkpath}/{@code size}/{@code mtime}/{@code atime}/{@code
 * ctime} with sub-second precision, base-256 numbers). Under it sits a {@link TarGuardStream},
 * which counts bytes (the data offset of an entry is the count when its header has been read,
 * cross-checked against the guard's own walk of the tar), bounds meta entries, and captures
 * {@code SCHILY.xattr.*} values byte-exactly. The stream is read to its very end, trailer
 * included, so a digest computed below sees the whole blob.
 *
 * <p>Hostile input: sparse entries, oversized meta entries, negative or overflowing sizes, a tar
 * that ends inside an entry or a header, and anything Commons Compress rejects become an {@link
 * IOException}; memory use is bounded by the size of the resulting index, and that by the {@link
 * Limits} on path length, depth and entries (each refused naming the limit and the entry).
 */
public final class TarIndexer {
  // indexes in TarGuardStream.NAME_KEYS
  private static final int PATH = 0;
  private static final int LINKPATH = 1;
  private static final int UNAME = 2;
  private static final int GNAME = 3;

  private TarIndexer() {}

  /**
   * Indexes an uncompressed tar, reading {@code in} to its end (it is not closed); the index
   * names no DiffID, so a {@link LayerStore} would not take it for any layer's.
   */
  public static LayerIndex index(InputStream uncompressedTar) throws IOException {
    return index(uncompressedTar, null, Limits.DEFAULTS);
  }

  /**
   * Indexes the uncompressed tar of the layer {@code diffId} (recorded in the index with the
   * tar's length and its files' chunk checksums), reading {@code in} to its end.
   */
  static LayerIndex index(InputStream uncompressedTar, Digest diffId, Limits limits)
      throws IOException {
    TarGuardStream guard = new TarGuardStream(uncompressedTar, limits);
    LayerIndexBuilder builder = new LayerIndexBuilder(limits);
    // ISO-8859-1 passes the header's bytes through as chars: names are decoded below, keeping
    // bytes that are not UTF-8 (NameBytes), where UTF-8 would make each of them '?'
    TarArchiveInputStream tar = new TarArchiveInputStream(guard, "ISO-8859-1");
    TarArchiveEntry e;
    try {
      while ((e = tar.getNextEntry()) != null) {
        String name = name(guard, PATH, e.getName());
        long offset = guard.count();
        if (offset != guard.entryDataStart()) {
          throw new IOException("tar structure is ambiguous near entry '" + name
              + "' (offset " + offset + " vs " + guard.entryDataStart() + ")");
        }
        if (e.isSparse()) {
          throw new IOException("sparse tar entries are not supported: '" + name + "'");
        }
        LayerIndexBuilder.Inode ino = toInode(e, name, offset, guard);
        if (ino == null) {
          continue;
        }
        ino.xattrs = guard.entryXattrs();
        checkName(name, "path", limits);
        if (ino.link != null) {
          checkName(ino.link, "link target", limits);
        }
        builder.add(name, ino);
        if (builder.size() > limits.layerEntries()) {
          throw limits.exceeded("layerEntries", "tar entry '" + shorten(name)
              + "' is entry number " + builder.size() + " of the layer");
        }
      }
    } catch (IllegalArgumentException | IllegalStateException | ArithmeticException x) {
      // Commons Compress reports some malformed headers as unchecked exceptions
      throw new IOException("malformed tar: " + x.getMessage(), x);
    }
    guard.drain();
    return builder.build(guard.sums(), diffId, guard.count());
  }

  /**
   * A name of the entry: its PAX record's bytes if it has one (Commons Compress decoded that as
   * UTF-8), else the header's, which came through as ISO-8859-1.
   */
  private static String name(TarGuardStream guard, int key, String headerValue) {
    byte[] pax = guard.entryPaxName(key);
    if (pax != null) {
      return NameBytes.decode(pax);
    }
    if (headerValue == null) {
      return null;
    }
    return NameBytes.decode(headerValue.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Refuses a name longer than {@code pathBytes} or deeper than {@code depth} components. */
  private static void checkName(String name, String what, Limits limits) throws IOException {
    // a char is at most 3 UTF-8 bytes: most names need no encoding to pass
    if ((long) name.length() * 3 > limits.pathBytes()) {
      int bytes = NameBytes.encode(name).length;
      if (bytes > limits.pathBytes()) {
        throw limits.exceeded("pathBytes", "tar entry '" + shorten(name) + "': its " + what
            + " is " + bytes + " bytes");
      }
    }
    if ((name.length() + 1) / 2 > limits.depth()) {
      long depth = depth(name);
      if (depth > limits.depth()) {
        throw limits.exceeded("depth", "tar entry '" + shorten(name) + "': its " + what
            + " has " + depth + " components");
      }
    }
  }

  /** Components of a name that are neither empty nor {@code .} (an upper bound of its depth). */
  static long depth(String name) {
    long n = 0;
    int start = 0;
    for (int i = 0; i <= name.length(); i++) {
      if (i == name.length() || name.charAt(i) == '/') {
        int len = i - start;
        if (len > 0 && !(len == 1 && name.charAt(start) == '.')) {
          n++;
        }
        start = i + 1;
      }
    }
    return n;
  }

  /** A long name cut for an error message. */
  static String shorten(String name) {
    return name.length() <= 200 ? name
        : name.substring(0, 100) + "..." + name.substring(name.length() - 100);
  }

  private static LayerIndexBuilder.Inode toInode(TarArchiveEntry e, String name, long offset,
      TarGuardStream guard) throws IOException {
    LayerIndexBuilder.Inode ino = new LayerIndexBuilder.Inode();
    if (e.isLink()) {
      ino.type = EntryType.HARDLINK;
    } else if (e.isSymbolicLink()) {
      ino.type = EntryType.SYMLINK;
    } else if (e.isDirectory()) {
      ino.type = EntryType.DIRECTORY;
    } else if (e.isCharacterDevice()) {
      ino.type = EntryType.CHAR_DEVICE;
    } else if (e.isBlockDevice()) {
      ino.type = EntryType.BLOCK_DEVICE;
    } else if (e.isFIFO()) {
      ino.type = EntryType.FIFO;
    } else if (e.isFile()) {
      ino.type = EntryType.FILE;
    } else {
      return null; // other types (e.g. GNU volume labels) define no file
    }
    if (e.getSize() < 0) {
      throw new IOException("negative size for tar entry '" + name + "'");
    }
    ino.mode = e.getMode() & 07777;
    ino.uid = (int) e.getLongUserId();
    ino.gid = (int) e.getLongGroupId();
    ino.uname = Objects.requireNonNullElse(name(guard, UNAME, e.getUserName()), "");
    ino.gname = Objects.requireNonNullElse(name(guard, GNAME, e.getGroupName()), "");
    ino.mtimeNanos = paxOr(guard, 0, nanos(e.getLastModifiedTime(), 0));
    ino.atimeNanos = paxOr(guard, 1, nanos(e.getLastAccessTime(), LayerIndex.ABSENT_TIME));
    ino.ctimeNanos = paxOr(guard, 2, nanos(e.getStatusChangeTime(), LayerIndex.ABSENT_TIME));
    ino.dataOffset = offset;
    switch (ino.type) {
      case FILE -> {
        ino.size = e.getSize();
        ino.firstSum = guard.entryFirstSum();
      }
      case SYMLINK, HARDLINK ->
          ino.link = Objects.requireNonNullElse(name(guard, LINKPATH, e.getLinkName()), "");
      case CHAR_DEVICE, BLOCK_DEVICE -> {
        ino.devMajor = e.getDevMajor();
        ino.devMinor = e.getDevMinor();
      }
      default -> { }
    }
    if (ino.type == EntryType.SYMLINK) {
      ino.size = NameBytes.encode(ino.link).length;
    }
    return ino;
  }

  private static long paxOr(TarGuardStream guard, int which, long fallback) {
    long t = guard.entryPaxTime(which);
    return t == TarGuardStream.NO_TIME ? fallback : t;
  }

  private static long nanos(FileTime t, long absent) {
    return t == null ? absent : t.to(TimeUnit.NANOSECONDS);
  }
}
