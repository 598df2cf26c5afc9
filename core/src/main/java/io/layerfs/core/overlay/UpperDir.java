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

  UpperDir(long id) {
    super(id);
  }

  /** {@link #children} in name order. */
  Map<String, UpperEntry> sortedChildren() {
    return new TreeMap<>(children);
  }
}
