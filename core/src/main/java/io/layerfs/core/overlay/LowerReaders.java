package io.layerfs.core.overlay;

import io.layerfs.core.rootfs.LayerNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The channels of a container open for reading on image files, by the image entry they read. A
 * copy-up of that entry (a write, a metadata change, a rename) moves them onto the copy, so that
 * they read what is written to the file from then on, as a file descriptor follows its inode on
 * the kernel's overlay (since Linux 4.19). Entries, not file keys: the names of an image hard
 * link are copied up one by one, and a channel of one name keeps reading the image's bytes while
 * another name is copied up, as on overlay2.
 *
 * <p>Channels are added under the container's read lock and moved under its write lock (every
 * copy-up holds it); a channel closing removes itself at any time.
 */
final class LowerReaders {
  private final ConcurrentHashMap<Long, List<ContainerHandle>> open = new ConcurrentHashMap<>();

  void add(LayerNode entry, ContainerHandle channel) {
    open.compute(entry.entryKey(), (k, list) -> {
      List<ContainerHandle> out = list == null ? new ArrayList<>(1) : list;
      out.add(channel);
      return out;
    });
  }

  void remove(LayerNode entry, ContainerHandle channel) {
    open.computeIfPresent(entry.entryKey(), (k, list) -> {
      list.remove(channel);
      return list.isEmpty() ? null : list;
    });
  }

  /** {@code copy} is now the file of {@code entry}: its readers read it. */
  void copiedUp(LayerNode entry, UpperFile copy) {
    List<ContainerHandle> readers = open.remove(entry.entryKey());
    if (readers != null) {
      for (ContainerHandle channel : readers) {
        channel.copiedUp(copy);
      }
    }
  }
}
