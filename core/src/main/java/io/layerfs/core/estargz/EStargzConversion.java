package io.layerfs.core.estargz;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.core.image.Images;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a new image whose layers are the eStargz form of another image's: same files, same
 * config (but for {@code rootfs.diff_ids}, which the new streams have), an OCI manifest whose
 * layer descriptors carry the TOC digest and uncompressed size annotations the
 * stargz-snapshotter and containers/storage read. The source layers are verified (digest and
 * DiffID) as they are read; the tag is set only when every layer converted.
 */
public final class EStargzConversion {
  private EStargzConversion() {}

  /** Converts {@code ref} into a new image tagged {@code tag}, and returns it. */
  public static Image convert(ContentStore store, String ref, String tag, Progress progress)
      throws IOException {
    ContentStore.checkTag(tag);
    Image source = Images.resolve(store, ref);
    try (Lease lease = store.lease()) {
      List<Descriptor> layers = new ArrayList<>();
      List<Digest> diffIds = new ArrayList<>();
      for (Layer layer : source.layers()) {
        progress.start("convert " + layer.digest().hex().substring(0, 12), layer.size());
        Converted c = convertLayer(store, layer);
        progress.done();
        Map<String, String> annotations = new TreeMap<>();
        annotations.put(EStargzReader.TOC_DIGEST_ANNOTATION, c.result.tocDigest().toString());
        annotations.put(EStargzReader.UNCOMPRESSED_SIZE_ANNOTATION,
            Long.toString(c.result.uncompressedSize()));
        layers.add(new Descriptor(MediaTypes.OCI_LAYER_GZIP, c.digest,
            c.result.compressedSize(), annotations, null));
        diffIds.add(c.result.diffId());
      }
      String what = "config " + source.configDigest() + " of image " + source.manifestDigest();
      ObjectNode config = OciJson.parseObject(
          store.readJson(source.configDigest()), what);
      ObjectNode rootfs = config.putObject("rootfs");
      rootfs.put("type", "layers");
      ArrayNode ids = rootfs.putArray("diff_ids");
      diffIds.forEach(d -> ids.add(d.toString()));
      byte[] configJson = OciJson.toBytes(config);
      Digest configDigest = store.write(configJson);
      ObjectNode manifest = OciJson.object();
      manifest.put("schemaVersion", 2);
      manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
      manifest.set("config",
          new Descriptor(MediaTypes.OCI_CONFIG, configDigest, configJson.length).toJson());
      ArrayNode list = manifest.putArray("layers");
      layers.forEach(d -> list.add(d.toJson()));
      Digest manifestDigest = store.write(OciJson.toBytes(manifest));
      store.tag(tag, manifestDigest);
      return Images.resolve(store, manifestDigest.toString(), source.os(),
          source.architecture());
    }
  }

  private record Converted(Digest digest, EStargzWriter.Result result) {}

  private static Converted convertLayer(ContentStore store, Layer layer) throws IOException {
    Compression compression = MediaTypes.layerCompression(layer.mediaType());
    MessageDigest blobHash = layer.digest().newMessageDigest();
    MessageDigest diffHash = layer.diffId().newMessageDigest();
    try (InputStream blob = new DigestInputStream(store.openBlob(layer.digest()), blobHash);
        InputStream tar = new DigestInputStream(compression.decompress(blob), diffHash);
        BlobWriter out = store.newWriter(null, -1)) {
      EStargzWriter.Result result = EStargzWriter.convert(tar, FileTrees.shielded(out));
      tar.transferTo(java.io.OutputStream.nullOutputStream()); // the rest of the stream, to check its digests
      blob.transferTo(java.io.OutputStream.nullOutputStream());
      check(layer.digest(), blobHash, "blob");
      check(layer.diffId(), diffHash, "uncompressed content (DiffID)");
      Digest digest = out.commit(null, -1);
      return new Converted(digest, result);
    }
  }

  private static void check(Digest expected, MessageDigest md, String what)
      throws IOException {
    Digest actual = Digest.of(expected.algorithm(), md.digest());
    if (!actual.equals(expected)) {
      throw new IOException("layer " + what + " has digest " + actual + ", expected "
          + expected + ": nothing was tagged");
    }
  }
}
