package io.layerfs.core.fsck;

import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.Layer;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.ImageConfig;
import io.layerfs.core.oci.ImageIndex;
import io.layerfs.core.oci.ImageManifest;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciIndex;
import java.io.IOException;
import java.util.List;

/**
 * Follows every entry of {@code index.json}: each manifest of an image index (every platform),
 * each manifest's config and layers, which must be present and well-formed, with as many layers
 * as the config has {@code diff_ids}. Blobs are only recorded as needed here ({@link
 * FsckRun#need}); the blob check reports the missing and corrupt ones with all their uses.
 */
final class ImageCheck implements Check {
  // as Images: deeper nesting is hostile or broken
  private static final int MAX_NESTING = 8;

  @Override
  public void run(FsckRun run) throws IOException {
    run.progress().start("check images", -1);
    OciIndex index;
    List<Descriptor> entries;
    try {
      index = run.store().readIndex();
      entries = index.manifests();
    } catch (IOException e) {
      run.problem(Kind.BROKEN_IMAGE, "index.json", "cannot be read: " + e.getMessage());
      run.progress().done();
      return;
    }
    for (Descriptor entry : entries) {
      String holder = OciIndex.holder(entry);
      if (holder == null) {
        run.countImage(); // a hold is the image of a container, counted with containers
      }
      String object = entry.refName() != null ? entry.refName() : entry.digest().toString();
      String owner = entry.refName() != null ? "tag '" + object + "'"
          : holder != null ? "index.json entry of container " + holder : "untagged entry";
      follow(run, entry, object, owner, 0);
    }
    run.progress().done();
  }

  /** Checks the manifest or image index {@code target} of image {@code object}. */
  private static void follow(FsckRun run, Descriptor target, String object, String owner,
      int depth) throws IOException {
    String what = (depth == 0 ? "" : "manifest " + target.digest() + " of ") + owner;
    String type = target.mediaType();
    boolean known = type == null || MediaTypes.isManifest(type) || MediaTypes.isIndex(type);
    if (!run.need(target.digest(), target.size(), (known ? "manifest of " : "blob of ") + owner)
        || !known) {
      return; // missing: the blob check says so; another artifact type: not an image
    }
    try {
      byte[] json = run.readVerified(target.digest());
      if (json == null) {
        return;
      }
      String where = target.digest().toString();
      String mediaType = ImageManifest.mediaTypeOf(json, where);
      if (MediaTypes.isIndex(mediaType)) {
        if (depth == MAX_NESTING) {
          run.problem(Kind.BROKEN_IMAGE, object, "image indexes nested too deeply at " + where);
          return;
        }
        for (Descriptor child : ImageIndex.parse(json, where).manifests()) {
          follow(run, child, object, owner, depth + 1);
        }
      } else if (MediaTypes.isManifest(mediaType)) {
        manifest(run, ImageManifest.parse(json, where), object, what);
      } else {
        run.problem(Kind.BROKEN_IMAGE, object,
            "unsupported manifest media type " + mediaType + " of " + where);
      }
    } catch (IOException e) {
      run.problem(Kind.BROKEN_IMAGE, object, e.getMessage());
    }
  }

  private static void manifest(FsckRun run, ImageManifest manifest, String object, String what)
      throws IOException {
    Descriptor config = manifest.config();
    for (int i = 0; i < manifest.layers().size(); i++) {
      Descriptor layer = manifest.layers().get(i);
      run.need(layer.digest(), layer.size(), "layer " + (i + 1) + " of " + what);
    }
    if (!run.need(config.digest(), config.size(), "config of " + what)) {
      return;
    }
    byte[] json = run.readVerified(config.digest());
    if (json == null) {
      return;
    }
    ImageConfig parsed = ImageConfig.parse(json, config.digest().toString());
    if (parsed.diffIds().size() != manifest.layers().size()) {
      run.problem(Kind.BROKEN_IMAGE, object, what + " lists " + manifest.layers().size()
          + " layers but its config " + config.digest() + " lists " + parsed.diffIds().size()
          + " diff_ids");
      return;
    }
    for (int i = 0; i < manifest.layers().size(); i++) {
      Descriptor layer = manifest.layers().get(i);
      MediaTypes.layerCompression(layer.mediaType()); // an unknown layer type is unusable
      run.layer(new Layer(layer.mediaType(), layer.digest(), layer.size(),
          parsed.diffIds().get(i)));
    }
  }
}
