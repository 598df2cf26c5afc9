package io.layerfs.core.overlay;

import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.internal.NameBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes the items of a {@link ChangeWalk} as an OCI layer tar: entries with their metadata and
 * bytes, {@code .wh.NAME} whiteouts, {@code .wh..wh..opq} opaque markers, and hard links (the
 * second and later names of one file become link entries to the first).
 *
 * <p>Commons Compress writes the ustar headers; the one PAX header per entry is built here,
 * because Commons Compress turns PAX values into UTF-8 strings (an xattr such as {@code
 * security.capability} is binary) and rounds {@code mtime} to 100 ns, and Go's archive/tar keeps
 * only the last PAX header of an entry. The output depends only on the items, so equal changes
 * give an equal layer.
 */
final class LayerTarWriter {
  private static final long MAX_OCTAL_11 = 077777777777L;
  private static final int MAX_ID = 07777777;
  private static final int BUFFER = 1 << 16;

  /** Loads of the writer's state one file may take before its damage stands (as a read's). */
  private static final int RELOADS = 3;
  /**
   * The bytes of a file read before its header is written where the writer may change it: a
   * file up to this size goes in whole as one state of it, however often it is replaced.
   */
  private static final int HELD_WHILE_FOLLOWING = 8 << 20;

  private final ChangeWalk walk;
  private final Long clampSeconds;
  private final Progress progress;
  private final Follow follow;
  private final Map<Long, String> firstNames = new HashMap<>();
  private final byte[] buffer = new byte[BUFFER];
  /** A file's first bytes, read before its header: {@link #buffer}, or more when following. */
  private byte[] held = buffer;

  LayerTarWriter(ChangeWalk walk, Instant sourceDateEpoch, Progress progress) {
    this(walk, sourceDateEpoch, progress, null);
  }

  /**
   * A writer that takes a file whose data file no longer holds what the walk found from {@code
   * followOrNull} (null: such damage stands).
   */
  LayerTarWriter(ChangeWalk walk, Instant sourceDateEpoch, Progress progress,
      Follow followOrNull) {
    this.walk = walk;
    this.clampSeconds = sourceDateEpoch == null ? null : sourceDateEpoch.getEpochSecond();
    this.progress = progress;
    this.follow = followOrNull;
  }

  /**
   * Where the tar of a read-only view finds a file that the container's writer (perhaps another
   * process) truncated or replaced since the view loaded: in the writer's state loaded again.
   */
  interface Follow {
    /**
     * The item at {@code stale}'s path in the writer's state loaded again ({@code newer}: a
     * load newer than the one given last), or null where nothing is at that path now.
     */
    ChangeWalk.Item again(ChangeWalk.Item stale, boolean newer) throws IOException;
  }

  /**
   * The bytes the file entries of {@link #write} hold, which it reports as progress: a file's
   * once, at its first name (later names are hard link entries without data, see {@link
   * #entry}).
   */
  static long dataBytes(ChangeWalk walk) {
    long n = 0;
    Set<Long> linked = new HashSet<>();
    for (ChangeWalk.Item i : walk.items()) {
      Node node = i.node();
      if (i.op() == ChangeWalk.Op.ENTRY && node.isRegularFile()
          && (node.linkCount() <= 1 || linked.add(node.fileKey()))) {
        n += node.size();
      }
    }
    return n;
  }

