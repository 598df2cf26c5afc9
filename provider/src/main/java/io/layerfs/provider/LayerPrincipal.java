package io.layerfs.provider;

import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;

/**
 * A user or group of a container, identified by its number and named from the container's own
 * {@code /etc/passwd} or {@code /etc/group} ({@link ContainerAccounts}), or by the decimal id
 * when it has no entry, as the JDK names ids without one. Equal principals have equal ids and
 * kinds: a user is not a group (as on the default provider), and user 5 is not group 5.
 */
sealed interface LayerPrincipal extends UserPrincipal {
  int id();

  /** The name from the account file, or null. */
  String accountName();

  @Override
  default String getName() {
    return accountName() != null ? accountName() : Integer.toString(id());
  }

  /** A user id. */
  record User(int id, String accountName) implements LayerPrincipal {
    @Override
    public boolean equals(Object o) {
      return o instanceof User u && u.id == id;
    }

    @Override
    public int hashCode() {
      return id;
    }

    @Override
    public String toString() {
      return getName();
    }
  }

  /** A group id. */
  record Group(int id, String accountName) implements LayerPrincipal, GroupPrincipal {
    @Override
    public boolean equals(Object o) {
      return o instanceof Group g && g.id == id;
    }

    @Override
    public int hashCode() {
      return ~id;
    }

    @Override
    public String toString() {
      return getName();
    }
  }
}
