package io.layerfs.core;

import java.util.List;

/**
 * What one volume prune removed ({@code Store.pruneVolumes}), as {@code docker volume prune}
 * reports it.
 *
 * @param volumes the names of the volumes removed, sorted
 * @param bytesFreed the sizes of their regular files, a file with several links counted once, as
 *     Docker's {@code local} driver sums a volume's size
 */
public record VolumePruneReport(List<String> volumes, long bytesFreed) {

  public VolumePruneReport {
    volumes = List.copyOf(volumes);
  }
}
