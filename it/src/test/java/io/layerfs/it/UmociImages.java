package io.layerfs.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Test images built with the real umoci, GNU tar and skopeo, in an OCI image layout, plus the
 * rootfs {@code umoci unpack} makes of each tag: the oracle layerfs is compared with.
 *
 * <p>Tags, each one layer on top of the previous:
 *
 * <ul>
 *   <li>{@value #EMPTY}: {@code umoci new}, no layers.
 *   <li>{@value #BASE}: every file type (files, directories, relative, absolute, dangling and
 *       looping symlinks, hard links across directories, a fifo, char and block devices),
 *       setuid/setgid/sticky and odd modes, several uids/gids, user xattrs, fixed mtimes on
 *       everything (directories and symlinks too), a 300 kB file, names with spaces and unicode,
 *       a 255-byte name, a path nesting 40 directories.
 *   <li>{@value #LAYERED}: {@code umoci repack} of changes to {@value #BASE}: file and directory
 *       deletions (whiteouts), a directory removed and re-created, type changes (file to
 *       directory, directory with children to file, file to symlink, symlink to directory),
 *       content, mode, owner, mtime and xattr changes, a hard-linked file rewritten in place.
 *   <li>{@value #OPAQUE}: a hand-made layer (GNU tar, added with {@code umoci raw add-layer}): an
 *       opaque marker placed after a new sibling in the same layer, implicit parent directories,
 *       a hard link inside the layer, a directory with children replaced by a file, a whiteout of
 *       a unicode name and a whiteout of one name of a hard-linked file.
 * </ul>
 *
 * <p>Building needs root: umoci restores owners and device nodes only as root (its rootless mode
 * records owners in xattrs instead, which would not compare). All mtimes are fixed, so the same
 * tree comes out on every run; see {@link TreeComparison} for what umoci does with them.
 */
final class UmociImages {

  static final String EMPTY = "empty";
  static final String BASE = "base";
  static final String LAYERED = "layered";
  static final String OPAQUE = "opaque";
  static final List<String> TAGS = List.of(EMPTY, BASE, LAYERED, OPAQUE);

  /** Name of the image in docker archives and registries. */
  static final String REPOSITORY = "layerfs/it";

  static final String UNICODE_NAME = "ünïcödé 名前 😀.txt";
  static final String LONG_NAME = "n".repeat(150);
  static final String MAX_NAME = "m".repeat(255);
  static final int DEPTH = 40;

  /** 2001-02-03T04:05:06Z: the base of every mtime in the images. */
  private static final long T0 = 981_173_106L;

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  private final Path work;
  private final Path layout;
  private final Map<String, Path> unpacked = new LinkedHashMap<>();
  private int bundles;

  private UmociImages(Path work) {
    this.work = work;
    this.layout = work.resolve("layout");
  }

  /** Builds the layout with all {@link #TAGS} under {@code work} (an empty directory). */
  static UmociImages build(Path work) {
    Tools.require("umoci", "skopeo", "tar", "mknod", "mkfifo", "touch", "cp", "id");
    String uid = Tools.run("id", "-u").strip();
    if (!uid.equals("0")) {
      throw new AssertionError(
          "integration tests must run as root (uid " + uid + "): umoci unpack restores owners"
              + " and device nodes only as root");
    }
    UmociImages images = new UmociImages(work);
    try {
      Files.createDirectories(work);
      images.buildAll();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return images;
  }

  /** The OCI image layout holding every tag. */
  Path layout() {
    return layout;
  }

  /** The rootfs {@code umoci unpack} made of {@code tag}; unpacked once, then reused. */
  Path rootfs(String tag) {
    return unpacked.computeIfAbsent(tag, t -> unpack(t).resolve("rootfs"));
  }

  /**
   * Paths whose mtime umoci sets to the time of the unpack (implicit parent directories and the
   * directory they are created in), so no other tool can reproduce it.
   */
  static Predicate<String> unreproducibleMtimes(String tag) {
    if (tag.equals(OPAQUE)) {
      Set<String> paths = Set.of("/", "/implicit", "/implicit/parents", "/implicit/parents/deep");
      return paths::contains;
    }
    return path -> false;
  }

  /** The comparison to use for {@code tag}'s unpacked rootfs. */
  static TreeComparison comparison(String tag) {
    return TreeComparison.builder()
        .ignoreOwnerNames()
        .ignoreMtime(unreproducibleMtimes(tag))
        .build();
  }

  /** {@code skopeo copy oci:LAYOUT:TAG docker-archive:FILE:layerfs/it:TAG}. */
  Path dockerArchive(String tag) {
    Path archive = work.resolve("docker-archive-" + tag + ".tar");
    if (!Files.exists(archive)) {
      Tools.run(
          "skopeo", "copy", "-q",
          "oci:" + layout + ":" + tag,
          "docker-archive:" + archive + ":" + REPOSITORY + ":" + tag);
    }
    return archive;
  }

  /** The image {@code tag} as an OCI archive (a tar of a layout), written by skopeo. */
  Path ociArchive(String tag) {
    Path archive = work.resolve("oci-archive-" + tag + ".tar");
    if (!Files.exists(archive)) {
      Tools.run("skopeo", "copy", "-q", "oci:" + layout + ":" + tag,
          "oci-archive:" + archive + ":" + tag);
    }
    return archive;
  }

  /**
   * A layout whose layers are uncompressed {@code application/vnd.oci.image.layer.v1.tar}: skopeo
   * only decompresses into its {@code dir:} transport, so it goes oci to dir to oci.
   */
  Path uncompressedLayout(String tag) {
    Path dir = work.resolve("dir-" + tag);
    Path result = work.resolve("uncompressed-" + tag);
    if (!Files.exists(result)) {
      Tools.run("skopeo", "copy", "-q", "--dest-decompress", "oci:" + layout + ":" + tag,
          "dir:" + dir);
      Tools.run("skopeo", "copy", "-q", "--dest-oci-accept-uncompressed-layers", "dir:" + dir,
          "oci:" + result + ":" + tag);
    }
    return result;
  }

  /**
   * A layout as skopeo 1.9 writes it from a docker-archive: the layers are uncompressed tars but
   * the manifest labels them {@code tar+gzip}.
   */
  Path mislabelledLayout(String tag) {
    Path result = work.resolve("mislabelled-" + tag);
    if (!Files.exists(result)) {
      Tools.run("skopeo", "copy", "-q", "--dest-oci-accept-uncompressed-layers",
          "docker-archive:" + dockerArchive(tag), "oci:" + result + ":" + tag);
    }
    return result;
  }

  /** Pushes {@code tag} to a plain-HTTP registry; returns the reference layerfs pulls. */
  String push(String tag, String registry) {
    String reference = registry + "/" + REPOSITORY + ":" + tag;
    Tools.run("skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:" + layout + ":" + tag,
        "docker://" + reference);
    return reference;
  }

  private Path unpack(String tag) {
    Path bundle = work.resolve("bundle-" + tag + "-" + bundles++);
    Tools.run("umoci", "unpack", "--image", layout + ":" + tag, bundle.toString());
    return bundle;
  }

  private void repack(Path bundle, String tag) {
    Tools.run("umoci", "repack", "--image", layout + ":" + tag, bundle.toString());
  }

  private void buildAll() throws IOException {
    Tools.run("umoci", "init", "--layout", layout.toString());
    Tools.run("umoci", "new", "--image", layout + ":" + EMPTY);

    Path bundle = unpack(EMPTY);
    populateBase(new Tree(bundle.resolve("rootfs")));
    repack(bundle, BASE);

    bundle = unpack(BASE);
    changeForLayered(new Tree(bundle.resolve("rootfs")));
    repack(bundle, LAYERED);

    Path tar = handMadeLayer(new Tree(work.resolve("stage")));
    Tools.run("umoci", "raw", "add-layer", "--image", layout + ":" + LAYERED, "--tag", OPAQUE,
        tar.toString());
  }

  private static void populateBase(Tree t) throws IOException {
    t.dir("/etc", 0755);
    t.file("/etc/hostname", "layerfs\n", 0644);
    t.xattr("/etc/hostname", "comment", "hello");
    t.file("/etc/motd", "welcome\n", 0644);

    t.dir("/bin", 0755);
    t.file("/bin/tool", "#!/bin/sh\necho tool\n", 0755);
    t.hardlink("/bin/tool-link", "/bin/tool");
    t.dir("/usr", 0755);
    t.dir("/usr/lib", 0755);
    t.hardlink("/usr/lib/tool-copy", "/bin/tool");
    t.dir("/usr/share", 0755);
    t.dir("/usr/share/doc", 0755);
    t.file("/usr/share/doc/readme", random(300_000, 42), 0644);
    t.file("/usr/share/doc/block", random(512, 7), 0444);

    t.dir("/data", 0755);
    t.file("/data/empty", new byte[0], 0644);
    t.file("/data/kept", "kept\n", 0640);

    t.dir("/modes", 0755);
    t.file("/modes/suid", "s", 04755);
    t.file("/modes/sgid", "g", 02755);
    t.file("/modes/none", "0", 0);
    t.file("/modes/all", "7", 07777);
    t.dir("/modes/sticky-dir", 01777);
    t.dir("/modes/setgid-dir", 02775);

    t.dir("/owners", 0755);
    t.file("/owners/user", "u", 0644);
    t.chown("/owners/user", 1000, 1000);
    t.dir("/owners/nobody", 0750);
    t.chown("/owners/nobody", 65534, 65534);
    t.file("/owners/big-ids", "b", 0600);
    t.chown("/owners/big-ids", 123456, 654321);

    t.dir("/links", 0755);
    t.symlink("/links/relative", "../etc/hostname");
    t.symlink("/links/absolute", "/etc/hostname");
    t.symlink("/links/dangling", "/nowhere/at/all");
    t.symlink("/links/self", "self");
    t.symlink("/links/dir", "../usr");
    t.symlink("/links/long", "x/".repeat(100) + "end");
    t.chown("/links/relative", 7, 8);

    t.dir("/dev", 0755);
    t.device("/dev/null", 'c', 1, 3, 0666);
    t.device("/dev/loop0", 'b', 7, 0, 0660);
    t.chown("/dev/loop0", 0, 6);
    t.dir("/run", 0755);
    t.fifo("/run/fifo", 0600);

    t.dir("/names", 0755);
    t.dir("/names/with space", 0755);
    t.file("/names/with space/" + UNICODE_NAME, "unicode\n", 0644);
    t.file("/names/" + LONG_NAME, "long\n", 0644);
    t.file("/names/" + MAX_NAME, "max\n", 0644);

    String deep = "/deep";
    t.dir(deep, 0755);
    for (int i = 1; i <= DEPTH; i++) {
      deep += "/" + i;
      t.dir(deep, 0755);
    }
    t.file(deep + "/leaf", "deep\n", 0644);

    t.dir("/var", 0755);
    t.dir("/var/cache", 0755);
    t.dir("/var/cache/app", 0755);
    t.file("/var/cache/app/a", "a", 0644);
    t.file("/var/cache/app/b", "b", 0644);
    t.dir("/var/cache/app/sub", 0755);
    t.file("/var/cache/app/sub/c", "c", 0644);

    t.dir("/convert", 0755);
    t.file("/convert/file-to-dir", "file", 0644);
    t.dir("/convert/dir-to-file", 0755);
    t.file("/convert/dir-to-file/x", "x", 0644);
    t.file("/convert/dir-to-file/y", "y", 0644);
    t.file("/convert/file-to-link", "file", 0644);
    t.symlink("/convert/link-to-dir", "../etc");

    t.finish(T0);
  }

  private static void changeForLayered(Tree t) throws IOException {
    t.delete("/data/empty");
    t.delete("/usr/share/doc");
    t.delete("/var/cache/app");
    t.dir("/var/cache/app", 0700);
    t.file("/var/cache/app/new", "new", 0644);

    t.delete("/convert/file-to-dir");
    t.dir("/convert/file-to-dir", 0755);
    t.file("/convert/file-to-dir/child", "child", 0644);
    t.delete("/convert/dir-to-file");
    t.file("/convert/dir-to-file", "now a file", 0644);
    t.delete("/convert/file-to-link");
    t.symlink("/convert/file-to-link", "/etc/motd");
    t.delete("/convert/link-to-dir");
    t.dir("/convert/link-to-dir", 0711);

    // in place: all three names of the hard-linked file change
    t.append("/bin/tool", "echo v2\n");
    t.mode("/etc/hostname", 0600);
    t.chown("/etc/hostname", 42, 43);
    t.xattr("/etc/motd", "layer", "2");
    t.file("/names/with space/second " + UNICODE_NAME, "second\n", 0644);
    t.file("/new-in-layered", "fresh\n", 0644);

    t.finish(T0 + 86_400);
  }

  /** The opaque layer: written with GNU tar from an explicit, ordered list of entries. */
  private Path handMadeLayer(Tree t) throws IOException {
    Files.createDirectories(t.root);
    List<String> entries = new ArrayList<>();
    t.dir("/var", 0755);
    t.dir("/var/cache", 0755);
    t.dir("/var/cache/app", 0750);
    entries.add("var/cache/app");
    t.file("/var/cache/app/fresh", "fresh", 0644);
    entries.add("var/cache/app/fresh");
    // after a sibling on purpose: an opaque marker hides lower layers only, wherever it sits
    t.file("/var/cache/app/.wh..wh..opq", new byte[0], 0);
    entries.add("var/cache/app/.wh..wh..opq");
    // no entries for /implicit and /implicit/parents...: they are implied
    t.dir("/implicit", 0700);
    t.dir("/implicit/parents", 0700);
    t.dir("/implicit/parents/deep", 0700);
    t.file("/implicit/parents/deep/file", "implied parents\n", 0640);
    entries.add("implicit/parents/deep/file");
    t.hardlink("/implicit/parents/deep/hard", "/implicit/parents/deep/file");
    entries.add("implicit/parents/deep/hard");
    t.dir("/deep", 0755);
    t.file("/deep/1", "was a directory\n", 0644);
    entries.add("deep/1");
    t.dir("/names", 0755);
    t.dir("/names/with space", 0755);
    t.file("/names/with space/.wh." + UNICODE_NAME, new byte[0], 0);
    entries.add("names/with space/.wh." + UNICODE_NAME);
    t.dir("/bin", 0755);
    t.file("/bin/.wh.tool-link", new byte[0], 0);
    entries.add("bin/.wh.tool-link");
    t.finish(T0 + 2 * 86_400);

    Path tar = work.resolve("opaque-layer.tar");
    List<String> command = new ArrayList<>(List.of(
        "tar", "--format=pax", "--numeric-owner", "--owner=0", "--group=0",
        "-cf", tar.toString(), "-C", t.root.toString(), "--no-recursion", "--"));
    command.addAll(entries);
    Tools.run(null, command);
    return tar;
  }

  private static byte[] random(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  /**
   * Edits a directory tree on the host. mtimes are applied by {@link #finish}, after all changes,
   * since creating children changes a directory's mtime.
   */
  private static final class Tree {
    final Path root;
    private final List<String> touched = new ArrayList<>();

    Tree(Path root) {
      this.root = root;
    }

    Path at(String path) {
      Path result = root;
      for (String name : path.split("/")) {
        if (!name.isEmpty()) {
          result = result.resolve(name);
        }
      }
      return result;
    }

    void dir(String path, int mode) throws IOException {
      if (!Files.isDirectory(at(path), NOFOLLOW)) {
        Files.createDirectory(at(path));
      }
      mode(path, mode);
    }

    void file(String path, String content, int mode) throws IOException {
      file(path, content.getBytes(StandardCharsets.UTF_8), mode);
    }

    void file(String path, byte[] content, int mode) throws IOException {
      Files.write(at(path), content);
      mode(path, mode);
    }

    void append(String path, String content) throws IOException {
      Files.writeString(at(path), content, StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.APPEND);
      touched.add(path);
    }

    void symlink(String path, String target) throws IOException {
      Files.createSymbolicLink(at(path), at("/").getFileSystem().getPath(target));
      touched.add(path);
    }

    void hardlink(String path, String existing) throws IOException {
      Files.createLink(at(path), at(existing));
    }

    void fifo(String path, int mode) throws IOException {
      Tools.run("mkfifo", at(path).toString());
      mode(path, mode);
    }

    void device(String path, char type, int major, int minor, int mode) throws IOException {
      Tools.run("mknod", at(path).toString(), String.valueOf(type), String.valueOf(major),
          String.valueOf(minor));
      mode(path, mode);
    }

    void mode(String path, int mode) throws IOException {
      // explicit chmod: mkdir and open apply the umask and drop setgid/sticky bits
      Files.setAttribute(at(path), "unix:mode", mode);
      touched.add(path);
    }

    void chown(String path, int uid, int gid) throws IOException {
      Files.setAttribute(at(path), "unix:uid", uid, NOFOLLOW);
      Files.setAttribute(at(path), "unix:gid", gid, NOFOLLOW);
      touched.add(path);
    }

    void xattr(String path, String name, String value) throws IOException {
      UserDefinedFileAttributeView view =
          Files.getFileAttributeView(at(path), UserDefinedFileAttributeView.class);
      view.write(name, ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
      touched.add(path);
    }

    void delete(String path) throws IOException {
      Path target = at(path);
      if (Files.isDirectory(target, NOFOLLOW)) {
        try (var walk = Files.walk(target)) {
          for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      } else {
        Files.delete(target);
      }
      touched.removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
    }

    /**
     * Gives every touched path and the root a distinct fixed mtime: {@code base} plus a minute
     * per path, in the order first touched; symlinks get theirs with lutimes.
     */
    void finish(long base) throws IOException {
      List<String> paths = new ArrayList<>();
      paths.add("/");
      for (String path : touched) {
        if (!paths.contains(path)) {
          paths.add(path);
        }
      }
      long seconds = base;
      for (String path : paths) {
        Path p = at(path);
        if (!Files.exists(p, NOFOLLOW)) {
          continue;
        }
        if (Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW).isOther()) {
          // the JDK opens the file to set its times, which blocks on a fifo
          Tools.run("touch", "-h", "-d", "@" + seconds, p.toString());
        } else {
          FileTime time = FileTime.from(java.time.Instant.ofEpochSecond(seconds));
          Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW)
              .setTimes(time, time, null);
        }
        seconds += 60;
      }
    }
  }
}
