package io.layerfs.core.image;

import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.NameList;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.ImageConfig;
import io.layerfs.core.oci.ImageIndex;
import io.layerfs.core.oci.ImageManifest;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciIndex;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves a reference to an {@link Image} of a {@link ContentStore}: a digest, an exact {@code
 * ref.name} of index.json, or a name without a tag that falls back to {@code :latest}; image
 * indexes and manifest lists pick a platform, {@code linux/amd64} by default (the package
 * documentation gives the order). Manifest and config blobs are verified against their digests
 * when read.
 */
public final class Images {
  public static final String DEFAULT_OS = "linux";
  public static final String DEFAULT_ARCH = "amd64";
  // an index may point at an index; real images nest at most once

  private Images() {}

  /** Resolves {@code ref} for linux/amd64. */
  public static Image resolve(ContentStore store, String ref) throws IOException {
    return resolve(store, ref, DEFAULT_OS, DEFAULT_ARCH);
  }

  /**
   * Resolves {@code ref} (see the package documentation) for the platform {@code os}/{@code arch}.
   *
   * @throws IOException if the reference is unknown (listing the tags), no manifest matches the
   *     platform (listing the platforms), or a blob is missing, corrupt or of an unsupported type
   */
  public static Image resolve(ContentStore store, String ref, String os, String arch)
      throws IOException {
    return resolve(store, ref, os, arch, false);
  }

  /**
   * {@link #resolve(ContentStore, String)} for opening a view of the image: answered from the
   * memo in {@code layerfs/resolved} ({@link ResolvedImages}) while every input reads the same
   * bytes, else resolved in full and remembered, so that a later JVM opens it without parsing
   * JSON or hashing.
   */
  public static Image resolveRemembered(ContentStore store, String ref) throws IOException {
    return resolve(store, ref, DEFAULT_OS, DEFAULT_ARCH, true);
  }

  private static Image resolve(ContentStore store, String ref, String os, String arch,
      boolean remember) throws IOException {
    if (ref == null || ref.isEmpty()) {
      throw new IllegalArgumentException("empty image reference");
    }
    byte[] indexJson = store.readIndexBytes();
    Image known = remember ? ResolvedImages.find(store, indexJson, ref, os, arch) : null;
    if (known != null) {
      return known;
    }
    List<ResolvedImages.Input> inputs = new ArrayList<>();
    Descriptor target = lookup(store, store.parseIndex(indexJson), ref, os, arch);
    for (int depth = 0; ; depth++) {
      String what = target.digest().toString();
      byte[] json = store.readJson(target.digest());
      inputs.add(new ResolvedImages.Input(target.digest(), json));
      // size 0: a digest reference, whose size only the blob knows
      checkSize(json, target.size() == 0 ? json.length : target.size(),
          "image '" + ref + "': " + what);
      String mediaType = ImageManifest.mediaTypeOf(json, what);
      if (MediaTypes.isManifest(mediaType)) {
        Image image = load(store, target.digest(), ImageManifest.parse(json, what), inputs);
        if (remember) {
          ResolvedImages.remember(store, indexJson,
              new ResolvedImages.Entry(ref, os, arch, depth, inputs, image));
        }
        return image;
      }
      if (!MediaTypes.isIndex(mediaType)) {
        throw new IOException(
            "image '" + ref + "': unsupported manifest media type " + mediaType + " of " + what);
      }
      if (depth >= store.limits().indexNesting()) {
        throw store.limits().exceeded("indexNesting",
            "image '" + ref + "': image indexes nested too deeply at " + what);
      }
      target = ImageIndex.parse(json, what).select(os, arch, "image index " + what);
    }
  }

  /**
   * The digest index.json (or a digest reference) names for {@code ref}, before any platform
   * selection: a manifest or an image index. Several entries tagged {@code ref} for different
   * platforms resolve to the linux/amd64 one.
   */
  public static Digest resolveTarget(ContentStore store, String ref) throws IOException {
    return lookup(store, store.readIndex(), ref, DEFAULT_OS, DEFAULT_ARCH).digest();
  }

  /**
   * True if {@code ref} names something in the store, by the rules of {@link #resolve} (a digest
   * the store holds, a tag, the {@code :latest} fallback), without reading the image.
   */
  public static boolean isKnown(ContentStore store, String ref) throws IOException {
    if ((ref.startsWith("sha256:") || ref.startsWith("sha512:")) && isDigest(ref)) {
      return store.contains(Digest.parse(ref));
    }
    byte[] indexJson = store.readIndexBytes();
    if (ResolvedImages.find(store, indexJson, ref, DEFAULT_OS, DEFAULT_ARCH) != null) {
      return true; // resolved before from this very index.json
    }
    OciIndex index = store.parseIndex(indexJson);
    if (!index.tagged(ref).isEmpty()
        || (!hasTag(ref) && !index.tagged(ref + ":latest").isEmpty())) {
      return true;
    }
    if (!ImageIds.looksLikeId(ref)) {
      return false;
    }
    try {
      return ImageIds.byPrefix(store, index, ref) != null;
    } catch (IOException ambiguous) {
      return true; // known, though not which: resolving it says so, where a pull would not
    }
  }


