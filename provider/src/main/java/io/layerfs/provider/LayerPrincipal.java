package io.layerfs.provider;

import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;

/**
 * A user or group of the image, named by its number: the image's ids mean nothing on the host,
 * so the name is the decimal id, as the JDK names ids that have no passwd entry. A user is not a
 * group (as on the default provider), and user 5 is not group 5.
 */
sealed interface LayerPrincipal extends UserPrincipal {
  int id();

  @Override
  default String getName() {
    return Integer.toString(id());
  }

  /** A user id. */
  record User(int id) implements LayerPrincipal {
    @Override
    public String toString() {
      return getName();
    }
  }

  /** A group id. */
  record Group(int id) implements LayerPrincipal, GroupPrincipal {
    @Override
    public String toString() {
      return getName();
    }
  }
}
