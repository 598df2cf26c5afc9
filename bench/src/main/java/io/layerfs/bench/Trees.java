package io.layerfs.bench;

import io.layerfs.core.internal.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writing the benchmark tree: applying generated layers to a host directory, and copying a tree
 * from one file system to another (host to zipfs or Jimfs, layerfs to host).
 */
final class Trees {

  /** What a copy does with symbolic links. */
  enum Links {
    /** Copy as links; absolute targets become relative so they stay inside the copy. */
    KEEP,
    /**
     * Write a small regular file holding the target, for file systems without links (zipfs):
     * directories then hold as many entries as in the other copies.
     */
    AS_FILES
  }

  private Trees() {}

  /** Applies {@code layers} bottom to top to the empty directory {@code root}. */
  static void apply(List<List<TreeEntry>> layers, Path root) throws IOException {
    Files.createDirectories(root);
    for (List<TreeEntry> layer : layers) {
      for (TreeEntry e : layer) {
        Path p = root.resolve(e.relative());
        switch (e.kind()) {
          case DIR -> Files.createDirectories(p);
          case FILE -> {
            Files.createDirectories(p.getParent());
            Files.deleteIfExists(p);
            Files.write(p, e.content());
          }
          case SYMLINK -> {
            Files.createDirectories(p.getParent());
            Files.deleteIfExists(p);
            Files.createSymbolicLink(p, p.getFileSystem().getPath(e.target()));
          }
          case WHITEOUT -> deleteRecursively(p);
        }
      }
    }
  }

  /**
   * Copies the tree below {@code from} into the existing directory {@code to}, in sorted order so
   * an archive written this way is the same on every run. Files other than regular files,
   * directories and links (devices, fifos) are skipped.
   */
  static void copy(Path from, Path to, Links links) throws IOException {
    copy(from, to, links, 0);
  }

  private static void copy(Path from, Path to, Links links, int depth) throws IOException {
    List<Path> children;
    try (Stream<Path> s = Files.list(from)) {
      children = s.sorted().toList();
    }
    for (Path child : children) {
      Path target = to.resolve(child.getFileName().toString());
      BasicFileAttributes a =
          Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) {
        String link = Files.readSymbolicLink(child).toString();
        if (links == Links.AS_FILES) {
          Files.writeString(target, link);
        } else {
          String relative = link.startsWith("/") ? "../".repeat(depth) + link.substring(1) : link;
          Files.createSymbolicLink(target, to.getFileSystem().getPath(relative));
        }
      } else if (a.isDirectory()) {
        Files.createDirectories(target);
        copy(child, target, links, depth + 1);
      } else if (a.isRegularFile()) {
        Files.copy(child, target);
      }
    }
  }

  /** Deletes {@code path} and all below it, without following links; absent is fine. */
  static void deleteRecursively(Path path) throws IOException {
    FileTrees.deleteTree(path);
  }
}
