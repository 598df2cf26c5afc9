package io.layerfs.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of an image configuration (OCI {@code application/vnd.oci.image.config.v1+json} or
 * Docker {@code application/vnd.docker.container.image.v1+json}) that layerfs needs: the
 * platform and {@code rootfs.diff_ids}, the digests of the uncompressed layers bottom to top.
 */
public record ImageConfig(String os, String architecture, List<Digest> diffIds) {

  public ImageConfig {
    diffIds = List.copyOf(diffIds);
  }

  public static ImageConfig parse(byte[] json, String what) throws IOException {
    String where = "image config " + what;
    ObjectNode root = OciJson.parseObject(json, where);
    JsonNode rootfs = root.get("rootfs");
    if (rootfs == null || !rootfs.isObject()) {
      throw new IOException("missing field 'rootfs' in " + where);
    }
    String type = OciJson.optString(rootfs, "type", where);
    if (type != null && !type.equals("layers")) {
      throw new IOException("unsupported rootfs type '" + type + "' in " + where);
    }
    List<Digest> diffIds = new ArrayList<>();
    for (JsonNode id : OciJson.array(rootfs, "diff_ids", where)) {
      if (!id.isTextual()) {
        throw new IOException("diff_id is not a string in " + where);
      }
      diffIds.add(OciJson.parseDigest(id.textValue(), where));
    }
    return new ImageConfig(
        OciJson.optString(root, "os", where),
        OciJson.optString(root, "architecture", where),
        diffIds);
  }
}
