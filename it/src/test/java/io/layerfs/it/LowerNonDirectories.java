package io.layerfs.it;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.RandomImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Finds the images whose layers put an entry under a path that a lower layer left as a file or
 * a symbolic link, with no entry of their own for that path: the one case where the unpackers
 * disagree with each other and no spec rule decides. {@code umoci unpack} (0.4.7) fails on a
 * file there ("mkdir parent: not a directory", as Docker's and containerd's appliers do) and
 * writes <em>through</em> a symbolic link, resolved inside the rootfs (containerd's
 * {@code fs.RootPath} does the same; Docker's applier follows it too, or fails when the target
 * is missing), creating the directories the target names. layerfs replaces the lower file or
 * link by an implied directory, as overlay2 shows an upper directory over a lower file. The
 * image-spec's layer.md says nothing about parents of changes. Whiteouts and opaque markers under
 * a lower file are left in: umoci removes nothing there, and neither does layerfs.
 *
 * <p>Walks the layers' real tars in tar order with a small model of the merged tree (kind and
 * layer of each path), which is exact up to the first such entry, where it stops.
 */
final class LowerNonDirectories {

  private record Node(char kind, int layer) {}

  private LowerNonDirectories() {}

  /** Whether some layer of {@code image} has an entry under a lower file or symbolic link. */
  static boolean parentIsOne(RandomImage.Image image) throws IOException {
    Map<String, Node> tree = new HashMap<>();
    for (int layer = 0; layer < image.layers().size(); layer++) {
      List<ImageBuilder.Entry> entries = RandomImage.entries(image.layers().get(layer),
          image.noise().get(layer), image.unsorted().get(layer) ? image.order() : -1, layer);
      try (TarArchiveInputStream tar = new TarArchiveInputStream(
          new ByteArrayInputStream(ImageBuilder.tar(entries)))) {
        for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
          String name = e.getName().replaceAll("/+$", "");
          String base = name.substring(name.lastIndexOf('/') + 1);
          boolean marker = base.startsWith(".wh.");
          if (underLowerNonDirectory(tree, name, layer, marker)) {
            return true;
          }
          String parent = name.contains("/") ? name.substring(0, name.lastIndexOf('/')) : "";
          if (base.equals(".wh..wh..opq")) {
            removeLower(tree, parent + "/", layer);
          } else if (marker) {
            String hidden = (parent.isEmpty() ? "" : parent + "/") + base.substring(4);
            removeLower(tree, hidden, layer);
            removeLower(tree, hidden + "/", layer);
          } else {
            char kind = e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : 'f';
            Node old = tree.get(name);
            if (kind != 'd' || old == null || old.kind() != 'd') {
              tree.keySet().removeIf(p -> p.startsWith(name + "/"));
            }
            tree.put(name, new Node(kind, layer));
          }
        }
      }
    }
    return false;
  }

  /** Checks the parents of {@code name}, adding the implied ones as directories. */
  private static boolean underLowerNonDirectory(Map<String, Node> tree, String name, int layer,
      boolean marker) {
    for (int i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
      String parent = name.substring(0, i);
      Node node = tree.get(parent);
      if (node == null) {
        tree.put(parent, new Node('d', layer));
      } else if (node.layer() < layer
          && (node.kind() == 'l' || (node.kind() == 'f' && !marker))) {
        return true;
      }
    }
    return false;
  }

  /** Removes {@code prefix} (a path, or a directory's contents when it ends in '/'). */
  private static void removeLower(Map<String, Node> tree, String prefix, int layer) {
    tree.entrySet().removeIf(p -> p.getValue().layer() < layer
        && (prefix.endsWith("/") ? p.getKey().startsWith(prefix) : p.getKey().equals(prefix)));
  }
}
