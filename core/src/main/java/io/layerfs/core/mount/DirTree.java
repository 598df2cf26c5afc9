package io.layerfs.core.mount;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.internal.Clock;
import io.layerfs.core.internal.HostNames;
import io.layerfs.core.internal.InJvmLocks;
import io.layerfs.core.internal.PathErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A directory as a {@link FileTree}: a volume's or bind mount's host directory, or a tmpfs's
 * in-memory root. Paths are absolute inside the directory and have no symbolic link among their
 * names ({@link MountedTree} resolved them, in the container's namespace); this class only checks
 * that it stays so. Every name is opened relative to its parent's open directory without
 * following a link ({@link SecureDirectoryStream}: {@code openat} with {@code O_NOFOLLOW} on
 * Linux), starting at the root directory opened once when the mount was made, so a host process
 * that swaps a directory for a link between two calls makes an operation fail, never reach
 * another host path. Where the JDK has no such relative call (creating a directory, a symbolic
 * or hard link, reading a link's target, the set-id bits and owner names of {@code stat}) the
 * path from the root is used, and the result is checked against the relative {@code stat} where
 * that can be done; SECURITY.md names the window left.
 *
 * <p>Thread safety: any number of threads; the root stream's own lock orders its calls.
 */
final class DirTree implements FileTree {
  /**
   * Directories kept open per mount: the paths in use, bounded as each holds two descriptors
   * (the JDK's directory stream keeps a duplicate for reading entries).
   */
  static final int KEPT_OPEN = 32;
  /** Lookups of a file a time change makes while other programs rename files over its name. */
  private static final int SET_TIMES_TRIES = 8;
  private static final String USER = "user.";
  private static final Set<OpenOption> READ_NOFOLLOW =
      Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
  /** The varargs of the relative calls, made once (the JDK only reads them). */
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final Path root;
  private final SecureDirectoryStream<Path> rootStream;
  /** The root as a {@link Dir}: given back, it stays open. */
  private final Dir rootDir;
  /** Directories kept open below the root, so that a path costs a stat per name, not an open. */
  private final OpenDirs dirs = new OpenDirs(KEPT_OPEN);
  /** The default file system's host directory (uids from "unix:uid"), or a tmpfs's root. */
  private final boolean host;
  private final long keyPrefix;
  /** The mount's {@link Node#device}: its file system's index ({@link Devices}), from 1. */
  private final long device;
  /** Closed with the tree (a tmpfs's file system), or null. */
  private final java.io.Closeable owned;
  /** Reads by {@code openat2} below the root (Java 22+ on Linux, a host directory), or null. */
  private final ReadBeneath beneath;
  /**
   * The view of the {@code stat} that checks a kept directory: the host's posix view gives the
   * JDK's attributes as they are, its basic view wraps them; a tmpfs's basic view is Jimfs's
   * lightest.
   */
  private final Class<? extends BasicFileAttributeView> statView;
  /**
   * A named volume's generation counter, which lets a read use the kept directories without a
   * {@code stat} each while no change was made; {@link VolumeGeneration#NONE} for a bind mount
   * or tmpfs (host processes change a bind source by design), which checks every one.
   */
  private final VolumeGeneration generation;
  /** A tmpfs's file locks (Jimfs's are placeholders); null for a host directory. */
  private final InJvmLocks locks;

  private DirTree(Path root, SecureDirectoryStream<Path> rootStream, boolean host, int index,
      Object rootKey, java.io.Closeable owned, VolumeGeneration generation) throws IOException {
    this.root = root;
    this.owned = owned;
    this.generation = generation;
    this.beneath = host ? ReadBeneath.open(root, rootKey) : null;
    this.rootStream = rootStream;
    this.rootDir = new Dir(rootStream);
    this.host = host;
    this.locks = host ? null : new InJvmLocks();
    this.statView = host ? PosixFileAttributeView.class : BasicFileAttributeView.class;
    this.keyPrefix = (long) (index + 1) << 52;
    this.device = index + 1;
  }

  /**
   * Opens {@code dir} (links in it followed once, now, as {@code mount(8)} resolves a source)
   * and keeps it open until {@link #close}.
   *
   * @param devices the container's, which give the tree's file system its device number and
   *     file keys: shared with the other mounts of the same host file system
   * @param owned closed with the tree, or null
   */
  static DirTree open(Path dir, boolean host, Devices devices, java.io.Closeable owned)
      throws IOException {
    return open(dir, host, devices, owned, VolumeGeneration.NONE);
  }

  /**
   * {@link #open(Path, boolean, Devices, java.io.Closeable)} of a named volume's data directory,
   * whose directory changes through layerfs are counted by {@code generation} (closed with the
   * tree, also when this fails).
   */
  static DirTree open(Path dir, boolean host, Devices devices, java.io.Closeable owned,
      VolumeGeneration generation) throws IOException {
    try {
      return openWith(dir, host, devices, owned, generation);
    } catch (IOException | RuntimeException e) {
      generation.close();
      throw e;
    }
  }

  private static DirTree openWith(Path dir, boolean host, Devices devices,
      java.io.Closeable owned, VolumeGeneration generation) throws IOException {
    Path real = dir.toRealPath();
    if (!Files.isDirectory(real)) {
      throw new FileSystemException(dir.toString(), null, "Not a directory");
    }
    DirectoryStream<Path> s = Files.newDirectoryStream(real);
    if (!(s instanceof SecureDirectoryStream<Path> secure)) {
      s.close();
      throw new IOException("mounts need a file system with secure directory streams (openat); "
          + real + " is on " + real.getFileSystem().provider().getScheme() + " without them");
    }
    try {
      // the open root's file key (a host directory's): its device is read by path against it
      Object rootKey = host ? secure.getFileAttributeView(BasicFileAttributeView.class)
          .readAttributes().fileKey() : null;
      int index = host ? devices.of(hostDevice(dir, real, rootKey)) : devices.fresh();
      return new DirTree(real, secure, host, index, rootKey, owned, generation);
    } catch (IOException | RuntimeException e) {
      secure.close();
      throw e;
    }
  }

  Path root() {
    return root;
  }

  /**
   * The host directory {@code absPath} (a path of this tree whose links are resolved) names, for
   * {@link FileTree#hostDirectory}; null for a tmpfs, which no other process reaches.
   */
  Path hostDirectoryOf(String absPath) {
    String path = canonical(absPath);
    return !host ? null : path.length() == 1 ? root : root.resolve(path.substring(1));
  }

  /**
   * The host file system's device number of the open directory whose file key is {@code
   * rootKey}: read by path (the JDK gives it no other way), and only if the path still names
   * that directory.
   */
  private static long hostDevice(Path dir, Path real, Object rootKey) throws IOException {
    Map<String, Object> a = Files.readAttributes(real, "unix:dev,fileKey",
        LinkOption.NOFOLLOW_LINKS);
    if (!java.util.Objects.equals(a.get("fileKey"), rootKey)) {
      throw new FileSystemException(dir.toString(), null, "changed while it was being mounted");
    }
    return (Long) a.get("dev");
  }

  @Override
  public List<Layer> layers() {
    return List.of();
  }

  @Override
  public boolean readOnly() {
    return false;
  }

  // ------------------------------------------------------------------------------ reading

  @Override
  public Node lookup(String absPath, boolean followLast) throws IOException {
    Node node = find(absPath, followLast);
    if (node == null) {
      throw new NoSuchFileException(absPath);
    }
    return node;
  }

  @Override
  public Node find(String absPath, boolean followLast) throws IOException {
    String path = canonical(absPath);
    if (path.length() == 1) {
      return node(absPath, rootStream.getFileAttributeView(PosixFileAttributeView.class)
          .readAttributes(), root);
    }
    int slash = path.lastIndexOf('/');
    try (Dir parent = dir(path, slash)) {
      if (parent == null) {
        return null;
      }
      PosixFileAttributes a;
      try {
        a = parent.stream.getFileAttributeView(lastName(path, slash),
            PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
      } catch (NoSuchFileException e) {
        return null;
      }
      return node(absPath, a, HostNames.resolve(root, path.substring(1)));
    }
  }

  /**
   * Looks {@code names} up one after another below {@code absDir} (a directory, its path free of
   * links), each in the directory the one before opened, without following: one pass where
   * {@link #find} of each prefix would open every directory again. Stops after the first name
   * that is missing (a null in the list), is no directory, or is the last.
   */
  List<Node> walk(String absDir, List<String> names) throws IOException {
    long g = generation.stable(); // before every check below
    List<String> dirNames = names(absDir);
    List<Node> out = new ArrayList<>();
    Dir current = dirOrThrow(absDir, dirNames, dirNames.size());
    String path = dirNames.isEmpty() ? "" : absDir;
    Path host = hostPath(dirNames);
    try {
      for (int i = 0; i < names.size(); i++) {
        String name = names.get(i);
        Path relative = HostNames.name(root.getFileSystem(), name);
        path = path + "/" + name;
        host = host.resolve(relative);
        PosixFileAttributes a;
        try {
          a = current.stream.getFileAttributeView(relative, PosixFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS).readAttributes();
        } catch (NoSuchFileException e) {
          out.add(null);
          break;
        }
        boolean last = i == names.size() - 1;
        out.add(node(path, a, host));
        if (last || !a.isDirectory()) {
          break;
        }
        Dir next = child(current, path, relative, a, null, g);
        current.close();
        current = next;
      }
    } catch (NoSuchFileException e) {
      // a directory renamed away between its stat and its open: ENOENT, as Linux says
      throw new NoSuchFileException(path);
    } catch (FileSystemException e) {
      // a directory swapped for a link (or a file) since it was looked at: ELOOP, ENOTDIR
      throw new FileSystemException(path, null, e.getReason());
    } finally {
      current.close();
    }
    return out;
  }

  /**
   * The child {@code name} of the directory {@code absDir} as listed a moment ago, at {@code
   * fullPath}: one {@code stat} relative to that directory, kept open since the listing opened
   * it, as {@code fts(3)} reads a walk's entries; null when it is no longer kept open (the caller
   * looks the path up the long way) or the name is missing. The directories above it are not
   * checked again: the answer is the listed directory's, wherever a host process moved it since.
   */
  Node listedChild(String absDir, String name, String fullPath) throws IOException {
    String dir = canonical(absDir);
    boolean top = dir.length() == 1; // the root, open for as long as the tree
    OpenDirs.Entry kept = top ? null : dirs.acquire(dir);
    if (!top && kept == null) {
      return null;
    }
    try {
      Path relative = HostNames.name(root.getFileSystem(), name);
      PosixFileAttributes a;
      try {
        a = (top ? rootStream : kept.stream).getFileAttributeView(relative,
            PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
      } catch (NoSuchFileException e) {
        return null;
      }
      return node(fullPath, a, HostNames.resolve(root, top ? name : dir.substring(1) + "/" + name));
    } finally {
      if (kept != null) {
        dirs.release(kept);
      }
    }
  }

  @Override
  public List<String> list(String absDir) throws IOException {
    List<String> names = names(absDir);
    List<String> out = new ArrayList<>();
    try (Dir dir = dirOrThrow(absDir, names, names.size());
        SecureDirectoryStream<Path> s = dir.stream.newDirectoryStream(
            root.getFileSystem().getPath("."), LinkOption.NOFOLLOW_LINKS)) {
      for (Path p : s) {
        out.add(HostNames.of(p.getFileName()));
      }
    }
    Collections.sort(out);
    return out;
  }

  @Override
  public FileHandle open(String absPath, Set<? extends OpenOption> options, int createMode)
      throws IOException {
    String path = canonical(absPath);
    Set<OpenOption> opts = new HashSet<>(options);
    opts.remove(StandardOpenOption.DELETE_ON_CLOSE);
    opts.add(LinkOption.NOFOLLOW_LINKS);
    if (path.length() == 1) {
      throw new FileSystemException(absPath, null, "Is a directory");
    }
    int slash = path.lastIndexOf('/');
    try (Dir parent = dirOrThrow(absPath, path, slash)) {
      Path name = lastName(path, slash);
      boolean create = options.contains(StandardOpenOption.CREATE)
          || options.contains(StandardOpenOption.CREATE_NEW);
      boolean special = host && (createMode & 07000) != 0 && create
          && !exists(parent.stream, name);
      boolean jimfsNew = !host && create && !exists(parent.stream, name);
      SeekableByteChannel ch;
      try {
        ch = parent.stream.newByteChannel(name, opts,
            PosixFilePermissions.asFileAttribute(permissions(createMode)));
      } catch (FileSystemException e) {
        if (!host && !options.contains(StandardOpenOption.CREATE_NEW)
            && isSymbolicLink(parent.stream, name)) {
          // O_NOFOLLOW's ELOOP, where Jimfs says "not a regular file"
          throw PathErrors.linkNotFollowedAtOpen(absPath);
        }
        throw e;
      }
      if (!host) {
        try {
          asLinuxOpens(parent, name, options, jimfsNew, createMode);
        } catch (IOException | RuntimeException e) {
          ch.close();
          throw e;
        }
      }
      if (special) {
        try {
          // open(2) with O_CREAT keeps the set-id and sticky bits of its mode
          addSpecialBits(absPath, HostNames.resolve(root, path.substring(1)), parent.stream, name,
              createMode & 07000);
        } catch (IOException | RuntimeException e) {
          ch.close();
          throw e;
        }
      }
      boolean append = options.contains(StandardOpenOption.APPEND);
      boolean write = append || options.contains(StandardOpenOption.WRITE);
      boolean read = !write || options.contains(StandardOpenOption.READ);
      return handle(ch, read, write, append, parent, name);
    }
  }

  /**
   * The handle of {@code ch}, just opened at {@code name} of {@code parent}; a tmpfs file's
   * takes its Jimfs key for its locks now, while the name is there ({@code DELETE_ON_CLOSE}
   * unlinks it next), and closes {@code ch} if that fails.
   */
  private DirHandle handle(SeekableByteChannel ch, boolean read, boolean write, boolean append,
      Dir parent, Path name) throws IOException {
    if (host) {
      return new DirHandle((FileChannel) ch, read, write, append);
    }
    try {
      Object fileKey = parent.stream.getFileAttributeView(name, BasicFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS).readAttributes().fileKey();
      return new DirHandle((FileChannel) ch, read, write, append, locks, fileKey);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * What open(2) does that a tmpfs's Jimfs leaves undone after {@code name} of {@code parent}
   * was opened with {@code options}: a new file gets the permissions it was made with (Jimfs's
   * secure stream drops them), and a truncated one is modified even when it was empty.
   */
  private static void asLinuxOpens(Dir parent, Path name, Set<? extends OpenOption> options,
      boolean created, int createMode) throws IOException {
    boolean truncated = !created && options.contains(StandardOpenOption.TRUNCATE_EXISTING)
        && (options.contains(StandardOpenOption.WRITE)
            || options.contains(StandardOpenOption.APPEND));
    if (!created && !truncated) {
      return;
    }
    PosixFileAttributeView view = parent.stream.getFileAttributeView(name,
        PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (created) {
      view.setPermissions(permissions(createMode));
      asLinuxCreates(parent, name, createMode & 07000, false);
    } else {
      view.setTimes(FileTime.from(Clock.nanos(), TimeUnit.NANOSECONDS), null, null);
    }
  }

  /**
   * What Linux does for a tmpfs entry just made at {@code name} of {@code parent} that Jimfs
   * does not: it keeps the set-id and sticky {@code bits} it was made with, and in a
   * set-group-ID directory it takes the directory's group (a new directory its bit too).
   */
  private static void asLinuxCreates(Dir parent, Path name, int bits, boolean directory)
      throws IOException {
    int made = bits;
    if ((parent.stream.getFileAttributeView(TmpfsAttributes.View.class).bits() & 02000) != 0) {
      parent.stream.getFileAttributeView(name, PosixFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS).setGroup(parent.stream.getFileAttributeView(
              PosixFileAttributeView.class).readAttributes().group());
      made |= directory ? 02000 : 0;
    }
    if (made != 0) {
      parent.stream.getFileAttributeView(name, TmpfsAttributes.View.class,
          LinkOption.NOFOLLOW_LINKS).setBits(made);
    }
  }

  /**
   * {@link #open}, for a path whose names may include links: every directory on the way is
   * opened without following, and so is the last name, so a link anywhere (or a name that is
   * missing, or any other failure) gives null, and the caller resolves the path name by name.
   */
  FileHandle openBeneath(String absPath, Set<? extends OpenOption> options, int createMode) {
    try {
      return open(absPath, options, createMode);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Opens the file at {@code absPath} for reading if every name on the way is a directory and the
   * last is no link, none of them followed; null otherwise (a link, a missing name, any failure),
   * and the caller resolves the path name by name. No {@code stat} of the last name first: a
   * directory opens as on the host (its reads fail with {@code EISDIR}), and a fifo blocks in the
   * open as it does on the host and by resolution.
   */
  FileHandle openForReadingBeneath(String absPath) {
    String path = canonical(absPath);
    if (path.length() == 1) {
      return null;
    }
    int slash = path.lastIndexOf('/');
    Path name = lastName(path, slash);
    try {
      for (boolean trust = true; ; trust = false) {
        try (Dir parent = dir(path, slash, trust)) {
          if (parent == null) {
            return null;
          }
          SeekableByteChannel ch = parent.stream.newByteChannel(name, READ_NOFOLLOW);
          if (parent.unchanged()) {
            return handle(ch, true, false, false, parent, name);
          }
          ch.close(); // a directory changed meanwhile: opened again through checked ones
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * A channel reading the regular file at {@code absPath} (its names free of {@code .} and
   * {@code ..}), opened by one {@code openat2} that follows no link and leaves not the mount's
   * directory ({@link ReadBeneath}); null where that is not available or the open fails for any
   * reason (a link anywhere, a missing name, no regular file), and the caller takes the usual
   * path ({@link #openForReadingBeneath}, then resolution in the container).
   */
  SeekableByteChannel readChannelBeneath(String absPath) {
    if (beneath == null) {
      return null;
    }
    String path = canonical(absPath);
    return path.length() == 1 ? null : beneath.open(path.substring(1));
  }

  // ------------------------------------------------------------------------------ changing

  @Override
  public void createDirectory(String absPath, int mode) throws IOException {
    List<String> names = names(absPath);
    if (names.isEmpty()) {
      throw new FileAlreadyExistsException(absPath);
    }
    // no mkdirat in the JDK: the parent is checked relative, then made by path (SECURITY.md)
    try (Dir parent = dirOrThrow(absPath, names, names.size() - 1)) {
      Files.createDirectory(hostPath(names),
          PosixFilePermissions.asFileAttribute(permissions(mode)));
      if (!host) {
        asLinuxCreates(parent, name(names), mode & 01000, true);
      } else if ((mode & 01000) != 0) {
        // mkdir(2) keeps the sticky bit of its mode (set-id bits it ignores or inherits)
        addSpecialBits(absPath, hostPath(names), parent.stream, name(names), 01000);
      }
    }
  }

  private static boolean isSymbolicLink(SecureDirectoryStream<Path> dir, Path name)
      throws IOException {
    try {
      return dir.getFileAttributeView(name, BasicFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS).readAttributes().isSymbolicLink();
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  private static boolean exists(SecureDirectoryStream<Path> dir, Path name) throws IOException {
    try {
      dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .readAttributes();
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * Adds set-id and sticky {@code bits} to what was just made at {@code name}: the JDK's calls
   * that create take the nine permission bits only, and no relative call sets the others
   * (SECURITY.md), so by path, once the path names the file made.
   */
  private static void addSpecialBits(String absPath, Path path, SecureDirectoryStream<Path> dir,
      Path name, int bits) throws IOException {
    Object key = dir.getFileAttributeView(name, BasicFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS).readAttributes().fileKey();
    if (!java.util.Objects.equals(Files.readAttributes(path, BasicFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS).fileKey(), key)) {
      throw new FileSystemException(absPath, null, "changed while it was made");
    }
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:mode", (mode & 07777) | bits, LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public void createSymbolicLink(String absLink, String target) throws IOException {
    List<String> names = names(absLink);
    try (Dir parent = dirOrThrow(absLink, names, names.size() - 1)) {
      Files.createSymbolicLink(hostPath(names), HostNames.name(root.getFileSystem(), target));
      if (!host) {
        asLinuxCreates(parent, name(names), 0, false);
      }
    }
  }

  @Override
  public void createLink(String absLink, String absExisting) throws IOException {
    List<String> names = names(absLink);
    List<String> existing = names(absExisting);
    // link(2) resolves the existing file's directory before the new name's
    try (Dir other = dirOrThrow(absExisting, existing, existing.size() - 1);
        Dir parent = dirOrThrow(absLink, names, names.size() - 1)) {
      BasicFileAttributes a = host || existing.isEmpty() ? null
          : other.stream.getFileAttributeView(name(existing), BasicFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS).readAttributes();
      if (a != null && a.isSymbolicLink()) {
        // link(2) links a symbolic link itself; Jimfs would link what it points to
        throw new FileSystemException(absLink, absExisting, "Operation not supported");
      }
      if (a != null && a.isDirectory()) {
        // link(2): EEXIST for a name taken, then EPERM for a directory (Jimfs: neither)
        if (exists(parent.stream, name(names))) {
          throw new FileAlreadyExistsException(absLink);
        }
        throw new FileSystemException(absLink, absExisting, "Operation not permitted");
      }
      Files.createLink(hostPath(names), hostPath(existing));
      changed(existing);
    }
  }

  @Override
  public void delete(String absPath) throws IOException {
    List<String> names = names(absPath);
    if (names.isEmpty()) {
      throw new FileSystemException(absPath, null, "Device or resource busy");
    }
    try (Dir parent = dirOrThrow(absPath, names, names.size() - 1)) {
      Path name = name(names);
      PosixFileAttributes a = parent.stream.getFileAttributeView(name,
          PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
      if (a.isDirectory()) {
        generation.beginChange();
        try {
          parent.stream.deleteDirectory(name);
        } finally {
          generation.endChange();
        }
        dirs.forget("/" + String.join("/", names));
      } else {
        changed(names); // its other names, if any, see one link fewer
        parent.stream.deleteFile(name);
      }
    }
  }

  @Override
  public void move(String absSource, String absTarget, boolean replaceExisting)
      throws IOException {
    List<String> from = names(absSource);
    List<String> to = names(absTarget);
    if (from.isEmpty() || to.isEmpty()) {
      throw new FileSystemException(absSource, absTarget, "Device or resource busy");
    }
    try (Dir source = dirOrThrow(absSource, from, from.size() - 1);
        Dir target = dirOrThrow(absTarget, to, to.size() - 1)) {
      Path s = name(from);
      Path t = name(to);
      PosixFileAttributes moved = source.stream.getFileAttributeView(s,
          PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
      PosixFileAttributes existing = null;
      try {
        existing = target.stream.getFileAttributeView(t, PosixFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS).readAttributes();
      } catch (NoSuchFileException e) {
        // free
      }
      if (existing != null) {
        if (java.util.Objects.equals(existing.fileKey(), moved.fileKey())) {
          return; // two names of one file: the JDK leaves both, as rename(2) does
        }
        if (!replaceExisting) {
          throw new FileAlreadyExistsException(absTarget);
        }
      }
      // a directory renamed or replaced: kept directories may be stale from here on
      boolean directories = moved.isDirectory() || (existing != null && existing.isDirectory());
      if (directories) {
        generation.beginChange();
      }
      try {
        if (existing != null && existing.isDirectory()) {
          // the JDK's order: the target goes first (a non-empty directory refuses, named)
          try {
            target.stream.deleteDirectory(t);
          } catch (DirectoryNotEmptyException e) {
            throw new DirectoryNotEmptyException(absTarget);
          }
          dirs.forget("/" + String.join("/", to));
        } else if (existing != null && moved.isDirectory()) {
          target.stream.deleteFile(t); // rename(2) puts no directory over a file
        }
        if (moved.isDirectory() && to.size() > from.size()
            && to.subList(0, from.size()).equals(from)) {
          // rename(2) refuses a directory into itself (EINVAL); Jimfs throws an IOException
          throw new FileSystemException(absSource, absTarget, "Invalid argument");
        }
        // over a file, rename(2) replaces it at once: no moment without the name, and no crash
        // leaves neither file (what ATOMIC_MOVE promises, and a write-then-rename relies on)
        try {
          rename(source, s, target, t, from, to);
        } catch (FileAlreadyExistsException e) {
          if (existing == null || existing.isDirectory()) {
            throw e;
          }
          // a tmpfs's Jimfs moves over no file: memory only, so nothing to keep across a crash
          target.stream.deleteFile(t);
          rename(source, s, target, t, from, to);
        }
      } finally {
        if (directories) {
          generation.endChange();
        }
      }
      if (moved.isDirectory()) {
        dirs.forget("/" + String.join("/", from));
      }
      changed(to);
    }
  }

  /**
   * Renames {@code s} of {@code source} to {@code t} of {@code target} (the names {@code from}
   * and {@code to} of this tree): on the host through the directories' descriptors; in a
   * tmpfs's Jimfs by path, as its secure directory stream moves a symbolic link's target
   * rather than the link (and no other process can change its tree meanwhile).
   */
  private void rename(Dir source, Path s, Dir target, Path t, List<String> from,
      List<String> to) throws IOException {
    if (host) {
      source.stream.move(s, target.stream, t);
    } else {
      Files.move(root.resolve(String.join("/", from)), root.resolve(String.join("/", to)));
    }
  }

  @Override
  public void setMode(String absPath, boolean follow, int mode) throws IOException {
    List<String> names = names(absPath);
    try (Dir parent = names.isEmpty() ? null : dirOrThrow(absPath, names, names.size() - 1)) {
      PosixFileAttributeView view = names.isEmpty()
          ? rootStream.getFileAttributeView(PosixFileAttributeView.class)
          : parent.stream.getFileAttributeView(name(names), PosixFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS);
      view.setPermissions(permissions(mode));
      if (!host) {
        modeBits(parent, names).setBits(mode);
      } else if ((mode & 07000) != 0) {
        // set-id and sticky bits: no relative call for them in the JDK (SECURITY.md); by path,
        // once the path names the file just changed
        Path path = hostPath(names);
        Object key = view.readAttributes().fileKey();
        if (!java.util.Objects.equals(Files.readAttributes(path, PosixFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS).fileKey(), key)) {
          throw new FileSystemException(absPath, null, "changed while its mode was set");
        }
        Files.setAttribute(path, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
      }
      changed(names);
    }
  }

  @Override
  public void setOwner(String absPath, boolean follow, int uid, int gid) throws IOException {
    List<String> names = names(absPath);
    try (Dir parent = names.isEmpty() ? null : dirOrThrow(absPath, names, names.size() - 1)) {
      PosixFileAttributeView view = names.isEmpty()
          ? rootStream.getFileAttributeView(PosixFileAttributeView.class)
          : parent.stream.getFileAttributeView(name(names), PosixFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS);
      if (view.readAttributes().isSymbolicLink()) {
        // the relative call opens the file, which a link cannot be: lchown by path, once the
        // path names the same file
        Object key = view.readAttributes().fileKey();
        view = Files.getFileAttributeView(hostPath(names), PosixFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS);
        if (!java.util.Objects.equals(view.readAttributes().fileKey(), key)) {
          throw new FileSystemException(absPath, null, "changed while its owner was set");
        }
      }
      UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
      if (uid >= 0) {
        view.setOwner(users.lookupPrincipalByName(Integer.toString(uid)));
      }
      if (gid >= 0) {
        view.setGroup(users.lookupPrincipalByGroupName(Integer.toString(gid)));
      }
      PosixFileAttributes a = view.readAttributes();
      if (!host && !a.isDirectory() && !a.isSymbolicLink()) {
        // chown(2) of a file clears set-user-ID, and set-group-ID of a group-executable one
        TmpfsAttributes.View bits = modeBits(parent, names);
        boolean groupExec = a.permissions().contains(PosixFilePermission.GROUP_EXECUTE);
        bits.setBits(bits.bits() & (groupExec ? ~06000 : ~04000));
      }
      changed(names);
    }
  }

  /**
   * Moves a tmpfs file's change time to now, as Linux does at each change of its metadata (Jimfs
   * does not: {@link TmpfsAttributes}); a host directory's kernel does it itself. By path: a
   * tmpfs is this JVM's alone.
   */
  private void changed(List<String> names) throws IOException {
    if (host) {
      return;
    }
    Path path = hostPath(names);
    long mtime = nanos(Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS));
    Files.getFileAttributeView(path, TmpfsAttributes.View.class, LinkOption.NOFOLLOW_LINKS)
        .changed(nanos(FileTime.from(java.time.Instant.now())), mtime);
  }

  /** The set-id and sticky bits of a tmpfs file, which Jimfs holds apart: TmpfsAttributes. */
  private TmpfsAttributes.View modeBits(Dir parent, List<String> names) {
    return names.isEmpty()
        ? rootStream.getFileAttributeView(TmpfsAttributes.View.class)
        : parent.stream.getFileAttributeView(name(names), TmpfsAttributes.View.class,
            LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public void setTimes(String absPath, boolean follow, long mtimeNanos, long atimeNanos)
      throws IOException {
    List<String> names = names(absPath);
    try (Dir parent = names.isEmpty() ? null : dirOrThrow(absPath, names, names.size() - 1)) {
      BasicFileAttributeView view = names.isEmpty()
          ? rootStream.getFileAttributeView(BasicFileAttributeView.class)
          : parent.stream.getFileAttributeView(name(names), BasicFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS);
      boolean nanos = mtimeNanos % 1000 != 0 || atimeNanos % 1000 != 0;
      // the relative call opens the file (a link cannot be) and sets microseconds only: by
      // path, utimensat with AT_SYMLINK_NOFOLLOW, once the path names the file found relative
      // to its parent; a file another program renamed over the name meanwhile is the one
      // utimensat(2) by path would set, so it is looked up again (a few times, not forever)
      for (int tries = 1; ; tries++) {
        BasicFileAttributes found = view.readAttributes();
        if (!found.isSymbolicLink() && !nanos) {
          view.setTimes(time(mtimeNanos), time(atimeNanos), null);
          break;
        }
        BasicFileAttributeView byPath = Files.getFileAttributeView(hostPath(names),
            BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (java.util.Objects.equals(byPath.readAttributes().fileKey(), found.fileKey())) {
          byPath.setTimes(time(mtimeNanos), time(atimeNanos), null);
          break;
        }
        if (tries == SET_TIMES_TRIES) {
          throw new FileSystemException(absPath, null, "replaced " + tries + " times while its "
              + "times were set (by another program renaming files over it)");
        }
      }
      changed(names);
    }
  }

  @Override
  public Map<String, byte[]> xattrs(String absPath, boolean follow) throws IOException {
    Map<String, byte[]> all = new java.util.HashMap<>();
    UserDefinedFileAttributeView view = userView(absPath);
    if (view != null) {
      for (String name : view.list()) {
        ByteBuffer value = ByteBuffer.allocate(view.size(name));
        view.read(name, value);
        all.put(USER + name, java.util.Arrays.copyOf(value.array(), value.position()));
      }
    }
    return all;
  }

  /**
   * A host file's attribute read by name, as the JDK's view reads it, so that a host file system
   * that keeps no {@code user.} attributes (ramfs, say) says so where it is asked for one, as
   * {@code getxattr(2)} says it; ENODATA is null. Jimfs, which says neither, as its listing.
   */
  @Override
  public byte[] xattr(String absPath, boolean follow, String name) throws IOException {
    if (!host) {
      return xattrs(absPath, follow).get(name);
    }
    UserDefinedFileAttributeView view = userView(absPath);
    if (view == null || !name.startsWith(USER)) {
      return null;
    }
    String bare = name.substring(USER.length());
    try {
      ByteBuffer value = ByteBuffer.allocate(view.size(bare));
      view.read(bare, value);
      return java.util.Arrays.copyOf(value.array(), value.position());
    } catch (FileSystemException e) {
      // the JDK's reason: "Unable to get size of extended attribute 'NAME': <strerror>"
      String reason = String.valueOf(e.getReason());
      int words = reason.lastIndexOf("': ");
      String error = words < 0 ? reason : reason.substring(words + 3);
      if (error.equals("No data available")) {
        return null;
      }
      throw new FileSystemException(absPath, null, error);
    }
  }

  @Override
  public void setXattr(String absPath, boolean follow, String name, byte[] value)
      throws IOException {
    UserDefinedFileAttributeView view = userView(absPath);
    if (!name.startsWith(USER)) {
      throw new FileSystemException(absPath, null, "Operation not supported");
    }
    if (view == null) {
      throw new FileSystemException(absPath, null, "Operation not permitted");
    }
    view.write(name.substring(USER.length()), ByteBuffer.wrap(value));
    changed(names(absPath));
  }

  @Override
  public void removeXattr(String absPath, boolean follow, String name) throws IOException {
    UserDefinedFileAttributeView view = userView(absPath);
    if (view == null && name.startsWith(USER)) {
      throw new FileSystemException(absPath, null, "Operation not permitted");
    }
    if (view == null || !name.startsWith(USER)
        || (!host && !view.list().contains(name.substring(USER.length())))) {
      // ENODATA, which Jimfs would not report (a host reports it, after EPERM and the like)
      throw new FileSystemException(absPath, null, "No data available");
    }
    view.delete(name.substring(USER.length()));
    changed(names(absPath));
  }

  /**
   * The {@code user:} view of a regular file or directory, by path (the JDK has no relative
   * call for it) once the path names the file the relative {@code stat} found; null for any
   * other file, which Linux gives no {@code user.} attributes (and the JDK would open: a fifo
   * would block).
   */
  private UserDefinedFileAttributeView userView(String absPath) throws IOException {
    List<String> names = names(absPath);
    try (Dir parent = names.isEmpty() ? null : dirOrThrow(absPath, names, names.size() - 1)) {
      BasicFileAttributes a = names.isEmpty()
          ? rootStream.getFileAttributeView(BasicFileAttributeView.class).readAttributes()
          : parent.stream.getFileAttributeView(name(names), BasicFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS).readAttributes();
      if (!a.isRegularFile() && !a.isDirectory()) {
        return null;
      }
      Path path = hostPath(names);
      if (!java.util.Objects.equals(Files.readAttributes(path, BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS).fileKey(), a.fileKey())) {
        throw new FileSystemException(absPath, null, "changed while its attributes were used");
      }
      return Files.getFileAttributeView(path, UserDefinedFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS);
    }
  }

  @Override
  public void close() throws IOException {
    if (beneath != null) {
      beneath.close(); // once no open uses it; channels opened by it stay open
    }
    try (OpenDirs kept = dirs; VolumeGeneration counter = generation) {
      rootStream.close();
    } finally {
      if (owned != null) {
        owned.close();
      }
    }
  }

  // ------------------------------------------------------------------------------ helpers

  /**
   * An open directory, given back with {@link #close}: the root stays open, one from {@link
   * #dirs} goes back there, any other is closed.
   */
  private final class Dir implements AutoCloseable {
    final SecureDirectoryStream<Path> stream;
    private final OpenDirs.Entry kept;
    /** Whether {@link #kept} is held with those above it ({@link OpenDirs#acquireChain}). */
    private final boolean chain;
    /**
     * The volume's generation at which the chain was taken unchecked, or {@link
     * VolumeGeneration#UNKNOWN} when every directory was checked.
     */
    private final long trustedAt;

    Dir(SecureDirectoryStream<Path> stream) {
      this.stream = stream;
      this.kept = null;
      this.chain = false;
      this.trustedAt = VolumeGeneration.UNKNOWN;
    }

    Dir(OpenDirs.Entry kept, boolean chain) {
      this(kept, chain, VolumeGeneration.UNKNOWN);
    }

    Dir(OpenDirs.Entry kept, boolean chain, long trustedAt) {
      this.stream = kept.stream;
      this.kept = kept;
      this.chain = chain;
      this.trustedAt = trustedAt;
    }

    /**
     * Whether what was just done in this directory stands: always when it was checked; when it
     * was taken unchecked, only while no change of the volume's directories began since (read
     * after the call, so a change that the call may have seen shows here).
     */
    boolean unchanged() {
      return trustedAt == VolumeGeneration.UNKNOWN || generation.current() == trustedAt;
    }

    @Override
    public void close() throws IOException {
      if (chain) {
        dirs.releaseChain(kept);
      } else if (kept != null) {
        dirs.release(kept);
      } else if (stream != rootStream) {
        stream.close();
      }
    }
  }

  /**
   * The directory at {@code path.substring(0, end)} ({@code path} canonical, {@code end} 0 or the
   * index of one of its slashes or its length; the root when the prefix is empty), or null if a
   * name on the way is missing. Each name is looked at relative to the directory before without
   * following; a directory kept open is used while that look-up still finds it (device and
   * inode), any other is opened now without following.
   */
  private Dir dir(String path, int end) throws IOException {
    return dir(path, end, false);
  }

  /**
   * {@link #dir(String, int)}; when {@code trust}, a chain of kept directories last checked at
   * the volume's generation now is taken without a {@code stat} each, and the caller asks the
   * {@link Dir#unchanged} after its call whether that call stands (see the package
   * documentation).
   */
  private Dir dir(String path, int end, boolean trust) throws IOException {
    // read before any check below: what they find holds at this generation
    long g = generation.stable();
    if (end > 1) {
      // the usual case: the directory and all above it kept open, each checked from the root
      // down by the same relative stat as below, without a look-up of each prefix
      OpenDirs.Entry leaf = dirs.acquireChain(path, end);
      if (leaf != null) {
        if (trust && g != VolumeGeneration.UNKNOWN && leaf.generation == g) {
          return new Dir(leaf, true, g);
        }
        boolean there = false;
        try {
          there = stillThere(leaf, g);
        } catch (IOException | RuntimeException e) {
          // missing, or a name that is no directory now: the walk below says which
        }
        if (there) {
          return new Dir(leaf, true);
        }
        dirs.releaseChain(leaf);
      }
    }
    Dir current = rootDir;
    int start = 1;
    try {
      while (start < end) {
        int slash = path.indexOf('/', start);
        if (slash < 0 || slash > end) {
          slash = end;
        }
        String prefix = path.substring(0, slash);
        OpenDirs.Entry kept = dirs.acquire(prefix);
        Path relative = kept != null ? kept.name
            : HostNames.name(root.getFileSystem(), path.substring(start, slash));
        BasicFileAttributes a;
        try {
          a = current.stream.getFileAttributeView(relative, statView, NOFOLLOW).readAttributes();
        } catch (IOException | RuntimeException e) {
          if (kept != null) {
            dirs.release(kept);
          }
          if (e instanceof NoSuchFileException) {
            current.close();
            return null;
          }
          throw e;
        }
        Dir next = child(current, prefix, relative, a, kept, g);
        current.close();
        current = next;
        start = slash + 1;
      }
    } catch (IOException | RuntimeException e) {
      current.close();
      throw e;
    }
    return current;
  }

  /**
   * Whether each directory of the chain ending at {@code e} (held) is still the file its name
   * leads to, looked at relative to the directory above it without following, from the root down:
   * the check {@link #child} makes of each kept directory. Each found so is marked as checked at
   * the volume's generation {@code g} (read before the checks, {@link VolumeGeneration#UNKNOWN}
   * when there is none or a change was under way).
   */
  private boolean stillThere(OpenDirs.Entry e, long g) throws IOException {
    SecureDirectoryStream<Path> parent;
    if (e.top) {
      parent = rootStream;
    } else if (stillThere(e.parent, g)) {
      parent = e.parent.stream;
    } else {
      return false;
    }
    BasicFileAttributes a = parent.getFileAttributeView(e.name, statView, NOFOLLOW)
        .readAttributes();
    if (a.isDirectory() && e.fileKey.equals(a.fileKey())) {
      e.generation = g; // it and those above it, checked at g
      return true;
    }
    return false;
  }

  /**
   * The directory {@code relative} of {@code parent}, at {@code path} in the mount, where a
   * {@code stat} without following found {@code a}: the one kept open ({@code kept}, held, or
   * else looked up now) when it is still the same file, else opened now without following (a
   * name that is no directory, or became a link, fails as {@code openat} with {@code O_NOFOLLOW
   * | O_DIRECTORY} fails).
   */
  private Dir child(Dir parent, String path, Path relative, BasicFileAttributes a,
      OpenDirs.Entry kept, long g) throws IOException {
    if (kept == null && a.isDirectory()) {
      kept = dirs.acquire(path);
    }
    Object key = a.fileKey();
    boolean top = parent == rootDir;
    if (kept != null) {
      if (a.isDirectory() && key != null && key.equals(kept.fileKey)) {
        if (kept.top == top && (top || kept.parent == parent.kept)) {
          kept.generation = g; // as the directories above it, which the walk checked
          return new Dir(kept, false);
        }
        // the same directory, opened in a kept directory since closed: opened again in this
        // one below, so that its chain can be taken again
      }
      dirs.discard(kept); // renamed, removed or replaced since it was opened
    }
    SecureDirectoryStream<Path> opened = parent.stream.newDirectoryStream(relative, NOFOLLOW);
    OpenDirs.Entry offered = dirs.offer(path, relative, key, opened, parent.kept, top);
    if (offered != null) {
      offered.generation = g;
    }
    return offered != null ? new Dir(offered, false) : new Dir(opened);
  }

  /** {@link #dirOrThrow(String, String, int)} of the first {@code count} names. */
  private Dir dirOrThrow(String absPath, List<String> names, int count) throws IOException {
    String path = count == 0 ? "" : "/" + String.join("/", names.subList(0, count));
    return dirOrThrow(absPath, path, path.length());
  }

  /** {@link #dir(String, int)}, failing for a missing name as for one that is no directory. */
  private Dir dirOrThrow(String absPath, String path, int end) throws IOException {
    Dir d;
    try {
      d = dir(path, end);
    } catch (FileSystemException e) {
      // a name that is no directory (or became a link meanwhile): ENOTDIR or ELOOP
      throw new FileSystemException(absPath, null, e.getReason());
    }
    if (d == null) {
      throw new NoSuchFileException(absPath);
    }
    return d;
  }

  /**
   * The node of the file {@code a} describes (a {@code stat} relative to its directory) at {@code
   * hostPath}; its other fields are read when first asked for ({@link PathStat}).
   */
  private Node node(String absPath, PosixFileAttributes a, Path hostPath) throws IOException {
    EntryType type = a.isDirectory() ? EntryType.DIRECTORY
        : a.isSymbolicLink() ? EntryType.SYMLINK
        : a.isRegularFile() ? EntryType.FILE : EntryType.FIFO;
    PathStat stat = new PathStat(hostPath, a, type, host, keyPrefix);
    if (a.isOther()) {
      type = stat.fields().type(); // a device or FIFO: only its mode tells which
    }
    String link = type == EntryType.SYMLINK ? HostNames.of(Files.readSymbolicLink(hostPath)) : "";
    long size = type == EntryType.SYMLINK
        ? link.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
        : type == EntryType.FILE ? a.size() : 0;
    return new DirNode(absPath, type, nanos(a.lastModifiedTime()), nanos(a.lastAccessTime()),
        size, link, device, stat);
  }

  private static List<String> names(String absPath) {
    List<String> names = new ArrayList<>();
    int start = 0;
    while (start < absPath.length()) {
      int end = absPath.indexOf('/', start);
      if (end < 0) {
        end = absPath.length();
      }
      if (end > start) {
        names.add(absPath.substring(start, end));
      }
      start = end + 1;
    }
    return names;
  }

  /**
   * {@code absPath} with no empty name: a leading slash, none doubled, none trailing (but for
   * {@code "/"} itself). The paths {@link MountedTree} hands over are so already.
   */
  private static String canonical(String absPath) {
    int n = absPath.length();
    boolean clean = n > 0 && absPath.charAt(0) == '/' && (n == 1 || absPath.charAt(n - 1) != '/')
        && !absPath.contains("//");
    return clean ? absPath : "/" + String.join("/", names(absPath));
  }

  /** The name after {@code slash} in canonical {@code path}, as a relative path. */
  private Path lastName(String path, int slash) {
    return HostNames.name(root.getFileSystem(), path.substring(slash + 1));
  }

  private Path name(List<String> names) {
    return HostNames.name(root.getFileSystem(), names.get(names.size() - 1));
  }

  private Path hostPath(List<String> names) {
    Path p = root;
    for (String n : names) {
      p = p.resolve(HostNames.name(p.getFileSystem(), n));
    }
    return p;
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = java.util.EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ ... OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) {
      if ((mode & (0400 >> i)) != 0) {
        set.add(all[i]);
      }
    }
    return set;
  }

  static int mode(Set<PosixFilePermission> set) {
    int mode = 0;
    for (PosixFilePermission p : set) {
      mode |= 0400 >> p.ordinal();
    }
    return mode;
  }

  private static long nanos(FileTime t) {
    return t == null ? 0 : t.to(TimeUnit.NANOSECONDS);
  }

  private static FileTime time(long nanos) {
    return nanos == TIME_UNCHANGED ? null : FileTime.from(nanos, TimeUnit.NANOSECONDS);
  }
}
