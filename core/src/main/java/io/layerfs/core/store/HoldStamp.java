package io.layerfs.core.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;

/**
 * The store's {@code index.json} as it was when a writable open last found the container's hold
 * in it: file key, size and modification time, in the container's file {@value #FILE}. While
 * index.json is unchanged the hold is too, and the open skips reading index.json and hashing the
 * hold (a fresh JVM's JSON parser and security providers, a fifth of a writable open). Only a
 * hint: when missing, unreadable or different, the open checks the hold and writes it anew.
 */
final class HoldStamp {
  static final String FILE = "held";

  private HoldStamp() {}

  /** Whether {@code stamp} is what container directory {@code dir} recorded. */
  static boolean current(Path dir, String stamp) {
    try {
      return Files.readString(dir.resolve(FILE), StandardCharsets.US_ASCII).equals(stamp);
    } catch (IOException | RuntimeException e) {
      return false; // no stamp, or damaged: check the hold itself
    }
  }

  /**
   * Records {@code stamp}, taken before the hold was found, so that a change of index.json
   * during the check leaves a stamp that no longer matches.
   */
  static void record(Path dir, String stamp) throws IOException {
    Path tmp = dir.resolve(FILE + ".tmp");
    Files.writeString(tmp, stamp, StandardCharsets.US_ASCII);
    // not forced: a stamp lost in a crash only costs the next open a check
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  /** The state of {@code index} (the store's index.json) now. */
  static String of(Path index) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(index, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return "none\n";
    }
    return a.fileKey() + " " + a.size() + " " + a.lastModifiedTime().to(TimeUnit.NANOSECONDS)
        + "\n";
  }
}
