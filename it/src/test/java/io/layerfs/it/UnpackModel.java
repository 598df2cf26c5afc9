package io.layerfs.it;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.RandomImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A small model of how a {@link RandomImage} unpacks, walking the layers' real tars in tar order
 * (kind and layer of each path), to find where {@code umoci unpack} (0.4.7) differs from layerfs
 * on purpose: umoci applies every layer to one directory, layerfs shows what overlay2 does, which
 * extracts each layer into an empty directory of its own (creating an entry's missing parents
 * there) and merges those. The image-spec's layer.md says nothing about the parents of changes.
 *
 * <ul>
 *   <li><b>An entry under a lower file or symbolic link</b> (a path a lower layer left as a
 *       non-directory, with no entry of its own in this layer), or a whiteout or opaque marker
 *       under a symbolic link of its own layer (the generator writes markers under a file or
 *       link it just wrote, as umoci repack does for a directory turned into a file). umoci fails
 *       on a file there ("mkdir parent: not a directory"), ignores a marker under one, and
 *       writes <em>through</em> a symbolic link resolved inside the rootfs, creating the
 *       directories its target names (or fails on a loop). layerfs, like overlay2, shows an
 *       implied directory over the lower file or link. {@link #parentIsLowerNonDirectory} finds
 *       these images; the model is exact up to the first such entry, where it stops.
 *   <li><b>A whiteout or opaque marker in a directory no layer has</b>: umoci creates nothing;
 *       layerfs shows an implied empty directory, as overlay2 does. {@link #markerOnlyDirs} lists
 *       them.
 * </ul>
 */
final class UnpackModel {

  /** A path of the merged tree: 'd', 'f' or 'l', the layer, whether only markers imply it. */
  private record Node(char kind, int layer, boolean markersOnly) {}

  private final Map<String, Node> tree = new HashMap<>();
  private final boolean lowerNonDirectoryParent;

  private UnpackModel(RandomImage.Image image) throws IOException {
    this.lowerNonDirectoryParent = walk(image);
  }

  static UnpackModel of(RandomImage.Image image) throws IOException {
    return new UnpackModel(image);
  }

  /** Whether some layer has an entry under a file or symbolic link as above. */
  boolean parentIsLowerNonDirectory() {
    return lowerNonDirectoryParent;
  }

  /** The directories ("/a/b") that only whiteouts and opaque markers imply. */
  Set<String> markerOnlyDirs() {
    Set<String> dirs = new TreeSet<>();
    tree.forEach((path, node) -> {
      if (node.markersOnly()) {
        dirs.add("/" + path);
      }
    });
    return dirs;
  }

  private boolean walk(RandomImage.Image image) throws IOException {
    for (int layer = 0; layer < image.layers().size(); layer++) {
      List<ImageBuilder.Entry> entries = RandomImage.entries(image.layers().get(layer),
          image.noise().get(layer), image.unsorted().get(layer) ? image.order() : -1, layer);
      try (TarArchiveInputStream tar = new TarArchiveInputStream(
          new ByteArrayInputStream(ImageBuilder.tar(entries)))) {
        for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
          if (!apply(e, layer)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** Applies one tar entry; false when it lies under a lower file or symbolic link. */
  private boolean apply(TarArchiveEntry e, int layer) {
    String name = e.getName().replaceAll("/+$", "");
    String base = name.substring(name.lastIndexOf('/') + 1);
    boolean marker = base.startsWith(".wh.");
    if (!parents(name, layer, marker)) {
      return false;
    }
    String parent = name.contains("/") ? name.substring(0, name.lastIndexOf('/')) : "";
    if (base.equals(".wh..wh..opq")) {
      removeLower(parent + "/", layer);
    } else if (marker) {
      String hidden = (parent.isEmpty() ? "" : parent + "/") + base.substring(4);
      removeLower(hidden, layer);
      removeLower(hidden + "/", layer);
    } else {
      char kind = e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : 'f';
      Node old = tree.get(name);
      if (kind != 'd' || old == null || old.kind() != 'd') {
        tree.keySet().removeIf(p -> p.startsWith(name + "/"));
      }
      tree.put(name, new Node(kind, layer, false));
    }
    return true;
  }

  /** Checks the parents of {@code name}, adding the implied ones as directories. */
  private boolean parents(String name, int layer, boolean marker) {
    for (int i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
      String parent = name.substring(0, i);
      Node node = tree.get(parent);
      if (node == null || (node.markersOnly() && !marker)) {
        tree.put(parent, new Node('d', layer, marker));
      } else if (node.kind() == 'l' || (node.kind() == 'f' && node.layer() < layer)) {
        return false; // a marker under this layer's file is ignored by both
      }
    }
    return true;
  }

  /** Removes {@code prefix} (a path, or a directory's contents when it ends in '/'). */
  private void removeLower(String prefix, int layer) {
    tree.entrySet().removeIf(p -> p.getValue().layer() < layer
        && (prefix.endsWith("/") ? p.getKey().startsWith(prefix) : p.getKey().equals(prefix)));
  }
}
