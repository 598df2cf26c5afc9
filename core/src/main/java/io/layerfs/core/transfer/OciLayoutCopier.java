package io.layerfs.core.transfer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.core.content.VerifiedCopy;
import io.layerfs.core.image.Images;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.ImageConfig;
import io.layerfs.core.oci.ImageIndex;
import io.layerfs.core.oci.ImageManifest;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciIndex;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Copies images between OCI image layouts: into the store from a layout directory (the {@code
 * oci:} transport, or an unpacked {@code oci-archive:}), and out of the store into a layout
 * directory or an OCI archive. Imports copy and verify every referenced blob before the caller
 * tags; exports copy blobs as stored, so the manifest digest is unchanged (see the package
 * documentation).
 */
final class OciLayoutCopier {
  private static final byte[] OCI_LAYOUT_JSON =
      "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.US_ASCII);

  private OciLayoutCopier() {}

  /** An image copied in, to be tagged {@code tag}, or kept untagged when it is null. */
  record Pending(String tag, Digest target) {}

  /**
   * Copies one image of the layout at {@code layout} into {@code store} and returns what to tag,
   * without tagging.
   *
   * @param selectTag the tag to import, or null for the only image of the layout
   * @param newTag the tag to give it, or null to keep its own (its ref.name; without one the
   *     image is kept untagged)
   * @param name names the source in errors, for example {@code oci:dir:1}
   */
  static Pending copyIn(ContentStore store, Path layout, String selectTag, String newTag,
      String name, Progress progress) throws IOException {
    ContentStore source = openSource(layout, name);
    Descriptor entry = select(source, selectTag, name);
    copyTree(source, store, entry, name, progress, 0);
    String tag = newTag != null ? newTag : selectTag != null ? selectTag : entry.refName();
    return new Pending(tag, entry.digest()); // without a name, kept untagged
  }

  /**
   * Copies every image of the layout and returns what to tag: the tagged ones under their tags,
   * and those no tag names to be kept untagged, so that no image of the layout is lost.
   */
  static List<Pending> copyAllIn(ContentStore store, Path layout, String name, Progress progress)
      throws IOException {
    ContentStore source = openSource(layout, name);
    List<Pending> result = new ArrayList<>();
    for (String tag : source.tags()) {
      Descriptor entry = select(source, tag, name);
      copyTree(source, store, entry, name, progress, 0);
      result.add(new Pending(tag, entry.digest()));
    }
    OciIndex index = source.readIndex();
    for (Digest untagged : index.untagged()) {
      Descriptor entry = index.manifests().stream()
          .filter(d -> d.digest().equals(untagged)).findFirst().orElseThrow();
      copyTree(source, store, entry, name, progress, 0);
      result.add(new Pending(null, untagged));
    }
    if (result.isEmpty()) {
      throw new IOException(name + " holds no image");
    }
    return result;
  }

