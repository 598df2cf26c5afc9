package io.layerfs.provider.contract;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A whole tree as one sorted map, relative path to a line of what it holds, so two trees on any
 * two file systems compare with {@code equals} and print their differences path by path.
 *
 * <p>A line is {@link ContainerOps#stat} without following links (type, mode with set-id and
 * sticky bits, uid, gid, nlink, size of non-directories, mtime of regular files), then the
 * content digest of a regular file, the target of a symbolic link, and the user xattrs of files
 * and directories (when {@code xattrs}). Directories' mtimes and sizes are left out: they are the
 * host file system's bookkeeping (see {@link ContainerOps}).
 */
final class TreeSnapshot {
  private TreeSnapshot() {}

  static Map<String, String> of(Path root, boolean xattrs) throws IOException {
    Map<String, String> tree = new TreeMap<>();
    walk(root, "", xattrs, tree);
    return tree;
  }

  private static void walk(Path root, String rel, boolean xattrs, Map<String, String> tree)
      throws IOException {
    Path p = rel.isEmpty() ? root : root.resolve(rel);
    String line = ContainerOps.stat(p, false);
    if (line.startsWith("file")) {
      line += " data=" + ContainerOps.describe(Files.readAllBytes(p));
    } else if (line.startsWith("symlink")) {
      line += " -> " + Files.readSymbolicLink(p);
    }
    if (xattrs && (line.startsWith("file") || line.startsWith("dir"))) {
      List<String> x = ContainerOps.xattrs(p);
      if (!x.isEmpty()) {
        line += " xattrs=" + x;
      }
    }
    tree.put(rel.isEmpty() ? "/" : rel, line);
    if (line.startsWith("dir")) {
      List<String> names = new ArrayList<>();
      try (Stream<Path> s = Files.list(p)) {
        s.forEach(c -> names.add(c.getFileName().toString()));
      }
      names.sort(null);
      for (String name : names) {
        walk(root, rel.isEmpty() ? name : rel + "/" + name, xattrs, tree);
      }
    }
  }

  /** The differences, one line per path, empty when equal. */
  static List<String> diff(Map<String, String> expected, Map<String, String> actual) {
    Set<String> paths = new TreeSet<>(expected.keySet());
    paths.addAll(actual.keySet());
    List<String> out = new ArrayList<>();
    for (String path : paths) {
      String e = expected.get(path);
      String a = actual.get(path);
      if (e == null || !e.equals(a)) {
        out.add(path + ": expected <" + e + "> but was <" + a + ">");
      }
    }
    return out;
  }

  /** A SHA-256 of the whole snapshot: equal trees, equal digests. */
  static String digest(Map<String, String> tree) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      tree.forEach((k, v) -> md.update((k + "\t" + v + "\n").getBytes(StandardCharsets.UTF_8)));
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
