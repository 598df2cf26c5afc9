package io.layerfs.core.overlay;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.Image;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.core.image.ImageAssembler;
import io.layerfs.core.image.LayerBlob;
import java.io.IOException;
import java.time.Instant;

/**
 * Turns a {@link ChangeWalk} into a layer blob and a new image: the shared last step of {@link
 * Overlay#commit} and {@link ImageFlattener}.
 */
final class LayerCommit {
  private LayerCommit() {}

  public static Image write(ContentStore store, Image base, ChangeWalk walk, boolean keepBaseLayers,
      CommitOptions options, String createdBy, String tagOrNull, Progress progress)
      throws IOException {
    if (tagOrNull != null) {
      ContentStore.checkTag(tagOrNull);
    }
    Instant created = options.sourceDateEpoch() != null ? options.sourceDateEpoch()
        : Instant.now();
    // the lease keeps gc from taking the new blobs before the tag (or caller) references them
    try (Lease lease = store.lease()) {
      LayerBlob.Written layer;
      progress.start("write layer", LayerTarWriter.dataBytes(walk));
      try (LayerBlob blob = new LayerBlob(store, options.compression())) {
        new LayerTarWriter(walk, options.sourceDateEpoch(), progress).write(blob.tar());
        layer = blob.commit();
      } finally {
        progress.done();
      }
      return ImageAssembler.write(store, base, keepBaseLayers, layer, created,
          options.author(), options.comment(), createdBy, tagOrNull);
    }
  }
}
