package io.layerfs.it;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's check of mounts, through the CLI jar and NIO: a container with a volume, a bind
 * mount, a read-only bind mount and a tmpfs. Writes to the bind mount are replayed on a host copy
 * of its directory (the oracle, compared with {@link TreeComparison}); volume writes land in the
 * store's volume, which a second container sees and which outlives both; nothing of the tmpfs
 * reaches a disk and its size limit holds; links in the bind mount that climb out resolve in the
 * container; {@code cp} and {@code export} round-trip against GNU tar.
 */
final class MountsIT {
  private static final String MARKER = "tmpfs-only-" + Long.toHexString(System.nanoTime());

  @TempDir Path work;
  private Path store;
  private Path bind;
  private Path readOnly;

  @BeforeEach
  void setUp() throws IOException {
    Tools.require("tar", "grep", "cp");
    store = work.resolve("store");
    try (Store s = Store.open(store)) {
      ImageBuilder.create(store).created(Instant.EPOCH).layer()
          .dir("/etc").file("/etc/passwd", "root:x:0:0:image root:/root:/bin/sh\n")
          .dir("/data").file("/data/seed", "from the image\n")
          .dir("/srv").file("/srv/hidden", "hidden by the bind mount\n")
          .build("base:1");
    }
    bind = Files.createDirectory(work.resolve("bind"));
    Files.writeString(bind.resolve("site.html"), "<p>site</p>\n");
    Files.createDirectories(bind.resolve("assets/img"));
    Files.writeString(bind.resolve("assets/img/logo"), "logo");
    Files.createSymbolicLink(bind.resolve("escape"), Path.of("../../../../../../etc/passwd"));
    Files.createSymbolicLink(bind.resolve("absolute"), Path.of("/etc/passwd"));
    readOnly = Files.createDirectory(work.resolve("ro"));
    Files.writeString(readOnly.resolve("config"), "setting=1\n");
  }

  private void create(String name, String... mounts) {
    List<String> args = new java.util.ArrayList<>(List.of("create", name, "base:1"));
    for (String m : mounts) {
      args.add("--mount");
      args.add(m);
    }
    assertEquals(name + "\n", LayerfsCli.run(store, args.toArray(String[]::new)));
  }

