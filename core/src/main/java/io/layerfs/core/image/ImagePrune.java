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
 * (index.json entries without a tag), or with {@code all} every one, tags included, and the tags
 * of a used image that no container was created by (the image stays, dangling if no tag is
 * left, as docker's containerd image store keeps it); then frees what the removal alone made
 * unreachable ({@link GarbageCollector#releasing}).
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
    return prune(store, all, ImagePruneFilter.NONE);
  }

  /**
   * {@link #prune(ContentStore, boolean)} of the images {@code filter} admits ({@code
   * dangling=false} in it counts as {@code all}).
   */
  public static ImagePruneReport prune(ContentStore store, boolean all, ImagePruneFilter filter)
      throws IOException {
    boolean every = all || filter.all();
    GarbageCollector.Released<List<PrunedImage>> released = GarbageCollector.releasing(store,
        GarbageCollector.DEFAULT_LEASE_TIMEOUT, () -> removeUnused(store, every, filter));
    return new ImagePruneReport(released.result(), released.freed());
  }

  private static List<PrunedImage> removeUnused(ContentStore store, boolean all,
      ImagePruneFilter filter) throws IOException {
    Containers containers = containers(store);
    if (decisions(store, store.readIndex(), all, containers, filter).isEmpty()) {
      return List.of(); // index.json is not rewritten for nothing
    }
    List<PrunedImage> pruned = new ArrayList<>();
    store.updateIndex(index -> {
      for (Decision decision : decisions(store, index, all, containers, filter)) {
        Descriptor entry = decision.image().entry();
        for (String tag : decision.untag()) {
          index.untag(tag);
        }
        if (decision.delete()) {
          index.forget(entry.digest());
        } else {
          index.keep(entry); // its last tag gone, a used image stays dangling, as docker's
        }
        pruned.add(new PrunedImage(entry.digest(), imageId(store, entry.digest()),
            decision.untag(), decision.delete()));
      }
      if (!pruned.isEmpty()) {
        Set<Digest> listed = listedIds(store, index);
        pruned.replaceAll(p -> p.deleted() && listed.contains(p.id())
            ? new PrunedImage(p.target(), p.id(), p.untagged(), false) : p);
      }
    });
    return pruned;
  }

  /**
   * What happens to an image: {@code untag} goes, and with {@code delete} the image; without,
   * a container uses it and it stays (untagged if no tag is left).
   */
  private record Decision(Candidate image, List<String> untag, boolean delete) {}

  /**
   * What to do with the images of {@code index}: those no container uses go, tags and all; with
   * {@code all}, an image a container uses loses the tags no container was created by, as
   * docker's containerd image store prunes every name but those ({@code daemon/containerd/
   * image_prune.go}). Images nothing happens to are left out.
   */
  private static List<Decision> decisions(ContentStore store, OciIndex index, boolean all,
      Containers containers, ImagePruneFilter filter) throws IOException {
    Set<Digest> used = new HashSet<>(containers.manifests());
    used.addAll(heldManifests(store, index));
    List<Decision> decisions = new ArrayList<>();
    for (Candidate image : candidates(index, all)) {
      if (filter.readsConfig() && !filter.admits(config(store, image.entry()))) {
        continue; // the filters keep it
      }
      if (!isUsed(store, image.entry(), used)) {
        decisions.add(new Decision(image, List.copyOf(image.tags()), true));
        continue;
      }
      List<String> unnamed = image.tags().stream()
          .filter(tag -> !containers.names().contains(tag)).toList();
      if (!unnamed.isEmpty()) {
        decisions.add(new Decision(image, unnamed, false));
      }
    }
    return decisions;
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
   * What the containers' records say: the manifests they use and the tags they were created by
   * ({@code NAME} as {@code NAME:latest}, as it resolved).
   */
  private record Containers(Set<Digest> manifests, Set<String> names) {}

  /**
   * The containers' records, a container being created included.
   *
   * @throws IOException naming the container whose record cannot be read
   */
  private static Containers containers(ContentStore store) throws IOException {
    Set<Digest> manifests = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (ContainerDirectory.Root root : ContainerDirectory.roots(store)) {
      if (root.record() == null) {
        throw new IOException(root.problem() + "; which image it uses is unknown, so no image "
            + "was pruned (layerfs fsck tells more)");
      }
      manifests.add(root.record().manifest());
      String image = root.record().image();
      names.add(image);
      if (image.indexOf(':', image.lastIndexOf('/') + 1) < 0) {
        names.add(image + ":latest");
      }
    }
    return new Containers(manifests, names);
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

  /** The config of the image of {@code entry} as a tree; null if it does not resolve or read. */
  private static JsonNode config(ContentStore store, Descriptor entry) {
    try {
      return OciJson.readTree(store.readJson(
          Images.resolve(store, entry.digest().toString()).configDigest()));
    } catch (IOException | RuntimeException e) {
      return null; // no creation time, no labels: kept by until and label filters
    }
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
