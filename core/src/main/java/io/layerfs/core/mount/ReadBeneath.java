package io.layerfs.core.mount;

import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;

/**
 * Reads of regular files below a mount's host directory, each opened in one system call that
 * follows no link and takes no step out of the directory: Linux's {@code openat2} with {@code
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS}, through the Foreign Function and Memory API of Java 22
 * and later. {@link DirTree} asks first and takes its usual path (a relative {@code stat} per
 * directory, links resolved in the container) whenever this says null.
 *
 * <p>This interface is all Java 17 loads: {@link #open} finds the implementation by name, and
 * only on Java 22 or later, on Linux (x86-64 or AArch64), when the JVM was started with native
 * access enabled for this code ({@code --enable-native-access=io.layerfs.core}, or {@code
 * ALL-UNNAMED} on the class path): without it, Java 22+ would print a warning at the first
 * downcall, so the shortcut stays off.
 *
 * <p>Thread safety: any number of threads.
 */
interface ReadBeneath extends AutoCloseable {
  /**
   * A channel reading the regular file at {@code relativePath} (names apart by single slashes,
   * none {@code .} or {@code ..}) below the directory, or null: a link or a step out anywhere on
   * the way, a missing name, no regular file, a name the shortcut does not encode, any failure.
   */
  SeekableByteChannel open(String relativePath);

  /** Closes the directory once no {@link #open} uses it; the channels opened stay open. */
  @Override
  void close();

  /**
   * The reads below {@code dir} (a host directory, links resolved), which must be the directory
   * whose file key {@code fileKey} is (checked once it is open); null where the shortcut is not
   * available (see the class comment) or anything fails.
   */
  static ReadBeneath open(Path dir, Object fileKey) {
    if (!Availability.AVAILABLE || fileKey == null) {
      return null;
    }
    try {
      return (ReadBeneath) Class.forName("io.layerfs.core.mount.Openat2Dir")
          .getDeclaredMethod("open", Path.class, Object.class).invoke(null, dir, fileKey);
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return null;
    }
  }

  /** Whether this JVM may use the shortcut at all, decided once. */
  final class Availability {
    static final boolean AVAILABLE = available();

    private Availability() {}

    private static boolean available() {
      String arch = System.getProperty("os.arch", "");
      if (Runtime.version().feature() < 22 || !"Linux".equals(System.getProperty("os.name"))
          || !(arch.equals("amd64") || arch.equals("aarch64"))) {
        return false;
      }
      try {
        // Java 22's Module.isNativeAccessEnabled, by name: Java 17's Module has no such method
        Module self = ReadBeneath.class.getModule();
        return (Boolean) Module.class.getMethod("isNativeAccessEnabled").invoke(self);
      } catch (ReflectiveOperationException | RuntimeException e) {
        return false;
      }
    }
  }
}
