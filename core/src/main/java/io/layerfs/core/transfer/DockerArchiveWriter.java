package io.layerfs.core.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.oci.OciJson;
import io.layerfs.core.rootfs.LayerStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes an image as a docker-archive, the tar {@code docker save} writes and {@code docker
 * load} and skopeo read: uncompressed {@code <diffid hex>.tar} layers (re-hashed against their
 * diff_ids on the way), the config as stored, the legacy per-layer directories skopeo writes
 * (named by chain IDs), {@code manifest.json} and, with a tag, {@code repositories}, in that
 * order (see the package documentation).
 */
final class DockerArchiveWriter {
  private static final String[] TOP_LAYER_FIELDS = {
    "architecture", "config", "container", "container_config", "created", "docker_version", "os"
  };

  private DockerArchiveWriter() {}

  /**
   * Writes {@code image} to {@code file} (replacing it atomically when complete).
   *
   * @param repoTag the RepoTags entry ({@code name:tag}), or null for none
   */
  public static void write(ContentStore store, LayerStore layers, Image image, Path file,
      String repoTag, Progress progress) throws IOException {
    byte[] config = store.readJson(image.configDigest());
    JsonNode configJson = OciJson.parseObject(config, "image config " + image.configDigest());
    for (Layer layer : image.layers()) {
      progress.start("uncompress layer " + layer.digest(), -1);
      try {
        layers.index(layer); // makes the uncompressed blob named by the diff_id
      } finally {
        progress.done();
      }
    }
    try (ArchiveWriter tar = new ArchiveWriter(file)) {
      Set<Digest> written = new LinkedHashSet<>();
      List<String> layerFiles = new ArrayList<>();
      for (Layer layer : image.layers()) {
        Digest diffId = layer.diffId();
        String name = diffId.hex() + ".tar";
        layerFiles.add(name);
        if (written.add(diffId)) {
          Path blob = store.blobPath(diffId);
          long size = Files.size(blob);
          progress.start("export layer " + diffId, size);
          try {
            tar.file(name, blob, size, diffId, progress);
          } finally {
            progress.done();
          }
        }
      }
      String configName = image.configDigest().hex() + ".json";
      tar.file(configName, config);

      String parent = null;
      Digest chain = null;
      for (int i = 0; i < image.layers().size(); i++) {
        Digest diffId = image.layers().get(i).diffId();
        chain = chain == null ? diffId
            : Digest.sha256((chain + " " + diffId).getBytes(StandardCharsets.UTF_8));
        String id = chain.hex();
        ObjectNode json = OciJson.object();
        json.put("id", id);
        if (parent != null) {
          json.put("parent", parent);
        }
        if (i == image.layers().size() - 1) {
          for (String field : TOP_LAYER_FIELDS) {
            if (configJson.has(field)) {
              json.set(field, configJson.get(field));
            }
          }
        }
        tar.directory(id + "/");
        tar.file(id + "/VERSION", "1.0".getBytes(StandardCharsets.US_ASCII));
        tar.file(id + "/json", OciJson.toBytes(json));
        tar.symlink(id + "/layer.tar", "../" + diffId.hex() + ".tar");
        parent = id;
      }

      ArrayNode manifest = OciJson.arrayNode();
      ObjectNode entry = manifest.addObject();
      entry.put("Config", configName);
      ArrayNode repoTags = entry.putArray("RepoTags");
      if (repoTag != null) {
        repoTags.add(repoTag);
      }
      ArrayNode layerArray = entry.putArray("Layers");
      layerFiles.forEach(layerArray::add);
      tar.file("manifest.json", OciJson.toBytes(manifest));

      if (repoTag != null && parent != null) {
        int slash = repoTag.lastIndexOf('/');
        int colon = repoTag.indexOf(':', slash + 1);
        ObjectNode repositories = OciJson.object();
        repositories.putObject(repoTag.substring(0, colon))
            .put(repoTag.substring(colon + 1), parent);
        tar.file("repositories", OciJson.toBytes(repositories));
      }
      tar.commit();
    }
  }
}
