package io.layerfs.core.mount;

import java.util.HashMap;
import java.util.Map;

/**
 * The device numbers of one container's mounts: one per host file system, as stat(2)'s
 * {@code st_dev} is one per file system in a Docker container, and one of its own for each
 * tmpfs. A file then has the same key through two mounts of one host directory, so that
 * {@code isSameFile}, a copy or a move onto itself find one file, as the JDK finds it on the host.
 */
final class Devices {
  private final Map<Long, Integer> hostDevices = new HashMap<>();
  private int next;

  /** The index (from 0) of the host file system {@code hostDevice}, the same for each mount. */
  int of(long hostDevice) {
    return hostDevices.computeIfAbsent(hostDevice, d -> next++);
  }

  /** A new index, of a file system no other mount shares (a tmpfs). */
  int fresh() {
    return next++;
  }
}
