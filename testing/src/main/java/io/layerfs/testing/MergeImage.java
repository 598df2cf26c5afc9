package io.layerfs.testing;

import io.layerfs.testing.ImageBuilder.Entry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Random;

/**
 * An image of three layers that exercises the OCI merge rules a view applies: whiteouts, an
 * opaque directory, a directory replaced by a link and by a file, links anywhere on a path
 * (relative, absolute, dangling, a hard link), a device; entries with owners, modes, times
 * (one with a fraction of a second) and an extended attribute. Lazy reads are checked against a
 * view of it.
 */
public final class MergeImage {
  /** Paths a read of a file looks up: files, links to them, missing ones, files on the way. */
  public static final List<String> PATHS = List.of("/etc/os-release", "/etc/hosts",
      "/etc/issue", "/bin/sh", "/bin/extra", "/opt/a/f", "/opt/b", "/var/x/f", "/lib/two/f",
      "/srv/f", "/srv/g", "/usr/local/bin/sh", "/home/user/.profile", "/nothing", "/etc/hosts/x",
      "/link-to-etc/hosts", "/dangling", "/usr/lib/os-release", "/bin/../etc/issue", "/odd");

  /**
   * Paths whose "." or ".." (in the path, or in a link's target on the way) resolve only in the
   * tree: {@code /bin} links to {@code usr/bin}, so {@code /bin/..} is {@code /usr}, not the root.
   */
  public static final List<String> TREE_PATHS = List.of("/bin/../etc/issue", "/odd");

  /** More paths a stat looks up: directories, links themselves, a hard link, a device. */
  public static final List<String> MORE_PATHS = List.of("/etc", "/usr", "/usr/bin", "/bin",
      "/lib/two", "/link-to-etc", "/usr/local", "/usr/bin/sh2", "/dev/null", "/home/user",
      "/var/x", "/opt");

  /** The directory that {@link #layers} with noise fills with incompressible files, last. */
  public static final String NOISE = "zz-noise";

  private MergeImage() {}

  /**
   * Adds the three layers to {@code b}; with {@code noiseFiles} over 0, as many files of 256
   * KiB of random bytes (which gzip cannot shrink) at the end of the bottom layer, under
   * {@link #NOISE}: bytes a lazy lookup of the other paths need not fetch.
   */
  public static ImageBuilder layers(ImageBuilder b, int noiseFiles) {
    b.add(Entry.dir("dev"))
        .add(Entry.charDevice("dev/null", 1, 3))
        .add(Entry.dir("etc").mtime(Instant.ofEpochSecond(1_700_000_000, 250_000_000)))
        .add(Entry.file("etc/os-release", text("bottom os-release")))
        .add(Entry.file("etc/hosts", text("bottom hosts")).owner(7, 8).names("lp", "lpg"))
        .add(Entry.dir("usr/bin"))
        .add(Entry.file("usr/bin/sh", text("sh")).mode(0755).xattr("user.note", "shell"))
        .add(Entry.hardlink("usr/bin/sh2", "usr/bin/sh"))
        .add(Entry.dir("usr/lib"))
        .add(Entry.file("usr/lib/os-release", text("usr os-release"))
            .mtime(Instant.ofEpochSecond(1_600_000_000)))
        .add(Entry.symlink("bin", "usr/bin"))
        .add(Entry.dir("opt/a"))
        .add(Entry.file("opt/a/f", text("opt a f")))
        .add(Entry.file("opt/b", text("opt b")))
        .add(Entry.dir("var/x"))
        .add(Entry.file("var/x/f", text("var x f")))
        .add(Entry.dir("srv"))
        .add(Entry.file("srv/f", text("srv f")))
        .add(Entry.file("srv/g", text("srv g")))
        .add(Entry.dir("lib/one"))
        .add(Entry.file("lib/one/f", text("lib one f")))
        .add(Entry.dir("home/user"))
        .add(Entry.file("home/user/.profile", text("profile")))
        .add(Entry.symlink("usr/local", "/usr"))
        .add(Entry.symlink("dangling", "/no/such"));
    if (noiseFiles > 0) {
      Random r = new Random(noiseFiles);
      b.add(Entry.dir(NOISE));
      for (int i = 0; i < noiseFiles; i++) {
        byte[] noise = new byte[256 << 10];
        r.nextBytes(noise);
        b.add(Entry.file(NOISE + "/f" + (1000 + i), noise));
      }
    }
    return b.layer()
        .add(Entry.dir("etc").mode(0750))
        .add(Entry.opaque("etc"))
        .add(Entry.file("etc/hosts", text("middle hosts")))
        .add(Entry.whiteout("opt"))
        .add(Entry.symlink("var/x", "/lib/one"))
        .add(Entry.file("usr/bin/extra", text("extra")))
        .add(Entry.whiteout("srv/g"))
        .add(Entry.file("home/user", text("home/user is a file now")))
        .layer()
        .add(Entry.symlink("lib/two", "one"))
        .add(Entry.symlink("link-to-etc", "etc"))
        .add(Entry.file("etc/issue", text("top issue")))
        .add(Entry.symlink("odd", "bin/../etc/issue"));
  }

  /** {@code s} and a newline, in UTF-8. */
  public static byte[] text(String s) {
    return (s + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
