package io.layerfs.provider.contract;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The NIO operations of the container differential test, as values: each runs on a root (the
 * layerfs container's {@code /} or a host directory) against a relative path, and its {@code
 * toString()} is the NIO call it makes, so a shrunk failing sequence reads as a program.
 *
 * <p>{@link #outcome} turns a run into one comparable string: {@code ok <value>} or {@code ex
 * <exception class>}. Values are normalized so that equal behaviour gives equal strings: mtimes
 * later than {@link #RECENT} (set by the clock while the test runs, on each side at a slightly
 * different instant) read {@code recent}; earlier ones (from the images and from {@link Touch},
 * which only uses earlier instants) are compared to the nanosecond.
 *
 * <p>{@link HostGuard} keeps the host side inside its directory: an operation whose path would,
 * on the host, follow an absolute symbolic link or climb above the root (both of which a chroot
 * view keeps inside, and the host does not) is not run on either side.
 */
final class ContainerOps {
  /** 2021-01-01T00:00:00Z: later than every mtime in the fixtures, earlier than any test run. */
  static final long RECENT = 1_609_459_200L;

  private ContainerOps() {}

  /** One operation on a tree. */
  interface Op {
    /** Runs on {@code root}; returns the value to compare (or throws). */
    String apply(Path root) throws Exception;

    /** The paths it names, each with whether the last component is followed. */
    List<Arg> args();
  }

  /** A path argument of an operation: relative, and whether its last symlink is followed. */
  record Arg(String path, boolean follow) {}

  /** An operation on one path, its last symbolic link followed. */
  interface OnPath extends Op {
    String path();

    @Override
    default List<Arg> args() {
      return List.of(new Arg(path(), true));
    }
  }

  /** Runs {@code op} on {@code root}: {@code ok VALUE} or {@code ex CLASS}. */
  static String outcome(Op op, Path root) {
    return outcome(op, root, new StringBuilder());
  }

  /**
   * As {@link #outcome(Op, Path)}; an exception's message (which names paths each tree's own
   * way, so it is not compared) goes to {@code message}, for a failure to show.
   */
  static String outcome(Op op, Path root, StringBuilder message) {
    try {
      return "ok " + op.apply(root);
    } catch (Exception e) {
      message.append(e.getMessage());
      Class<?> type = Checks.apiType(e);
      // a plain FileSystemException says what failed only in its reason (Linux's strerror)
      return type == FileSystemException.class
          ? "ex " + type.getName() + ": " + ((FileSystemException) e).getReason()
          : "ex " + type.getName();
    }
  }

  /** Deterministic bytes, not periodic at small powers of two, shown as {@code data(n, seed)}. */
  record Data(int size, int seed) {
    byte[] bytes() {
      byte[] b = new byte[size];
      for (int i = 0; i < size; i++) {
        b[i] = (byte) (i * 31 + (i >>> 7) * 7 + seed * 101 + 1);
      }
      return b;
    }

    @Override
    public String toString() {
      return "data(" + size + ", " + seed + ")";
    }
  }

  static String q(String path) {
    return "p(\"" + path + "\")";
  }

  static String opts(Collection<?> options) {
    return options.stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
  }

  // ---------------------------------------------------------------- writes

