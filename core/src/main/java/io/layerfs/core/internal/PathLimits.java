package io.layerfs.core.internal;

import java.nio.file.FileSystemException;

/**
 * Linux's limits on a name (255 bytes, {@code NAME_MAX}) and on a path given to a call (4,095
 * bytes, {@code PATH_MAX} less its terminating zero), which a container keeps so that what it
 * makes can be unpacked by any tool. Bytes are counted as {@link NameBytes} holds them: UTF-8,
 * an escape one byte. Breaking one is {@code ENAMETOOLONG}, "File name too long".
 */
public final class PathLimits {
  /** The most bytes of a name. */
  public static final int NAME_MAX = 255;
  /** The most bytes of a path given to a call. */
  public static final int PATH_MAX = 4095;

  private PathLimits() {}

  /**
   * Throws "File name too long" for {@code path} if {@code name}, which a lookup did not find
   * in its directory, is longer than a name can be: that lookup on Linux fails so.
   */
  public static void checkMissingName(String path, String name) throws FileSystemException {
    if (nameTooLong(name)) {
      throw tooLong(path);
    }
  }

  /** Whether {@code name} is longer than a name can be. */
  public static boolean nameTooLong(String name) {
    return mayBeTooLong(name.length()) && bytes(name) > NAME_MAX;
  }

  /**
   * Whether a name of {@code chars} chars may be longer than a name can be (a char is at most
   * three bytes): a screen that needs no count of the bytes.
   */
  public static boolean mayBeTooLong(int chars) {
    return chars > NAME_MAX / 3;
  }

  /** Throws "File name too long" for {@code path} if it is longer than a path can be. */
  public static void checkPath(String path) throws FileSystemException {
    if (pathTooLong(path)) {
      throw tooLong(path);
    }
  }

  /** Whether {@code path} is longer than a path given to a call can be. */
  public static boolean pathTooLong(String path) {
    return path.length() > PATH_MAX / 3 && bytes(path) > PATH_MAX;
  }

  /** The exception of the JDK's default provider for {@code ENAMETOOLONG}. */
  public static FileSystemException tooLong(String file) {
    return new FileSystemException(file, null, "File name too long");
  }

  /** The bytes of {@code s}, as a name holds them (only for strings past a cheap screen). */
  static int bytes(String s) {
    return NameBytes.encode(s).length;
  }
}
