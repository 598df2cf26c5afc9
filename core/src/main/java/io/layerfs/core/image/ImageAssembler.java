package io.layerfs.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * Writes a new image made from a base image's config: its layers (all of them, or none when the
 * new layer replaces them: flatten) plus a new one, a history entry for it, and an OCI manifest,
 * then tags it.
 *
 * <p>The base config is copied field by field, unknown fields included (Env, Cmd, Labels... stay
 * as the image had them), and only {@code created}, {@code author}, {@code rootfs.diff_ids} and
 * {@code history} change. The manifest is always an OCI one; a Docker base's layer types become
 * their OCI equivalents (same bytes, same digests), which umoci requires.
 */
public final class ImageAssembler {
  private ImageAssembler() {}

  /**
   * Writes the image and returns it.
   *
   * @param keepBaseLayers false to drop the base's layers (their history entries stay, marked
   *     {@code empty_layer})
   * @param createdBy the new history entry's {@code created_by}
   */
  public static Image write(ContentStore store, Image base, boolean keepBaseLayers,
      LayerBlob.Written layer, Instant created, String author, String comment, String createdBy,
      String tagOrNull) throws IOException {
    String what = "config " + base.configDigest() + " of image " + base.manifestDigest();
    ObjectNode config = OciJson.parseObject(
        store.readJson(base.configDigest()), what);
    String time = DateTimeFormatter.ISO_INSTANT.format(created);
    config.put("created", time);
    if (author != null) {
      config.put("author", author);
    }
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode diffIds = rootfs.putArray("diff_ids");
    if (keepBaseLayers) {
      for (Layer l : base.layers()) {
        diffIds.add(l.diffId().toString());
      }
    }
    diffIds.add(layer.diffId().toString());
    ArrayNode history = OciJson.arrayNode();
    JsonNode oldHistory = config.path("history");
    if (oldHistory.isArray()) {
      for (JsonNode h : oldHistory) {
        ObjectNode copy = h.isObject() ? ((ObjectNode) h).deepCopy() : OciJson.object();
        if (!keepBaseLayers) {
          copy.put("empty_layer", true);
        }
        history.add(copy);
      }
    }
    ObjectNode entry = history.addObject();
    entry.put("created", time);
    entry.put("created_by", createdBy);
    if (author != null) {
      entry.put("author", author);
    }
    if (comment != null) {
      entry.put("comment", comment);
    }
    config.set("history", history);
    ArrayNode layers = OciJson.arrayNode();
    if (keepBaseLayers) {
      for (Layer l : base.layers()) {
        layers.add(new Descriptor(ociLayerType(l.mediaType()), l.digest(), l.size()).toJson());
      }
    }
    layers.add(new Descriptor(layer.mediaType(), layer.digest(), layer.size()).toJson());
    return store(store, config, layers, tagOrNull, base.os(), base.architecture());
  }

  /**
   * Writes an image of one layer and no base, as {@code docker import} makes one of a file
   * system tar: a config with only the platform, the layer and a history entry.
   */
  public static Image writeAlone(ContentStore store, LayerBlob.Written layer, Instant created,
      String os, String architecture, String comment, String tagOrNull) throws IOException {
    String time = DateTimeFormatter.ISO_INSTANT.format(created);
    ObjectNode config = OciJson.object();
    config.put("created", time);
    config.put("architecture", architecture);
    config.put("os", os);
    config.putObject("config");
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    rootfs.putArray("diff_ids").add(layer.diffId().toString());
    ObjectNode entry = config.putArray("history").addObject();
    entry.put("created", time);
    entry.put("comment", comment);
    ArrayNode layers = OciJson.arrayNode();
    layers.add(new Descriptor(layer.mediaType(), layer.digest(), layer.size()).toJson());
    return store(store, config, layers, tagOrNull, os, architecture);
  }

  /**
   * Stores {@code config} and an OCI manifest of it and {@code layers}, tags it (or, without a
   * tag, keeps it untagged in index.json, as docker keeps a dangling image, so that gc does not
   * take it and {@code images} lists it), resolves it.
   */
  private static Image store(ContentStore store, ObjectNode config, ArrayNode layers,
      String tagOrNull, String os, String architecture) throws IOException {
    byte[] configJson = OciJson.toBytes(config);
    Digest configDigest = store.write(configJson);
    ObjectNode manifest = OciJson.object();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
    manifest.set("config",
        new Descriptor(MediaTypes.OCI_CONFIG, configDigest, configJson.length).toJson());
    manifest.set("layers", layers);
    byte[] manifestJson = OciJson.toBytes(manifest);
    Digest manifestDigest = store.write(manifestJson);
    if (tagOrNull != null) {
      store.tag(tagOrNull, manifestDigest);
    } else {
      store.keepUntagged(manifestDigest);
    }
    return Images.resolve(store, manifestDigest.toString(), os, architecture);
  }

  private static String ociLayerType(String mediaType) throws IOException {
    if (mediaType.startsWith("application/vnd.oci.image.layer.")) {
      return mediaType;
    }
    return MediaTypes.layerType(MediaTypes.layerCompression(mediaType), false);
  }
}
