package io.layerfs.provider.contract;

import static io.layerfs.provider.contract.ReadOnlyMountIT.answer;
import static io.layerfs.provider.contract.ReadOnlyMountIT.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bind mounts of files against the kernel's own ({@code mount --bind} of a host file onto a file,
 * one of them remounted read-only, beside a bind-mounted directory; as root, as {@link
 * KernelOverlayIT}): reads and writes reach the host file, the mount point lists as a file,
 * cannot be removed, renamed or replaced, holds no names, links to it cross a mount, and a move
 * of it to another mount is refused after the JDK's copy. Each call must get the JDK's answer on
 * the host, and the host files must end the same.
 */
final class FileBindMountIT {
  @TempDir Path tmp;

  @Test
  void aFileBindMountAnswersAsTheKernelsOwn() throws Exception {
    Path host = Files.createDirectories(tmp.resolve("host/etc")).getParent();
    Path hostSource = sources(tmp.resolve("host-source"));
    Files.writeString(host.resolve("etc/other"), "other\n");
    Files.writeString(host.resolve("etc/app.conf"), ""); // the mount points, as Docker makes them
    Files.writeString(host.resolve("etc/ro.conf"), "");
    Files.createDirectory(host.resolve("d"));
    List<String> expected;
    List<Path> points = List.of(host.resolve("etc/app.conf"), host.resolve("etc/ro.conf"),
        host.resolve("d"));
    try {
      run("mount", "--bind", hostSource.resolve("app.conf").toString(), points.get(0).toString());
      run("mount", "--bind", hostSource.resolve("ro.conf").toString(), points.get(1).toString());
      run("mount", "-o", "remount,bind,ro", points.get(1).toString());
      run("mount", "--bind", hostSource.resolve("d").toString(), points.get(2).toString());
      expected = answers(host);
    } finally {
      for (Path point : points) {
        run("umount", "--lazy", point.toString());
      }
    }
    expected.add("sources: " + contents(hostSource));

    Path source = sources(tmp.resolve("layerfs-source"));
    Path store = tmp.resolve("store");
    FixtureImages.build(store);
    List<String> actual;
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://file-bind"),
        Map.of("store", store, "image", FixtureImages.TAG, "mounts", List.of(
            "type=bind,source=" + source.resolve("app.conf") + ",target=/c/etc/app.conf",
            "type=bind,source=" + source.resolve("ro.conf") + ",target=/c/etc/ro.conf,ro",
            "type=bind,source=" + source.resolve("d") + ",target=/c/d")))) {
      Path root = fs.getPath("/c");
      Files.writeString(root.resolve("etc/other"), "other\n");
      actual = answers(root);
    }
    actual.add("sources: " + contents(source));
    assertEquals(String.join("\n", expected), String.join("\n", actual));
  }

  /** The host files to mount: two files (one to mount read-only) and a directory. */
  private static Path sources(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("d"));
    Files.writeString(dir.resolve("app.conf"), "port=80\n");
    Files.writeString(dir.resolve("ro.conf"), "fixed\n");
    Files.setPosixFilePermissions(dir.resolve("app.conf"),
        PosixFilePermissions.fromString("rw-r-----"));
    return dir;
  }

  private static String contents(Path dir) throws IOException {
    List<String> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted().toList()) {
        String name = dir.relativize(p).toString();
        files.add(Files.isRegularFile(p) ? name + "=" + Files.readString(p).strip() : name);
      }
    }
    return files.toString();
  }

  /** What each call answers under {@code root}, which holds {@code etc} and {@code d}. */
  private static List<String> answers(Path root) throws IOException {
    List<String> answers = new ArrayList<>();
    Path etc = root.resolve("etc");
    Path conf = etc.resolve("app.conf");
    Path ro = etc.resolve("ro.conf");
    Path other = etc.resolve("other");
    answers.add("read: " + Files.readString(conf).strip());
    answers.add("kind: " + Files.isRegularFile(conf, LinkOption.NOFOLLOW_LINKS) + " "
        + Files.size(conf) + " " + PosixFilePermissions.toString(
            Files.getPosixFilePermissions(conf)));
    try (DirectoryStream<Path> listing = Files.newDirectoryStream(etc)) {
      List<String> names = new ArrayList<>();
      for (Path p : listing) {
        names.add(p.getFileName() + (Files.isRegularFile(p) ? "" : "/"));
      }
      answers.add("listing: " + names.stream().sorted().toList());
    }
    answers.add("append: " + answer(root, () -> Files.writeString(conf, "user=www\n",
        StandardOpenOption.APPEND)));
    answers.add("read again: " + Files.readString(conf).replace('\n', ' '));
    answers.add("truncate: " + answer(root, () -> {
      try (FileChannel ch = FileChannel.open(conf, StandardOpenOption.WRITE)) {
        ch.truncate(8);
      }
    }));
    answers.add("chmod: " + answer(root, () -> Files.setPosixFilePermissions(conf,
        PosixFilePermissions.fromString("rw-rw-r--"))));
    answers.add("touch: " + answer(root, () -> Files.setLastModifiedTime(conf,
        FileTime.fromMillis(1_000_000_000_000L))));
    answers.add("mtime: " + Files.getLastModifiedTime(conf).toMillis());
    answers.add("delete: " + answer(root, () -> Files.delete(conf)));
    answers.add("move out: " + answer(root, () -> Files.move(conf, etc.resolve("moved"))));
    answers.add("rename out: " + answer(root, () -> Files.move(conf, etc.resolve("moved"),
        StandardCopyOption.ATOMIC_MOVE)));
    answers.add("move over it: " + answer(root, () -> Files.move(other, conf)));
    answers.add("move over it, replacing: " + answer(root, () -> Files.move(other, conf,
        StandardCopyOption.REPLACE_EXISTING)));
    answers.add("rename over it: " + answer(root, () -> Files.move(other, conf,
        StandardCopyOption.ATOMIC_MOVE)));
    answers.add("move to another mount: " + answer(root, () -> Files.move(conf,
        root.resolve("d/moved"))));
    answers.add("copy to another mount: " + answer(root, () -> Files.copy(conf,
        root.resolve("d/copy"))));
    answers.add("copy over it: " + answer(root, () -> Files.copy(other, conf)));
    answers.add("copy over it, replacing: " + answer(root, () -> Files.copy(other, conf,
        StandardCopyOption.REPLACE_EXISTING)));
    answers.add("chown: " + answer(root, () -> Files.setAttribute(conf, "unix:uid", 1234)));
    answers.add("owner: " + Files.getAttribute(conf, "unix:uid") + " "
        + Files.getAttribute(conf, "unix:nlink"));
    answers.add("mkdir on it: " + answer(root, () -> Files.createDirectory(conf)));
    answers.add("create it anew: " + answer(root, () -> Files.newByteChannel(conf,
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close()));
    answers.add("a name below it: " + answer(root, () -> Files.writeString(
        conf.resolve("x"), "x")));
    answers.add("list it: " + answer(root, () -> Files.newDirectoryStream(conf).close()));
    answers.add("a name beside it through it: " + answer(root, () -> Files.readString(
        conf.resolve("../other"))));
    answers.add("hard link to it: " + answer(root, () -> Files.createLink(
        etc.resolve("hl"), conf)));
    answers.add("symbolic link to it: " + answer(root, () -> Files.createSymbolicLink(
        etc.resolve("sl"), etc.getFileSystem().getPath("app.conf"))));
    answers.add("read through it: " + Files.readString(etc.resolve("sl")).strip());
    answers.add("read-only read: " + Files.readString(ro).strip());
    answers.add("read-only write: " + answer(root, () -> Files.writeString(ro, "x")));
    answers.add("read-only chmod: " + answer(root, () -> Files.setPosixFilePermissions(ro,
        PosixFilePermissions.fromString("rw-------"))));
    answers.add("read-only delete: " + answer(root, () -> Files.delete(ro)));
    answers.add("left in etc: " + Files.list(etc).map(p -> p.getFileName().toString())
        .sorted().toList());
    answers.add("left in d: " + Files.list(root.resolve("d"))
        .map(p -> p.getFileName().toString()).sorted().toList());
    return answers;
  }
}
