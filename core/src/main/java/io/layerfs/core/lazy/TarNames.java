package io.layerfs.core.lazy;

import io.layerfs.core.internal.NameBytes;
import java.util.EnumSet;
import java.util.List;

/**
 * The orders image tools write a layer's tar in, and which of them one layer's names keep to so
 * far. {@link Order#PATH}: cleaned names compared as strings, by code point (the order of their
 * UTF-8 bytes), as umoci writes them; a directory sorts as its name without the slash, so
 * {@code etc/a-b} comes before {@code etc/a/b}. {@link Order#WALK}: a directory walk that visits
 * each directory's entries sorted by name and a directory's contents right after it (Go's
 * {@code filepath.Walk}, as BuildKit and docker use): names compared component by component, so
 * {@code etc/a/b} comes first. Names seen in the tar's order rule out the orders they break;
 * a comparison is answered only when every order still possible gives the same answer.
 *
 * <p>Not thread-safe.
 */
final class TarNames {
  /** An order a tar's names may be sorted in. */
  enum Order {
    PATH,
    WALK
  }

  /** The orders still possible disagree about two names. */
  static final class Ambiguous extends Exception {
    Ambiguous(String a, String b) {
      super("'" + a + "' and '" + b + "' compare differently in the orders still possible");
    }
  }

  private final EnumSet<Order> possible = EnumSet.allOf(Order.class);

  /** Whether some order is still possible. */
  boolean sorted() {
    return !possible.isEmpty();
  }

  /**
   * Rules out each order under which {@code names}, as the tar gives them, are not sorted (a
   * name may repeat); false when none is left.
   */
  boolean admit(List<String> names) {
    for (int i = 1; i < names.size(); i++) {
      String a = names.get(i - 1);
      String b = names.get(i);
      possible.removeIf(o -> compare(o, a, b) > 0);
    }
    return sorted();
  }

  /** The sign of comparing {@code a} with {@code b}, the same under every order still possible. */
  int compare(String a, String b) throws Ambiguous {
    int sign = 2;
    for (Order o : possible) {
      int c = Integer.signum(compare(o, a, b));
      if (sign != 2 && c != sign) {
        throw new Ambiguous(a, b);
      }
      sign = c;
    }
    if (sign == 2) {
      throw new IllegalStateException("no order is possible");
    }
    return sign;
  }

  /** Compares two cleaned tar names (no leading or trailing slash) in {@code order}. */
  static int compare(Order order, String a, String b) {
    if (NameBytes.hasSurrogate(a) || NameBytes.hasSurrogate(b)) {
      // a byte that is not UTF-8 (NameBytes) sorts by its byte, not by its escape's code point
      return compareBytes(order, NameBytes.encode(a), NameBytes.encode(b));
    }
    int i = 0;
    int j = 0;
    while (true) {
      boolean endA = i >= a.length();
      boolean endB = j >= b.length();
      if (endA || endB) {
        return endA && endB ? 0 : endA ? -1 : 1;
      }
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        // in a walk a separator ends a component, and a shorter component comes first
        if (order == Order.WALK && ca == '/') {
          return -1;
        }
        if (order == Order.WALK && cb == '/') {
          return 1;
        }
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
  }

  private static int compareBytes(Order order, byte[] a, byte[] b) {
    for (int i = 0; i < a.length && i < b.length; i++) {
      if (a[i] != b[i]) {
        if (order == Order.WALK && a[i] == '/') {
          return -1;
        }
        if (order == Order.WALK && b[i] == '/') {
          return 1;
        }
        return Integer.compare(a[i] & 0xff, b[i] & 0xff);
      }
    }
    return Integer.compare(a.length, b.length);
  }
}
