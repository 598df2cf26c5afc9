package io.layerfs.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Compares two directory trees, on any two file systems, attribute by attribute, without following
 * symbolic links; returns every difference as path + attribute + both values, so a failing test
 * prints exactly what differs. The expected tree is typically what {@code umoci unpack} wrote to
 * the host, the actual one the layerfs view of the same image.
 *
 * <h2>What is compared</h2>
 *
 * For every path present in either tree: presence; type (file, directory, symlink, fifo, char or
 * block device, socket: from the {@code S_IFMT} bits of {@code unix:mode}, or from the basic view
 * where the {@code unix} view is missing); permissions with setuid/setgid/sticky ({@code unix:mode
 * & 07777}; only the nine POSIX bits when a side lacks the {@code unix} view); {@code unix:uid} and
 * {@code unix:gid}; owner and group names (optional, see below); mtime in whole seconds; size of
 * regular files and symlinks; content byte by byte (the first differing offset is reported);
 * symlink targets; {@code unix:rdev} of devices (shown as major:minor); {@code unix:nlink} of
 * everything but directories (a directory's link count is a property of the host file system's
 * subdirectory bookkeeping, not of the image); user extended attributes of files and directories
 * when both sides offer {@link UserDefinedFileAttributeView}. A missing view on the actual side is
 * reported once per comparison, not once per file. A read that fails is a difference too.
 *
 * <h2>How {@code umoci unpack} (0.4.7) lays out a rootfs: findings for layerfs to match</h2>
 *
 * Found by building images with umoci repack, GNU tar and {@code umoci raw add-layer}, unpacking
 * them and reading the tars ({@code UmociImages} builds exactly these cases).
 *
 * <ul>
 *   <li><b>Root directory.</b> {@code umoci repack} writes a {@code ./} entry in every layer; its
 *       mode, owner and mtime become the rootfs directory's. An image with no layers unpacks to a
 *       root of mode 0755, uid/gid 0 and mtime 0 (the epoch).
 *   <li><b>Directory mtimes are preserved.</b> umoci sets each entry's mtime after writing it and,
 *       after every entry, restores the mtime its parent directory had before that entry, so
 *       adding, replacing or whiting out children does not disturb a directory's recorded mtime.
 *       A directory without an entry in a layer keeps the mtime of the layer that last had one,
 *       even when that layer's whiteouts or an opaque marker emptied it.
 *   <li><b>Implicit parent directories</b> (a tar with {@code a/b/file} but no {@code a/} or
 *       {@code a/b/}) are created with mode 0755, uid/gid 0 and the <em>time of the unpack</em>
 *       as mtime. The directory an implicit directory is created in also gets the time of the
 *       unpack, unless that layer has an entry for it. Those mtimes are not reproducible, so a
 *       comparison must skip them ({@link Builder#ignoreMtime}); layerfs must still report mode
 *       0755 and uid/gid 0 for such directories.
 *   <li><b>Hard links</b> become real hard links on the host: {@code unix:nlink} counts the names
 *       of the file within the merged tree, and all of them report the same attributes (those of
 *       the entry the link points to). A later layer that rewrites one of the names writes a new
 *       regular file for it (the link is broken), so the counts of both drop.
 *   <li><b>Device nodes and fifos</b> are created with mknod (as root), with the tar's mode,
 *       owner, mtime and major/minor; {@code unix:rdev} uses the Linux/glibc {@code makedev}
 *       encoding. Device sizes are 0.
 *   <li><b>Owner names are not in umoci's tars</b>: umoci writes uid/gid with empty uname/gname,
 *       and the host resolves names of the unpacked rootfs against the host's own user database,
 *       which has nothing to do with the image. Comparisons against a host unpack therefore skip
 *       names ({@link Builder#ignoreOwnerNames}); uid and gid are compared.
 *   <li><b>Extended attributes</b> of files and directories are stored as PAX {@code
 *       SCHILY.xattr.*} records and restored on unpack (user.* ones seen through the user view).
 *   <li><b>Whiteouts from umoci repack</b>: umoci diffs the bundle against its mtree manifest, so
 *       a directory that is removed and re-created becomes one {@code .wh.NAME} per vanished child,
 *       never an opaque marker; type changes (file to directory, file to symlink, symlink to
 *       directory) are a plain new entry without a whiteout. A directory with children turned
 *       into a file is the file's entry <em>followed by whiteouts under it</em> ({@code
 *       dir-to-file} then {@code dir-to-file/.wh.x}): layerfs must accept whiteouts whose parent
 *       is, in that same layer, not a directory. Whiteout entries have mode 0 and mtime 0. A
 *       file rewritten in place that has other names is one regular entry plus hard-link
 *       entries for the other names, in the same layer. Opaque markers come only from
 *       hand-made layers; umoci unpack honours them wherever they sit in the tar, also after a
 *       sibling added by the same layer (the sibling stays).
 *   <li><b>skopeo 1.9</b> labels the uncompressed layers of a docker-archive converted with {@code
 *       --dest-oci-accept-uncompressed-layers} as {@code tar+gzip}: the media type lies, so layerfs
 *       must detect compression from the data, as containerd does.
 * </ul>
 *
 * <p>Not thread-safe; one instance per comparison is cheap.
 */
final class TreeComparison {

  /** One attribute of one path that differs between the trees. */
  record Difference(String path, String attribute, String expected, String actual) {
    @Override
    public String toString() {
      return path + ": " + attribute + ": expected " + expected + ", actual " + actual;
    }
  }

  /** Options; the defaults compare everything. */
  static final class Builder {
    private boolean ownerNames = true;
    private boolean xattrs = true;
    private Predicate<String> ignoreMtime = path -> false;
    private Predicate<String> ignoreNlink = path -> false;

    private Builder() {}

    /** Skips owner and group names (uids and gids are still compared). */
    Builder ignoreOwnerNames() {
      ownerNames = false;
      return this;
    }

    /** Skips user extended attributes. */
    Builder ignoreXattrs() {
      xattrs = false;
      return this;
    }

    /** Skips the mtime of the paths ("/", "/a/b") the predicate accepts; adds to earlier calls. */
    Builder ignoreMtime(Predicate<String> paths) {
      ignoreMtime = ignoreMtime.or(paths);
      return this;
    }

    /** Skips the link count of the paths the predicate accepts; adds to earlier calls. */
    Builder ignoreNlink(Predicate<String> paths) {
      ignoreNlink = ignoreNlink.or(paths);
      return this;
    }

    TreeComparison build() {
      return new TreeComparison(this);
    }
  }

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final int BUFFER = 64 * 1024;

  private final boolean ownerNames;
  private final boolean xattrs;
  private final Predicate<String> ignoreMtime;
  private final Predicate<String> ignoreNlink;
  private final List<Difference> differences = new ArrayList<>();
  // a view missing on the actual side is reported once, not for every path
  private final Set<String> reportedMissingViews = new TreeSet<>();

  private TreeComparison(Builder builder) {
    this.ownerNames = builder.ownerNames;
    this.xattrs = builder.xattrs;
    this.ignoreMtime = builder.ignoreMtime;
    this.ignoreNlink = builder.ignoreNlink;
  }

  static Builder builder() {
    return new Builder();
  }

  /** Compares with all options at their defaults. */
  static List<Difference> compare(Path expectedRoot, Path actualRoot) {
    return builder().build().run(expectedRoot, actualRoot);
  }

  /** One line per difference, for assertion messages. */
  static String describe(List<Difference> differences) {
    StringBuilder text = new StringBuilder();
    text.append(differences.size()).append(" difference(s):");
    for (Difference d : differences) {
      text.append("\n  ").append(d);
    }
    return text.toString();
  }

  /** Walks both trees from their roots; returns the differences in path order. */
  List<Difference> run(Path expectedRoot, Path actualRoot) {
    differences.clear();
    reportedMissingViews.clear();
    Deque<String> pending = new ArrayDeque<>();
    pending.push("/");
    while (!pending.isEmpty()) {
      String path = pending.pop();
      Path expected = resolve(expectedRoot, path);
      Path actual = resolve(actualRoot, path);
      Entry e = read("expected", path, expected);
      Entry a = read("actual", path, actual);
      if (e == null || a == null) {
        continue;
      }
      if (!compareEntries(path, expected, e, actual, a)) {
        continue;
      }
      if (e.kind == Kind.DIRECTORY) {
        List<String> children = compareListings(path, expected, actual);
        // push in reverse so the walk (and the report) runs in name order
        for (int i = children.size() - 1; i >= 0; i--) {
          pending.push(path.equals("/") ? "/" + children.get(i) : path + "/" + children.get(i));
        }
      }
    }
    return List.copyOf(differences);
  }

  /** Returns true when both are directories worth descending into, or the types match. */
  private boolean compareEntries(String path, Path expected, Entry e, Path actual, Entry a) {
    boolean precise = e.unix != null && a.unix != null;
    Kind ek = precise ? e.kind : e.kind.coarse();
    Kind ak = precise ? a.kind : a.kind.coarse();
    if (ek != ak) {
      add(path, "type", ek.label, ak.label);
      return false;
    }
    if (e.unix != null && a.unix == null) {
      missingView(path, "unix");
    }
    if (a.kind.coarse() != a.basicKind) {
      add(path, "type (basic view vs unix:mode)", a.kind.label, a.basicKind.label);
    }

    if (precise) {
      check(path, "mode", octal(e.permissions), octal(a.permissions));
      check(path, "uid", e.unix.get("uid"), a.unix.get("uid"));
      check(path, "gid", e.unix.get("gid"), a.unix.get("gid"));
      if (e.kind != Kind.DIRECTORY && !ignoreNlink.test(path)) {
        check(path, "nlink", e.unix.get("nlink"), a.unix.get("nlink"));
      }
      if (e.kind == Kind.CHAR_DEVICE || e.kind == Kind.BLOCK_DEVICE) {
        check(path, "rdev", device(e.unix.get("rdev")), device(a.unix.get("rdev")));
      }
    } else {
      check(path, "mode", octal(e.permissions & 0777), octal(a.permissions & 0777));
    }
    if (ownerNames && e.posix != null) {
      if (a.posix == null) {
        missingView(path, "posix");
      } else {
        check(path, "owner", e.posix.owner().getName(), a.posix.owner().getName());
        check(path, "group", e.posix.group().getName(), a.posix.group().getName());
      }
    }
    if (!ignoreMtime.test(path)) {
      long es = e.basic.lastModifiedTime().toInstant().getEpochSecond();
      long as = a.basic.lastModifiedTime().toInstant().getEpochSecond();
      if (es != as) {
        add(path, "mtime", es + " (" + e.basic.lastModifiedTime() + ")",
            as + " (" + a.basic.lastModifiedTime() + ")");
      }
    }
    switch (e.kind) {
      case FILE -> {
        if (check(path, "size", e.basic.size(), a.basic.size())) {
          compareContent(path, expected, actual);
        }
        compareXattrs(path, expected, actual);
      }
      case SYMLINK -> {
        check(path, "size", e.basic.size(), a.basic.size());
        check(path, "target", target("expected", path, expected), target("actual", path, actual));
      }
      case DIRECTORY -> compareXattrs(path, expected, actual);
      default -> {}
    }
    return true;
  }

  private List<String> compareListings(String path, Path expected, Path actual) {
    TreeSet<String> e = list("expected", path, expected);
    TreeSet<String> a = list("actual", path, actual);
    if (e == null || a == null) {
      return List.of();
    }
    List<String> both = new ArrayList<>();
    TreeSet<String> all = new TreeSet<>(e);
    all.addAll(a);
    for (String name : all) {
      String child = path.equals("/") ? "/" + name : path + "/" + name;
      if (!a.contains(name)) {
        add(child, "presence", "present", "absent");
      } else if (!e.contains(name)) {
        add(child, "presence", "absent", "present");
      } else {
        both.add(name);
      }
    }
    return both;
  }

  private TreeSet<String> list(String side, String path, Path dir) {
    TreeSet<String> names = new TreeSet<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path child : stream) {
        names.add(child.getFileName().toString());
      }
      return names;
    } catch (IOException | RuntimeException e) {
      failedRead(side, path, "listing", e);
      return null;
    }
  }

  private void compareContent(String path, Path expected, Path actual) {
    try (InputStream e = Files.newInputStream(expected);
        InputStream a = Files.newInputStream(actual)) {
      byte[] eb = new byte[BUFFER];
      byte[] ab = new byte[BUFFER];
      long offset = 0;
      while (true) {
        int en = e.readNBytes(eb, 0, BUFFER);
        int an = a.readNBytes(ab, 0, BUFFER);
        int mismatch = Arrays.mismatch(eb, 0, en, ab, 0, an);
        if (mismatch >= 0) {
          add(path, "content", at(eb, en, mismatch, offset), at(ab, an, mismatch, offset));
          return;
        }
        if (en < BUFFER) {
          return;
        }
        offset += en;
      }
    } catch (IOException | RuntimeException ex) {
      add(path, "content", "readable", "read failed: " + ex);
    }
  }

  private static String at(byte[] buffer, int length, int index, long offset) {
    long position = offset + index;
    if (index >= length) {
      return "end of data at offset " + position;
    }
    return String.format("byte 0x%02x at offset %d", buffer[index] & 0xff, position);
  }

  private void compareXattrs(String path, Path expected, Path actual) {
    if (!xattrs) {
      return;
    }
    Map<String, String> e = userXattrs(expected);
    if (e == null) {
      return; // the host file system holding the expected tree has no user xattrs
    }
    Map<String, String> a = userXattrs(actual);
    if (a == null) {
      missingView(path, "user");
      return;
    }
    Set<String> names = new TreeSet<>(e.keySet());
    names.addAll(a.keySet());
    for (String name : names) {
      check(path, "xattr user." + name, e.getOrDefault(name, "(none)"),
          a.getOrDefault(name, "(none)"));
    }
  }

  /** Name to hex value; null when the file system does not support user xattrs. */
  private static Map<String, String> userXattrs(Path file) {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(file, UserDefinedFileAttributeView.class, NOFOLLOW);
    if (view == null) {
      return null;
    }
    Map<String, String> values = new TreeMap<>();
    try {
      for (String name : view.list()) {
        ByteBuffer buffer = ByteBuffer.allocate(view.size(name));
        view.read(name, buffer);
        values.put(name, HexFormat.of().formatHex(buffer.array(), 0, buffer.position()));
      }
      return values;
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  private String target(String side, String path, Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException | RuntimeException e) {
      failedRead(side, path, "target", e);
      return "(unreadable)";
    }
  }

  private Entry read(String side, String path, Path file) {
    BasicFileAttributes basic;
    try {
      basic = Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW);
    } catch (IOException | RuntimeException e) {
      failedRead(side, path, "attributes", e);
      return null;
    }
    Map<String, Object> unix;
    try {
      unix = Files.readAttributes(file, "unix:*", NOFOLLOW);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      unix = null;
    } catch (IOException e) {
      failedRead(side, path, "unix:*", e);
      unix = null;
    }
    PosixFileAttributes posix;
    try {
      posix = Files.readAttributes(file, PosixFileAttributes.class, NOFOLLOW);
    } catch (UnsupportedOperationException e) {
      posix = null;
    } catch (IOException e) {
      failedRead(side, path, "posix attributes", e);
      posix = null;
    }
    return new Entry(basic, unix, posix);
  }

  private void failedRead(String side, String path, String what, Exception e) {
    if (side.equals("expected")) {
      add(path, what, "read failed: " + e, "(not compared)");
    } else {
      add(path, what, "readable", "read failed: " + e);
    }
  }

  private void missingView(String path, String view) {
    if (reportedMissingViews.add(view)) {
      add(path, "attribute view '" + view + "'", "supported", "not supported (first seen here)");
    }
  }

  private boolean check(String path, String attribute, Object expected, Object actual) {
    if (String.valueOf(expected).equals(String.valueOf(actual))) {
      return true;
    }
    add(path, attribute, String.valueOf(expected), String.valueOf(actual));
    return false;
  }

  private void add(String path, String attribute, String expected, String actual) {
    differences.add(new Difference(path, attribute, expected, actual));
  }

  private static Path resolve(Path root, String path) {
    Path result = root;
    for (String name : path.split("/")) {
      if (!name.isEmpty()) {
        result = result.resolve(name);
      }
    }
    return result;
  }

  private static String octal(int mode) {
    return String.format("%04o", mode);
  }

  /** Linux rdev as major:minor (glibc's gnu_dev_major/gnu_dev_minor). */
  private static String device(Object rdev) {
    if (!(rdev instanceof Long value)) {
      return String.valueOf(rdev);
    }
    long major = ((value >>> 8) & 0xfff) | ((value >>> 32) & ~0xfffL);
    long minor = (value & 0xff) | ((value >>> 12) & ~0xffL);
    return major + ":" + minor;
  }

  /** File types, precise (from S_IFMT) and coarse (what BasicFileAttributes can tell). */
  private enum Kind {
    FILE("regular file"),
    DIRECTORY("directory"),
    SYMLINK("symbolic link"),
    FIFO("fifo"),
    CHAR_DEVICE("character device"),
    BLOCK_DEVICE("block device"),
    SOCKET("socket"),
    OTHER("other (not file, directory or symlink)");

    final String label;

    Kind(String label) {
      this.label = label;
    }

    Kind coarse() {
      return switch (this) {
        case FILE, DIRECTORY, SYMLINK -> this;
        default -> OTHER;
      };
    }

    static Kind of(int mode) {
      return switch (mode & 0170000) {
        case 0100000 -> FILE;
        case 0040000 -> DIRECTORY;
        case 0120000 -> SYMLINK;
        case 0010000 -> FIFO;
        case 0020000 -> CHAR_DEVICE;
        case 0060000 -> BLOCK_DEVICE;
        case 0140000 -> SOCKET;
        default -> OTHER;
      };
    }

    static Kind of(BasicFileAttributes basic) {
      if (basic.isSymbolicLink()) {
        return SYMLINK;
      } else if (basic.isDirectory()) {
        return DIRECTORY;
      } else if (basic.isRegularFile()) {
        return FILE;
      }
      return OTHER;
    }
  }

  /** The attributes of one path on one side. */
  private static final class Entry {
    final BasicFileAttributes basic;
    final Map<String, Object> unix; // null: no unix view
    final PosixFileAttributes posix; // null: no posix view
    final Kind basicKind;
    final Kind kind;
    final int permissions;

    Entry(BasicFileAttributes basic, Map<String, Object> unix, PosixFileAttributes posix) {
      this.basic = basic;
      this.unix = unix;
      this.posix = posix;
      this.basicKind = Kind.of(basic);
      if (unix != null && unix.get("mode") instanceof Integer mode) {
        this.kind = Kind.of(mode);
        this.permissions = mode & 07777;
      } else {
        this.kind = basicKind;
        this.permissions = posix == null ? 0 : bits(posix.permissions());
      }
    }

    private static int bits(Set<PosixFilePermission> permissions) {
      int bits = 0;
      for (PosixFilePermission p : permissions) {
        bits |= 0400 >> p.ordinal();
      }
      return bits;
    }
  }
}
