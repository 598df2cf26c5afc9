package io.layerfs.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files this process holds open under one directory, from {@code /proc/self/fd} (Linux).
 * Tests count these rather than all of the process's descriptors: other threads, and the
 * cleaner closing what an earlier test left open when the GC runs, change the total at any
 * time, most often under load.
 */
public final class OpenDescriptors {
  private OpenDescriptors() {}

  /** The paths of the open descriptors that lie in {@code dir} (a deleted file's included). */
  public static List<String> under(Path dir) throws IOException {
    String prefix = dir.toRealPath().toString() + "/";
    List<String> open = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        String target;
        try {
          target = Files.readSymbolicLink(fd).toString();
        } catch (NoSuchFileException e) {
          continue; // closed since the listing (the listing's own descriptor, for one)
        }
        if (target.startsWith(prefix) || (target + "/").equals(prefix)) {
          open.add(target);
        }
      }
    }
    return open;
  }
}
