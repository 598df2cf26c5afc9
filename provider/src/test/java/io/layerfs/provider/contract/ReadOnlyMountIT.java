package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read-only bind mount against the kernel's own (a host directory bind-mounted and remounted
 * read-only, which needs root, as {@link KernelOverlayIT} does): each open of each kind of name
 * in it, with every set of the options that decide an open, and moves into, within and out of
 * it must get the JDK's answers on the host, in the order open(2) and rename(2) give them (a
 * missing name or a link not followed before the read-only mount, a full directory across two
 * mounts before it).
 */
final class ReadOnlyMountIT {
  private static final String[] KINDS = {"f", "d", "lf", "ld", "dl", "lo", "x", "x/y", "f/y"};
  private static final OpenOption[] OPTIONS = {StandardOpenOption.READ,
      StandardOpenOption.WRITE, StandardOpenOption.APPEND, StandardOpenOption.CREATE,
      StandardOpenOption.CREATE_NEW, StandardOpenOption.TRUNCATE_EXISTING,
      LinkOption.NOFOLLOW_LINKS};

  @TempDir Path tmp;

  @Test
  void opensAndMovesAnswerAsInAReadOnlyBindMountOnTheHost() throws Exception {
    Path host = Files.createDirectories(tmp.resolve("host/own")).getParent();
    Path point = Files.createDirectory(host.resolve("ro"));
    run("mount", "--bind", kinds(tmp.resolve("host-source")).toString(), point.toString());
    List<String> expected;
    try {
      run("mount", "-o", "remount,bind,ro", point.toString());
      expected = answers(host);
    } finally {
      run("umount", "--lazy", point.toString());
    }
    Path store = tmp.resolve("store");
    FixtureImages.build(store);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://read-only-mount"),
        Map.of("store", store, "image", FixtureImages.TAG, "mounts",
            List.of("type=bind,source=" + kinds(tmp.resolve("layerfs-source"))
                + ",target=/c/ro,readonly")))) {
      Path root = Files.createDirectories(fs.getPath("/c/own")).getParent();
      assertEquals(String.join("\n", expected), String.join("\n", answers(root)));
    }
  }

  /** Each kind of name the opens meet, made in {@code dir}. */
  private static Path kinds(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("d"));
    Files.writeString(dir.resolve("f"), "hello");
    Files.createSymbolicLink(dir.resolve("lf"), Path.of("f"));
    Files.createSymbolicLink(dir.resolve("ld"), Path.of("d"));
    Files.createSymbolicLink(dir.resolve("dl"), Path.of("none"));
    Files.createSymbolicLink(dir.resolve("lo"), Path.of("lo"));
    return dir;
  }

  /** What each call answers under {@code root}, which holds {@code own} and {@code ro}. */
  private static List<String> answers(Path root) throws IOException {
    List<String> answers = new ArrayList<>();
    Path ro = root.resolve("ro");
    for (int set = 0; set < 1 << OPTIONS.length; set++) {
      Set<OpenOption> options = new HashSet<>();
      for (int i = 0; i < OPTIONS.length; i++) {
        if ((set & 1 << i) != 0) {
          options.add(OPTIONS[i]);
        }
      }
      for (String kind : KINDS) {
        answers.add("open " + kind + " " + set + ": " + answer(root, () -> {
          FileChannel.open(ro.resolve(kind), options).close();
        }));
      }
    }
    Path own = root.resolve("own");
    Files.writeString(Files.createDirectories(own.resolve("full")).resolve("child"), "c");
    Files.writeString(own.resolve("file"), "file");
    answers.add("full dir into it: " + answer(root, () -> Files.move(own.resolve("full"),
        ro.resolve("new"))));
    answers.add("full dir into it, replacing: " + answer(root, () -> Files.move(
        own.resolve("full"), ro.resolve("new"), StandardCopyOption.REPLACE_EXISTING)));
    answers.add("file into it: " + answer(root, () -> Files.move(own.resolve("file"),
        ro.resolve("new"))));
    answers.add("file onto one of it: " + answer(root, () -> Files.move(own.resolve("file"),
        ro.resolve("f"), StandardCopyOption.REPLACE_EXISTING)));
    answers.add("file onto its mount point: " + answer(root, () -> Files.move(
        own.resolve("file"), ro, StandardCopyOption.REPLACE_EXISTING)));
    // within it, a file and a link: rename(2) answers (a directory: below)
    answers.add("file within it: " + answer(root, () -> Files.move(ro.resolve("f"),
        ro.resolve("new"))));
    answers.add("link within it: " + answer(root, () -> Files.move(ro.resolve("dl"),
        ro.resolve("new"), StandardCopyOption.REPLACE_EXISTING)));
    answers.add("file out of it: " + answer(root, () -> Files.move(ro.resolve("f"),
        own.resolve("out"))));
    // a directory: Java 21+ asks it for writing first (EROFS naming it), Java 17 renames
    answers.add("dir within it: " + answer(root, () -> Files.move(ro.resolve("d"),
        ro.resolve("new"))));
    answers.add("dir out of it: " + answer(root, () -> Files.move(ro.resolve("d"),
        own.resolve("out"))));
    answers.add("its mount point: " + answer(root, () -> Files.move(ro, own.resolve("out"))));
    answers.add("its mount point onto itself: " + answer(root, () -> Files.move(ro, ro)));
    answers.add("dir link within it: " + answer(root, () -> Files.move(ro.resolve("ld"),
        ro.resolve("new"))));
    answers.add("secure stream move into it: " + answer(root, () -> {
      try (DirectoryStream<Path> from = Files.newDirectoryStream(own);
          DirectoryStream<Path> to = Files.newDirectoryStream(ro)) {
        Path file = own.getFileSystem().getPath("file");
        ((SecureDirectoryStream<Path>) from).move(file, (SecureDirectoryStream<Path>) to,
            file.resolveSibling("new"));
      }
    }));
    answers.add("left in own: " + Files.list(own).map(p -> p.getFileName().toString())
        .sorted().toList());
    return answers;
  }

  interface Call {
    void run() throws IOException;
  }

  /** "ok", or the error's kind, paths (relative to {@code root}) and reason or message. */
  static String answer(Path root, Call call) {
    try {
      call.run();
      return "ok";
    } catch (FileSystemException e) {
      return e.getClass().getSimpleName() + " " + relative(root, e.getFile()) + " "
          + relative(root, e.getOtherFile()) + " " + e.getReason();
    } catch (IllegalArgumentException e) {
      return e.getClass().getSimpleName() + " " + e.getMessage(); // READ with APPEND
    } catch (IOException e) {
      // O_NOFOLLOW's ELOOP: layerfs puts the path before the JDK's words
      String message = e.getMessage();
      int words = message.indexOf("Too many levels");
      return e.getClass().getSimpleName() + " " + message.substring(Math.max(words, 0));
    }
  }

  private static String relative(Path root, String path) {
    return path == null ? null : path.replace(root.toString(), "ROOT");
  }

  static void run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.waitFor(), () -> String.join(" ", command)
        + " failed (this test needs root and mount(8), as KernelOverlayIT does): " + out);
  }
}
