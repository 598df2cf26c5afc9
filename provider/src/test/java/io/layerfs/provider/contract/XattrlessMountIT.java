package io.layerfs.provider.contract;

import static io.layerfs.provider.contract.ReadOnlyMountIT.answer;
import static io.layerfs.provider.contract.ReadOnlyMountIT.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.DosFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bind mount of a host file system that keeps no {@code user.} extended attributes (a ramfs,
 * which needs root to mount, as {@link KernelOverlayIT} does) against the JDK's own answers on
 * the host: the {@code user} view lists none and reads none ("Operation not supported", not
 * "No data available"), and the {@code dos} view, which keeps its flags in one, can neither
 * read nor set them. Each call on a file and on a directory, the host's answers the expected.
 */
final class XattrlessMountIT {
  @TempDir Path tmp;

  @Test
  void extendedAttributesAnswerAsOnTheHostWhereItsFileSystemKeepsNone() throws Exception {
    Path host = Files.createDirectories(tmp.resolve("host/r")).getParent();
    List<String> expected;
    run("mount", "-t", "ramfs", "ramfs", host.resolve("r").toString());
    try {
      expected = answers(host);
    } finally {
      run("umount", "--lazy", host.resolve("r").toString());
    }
    Path source = Files.createDirectories(tmp.resolve("layerfs-source"));
    run("mount", "-t", "ramfs", "ramfs", source.toString());
    Path store = tmp.resolve("store");
    FixtureImages.build(store);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://xattrless-mount"),
        Map.of("store", store, "image", FixtureImages.TAG, "mounts",
            List.of("type=bind,source=" + source + ",target=/c/r")))) {
      assertEquals(String.join("\n", expected), String.join("\n", answers(fs.getPath("/c"))));
    } finally {
      run("umount", "--lazy", source.toString());
    }
  }

  /** What each call answers in {@code root/r}, a file system without user xattrs. */
  private static List<String> answers(Path root) throws IOException {
    Path r = root.resolve("r");
    Files.writeString(r.resolve("f"), "hello");
    Files.createDirectory(r.resolve("d"));
    List<String> answers = new ArrayList<>();
    FileStore store = Files.getFileStore(r.resolve("f"));
    answers.add("store supports user, dos: " + store.supportsFileAttributeView("user") + " "
        + store.supportsFileAttributeView(DosFileAttributeView.class));
    for (String name : List.of("f", "d")) {
      Path p = r.resolve(name);
      UserDefinedFileAttributeView user =
          Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
      DosFileAttributeView dos = Files.getFileAttributeView(p, DosFileAttributeView.class);
      List<String> calls = new ArrayList<>();
      calls.add("list: " + answer(root, () -> calls.add("names " + user.list())));
      calls.add("size: " + answer(root, () -> user.size("k")));
      calls.add("read: " + answer(root, () -> user.read("k", ByteBuffer.allocate(8))));
      calls.add("write: " + answer(root, () -> user.write("k", ByteBuffer.wrap(new byte[2]))));
      calls.add("delete: " + answer(root, () -> user.delete("k")));
      calls.add("user:*: " + answer(root, () -> calls.add("map " + Files.readAttributes(p,
          "user:*"))));
      calls.add("user:k: " + answer(root, () -> Files.readAttributes(p, "user:k")));
      calls.add("dos: " + answer(root, () -> calls.add("hidden " + Files.readAttributes(p,
          DosFileAttributes.class).isHidden())));
      calls.add("dos:hidden: " + answer(root, () -> Files.readAttributes(p, "dos:hidden")));
      calls.add("set dos:hidden: " + answer(root, () -> Files.setAttribute(p, "dos:hidden",
          true)));
      calls.add("setReadOnly: " + answer(root, () -> dos.setReadOnly(true)));
      calls.forEach(c -> answers.add(name + " " + c));
    }
    return answers;
  }
}
