package io.layerfs.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A multi-platform image: an OCI image index ({@code application/vnd.oci.image.index.v1+json})
 * or a Docker manifest list ({@code application/vnd.docker.distribution.manifest.list.v2+json}).
 *
 * <p>Platform selection matches {@code os} and {@code architecture} exactly. When several entries
 * match (variants such as arm/v7 and arm/v6), the first one without a variant wins, else the
 * first one, which is the order registries list their preference in. Entries without a platform
 * (attestations, nested indexes) never match.
 */
public record ImageIndex(String mediaType, List<Descriptor> manifests) {

  public ImageIndex {
    manifests = List.copyOf(manifests);
  }

  public static ImageIndex parse(byte[] json, String what) throws IOException {
    String where = "image index " + what;
    ObjectNode root = OciJson.parseObject(json, where);
    String mediaType = ImageManifest.mediaTypeOf(root, what);
    if (!MediaTypes.isIndex(mediaType)) {
      throw new IOException("not an image index: " + what + " has media type " + mediaType);
    }
    ImageManifest.checkSchemaVersion(root, where);
    List<Descriptor> manifests = new ArrayList<>();
    for (JsonNode entry : OciJson.array(root, "manifests", where)) {
      manifests.add(Descriptor.parse(entry, where));
    }
    return new ImageIndex(mediaType, manifests);
  }

  /**
   * The entry for {@code os}/{@code arch}.
   *
   * @param what names the index in the error
   * @throws IOException listing the available platforms when none matches
   */
  public Descriptor select(String os, String arch, String what) throws IOException {
    return select(manifests, os, arch, what);
  }

  /** Platform selection over any list of descriptors (also used for index.json entries). */
  public static Descriptor select(List<Descriptor> candidates, String os, String arch, String what)
      throws IOException {
    return select(candidates, os, arch, null, what);
  }

  /**
   * Platform selection with a variant: {@code variantOrNull} must then match exactly (arm/v7 is
   * not arm/v6); null keeps the rule of the class comment.
   */
  public static Descriptor select(List<Descriptor> candidates, String os, String arch,
      String variantOrNull, String what) throws IOException {
    Descriptor first = null;
    for (Descriptor d : candidates) {
      Descriptor.Platform p = d.platform();
      if (p != null && variantOrNull != null && !variantOrNull.equals(p.variant())) {
        continue;
      }
      if (p != null && os.equals(p.os()) && arch.equals(p.architecture())) {
        if (p.variant() == null || p.variant().isEmpty()) {
          return d;
        }
        if (first == null) {
          first = d;
        }
      }
    }
    if (first != null) {
      return first;
    }
    StringJoiner available = new StringJoiner(", ");
    for (Descriptor d : candidates) {
      if (d.platform() != null) {
        available.add(d.platform().toString());
      }
    }
    throw new IOException(
        "no manifest for platform "
            + os
            + "/"
            + arch
            + (variantOrNull == null ? "" : "/" + variantOrNull)
            + " in "
            + what
            + "; available: "
            + (available.length() == 0 ? "(none)" : available));
  }
}
