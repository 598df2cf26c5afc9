package io.layerfs.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code index.json} of an OCI image layout: a mutable JSON tree plus typed views of it.
 *
 * <p>Edits work on the tree, so fields and entries layerfs does not understand (umoci's and
 * skopeo's annotations, platform objects, future spec fields) are written back exactly as read.
 * A tag is the {@code org.opencontainers.image.ref.name} annotation of an entry (a name whose
 * registry is an IPv6 address in the form {@link RefNames} gives it); tagging moves
 * the name: one new entry is appended, and each entry that carried it is removed, or kept
 * untagged when nothing else names its image (see {@link #tag}).
 *
 * <p>An entry without a ref.name that carries the annotation {@value #CONTAINER} is a hold: it
 * keeps the image a container was created from, named by the annotation's value, reachable for
 * every tool that collects garbage from {@code index.json} ({@code umoci gc}), as containerd's gc
 * labels keep content. Holds are neither tags nor untagged images; umoci and skopeo keep them
 * when they rewrite {@code index.json}, as they keep every entry whose ref.name they do not touch.
 * A hold names not the manifest itself but an image index of its own that lists it ({@link
 * #holdIndex}): skopeo 1.9 replaces an unnamed entry of the digest it copies in by its tagged one,
 * and would drop a hold of the manifest whenever the same image is copied into the store.
 *
 * <p>Not thread-safe; {@code ContentStore} serializes read-modify-write cycles.
 */
public final class OciIndex {
  /** The annotation of a hold entry: the name of the container whose image it keeps. */
  public static final String CONTAINER = "io.layerfs.container";

  private final ObjectNode root;
  private final String what;

  private OciIndex(ObjectNode root, String what) {
    this.root = root;
    this.what = what;
  }

  /** The index.json of a new, empty layout. */
  public static OciIndex empty() {
    ObjectNode root = OciJson.object();
    root.put("schemaVersion", 2);
    root.put("mediaType", MediaTypes.OCI_INDEX);
    root.putArray("manifests");
    return new OciIndex(root, "index.json");
  }

  public static OciIndex parse(byte[] json, String what) throws IOException {
    ObjectNode root = OciJson.parseObject(json, what);
    JsonNode version = root.get("schemaVersion");
    if (version == null || !version.isInt() || version.intValue() != 2) {
      throw new IOException("unsupported schemaVersion in " + what + ": " + version);
    }
    OciIndex index = new OciIndex(root, what);
    index.manifests(); // validates every entry up front
    return index;
  }

  public byte[] toBytes() {
    return OciJson.toBytes(root);
  }

  /** All entries, in file order. */
  public List<Descriptor> manifests() throws IOException {
    List<Descriptor> result = new ArrayList<>();
    for (JsonNode entry : OciJson.array(root, "manifests", what)) {
      result.add(Descriptor.parse(entry, what));
    }
    return result;
  }

  /** The entries whose ref.name is exactly {@code name}. */
  public List<Descriptor> tagged(String name) throws IOException {
    List<Descriptor> result = new ArrayList<>();
    for (Descriptor d : manifests()) {
      if (name.equals(d.refName())) {
        result.add(d);
      }
    }
    return result;
  }

  /** The distinct ref.name values, sorted. */
  public List<String> tags() throws IOException {
    TreeSet<String> tags = new TreeSet<>();
    for (Descriptor d : manifests()) {
      if (d.refName() != null) {
        tags.add(d.refName());
      }
    }
    return List.copyOf(tags);
  }

  /**
   * Points {@code name} at {@code target}, taking the tag from wherever it was before. An image
   * the tag leaves that no other entry (tagged or untagged; holds aside) names stays as an
   * untagged entry, in place, without its ref.name: docker's dangling image, which it keeps (as
   * {@code <none>}) until it is removed, and what skopeo's {@code oci:} destination leaves of an
   * entry whose name it takes.
   */
  public void tag(String name, Descriptor target) throws IOException {
    ArrayNode manifests = manifestsArray();
    Set<Digest> named = new HashSet<>();
    named.add(target.digest());
    for (Descriptor d : manifests()) {
      if (!name.equals(d.refName()) && holder(d) == null) {
        named.add(d.digest());
      }
    }
    for (int i = manifests.size() - 1; i >= 0; i--) {
      Descriptor d = Descriptor.parse(manifests.get(i), what);
      if (!name.equals(d.refName())) {
        continue;
      }
      if (named.add(d.digest())) {
        dropName((ObjectNode) manifests.get(i)); // nothing else names it: it stays, dangling
      } else {
        manifests.remove(i);
      }
    }
    ObjectNode entry = target.toJson();
    ObjectNode annotations =
        entry.get("annotations") instanceof ObjectNode a ? a : entry.putObject("annotations");
    annotations.put(MediaTypes.REF_NAME, RefNames.toRefName(name));
    manifestsArray().add(entry);
  }

  /**
   * Keeps {@code target} without a tag, as an entry with no ref.name, unless an entry (tagged or
   * not) already holds its digest: how an image that came without a name stays in the layout,
   * found by its digest, and out of the garbage collector's reach.
   */
  public void keep(Descriptor target) throws IOException {
    for (Descriptor d : manifests()) {
      if (d.digest().equals(target.digest()) && holder(d) == null) {
        return;
      }
    }
    ObjectNode entry = target.toJson();
    entry.remove("annotations");
    manifestsArray().add(entry);
  }

  /**
   * The digests of the entries without a tag that no tagged entry shares, in file order: the
   * images {@code docker images} would list as {@code <none>}.
   */
  public List<Digest> untagged() throws IOException {
    Set<Digest> tagged = new HashSet<>();
    Set<Digest> untagged = new LinkedHashSet<>();
    for (Descriptor d : manifests()) {
      if (holder(d) == null) {
        (d.refName() != null ? tagged : untagged).add(d.digest());
      }
    }
    untagged.removeAll(tagged);
    return List.copyOf(untagged);
  }

  /** Removes the entries without a tag that hold {@code digest}; true if there was one. */
  public boolean forget(Digest digest) throws IOException {
    ArrayNode manifests = manifestsArray();
    boolean removed = false;
    for (int i = manifests.size() - 1; i >= 0; i--) {
      Descriptor d = Descriptor.parse(manifests.get(i), what);
      if (d.refName() == null && holder(d) == null && d.digest().equals(digest)) {
        manifests.remove(i);
        removed = true;
      }
    }
    return removed;
  }

  /**
   * The container a hold entry keeps its image for (see the class documentation), or null when
   * {@code entry} is a tag or an untagged image.
   */
  public static String holder(Descriptor entry) {
    return entry.refName() == null ? entry.annotations().get(CONTAINER) : null;
  }

  /** The holds: each container's name and the digest of its hold's blob, in file order. */
  public Map<String, Digest> holds() throws IOException {
    Map<String, Digest> holds = new LinkedHashMap<>();
    for (Descriptor d : manifests()) {
      String container = holder(d);
      if (container != null) {
        holds.putIfAbsent(container, d.digest());
      }
    }
    return holds;
  }

  /**
   * The blob a hold of {@code manifest} for {@code container} names: an image index listing only
   * that manifest, annotated as the entry is, so that its digest is the container's own.
   */
  public static byte[] holdIndex(String container, Descriptor manifest) {
    ObjectNode root = OciJson.object();
    root.put("schemaVersion", 2);
    root.put("mediaType", MediaTypes.OCI_INDEX);
    root.putArray("manifests")
        .add(new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size()).toJson());
    root.putObject("annotations").put(CONTAINER, container);
    return OciJson.toBytes(root);
  }

  /**
   * Makes {@code holdIndex} (a {@link #holdIndex} blob) the one hold of {@code container},
   * replacing its other holds.
   */
  public void hold(String container, Descriptor holdIndex) {
    release(container);
    ObjectNode entry = new Descriptor(holdIndex.mediaType(), holdIndex.digest(),
        holdIndex.size()).toJson();
    entry.putObject("annotations").put(CONTAINER, container);
    manifestsArray().add(entry);
  }

  /** Removes the holds of {@code container} (never a tag); true if there was one. */
  public boolean release(String container) {
    ArrayNode manifests = manifestsArray();
    boolean removed = false;
    for (int i = manifests.size() - 1; i >= 0; i--) {
      JsonNode annotations = manifests.get(i).path("annotations");
      if (annotations.get(MediaTypes.REF_NAME) == null
          && container.equals(annotations.path(CONTAINER).textValue())) {
        manifests.remove(i);
        removed = true;
      }
    }
    return removed;
  }

  /**
   * Makes a tagged entry an untagged one: its ref.name goes, and a hold's annotation too, which
   * would make it a hold rather than an image (no tool writes both).
   */
  private static void dropName(ObjectNode entry) {
    ObjectNode annotations = (ObjectNode) entry.get("annotations");
    annotations.remove(MediaTypes.REF_NAME);
    annotations.remove(CONTAINER);
    if (annotations.isEmpty()) {
      entry.remove("annotations");
    }
  }

  /** Removes every entry tagged {@code name}; true if there was one. */
  public boolean untag(String name) {
    ArrayNode manifests = manifestsArray();
    boolean removed = false;
    for (int i = manifests.size() - 1; i >= 0; i--) {
      JsonNode ref = manifests.get(i).path("annotations").get(MediaTypes.REF_NAME);
      if (ref != null && ref.isTextual() && name.equals(RefNames.fromRefName(ref.textValue()))) {
        manifests.remove(i);
        removed = true;
      }
    }
    return removed;
  }

  private ArrayNode manifestsArray() {
    JsonNode manifests = root.get("manifests");
    if (manifests instanceof ArrayNode array) {
      return array;
    }
    // absent or null (umoci init writes null); parse() rejected any other type
    return root.putArray("manifests");
  }
}