  /** {@code Files.write(p, data, options...)}. */
  record Write(String path, Data data, List<OpenOption> options) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      Files.write(root.resolve(path), data.bytes(), options.toArray(OpenOption[]::new));
      return "";
    }

    @Override
    public String toString() {
      return "Files.write(" + q(path) + ", " + data
          + (options.isEmpty() ? "" : ", " + opts(options)) + ")";
    }
  }

  /**
   * A positional write through {@code Files.newByteChannel} ({@code position(pos)}, {@code
   * write}) or {@code FileChannel.open} ({@code write(buf, pos)}, then {@code force(true)}).
   */
  record ChannelWrite(String path, boolean fileChannel, List<OpenOption> options, long position,
      Data data) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      Path p = root.resolve(path);
      ByteBuffer buffer = ByteBuffer.wrap(data.bytes());
      if (fileChannel) {
        try (FileChannel ch = FileChannel.open(p, options.toArray(OpenOption[]::new))) {
          int n = ch.write(buffer, position);
          ch.force(true);
          return n + " size=" + ch.size() + " pos=" + ch.position();
        }
      }
      try (SeekableByteChannel ch = Files.newByteChannel(p, options.toArray(OpenOption[]::new))) {
        ch.position(position);
        int n = ch.write(buffer);
        return n + " size=" + ch.size() + " pos=" + ch.position();
      }
    }

    @Override
    public String toString() {
      return fileChannel
          ? "FileChannel.open(" + q(path) + ", " + opts(options) + ").write(" + data + ", "
              + position + "); force(true)"
          : "Files.newByteChannel(" + q(path) + ", " + opts(options) + ").position(" + position
              + ").write(" + data + ")";
    }
  }

  /**
   * {@code FileChannel.map}: {@code data} written through a read-write mapping at {@code
   * position} (which grows the file to its end), or, without data, the whole file read through
   * a read-only one.
   */
  record MapFile(String path, long position, Data dataOrNull) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      Path p = root.resolve(path);
      if (dataOrNull == null) {
        try (FileChannel ch = FileChannel.open(p)) {
          MappedByteBuffer buffer = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
          byte[] bytes = new byte[buffer.remaining()];
          buffer.get(bytes);
          return describe(bytes);
        }
      }
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        MappedByteBuffer buffer =
            ch.map(FileChannel.MapMode.READ_WRITE, position, dataOrNull.size());
        buffer.put(dataOrNull.bytes());
        buffer.force();
        return "size=" + ch.size();
      }
    }

    @Override
    public String toString() {
      return dataOrNull == null
          ? "FileChannel.open(" + q(path) + ").map(READ_ONLY, 0, size) read whole"
          : "FileChannel.open(" + q(path) + ", READ, WRITE).map(READ_WRITE, " + position + ", "
              + dataOrNull.size() + ").put(" + dataOrNull + "); force()";
    }
  }

  /** {@code FileChannel.open(p, WRITE).truncate(size)}. */
  record Truncate(String path, long size) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      try (FileChannel ch = FileChannel.open(root.resolve(path),
          java.nio.file.StandardOpenOption.WRITE)) {
        ch.truncate(size);
        return "size=" + ch.size() + " pos=" + ch.position();
      }
    }

    @Override
    public String toString() {
      return "FileChannel.open(" + q(path) + ", WRITE).truncate(" + size + ")";
    }
  }

  /** {@code Files.delete(p)}. */
  record Delete(String path) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      Files.delete(root.resolve(path));
      return "";
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(path, false));
    }

    @Override
    public String toString() {
      return "Files.delete(" + q(path) + ")";
    }
  }

  /** {@code Files.deleteIfExists(p)}: whether it deleted. */
  record DeleteIfExists(String path) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      return String.valueOf(Files.deleteIfExists(root.resolve(path)));
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(path, false));
    }

    @Override
    public String toString() {
      return "Files.deleteIfExists(" + q(path) + ")";
    }
  }

  /** {@code Files.copy(InputStream, target[, REPLACE_EXISTING])}: the bytes copied. */
  record CopyIn(String path, Data data, boolean replace) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      try (InputStream in = new ByteArrayInputStream(data.bytes())) {
        return String.valueOf(replace
            ? Files.copy(in, root.resolve(path), StandardCopyOption.REPLACE_EXISTING)
            : Files.copy(in, root.resolve(path)));
      }
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(path, false));
    }

    @Override
    public String toString() {
      return "Files.copy(in(" + data + "), " + q(path) + (replace ? ", REPLACE_EXISTING" : "")
          + ")";
    }
  }

  /** {@code Files.move(source, target, options...)}. */
  record Move(String source, String target, List<CopyOption> options) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      Files.move(root.resolve(source), root.resolve(target), options.toArray(CopyOption[]::new));
      return "";
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(source, false), new Arg(target, false));
    }

    @Override
    public String toString() {
      return "Files.move(" + q(source) + ", " + q(target)
          + (options.isEmpty() ? "" : ", " + opts(options)) + ")";
    }
  }

  /** {@code Files.copy(source, target, options...)}. */
  record Copy(String source, String target, List<CopyOption> options) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      Files.copy(root.resolve(source), root.resolve(target), options.toArray(CopyOption[]::new));
      return "";
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(source, !options.contains(LinkOption.NOFOLLOW_LINKS)),
          new Arg(target, false));
    }

    @Override
    public String toString() {
      return "Files.copy(" + q(source) + ", " + q(target)
          + (options.isEmpty() ? "" : ", " + opts(options)) + ")";
    }
  }

  /** {@code Files.createDirectory(p)}. */
  record Mkdir(String path) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      Files.createDirectory(root.resolve(path));
      return "";
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(path, false));
    }

    @Override
    public String toString() {
      return "Files.createDirectory(" + q(path) + ")";
    }
  }

  /** {@code Files.createSymbolicLink(link, target)}; the target is a string of link's system. */
  record Symlink(String link, String target) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      Path p = root.resolve(link);
      Files.createSymbolicLink(p, p.getFileSystem().getPath(target));
      return "";
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(link, false));
    }

    @Override
    public String toString() {
      return "Files.createSymbolicLink(" + q(link) + ", \"" + target + "\")";
    }
  }

  /** {@code Files.createLink(link, existing)}: a hard link. */
  record HardLink(String link, String existing) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      Files.createLink(root.resolve(link), root.resolve(existing));
      return "";
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(link, false), new Arg(existing, true));
    }

    @Override
    public String toString() {
      return "Files.createLink(" + q(link) + ", " + q(existing) + ")";
    }
  }

  /** {@code Files.setPosixFilePermissions(p, perms)}. */
  record Chmod(String path, int bits) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      Files.setPosixFilePermissions(root.resolve(path), Checks.perms(bits));
      return "";
    }

    @Override
    public String toString() {
      return "Files.setPosixFilePermissions(" + q(path) + ", 0" + Integer.toOctalString(bits)
          + ")";
    }
  }

  /** {@code Files.setLastModifiedTime(p, t)} with a t before {@link #RECENT}, in microseconds. */
  record Touch(String path, long micros) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      Files.setLastModifiedTime(root.resolve(path), FileTime.from(micros, TimeUnit.MICROSECONDS));
      return "";
    }

    @Override
    public String toString() {
      return "Files.setLastModifiedTime(" + q(path) + ", "
          + FileTime.from(micros, TimeUnit.MICROSECONDS) + ")";
    }
  }

  /** {@code Files.setAttribute(p, "unix:uid" or "unix:gid", id)}. */
  record Chown(String path, boolean group, int id) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      Files.setAttribute(root.resolve(path), group ? "unix:gid" : "unix:uid", id);
      return "";
    }

    @Override
    public String toString() {
      return "Files.setAttribute(" + q(path) + ", \"unix:" + (group ? "gid" : "uid") + "\", "
          + id + ")";
    }
  }

  /** {@code UserDefinedFileAttributeView.write(name, data)}, or {@code delete(name)}. */
  record Xattr(String path, String name, Data dataOrNull) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      UserDefinedFileAttributeView view =
          Files.getFileAttributeView(root.resolve(path), UserDefinedFileAttributeView.class);
      if (dataOrNull == null) {
        view.delete(name);
        return "";
      }
      return Integer.toString(view.write(name, ByteBuffer.wrap(dataOrNull.bytes())));
    }

    @Override
    public String toString() {
      return "userView(" + q(path) + ")."
          + (dataOrNull == null ? "delete(\"" + name + "\")"
              : "write(\"" + name + "\", " + dataOrNull + ")");
    }
  }

  // ---------------------------------------------------------------- reads

  /** {@code UserDefinedFileAttributeView.list()} and each value. */
  record ListXattrs(String path) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      return xattrs(root.resolve(path)).toString();
    }

    @Override
    public String toString() {
      return "userView(" + q(path) + ").list() and read(each)";
    }
  }

  /** {@code Files.list(p)}: the sorted names. */
  record ListDir(String path) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      try (Stream<Path> s = Files.list(root.resolve(path))) {
        return s.map(c -> c.getFileName().toString()).sorted().toList().toString();
      }
    }

    @Override
    public String toString() {
      return "Files.list(" + q(path) + ") (sorted names)";
    }
  }

  /** {@code Files.readAttributes(p, "unix:...", [NOFOLLOW_LINKS])}, shown as {@link #stat}. */
  record Stat(String path, boolean follow) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      return stat(root.resolve(path), follow);
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(path, follow));
    }

    @Override
    public String toString() {
      return "Files.readAttributes(" + q(path) + ", \"unix:*\"" + (follow ? "" : ", NOFOLLOW_LINKS")
          + ")";
    }
  }

  /**
   * {@code op}, then whether the file now at {@code after} has the file key ({@code st_ino}) the
   * file at {@code before} had before it ({@code none} when either has no key to read; {@code
   * follow}: the last link of both followed): overlayfs keeps an image file's inode across its
   * copy-up unless the image links it under another name too.
   */
  record KeyAcross(String before, Op op, String after, boolean follow) implements Op {
    @Override
    public String apply(Path root) throws Exception {
      Object key = key(root.resolve(before));
      String result = outcome(op, root);
      Object now = key(root.resolve(after));
      return result + (key == null || now == null ? " key none"
          : key.equals(now) ? " key kept" : " key changed");
    }

    private Object key(Path p) {
      try {
        return Files.readAttributes(p, BasicFileAttributes.class,
            follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS}).fileKey();
      } catch (IOException e) {
        return null;
      }
    }

    @Override
    public List<Arg> args() {
      List<Arg> args = new ArrayList<>(op.args());
      args.add(new Arg(before, follow));
      args.add(new Arg(after, follow));
      return args;
    }

    @Override
    public String toString() {
      return "key of " + q(before) + "; " + op + "; key of " + q(after)
          + (follow ? "" : " (NOFOLLOW_LINKS)");
    }
  }

  /** {@code Files.readSymbolicLink(p)}. */
  record Readlink(String path) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      return Files.readSymbolicLink(root.resolve(path)).toString();
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(path, false));
    }

    @Override
    public String toString() {
      return "Files.readSymbolicLink(" + q(path) + ")";
    }
  }

  /**
   * {@code p.toRealPath([NOFOLLOW_LINKS])}, relative to the root's own real path: not followed,
   * {@code ..} after a link is kept and other {@code ..} taken lexically, as the JDK does.
   */
  record RealPath(String path, boolean follow) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      String real = (follow ? root.resolve(path).toRealPath()
          : root.resolve(path).toRealPath(LinkOption.NOFOLLOW_LINKS)).toString();
      // by text: relativize would take the ".." out that NOFOLLOW_LINKS keeps
      String base = root.toRealPath().toString();
      base = base.endsWith("/") ? base : base + "/";
      return real.equals(root.toRealPath().toString()) ? ""
          : real.startsWith(base) ? real.substring(base.length()) : "outside " + real;
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(path, follow));
    }

    @Override
    public String toString() {
      return q(path) + ".toRealPath(" + (follow ? "" : "NOFOLLOW_LINKS") + ")";
    }
  }

  /**
   * {@code Files.createDirectories(p)}: {@code mkdir -p}; a directory there, or a link to one,
   * is kept.
   */
  record Mkdirs(String path) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      Files.createDirectories(root.resolve(path));
      return "";
    }

    @Override
    public String toString() {
      return "Files.createDirectories(" + q(path) + ")";
    }
  }

  /** {@code provider.checkAccess(p, mode)}: as root, as the tests run. */
  record Access(String path, AccessMode mode) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      Path p = root.resolve(path);
      p.getFileSystem().provider().checkAccess(p, mode);
      return "";
    }

    @Override
    public String toString() {
      return "checkAccess(" + q(path) + ", " + mode + ")";
    }
  }

  /** {@code Files.newDirectoryStream(dir, glob)}: the sorted names. */
  record Glob(String path, String glob) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      List<String> names = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(root.resolve(path), glob)) {
        s.forEach(c -> names.add(c.getFileName().toString()));
      }
      return names.stream().sorted().toList().toString();
    }

    @Override
    public String toString() {
      return "Files.newDirectoryStream(" + q(path) + ", \"" + glob + "\") (sorted names)";
    }
  }

  /** {@code Files.isSameFile(a, b)}: both followed, as the JDK compares what they lead to. */
  record SameFile(String path, String other) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      return String.valueOf(Files.isSameFile(root.resolve(path), root.resolve(other)));
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(path, true), new Arg(other, true));
    }

    @Override
    public String toString() {
      return "Files.isSameFile(" + q(path) + ", " + q(other) + ")";
    }
  }

  /** {@code Files.readAllBytes(p)}: length and a digest. */
  record ReadAll(String path) implements OnPath {
    @Override
    public String apply(Path root) throws IOException {
      return describe(Files.readAllBytes(root.resolve(path)));
    }

    @Override
    public String toString() {
      return "Files.readAllBytes(" + q(path) + ")";
    }
  }

  // ---------------------------------------------------------------- shared helpers

  /** Length plus a digest of the bytes; the bytes themselves when short. */
  static String describe(byte[] bytes) {
    if (bytes.length <= 16) {
      return bytes.length + ":" + HexFormat.of().formatHex(bytes);
    }
    return bytes.length + ":#" + Integer.toHexString(Arrays.hashCode(bytes));
  }

  /**
   * One line of attributes: type, {@code mode & 07777}, uid, gid, nlink, size (not of
   * directories: that is the host file system's bookkeeping), mtime (regular files only: a
   * directory's mtime on the host also depends on the host file system's rename bookkeeping).
   */
  static String stat(Path p, boolean follow) throws IOException {
    LinkOption[] options =
        follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    Map<String, Object> a =
        Files.readAttributes(p, "unix:mode,uid,gid,nlink,size,lastModifiedTime", options);
    int mode = (Integer) a.get("mode");
    String type = type(mode);
    StringBuilder s = new StringBuilder(type);
    s.append(" mode=").append(Integer.toOctalString(mode & 07777));
    s.append(" uid=").append(a.get("uid")).append(" gid=").append(a.get("gid"));
    s.append(" nlink=").append(a.get("nlink"));
    if (!type.equals("dir")) {
      s.append(" size=").append(a.get("size"));
    }
    if (type.equals("file")) {
      s.append(" mtime=").append(mtime((FileTime) a.get("lastModifiedTime")));
    }
    return s.toString();
  }

  static String type(int mode) {
    return switch (mode & 0170000) {
      case 0100000 -> "file";
      case 0040000 -> "dir";
      case 0120000 -> "symlink";
      case 0010000 -> "fifo";
      case 0020000 -> "chardev";
      case 0060000 -> "blockdev";
      case 0140000 -> "socket";
      default -> "type-" + Integer.toOctalString(mode & 0170000);
    };
  }

  /** {@code recent} for clock-set times, else the exact time. */
  static String mtime(FileTime t) {
    return t.to(TimeUnit.SECONDS) >= RECENT ? "recent" : t.toInstant().toString();
  }

  /** The user xattrs of a file or directory: sorted names and value digests. */
  static List<String> xattrs(Path p) throws IOException {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
    List<String> names = new ArrayList<>(view.list());
    names.sort(null);
    List<String> out = new ArrayList<>();
    for (String name : names) {
      ByteBuffer b = ByteBuffer.allocate(view.size(name));
      view.read(name, b);
      out.add(name + "=" + describe(Arrays.copyOf(b.array(), b.position())));
    }
    return out;
  }
}
