package io.layerfs.core.container;

import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Image;
import io.layerfs.core.Node;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.internal.PathNames;
import io.layerfs.core.store.Container;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** A layered test image, and helpers to use a container of it and to copy its tree to a host. */
public final class ContainerFixture {
  public static final String IMAGE = "base";
  public static final int BIG = 700_000;

  private ContainerFixture() {}

  public static byte[] big() {
    byte[] b = new byte[BIG];
    new Random(42).nextBytes(b);
    return b;
  }

  /** Two layers: whiteout, opaque dir, replaced file, hard links, symlinks, a 700 KB file. */
  public static Image build(ContentStore store) throws IOException {
    String manifest = ImageBuilder.create(store.root())
        .layer()
        .dir("/etc")
        .file("/etc/hosts", "127.0.0.1 localhost\n")
        .file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0600)
        .file("/d1/a", "lower a\n")
        .file("/d1/sub/x", "x\n")
        .file("/d1/sub/y", "y\n")
        .file("/d2/b", "b\n")
        .file("/big", big())
        .file("/hl1", "shared\n")
        .hardlink("/hl2", "/hl1")
        .symlink("/lnk", "d1/a")
        .symlink("/dangling", "nowhere/x")
        .file("/d3/deep/z", "z\n")
        .layer(LayerCompression.GZIP)
        .whiteout("/d2/b")
        .file("/d2/c", "c\n")
        .file("/d1/a", "lower a v2\n")
        .opaque("/d3")
        .file("/d3/new", "new\n")
        .build(IMAGE)
        .manifestDigest();
    return Images.resolve(store, manifest);
  }

  public static Set<OpenOption> opts(OpenOption... o) {
    return new HashSet<>(List.of(o));
  }

  public static byte[] read(Container c, String path) throws IOException {
    try (FileHandle h = c.open(path, opts(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size() + 16);
      long pos = 0;
      int n;
      while ((n = h.read(b, pos)) > 0) {
        pos += n;
      }
      return java.util.Arrays.copyOf(b.array(), (int) pos);
    }
  }

  public static String readString(Container c, String path) throws IOException {
    return new String(read(c, path), StandardCharsets.UTF_8);
  }

  public static void write(Container c, String path, String s, OpenOption... o) throws IOException {
    write(c, path, s.getBytes(StandardCharsets.UTF_8), 0, o);
  }

  public static void write(Container c, String path, byte[] data, long pos, OpenOption... o)
      throws IOException {
    Set<OpenOption> set = o.length == 0
        ? opts(StandardOpenOption.WRITE, StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING)
        : opts(o);
    try (FileHandle h = c.open(path, set, 0644)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        h.write(b, pos + b.position());
      }
    }
  }

  /** Copies the container's merged tree to {@code host} (which must exist, empty). */
  public static void materialize(Container c, String path, Path host) throws IOException {
    for (String name : c.list(path)) {
      String p = PathNames.child(path, name);
      Path h = host.resolve(name);
      Node n = c.lookup(p, false);
      switch (n.type()) {
        case DIRECTORY:
          Files.createDirectory(h);
          materialize(c, p, h);
          break;
        case SYMLINK:
          Files.createSymbolicLink(h, Path.of(n.linkTarget()));
          continue;
        case FILE:
          Files.write(h, read(c, p));
          break;
        default:
          continue;
      }
      Files.setPosixFilePermissions(h, perms(n.mode()));
      Files.setLastModifiedTime(h, FileTime.from(n.mtimeNanos(), TimeUnit.NANOSECONDS));
    }
  }

  public static Set<PosixFilePermission> perms(int mode) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values();
    for (int i = 0; i < 9; i++) {
      if ((mode & (0400 >> i)) != 0) {
        s.add(all[i]);
      }
    }
    return s;
  }

  public static int mode(Set<PosixFilePermission> perms) {
    int m = 0;
    for (PosixFilePermission p : perms) {
      m |= 0400 >> p.ordinal();
    }
    return m;
  }

  /** A description of a tree: one line per entry (path, type, mode, size, content or target). */
  public static List<String> describe(Container c) throws IOException {
    List<String> out = new ArrayList<>();
    describe(c, "/", out);
    return out;
  }

  private static void describe(Container c, String dir, List<String> out) throws IOException {
    for (String name : c.list(dir)) {
      String p = PathNames.child(dir, name);
      Node n = c.lookup(p, false);
      switch (n.type()) {
        case DIRECTORY:
          out.add(p + " d " + Integer.toOctalString(n.mode() & 0777));
          describe(c, p, out);
          break;
        case SYMLINK:
          out.add(p + " l " + n.linkTarget());
          break;
        case FILE:
          out.add(p + " f " + Integer.toOctalString(n.mode() & 0777) + " " + n.size() + " "
              + digest(read(c, p)));
          break;
        default:
          out.add(p + " " + n.type());
      }
    }
  }

  public static List<String> describe(Path root) throws IOException {
    List<String> out = new ArrayList<>();
    describe(root, root, out);
    return out;
  }

  private static void describe(Path root, Path dir, List<String> out) throws IOException {
    List<Path> children = new ArrayList<>();
    try (var s = Files.list(dir)) {
      s.forEach(children::add);
    }
    children.sort((x, y) -> x.getFileName().toString().compareTo(y.getFileName().toString()));
    for (Path h : children) {
      String p = "/" + root.relativize(h).toString();
      if (Files.isSymbolicLink(h)) {
        out.add(p + " l " + Files.readSymbolicLink(h));
      } else if (Files.isDirectory(h, LinkOption.NOFOLLOW_LINKS)) {
        out.add(p + " d " + Integer.toOctalString(mode(Files.getPosixFilePermissions(h))));
        describe(root, h, out);
      } else {
        byte[] b = Files.readAllBytes(h);
        out.add(p + " f " + Integer.toOctalString(mode(Files.getPosixFilePermissions(h))) + " "
            + b.length + " " + digest(b));
      }
    }
  }

  public static String digest(byte[] b) {
    return Digest.sha256(b).hex().substring(0, 12);
  }

  /**
   * Copies a container directory's files (not its lock) to {@code to}: the state a {@code kill
   * -9} would leave there, since nothing is compacted on the way.
   */
  public static void copyState(Path from, Path to) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else if (!p.getFileName().toString().equals("lock")) {
          Files.copy(p, t);
        }
      }
    }
  }

  /** Replaces a container directory's files (not its lock) with a copy {@link #copyState} made. */
  public static void replaceState(Path dir, Path from) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        if (!p.equals(dir) && !p.getFileName().toString().equals("lock")) {
          Files.delete(p);
        }
      }
    }
    copyState(from, dir);
  }

  /**
   * Rewrites a container's metadata as a layerfs of metadata version {@code version} (2 or 3,
   * before container ids) wrote them: {@code container.json} without {@code id}, log and
   * snapshot headers without the id (the ops are the same).
   */
  public static void olderFormat(Path dir, int version) throws IOException {
    Path json = dir.resolve(ContainerDirectory.JSON);
    com.fasterxml.jackson.databind.ObjectMapper mapper =
        new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode root =
        (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(json.toFile());
    root.remove("id");
    mapper.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), root);

    Path logFile = dir.resolve("meta.log");
    byte[] log = Files.readAllBytes(logFile);
    ByteBuffer l = ByteBuffer.wrap(log);
    ByteBuffer header = ByteBuffer.allocate(24).putLong(l.getLong(0)).putInt(version)
        .putLong(l.getLong(12));
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(header.array(), 0, 20);
    header.putInt((int) crc.getValue());
    byte[] old = new byte[log.length - 16];
    System.arraycopy(header.array(), 0, old, 0, 24);
    System.arraycopy(log, 40, old, 24, log.length - 40);
    Files.write(logFile, old);

    Path snapFile = dir.resolve("meta.snap");
    if (!Files.exists(snapFile)) {
      return;
    }
    byte[] snap = Files.readAllBytes(snapFile);
    ByteBuffer s = ByteBuffer.wrap(snap);
    long generation = s.getLong(12);
    byte[] payload = java.util.Arrays.copyOfRange(snap, 44, snap.length);
    crc = new java.util.zip.CRC32C();
    crc.update(ByteBuffer.allocate(8).putLong(0, generation));
    crc.update(payload);
    Files.write(snapFile, ByteBuffer.allocate(28 + payload.length)
        .putLong(s.getLong(0)).putInt(version).putLong(generation).putInt(payload.length)
        .putInt((int) crc.getValue()).put(payload).array());
  }
}
