package io.layerfs.core.mount;

import io.layerfs.core.FileTree;
import io.layerfs.core.Node;
import io.layerfs.core.internal.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Fills a volume with what the container shows at its target, so that a fill cut short (a
 * failed read, a full disk, a killed process) is never taken for a finished one: a mark file
 * next to the volume's data is made (and its directory forced) before the first copy and
 * removed once the last one ended. A volume found with the mark holds a partial copy that no
 * container finished: the next container that fills it empties it and fills it again, rather
 * than seeing a volume "with content" and serving a half-copied file. A container that mounts
 * such a volume with {@code volume-nocopy} takes it as it is (and removes the mark), so no later
 * fill empties what it writes. Callers hold the store's volume lock, so one fill at a time runs
 * per store.
 */
final class VolumeFill {
  private VolumeFill() {}

  /** True when a fill of the volume whose mark is {@code mark} was cut short. */
  static boolean interrupted(Path mark) {
    return Files.exists(mark);
  }

  /**
   * Copies {@code from}'s children of {@code fromDir} into {@code volume}, emptied first when an
   * earlier fill was cut short; with {@code fromDir} null (nothing to copy), only empties such a
   * partial copy. The mark stays if this fill fails too.
   */
  static void fill(FileTree from, String fromDir, DirTree volume, Path mark) throws IOException {
    if (interrupted(mark)) {
      deleteChildren(volume);
    } else {
      Files.write(mark, new byte[0]);
      FileTrees.fsyncDirectory(mark.getParent());
    }
    if (fromDir != null) {
      new TreeCopy(from, volume).copyChildren(fromDir, "/");
      // Docker gives the volume's root the image directory's owner and mode as well
      TreeCopy.copyOwnerAndMode(from.lookup(fromDir, true), volume, "/");
    }
    Files.deleteIfExists(mark);
    FileTrees.fsyncDirectory(mark.getParent());
  }

  /**
   * Takes a volume whose fill was cut short as it is, for a container that mounts it without
   * filling ({@code volume-nocopy}) and may write to it: a later fill must not empty it then.
   */
  static void adopt(Path mark) throws IOException {
    Files.deleteIfExists(mark);
    FileTrees.fsyncDirectory(mark.getParent());
  }

  /** Deletes everything in {@code tree}, deepest first, following no link. */
  private static void deleteChildren(DirTree tree) throws IOException {
    Deque<String> work = new ArrayDeque<>();
    List<String> dirs = new ArrayList<>();
    work.push("/");
    while (!work.isEmpty()) {
      String dir = work.pop();
      for (String name : tree.list(dir)) {
        String path = dir.equals("/") ? "/" + name : dir + "/" + name;
        Node node = tree.lookup(path, false);
        if (node.isDirectory()) {
          work.push(path);
          dirs.add(path);
        } else {
          tree.delete(path);
        }
      }
    }
    for (int i = dirs.size() - 1; i >= 0; i--) {
      tree.delete(dirs.get(i));
    }
  }
}
