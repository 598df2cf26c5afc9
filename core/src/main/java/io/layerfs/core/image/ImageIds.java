package io.layerfs.core.image;

import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.OciIndex;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.regex.Pattern;

/**
 * Docker's image IDs for the images of {@code index.json}: what {@code docker rmi 1a2b3c4d5e6f}
 * or {@code docker history sha256:<id>} take. An image's ID is its config digest (docker's
 * graph-driver store, {@code docker load}, and the {@code ID} layerfs' {@code images} prints);
 * docker's containerd image store names images by manifest or index digest instead, so a short
 * form matches those too. The forms are docker's ({@code checkTruncatedID} of moby's containerd
 * image service): 4 to 64 lower-case hex digits, with or without {@code sha256:}. A prefix that
 * begins the digests of more than one image is an error naming each.
 */
final class ImageIds {
  /** Docker's rule for what may be an image ID: {@code ^(sha256:)?([a-f0-9]{4,64})$}. */
  private static final Pattern ID = Pattern.compile("(?:sha256:)?[0-9a-f]{4,64}");
  private static final int SHORT = 12;

  private ImageIds() {}

  /** Whether {@code ref} has the form of an image ID, full or short. */
  static boolean looksLikeId(String ref) {
    return ID.matcher(ref).matches();
  }

  /**
   * The index.json entry of the image whose ID (config digest) is {@code config}, or null. The
   * entry, not the manifest, so that an image index stays what a tag or ID names.
   *
   * @throws IOException if two images that are not the same share the config
   */
  static Descriptor byConfig(ContentStore store, OciIndex index, Digest config, String ref)
      throws IOException {
    List<Candidate> found = new ArrayList<>();
    for (Candidate c : candidates(store, index)) {
      if (config.equals(c.config())) {
        found.add(c);
      }
    }
    return one(store, found, ref);
  }

  /**
   * The index.json entry of the one image whose config, manifest or entry digest begins with the
   * hex digits of {@code ref} (see {@link #looksLikeId}), or null when none does.
   *
   * @throws IOException naming the candidates when several images match
   */
  static Descriptor byPrefix(ContentStore store, OciIndex index, String ref) throws IOException {
    String hex = ref.startsWith("sha256:") ? ref.substring("sha256:".length()) : ref;
    List<Candidate> found = new ArrayList<>();
    for (Candidate c : candidates(store, index)) {
      if (begins(c.config(), hex) || begins(c.manifest(), hex) || begins(c.entry().digest(), hex)) {
        found.add(c);
      }
    }
    return one(store, found, ref);
  }

  private static boolean begins(Digest digest, String hex) {
    return digest != null && digest.algorithm().equals("sha256") && digest.hex().startsWith(hex);
  }

  private static Descriptor one(ContentStore store, List<Candidate> found, String ref)
      throws IOException {
    if (found.isEmpty()) {
      return null;
    }
    // an image index and its linux/amd64 manifest, each tagged, are one image
    if (found.stream().map(c -> c.manifest() == null ? c.entry().digest() : c.manifest())
        .distinct().count() == 1) {
      return found.get(0).entry();
    }
    StringJoiner names = new StringJoiner(", ");
    for (Candidate c : found) {
      String id = c.config() == null ? "(unreadable)" : c.config().hex().substring(0, SHORT);
      names.add(id + " (" + (c.tags().isEmpty() ? "untagged" : String.join(" ", c.tags()))
          + "; manifest " + c.entry().digest() + ")");
    }
    // manifests of one config (an image copied with other media types) share all its digits
    Digest id = found.get(0).config();
    boolean oneId = id != null && found.stream().allMatch(c -> id.equals(c.config()));
    throw new IOException("image ID '" + ref + "' is ambiguous in store " + store.root()
        + ": it matches " + names + (oneId
            ? "; these manifests share the image ID (one config): give a tag or a manifest digest"
            : "; give more of its digits, or a tag"));
  }

  /**
   * One candidate per distinct entry digest (tagged or untagged; a container's hold is no
   * image), with its tags and, where it resolves for the default platform, manifest and config.
   */
  private static List<Candidate> candidates(ContentStore store, OciIndex index)
      throws IOException {
    Map<Digest, Candidate> byEntry = new LinkedHashMap<>();
    for (Descriptor d : index.manifests()) {
      if (OciIndex.holder(d) != null) {
        continue;
      }
      Candidate c = byEntry.get(d.digest());
      if (c == null) {
        Digest manifest = null;
        Digest config = null;
        try {
          Image image = Images.resolve(store, d.digest().toString());
          manifest = image.manifestDigest();
          config = image.configDigest();
        } catch (IOException | RuntimeException e) {
          // an image that does not resolve is still matched by its entry's digest
        }
        c = new Candidate(d, manifest, config, new ArrayList<>());
        byEntry.put(d.digest(), c);
      }
      if (d.refName() != null) {
        c.tags().add(d.refName());
      }
    }
    return List.copyOf(byEntry.values());
  }

  private record Candidate(Descriptor entry, Digest manifest, Digest config, List<String> tags) {}
}
