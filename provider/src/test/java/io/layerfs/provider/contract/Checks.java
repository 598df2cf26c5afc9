package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Small helpers of the contract tests. */
final class Checks {
  private Checks() {}

  /** The permissions of the nine low mode bits. */
  static Set<PosixFilePermission> perms(int bits) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < order.length; i++) {
      if ((bits & (1 << i)) != 0) {
        set.add(order[i]);
      }
    }
    return set;
  }

  /**
   * The JDK exception type a caller sees {@code e} as: its class, or the nearest {@code java.*}
   * superclass of a provider's own subclass (layerfs throws a {@code NoSuchFileException}
   * without a stack trace from {@code checkAccess}). Anything else, such as a subclass of a type
   * other than the one the default provider throws, still shows as a mismatch.
   */
  static Class<?> apiType(Throwable e) {
    Class<?> c = e.getClass();
    while (!c.getName().startsWith("java.")) {
      c = c.getSuperclass();
    }
    return c;
  }

  /** Collects mismatches over many entries and fails once, listing them all. */
  static final class Mismatches {
    private final List<String> found = new ArrayList<>();

    void check(String path, String what, Object expected, Object actual) {
      if (!Objects.equals(expected, actual)) {
        found.add(path + ": " + what + ": expected <" + expected + "> but was <" + actual + ">");
      }
    }

    void assertNone() {
      if (!found.isEmpty()) {
        fail(found.size() + " mismatch(es):\n  " + String.join("\n  ", found));
      }
    }
  }
}
