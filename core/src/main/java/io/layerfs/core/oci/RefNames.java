package io.layerfs.core.oci;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Image names of a registry given by IPv6 address ({@code [::1]:5000/app:1}, as Docker accepts
 * them) kept in {@code index.json}, whose OCI ref.name grammar has no brackets and no empty
 * component between separators: the address is written {@code ip6}, then each of its groups
 * after a {@code +}, an empty group (of {@code ::}) as {@code x} ({@code
 * ip6+x+x+1:5000/app:1}). A registry host never has a {@code +}, so no other name reads back as
 * an address. Every other name is stored as it is.
 */
public final class RefNames {
  private static final Pattern BRACKETED = Pattern.compile("\\[([0-9a-fA-F:]+)\\]([:/].*)");
  private static final Pattern STORED =
      Pattern.compile("ip6((?:\\+(?:x|[0-9a-fA-F]+))+)((?::[0-9]+)?/.*)");

  private RefNames() {}

  /** The ref.name {@code name} is stored as in index.json. */
  public static String toRefName(String name) {
    Matcher m = name == null ? null : BRACKETED.matcher(name);
    if (m == null || !m.matches() || m.group(2).indexOf('/') < 0) {
      return name;
    }
    StringBuilder stored = new StringBuilder("ip6");
    for (String group : m.group(1).split(":", -1)) {
      stored.append('+').append(group.isEmpty() ? "x" : group);
    }
    return stored.append(m.group(2)).toString();
  }

  /** The name a ref.name of index.json stands for: the inverse of {@link #toRefName}. */
  public static String fromRefName(String refName) {
    Matcher m = refName == null ? null : STORED.matcher(refName);
    if (m == null || !m.matches()) {
      return refName;
    }
    StringBuilder address = new StringBuilder("[");
    String[] groups = m.group(1).substring(1).split("\\+");
    for (int i = 0; i < groups.length; i++) {
      address.append(i == 0 ? "" : ":").append(groups[i].equals("x") ? "" : groups[i]);
    }
    return address.append(']').append(m.group(2)).toString();
  }
}
