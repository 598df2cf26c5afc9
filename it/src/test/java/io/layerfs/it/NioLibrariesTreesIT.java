package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.sevenz.SevenZArchiveEntry;
import org.apache.commons.compress.archivers.sevenz.SevenZFile;
import org.apache.commons.compress.archivers.sevenz.SevenZMethod;
import org.apache.commons.compress.archivers.sevenz.SevenZOutputFile;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.io.file.Counters;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Commons IO's, Guava's and Commons Compress's file and tree calls in each tree a container has
 * (the image's files, its own layer, a named volume, a bind mount, a tmpfs mount), each program
 * run on the host too, in a new temporary directory: the oracle. A program records each call's
 * result, or its exception's class and {@code FileSystemException} reason, and the tree after it
 * (kinds, permissions, sizes, contents, link targets, relative paths only, sorted); both records
 * must be equal. The libraries walk with and without following links, copy with attributes,
 * delete through a {@code SecureDirectoryStream} (Guava's default), count what they walk, and
 * write and read archives through seeking channels.
 */
final class NioLibrariesTreesIT {
  private static Path work;
  private static FileSystem fs;

  @BeforeAll
  static void openContainer() throws IOException {
    work = Files.createTempDirectory("layerfs-libraries-");
    // Commons IO's setReadOnly takes the dos view where the file system has one, as layerfs's
    // trees have: the oracle must have it too, or the two runs take different paths
    assertTrue(Files.getFileStore(work).supportsFileAttributeView("user"),
        "the host's temporary directory must keep user xattrs (" + work + ")");
    Path store = work.resolve("store");
    Path bind = Files.createDirectory(work.resolve("bind"));
    ImageBuilder image = ImageBuilder.create(store).layer()
        .file("/etc/os-release", "ID=libraries\n")
        .dir("/srv/upper", 0755)
        .dir("/srv/image", 0755);
    for (String program : List.of("commons-io", "guava", "commons-compress")) {
      // the source tree in the image, as makeSource makes it elsewhere
      String src = "/srv/image/" + program + "/src";
      image.dir("/srv/image/" + program, 0755).dir(src, 0755)
          .file(src + "/a.txt", "alpha\n".getBytes(StandardCharsets.UTF_8), 0644)
          .dir(src + "/b", 0750)
          .file(src + "/b/c.txt", "x".repeat(5000).getBytes(StandardCharsets.UTF_8), 0600)
          .file(src + "/b/run.sh", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0755)
          .dir(src + "/b/empty", 0755)
          .symlink(src + "/to-c", "b/c.txt")
          .symlink(src + "/to-b", "b");
    }
    image.build("libraries:1");
    fs = FileSystems.newFileSystem(URI.create("layerfs://libraries-trees"),
        Map.of("store", store, "image", "libraries:1", "mounts", List.of(
            "type=volume,source=libraries-trees,target=/srv/volume",
            "type=bind,source=" + bind + ",target=/srv/bind",
            "type=tmpfs,target=/srv/tmpfs")));
  }

  @AfterAll
  static void closeContainer() throws IOException {
    if (fs != null) {
      fs.close();
    }
    PathUtils.deleteDirectory(work);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/srv/image", "/srv/upper", "/srv/volume", "/srv/bind", "/srv/tmpfs"})
  void commonsIoAsOnTheHost(String root) throws IOException {
    List<String> oracle = commonsIo(makeSource(hostDirectory()));
    assertTrue(oracle.size() > 20, "the program ran: " + oracle);
    assertEquals(String.join("\n", oracle), String.join("\n", commonsIo(source(root,
        "commons-io"))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/srv/image", "/srv/upper", "/srv/volume", "/srv/bind", "/srv/tmpfs"})
  void guavaAsOnTheHost(String root) throws IOException {
    List<String> oracle = guava(makeSource(hostDirectory()));
    assertTrue(oracle.size() > 15, "the program ran: " + oracle);
    assertEquals(String.join("\n", oracle), String.join("\n", guava(source(root, "guava"))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/srv/image", "/srv/upper", "/srv/volume", "/srv/bind", "/srv/tmpfs"})
  void commonsCompressAsOnTheHost(String root) throws IOException {
    List<String> oracle = commonsCompress(makeSource(hostDirectory()));
    assertTrue(oracle.size() > 10, "the program ran: " + oracle);
    assertEquals(String.join("\n", oracle), String.join("\n", commonsCompress(source(root,
        "commons-compress"))));
  }

  /** A new host directory for the oracle's run, with the mode of the container's. */
  private static Path hostDirectory() throws IOException {
    Path dir = Files.createTempDirectory(work, "host-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  /** The source tree of {@code program} under {@code root}: the image's, or made now. */
  private static Path source(String root, String program) throws IOException {
    Path dir = fs.getPath(root, program);
    return root.equals("/srv/image") ? dir.resolve("src")
        : makeSource(Files.createDirectories(dir));
  }

  /** The image's source tree, made in {@code dir}; returns its {@code src}. */
  private static Path makeSource(Path dir) throws IOException {
    Path src = Files.createDirectory(dir.resolve("src"));
    Files.setPosixFilePermissions(src, PosixFilePermissions.fromString("rwxr-xr-x"));
    write(src.resolve("a.txt"), "alpha\n", "rw-r--r--");
    Path b = Files.createDirectory(src.resolve("b"));
    write(b.resolve("c.txt"), "x".repeat(5000), "rw-------");
    write(b.resolve("run.sh"), "#!/bin/sh\n", "rwxr-xr-x");
    Files.setPosixFilePermissions(Files.createDirectory(b.resolve("empty")),
        PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(b, PosixFilePermissions.fromString("rwxr-x---"));
    Files.createSymbolicLink(src.resolve("to-c"), src.getFileSystem().getPath("b/c.txt"));
    Files.createSymbolicLink(src.resolve("to-b"), src.getFileSystem().getPath("b"));
    return src;
  }

  private static void write(Path file, String text, String permissions) throws IOException {
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
  }

  private static List<String> commonsIo(Path src) throws IOException {
    Path top = src.getParent();
    List<String> out = new ArrayList<>();
    out.add("count " + call(() -> counted(PathUtils.countDirectory(src))));
    out.add("size " + call(() -> PathUtils.sizeOfDirectory(src)));
    out.add("copy " + call(() -> counted(PathUtils.copyDirectory(src, top.resolve("copy"),
        StandardCopyOption.COPY_ATTRIBUTES))));
    out.add("equal " + call(() -> PathUtils.directoryAndFileContentEquals(src,
        top.resolve("copy"))));
    out.addAll(tree(top));
    out.add("copy again " + call(() -> counted(PathUtils.copyDirectory(src, top.resolve("copy")))));
    out.add("copy onto a file " + call(() -> counted(PathUtils.copyDirectory(src,
        top.resolve("copy/a.txt")))));
    out.add("copy file " + call(() -> top.relativize(PathUtils.copyFileToDirectory(
        src.resolve("to-c"), top.resolve("copy/b/empty")))));
    out.add("touch " + call(() -> top.relativize(PathUtils.touch(top.resolve("copy/new")))));
    out.add("append " + call(() -> top.relativize(PathUtils.writeString(top.resolve("copy/a.txt"),
        "more\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND))));
    out.add("read-only " + call(() -> top.relativize(PathUtils.setReadOnly(
        top.resolve("copy/b/run.sh"), true))));
    out.add("read-only link " + call(() -> top.relativize(PathUtils.setReadOnly(
        top.resolve("copy/to-c"), true, LinkOption.NOFOLLOW_LINKS))));
    out.add("empty? " + call(() -> PathUtils.isEmptyDirectory(top.resolve("copy/b/empty"))));
    out.add("equal after " + call(() -> PathUtils.directoryAndFileContentEquals(src,
        top.resolve("copy"))));
    out.addAll(tree(top));
    out.add("clean " + call(() -> counted(PathUtils.cleanDirectory(top.resolve("copy/b")))));
    out.add("empty after " + call(() -> PathUtils.isEmptyDirectory(top.resolve("copy/b"))));
    out.add("delete file " + call(() -> counted(PathUtils.deleteFile(top.resolve("copy/a.txt")))));
    out.add("delete missing " + call(() -> counted(PathUtils.delete(top.resolve("copy/gone")))));
    out.add("delete link " + call(() -> counted(PathUtils.delete(top.resolve("copy/to-b")))));
    out.addAll(tree(top));
    out.add("copy links as links " + call(() -> counted(PathUtils.copyDirectory(src,
        top.resolve("links"), LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES))));
    out.add("copy replacing " + call(() -> counted(PathUtils.copyDirectory(src,
        top.resolve("links"), StandardCopyOption.REPLACE_EXISTING))));
    out.add("contents equal " + call(() -> PathUtils.fileContentEquals(src.resolve("b/c.txt"),
        top.resolve("links/to-c"))));
    out.add("contents of a directory " + call(() -> PathUtils.fileContentEquals(src.resolve("b"),
        src.resolve("b"))));
    out.add("newer than 1969 " + call(() -> PathUtils.isNewer(src.resolve("a.txt"),
        FileTime.fromMillis(-1)))); // the image's files are of the epoch
    out.add("parents " + call(() -> top.relativize(PathUtils.createParentDirectories(
        top.resolve("links/p/q/file")))));
    out.add("output stream " + call(() -> {
      try (java.io.OutputStream o = PathUtils.newOutputStream(top.resolve("links/p/q/file"),
          true)) {
        o.write("appended".getBytes(StandardCharsets.UTF_8));
      }
      return PathUtils.readString(top.resolve("links/p/q/file"), StandardCharsets.UTF_8);
    }));
    out.add("read-only, then deleted overriding it " + call(() -> {
      PathUtils.setReadOnly(top.resolve("links/a.txt"), true);
      return counted(PathUtils.deleteDirectory(top.resolve("links"),
          org.apache.commons.io.file.StandardDeleteOption.OVERRIDE_READ_ONLY));
    }));
    out.add("delete dir " + call(() -> counted(PathUtils.deleteDirectory(top.resolve("copy")))));
    out.add("delete src " + call(() -> counted(PathUtils.deleteDirectory(src))));
    out.addAll(tree(top));
    return out;
  }

  private static List<String> guava(Path src) throws IOException {
    Path top = src.getParent();
    List<String> out = new ArrayList<>();
    out.add("pre-order " + call(() -> relative(src,
        MoreFiles.fileTraverser().depthFirstPreOrder(src))));
    out.add("breadth " + call(() -> relative(src, MoreFiles.fileTraverser().breadthFirst(src))));
    out.add("list " + call(() -> relative(src, MoreFiles.listFiles(src))));
    out.add("list a file " + call(() -> MoreFiles.listFiles(src.resolve("a.txt"))));
    out.add("equal " + call(() -> MoreFiles.equal(src.resolve("b/c.txt"), src.resolve("to-c"))));
    out.add("parents " + call(() -> {
      MoreFiles.createParentDirectories(top.resolve("made/x/y/file"));
      return Files.isDirectory(top.resolve("made/x/y"));
    }));
    out.add("touch " + call(() -> {
      MoreFiles.touch(top.resolve("made/x/y/file"));
      return Files.size(top.resolve("made/x/y/file"));
    }));
    out.add("sink " + call(() -> {
      MoreFiles.asCharSink(top.resolve("made/x/y/file"), StandardCharsets.UTF_8,
          StandardOpenOption.APPEND).write("line\n");
      return MoreFiles.asCharSource(top.resolve("made/x/y/file"), StandardCharsets.UTF_8).read();
    }));
    out.add("copy " + call(() -> {
      MoreFiles.asByteSource(src.resolve("to-c")).copyTo(
          MoreFiles.asByteSink(top.resolve("made/c-copy")));
      return Files.size(top.resolve("made/c-copy"));
    }));
    out.add("source of a link, not followed " + call(() -> MoreFiles.asByteSource(
        src.resolve("to-c"), LinkOption.NOFOLLOW_LINKS).size()));
    out.addAll(tree(top));
    out.add("delete contents " + call(() -> {
      MoreFiles.deleteDirectoryContents(src.resolve("b"));
      return relative(src, MoreFiles.listFiles(src.resolve("b")));
    }));
    out.add("delete contents of a link " + call(() -> {
      MoreFiles.deleteDirectoryContents(src.resolve("to-b"));
      return "deleted";
    }));
    out.add("delete a link " + call(() -> {
      MoreFiles.deleteRecursively(src.resolve("to-b"));
      return Files.exists(src.resolve("b"));
    }));
    out.add("delete missing " + call(() -> {
      MoreFiles.deleteRecursively(top.resolve("gone"));
      return "deleted";
    }));
    out.add("delete contents of a file " + call(() -> {
      MoreFiles.deleteDirectoryContents(src.resolve("a.txt"));
      return "deleted";
    }));
    out.add("read a directory " + call(() -> MoreFiles.asByteSource(src.resolve("b")).read()
        .length));
    out.add("write a directory " + call(() -> {
      MoreFiles.asCharSink(src.resolve("b"), StandardCharsets.UTF_8).write("x");
      return "written";
    }));
    out.add("size of a directory " + call(() -> MoreFiles.asByteSource(src.resolve("b"))
        .size()));
    out.add("traverse through a link " + call(() -> relative(src,
        MoreFiles.fileTraverser().depthFirstPostOrder(src.resolve("to-b")))));
    out.add("extension " + MoreFiles.getFileExtension(src.resolve("b/run.sh")) + " "
        + MoreFiles.getNameWithoutExtension(src.resolve("b/run.sh")));
    out.addAll(tree(top));
    out.add("delete tree " + call(() -> {
      MoreFiles.deleteRecursively(src, RecursiveDeleteOption.ALLOW_INSECURE);
      MoreFiles.deleteRecursively(top.resolve("made"));
      return Files.exists(src);
    }));
    out.addAll(tree(top));
    return out;
  }

  /**
   * Archives written and read through channels, as Commons Compress uses them: a zip whose local
   * headers are patched after each entry (a {@code FileChannel} that seeks back), a 7z whose
   * start header is written last at offset 0, a tar through a stream read back at random
   * ({@code TarFile}); each archive's bytes (entry times fixed) and what reading it back finds.
   */
  private static List<String> commonsCompress(Path src) throws IOException {
    Path top = src.getParent();
    List<Path> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(src)) {
      walk.filter(Files::isRegularFile).sorted().forEach(files::add);
    }
    FileTime epoch = FileTime.fromMillis(1_000_000_000_000L);
    List<String> out = new ArrayList<>();
    Path zip = top.resolve("out.zip");
    out.add("zip " + call(() -> {
      try (ZipArchiveOutputStream z = new ZipArchiveOutputStream(zip)) {
        for (Path f : files) {
          ZipArchiveEntry e = new ZipArchiveEntry(src.relativize(f).toString());
          e.setLastModifiedTime(epoch);
          z.putArchiveEntry(e);
          Files.copy(f, z);
          z.closeArchiveEntry();
        }
      }
      return Files.size(zip) + " bytes, " + digest(zip);
    }));
    out.add("zip read " + call(() -> {
      List<String> entries = new ArrayList<>();
      try (ZipFile z = ZipFile.builder().setSeekableByteChannel(Files.newByteChannel(zip))
          .get()) {
        for (ZipArchiveEntry e : java.util.Collections.list(z.getEntries())) {
          entries.add(e.getName() + " " + e.getSize() + " " + e.getCrc() + " "
              + new String(z.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8)
                  .hashCode());
        }
      }
      return entries;
    }));
    Path sevenZ = top.resolve("out.7z");
    out.add("7z " + call(() -> {
      try (SevenZOutputFile z = new SevenZOutputFile(Files.newByteChannel(sevenZ,
          StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING))) {
        z.setContentCompression(SevenZMethod.DEFLATE);
        for (Path f : files) {
          SevenZArchiveEntry e = new SevenZArchiveEntry();
          e.setName(src.relativize(f).toString());
          e.setLastModifiedTime(epoch);
          z.putArchiveEntry(e);
          z.write(Files.readAllBytes(f));
          z.closeArchiveEntry();
        }
      }
      return Files.size(sevenZ) + " bytes, " + digest(sevenZ);
    }));
    out.add("7z read " + call(() -> {
      List<String> entries = new ArrayList<>();
      try (SevenZFile z = SevenZFile.builder().setSeekableByteChannel(
          Files.newByteChannel(sevenZ)).get()) {
        for (SevenZArchiveEntry e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
          entries.add(e.getName() + " " + e.getSize() + " "
              + new String(z.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8)
                  .hashCode());
        }
      }
      return entries;
    }));
    Path tar = top.resolve("out.tar");
    out.add("tar " + call(() -> {
      try (TarArchiveOutputStream t = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
        for (Path f : files) {
          TarArchiveEntry e = new TarArchiveEntry(src.relativize(f).toString());
          e.setSize(Files.size(f));
          e.setModTime(epoch);
          t.putArchiveEntry(e);
          Files.copy(f, t);
          t.closeArchiveEntry();
        }
      }
      return Files.size(tar) + " bytes, " + digest(tar);
    }));
    out.add("tar read at random " + call(() -> {
      List<String> entries = new ArrayList<>();
      try (TarFile t = new TarFile(Files.newByteChannel(tar))) {
        List<TarArchiveEntry> all = new ArrayList<>(t.getEntries());
        java.util.Collections.reverse(all); // the last first: reads seek back
        for (TarArchiveEntry e : all) {
          entries.add(e.getName() + " " + e.getSize() + " "
              + new String(t.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8)
                  .hashCode());
        }
      }
      return entries;
    }));
    out.add("unpack " + call(() -> {
      Path unpacked = Files.createDirectory(top.resolve("unpacked"));
      try (ZipFile z = ZipFile.builder().setPath(zip).get()) {
        for (ZipArchiveEntry e : java.util.Collections.list(z.getEntries())) {
          Path to = unpacked.resolve(e.getName());
          Files.createDirectories(to.getParent());
          Files.copy(z.getInputStream(e), to);
        }
      }
      return "done";
    }));
    out.addAll(tree(top));
    return out;
  }

  private static String digest(Path file) throws Exception {
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    return java.util.HexFormat.of().formatHex(sha.digest(Files.readAllBytes(file)));
  }

  private interface Call {
    Object run() throws Exception;
  }

  /** What {@code call} returned, or its exception: class and reason, never a path. */
  private static String call(Call call) {
    try {
      return String.valueOf(call.run());
    } catch (FileSystemException e) {
      return e.getClass().getSimpleName() + ": " + e.getReason();
    } catch (Exception e) {
      return e.getClass().getSimpleName();
    }
  }

  private static String counted(Counters.PathCounters counters) {
    return "files " + counters.getFileCounter().get() + ", directories "
        + counters.getDirectoryCounter().get() + ", bytes " + counters.getByteCounter().get();
  }

  private static List<String> relative(Path base, Iterable<Path> paths) {
    List<String> names = new ArrayList<>();
    for (Path p : paths) {
      names.add(base.relativize(p).toString());
    }
    names.sort(null); // listing order is each file system's own
    return names;
  }

  /** Every path below {@code top}: kind, permissions, and a file's size and bytes' hash. */
  private static List<String> tree(Path top) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(top)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS);
        String kind = a.isDirectory() ? "dir"
            : a.isSymbolicLink() ? "link to " + Files.readSymbolicLink(p)
            : "file " + a.size() + " " + java.util.Arrays.hashCode(Files.readAllBytes(p));
        lines.add("  " + top.relativize(p) + " " + kind + " " + PosixFilePermissions.toString(
            Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)));
      }
    }
    lines.sort(null);
    return lines;
  }
}