  private FileSystem open(String name) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name), Map.of("store", store));
  }

  @Test
  void writesLandWhereDockerPutsThemAndTheVolumeOutlivesTheContainer() throws Exception {
    create("web", "type=volume,source=data,target=/data",
        "type=bind,source=" + bind + ",target=/srv",
        "type=bind,source=" + readOnly + ",target=/etc/app,readonly",
        "type=tmpfs,target=/scratch,tmpfs-size=256k");
    Path oracle = work.resolve("oracle");
    Tools.run("cp", "-a", bind.toString(), oracle.toString());
    Path volume = store.resolve("layerfs/volumes/data/_data");
    try (FileSystem fs = open("web")) {
      // the bind mount: the same operations on the host copy give the same tree
      Consumer<Path> ops = root -> {
        try {
          Files.writeString(root.resolve("new.txt"), "written\n");
          Files.writeString(root.resolve("site.html"), "appended\n", StandardOpenOption.APPEND);
          Files.createDirectories(root.resolve("a/b/c"));
          Files.move(root.resolve("assets/img/logo"), root.resolve("a/b/c/logo"));
          Files.delete(root.resolve("assets/img"));
          Files.createSymbolicLink(root.resolve("a/rel"),
              root.getFileSystem().getPath("../site.html"));
          Files.createLink(root.resolve("a/hard"), root.resolve("new.txt"));
          Files.setPosixFilePermissions(root.resolve("new.txt"),
              java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
          Files.setLastModifiedTime(root.resolve("a/b"),
              java.nio.file.attribute.FileTime.from(Instant.parse("2020-01-02T03:04:05Z")));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      };
      ops.accept(fs.getPath("/srv"));
      ops.accept(oracle);
      // what the operations made or wrote has the time of that moment, which differs between
      // the two runs of them (and by a second when they straddle one); /a/b's time is set
      Set<String> timedNow = Set.of("/", "/a", "/assets", "/new.txt", "/site.html", "/a/rel",
          "/a/hard", "/a/b/c");
      List<TreeComparison.Difference> differences = TreeComparison.builder()
          .ignoreMtime(timedNow::contains)
          .build().run(oracle, bind);
      assertTrue(differences.isEmpty(), TreeComparison.describe(differences));
      assertFalse(Files.exists(fs.getPath("/srv/hidden")), "the mount hides the image's /srv");

      // links that climb out of the bind mount resolve in the container, never on the host
      assertEquals("root:x:0:0:image root:/root:/bin/sh\n",
          Files.readString(fs.getPath("/srv/escape")));
      assertEquals("root:x:0:0:image root:/root:/bin/sh\n",
          Files.readString(fs.getPath("/srv/absolute")));
      assertEquals("/etc/passwd", fs.getPath("/srv/escape").toRealPath().toString());

      // the volume: filled from the image on first use, written through to the store
      assertEquals("from the image\n", Files.readString(volume.resolve("seed")));
      Files.writeString(fs.getPath("/data/shared"), "for the next container\n");
      assertEquals("for the next container\n", Files.readString(volume.resolve("shared")));

      // the read-only bind mount
      FileSystemException ro = assertThrows(FileSystemException.class,
          () -> Files.writeString(fs.getPath("/etc/app/config"), "setting=2\n"));
      assertEquals("Read-only file system", ro.getReason());
      assertEquals("setting=1\n", Files.readString(readOnly.resolve("config")));

      // the tmpfs: in memory only, bounded
      Files.writeString(fs.getPath("/scratch/m"), MARKER);
      assertEquals(MARKER, Files.readString(fs.getPath("/scratch/m")));
      FileSystemException full = assertThrows(FileSystemException.class,
          () -> Files.write(fs.getPath("/scratch/big"), new byte[300 * 1024]));
      assertEquals("No space left on device", full.getMessage());
      for (Path dir : List.of(work, Path.of(System.getProperty("java.io.tmpdir")))) {
        // exit 1: nothing found; 2: nothing found, but a file vanished or was unreadable (other
        // processes share the temp directory); 0 and the names on stdout: found
        LayerfsCli.Result none = grep(dir);
        assertTrue(none.exit() != 0 && none.stdout().isEmpty(),
            "grep found the tmpfs's bytes on disk: " + none.stdout() + none.stderr());
      }
    }
    try (FileSystem fs = open("web")) {
      assertEquals(List.of(), names(fs.getPath("/scratch")), "a tmpfs is empty at every open");
    }

    // a second container sees the volume; removing the first keeps it
    create("other", "type=volume,source=data,target=/var/lib/data,readonly");
    assertEquals("for the next container\n",
        LayerfsCli.run(store, "cat", "other", "/var/lib/data/shared"));
    assertEquals("web\n", LayerfsCli.run(store, "rm", "web"));
    assertTrue(LayerfsCli.run(store, "volume", "ls").contains("data          other"));
    LayerfsCli.Result inUse = LayerfsCli.runFailing(store, "volume", "rm", "data");
    assertEquals(1, inUse.exit());
    assertTrue(inUse.stderr().contains("volume data is in use by container other"),
        inUse.stderr());
    assertEquals("other\n", LayerfsCli.run(store, "rm", "other"));
    assertEquals("for the next container\n", Files.readString(volume.resolve("shared")));
    LayerfsCli.run(store, "gc");
    assertTrue(Files.exists(volume.resolve("shared")), "gc leaves volumes alone");
    assertEquals("data\n", LayerfsCli.run(store, "volume", "rm", "data"));
  }

  /** {@code grep -rlsF MARKER dir}: no names on stdout when no file holds it. */
  private static LayerfsCli.Result grep(Path dir) throws Exception {
    Process p = new ProcessBuilder("grep", "-rlsF", "--", MARKER, dir.toString())
        .redirectErrorStream(false).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), UTF_8);
    return new LayerfsCli.Result(p.waitFor(), out, err);
  }

  @Test
  void cpAndExportThroughMountsRoundTripAgainstTar() throws Exception {
    create("app", "type=volume,source=files,target=/data,volume-nocopy",
        "type=bind,source=" + bind + ",target=/srv", "type=tmpfs,target=/run/cache");
    Path in = Files.createDirectories(work.resolve("in/tree/sub"));
    Files.writeString(in.resolve("f"), "one\n");
    Files.write(in.getParent().resolve("bin"), new byte[70_000]);
    Files.createSymbolicLink(in.getParent().resolve("link"), Path.of("sub/f"));
    Path tree = in.getParent();

    LayerfsCli.run(store, "cp", tree.toString(), "app:/data/");
    LayerfsCli.run(store, "cp", tree.toString(), "app:/srv/");
    Path volume = store.resolve("layerfs/volumes/files/_data");
    assertNoDifference(tree, volume.resolve("tree"));
    assertNoDifference(tree, bind.resolve("tree"));

    // out again as a tar, extracted by GNU tar
    for (String from : List.of("/data/tree", "/srv/tree")) {
      LayerfsCli.Result r = LayerfsCli.runFailing(store, "cp", "app:" + from, "-");
      assertEquals(0, r.exit(), r.stderr());
      Path tar = work.resolve("out.tar");
      Files.write(tar, r.stdout().getBytes(ISO_8859_1));
      Path out = Files.createDirectories(work.resolve("out" + from.replace('/', '-')));
      Tools.run("tar", "-xpf", tar.toString(), "-C", out.toString());
      assertNoDifference(tree, out.resolve("tree"));
    }

    // export: the container's tree with its mount points, none of the mounted content
    try (FileSystem fs = open("app")) {
      Files.writeString(fs.getPath("/etc/own"), "layer\n");
      Files.move(fs.getPath("/etc/own"), fs.getPath("/etc/own2"),
          StandardCopyOption.REPLACE_EXISTING);
    }
    LayerfsCli.Result exported = LayerfsCli.runFailing(store, "export", "app");
    assertEquals(0, exported.exit(), exported.stderr());
    Path tar = work.resolve("export.tar");
    Files.write(tar, exported.stdout().getBytes(ISO_8859_1));
    List<String> entries = Tools.run("tar", "-tf", tar.toString()).lines()
        .map(n -> n.startsWith("./") ? n.substring(2) : n).toList();
    assertTrue(entries.contains("etc/own2"), entries.toString());
    assertTrue(entries.contains("data/") && entries.contains("srv/")
        && entries.contains("run/cache/"), "the mount points: " + entries);
    assertTrue(entries.contains("data/seed"), "the image's content under a volume-nocopy "
        + "mount stays the container's: " + entries);
    assertFalse(entries.stream().anyMatch(e -> e.startsWith("data/tree")
        || e.startsWith("srv/tree") || e.startsWith("srv/site")), entries.toString());
    assertTrue(entries.contains("srv/hidden"), "docker export shows the container's own /srv");
    Path out = Files.createDirectories(work.resolve("exported"));
    Tools.run("tar", "-xpf", tar.toString(), "-C", out.toString());
    assertEquals("layer\n", Files.readString(out.resolve("etc/own2")));
  }

  /** The trees equal, but for the root's mtime and a link's (cp does not keep a link's). */
  private static void assertNoDifference(Path expected, Path actual) {
    List<TreeComparison.Difference> d = TreeComparison.builder().ignoreOwnerNames()
        .ignoreXattrs().ignoreMtime(p -> p.equals("/") || p.equals("/link"))
        .build().run(expected, actual);
    assertTrue(d.isEmpty(), actual + ": " + TreeComparison.describe(d));
  }

  private static List<String> names(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
