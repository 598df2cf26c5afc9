package io.layerfs.core.mount;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * {@link ReadBeneath} by {@code openat2(2)}: the host directory is held as an {@code O_PATH}
 * descriptor, and a file below it is opened relative to it with {@code RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS} and {@code O_NOFOLLOW}, so the kernel's walk
 * refuses a link anywhere on the path (the last name included) and any step out of the
 * directory, whatever a host process swaps meanwhile: the caller then resolves the path in the
 * container's namespace. The file is opened with {@code O_NONBLOCK}, so that a fifo does not block
 * the open (an {@code fstat} then finds no regular file and the usual path opens it as the host
 * does); on a regular file the flag changes nothing. Names are taken as ASCII only (other
 * characters, which the JDK encodes as {@code sun.jnu.encoding} says, take the usual path). Loaded
 * only on Java 22+ (see {@link ReadBeneath}).
 *
 * <p>Thread safety: any number of threads.
 */
final class Openat2Dir implements ReadBeneath {
  private static final long FILE_FLAGS =
      LinuxCalls.O_NOFOLLOW | LinuxCalls.O_CLOEXEC | LinuxCalls.O_NONBLOCK; // O_RDONLY is 0
  private static final long RESOLVE = LinuxCalls.RESOLVE_BENEATH | LinuxCalls.RESOLVE_NO_SYMLINKS
      | LinuxCalls.RESOLVE_NO_MAGICLINKS;

  private final SharedFd dir;

  private Openat2Dir(SharedFd dir) {
    this.dir = dir;
  }

  /**
   * Opens {@code dir} as an {@code O_PATH} descriptor and checks, through {@code
   * /proc/self/fd}, that it is the directory of {@code fileKey} (the mount's open directory
   * stream); null when that fails, or {@code openat2} is missing or refused (a kernel before
   * 5.6, a seccomp filter).
   */
  static ReadBeneath open(Path dir, Object fileKey) {
    byte[] name = ascii(dir.toString());
    if (name == null) {
      return null;
    }
    int fd = LinuxCalls.openat2(LinuxCalls.AT_FDCWD, name,
        LinuxCalls.O_PATH | LinuxCalls.O_DIRECTORY | LinuxCalls.O_CLOEXEC, 0);
    if (fd < 0) {
      return null;
    }
    SharedFd shared = new SharedFd(fd, null);
    try {
      Object key = Files.readAttributes(Path.of("/proc/self/fd/" + fd), BasicFileAttributes.class)
          .fileKey();
      if (fileKey.equals(key)) {
        return new Openat2Dir(shared);
      }
    } catch (IOException | RuntimeException e) {
      // no /proc: no way to check, no shortcut
    }
    shared.close();
    return null;
  }

  @Override
  public SeekableByteChannel open(String relativePath) {
    byte[] name = ascii(relativePath);
    if (name == null) {
      return null;
    }
    int dirfd = dir.acquire();
    if (dirfd < 0) {
      return null;
    }
    int fd;
    try {
      fd = LinuxCalls.openat2(dirfd, name, FILE_FLAGS, RESOLVE);
    } finally {
      dir.release();
    }
    if (fd < 0) {
      return null;
    }
    long[] stat = LinuxCalls.modeAndSize(fd);
    if (stat == null || !LinuxCalls.isRegularFile(stat[0])) {
      LinuxCalls.close(fd);
      return null;
    }
    return new FdChannel(fd);
  }

  @Override
  public void close() {
    dir.close();
  }

  /** {@code s} as ASCII bytes ending in a zero byte; null if it has another character or NUL. */
  private static byte[] ascii(String s) {
    int n = s.length();
    byte[] out = new byte[n + 1];
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == 0 || c > 127) {
        return null;
      }
      out[i] = (byte) c;
    }
    return out;
  }
}
