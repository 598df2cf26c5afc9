package io.layerfs.bench;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The data of {@link CommitBenchmark}: an image, the changes made in a container of it, and the
 * same changes as an overlay upper directory for the peers, all from a fixed seed.
 *
 * <p>The image (one gzip layer, tag {@value #TAG}): {@value #LIB_DIRS} directories {@code
 * /app/lib/mNN} of {@value #PER_LIB_DIR} files of 128 B to 16 KiB (log-uniform, text-like bytes)
 * and {@code /app/share/docs} with {@value #DOC_DIRS} directories of {@value #PER_DOC_DIR} files
 * of 1 to 4 KiB: 4,200 files, 49 directories.
 *
 * <p>The changes ({@link #change}): the files of {@value #REWRITE_DIRS} lower directories
 * rewritten (4 KiB each), {@value #NEW_DIRS} new directories of {@value #PER_NEW_DIR} new files
 * of 1 to 8 KiB (1,000 files written in all), every other file of two lower directories deleted,
 * two lower directories deleted whole, {@code /app/share/docs} renamed to {@code
 * /app/share/manual}, and the files of two lower directories chmod'ed to {@code 0600}. A layer of
 * them holds {@link #EXPECTED_ENTRIES} entries, about 5 MiB of file bytes: the renamed directory
 * in full under its new name plus a whiteout of the old one, and the chmod'ed files with their
 * bytes (an OCI layer has no metadata-only entry).
 *
 * <p>The upper directory ({@link #writeUpper}): what overlay's upper directory holds after the
 * same changes, with whiteouts as the empty {@code .wh.NAME} files Docker turns overlay's 0/0
 * character devices into, and the renamed directory copied in full (without overlay's {@code
 * redirect_dir}, {@code mv} copies it; with it, a commit has to write it in full anyway).
 */
final class ChangedTree {
  static final String TAG = "commit";
  private static final int LIB_DIRS = 40;
  private static final int PER_LIB_DIR = 100;
  private static final int DOC_DIRS = 5;
  private static final int PER_DOC_DIR = 40;
  private static final int REWRITE_DIRS = 5;
  private static final int NEW_DIRS = 10;
  private static final int PER_NEW_DIR = 50;
  /** Lower directories losing every other file. */
  private static final int[] THINNED_DIRS = {10, 11};
  /** Lower directories deleted whole. */
  private static final int[] DELETED_DIRS = {30, 31};
  /** Lower directories whose files are chmod'ed. */
  private static final int[] CHMOD_DIRS = {20, 21};

  /**
   * Entries of the committed layer: {@code /app} and {@code /app/lib}; the rewritten files and
   * their directories; {@code /app/new}, its directories and files; the thinned directories and
   * their whiteouts; the whiteouts of the deleted directories; {@code /app/share}, the renamed
   * tree and the whiteout of its old name; the chmod'ed files and their directories.
   */
  static final int EXPECTED_ENTRIES = 2
      + REWRITE_DIRS * (1 + PER_LIB_DIR)
      + 1 + NEW_DIRS * (1 + PER_NEW_DIR)
      + THINNED_DIRS.length * (1 + PER_LIB_DIR / 2)
      + DELETED_DIRS.length
      + 1 + 1 + DOC_DIRS * (1 + PER_DOC_DIR) + 1
      + CHMOD_DIRS.length * (1 + PER_LIB_DIR);

  private static final long SEED = 0xc0331L;
  private static final Set<PosixFilePermission> CHMOD =
      PosixFilePermissions.fromString("rw-------");

  private ChangedTree() {}

  private static String libDir(int d) {
    return String.format(Locale.ROOT, "app/lib/m%02d", d);
  }

  private static String libFile(int d, int f) {
    return String.format(Locale.ROOT, "app/lib/m%02d/f%04d", d, d * PER_LIB_DIR + f);
  }

  private static String docFile(String docs, int d, int f) {
    return String.format(Locale.ROOT, "app/share/%s/s%d/p%02d.txt", docs, d, f);
  }

  private static String newFile(int d, int f) {
    return String.format(Locale.ROOT, "app/new/n%02d/a%03d", d, f);
  }

  private static byte[] lib(int d, int f) {
    return text(d * PER_LIB_DIR + f, 128, 16 << 10);
  }

  private static byte[] doc(int d, int f) {
    return text(100_000 + d * 1000 + f, 1 << 10, 4 << 10);
  }

  private static byte[] rewritten(int d, int f) {
    return text(200_000 + d * PER_LIB_DIR + f, 4 << 10, 4 << 10);
  }

  private static byte[] added(int d, int f) {
    return text(300_000 + d * 1000 + f, 1 << 10, 8 << 10);
  }

  /** Text-like bytes (words and lines), of a log-uniform size in [min, max], from {@code key}. */
  private static byte[] text(long key, int min, int max) {
    SplittableRandom r = new SplittableRandom(SEED ^ (key * 0x9E3779B97F4A7C15L));
    int size = (int) Math.round(Math.exp(Math.log(min)
        + r.nextDouble() * (Math.log(max) - Math.log(min))));
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      int c = r.nextInt(32);
      b[i] = (byte) (i % 64 == 63 ? '\n' : c >= 26 ? ' ' : 'a' + c);
    }
    return b;
  }

  private static boolean in(int[] dirs, int d) {
    for (int x : dirs) {
      if (x == d) {
        return true;
      }
    }
    return false;
  }

  static void writeImage(Path layout) throws IOException {
    ImageBuilder b = ImageBuilder.create(layout)
        .layer(LayerCompression.GZIP)
        .dir("/app", 0755)
        .dir("/app/lib", 0755);
    for (int d = 0; d < LIB_DIRS; d++) {
      b.dir("/" + libDir(d), 0755);
      for (int f = 0; f < PER_LIB_DIR; f++) {
        b.file("/" + libFile(d, f), lib(d, f), 0644);
      }
    }
    b.dir("/app/share", 0755).dir("/app/share/docs", 0755);
    for (int d = 0; d < DOC_DIRS; d++) {
      b.dir("/app/share/docs/s" + d, 0755);
      for (int f = 0; f < PER_DOC_DIR; f++) {
        b.file("/" + docFile("docs", d, f), doc(d, f), 0644);
      }
    }
    b.build(TAG);
  }

  /** Makes the changes in a container of the image, through its NIO file system. */
  static void change(Path root) throws IOException {
    for (int d = 0; d < REWRITE_DIRS; d++) {
      for (int f = 0; f < PER_LIB_DIR; f++) {
        Files.write(root.resolve(libFile(d, f)), rewritten(d, f));
      }
    }
    for (int d = 0; d < NEW_DIRS; d++) {
      for (int f = 0; f < PER_NEW_DIR; f++) {
        Path p = root.resolve(newFile(d, f));
        Files.createDirectories(p.getParent());
        Files.write(p, added(d, f), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      }
    }
    for (int d : THINNED_DIRS) {
      for (int f = 1; f < PER_LIB_DIR; f += 2) {
        Files.delete(root.resolve(libFile(d, f)));
      }
    }
    for (int d : DELETED_DIRS) {
      List<Path> all;
      try (Stream<Path> walk = Files.walk(root.resolve(libDir(d)))) {
        all = walk.toList();
      }
      for (int i = all.size() - 1; i >= 0; i--) {
        Files.delete(all.get(i));
      }
    }
    Files.move(root.resolve("app/share/docs"), root.resolve("app/share/manual"));
    for (int d : CHMOD_DIRS) {
      for (int f = 0; f < PER_LIB_DIR; f++) {
        Files.setPosixFilePermissions(root.resolve(libFile(d, f)), CHMOD);
      }
    }
  }

  /**
   * Writes below {@code root} what an overlay upper directory holds after {@link #change}, with
   * whiteouts as empty {@code .wh.NAME} files and the renamed directory copied in full.
   */
  static void writeUpper(Path root) throws IOException {
    for (int d = 0; d < LIB_DIRS; d++) {
      boolean thinned = in(THINNED_DIRS, d);
      boolean chmod = in(CHMOD_DIRS, d);
      if (in(DELETED_DIRS, d)) {
        Files.createDirectories(root.resolve("app/lib"));
        Files.createFile(root.resolve("app/lib/.wh." + root.resolve(libDir(d)).getFileName()));
      }
      if (d >= REWRITE_DIRS && !thinned && !chmod) {
        continue;
      }
      Path dir = Files.createDirectories(root.resolve(libDir(d)));
      for (int f = 0; f < PER_LIB_DIR; f++) {
        Path p = root.resolve(libFile(d, f));
        if (d < REWRITE_DIRS) {
          Files.write(p, rewritten(d, f));
        } else if (thinned && f % 2 == 1) {
          Files.createFile(dir.resolve(".wh." + p.getFileName()));
        } else if (chmod) {
          Files.write(p, lib(d, f));
          Files.setPosixFilePermissions(p, CHMOD);
        }
      }
    }
    for (int d = 0; d < NEW_DIRS; d++) {
      for (int f = 0; f < PER_NEW_DIR; f++) {
        Path p = root.resolve(newFile(d, f));
        Files.createDirectories(p.getParent());
        Files.write(p, added(d, f));
      }
    }
    for (int d = 0; d < DOC_DIRS; d++) {
      for (int f = 0; f < PER_DOC_DIR; f++) {
        Path p = root.resolve(docFile("manual", d, f));
        Files.createDirectories(p.getParent());
        Files.write(p, doc(d, f));
      }
    }
    Files.createFile(root.resolve("app/share/.wh.docs"));
  }
}
