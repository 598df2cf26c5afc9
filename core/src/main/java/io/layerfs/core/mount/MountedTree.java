package io.layerfs.core.mount;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Layer;
import io.layerfs.core.Mount;
import io.layerfs.core.Node;
import io.layerfs.core.internal.NotADirectory;
import io.layerfs.core.internal.OptionalLibrary;
import io.layerfs.core.internal.PathErrors;
import io.layerfs.core.internal.PathLimits;
import io.layerfs.core.internal.PathNames;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A container's tree with its mounts, as a Linux mount namespace shows it: this class owns path
 * resolution (name by name, symbolic links followed in the container's namespace, {@code ..} at
 * a mount's root going to the directory holding it, the longest target winning, a mount hiding
 * what is under its target) and hands each operation on a resolved path to the tree that holds
 * it: the container itself, or a mount's {@link DirTree}. Operations that span two trees behave
 * as across two Linux file systems ({@code EXDEV}: a move copies and deletes, a hard link fails).
 * The package documentation tells the whole story.
 *
 * <p>Thread safety: as the trees below; the mount table does not change after {@link #open}.
 */
public final class MountedTree implements FileTree {
  private static final int MAX_LINKS = 40;

  private final FileTree base;
  /** In the order given, for {@link #mounts()}. */
  private final List<Mounted> mounts = new ArrayList<>();
  /** Each mount's device number and file keys: one per host file system, as stat(2)'s. */
  private final Devices devices = new Devices();
  /** Longest resolved target first, for {@link #ownerOf}. */
  private volatile List<Mounted> byLength = List.of();

  /**
   * One mount: its spec, its resolved target in the container and the tree behind it. A file's
   * bind mount serves its host directory, reached only by the file's name ({@code file}; null
   * for a directory mount): its target is that name, anything below it the file's (which is no
   * directory), so no other name of the host directory is ever reached.
   */
  private record Mounted(Mount mount, String target, DirTree tree, String file) {
    String inner(String full) {
      String below = full.substring(target.length());
      if (file != null) {
        return "/" + file + below;
      }
      return below.isEmpty() ? "/" : below;
    }
  }

  /** Where a resolved path lives: its owner (null: the container), paths, and its node. */
  private record Where(Mounted owner, String full, String inner, Node node) {
    boolean isMountRoot() {
      return owner != null && owner.target.equals(full);
    }
  }

  /** Where the store keeps its named volumes. */
  public interface VolumeDirectories {
    /** The host directory of a named volume, created on first use (or only looked up). */
    Path directory(String name) throws IOException;

    /**
     * The file that marks a fill of the volume from an image as under way (it may not exist),
     * outside its data directory.
     */
    Path fillMark(String name) throws IOException;

    /**
     * The volume's generation counter, outside its data directory (it may not exist yet: a
     * writable container makes it), or null for none: then every read checks each directory.
     */
    default Path generation(String name) throws IOException {
      return null;
    }
  }

  private MountedTree(FileTree base) {
    this.base = base;
  }

  /**
   * Mounts {@code mounts} over {@code base}, in order, as Docker sets a container's mounts up:
   * each target is resolved in the tree as mounted so far (links followed) and its directory
   * made where it is missing and can be made; an empty volume is filled with what the tree shows
   * at its target unless {@code volume-nocopy} (only when {@code base} is writable). On failure
   * nothing stays open; {@code base} is left to the caller.
   *
   * @throws NoSuchFileException naming a bind source that does not exist
   * @throws IllegalArgumentException for a bind source or target that is not a directory
   */
  public static MountedTree open(FileTree base, List<Mount> mounts, VolumeDirectories volumes)
      throws IOException {
    MountedTree tree = new MountedTree(base);
    try {
      // comparators as classes, not lambdas: a fresh JVM spins a class for each lambda
      List<Mount> shortFirst = new ArrayList<>(mounts);
      shortFirst.sort(new Comparator<Mount>() {
        @Override
        public int compare(Mount a, Mount b) {
          return Integer.compare(a.target().length(), b.target().length());
        }
      });
      for (Mount m : shortFirst) {
        tree.mount(m, volumes);
      }
      tree.mounts.sort(new Comparator<Mounted>() {
        @Override
        public int compare(Mounted a, Mounted b) {
          return Integer.compare(indexOfSame(mounts, a.mount()), indexOfSame(mounts, b.mount()));
        }
      });
      return tree;
    } catch (IOException | RuntimeException e) {
      tree.closeMounts();
      throw e;
    }
  }

  private void mount(Mount m, VolumeDirectories volumes) throws IOException {
    Path file = m.type() == Mount.Type.BIND ? fileSource(m) : null;
    String target = makeTarget(m, file != null);
    DirTree dir = switch (m.type()) {
      case BIND -> DirTree.open(file == null ? Path.of(m.source()) : file.getParent(), true,
          devices, null);
      case VOLUME -> {
        Path data = volumes.directory(m.source());
        Path counter = volumes.generation(m.source());
        yield DirTree.open(data, true, devices, null, counter == null ? VolumeGeneration.NONE
            : VolumeGeneration.open(counter, !base.readOnly()));
      }
      case TMPFS -> {
        OptionalLibrary.JIMFS.require();
        yield Tmpfs.open(m, devices);
      }
    };
    Mounted mounted = new Mounted(m, target, dir,
        file == null ? null : file.getFileName().toString());
    try {
      if (m.type() == Mount.Type.VOLUME && !base.readOnly()) {
        Path mark = volumes.fillMark(m.source());
        boolean cutShort = VolumeFill.interrupted(mark);
        if (m.noCopy()) {
          if (cutShort) {
            VolumeFill.adopt(mark); // written from now on: no later fill may empty it
          }
        } else if (cutShort || dir.list("/").isEmpty()) {
          Node there = resolve(target, true).node;
          String from = there != null && there.isDirectory() ? target : null;
          if (from != null || cutShort) {
            VolumeFill.fill(this, from, dir, mark);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      dir.close();
      throw e;
    }
    mounts.add(mounted);
    List<Mounted> sorted = new ArrayList<>(mounts);
    sorted.sort(new Comparator<Mounted>() {
      @Override
      public int compare(Mounted a, Mounted b) {
        return Integer.compare(b.target.length(), a.target.length()); // longest first
      }
    });
    byLength = List.copyOf(sorted);
  }

  /**
   * A bind source that is not a directory, its links resolved (as {@code mount(8)} binds the file
   * they lead to), or null for a directory.
   *
   * @throws NoSuchFileException naming a source that does not exist
   */
  private static Path fileSource(Mount m) throws IOException {
    Path source = Path.of(m.source());
    if (!Files.exists(source)) {
      throw new NoSuchFileException(m.source(), null,
          "bind source path does not exist: " + m.source() + " (mount " + m + ")");
    }
    return Files.isDirectory(source) ? null : source.toRealPath();
  }

  /**
   * Resolves a mount's target in the tree as mounted so far, making the missing directories
   * where the tree can take them, and for a file's bind mount an empty file as its last name
   * (Docker makes mount points so); returns the resolved path.
   */
  private String makeTarget(Mount m, boolean file) throws IOException {
    List<String> names = names(m.target());
    String path = "";
    for (int i = 0; i < names.size(); i++) {
      Where w = resolve(path + "/" + names.get(i), true);
      boolean point = i == names.size() - 1;
      if (w.node == null && !w.isMountRoot()) {
        FileTree owner = w.owner == null ? base : w.owner.tree;
        boolean writable = w.owner == null ? !base.readOnly() : !w.owner.mount.readOnly();
        if (writable && point && file) {
          owner.open(pathIn(w), EnumSet.of(StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE), 0755).close();
        } else if (writable) {
          owner.createDirectory(pathIn(w), 0755);
        }
      } else if (point && file && w.node != null && w.node.isDirectory()) {
        throw new IllegalArgumentException("invalid mount spec '" + m + "': " + w.full
            + " is a directory in the container and the bind source " + m.source()
            + " is not");
      } else if (!(point && file) && w.node != null && !w.node.isDirectory()) {
        throw new IllegalArgumentException("invalid mount spec '" + m + "': " + w.full
            + " is not a directory in the container");
      }
      path = w.full;
    }
    return path;
  }

  // ------------------------------------------------------------------------------ resolution

  /**
   * Resolves {@code absPath} name by name. A missing last name is no error: it resolves to where
   * it would be made (its node is null). Consecutive names in one mount are looked up in one
   * pass ({@link DirTree#walk}).
   */
  private Where resolve(String absPath, boolean followLast) throws IOException {
    return resolve(absPath, followLast, null);
  }

  /** {@link #resolve}, adding the path of every link it follows to {@code linksOrNull}. */
  private Where resolve(String absPath, boolean followLast, Set<String> linksOrNull)
      throws IOException {
    Deque<String> pending = new ArrayDeque<>();
    for (String name : names(absPath)) {
      pending.addLast(name); // not the copying constructor, which calls forEach with a lambda
    }
    List<String> done = new ArrayList<>();
    int links = 0;
    while (!pending.isEmpty()) {
      String name = pending.peekFirst();
      if (name.equals(".") || name.equals("..")) {
        pending.pollFirst();
        if (name.equals("..") && !done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        continue;
      }
      String parent = join(done);
      String first = child(parent, name);
      Mounted owner = ownerOf(first);
      if (owner != null && owner.target.equals(first)) {
        pending.pollFirst();
        done.add(name);
        if (owner.file != null) {
          Where file = fileMountRoot(owner, first, absPath, pending.isEmpty());
          if (file != null) {
            return file;
          }
        }
        continue; // a mount's root: a directory
      }
      List<Node> nodes;
      if (owner == null) {
        nodes = new ArrayList<>(1);
        nodes.add(base.find(first, false));
      } else {
        // the names that follow in the same mount, up to a nested mount's target
        List<String> run = new ArrayList<>();
        String prefix = parent;
        for (String n : pending) {
          if (n.equals(".") || n.equals("..")) {
            break;
          }
          prefix = child(prefix, n);
          if (ownerOf(prefix) != owner) {
            break;
          }
          run.add(n);
        }
        try {
          nodes = owner.tree.walk(owner.inner(parent), run);
        } catch (FileSystemException e) {
          throw PathErrors.named(e, absPath); // a bind mount's host names its own path
        }
      }
      boolean followed = false;
      for (Node node : nodes) {
        String n = pending.pollFirst();
        done.add(n);
        boolean last = pending.isEmpty();
        String path = join(done);
        if (node == null) {
          PathLimits.checkMissingName(absPath, n);
          if (last) {
            return new Where(owner, path, owner == null ? path : owner.inner(path), null);
          }
          throw new NoSuchFileException(absPath);
        }
        if (node.type() == EntryType.SYMLINK && (!last || followLast)) {
          if (++links > MAX_LINKS) {
            throw PathErrors.tooManyLinks(absPath);
          }
          if (linksOrNull != null) {
            linksOrNull.add(path);
          }
          done.remove(done.size() - 1);
          String target = node.linkTarget();
          if (target.isEmpty()) {
            throw new NoSuchFileException(absPath);
          }
          if (target.startsWith("/")) {
            done.clear();
          }
          List<String> more = names(target);
          for (int i = more.size() - 1; i >= 0; i--) {
            pending.addFirst(more.get(i));
          }
          followed = true;
          break;
        }
        if (last) {
          Node at = owner == null ? node : ((DirNode) node).at(path);
          return new Where(owner, path, owner == null ? path : owner.inner(path), at);
        }
        if (!node.isDirectory()) {
          throw new FileSystemException(absPath, null, "Not a directory");
        }
      }
      if (!followed && nodes.isEmpty()) {
        throw new IllegalStateException("no progress resolving " + absPath);
      }
    }
    String path = join(done);
    Mounted owner = ownerOf(path);
    return new Where(owner, path, owner == null ? path : owner.inner(path), findIn(owner, path));
  }

  /**
   * The index of {@code m} itself in {@code mounts}: not {@code indexOf}, whose record {@code
   * equals} a fresh JVM bootstraps through method handles on its first call.
   */
  private static int indexOfSame(List<Mount> mounts, Mount m) {
    for (int i = 0; i < mounts.size(); i++) {
      if (mounts.get(i) == m) {
        return i;
      }
    }
    return -1;
  }

  /** True when no name of {@code absPath} is {@code .} or {@code ..}. */
  private static boolean plain(String absPath) {
    if (!absPath.contains("/.")) {
      return true;
    }
    for (String n : names(absPath)) {
      if (n.equals(".") || n.equals("..")) {
        return false;
      }
    }
    return true;
  }

  private static String child(String dir, String name) {
    return dir.equals("/") ? "/" + name : dir + "/" + name;
  }

  /**
   * The root of a file's bind mount, when it is the last name ({@code last}); null when names
   * follow and it is a directory (a host process replaced the file by one). The host's name is
   * never followed: a link there would lead out of the container's namespace.
   */
  private static Where fileMountRoot(Mounted owner, String full, String absPath, boolean last)
      throws IOException {
    Node node = owner.tree.find(owner.inner(full), false);
    if (last) {
      return new Where(owner, full, owner.inner(full),
          node == null ? null : ((DirNode) node).at(full));
    }
    if (node == null) {
      throw new NoSuchFileException(absPath);
    }
    if (!node.isDirectory()) {
      throw new FileSystemException(absPath, null, "Not a directory");
    }
    return null;
  }

  private Node findIn(Mounted owner, String full) throws IOException {
    if (owner == null) {
      return base.find(full, false);
    }
    Node node = owner.tree.find(owner.inner(full), false);
    return node == null ? null : ((DirNode) node).at(full);
  }

  private Mounted ownerOf(String full) {
    for (Mounted m : byLength) {
      String t = m.target;
      if (full.startsWith(t) && (full.length() == t.length() || full.charAt(t.length()) == '/')) {
        return m;
      }
    }
    return null;
  }

  private static String pathIn(Where w) {
    return w.owner == null ? w.full : w.inner;
  }

  private FileTree treeOf(Where w) {
    return w.owner == null ? base : w.owner.tree;
  }

  private void writable(Where w, String absPath) throws FileSystemException {
    if (w.owner != null && w.owner.mount.readOnly()) {
      throw new FileSystemException(absPath, null, "Read-only file system");
    }
  }

  // ------------------------------------------------------------------------------ FileTree

  @Override
  public List<Layer> layers() {
    return base.layers();
  }

  @Override
  public boolean readOnly() {
    return base.readOnly();
  }

  @Override
  public List<Mount> mounts() {
    List<Mount> all = new ArrayList<>(mounts.size());
    for (Mounted m : mounts) {
      all.add(m.mount());
    }
    return List.copyOf(all);
  }

  @Override
  public Mount mountOf(String absPath, boolean followLast) throws IOException {
    Where w = resolve(absPath, followLast);
    return w.owner == null ? null : w.owner.mount;
  }

  @Override
  public Path hostDirectory(String absDir) throws IOException {
    Where w = resolve(absDir, true);
    return w.owner == null ? null : w.owner.tree.hostDirectoryOf(w.inner);
  }

  @Override
  public FileStore storeOf(Mount mount) throws IOException {
    for (Mounted m : mounts) {
      if (m.mount.equals(mount)) {
        return Files.getFileStore(m.tree.root());
      }
    }
    return FileTree.super.storeOf(mount);
  }

  @Override
  public Node lookup(String absPath, boolean followLast) throws IOException {
    Node node = resolve(absPath, followLast).node;
    if (node == null) {
      throw new NoSuchFileException(absPath);
    }
    return node;
  }

  @Override
  public Node find(String absPath, boolean followLast) throws IOException {
    try {
      return resolve(absPath, followLast).node;
    } catch (NoSuchFileException e) {
      return null; // a directory on the way is missing: null, as the other trees answer
    }
  }

  @Override
  public List<String> list(String absDir) throws IOException {
    Where w = listedDirectory(absDir);
    try {
      return withMountPoints(w, treeOf(w).list(pathIn(w)));
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absDir);
    }
  }

  /**
   * Lists a directory; one of the container's own tree (no mount holds it) keeps the
   * container's listing, from which {@link #findChild} finds a child in one step.
   */
  @Override
  public Listing listing(String absDir) throws IOException {
    Listing own = directListing(absDir);
    String full = absDir;
    if (own == null) {
      Where w = listedDirectory(absDir);
      if (w.owner != null) {
        List<String> names;
        try {
          names = w.owner.tree.list(w.inner);
        } catch (FileSystemException e) {
          throw PathErrors.named(e, absDir);
        }
        Set<String> mountPoints = mountPointsIn(w);
        return new MountListing(absDir, withMountPoints(names, mountPoints), this, w,
            mountPoints);
      }
      own = base.listing(w.full);
      full = w.full;
    }
    Set<String> mountPoints = mountPointsIn(full);
    return new OwnListing(absDir, withMountPoints(own.names(), mountPoints), this, own,
        mountPoints);
  }

  /**
   * A directory of a mount is only checked: its listing would not be {@link #current} when a
   * stream's iteration starts, so the stream lists it then, once.
   */
  @Override
  public Listing listingToOpen(String absDir) throws IOException {
    if (ownerOf(absDir) == null && plain(absDir)) {
      return listing(absDir); // perhaps the container's own, current until the container changes
    }
    Where w = listedDirectory(absDir);
    return w.owner != null ? null : listing(absDir);
  }

  /**
   * The container's listing of {@code absDir} when the path is the real path of a directory of
   * the container's own tree, no mount on it or above it (as a walk lists every directory): one
   * lookup in that tree rather than one per name through the mount table. Null otherwise (a
   * mount, a symbolic link, {@code .} or {@code ..} on the way: the real path differs), and then
   * the path is resolved the long way.
   */
  private Listing directListing(String absDir) throws IOException {
    if (ownerOf(absDir) != null) {
      return null;
    }
    Node dir;
    try {
      dir = base.find(absDir, false);
    } catch (FileSystemException e) {
      return null; // the long way says what is wrong, as for any path
    }
    if (dir == null || !dir.isDirectory() || !dir.path().equals(absDir)) {
      return null;
    }
    return base.listing(absDir);
  }

  /**
   * A child of a directory of the container's own tree, from the container's listing; null for
   * a mount's target (the mount hides what the container has there: looked up the long way).
   */
  @Override
  public Node findChild(Listing dir, String name) throws IOException {
    if (dir instanceof MountListing l && l.tree == this && !l.mountPoints.contains(name)
        && l.where.full.equals(l.path())) {
      // a directory of a mount reached without a link or "..": its path stays its own (the
      // mount table is fixed, and what holds a mount point cannot be moved or removed)
      return l.where.owner.tree.listedChild(l.where.inner, name, child(l.where.full, name));
    }
    if (!(dir instanceof OwnListing l) || l.tree != this || l.mountPoints.contains(name)) {
      return null;
    }
    return base.findChild(l.own, name);
  }

  /** The mount table never changes: a listing is current while the container's is. */
  @Override
  public boolean current(Listing listing) throws IOException {
    return listing instanceof OwnListing l && l.tree == this && base.current(l.own);
  }

  @Override
  public boolean stillFound(Listing listing, Node node) {
    return listing instanceof OwnListing l && l.tree == this && base.stillFound(l.own, node);
  }

  /** A listing of a directory no mount holds, with the container's listing of it. */
  private static final class OwnListing extends Listing {
    final MountedTree tree;
    final Listing own;
    /** The names in the directory that are mounts' targets: any other child is the container's. */
    final Set<String> mountPoints;

    OwnListing(String path, List<String> names, MountedTree tree, Listing own,
        Set<String> mountPoints) {
      super(path, names);
      this.tree = tree;
      this.own = own;
      this.mountPoints = mountPoints;
    }
  }

  /** A listing of a directory of a mount, whose children are looked at in it. */
  private static final class MountListing extends Listing {
    final MountedTree tree;
    final Where where;
    /** The names in the directory that are targets of mounts within this one. */
    final Set<String> mountPoints;

    MountListing(String path, List<String> names, MountedTree tree, Where where,
        Set<String> mountPoints) {
      super(path, names);
      this.tree = tree;
      this.where = where;
      this.mountPoints = mountPoints;
    }
  }

  /** The names of the mounts' targets in the directory {@code w}. */
  private Set<String> mountPointsIn(Where w) {
    return mountPointsIn(w.full);
  }

  /** The names of the mounts' targets in the directory whose real path is {@code full}. */
  private Set<String> mountPointsIn(String full) {
    Set<String> names = Set.of();
    for (Mounted m : mounts) {
      int slash = m.target.lastIndexOf('/');
      String parent = slash == 0 ? "/" : m.target.substring(0, slash);
      if (parent.equals(full.isEmpty() ? "/" : full)) {
        names = names.isEmpty() ? new HashSet<>() : names;
        names.add(m.target.substring(slash + 1));
      }
    }
    return names;
  }

  private Where listedDirectory(String absDir) throws IOException {
    Where w = resolve(absDir, true);
    if (w.node == null) {
      throw new NoSuchFileException(absDir);
    }
    if (!w.node.isDirectory()) {
      throw new FileSystemException(absDir, null, "Not a directory");
    }
    return w;
  }

  /** {@code names} of the directory {@code w} with the mount targets in it it cannot hold. */
  private List<String> withMountPoints(Where w, List<String> names) {
    return withMountPoints(names, mountPointsIn(w));
  }

  private static List<String> withMountPoints(List<String> names, Set<String> mountPoints) {
    List<String> added = null;
    for (String name : mountPoints) {
      if (!names.contains(name)) {
        added = added == null ? new ArrayList<>(names) : added;
        added.add(name); // a mount point its parent cannot hold (a read-only tree)
      }
    }
    if (added != null) {
      Collections.sort(added);
      return added;
    }
    return names;
  }

  @Override
  public FileHandle open(String absPath, Set<? extends OpenOption> options, int createMode)
      throws IOException {
    boolean follow = !options.contains(LinkOption.NOFOLLOW_LINKS)
        && !options.contains(StandardOpenOption.CREATE_NEW);
    boolean write = options.contains(StandardOpenOption.WRITE)
        || options.contains(StandardOpenOption.APPEND);
    boolean create = options.contains(StandardOpenOption.CREATE)
        || options.contains(StandardOpenOption.CREATE_NEW);
    Mounted holder = inside(absPath);
    if (holder != null && (!holder.mount.readOnly() || (!write && !create))
        && !(create && PathLimits.mayBeTooLong(absPath.length() - absPath.lastIndexOf('/')))) {
      // the usual case: a file inside one mount, no link on the way (a link, or anything else
      // that fails there, takes the name-by-name resolution below; so does a long new name,
      // which a tmpfs mount's memory would take though Linux refuses it)
      FileHandle direct = holder.tree.openBeneath(holder.inner(absPath), options, createMode);
      if (direct != null) {
        return direct;
      }
    }
    Where w = resolve(absPath, follow);
    // open(2) answers EEXIST, then EISDIR, before it looks at the mount's read-only flag
    if (options.contains(StandardOpenOption.CREATE_NEW) && (w.node != null || w.isMountRoot())) {
      throw new FileAlreadyExistsException(absPath);
    }
    if (w.isMountRoot() && w.owner.file == null
        || write && w.node != null && w.node.isDirectory()) {
      throw new FileSystemException(absPath, null, "Is a directory");
    }
    // and ENOENT (a missing name, not created) and ELOOP (a link not followed) before it too:
    // the tree below answers those
    if (w.node == null ? create : write && !w.node.isSymbolicLink()) {
      writable(w, absPath);
    }
    try {
      return treeOf(w).open(pathIn(w), options, createMode);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath);
    }
  }

  @Override
  public FileHandle openForReading(String absPath, boolean followLast) throws IOException {
    Mounted holder = inside(absPath);
    return holder == null ? null : holder.tree.openForReadingBeneath(holder.inner(absPath));
  }

  @Override
  public java.nio.channels.SeekableByteChannel readChannel(String absPath) {
    if (!ReadBeneath.Availability.AVAILABLE) {
      return null; // before Java 22: no mount reads by openat2, so no look-up of its path
    }
    Mounted holder = inside(absPath);
    return holder == null ? null : holder.tree.readChannelBeneath(holder.inner(absPath));
  }

  /**
   * The mount that holds {@code absPath} below its root when no name of the path is {@code .}
   * or {@code ..}: then the path's names inside the mount are all the mount's (the longest
   * target wins), and those above are directories, which stay so while a mount sits on them.
   * Null otherwise.
   */
  private Mounted inside(String absPath) {
    Mounted holder = ownerOf(absPath);
    return holder != null && !holder.target.equals(absPath) && plain(absPath) ? holder : null;
  }

  @Override
  public void createDirectory(String absPath, int mode) throws IOException {
    Where w = resolve(absPath, false);
    if (w.node != null || w.isMountRoot()) {
      throw new FileAlreadyExistsException(absPath);
    }
    writable(w, absPath);
    try {
      treeOf(w).createDirectory(pathIn(w), mode);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath); // the mount's tree names its own path
    }

  }

  @Override
  public void createSymbolicLink(String absLink, String target) throws IOException {
    Where w = resolve(absLink, false);
    if (w.node != null || w.isMountRoot()) {
      throw new FileAlreadyExistsException(absLink);
    }
    writable(w, absLink);
    try {
      treeOf(w).createSymbolicLink(pathIn(w), target);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absLink); // the mount's tree names its own path
    }

  }

  @Override
  public void createLink(String absLink, String absExisting) throws IOException {
    // link(2) resolves the existing file before the new name's directory
    Where existing = resolve(absExisting, false);
    if (existing.node == null) {
      throw new NoSuchFileException(absExisting);
    }
    Where link = resolve(absLink, false);
    if (link.node != null || link.isMountRoot()) {
      throw new FileAlreadyExistsException(absLink);
    }
    // then, as link(2): EROFS of the new name's mount, EXDEV, EPERM for a directory (a mount's
    // root is one, linked within its own mount)
    writable(link, absLink);
    if (link.owner != existing.owner) {
      throw new FileSystemException(absLink, absExisting, "Invalid cross-device link");
    }
    if (existing.isMountRoot()) {
      throw new FileSystemException(absLink, absExisting, "Operation not permitted");
    }
    treeOf(link).createLink(pathIn(link), pathIn(existing));
  }

  @Override
  public void delete(String absPath) throws IOException {
    Where w = resolve(absPath, false);
    if (w.isMountRoot()) {
      throw new FileSystemException(absPath, null, "Device or resource busy");
    }
    if (holdsMount(w.full)) {
      throw new DirectoryNotEmptyException(absPath); // it holds the mount point, at least
    }
    if (w.node == null) {
      throw new NoSuchFileException(absPath);
    }
    writable(w, absPath);
    try {
      treeOf(w).delete(pathIn(w));
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath); // the mount's tree names its own path
    }

  }

  @Override
  public void move(String absSource, String absTarget, boolean replaceExisting)
      throws IOException {
    move(absSource, absTarget, replaceExisting, false);
  }

  @Override
  public void move(String absSource, String absTarget, boolean replaceExisting, boolean rename)
      throws IOException {
    Where s;
    Set<String> sourceLinks = new HashSet<>();
    try {
      s = resolve(absSource, false, sourceLinks);
    } catch (FileSystemException e) {
      throw NotADirectory.whenRead(e); // the JDK reads the source's attributes first
    }
    if (s.node == null) {
      if (rename) {
        writable(s, absSource); // rename(2) asks the mount for writing before it looks
      }
      // before the target is resolved: a missing source wins over a bad target, as on Linux
      throw new NoSuchFileException(absSource);
    }
    Where t = resolve(absTarget, false);
    if (s.full.equals(t.full)) {
      if (rename && !s.isMountRoot()) {
        writable(s, absSource); // rename(2) asks the mount for writing first
      }
      return; // one name: the JDK's move finds the same file, rename(2) the same name
    }
    if (!rename && (t.node != null || t.isMountRoot())) {
      // the JDK's move looks at the target first, before rename(2) or a copy finds anything
      if (t.node != null && s.node.fileKey() == t.node.fileKey()) {
        return; // the same file, also through two mounts of one host directory
      }
      if (!replaceExisting) {
        throw new FileAlreadyExistsException(absTarget);
      }
    }
    if (s.isMountRoot() || t.isMountRoot() || holdsMount(s.full)) {
      boolean across = !rename && !t.isMountRoot()
          && ownerOf(PathNames.parent(s.full)) != ownerOf(PathNames.parent(t.full));
      if (across && s.node != null && !s.node.isDirectory()) {
        // a file's mount point: the JDK copies it, cannot unlink it and removes the copy
        throw new FileSystemException(absSource, null, "Device or resource busy");
      }
      if (across && !treeOf(s).list(pathIn(s)).isEmpty()) {
        // rename(2) across two mounts (compared by the parents): EXDEV, and the JDK's copy
        // refuses a directory that is not empty; an empty mount point is busy below, refused
        // before anything is made (the JDK would make the target, then fail to remove it)
        throw new DirectoryNotEmptyException(absSource);
      }
      if (!rename && t.isMountRoot()) {
        // the JDK's replacing move removes the target first: rmdir(2) finds a mount point busy
        throw new FileSystemException(absTarget, null, "Device or resource busy");
      }
      throw new FileSystemException(absSource, absTarget, "Device or resource busy");
    }
    if (s.owner == t.owner && s.owner != null && s.owner.mount.readOnly()) {
      // within one mount the JDK's move is rename(2), whose errors name both paths
      throw new FileSystemException(absSource, absTarget, "Read-only file system");
    }
    writable(s, absSource);
    if (!rename && s.owner != t.owner && t.node == null && s.node.isDirectory()
        && !treeOf(s).list(pathIn(s)).isEmpty()) {
      // rename(2) across two mounts is EXDEV before it asks either for writing, and the JDK's
      // copy then refuses a directory that is not empty before it makes the target
      throw new DirectoryNotEmptyException(absSource);
    }
    writable(t, absTarget);
    if (replaceExisting && t.node != null && t.node.type() == EntryType.SYMLINK
        && sourceLinks.contains(t.full)) {
      // within one tree or across two: the link goes first, and then the source is looked for
      s = afterUnlinkingTheTarget(t, absSource, absTarget);
      t = new Where(t.owner, t.full, t.inner, null);
      if (s.isMountRoot() || holdsMount(s.full)) {
        throw new FileSystemException(absSource, absTarget, "Device or resource busy");
      }
      writable(s, absSource);
    }
    if (s.owner == t.owner) {
      try {
        treeOf(s).move(pathIn(s), pathIn(t), replaceExisting, rename);
      } catch (FileSystemException e) {
        // an error about the target names it by this tree's path, as one about the source does
        throw s.owner != null && pathIn(t).equals(e.getFile()) ? PathErrors.named(e, absTarget)
            : e;
      }
      return;
    }
    moveAcross(s, t, absSource, absTarget, replaceExisting);
  }

  /**
   * The JDK replaces a target by unlinking it and then renaming the source by its path: a source
   * reached through the link it replaced is gone then ({@code NoSuchFileException}). Mounts
   * resolved the source already, so it is resolved again once the link is gone. Only for such a
   * source: any other move replaces its target at once, as rename(2) does (an atomic move comes
   * with its source's real path, which no link of the target's leads to).
   */
  private Where afterUnlinkingTheTarget(Where t, String absSource, String absTarget)
      throws IOException {
    treeOf(t).delete(pathIn(t));
    Where s;
    try {
      s = resolve(absSource, false);
    } catch (FileSystemException e) {
      throw new NoSuchFileException(absSource, absTarget, null);
    }
    if (s.node == null) {
      throw new NoSuchFileException(absSource, absTarget, null);
    }
    return s;
  }

  /**
   * A move between two trees, as the JDK's default provider does it across file systems: copy
   * (a directory only when it is empty), keep mode and times, then delete the source.
   */
  private void moveAcross(Where s, Where t, String absSource, String absTarget,
      boolean replaceExisting) throws IOException {
    FileTree from = treeOf(s);
    FileTree to = treeOf(t);
    Node node = s.node;
    // the JDK's order: the target is looked at (see move), then the source; but where the JDK
    // unlinks a target before it finds the source directory not empty, this refuses with the
    // target kept
    if (t.node != null && t.node.isDirectory() && !to.list(pathIn(t)).isEmpty()) {
      throw new DirectoryNotEmptyException(absTarget);
    }
    if (node.isDirectory() && !from.list(pathIn(s)).isEmpty()) {
      throw new DirectoryNotEmptyException(absSource);
    }
    if (t.node != null) {
      to.delete(pathIn(t));
    }
    TreeCopy.copyOne(from, pathIn(s), node, to, pathIn(t));
    from.delete(pathIn(s));
  }

  /**
   * True when a mount's target lies below {@code full}: renaming it is EBUSY here (Linux would
   * move the mount along), removing it ENOTEMPTY.
   */
  private boolean holdsMount(String full) {
    for (Mounted m : mounts) {
      if (m.target.startsWith(full + "/")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void setMode(String absPath, boolean follow, int mode) throws IOException {
    Where w = existing(absPath, follow);
    try {
      treeOf(w).setMode(pathIn(w), false, mode);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath); // the mount's tree names its own path
    }

  }

  @Override
  public void setOwner(String absPath, boolean follow, int uid, int gid) throws IOException {
    Where w = existing(absPath, follow);
    try {
      treeOf(w).setOwner(pathIn(w), false, uid, gid);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath); // the mount's tree names its own path
    }

  }

  @Override
  public void setTimes(String absPath, boolean follow, long mtimeNanos, long atimeNanos)
      throws IOException {
    Where w = existing(absPath, follow);
    try {
      treeOf(w).setTimes(pathIn(w), false, mtimeNanos, atimeNanos);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath); // the mount's tree names its own path
    }

  }

  @Override
  public Map<String, byte[]> xattrs(String absPath, boolean follow) throws IOException {
    Where w = resolve(absPath, follow);
    if (w.node == null) {
      throw new NoSuchFileException(absPath);
    }
    try {
      return treeOf(w).xattrs(pathIn(w), false);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath); // the mount's tree names its own path
    }
  }

  @Override
  public byte[] xattr(String absPath, boolean follow, String name) throws IOException {
    Where w = resolve(absPath, follow);
    if (w.node == null) {
      throw new NoSuchFileException(absPath);
    }
    try {
      return treeOf(w).xattr(pathIn(w), false, name);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath);
    }
  }

  @Override
  public void setXattr(String absPath, boolean follow, String name, byte[] value)
      throws IOException {
    Where w = existing(absPath, follow);
    try {
      treeOf(w).setXattr(pathIn(w), false, name, value);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath); // the mount's tree names its own path
    }

  }

  @Override
  public void removeXattr(String absPath, boolean follow, String name) throws IOException {
    Where w = existing(absPath, follow);
    try {
      treeOf(w).removeXattr(pathIn(w), false, name);
    } catch (FileSystemException e) {
      throw PathErrors.named(e, absPath); // the mount's tree names its own path
    }

  }

  private Where existing(String absPath, boolean follow) throws IOException {
    Where w = resolve(absPath, follow);
    if (w.node == null) {
      throw new NoSuchFileException(absPath);
    }
    writable(w, absPath);
    return w;
  }

  /** Unmounts (a tmpfs's content is gone) and closes the container's tree. */
  @Override
  public void close() throws IOException {
    try {
      closeMounts();
    } finally {
      base.close();
    }
  }

  private void closeMounts() throws IOException {
    IOException first = null;
    for (Mounted m : mounts) {
      try {
        m.tree.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private static List<String> names(String path) {
    List<String> names = new ArrayList<>();
    for (String n : path.split("/")) {
      if (!n.isEmpty()) {
        names.add(n);
      }
    }
    return names;
  }

  private static String join(List<String> names) {
    return names.isEmpty() ? "/" : "/" + String.join("/", names);
  }
}