  /**
   * Adds {@code image} to the layout at {@code dir} (created when missing or empty) under {@code
   * tag}. The layout's other entries are kept; the layerfs state directory is removed again if
   * this call created it, so the result is a plain layout. A failed export removes the layout
   * again if this call created it (a full disk leaves no half layout behind).
   */
  static void exportToLayout(ContentStore store, Image image, Path dir, String tag,
      Progress progress) throws IOException {
    Path stateDir = dir.resolve(ContentStore.STATE_DIR);
    boolean hadState = Files.exists(stateDir);
    Path made = null; // the outermost directory this call makes, if any
    for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS);
        p = p.getParent()) {
      made = p;
    }
    boolean wasEmpty = made == null && isEmptyDirectory(dir);
    try {
      ContentStore target = ContentStore.open(dir);
      try (Lease lease = target.lease()) {
        for (Descriptor blob : blobs(store, image)) {
          VerifiedCopy.copy(target, store.blobPath(blob.digest()), blob.digest(), blob.size(),
              "blob " + blob.digest() + " of store " + store.root(), progress);
        }
        target.tag(tag, image.manifestDigest());
      } finally {
        if (!hadState) {
          FileTrees.deleteTree(stateDir);
        }
      }
    } catch (IOException | RuntimeException e) {
      try {
        if (made != null) {
          FileTrees.deleteTree(made);
        } else if (wasEmpty) {
          try (var entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
              FileTrees.deleteTree(p);
            }
          }
        }
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  /**
   * Writes {@code image} as an OCI archive: {@code blobs/}, {@code index.json} (one entry, with
   * {@code tag} as its ref.name unless null) and {@code oci-layout}.
   */
  static void exportToArchive(ContentStore store, Image image, Path file, String tag,
      Progress progress) throws IOException {
    List<Descriptor> blobs = blobs(store, image);
    Descriptor manifest = blobs.get(blobs.size() - 1);
    try (ArchiveWriter tar = new ArchiveWriter(file)) {
      tar.directory("blobs/");
      Set<String> algorithms = new LinkedHashSet<>();
      for (Descriptor blob : blobs) {
        String algorithm = blob.digest().algorithm();
        if (algorithms.add(algorithm)) {
          tar.directory("blobs/" + algorithm + "/");
        }
        progress.start("export " + blob.digest(), blob.size());
        try {
          tar.file("blobs/" + algorithm + "/" + blob.digest().hex(),
              store.blobPath(blob.digest()), blob.size(), blob.digest(), progress);
        } finally {
          progress.done();
        }
      }
      ObjectNode index = OciJson.object();
      index.put("schemaVersion", 2);
      index.put("mediaType", MediaTypes.OCI_INDEX);
      Map<String, String> annotations =
          tag == null ? Map.of() : Map.of(MediaTypes.REF_NAME, tag);
      index.putArray("manifests").add(new Descriptor(manifest.mediaType(), manifest.digest(),
          manifest.size(), annotations, null).toJson());
      tar.file("index.json", OciJson.toBytes(index));
      tar.file("oci-layout", OCI_LAYOUT_JSON);
      tar.commit();
    }
  }

  /** Layers (each once), config, then the manifest (last), with their stored sizes. */
  private static List<Descriptor> blobs(ContentStore store, Image image) throws IOException {
    Map<Digest, Descriptor> blobs = new LinkedHashMap<>();
    for (Layer layer : image.layers()) {
      blobs.putIfAbsent(layer.digest(), new Descriptor(layer.mediaType(), layer.digest(),
          layer.size()));
    }
    Digest config = image.configDigest();
    blobs.putIfAbsent(config, new Descriptor(null, config, Files.size(store.blobPath(config))));
    byte[] manifest = store.readJson(image.manifestDigest());
    blobs.remove(image.manifestDigest());
    blobs.put(image.manifestDigest(),
        new Descriptor(image.manifestMediaType(), image.manifestDigest(), manifest.length));
    return new ArrayList<>(blobs.values());
  }

  private static ContentStore openSource(Path layout, String name) throws IOException {
    if (!Files.exists(layout)) {
      throw new NoSuchFileException(layout.toString());
    }
    if (!Files.isRegularFile(layout.resolve("oci-layout"))) {
      throw new IOException(name + ": " + layout + " is not an OCI image layout (no oci-layout)");
    }
    return ContentStore.open(layout);
  }

  /** The index.json entry tagged {@code tag} (linux/amd64 among several), or the only one. */
  private static Descriptor select(ContentStore source, String tag, String name)
      throws IOException {
    OciIndex index = source.readIndex();
    if (tag != null) {
      List<Descriptor> found = index.tagged(tag);
      if (found.isEmpty()) {
        throw new IOException(name + ": no image tagged '" + tag + "'; tags: " + list(index));
      }
      if (found.stream().map(Descriptor::digest).distinct().count() == 1) {
        return found.get(0);
      }
      return ImageIndex.select(found, Images.DEFAULT_OS, Images.DEFAULT_ARCH,
          "entries tagged '" + tag + "' of " + name);
    }
    // a container's hold (see OciIndex) is no image of its own
    List<Descriptor> entries = index.manifests().stream()
        .filter(d -> OciIndex.holder(d) == null).toList();
    long distinct = entries.stream().map(Descriptor::digest).distinct().count();
    if (distinct == 1) {
      return entries.get(0);
    }
    if (distinct == 0) {
      throw new IOException(name + " holds no image");
    }
    throw new IOException(name + " holds " + distinct + " images; name one with :TAG (tags: "
        + list(index) + ")");
  }

  private static String list(OciIndex index) throws IOException {
    StringJoiner tags = new StringJoiner(", ");
    index.tags().forEach(tags::add);
    return tags.length() == 0 ? "(none)" : tags.toString();
  }

  /**
   * Copies the blob {@code d} and, for a manifest or index, everything it references; the
   * referencing blob is written after what it references.
   */
  private static void copyTree(ContentStore source, ContentStore store, Descriptor d, String name,
      Progress progress, int depth) throws IOException {
    String what = blobName(d.digest(), name);
    byte[] json = VerifiedCopy.readSmall(source.blobPath(d.digest()), d.digest(), d.size(), what,
        store.limits());
    String mediaType = ImageManifest.mediaTypeOf(json, what);
    if (MediaTypes.isManifest(mediaType)) {
      ImageManifest manifest = ImageManifest.parse(json, what);
      Descriptor config = manifest.config();
      byte[] configJson = VerifiedCopy.readSmall(source.blobPath(config.digest()),
          config.digest(), config.size(), blobName(config.digest(), name), store.limits());
      ImageConfig parsed = ImageConfig.parse(configJson, blobName(config.digest(), name));
      if (parsed.diffIds().size() != manifest.layers().size()) {
        throw new IOException(what + ": manifest lists " + manifest.layers().size()
            + " layers but its config lists " + parsed.diffIds().size() + " diff_ids");
      }
      for (Descriptor layer : manifest.layers()) {
        MediaTypes.layerCompression(layer.mediaType());
        VerifiedCopy.copy(store, source.blobPath(layer.digest()), layer.digest(), layer.size(),
            blobName(layer.digest(), name), progress);
      }
      store.ingest(new java.io.ByteArrayInputStream(configJson), config.digest(),
          configJson.length);
    } else if (MediaTypes.isIndex(mediaType)) {
      if (depth >= store.limits().indexNesting()) {
        throw store.limits().exceeded("indexNesting", what + ": image indexes nested too deeply");
      }
      int copied = 0;
      for (Descriptor child : ImageIndex.parse(json, what).manifests()) {
        // multi-platform sources often hold only some platforms' blobs
        if (Files.isRegularFile(source.blobPath(child.digest()))) {
          copyTree(source, store, child, name, progress, depth + 1);
          copied++;
        }
      }
      if (copied == 0) {
        throw new IOException(what + ": image index whose manifests are all missing");
      }
    } else {
      throw new IOException(what + ": unsupported media type " + mediaType);
    }
    store.ingest(new java.io.ByteArrayInputStream(json), d.digest(), json.length);
  }

  private static String blobName(Digest digest, String name) {
    return "blobs/" + digest.algorithm() + "/" + digest.hex() + " of " + name;
  }
}
