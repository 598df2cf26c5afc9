package io.layerfs.core.mount;

import java.nio.file.Path;

/**
 * What fsck asks of a volume's counter of directory changes ({@link VolumeGeneration}), through
 * this JVM's one open of the file ({@link CounterFile}: another open and close would drop the
 * locks the JVM holds on it).
 */
public final class VolumeCounters {
  private VolumeCounters() {}

  /**
   * The number of changes a counter file says are under way that only processes now dead can
   * have left there (they keep every reader of the volume off its fast path), set to 0 if {@code
   * reset}; 0 when there are none, when a live process (this one included) may have a change
   * under way, or when the file is missing, damaged or may not be written here. Never makes the
   * file.
   */
  public static long abandonedChanges(Path counterFile, boolean reset) {
    return CounterFile.abandoned(counterFile, reset);
  }
}
