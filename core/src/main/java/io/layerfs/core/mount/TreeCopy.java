package io.layerfs.core.mount;

import io.layerfs.core.FileHandle;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileTree;
import io.layerfs.core.Node;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies files between two trees with their mode, times and {@code user.} attributes (owners as
 * far as allowed): a volume filled from the image, a move between two mounts. Directories are
 * walked without recursion.
 */
final class TreeCopy {
  private final FileTree from;
  private final FileTree to;

  TreeCopy(FileTree from, FileTree to) {
    this.from = from;
    this.to = to;
  }

  /**
   * Copies what is below {@code fromDir} into {@code toDir}, without recursion; files linked
   * more than once in it are linked as often in the copy, as Docker's volume copy links them.
   */
  void copyChildren(String fromDir, String toDir) throws IOException {
    Deque<String[]> work = new ArrayDeque<>();
    work.push(new String[] {fromDir, toDir});
    List<String[]> dirs = new ArrayList<>();
    Map<Long, String> linked = new HashMap<>(); // a file's key: its first copy
    while (!work.isEmpty()) {
      String[] pair = work.pop();
      for (String name : from.list(pair[0])) {
        String src = child(pair[0], name);
        String dst = child(pair[1], name);
        Node node = from.lookup(src, false);
        if (node.type() == EntryType.FILE && node.linkCount() > 1) {
          String first = linked.putIfAbsent(node.fileKey(), dst);
          if (first != null) {
            to.createLink(dst, first);
            continue;
          }
        }
        copyOne(from, src, node, to, dst);
        if (node.isDirectory()) {
          work.push(new String[] {src, dst});
          dirs.add(new String[] {src, dst});
        }
      }
    }
    // a directory's times after its children are in, as cp -a leaves them
    for (int i = dirs.size() - 1; i >= 0; i--) {
      Node node = from.lookup(dirs.get(i)[0], false);
      to.setTimes(dirs.get(i)[1], false, node.mtimeNanos(), node.atimeNanos());
    }
  }

  static void copyOne(FileTree from, String src, Node node, FileTree to, String dst)
      throws IOException {
    switch (node.type()) {
      case DIRECTORY -> to.createDirectory(dst, node.mode() & 0777);
      case SYMLINK -> {
        to.createSymbolicLink(dst, node.linkTarget());
        return; // a link's own mode and times: nothing the JDK can set
      }
      case FILE -> copyData(from, src, to, dst);
      default -> throw new FileSystemException(src, dst, "Operation not supported");
    }
    copyOwnerAndMode(node, to, dst);
    copyUserXattrs(from, src, to, dst);
    to.setTimes(dst, false, node.mtimeNanos(), node.atimeNanos());
  }

  /** Gives {@code dst} the owner and mode of {@code node}; the owner as far as the user may. */
  static void copyOwnerAndMode(Node node, FileTree to, String dst) throws IOException {
    try {
      to.setOwner(dst, false, node.uid(), node.gid());
    } catch (IOException e) {
      // a user other than root keeps its own files, as cp without -p does
    }
    // after the owner, as the JDK's copy does: chown(2) clears the set-id bits
    to.setMode(dst, false, node.mode());
  }

  /**
   * The {@code user.} attributes, as the JDK's move across file systems and {@code cp -a} copy
   * them; a target whose file system holds none keeps the file without them, as theirs do.
   */
  private static void copyUserXattrs(FileTree from, String src, FileTree to, String dst)
      throws IOException {
    for (Map.Entry<String, byte[]> x : from.xattrs(src, false).entrySet()) {
      if (x.getKey().startsWith("user.")) {
        try {
          to.setXattr(dst, false, x.getKey(), x.getValue());
        } catch (FileSystemException e) {
          if (!"Operation not supported".equals(e.getReason())) {
            throw e;
          }
        }
      }
    }
  }

  private static void copyData(FileTree from, String src, FileTree to, String dst)
      throws IOException {
    try (FileHandle in = from.open(src, EnumSet.of(StandardOpenOption.READ), 0);
        FileHandle out = to.open(dst, Set.of(StandardOpenOption.WRITE,
            StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS), 0600)) {
      ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
      long position = 0;
      while (in.read(buffer.clear(), position) > 0) {
        buffer.flip();
        position += out.write(buffer, position);
      }
    }
  }

  private static String child(String dir, String name) {
    return dir.equals("/") ? "/" + name : dir + "/" + name;
  }
}
