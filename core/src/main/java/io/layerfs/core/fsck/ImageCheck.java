package io.layerfs.core.fsck;

import io.layerfs.core.Digest;
import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.ImageConfig;
import io.layerfs.core.oci.ImageIndex;
import io.layerfs.core.oci.ImageManifest;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciIndex;
import java.io.IOException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Follows every entry of {@code index.json}: each manifest of an image index (every platform),
 * each manifest's config and layers, which must be present and well-formed, with as many layers
 * as the config has {@code diff_ids}. Blobs are only recorded as needed here ({@link
 * FsckRun#need}); the blob check reports the missing and corrupt ones with all their uses.
 *
 * <p>index.json itself has no checksum in the OCI layout, and other tools may write it, so a
 * flipped byte in a tag reads as another tag. What can be seen is reported, naming index.json: a
 * tag that is no valid OCI ref.name, and a tag renamed since layerfs last wrote the file (an
 * entry's manifest that lost the name layerfs gave it and has one layerfs never wrote, or none;
 * another tool renaming a tag looks the same). A flip that makes another valid name while
 * another tool wrote the file last, or one in a field nothing reads, stays unseen.
 */
final class ImageCheck implements Check {
  // as Images: deeper nesting is hostile or broken
  private static final int MAX_NESTING = 8;

  @Override
  public void run(FsckRun run) throws IOException {
    run.progress().start("check images", -1);
    OciIndex index;
    List<Descriptor> entries;
    byte[] bytes;
    try {
      bytes = run.store().readIndexBytes();
      index = run.store().parseIndex(bytes);
      entries = index.manifests();
    } catch (IOException e) {
      run.problem(Kind.BROKEN_IMAGE, "index.json", "cannot be read: " + e.getMessage());
      run.progress().done();
      return;
    }
    checkNames(run, entries);
    checkSinceWritten(run, bytes, entries);
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

  /** Every tag must be a valid OCI ref.name: a flipped byte often makes one that is not. */
  private static void checkNames(FsckRun run, List<Descriptor> entries) {
    for (Descriptor entry : entries) {
      if (entry.refName() == null) {
        continue;
      }
      try {
        ContentStore.checkRefName(entry.refName());
      } catch (IllegalArgumentException e) {
        run.problem(Kind.BROKEN_IMAGE, "index.json", indexPath(run) + ": the entry of "
            + entry.digest() + " has a tag that is not valid: " + e.getMessage());
      }
    }
  }

  /**
   * Compares index.json with the copy layerfs keeps of what it last wrote: a (manifest, tag)
   * pair that is gone while the same manifest came in under a tag layerfs never wrote, or
   * untagged, is a renamed tag. Entries removed whole or added by another tool are not.
   */
  private static void checkSinceWritten(FsckRun run, byte[] now, List<Descriptor> entries)
      throws IOException {
    byte[] last = run.store().lastWrittenIndex();
    if (last == null || Arrays.equals(last, now)) {
      return;
    }
    List<Descriptor> before;
    try {
      before = run.store().parseIndex(last).manifests();
    } catch (IOException e) {
      return; // a record for fsck alone, rewritten by the next tag: it says nothing
    }
    Set<Map.Entry<Digest, String>> was = pairs(before);
    Set<Map.Entry<Digest, String>> is = pairs(entries);
    for (Map.Entry<Digest, String> gone : was) {
      if (gone.getValue() == null || is.contains(gone)) {
        continue;
      }
      List<String> came = new ArrayList<>();
      for (Map.Entry<Digest, String> e : is) {
        if (e.getKey().equals(gone.getKey()) && !was.contains(e)) {
          came.add(e.getValue() == null ? "no tag" : "tag '" + e.getValue() + "'");
        }
      }
      if (!came.isEmpty()) {
        run.problem(Kind.BROKEN_IMAGE, "index.json", indexPath(run) + ": tag '"
            + gone.getValue() + "' of " + gone.getKey() + " is gone since layerfs last wrote "
            + "the file, and the same manifest has " + String.join(" and ", came)
            + " instead: a damaged index.json (a flipped byte), or another tool renamed it");
      }
    }
  }

  /** Each entry as (manifest digest, tag or null). */
  private static Set<Map.Entry<Digest, String>> pairs(List<Descriptor> entries) {
    Set<Map.Entry<Digest, String>> out = new HashSet<>();
    for (Descriptor d : entries) {
      out.add(new AbstractMap.SimpleImmutableEntry<>(d.digest(), d.refName()));
    }
    return out;
  }

  private static String indexPath(FsckRun run) {
    return run.store().root().resolve("index.json").toString();
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
