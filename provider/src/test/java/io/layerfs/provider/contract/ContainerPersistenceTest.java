package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.provider.contract.ContainerOps.ChannelWrite;
import io.layerfs.provider.contract.ContainerOps.Chmod;
import io.layerfs.provider.contract.ContainerOps.Chown;
import io.layerfs.provider.contract.ContainerOps.Data;
import io.layerfs.provider.contract.ContainerOps.Delete;
import io.layerfs.provider.contract.ContainerOps.HardLink;
import io.layerfs.provider.contract.ContainerOps.Mkdir;
import io.layerfs.provider.contract.ContainerOps.Move;
import io.layerfs.provider.contract.ContainerOps.Op;
import io.layerfs.provider.contract.ContainerOps.Symlink;
import io.layerfs.provider.contract.ContainerOps.Touch;
import io.layerfs.provider.contract.ContainerOps.Truncate;
import io.layerfs.provider.contract.ContainerOps.Write;
import io.layerfs.provider.contract.ContainerOps.Xattr;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container's writes outlive the JVM that made them: a new JVM sees the same tree, a JVM killed
 * with SIGKILL in the middle of writes and renames loses at most the operation in flight and
 * leaves the container openable, and a second process cannot open a container for writing while
 * another holds it (but can open it {@code readOnly}).
 *
 * <p>The child JVMs run {@link ContainerChild} with this JVM's {@code java.class.path} (the test
 * classpath), so they use exactly the provider under test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ContainerPersistenceTest {
  @TempDir static Path store;
  @TempDir static Path scratch;
  private static boolean xattrs;

  @BeforeAll
  static void buildImage() throws IOException {
    FixtureImages.build(store);
    xattrs = ContainerDifferentialTest.hostStoresUserXattrs(scratch);
  }

  @Test
  void aNewJvmSeesEveryWrite() throws Exception {
    String name = "persist";
    List<Op> program = new ArrayList<>(List.of(
        new Write("etc/os-release", new Data(100, 1), List.of()),
        new ChannelWrite("data/4096.bin", true, List.of(StandardOpenOption.WRITE), 70_000,
            new Data(7, 2)),
        new Delete("data/one"),
        new Move("data/nested", "moved-nested", List.of()),
        new Delete("opaque/new"),
        new Delete("opaque"),
        new Mkdir("opaque"),
        new Write("opaque/again", new Data(5000, 3), List.of()),
        new Symlink("to-4096", "data/4096.bin"),
        new HardLink("os-release-link", "etc/os-release"),
        new Chmod("usr/bin/tool", 0700),
        new Touch("etc/conf", 1_234_567_890_123_456L),
        new Chown("data/empty", false, 1000),
        new Truncate("usr/bin/su", 100),
        new Write("many/f000", new Data(70_000, 4), List.of(StandardOpenOption.APPEND))));
    if (xattrs) {
      program.add(new Xattr("etc/conf", "comment", new Data(7, 5)));
    }
    String expected;
    try (FileSystem fs = open(name, Map.of("store", store, "image", FixtureImages.TAG))) {
      Path root = fs.getPath("/");
      for (Op op : program) {
        String outcome = ContainerOps.outcome(op, root);
        assertTrue(outcome.startsWith("ok"), () -> op + " gave " + outcome);
      }
      expected = TreeSnapshot.digest(TreeSnapshot.of(root, xattrs));
    }
    try (FileSystem fs = open(name, Map.of("store", store))) {
      assertEquals(expected, TreeSnapshot.digest(TreeSnapshot.of(fs.getPath("/"), xattrs)),
          "the same JVM after close and reopen");
    }
    Child child = Child.start("digest", name, Boolean.toString(xattrs));
    String line = child.readLine();
    child.awaitExit();
    assertEquals("digest " + expected, line, "the digest a new JVM computes; " + child);
  }

  @Test
  void killDuringWritesLosesAtMostTheOperationInFlight() throws Exception {
    String name = "killed";
    try (FileSystem fs = open(name, Map.of("store", store, "image", FixtureImages.TAG))) {
      assertTrue(Files.isDirectory(fs.getPath("/etc")));
    }
    Child child = Child.start("churn", name);
    List<String> done = new ArrayList<>();
    while (done.size() < 300) {
      String line = child.readLine();
      if (line == null) {
        fail("the child ended before it was killed; " + child);
      }
      done.add(line);
    }
    child.process.destroyForcibly();
    child.process.waitFor(30, TimeUnit.SECONDS);

    // the names each completed operation leaves, with the seed of their contents
    Map<String, Integer> present = new LinkedHashMap<>();
    List<String> absent = new ArrayList<>();
    for (String line : done) {
      String[] w = line.split(" ");
      if (w[0].equals("wrote")) {
        present.put(w[1], Integer.parseInt(w[1].substring(1)));
      } else if (w[0].equals("moved")) {
        present.put(w[2], present.remove(w[1]));
        absent.add(w[1]);
      }
    }
    try (FileSystem fs = open(name, Map.of("store", store))) {
      Path dir = fs.getPath("/churn");
      for (Map.Entry<String, Integer> e : present.entrySet()) {
        Path p = dir.resolve(e.getKey());
        assertTrue(Files.isRegularFile(p), () -> p + " was reported complete; it is missing");
        assertArrayEquals(ContainerChild.churnData(e.getValue()).bytes(), Files.readAllBytes(p),
            () -> "contents of " + p);
      }
      for (String gone : absent) {
        assertFalse(Files.exists(dir.resolve(gone)), () -> gone + " was renamed away");
      }
      // the container still takes writes
      Files.writeString(dir.resolve("after-the-crash"), "ok");
    }
  }

  /**
   * What README promises a second process that reads a container while its writer works: each
   * read-only open sees every operation the writer completed before it and none half (a rename
   * is one name or the other, never both), and a completed file whole.
   */
  @Test
  void readOnlyOpensWhileAWriterWorksSeeAConsistentState() throws Exception {
    String name = "watched";
    try (FileSystem fs = open(name, Map.of("store", store, "image", FixtureImages.TAG))) {
      assertTrue(Files.isDirectory(fs.getPath("/etc")));
    }
    Child child = Child.start("churn", name);
    try {
      for (int round = 0; round < 20; round++) {
        List<String> completed = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          String line = child.readLine();
          if (line == null) {
            fail("the child ended while writing; " + child);
          }
          completed.add(line);
        }
        try (FileSystem view = open(name, Map.of("store", store, "readOnly", true))) {
          Path dir = view.getPath("/churn");
          List<String> names;
          try (var list = Files.list(dir)) {
            names = list.map(p -> p.getFileName().toString()).toList();
          }
          for (String n : names) {
            int i = Integer.parseInt(n.substring(1));
            assertFalse(n.startsWith("r") && names.contains("f" + i),
                () -> "both names of one rename: " + n);
            byte[] expected = ContainerChild.churnData(i).bytes();
            byte[] actual = Files.readAllBytes(dir.resolve(n));
            assertTrue(actual.length <= expected.length, () -> n + " grew past its data");
            assertArrayEquals(java.util.Arrays.copyOf(expected, actual.length), actual,
                () -> n + " holds bytes the writer never wrote");
          }
          for (String line : completed) {
            // done before the open: there, and whole (a later rename may have moved it)
            String[] w = line.split(" ");
            int i = Integer.parseInt(w[1].substring(1));
            String now = names.contains("r" + i) ? "r" + i : "f" + i;
            assertTrue(names.contains(now) && !(w[0].equals("moved") && now.startsWith("f")),
                () -> line + " completed before the open; the view has " + names);
            assertArrayEquals(ContainerChild.churnData(i).bytes(),
                Files.readAllBytes(dir.resolve(now)), () -> now + " is not whole");
          }
        }
      }
    } finally {
      child.process.destroyForcibly();
      child.process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aSecondWriterProcessIsRefusedReadOnlyIsNot() throws Exception {
    String name = "locked";
    try (FileSystem fs = open(name, Map.of("store", store, "image", FixtureImages.TAG))) {
      assertTrue(Files.isDirectory(fs.getPath("/etc")));
    }
    Child child = Child.start("hold", name);
    assertEquals("open", child.readLine(), () -> "the child did not open the container; " + child);

    IOException e = assertThrows(IOException.class, () -> open(name, Map.of("store", store)));
    assertTrue(e.getMessage() != null && e.getMessage().contains(name),
        () -> "the message names the container: " + e);

    try (FileSystem view = open(name, Map.of("store", store, "readOnly", true))) {
      assertEquals("held by the child\n", Files.readString(view.getPath("/held")));
    }

    child.process.getOutputStream().close();
    assertEquals("closed", child.readLine(), () -> child.toString());
    child.awaitExit();
    try (FileSystem fs = open(name, Map.of("store", store))) {
      Files.writeString(fs.getPath("/after-the-child"), "ok");
    }
  }

  /**
   * A lock of an image file taken by a read-only view in this JVM, which still sees the image
   * file, and one taken by a writer in another JVM after it copied the file up are locks of one
   * file: each waits for the other, the view's lock first (it makes the lock file, which no
   * writer made), then the writer's.
   */
  @Test
  void aLockBeforeACopyUpAndOneAfterExcludeEachOtherAcrossJvms() throws Exception {
    String name = "locks-copy-up";
    open(name, Map.of("store", store, "image", FixtureImages.TAG)).close();
    try (FileSystem view = open(name, Map.of("store", store, "readOnly", true));
        FileChannel ch = FileChannel.open(view.getPath("/data/one"), StandardOpenOption.READ)) {
      assertTrue((int) Files.getAttribute(view.getPath("/data/one"), "layer:index") >= 0,
          "the view sees the image file");
      FileLock first = ch.lock(0, Long.MAX_VALUE, true); // no writer made its lock file yet
      Child child = Child.start("lock", name, "/data/one");
      try {
        assertEquals("busy", child.readLine(), () -> "the child did not wait; " + child);
        first.release();
        assertEquals("locked", child.readLine(), () -> "the child did not lock; " + child);
        assertNull(ch.tryLock(0, Long.MAX_VALUE, true), "the child holds the file's lock");
        child.process.getOutputStream().close();
        child.awaitExit();
        FileLock lock = ch.tryLock(0, Long.MAX_VALUE, true);
        assertNotNull(lock, "free once the child is gone");
        lock.release();
      } finally {
        child.process.destroyForcibly();
      }
    }
  }

  private static FileSystem open(String name, Map<String, ?> env) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name), env);
  }

  /** A child JVM running {@link ContainerChild} on this test's store; stderr kept in a file. */
  private static final class Child {
    final Process process;
    final BufferedReader out;
    final Path stderr;

    private Child(Process process, Path stderr) {
      this.process = process;
      this.out = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.stderr = stderr;
    }

    static Child start(String mode, String name, String... more) throws IOException {
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"),
          ContainerChild.class.getName(), mode, store.toString(), name));
      command.addAll(List.of(more));
      Path stderr = Files.createTempFile(scratch, mode, ".stderr");
      Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
      return new Child(process, stderr);
    }

    String readLine() throws IOException {
      return out.readLine();
    }

    void awaitExit() throws Exception {
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), () -> "child still running; " + this);
      assertEquals(0, process.exitValue(), () -> "child exit status; " + this);
    }

    @Override
    public String toString() {
      try {
        return "child stderr:\n" + Files.readString(stderr);
      } catch (IOException e) {
        return "child stderr unreadable: " + e;
      }
    }
  }
}
