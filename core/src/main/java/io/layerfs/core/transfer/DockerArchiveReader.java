package io.layerfs.core.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.Progress;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.VerifiedCopy;
import io.layerfs.core.internal.OptionalLibrary;
import io.layerfs.core.internal.TeeInputStream;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.ImageConfig;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciJson;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports the images of an unpacked docker-archive into a store, found through its {@code
 * manifest.json} ({@code docker save}'s classic layout, skopeo's and Docker 25+'s). Configs and
 * layers are verified against their names and the config's {@code diff_ids} before the caller
 * tags anything; a mismatch is an {@link IOException} naming the file, the expected and the
 * actual digest. Each image gets an OCI manifest built deterministically; the config is stored
 * as it is, so the image ID is kept (see the package documentation).
 */
final class DockerArchiveReader {
  private static final int BUFFER = 1 << 16;
  private static final Pattern HEX_JSON = Pattern.compile("(?:.*/)?([0-9a-f]{64})\\.json");
  private static final Pattern BLOB = Pattern.compile("(?:.*/)?blobs/(sha256|sha512)/([0-9a-f]+)");

  private DockerArchiveReader() {}

  /**
   * Verifies and stores the images of the archive {@code reference} selects and returns what to
   * tag.
   *
   * @param reference null for every image, {@code @N} for the N-th, or a Docker name[:tag] that
   *     one of the RepoTags must match (after Docker's normalization)
   * @param newTag the tag for the image, replacing its RepoTags; only when one image is selected
   * @param name names the source in errors
   */
  static List<OciLayoutCopier.Pending> read(ContentStore store, UnpackedArchive archive,
      String reference, String newTag, String name, Progress progress) throws IOException {
    if (!archive.has("manifest.json")) {
      throw new IOException(name + " is not a docker-archive: it has no manifest.json"
          + (archive.has("oci-layout") ? " (it is an OCI archive: use oci-archive:)" : ""));
    }
    Path manifestFile = archive.member("manifest.json");
    JsonNode root = OciJson.readTree(
        VerifiedCopy.readSmall(manifestFile, null, -1, "manifest.json of " + name,
            store.limits()));
    if (!root.isArray() || root.isEmpty()) {
      throw new IOException("manifest.json of " + name + " lists no image");
    }
    List<JsonNode> images = select(root, reference, name);
    if (newTag != null && images.size() > 1) {
      throw new IllegalArgumentException(name + " holds " + images.size()
          + " images; a tag can only be given when importing one (select it with :REF or :@N)");
    }
    List<OciLayoutCopier.Pending> pending = new ArrayList<>();
    for (JsonNode image : images) {
      Digest manifest = readImage(store, archive, image, name, progress);
      List<String> tags = new ArrayList<>();
      if (newTag != null) {
        tags.add(newTag);
      } else {
        for (JsonNode t : OciJson.array(image, "RepoTags", "manifest.json of " + name)) {
          tags.add(t.asText());
        }
      }
      if (tags.isEmpty()) {
        // docker load keeps an untagged image untagged, found by its ID: here by its manifest
        // digest, the name the store finds images by (a hex tag would be no name docker takes)
        pending.add(new OciLayoutCopier.Pending(null, manifest));
      }
      for (String tag : tags) {
        try {
          ContentStore.checkRefName(tag);
        } catch (IllegalArgumentException e) {
          throw new IOException("manifest.json of " + name + ": " + e.getMessage(), e);
        }
        pending.add(new OciLayoutCopier.Pending(tag, manifest));
      }
    }
    return pending;
  }

  private static List<JsonNode> select(JsonNode root, String reference, String name)
      throws IOException {
    List<JsonNode> all = new ArrayList<>();
    root.forEach(all::add);
    if (reference == null) {
      return all;
    }
    if (reference.startsWith("@")) {
      int index = Integer.parseInt(reference.substring(1));
      if (index >= all.size()) {
        throw new IOException(name + ": no image " + reference + "; the archive holds "
            + all.size());
      }
      return List.of(all.get(index));
    }
    String wanted = normalize(reference);
    List<String> available = new ArrayList<>();
    for (JsonNode image : all) {
      for (JsonNode tag : image.path("RepoTags")) {
        if (normalize(tag.asText()).equals(wanted)) {
          return List.of(image);
        }
        available.add(tag.asText());
      }
    }
    throw new IOException(name + ": no image tagged '" + reference + "'; RepoTags: "
        + (available.isEmpty() ? "(none)" : String.join(", ", available)));
  }

  /**
   * Docker's normalization of a name[:tag]: {@code busybox} is {@code
   * docker.io/library/busybox:latest}.
   */
  static String normalize(String reference) {
    String name = reference;
    String tag = "latest";
    int slash = reference.lastIndexOf('/');
    int colon = reference.indexOf(':', slash + 1);
    if (colon >= 0) {
      name = reference.substring(0, colon);
      tag = reference.substring(colon + 1);
    }
    int first = name.indexOf('/');
    String domain = first < 0 ? "" : name.substring(0, first);
    boolean hasDomain = domain.contains(".") || domain.contains(":") || domain.equals("localhost");
    if (!hasDomain) {
      name = "docker.io/" + name;
    }
    if (name.startsWith("docker.io/") && name.indexOf('/', "docker.io/".length()) < 0) {
      name = "docker.io/library/" + name.substring("docker.io/".length());
    }
    return name + ":" + tag;
  }

  /** Verifies and stores one image's config and layers, then writes its manifest. */
  private static Digest readImage(ContentStore store, UnpackedArchive archive, JsonNode image,
      String name, Progress progress) throws IOException {
    String where = "manifest.json of " + name;
    String configName = OciJson.string(image, "Config", where);
    String configWhat = configName + " in " + name;
    byte[] config = VerifiedCopy.readSmall(archive.member(configName), digestOfName(configName),
        -1, configWhat, store.limits());
    Digest configDigest = Digest.sha256(config);
    ImageConfig parsed = ImageConfig.parse(config, configWhat);
    List<String> layerNames = new ArrayList<>();
    for (JsonNode layer : OciJson.array(image, "Layers", where)) {
      if (!layer.isTextual()) {
        throw new IOException("a Layers entry of " + where + " is not a string");
      }
      layerNames.add(layer.textValue());
    }
    if (layerNames.size() != parsed.diffIds().size()) {
      throw new IOException(where + " lists " + layerNames.size() + " layers for " + configName
          + ", whose rootfs.diff_ids lists " + parsed.diffIds().size());
    }
    ObjectNode manifest = OciJson.object();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
    manifest.set("config",
        new Descriptor(MediaTypes.OCI_CONFIG, configDigest, config.length).toJson());
    ArrayNode layers = manifest.putArray("layers");
    for (int i = 0; i < layerNames.size(); i++) {
      String layerName = layerNames.get(i);
      Descriptor d = readLayer(store, archive.member(layerName), digestOfName(layerName),
          parsed.diffIds().get(i), layerName + " in " + name, progress);
      layers.add(d.toJson());
    }
    store.ingest(new ByteArrayInputStream(config), configDigest, config.length);
    byte[] manifestJson = OciJson.toBytes(manifest);
    return store.ingest(new ByteArrayInputStream(manifestJson), null, manifestJson.length);
  }

  /** Stores one layer file after checking its uncompressed digest against {@code diffId}. */
  private static Descriptor readLayer(ContentStore store, Path file, Digest named, Digest diffId,
      String what, Progress progress) throws IOException {
    long size = Files.size(file);
    byte[] head = new byte[Compression.SNIFF_LENGTH];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    Compression compression = Compression.detect(head, n);
    if (compression == null) {
      throw new IOException(what + " is neither a tar nor a gzip or zstd stream");
    }
    if (compression == Compression.NONE) {
      if (named != null && !named.equals(diffId)) {
        // the file's name and the config disagree: at least one of them is wrong
        Digest actual = VerifiedCopy.hash(file, diffId.algorithm());
        throw VerifiedCopy.mismatch(what, actual.equals(diffId) ? named : diffId, actual);
      }
      // an uncompressed layer's digest is its diff_id: the copy checks it against the config
      VerifiedCopy.copy(store, file, diffId, size, what, progress);
      return new Descriptor(MediaTypes.OCI_LAYER, diffId, size);
    }
    if (compression == Compression.ZSTD) {
      OptionalLibrary.ZSTD.require();
    }
    progress.start("import layer " + diffId, size);
    Digest digest;
    try (BlobWriter writer = store.newWriter(named, size);
        InputStream raw = new UnpackedArchive.ProgressInputStream(
            new BufferedInputStream(Files.newInputStream(file), BUFFER), progress)) {
      MessageDigest uncompressed = diffId.newMessageDigest();
      InputStream tee = new TeeInputStream(raw, writer);
      try (InputStream inflated = compression.decompress(tee);
          OutputStream sink = new DigestOutputStream(OutputStream.nullOutputStream(),
              uncompressed)) {
        inflated.transferTo(sink);
        // bytes after the last frame still belong to the blob
        tee.transferTo(OutputStream.nullOutputStream());
      }
      Digest actual = Digest.of(diffId.algorithm(), uncompressed.digest());
      if (!actual.equals(diffId)) {
        throw new IOException(what + ": uncompressed content does not match the config's"
            + " diff_id: expected " + diffId + ", actual " + actual);
      }
      try {
        digest = writer.commit(named, size);
      } catch (IOException e) {
        throw new IOException(what + ": " + e.getMessage(), e);
      }
    } finally {
      progress.done();
    }
    String mediaType = compression == Compression.GZIP ? MediaTypes.OCI_LAYER_GZIP
        : MediaTypes.OCI_LAYER_ZSTD;
    return new Descriptor(mediaType, digest, size);
  }

  /** The digest a member's name states ({@code <hex>.json}, {@code blobs/sha256/<hex>}) or null. */
  private static Digest digestOfName(String name) {
    Matcher blob = BLOB.matcher(name);
    if (blob.matches()) {
      try {
        return Digest.parse(blob.group(1) + ":" + blob.group(2));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    Matcher json = HEX_JSON.matcher(name);
    return json.matches() ? Digest.parse("sha256:" + json.group(1)) : null;
  }
}