  /** Writes the whole tar to {@code out}, which stays open. */
  void write(OutputStream out) throws IOException {
    OutputStream shielded = FileTrees.shielded(out);
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(shielded, 512, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_TRUNCATE);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
      for (ChangeWalk.Item item : walk.items()) {
        switch (item.op()) {
          case ENTRY -> entry(tar, item);
          case WHITEOUT -> marker(tar, parentOf(item.path()),
              ".wh." + item.path().substring(item.path().lastIndexOf('/') + 1));
          case OPAQUE -> marker(tar, item.path(), ".wh..wh..opq");
          case HIDDEN -> { }
        }
      }
      tar.finish();
    }
  }

  private void entry(TarArchiveOutputStream tar, ChangeWalk.Item walked) throws IOException {
    ChangeWalk.Item item = walked;
    int first = 0; // the file's first bytes, read into `held` before its header is written
    for (int reloads = 0; ; reloads++) {
      if (dataSize(item) == 0) {
        break;
      }
      try {
        first = readFirst(item);
        break;
      } catch (DataFileDamage e) {
        if (follow == null || reloads == RELOADS) {
          throw e.at(item.path()); // export and commit name the file, as a read does
        }
        // no byte of it is written yet: the file as the writer has it now goes in instead
        item = follow.again(item, reloads > 0);
        if (item == null) {
          return; // deleted since the view loaded, so not in the container now either
        }
      }
    }
    Node n = item.node();
    String name = relative(item.path(), n.isDirectory());
    String hardLinkTo = earlierName(item);
    if (hardLinkTo == null && n.type() != EntryType.DIRECTORY && n.linkCount() > 1) {
      firstNames.put(n.fileKey(), item.path());
    }
    byte linkFlag = hardLinkTo != null ? TarConstants.LF_LINK : switch (n.type()) {
      case DIRECTORY -> TarConstants.LF_DIR;
      case SYMLINK -> TarConstants.LF_SYMLINK;
      case CHAR_DEVICE -> TarConstants.LF_CHR;
      case BLOCK_DEVICE -> TarConstants.LF_BLK;
      case FIFO -> TarConstants.LF_FIFO;
      default -> TarConstants.LF_NORMAL;
    };
    String linkName = hardLinkTo != null ? hardLinkTo
        : n.type() == EntryType.SYMLINK ? n.linkTarget() : null;
    long size = dataSize(item);

    Pax pax = new Pax();
    TarArchiveEntry t = new TarArchiveEntry(pax.name("path", name), linkFlag, true);
    if (linkName != null) {
      t.setLinkName(pax.name("linkpath", linkName));
    }
    t.setMode(n.mode() & 07777);
    t.setUserId(pax.id("uid", n.uid()));
    t.setGroupId(pax.id("gid", n.gid()));
    t.setUserName(pax.owner("uname", n.userName()));
    t.setGroupName(pax.owner("gname", n.groupName()));
    t.setLastModifiedTime(FileTime.from(pax.mtime(n.mtimeNanos()), java.util.concurrent.TimeUnit.SECONDS));
    t.setSize(size);
    if (linkFlag == TarConstants.LF_CHR || linkFlag == TarConstants.LF_BLK) {
      t.setDevMajor(n.devMajor());
      t.setDevMinor(n.devMinor());
    }
    if (hardLinkTo == null) {
      for (Map.Entry<String, byte[]> x : n.xattrs().entrySet()) {
        pax.add("SCHILY.xattr." + x.getKey(), x.getValue());
      }
    }
    pax.writeTo(tar, name);
    tar.putArchiveEntry(t);
    if (size > 0) {
      tar.write(held, 0, first);
      progress.advance(first);
      copyData(tar, item, size, first);
    }
    tar.closeArchiveEntry();
  }

  /** The tar name of an earlier item of {@code item}'s file: its entry is a hard link to it. */
  private String earlierName(ChangeWalk.Item item) {
    Node n = item.node();
    if (n.type() == EntryType.DIRECTORY || n.linkCount() <= 1) {
      return null;
    }
    String first = firstNames.get(n.fileKey());
    return first == null || first.equals(item.path()) ? null : relative(first, false);
  }

  /** The bytes {@code item}'s entry holds: a regular file's, at its first name. */
  private long dataSize(ChangeWalk.Item item) {
    Node n = item.node();
    return switch (n.type()) {
      case DIRECTORY, SYMLINK, CHAR_DEVICE, BLOCK_DEVICE, FIFO -> 0;
      default -> earlierName(item) == null ? n.size() : 0;
    };
  }

  /**
   * Reads the first bytes of {@code item}'s file into {@link #held}: one buffer's, or, where the
   * writer may change the file meanwhile, up to {@link #HELD_WHILE_FOLLOWING}; how many.
   */
  private int readFirst(ChangeWalk.Item item) throws IOException {
    int want = (int) Math.min(follow != null ? HELD_WHILE_FOLLOWING : BUFFER,
        item.node().size());
    if (held.length < want) {
      held = new byte[Math.max(want, Math.min(2 * held.length, HELD_WHILE_FOLLOWING))];
    }
    ByteBuffer buf = ByteBuffer.wrap(held, 0, want);
    while (buf.hasRemaining()) {
      if (walk.read(item, buf, buf.position()) <= 0) {
        throw shrank(item, buf.position());
      }
    }
    return want;
  }

  private void copyData(TarArchiveOutputStream tar, ChangeWalk.Item item, long size, long from)
      throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(buffer);
    long pos = from;
    while (pos < size) {
      buf.clear().limit((int) Math.min(BUFFER, size - pos));
      int r;
      try {
        r = walk.read(item, buf, pos);
      } catch (DataFileDamage e) {
        throw e.at(item.path()); // some of its bytes are in the tar already
      }
      if (r <= 0) {
        throw shrank(item, pos);
      }
      tar.write(buffer, 0, r);
      pos += r;
      progress.advance(r);
    }
  }

  /** A file that ended early, while the tar was written: its header holds the size it had. */
  private static IOException shrank(ChangeWalk.Item item, long at) {
    return new IOException(item.path() + ": the file ended at byte " + at + " while it was "
        + "written to the tar, whose header holds its size as of the start, "
        + item.node().size() + " bytes");
  }

  private void marker(TarArchiveOutputStream tar, String dir, String markerName)
      throws IOException {
    String path = dir.equals("/") ? "/" + markerName : dir + "/" + markerName;
    Pax pax = new Pax();
    String name = relative(path, false);
    TarArchiveEntry t = new TarArchiveEntry(pax.name("path", name), TarConstants.LF_NORMAL, true);
    t.setMode(0644);
    long epoch = clampSeconds != null ? clampSeconds : 0;
    t.setLastModifiedTime(FileTime.from(Math.max(0, epoch), java.util.concurrent.TimeUnit.SECONDS));
    t.setUserName("");
    t.setGroupName("");
    pax.writeTo(tar, name);
    tar.putArchiveEntry(t);
    tar.closeArchiveEntry();
  }

  private static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  private static String relative(String absPath, boolean directory) {
    if (absPath.equals("/")) {
      return "./";
    }
    String r = absPath.substring(1);
    return directory ? r + "/" : r;
  }

  /** The PAX records of one entry, built as the POSIX pax format defines them. */
  private final class Pax {
    private final ByteArrayOutputStream records = new ByteArrayOutputStream();

    /** The ustar name for {@code value}; long or non-ASCII names also go into a record. */
    String name(String key, String value) {
      // as Go's archive/tar writes them: the name's bytes, UTF-8 or not
      byte[] bytes = NameBytes.encode(value);
      if (bytes.length > 100 || !isAscii(value)) {
        add(key, bytes);
        return asciiStandIn(value, 100);
      }
      return value;
    }

    String owner(String key, String value) {
      if (value.length() > 31 || !isAscii(value)) {
        add(key, NameBytes.encode(value));
        return "";
      }
      return value;
    }

    int id(String key, int value) {
      long unsigned = Integer.toUnsignedLong(value);
      if (unsigned > MAX_ID) {
        add(key, Long.toString(unsigned).getBytes(StandardCharsets.US_ASCII));
        return 0;
      }
      return value;
    }

    /**
     * The seconds for the ustar field; a record when the time has nanoseconds or is out of range.
     */
    long mtime(long nanos) {
      long sec = Math.floorDiv(nanos, 1_000_000_000L);
      long frac = Math.floorMod(nanos, 1_000_000_000L);
      if (clampSeconds != null && sec >= clampSeconds) {
        if (sec > clampSeconds || frac != 0) {
          sec = clampSeconds;
          frac = 0;
        }
      }
      if (frac != 0 || sec < 0 || sec > MAX_OCTAL_11) {
        add("mtime", formatTime(sec, frac).getBytes(StandardCharsets.US_ASCII));
      }
      return Math.max(0, Math.min(sec, MAX_OCTAL_11));
    }

    void add(String key, byte[] value) {
      byte[] k = key.getBytes(StandardCharsets.UTF_8);
      int base = k.length + value.length + 3;
      int len = base + Integer.toString(base).length();
      if (Integer.toString(len).length() != Integer.toString(base).length()) {
        len = base + Integer.toString(len).length();
      }
      records.writeBytes((len + " ").getBytes(StandardCharsets.US_ASCII));
      records.writeBytes(k);
      records.write('=');
      records.writeBytes(value);
      records.write('\n');
    }

    void writeTo(TarArchiveOutputStream tar, String entryName) throws IOException {
      if (records.size() == 0) {
        return;
      }
      String headerName = asciiStandIn("PaxHeaders/" + entryName, 100);
      TarArchiveEntry x =
          new TarArchiveEntry(headerName, TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
      x.setSize(records.size());
      x.setMode(0644);
      x.setUserName("");
      x.setGroupName("");
      x.setLastModifiedTime(FileTime.from(0, java.util.concurrent.TimeUnit.SECONDS));
      tar.putArchiveEntry(x);
      tar.write(records.toByteArray());
      tar.closeArchiveEntry();
    }
  }

  /** Go and POSIX write negative times with a fraction as "-S.F", meaning -(S.F). */
  static String formatTime(long sec, long frac) {
    String sign = "";
    if (sec < 0 && frac != 0) {
      sign = "-";
      sec = -(sec + 1);
      frac = 1_000_000_000L - frac;
    } else if (sec < 0) {
      sign = "-";
      sec = -sec;
    }
    if (frac == 0) {
      return sign + sec;
    }
    String f = String.format("%09d", frac).replaceAll("0+$", "");
    return sign + sec + "." + f;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x80 || c == 0) {
        return false;
      }
    }
    return true;
  }

  /** An ASCII prefix of {@code s} of at most {@code max} bytes, for a field a record overrides. */
  private static String asciiStandIn(String s, int max) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < max; i++) {
      char c = s.charAt(i);
      b.append(c < 0x80 && c != 0 ? c : '_');
    }
    return b.toString();
  }
}
