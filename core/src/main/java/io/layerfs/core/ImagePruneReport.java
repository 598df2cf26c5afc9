package io.layerfs.core;

import java.util.List;

/**
 * What one image prune removed ({@code Store.pruneImages}), as {@code docker image prune}
 * reports it: the images, then what their removal freed.
 *
 * @param images the images removed from {@code index.json}, and those only untagged, in
 *     index.json's order
 * @param freed what became unreachable by their removal and was deleted with it (blobs, layer
 *     indexes, signatures...), nothing that was garbage before; its problems say why something
 *     was kept
 */
public record ImagePruneReport(List<PrunedImage> images, GcReport freed) {

  public ImagePruneReport {
    images = List.copyOf(images);
  }

  /**
   * One image removed, or only untagged: with {@code all}, an image a container uses loses the
   * tags no container was created by, as docker's does, and stays ({@code deleted} false).
   *
   * @param target the index.json entries' digest (a manifest or an image index)
   * @param id the image ID as {@code images} shows it (the config digest), or {@code target} if
   *     the image did not resolve
   * @param untagged the tags removed, sorted; empty for a dangling image
   * @param deleted whether the image left the index and its ID the listing: false for an image
   *     a container uses, or when an image of the same ID stays listed (another manifest of the
   *     same config), as docker then deletes no image ID
   */
  public record PrunedImage(Digest target, Digest id, List<String> untagged, boolean deleted) {
    public PrunedImage {
      untagged = List.copyOf(untagged);
    }
  }
}
