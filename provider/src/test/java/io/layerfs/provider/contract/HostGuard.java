package io.layerfs.provider.contract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Keeps the host side of a differential test inside its directory. A layerfs container resolves
 * symbolic links as in a chroot; the host does not: an absolute target or a {@code ..} above the
 * tree's root would reach (and, for a write, change) a host path outside the tree. Before an
 * operation runs, {@link #confined} resolves each of its paths on the host tree the way the
 * kernel does (physical {@code ..}, 40 hops) and answers false when the walk would leave it.
 */
final class HostGuard {
  private static final int MAX_HOPS = 40;

  private HostGuard() {}

  /** True when resolving {@code relative} under {@code root} stays inside {@code root}. */
  static boolean confined(Path root, String relative, boolean followLast) throws IOException {
    Deque<String> todo = new ArrayDeque<>(List.of(relative.split("/")));
    List<String> real = new ArrayList<>();
    int hops = 0;
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (real.isEmpty()) {
          return false;
        }
        real.remove(real.size() - 1);
        continue;
      }
      real.add(name);
      boolean last = todo.stream().allMatch(n -> n.isEmpty() || n.equals("."));
      Path p = root.resolve(String.join("/", real));
      if (!Files.isSymbolicLink(p)) {
        if (!last && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          return true; // ENOENT or ENOTDIR on both sides
        }
        continue;
      }
      if (last && !followLast) {
        return true;
      }
      if (++hops > MAX_HOPS) {
        return true; // ELOOP on both sides
      }
      String target = Files.readSymbolicLink(p).toString();
      if (target.startsWith("/")) {
        return false;
      }
      real.remove(real.size() - 1);
      String[] parts = target.split("/");
      for (int i = parts.length - 1; i >= 0; i--) {
        todo.push(parts[i]);
      }
    }
    return true;
  }

  /** True when every path of {@code op} stays inside {@code root}. */
  static boolean confined(Path root, ContainerOps.Op op) throws IOException {
    for (ContainerOps.Arg arg : op.args()) {
      if (!confined(root, arg.path(), arg.follow())) {
        return false;
      }
    }
    return true;
  }
}