  private static Image load(ContentStore store, Digest manifestDigest, ImageManifest manifest,
      List<ResolvedImages.Input> inputs) throws IOException {
    String what = manifestDigest.toString();
    Digest configDigest = manifest.config().digest();
    byte[] configJson = store.readJson(configDigest);
    inputs.add(new ResolvedImages.Input(configDigest, configJson));
    // the digest already proves the bytes; a descriptor whose size lies is refused as
    // containerd does, so no reader trusts a size that was never checked
    checkSize(configJson, manifest.config().size(), "config " + configDigest + " of image " + what);
    ImageConfig config = ImageConfig.parse(configJson, configDigest.toString());
    if (config.diffIds().size() != manifest.layers().size()) {
      throw new IOException(
          "image "
              + what
              + ": manifest lists "
              + manifest.layers().size()
              + " layers but config "
              + configDigest
              + " lists "
              + config.diffIds().size()
              + " diff_ids");
    }
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < manifest.layers().size(); i++) {
      Descriptor d = manifest.layers().get(i);
      MediaTypes.layerCompression(d.mediaType()); // refuses unknown layer types up front
      layers.add(new Layer(d.mediaType(), d.digest(), d.size(), config.diffIds().get(i)));
    }
    return new Image(
        manifestDigest,
        manifest.mediaType(),
        configDigest,
        config.os(),
        config.architecture(),
        layers);
  }

  private static void checkSize(byte[] blob, long expected, String what) throws IOException {
    if (blob.length != expected) {
      throw new IOException(what + " is " + blob.length + " bytes but its descriptor says "
          + expected);
    }
  }

  private static Descriptor lookup(ContentStore store, OciIndex index, String ref, String os,
      String arch) throws IOException {
    if (ref == null || ref.isEmpty()) {
      throw new IllegalArgumentException("empty image reference");
    }
    if ((ref.startsWith("sha256:") || ref.startsWith("sha512:")) && isDigest(ref)) {
      Digest digest = Digest.parse(ref);
      if (!store.contains(digest)) {
        throw noImage(store, index, ref);
      }
      if (!isEntry(index, digest) && !isManifestOrIndex(store, digest)) {
        // docker's image ID is the config digest: `docker history sha256:<id>`
        Descriptor byId = ImageIds.byConfig(store, index, digest, ref);
        if (byId != null) {
          return byId;
        }
      }
      // media type and size come from the blob itself in resolve()
      return new Descriptor(null, digest, 0);
    }
    if ((ref.startsWith("sha256:") || ref.startsWith("sha512:")) && !ImageIds.looksLikeId(ref)) {
      try {
        Digest.parse(ref);
      } catch (IllegalArgumentException e) {
        throw new IOException("invalid image reference: " + e.getMessage(), e);
      }
    }
    List<Descriptor> found = index.tagged(ref);
    if (found.isEmpty() && !hasTag(ref)) {
      // docker's NAME is NAME:latest; never another image's bare "latest" (umoci's tags are bare)
      found = index.tagged(ref + ":latest");
    }
    if (found.isEmpty() && ImageIds.looksLikeId(ref)) {
      // a tag first, then an image ID, as docker reads `1a2b3c4d5e6f`
      Descriptor byId = ImageIds.byPrefix(store, index, ref);
      if (byId != null) {
        return byId;
      }
    }
    if (found.isEmpty()) {
      throw noImage(store, index, ref);
    }
    if (found.size() == 1 || found.stream().map(Descriptor::digest).distinct().count() == 1) {
      return found.get(0);
    }
    return ImageIndex.select(found, os, arch, "index.json entries tagged '" + ref + "'");
  }

  /** The error for {@code ref}, which names no image of the store: it lists the tags there are. */
  private static IOException noImage(ContentStore store, OciIndex index, String ref)
      throws IOException {
    return new IOException("no image '" + ref + "' in store " + store.root() + "; tags: "
        + NameList.of(index.tags()));
  }

  private static boolean isDigest(String ref) {
    try {
      Digest.parse(ref);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Whether blob {@code digest} has the {@code schemaVersion} every manifest and image index
   * has and an image config has not: a digest just written (a commit's manifest) or inside an
   * index (a platform's manifest) resolves as before, without comparing every image's config.
   */
  private static boolean isManifestOrIndex(ContentStore store, Digest digest) {
    try {
      return OciJson.parseObject(store.readJson(digest), digest.toString()).has("schemaVersion");
    } catch (IOException | RuntimeException e) {
      return false; // no JSON object: resolving it says what it is
    }
  }

  /** Whether an entry of index.json (a tag, an untagged image or a hold) names {@code digest}. */
  private static boolean isEntry(OciIndex index, Digest digest) throws IOException {
    for (Descriptor d : index.manifests()) {
      if (d.digest().equals(digest)) {
        return true;
      }
    }
    return false;
  }

  /** True if the last path component of {@code ref} has a {@code :tag} (or {@code @digest}). */
  private static boolean hasTag(String ref) {
    int slash = ref.lastIndexOf('/');
    return ref.indexOf(':', slash + 1) >= 0 || ref.indexOf('@') >= 0;
  }
}
