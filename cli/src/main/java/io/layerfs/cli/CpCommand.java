package io.layerfs.cli;

import io.layerfs.core.internal.HostNames;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs cp NAME:SRC DEST} and {@code layerfs cp SRC NAME:DEST}: copies files between a
 * container and the host with {@code docker cp}'s rules (a directory into an existing directory
 * under its own name, {@code SRC/.} for its contents, a file onto a file or into a directory).
 * Modes and times are kept; owners only with {@code -a}; a symbolic link at SRC is copied as a
 * link unless {@code -L}. Copying into a container writes through its copy-on-write layer. With
 * {@code -} as DEST the source goes to standard output as a tar; with {@code -} as SRC a tar from
 * standard input is extracted into the container's DEST directory ({@link TarStreams}).
 */
final class CpCommand implements CliCommand {
  private static final Pattern CONTAINER_PATH =
      Pattern.compile("([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)");

  // this run's arguments, for the copying methods (a model makes one instance per run)
  private Path store;
  private boolean archive;
  private boolean followLink;
  private PrintWriter err;
  private String containerName; // the container SRC is in, for the names of skipped files
  private boolean skipped;

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new CpCommand(), "cp",
        "Copy files between a container and the host, as 'docker cp' does.");
    spec.addOption(Specs.flag(new String[] {"-a", "--archive"}, "Keep owners (uid and gid)."));
    spec.addOption(Specs.flag(new String[] {"-L", "--follow-link"},
        "Follow a symbolic link at SRC."));
    spec.addPositional(Specs.positional("0", "SRC", "NAME:PATH or a host path.").build());
    spec.addPositional(Specs.positional("1", "DEST", "NAME:PATH or a host path.").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    store = in.store();
    Stores.checkExists(store);
    archive = in.flag("--archive");
    followLink = in.flag("--follow-link");
    err = in.err();
    String source = in.positional(0);
    String destination = in.positional(1);
    Matcher from = CONTAINER_PATH.matcher(source);
    Matcher to = CONTAINER_PATH.matcher(destination);
    boolean fromContainer = from.matches() && isContainer(from.group(1));
    boolean toContainer = to.matches() && isContainer(to.group(1));
    if (fromContainer == toContainer) {
      throw new IllegalArgumentException(fromContainer
          ? "copying between containers is not supported" : neitherIsAContainer(from, to));
    }
    String name = fromContainer ? from.group(1) : to.group(1);
    containerName = fromContainer ? name : null;
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store, "readOnly", fromContainer))) {
      if (fromContainer && destination.equals("-")) {
        try (OutputStream out = in.stdout()) {
          TarStreams.write(inContainer(fs, from.group(2)), followLink, out);
        }
        return 0;
      }
      if (toContainer) {
        refuseTmpfs(inContainer(fs, to.group(2)), destination);
      }
      if (toContainer && source.equals("-")) {
        List<TarStreams.Skipped> left = TarStreams.extract(
            new BufferedInputStream(System.in, 1 << 16), inContainer(fs, to.group(2)), archive);
        for (TarStreams.Skipped s : left) {
          // as a copy from the container to the host says it, and as cp -r ends: status 1
          err.println("layerfs: " + name + ":" + s.target() + ": skipped: " + s.what());
        }
        err.flush();
        return left.isEmpty() ? 0 : 1;
      }
      Path src = fromContainer ? inContainer(fs, from.group(2)) : Path.of(source);
      Path dst = toContainer ? inContainer(fs, to.group(2)) : onHost(Path.of(destination));
      // the arguments as given name the paths in messages: NAME:PATH says which container
      copy(src, source, dst, destination);
    } catch (FileSystemException e) {
      Matcher inside = fromContainer ? from : to;
      throw inContainer(name, inside.group(2), fromContainer ? destination : source, e);
    }
    // as cp -r ends when it could not copy everything: the rest is copied, the status says so
    return skipped ? 1 : 0;
  }

  /**
   * {@code e} with the container named when its file is the container's path or below it and
   * cannot be the host's: a file under both is left as it is.
   */
  private static FileSystemException inContainer(String name, String path, String hostPath,
      FileSystemException e) {
    String file = e.getFile();
    String inside = path.isEmpty() ? "/" : path;
    String host = Path.of(hostPath).toAbsolutePath().toString();
    return file != null && file.startsWith(inside) && !file.startsWith(host)
        ? Errors.in(name, e) : e;
  }

  private boolean isContainer(String name) throws IOException {
    return Stores.hasContainer(store, name);
  }

  /** The error when no side names a container: the NAME that is missing, as docker says. */
  private String neitherIsAContainer(Matcher from, Matcher to) {
    String name = from.matches() ? from.group(1) : to.matches() ? to.group(1) : null;
    if (name == null) {
      return "one of SRC and DEST must be NAME:PATH, NAME a container of store " + store;
    }
    return "no container " + name + " in store " + store
        + " (a host path with ':' in it needs './' in front)";
  }

  /**
   * A host DEST as docker cp takes it: a symbolic link is followed (replacing it would turn
   * {@code /dev/stdout} into a file), and a device, fifo or socket is refused, never replaced.
   */
  private static Path onHost(Path dst) throws IOException {
    Path target = dst;
    if (Files.isSymbolicLink(dst) && Files.exists(dst)) {
      try {
        target = dst.toRealPath();
      } catch (IOException e) {
        target = null; // a link to what has no path, as /proc/self/fd/1 to a pipe
      }
    }
    if (target == null || Files.exists(target) && !Files.isRegularFile(target)
        && !Files.isDirectory(target)) {
      throw new FileSystemException(dst.toString(), null, "not a regular file or directory: cp"
          + " writes only those (give '-' to write a tar to standard output)");
    }
    return target;
  }

  private static Path inContainer(FileSystem fs, String path) {
    return fs.getPath(path.isEmpty() ? "/" : path).toAbsolutePath();
  }

  /**
   * Refuses a destination in a tmpfs mount: this process's tmpfs is gone when cp closes the
   * container (every open starts with an empty one), so the copy would vanish without a word.
   */
  private static void refuseTmpfs(Path dst, String dstText) throws IOException {
    Path existing = dst;
    while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    if (existing != null && Files.getFileStore(existing).type().equals("tmpfs")) {
      throw new IllegalArgumentException(dstText + " is in a tmpfs mount, which holds files"
          + " only while one process has the container open: nothing copied there would stay");
    }
  }

  /** docker cp's rules for where SRC lands. */
  private void copy(Path src, String srcText, Path dst, String dstText) throws IOException {
    LinkOption[] srcLinks = followLink ? new LinkOption[0]
        : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    if (!Files.exists(src, srcLinks)) {
      throw new NoSuchFileException(srcText, null, srcText + ": no such file or directory");
    }
    boolean contents = srcText.endsWith("/.");
    boolean srcDir = Files.isDirectory(src, srcLinks);
    boolean dstExists = Files.exists(dst);
    // a trailing '/' asserts a directory, as docker cp and cp(1) take it: never a file's bytes
    if (!srcDir && (srcText.endsWith("/") || contents)) {
      throw new NotDirectoryException(srcText);
    }
    if (dstExists && !Files.isDirectory(dst) && dstText.endsWith("/")) {
      throw new NotDirectoryException(dstText);
    }
    if (!srcDir) {
      if (!dstExists && dstText.endsWith("/")) {
        throw new NoSuchFileException(dstText, null,
            dstText + ": the destination directory must exist");
      }
      Path target = dstExists && Files.isDirectory(dst) ? child(dst, name(src)) : dst;
      copyEntry(src, target, followLink);
      return;
    }
    if (dstExists && !Files.isDirectory(dst)) {
      throw new NotDirectoryException(dstText + ": cannot copy a directory to a file");
    }
    Path root = !dstExists || contents ? dst : child(dst, name(src));
    Path from = followLink ? src.toRealPath() : src;
    Map<Object, Path> linked = new HashMap<>(); // a file linked more than once: its first copy
    Files.walkFileTree(from, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
          throws IOException {
        Path target = resolve(root, from.relativize(dir));
        if (!Files.isDirectory(target)) {
          Files.createDirectory(target);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Path target = resolve(root, from.relativize(file));
        Path first = attrs.isRegularFile() && attrs.fileKey() != null
            && (Integer) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS) > 1
            ? linked.putIfAbsent(attrs.fileKey(), target) : null;
        if (first != null) {
          // a second name of a file copied already: a second name of its copy, as docker cp's
          // tar links it
          replaceable(target, false);
          Files.createLink(target, first);
        } else {
          copyEntry(file, target, false);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        // after its children, which changed its time
        copyMetadata(dir, resolve(root, from.relativize(dir)), false);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** One file, link or (empty) directory, then its metadata. */
  private void copyEntry(Path src, Path dst, boolean follow) throws IOException {
    LinkOption[] links = follow ? new LinkOption[0]
        : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    BasicFileAttributes a = Files.readAttributes(src, BasicFileAttributes.class, links);
    replaceable(dst, !a.isSymbolicLink());
    if (a.isSymbolicLink()) {
      // the target as written: it resolves in the destination's own namespace
      Files.createSymbolicLink(dst, HostNames.name(dst.getFileSystem(),
          HostNames.of(Files.readSymbolicLink(src))));
    } else if (a.isDirectory()) {
      Files.createDirectories(dst);
    } else if (a.isRegularFile()) {
      copyBytes(src, dst);
    } else {
      skip(src, links);
      return;
    }
    copyMetadata(src, dst, !follow);
  }

  /**
   * The bytes of {@code src} into a new file at {@code dst}, replacing one there (as {@code
   * Files.copy} replaces it); a failed write names {@code dst}, as cp(1) names the file it could
   * not write, where the JDK's words for one (a full disk) name none.
   */
  private static void copyBytes(Path src, Path dst) throws IOException {
    try (InputStream in = Files.newInputStream(src)) {
      Files.deleteIfExists(dst);
      try (OutputStream out = Errors.naming(dst, Files.newOutputStream(dst,
          StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
        in.transferTo(out);
      }
    }
  }

  /**
   * Makes room at {@code dst} for a new entry: a directory there is an error, a link is
   * removed, and so is a file unless {@code keepFile} (its bytes are replaced in place).
   */
  private static void replaceable(Path dst, boolean keepFile) throws IOException {
    if (Files.isDirectory(dst, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(dst.toString(), null, "is a directory");
    }
    if (!keepFile || Files.isSymbolicLink(dst)) {
      Files.deleteIfExists(dst);
    }
  }

  /**
   * Says on stderr that {@code src}, a device, fifo or socket, is not copied, as the JDK can make
   * none of them; the copy goes on and ends with status 1. (umoci unpack --rootless puts an
   * empty file in place of a device, which a later copy back would take for the device; docker
   * cp run without privileges fails at mknod and leaves the rest uncopied.)
   */
  private void skip(Path src, LinkOption... links) throws IOException {
    int mode = (Integer) Files.getAttribute(src, "unix:mode", links);
    String what = switch (mode & 0170000) {
      case 0020000 -> "a character device (" + deviceNumbers(src, links) + ")";
      case 0060000 -> "a block device (" + deviceNumbers(src, links) + ")";
      case 0010000 -> "a fifo";
      case 0140000 -> "a socket";
      default -> "neither file, directory nor link";
    };
    String where = containerName == null ? src.toString() : containerName + ":" + src;
    String keep = containerName == null ? ""
        : " ('layerfs cp " + where + " -' writes it into a tar)";
    err.println("layerfs: " + where + ": skipped: " + what
        + "; Java makes no device nodes, fifos or sockets" + keep);
    err.flush();
    skipped = true;
  }

  /** Major and minor number, as {@code ls -l} shows them. */
  private static String deviceNumbers(Path device, LinkOption... links) throws IOException {
    return LsCommand.deviceNumbers((Long) Files.getAttribute(device, "unix:rdev", links));
  }

  /** Mode (setuid, setgid and sticky too) and mtime, as docker cp keeps them; owners with -a. */
  private void copyMetadata(Path src, Path dst, boolean noFollow) throws IOException {
    LinkOption[] links = noFollow ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS}
        : new LinkOption[0];
    BasicFileAttributes a = Files.readAttributes(src, BasicFileAttributes.class, links);
    boolean link = a.isSymbolicLink();
    if (archive) {
      Files.setAttribute(dst, "unix:uid", Files.getAttribute(src, "unix:uid", links),
          LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(dst, "unix:gid", Files.getAttribute(src, "unix:gid", links),
          LinkOption.NOFOLLOW_LINKS);
    }
    if (!link) {
      int mode = (Integer) Files.getAttribute(src, "unix:mode", links) & 07777;
      Files.setAttribute(dst, "unix:mode", mode);
      Files.setLastModifiedTime(dst, a.lastModifiedTime());
    } else {
      // a link's own time too, as docker cp's tar extraction sets it (lutimes)
      Files.getFileAttributeView(dst, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(a.lastModifiedTime(), null, null);
    }
  }

  private static Path resolve(Path root, Path relative) {
    Path p = root;
    for (Path part : relative) {
      p = child(p, HostNames.of(part));
    }
    return p;
  }

  /**
   * {@code dir}'s child {@code name}, a name's bytes kept between the host and layerfs (the host
   * has no string for a name that is not UTF-8; layerfs has one: HostNames).
   */
  private static Path child(Path dir, String name) {
    return dir.resolve(HostNames.name(dir.getFileSystem(), name));
  }

  private static String name(Path p) {
    Path n = p.getFileName();
    if (n == null) {
      throw new IllegalArgumentException("cannot copy the root " + p + " as a file");
    }
    return HostNames.of(n);
  }
}
