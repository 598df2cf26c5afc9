package io.layerfs.bench;

import java.util.SplittableRandom;

/**
 * One entry the {@link TreeGenerator} puts into a layer: a directory, a regular file, a symbolic
 * link, or a whiteout hiding a path of the layers below.
 *
 * <p>A file carries only its size and a content seed; {@link #content()} makes the bytes on
 * demand, the same bytes on every call and every run, so the generated tree needs no storage of
 * its own.
 *
 * @param path absolute, normalized ({@code /usr/lib/x}), never {@code /}
 * @param mode permission bits
 * @param size bytes of a file; 0 otherwise
 * @param contentSeed seed of a file's bytes
 * @param target a symlink's target (always relative, so the tree can live in a host directory)
 */
record TreeEntry(Kind kind, String path, int mode, long size, long contentSeed, String target) {

  enum Kind {
    DIR,
    FILE,
    SYMLINK,
    WHITEOUT
  }

  static TreeEntry dir(String path) {
    return new TreeEntry(Kind.DIR, path, 0755, 0, 0, "");
  }

  static TreeEntry file(String path, int mode, long size, long contentSeed) {
    return new TreeEntry(Kind.FILE, path, mode, size, contentSeed, "");
  }

  static TreeEntry symlink(String path, String target) {
    return new TreeEntry(Kind.SYMLINK, path, 0777, 0, 0, target);
  }

  static TreeEntry whiteout(String path) {
    return new TreeEntry(Kind.WHITEOUT, path, 0, 0, 0, "");
  }

  /** The path without its leading slash, for resolving against a root. */
  String relative() {
    return path.substring(1);
  }

  /**
   * The file's bytes. Small files are text-like (what most files of an image are), big ones
   * random: neither matters to reads of uncompressed data, but it keeps gzip layers realistic.
   */
  byte[] content() {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("file too big for the generator: " + path);
    }
    byte[] data = new byte[(int) size];
    SplittableRandom random = new SplittableRandom(contentSeed);
    if (size > 1 << 20) {
      random.nextBytes(data);
      return data;
    }
    for (int i = 0; i < data.length; i++) {
      int r = random.nextInt(64);
      data[i] = (byte) (r < 52 ? 'a' + r % 26 : r < 60 ? ' ' : r < 63 ? '0' + r % 10 : '\n');
    }
    return data;
  }
}
