package io.layerfs.bench;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What the benchmarks pick from, found by walking the host copy of the tree (without following
 * links, so no key goes through a symlink and every key names the same file in every copy):
 * its regular files, the small ones among them, the directory with the most entries and the
 * biggest file. Paths are relative ({@code usr/lib/x}) and sorted, so the same seed picks the
 * same keys for every competitor.
 *
 * @param files every regular file
 * @param smallFiles regular files of at most {@link #SMALL} bytes
 * @param bigDir the directory with the most entries
 * @param bigFile the biggest regular file
 * @param entries what {@code Files.walk} of the root counts (the root included)
 */
record Keys(List<String> files, List<String> smallFiles, String bigDir, String bigFile,
    long bigFileSize, long entries) {
  static final long SMALL = 8 * 1024;
  /** Length of every key sequence; a power of two so a cursor wraps with a mask. */
  static final int SAMPLES = 1 << 12;
  static final long SEED = 0x5eedL;

  static Keys of(Path root) throws IOException {
    List<String> files = new ArrayList<>();
    List<String> small = new ArrayList<>();
    String[] bigDir = {""};
    int[] bigDirEntries = {-1};
    String[] bigFile = {null};
    long[] bigFileSize = {-1};
    long[] entries = {0};
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            entries[0]++;
            int n;
            try (var s = Files.list(dir)) {
              n = (int) s.count();
            }
            if (n > bigDirEntries[0]) {
              bigDirEntries[0] = n;
              bigDir[0] = relative(root, dir);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            entries[0]++;
            if (attrs.isRegularFile()) {
              String rel = relative(root, file);
              files.add(rel);
              if (attrs.size() <= SMALL) {
                small.add(rel);
              }
              if (attrs.size() > bigFileSize[0]) {
                bigFileSize[0] = attrs.size();
                bigFile[0] = rel;
              }
            }
            return FileVisitResult.CONTINUE;
          }
        });
    if (files.isEmpty() || small.isEmpty()) {
      throw new IOException("no (small) regular files to benchmark in " + root);
    }
    Collections.sort(files);
    Collections.sort(small);
    return new Keys(List.copyOf(files), List.copyOf(small), bigDir[0], bigFile[0],
        bigFileSize[0], entries[0]);
  }

  /** {@link #SAMPLES} keys drawn from {@code from} with the fixed seed. */
  static List<String> sample(List<String> from, long salt) {
    SplittableRandom random = new SplittableRandom(SEED ^ salt);
    List<String> out = new ArrayList<>(SAMPLES);
    for (int i = 0; i < SAMPLES; i++) {
      out.add(from.get(random.nextInt(from.size())));
    }
    return out;
  }

  /**
   * {@link #SAMPLES} paths that do not exist, in three kinds a program looks up: a missing name
   * in an existing directory (a probe for an optional config file), a missing directory in the
   * middle (a search path that isn't there), and a missing top-level directory.
   */
  List<String> missing() {
    SplittableRandom random = new SplittableRandom(SEED ^ 3);
    List<String> out = new ArrayList<>(SAMPLES);
    for (int i = 0; i < SAMPLES; i++) {
      String f = files.get(random.nextInt(files.size()));
      int slash = f.lastIndexOf('/');
      String parent = slash < 0 ? "" : f.substring(0, slash + 1);
      String name = f.substring(slash + 1);
      out.add(switch (i % 3) {
        case 0 -> f + ".missing";
        case 1 -> parent + "no-such-dir/" + name;
        default -> "no-such-top/" + f;
      });
    }
    return out;
  }

  /** {@link #SAMPLES} 4 KiB-aligned offsets of whole 4 KiB blocks of the big file. */
  long[] blockOffsets() {
    SplittableRandom random = new SplittableRandom(SEED ^ 4);
    long blocks = Math.max(1, bigFileSize / 4096);
    long[] out = new long[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      out[i] = random.nextLong(blocks) * 4096;
    }
    return out;
  }

  private static String relative(Path root, Path p) {
    return root.relativize(p).toString();
  }
}
