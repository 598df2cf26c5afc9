package io.layerfs.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads an image archive into a store: an OCI archive (a tar of an OCI image layout) or a
 * docker-archive (what {@code docker save} and {@code skopeo copy ... docker-archive:} write:
 * {@code manifest.json}, the config and one tar per layer).
 *
 * <p>The archive is first unpacked, regular files only, into a scratch directory; no name can
 * leave it. An OCI archive is then ingested blob by blob, each verified against its digest. A
 * docker-archive's config and layers become blobs, and an OCI manifest is written for each of
 * its images, tagged with its {@code RepoTags}. Layers are verified against the config's DiffIDs
 * when first indexed.
 */
public final class ImageArchive {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] GZIP_MAGIC = {0x1f, (byte) 0x8b};
  private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};

  private ImageArchive() {}

  /** True if {@code file} is a tar (the archives this class reads are plain tars). */
  public static boolean isArchive(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    byte[] header = new byte[512];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(header, 0, header.length);
      return n == header.length && TarArchiveInputStream.matches(header, n);
    }
  }

  /**
   * Imports every image of the archive into {@code store} and returns the tags it created (for a
   * docker-archive its RepoTags; images without one are tagged by their config digest hex).
   */
  public static List<String> importInto(Path archive, ContentStore store) throws IOException {
    Path scratch = Files.createTempDirectory(store.stateDir(), "archive-");
    try {
      unpack(archive, scratch);
      if (Files.isRegularFile(scratch.resolve("oci-layout"))) {
        return importLayout(archive, scratch, store);
      }
      if (Files.isRegularFile(scratch.resolve("manifest.json"))) {
        return importDockerArchive(archive, scratch, store);
      }
      throw new IOException(archive + " is neither an OCI archive (no oci-layout) nor a "
          + "docker-archive (no manifest.json)");
    } finally {
      deleteTree(scratch);
    }
  }

  private static void unpack(Path archive, Path dir) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(
        new BufferedInputStream(Files.newInputStream(archive), 1 << 16))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (!entry.isFile()) {
          continue;
        }
        String name = PathNames.normalize(entry.getName());
        if (name.equals("/")) {
          continue;
        }
        Path target = dir.resolve(name.substring(1)).normalize();
        if (!target.startsWith(dir)) {
          throw new IOException("entry '" + entry.getName() + "' of " + archive
              + " leaves the archive");
        }
        Files.createDirectories(target.getParent());
        Files.copy(tar, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private static List<String> importLayout(Path archive, Path layout, ContentStore store)
      throws IOException {
    Path blobs = layout.resolve("blobs");
    if (Files.isDirectory(blobs)) {
      try (var algorithms = Files.list(blobs)) {
        for (Path algorithm : (Iterable<Path>) algorithms::iterator) {
          try (var files = Files.list(algorithm)) {
            for (Path blob : (Iterable<Path>) files::iterator) {
              Digest digest = Digest.parse(algorithm.getFileName() + ":" + blob.getFileName());
              try (InputStream in = Files.newInputStream(blob)) {
                store.ingest(in, digest, Files.size(blob));
              }
            }
          }
        }
      }
    }
    ContentStore source = ContentStore.open(layout);
    List<String> tags = new ArrayList<>();
    for (String tag : source.tags()) {
      store.tag(tag, Image.resolveTarget(source, tag));
      tags.add(tag);
    }
    if (tags.isEmpty()) {
      throw new IOException("OCI archive " + archive + " has no tagged image in its index.json");
    }
    return tags;
  }

  private static List<String> importDockerArchive(Path archive, Path dir, ContentStore store)
      throws IOException {
    JsonNode manifests = JSON.readTree(dir.resolve("manifest.json").toFile());
    if (!manifests.isArray() || manifests.isEmpty()) {
      throw new IOException("manifest.json of " + archive + " lists no image");
    }
    List<String> tags = new ArrayList<>();
    for (JsonNode image : manifests) {
      Path configFile = member(archive, dir, image.path("Config").asText(null), "Config");
      byte[] config = Files.readAllBytes(configFile);
      Digest configDigest = store.ingest(new ByteArrayInputStream(config), null, config.length);
      ObjectNode manifest = JSON.createObjectNode();
      manifest.put("schemaVersion", 2);
      manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
      manifest.set("config", descriptor(MediaTypes.OCI_CONFIG, configDigest, config.length));
      ArrayNode layers = manifest.putArray("layers");
      for (JsonNode layer : image.path("Layers")) {
        Path layerFile = member(archive, dir, layer.asText(null), "Layers");
        Digest digest;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(layerFile), 1 << 16)) {
          digest = store.ingest(in, null, Files.size(layerFile));
        }
        layers.add(descriptor(layerType(layerFile), digest, Files.size(layerFile)));
      }
      byte[] bytes = JSON.writeValueAsBytes(manifest);
      Digest manifestDigest = store.ingest(new ByteArrayInputStream(bytes), null, bytes.length);
      List<String> repoTags = new ArrayList<>();
      image.path("RepoTags").forEach(t -> repoTags.add(t.asText()));
      if (repoTags.isEmpty()) {
        repoTags.add(configDigest.hex());
      }
      for (String tag : repoTags) {
        store.tag(tag, manifestDigest);
        tags.add(tag);
      }
    }
    return tags;
  }

  private static Path member(Path archive, Path dir, String name, String field)
      throws IOException {
    if (name == null || name.isEmpty()) {
      throw new IOException("manifest.json of " + archive + " has an entry without " + field);
    }
    Path file = dir.resolve(PathNames.normalize(name).substring(1)).normalize();
    if (!file.startsWith(dir) || !Files.isRegularFile(file)) {
      throw new IOException("manifest.json of " + archive + " names " + field + " '" + name
          + "', which the archive does not hold");
    }
    return file;
  }

  private static String layerType(Path layer) throws IOException {
    byte[] head = new byte[4];
    try (InputStream in = Files.newInputStream(layer)) {
      int n = in.readNBytes(head, 0, 4);
      if (n >= 2 && head[0] == GZIP_MAGIC[0] && head[1] == GZIP_MAGIC[1]) {
        return MediaTypes.OCI_LAYER_GZIP;
      }
      if (n == 4 && java.util.Arrays.equals(head, ZSTD_MAGIC)) {
        return MediaTypes.OCI_LAYER_ZSTD;
      }
    }
    return MediaTypes.OCI_LAYER;
  }

  private static ObjectNode descriptor(String mediaType, Digest digest, long size) {
    ObjectNode node = JSON.createObjectNode();
    node.put("mediaType", mediaType);
    node.put("digest", digest.toString());
    node.put("size", size);
    return node;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
