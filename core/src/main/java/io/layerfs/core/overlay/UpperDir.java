package io.layerfs.core.overlay;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A directory of a container's upper layer.
 *
 * <p>{@link #lower} is the absolute path of the lower directory whose children it shows under its
 * own upper children, or null. That one field is overlay2's three flags: null is an opaque (or new)
 * directory; the directory's own lower path is a plain copied-up directory; any other path is a
 * redirect, a renamed lower directory ("redirect_dir"). A renamed upper directory keeps its field,
 * so it keeps showing the children of the lower directory it came from. The lower path never
 * changes meaning: the layers are immutable.
 */
final class UpperDir extends UpperEntry {
  String lower;
  /**
   * Upper children by name: {@link UpperDir}, {@link UpperFile} or {@link #WHITEOUT}. A hash
   * map, because every create and lookup probes it (a tree map's string comparisons grew with
   * the directory); what needs the names in order takes {@link #sortedChildren}.
   */
  final HashMap<String, UpperEntry> children = new HashMap<>();

  /**
   * The {@link io.layerfs.core.Node#fileKey} of the image directory this was copied up from, or
   * {@link UpperFile#NO_IMAGE_KEY}: the directory keeps its identity through the copy-up, as
   * overlayfs keeps its inode number, so that its locks and watches follow it (logged since
   * version 5; a directory copied up by an older version has its own key).
   */
  long imageKey = UpperFile.NO_IMAGE_KEY;

  UpperDir(long id) {
    super(id);
  }

  /** Makes this the copy-up of the image directory {@code n}, showing the lower {@code lower}. */
  void copyUpFrom(io.layerfs.core.Node n, String lower) {
    copyMeta(n);
    this.lower = lower;
    imageKey = n.fileKey();
  }

  @Override
  long fileKey() {
    return imageKey != UpperFile.NO_IMAGE_KEY ? imageKey : super.fileKey();
  }

  /** {@link #children} in name order. */
  Map<String, UpperEntry> sortedChildren() {
    return new TreeMap<>(children);
  }
}
