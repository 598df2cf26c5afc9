package io.layerfs.bench;

import io.layerfs.core.content.ContentStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writable layerfs containers for the write benchmarks: each gets a name of its own (prefix,
 * process id, a counter) so runs and forks never meet, and is removed after use so the cached
 * stores do not grow. A run killed part way leaves its containers behind: {@link #removeStale}
 * removes those of processes that are gone.
 */
final class Containers {
  private static final AtomicLong COUNTER = new AtomicLong();

  private Containers() {}

  /** A fresh container name starting with {@code prefix}. */
  static String newName(String prefix) {
    return prefix + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
  }

  /** Creates and opens container {@code name} of {@code image} in {@code store}, writable. */
  static FileSystem open(Path store, String image, String name) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store, "image", image));
  }

  /**
   * Removes the containers of {@code store} named {@code prefix-PID-N} whose process {@code PID}
   * no longer runs (left by a killed run).
   */
  static void removeStale(Path store, String prefix) throws IOException {
    ContentStore content = ContentStore.open(store);
    for (String name : Container.list(content)) {
      if (!name.startsWith(prefix + "-")) {
        continue;
      }
      String[] parts = name.substring(prefix.length() + 1).split("-");
      long pid;
      try {
        pid = Long.parseLong(parts[0]);
      } catch (NumberFormatException e) {
        continue;
      }
      if (parts.length == 2 && ProcessHandle.of(pid).isEmpty()) {
        Container.remove(content, name);
      }
    }
  }

  /** Closes {@code fs} (if not null) and removes its container. */
  static void remove(FileSystem fs, Path store, String name) throws IOException {
    if (fs != null) {
      fs.close();
    }
    Container.remove(ContentStore.open(store), name);
  }
}
