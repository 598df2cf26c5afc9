package io.layerfs.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerfs.core.Digest;
import io.layerfs.core.ImagePruneReport;
import io.layerfs.core.ImagePruneReport.PrunedImage;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.gc.GarbageCollector;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciIndex;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Removes the images no container uses, as {@code docker image prune} does: the dangling ones
 * (index.json entries without a tag), or with {@code all} every one, tags included; then frees
 * what their removal alone made unreachable ({@link GarbageCollector#releasing}).
 *
 * <p>A container uses the manifest its record names, and index.json's hold of it (the hold
 * counts even before the record is written); an image index is used when a manifest it lists
 * is. All of it runs while no ingest lease is held anywhere, and container creation resolves
 * its image and writes its hold under a lease: a container is created either before the prune
 * looks (and its image is kept) or after it (and finds the image gone, as {@code docker create}
 * of a pruned image fails).
 */
public final class ImagePrune {
  private ImagePrune() {}

  /**
   * Prunes the images of {@code store} no container uses: the dangling ones, or with {@code all}
   * all of them.
   *
   * @throws IOException if index.json cannot be read or written, a container's record cannot be
   *     read (which image it uses is unknown: nothing is removed then), or ingest leases are
   *     held past {@link GarbageCollector#DEFAULT_LEASE_TIMEOUT}
   */
  public static ImagePruneReport prune(ContentStore store, boolean all) throws IOException {
    GarbageCollector.Released<List<PrunedImage>> released = GarbageCollector.releasing(store,
        GarbageCollector.DEFAULT_LEASE_TIMEOUT, () -> removeUnused(store, all));
    return new ImagePruneReport(released.result(), released.freed());
  }

  private static List<PrunedImage> removeUnused(ContentStore store, boolean all)
      throws IOException {
    Set<Digest> recorded = recordedManifests(store);
    if (unused(store, store.readIndex(), all, recorded).isEmpty()) {
      return List.of(); // index.json is not rewritten for nothing
    }
    List<PrunedImage> pruned = new ArrayList<>();
    store.updateIndex(index -> {
      for (Candidate image : unused(store, index, all, recorded)) {
        Digest target = image.entry().digest();
        Digest id = imageId(store, target);
        for (String tag : image.tags()) {
          index.untag(tag);
        }
        index.forget(target);
        pruned.add(new PrunedImage(target, id, List.copyOf(image.tags()), true));
      }
      if (!pruned.isEmpty()) {
        Set<Digest> listed = listedIds(store, index);
        pruned.replaceAll(p -> listed.contains(p.id())
            ? new PrunedImage(p.target(), p.id(), p.untagged(), false) : p);
      }
    });
    return pruned;
  }

  /**
   * The images of {@code index} that may go and no container uses: by its {@code recorded}
   * manifest or the hold {@code index} keeps for it.
   */
  private static List<Candidate> unused(ContentStore store, OciIndex index, boolean all,
      Set<Digest> recorded) throws IOException {
    Set<Digest> used = new HashSet<>(recorded);
    used.addAll(heldManifests(store, index));
    List<Candidate> unused = new ArrayList<>();
    for (Candidate image : candidates(index, all)) {
      if (!isUsed(store, image.entry(), used)) {
        unused.add(image);
      }
    }
    return unused;
  }

  /** An image that may go: its first index.json entry and its tags, sorted. */
  private record Candidate(Descriptor entry, TreeSet<String> tags) {}

  /**
   * The images that may go, in index.json's order: the dangling ones, and with {@code all} the
   * tagged ones too. Holds are no images.
   */
  private static List<Candidate> candidates(OciIndex index, boolean all) throws IOException {
    Set<Digest> dangling = new HashSet<>(index.untagged());
    Map<Digest, Candidate> images = new LinkedHashMap<>();
    for (Descriptor d : index.manifests()) {
      if (OciIndex.holder(d) == null && (all || dangling.contains(d.digest()))) {
        Candidate image =
            images.computeIfAbsent(d.digest(), k -> new Candidate(d, new TreeSet<>()));
        if (d.refName() != null) {
          image.tags().add(d.refName());
        }
      }
    }
    return List.copyOf(images.values());
  }

  /**
   * The manifests the containers' records name, a container being created included.
   *
   * @throws IOException naming the container whose record cannot be read
   */
  private static Set<Digest> recordedManifests(ContentStore store) throws IOException {
    Set<Digest> manifests = new HashSet<>();
    for (ContainerDirectory.Root root : ContainerDirectory.roots(store)) {
      if (root.record() == null) {
        throw new IOException(root.problem() + "; which image it uses is unknown, so no image "
            + "was pruned (layerfs fsck tells more)");
      }
      manifests.add(root.record().manifest());
    }
    return manifests;
  }

  /** The manifests index.json's holds keep for containers (each hold lists one). */
  private static Set<Digest> heldManifests(ContentStore store, OciIndex index)
      throws IOException {
    Set<Digest> manifests = new HashSet<>();
    for (Digest hold : index.holds().values()) {
      listed(store, hold, manifests);
    }
    return manifests;
  }

  /**
   * Whether a container uses the image of {@code entry}: a manifest one uses, or an image index
   * listing one. An index whose blob does not read counts as used: what it lists is unknown.
   */
  private static boolean isUsed(ContentStore store, Descriptor entry, Set<Digest> used) {
    if (used.contains(entry.digest())) {
      return true;
    }
    if (entry.mediaType() != null && !MediaTypes.isIndex(entry.mediaType())) {
      return false; // a manifest (or another blob) lists no manifests
    }
    Set<Digest> children = new HashSet<>();
    if (!listed(store, entry.digest(), children)) {
      return entry.mediaType() != null; // an index that does not read; untyped: lists nothing
    }
    children.retainAll(used);
    return !children.isEmpty();
  }

  /**
   * Adds the digests the {@code manifests} of JSON blob {@code digest} name (none for a
   * manifest) to {@code into}; false if the blob does not read.
   */
  private static boolean listed(ContentStore store, Digest digest, Set<Digest> into) {
    JsonNode tree;
    try {
      tree = OciJson.readTree(store.readJson(digest));
    } catch (IOException | RuntimeException e) {
      return false;
    }
    for (JsonNode entry : tree.path("manifests")) {
      JsonNode child = entry.path("digest");
      if (child.isTextual()) {
        try {
          into.add(Digest.parse(child.textValue()));
        } catch (IllegalArgumentException e) {
          // no digest: names nothing stored
        }
      }
    }
    return true;
  }

  /** The IDs of the images index.json still lists, tagged or not. */
  private static Set<Digest> listedIds(ContentStore store, OciIndex index) throws IOException {
    Set<Digest> ids = new HashSet<>();
    for (Descriptor d : index.manifests()) {
      if (OciIndex.holder(d) == null) {
        ids.add(imageId(store, d.digest()));
      }
    }
    return ids;
  }

  /** The config digest, as {@code images} shows an image's ID; the target's own if unreadable. */
  private static Digest imageId(ContentStore store, Digest target) {
    try {
      return Images.resolve(store, target.toString()).configDigest();
    } catch (IOException | RuntimeException e) {
      return target;
    }
  }
}
