package io.layerfs.core.internal;

import java.util.Collection;
import java.util.Iterator;
import java.util.StringJoiner;

/**
 * Names an error line lists (the tags of a store, its containers): a few, then how many more, so
 * that a store of hundreds of tags still gets a line one can read.
 */
public final class NameList {
  /** The most names listed. */
  static final int SHOWN = 10;

  private NameList() {}

  /** {@code "a, b, c"} or {@code "(none)"}; past {@value #SHOWN} names {@code "... and 7 more"}. */
  public static String of(Collection<String> names) {
    if (names.isEmpty()) {
      return "(none)";
    }
    StringJoiner shown = new StringJoiner(", ");
    Iterator<String> it = names.iterator();
    for (int i = 0; i < SHOWN && it.hasNext(); i++) {
      shown.add(it.next());
    }
    int more = names.size() - SHOWN;
    return more > 0 ? shown + " and " + more + " more" : shown.toString();
  }
}
