package io.layerfs.provider;

import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;

/**
 * A user or group of the image, named by its number: the image's ids mean nothing on the host,
 * so the name is the decimal id, as the JDK names ids that have no passwd entry.
 */
record LayerPrincipal(int id, boolean group) implements UserPrincipal, GroupPrincipal {
  @Override
  public String getName() {
    return Integer.toString(id);
  }

  @Override
  public String toString() {
    return getName();
  }
}
