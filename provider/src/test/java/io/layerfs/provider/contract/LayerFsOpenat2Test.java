package io.layerfs.provider.contract;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Through NIO, the reads of a mount's files by one {@code openat2} (Java 22+ on Linux, native
 * access enabled as the build runs the tests): {@code newByteChannel}, {@code readAllBytes} and
 * streams take them for a plain path, and a link anywhere on a path, made in the container or by
 * a host process, still resolves in the container's namespace, never on the host.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "openat2 is Linux's")
@EnabledForJreRange(min = JRE.JAVA_22,
    disabledReason = "the Foreign Function and Memory API is final from Java 22; Java 17-21 "
        + "take the usual path, which the bind contract suites cover")
class LayerFsOpenat2Test {
  private static final String OPENAT2_CHANNEL = "io.layerfs.core.mount.FdChannel";

  @TempDir Path tmp;
  private Path store;
  private Path host;
  private Path outside;

  @BeforeEach
  void setUp() throws IOException {
    store = tmp.resolve("store");
    FixtureImages.build(store);
    host = Files.createDirectory(tmp.resolve("host"));
    Files.createDirectories(host.resolve("a/b"));
    Files.writeString(host.resolve("a/b/f"), "inside");
    outside = Files.createDirectory(tmp.resolve("outside"));
    Files.createDirectories(outside.resolve("b"));
    Files.writeString(outside.resolve("b/f"), "outside");
  }

  private FileSystem open(String name) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store, "image", FixtureImages.TAG, "mounts",
            List.of("type=bind,source=" + host + ",target=/h", "type=volume,source=v,target=/v")));
  }

  private static String channelClass(Path p, java.nio.file.OpenOption... options)
      throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(p, options)) {
      return ch.getClass().getName();
    }
  }

  @Test
  void readsOfAPlainPathTakeOpenat2() throws IOException {
    try (FileSystem fs = open("plain")) {
      Files.writeString(fs.getPath("/v/g"), "in the volume");
      assertEquals(OPENAT2_CHANNEL, channelClass(fs.getPath("/h/a/b/f")));
      assertEquals(OPENAT2_CHANNEL, channelClass(fs.getPath("/v/g")));
      assertEquals(OPENAT2_CHANNEL, channelClass(fs.getPath("/h/a/b/f"), StandardOpenOption.READ,
          LinkOption.NOFOLLOW_LINKS));
      assertEquals("inside", Files.readString(fs.getPath("/h/a/b/f")));
      assertEquals("in the volume", Files.readString(fs.getPath("/v/g")));
      try (InputStream in = Files.newInputStream(fs.getPath("/h/a/b/f"))) {
        assertEquals("inside", new String(in.readAllBytes(), UTF_8));
      }
      // what is not a plain read keeps its channel
      assertNotEquals(OPENAT2_CHANNEL, channelClass(fs.getPath("/h/a/b/f"),
          StandardOpenOption.READ, StandardOpenOption.WRITE));
      try (FileChannel ch = FileChannel.open(fs.getPath("/h/a/b/f"))) {
        assertEquals(6, ch.read(ByteBuffer.allocate(8), 0), "a FileChannel is still one");
      }
      // an interrupted thread gets the host's channel, whose reads fail as the JDK's do
      Thread.currentThread().interrupt();
      try {
        assertNotEquals(OPENAT2_CHANNEL, channelClass(fs.getPath("/h/a/b/f")));
        assertEquals("inside", Files.readString(fs.getPath("/h/a/b/f")));
      } finally {
        Thread.interrupted();
      }
    }
  }

  @Test
  void aLinkMadeInTheContainerResolvesThere() throws IOException {
    try (FileSystem fs = open("container-link")) {
      Files.createDirectories(fs.getPath("/x/b"));
      Files.writeString(fs.getPath("/x/b/f"), "the container's");
      Files.createSymbolicLink(fs.getPath("/h/to-x"), fs.getPath("/x"));
      Files.createSymbolicLink(fs.getPath("/h/up"), fs.getPath("../x"));
      Files.createSymbolicLink(fs.getPath("/h/last"), fs.getPath("/x/b/f"));
      Files.createSymbolicLink(host.resolve("host-made"), outside);
      Files.createSymbolicLink(fs.getPath("/h/rel"), fs.getPath("a"));
      for (String p : List.of("/h/to-x/b/f", "/h/up/b/f", "/h/last")) {
        assertNotEquals(OPENAT2_CHANNEL, channelClass(fs.getPath(p)), p);
        assertEquals("the container's", Files.readString(fs.getPath(p)), p);
      }
      // a link the host would resolve to the same file: still no openat2 through it
      assertNotEquals(OPENAT2_CHANNEL, channelClass(fs.getPath("/h/rel/b/f")));
      assertEquals("inside", Files.readString(fs.getPath("/h/rel/b/f")));
      assertThrows(NoSuchFileException.class,
          () -> Files.readString(fs.getPath("/h/host-made/b/f")),
          "a host-made link resolves in the container, where " + outside + " does not exist");
    }
  }

  @Test
  void aDirectorySwappedForALinkByAHostProcessIsNotFollowedOut() throws IOException {
    try (FileSystem fs = open("swap")) {
      Path inside = fs.getPath("/h/a/b/f");
      assertEquals("inside", Files.readString(inside));
      Files.move(host.resolve("a"), tmp.resolve("moved"));
      Files.createSymbolicLink(host.resolve("a"), outside.resolve(".."));
      Files.createDirectories(tmp.resolve("b"));
      Files.writeString(tmp.resolve("b/f"), "the host's");
      // a/b/f on the host is now tmp/b/f; in the container, a is a link to "<outside>/.."
      assertTrue(Files.exists(host.resolve("a/b/f")));
      assertThrows(NoSuchFileException.class, () -> Files.readString(inside));
      assertThrows(NoSuchFileException.class, () -> Files.newByteChannel(inside));
    }
  }
}
