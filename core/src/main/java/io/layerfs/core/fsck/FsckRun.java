package io.layerfs.core.fsck;

import io.layerfs.core.Digest;
import io.layerfs.core.FsckReport;
import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.FsckReport.Problem;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The state of one fsck run that its {@link Check}s share: the store, whether to repair, the
 * problems found, and what the image and container checks learned for the later ones (the blobs
 * needed and by whom, with their sizes; the layers in use; the uncompressed layers derived from a
 * compressed one; the containers that read).
 *
 * <p>One thread: the checks run one after the other.
 */
final class FsckRun {
  /** A blob needed as {@code role} ("manifest of tag 'a:1'"), of {@code size} bytes or -1. */
  record Use(String role, long size) {}

  private final ContentStore store;
  private final Supplier<LayerStore> layerStore;
  private final boolean repair;
  private final Progress progress;
  private final List<Problem> problems = new ArrayList<>();
  private final Map<Digest, List<Use>> uses = new LinkedHashMap<>();
  private final Map<Digest, Digest> compressedOf = new HashMap<>();
  private final Set<Layer> layers = new LinkedHashSet<>();
  private final List<ContainerDirectory.Root> containers = new ArrayList<>();
  private int blobs;
  private int images;

  FsckRun(ContentStore store, Supplier<LayerStore> layerStore, boolean repair,
      Progress progress) {
    this.store = store;
    this.layerStore = layerStore;
    this.repair = repair;
    this.progress = progress;
  }

  ContentStore store() {
    return store;
  }

  /** The store's layer store, for checks that read layers. */
  LayerStore layerStore() {
    return layerStore.get();
  }

  boolean repair() {
    return repair;
  }

  Progress progress() {
    return progress;
  }

  // -------------------------------------------------------------------------------- problems

  void problem(Kind kind, String object, String message) {
    problems.add(new Problem(kind, object, message, false));
  }

  /** Whether an earlier check reported a problem of {@code object}. */
  boolean reported(String object) {
    return problems.stream().anyMatch(p -> p.object().equals(object));
  }

  void repaired(Kind kind, String object, String message) {
    problems.add(new Problem(kind, object, message, true));
  }

  FsckReport report() {
    return new FsckReport(repair, blobs, images, containers.size(), problems);
  }

  // -------------------------------------------------------------------------------- findings

  /** Records that {@code digest} is needed as {@code role}; true if its blob is there. */
  boolean need(Digest digest, long size, String role) {
    uses.computeIfAbsent(digest, d -> new ArrayList<>()).add(new Use(role, size));
    return store.contains(digest);
  }

  /** The blobs needed, each with who needs it, in the order first needed. */
  Map<Digest, List<Use>> uses() {
    return Collections.unmodifiableMap(uses);
  }

  /** Records a layer in use; its uncompressed blob, if it has its own, is derived data. */
  void layer(Layer layer) {
    layers.add(layer);
    if (!layer.diffId().equals(layer.digest())) {
      compressedOf.put(layer.diffId(), layer.digest());
    }
  }

  /** The layers a tag or a container uses. */
  Set<Layer> layers() {
    return Collections.unmodifiableSet(layers);
  }

  /** The compressed layer blob {@code diffId} is inflated from, or null if none is known. */
  Digest compressedOf(Digest diffId) {
    return compressedOf.get(diffId);
  }

  /** Records a container whose record reads (for checks of its own files). */
  void container(ContainerDirectory.Root root) {
    containers.add(root);
  }

  List<ContainerDirectory.Root> containers() {
    return Collections.unmodifiableList(containers);
  }

  void countBlob() {
    blobs++;
  }

  void countImage() {
    images++;
  }

  /**
   * A small JSON blob's bytes if they hash to its digest; null if it is missing or corrupt (the
   * blob check reports both, with every use).
   *
   * @throws IOException if it is too large for JSON or cannot be read
   */
  byte[] readVerified(Digest digest) throws IOException {
    byte[] data;
    try (InputStream in = Files.newInputStream(store.blobPath(digest))) {
      data = in.readNBytes((int) store.limits().jsonBytes() + 1);
    } catch (NoSuchFileException e) {
      return null;
    }
    if (data.length > store.limits().jsonBytes()) {
      throw new IOException("blob " + digest + " is larger than "
          + store.limits().jsonBytes() + " bytes, too large for JSON");
    }
    Digest actual = Digest.of(digest.algorithm(), digest.newMessageDigest().digest(data));
    return actual.equals(digest) ? data : null;
  }
}
