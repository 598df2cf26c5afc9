package io.layerfs.core.gc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.layerfs.core.Digest;
import io.layerfs.core.GcReport;
import io.layerfs.core.Layer;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.ContainerRecord;
import io.layerfs.core.container.Volumes;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.LeaseGate;
import io.layerfs.core.content.ViewHold;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.lazy.LazyLayers;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciIndex;
import io.layerfs.core.oci.OciJson;
import io.layerfs.core.registry.BlobOrigins;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.signing.SignatureStore;
import io.layerfs.core.transfer.UnpackedArchive;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Mark and sweep over a store: removes the blobs, layer indexes, uncompressed layers and
 * signatures that no tag and no container reaches, and stale temp files. It never deletes on
 * doubt, and it holds the lease gate exclusively while it runs, so no import or commit is
 * half-seen. The package documentation describes roots, marking and the order of removal.
 */
public final class GarbageCollector {
  /** How long {@link #collect(ContentStore, boolean)} waits for ingest leases. */
  public static final Duration DEFAULT_LEASE_TIMEOUT = Duration.ofSeconds(60);

  /** Temp files and scratch directories younger than this are kept. */
  public static final Duration TEMP_AGE = Duration.ofHours(1);

  // scratch directories of archive imports directly under layerfs/
  private static final int SNIFF = 64;

  /** How hard to try to read a reachable blob. */
  private enum Follow {
    /** A manifest, index or config: unreadable means doubt. */
    MUST,
    /** Perhaps JSON: read it if it looks like JSON, otherwise it is a leaf. */
    MAYBE,
    /** A layer or other binary blob: kept, never opened. */
    NEVER
  }

  private record Ref(Digest digest, Follow follow, String from) {}

  private record Victim(GcReport.Item item, Path path, boolean tree) {}

  private final ContentStore store;
  private final boolean dryRun;
  private final Path stateDir;
  private final FileTime tempCutoff;
  private final Set<Digest> live = new HashSet<>();
  private final Set<Digest> followed = new HashSet<>();
  private final Deque<Ref> work = new ArrayDeque<>();
  private final List<String> problems = new ArrayList<>();
  private boolean doubt;
  /** The digests a sweep may take (reachable before a {@link #releasing} change); null: any. */
  private Set<Digest> scope;
  /** The index.json to mark from instead of the current one; null: the current one. */
  private OciIndex index;
  /** Removals a crash cut short, which a collection finishes: their holds are no roots. */
  private List<ContainerDirectory.Removal> removals = List.of();
  /** The containers of {@link #removals} whose names no container has taken since. */
  private final Set<String> removed = new HashSet<>();
  /** Hold files of open views whose process is gone, found by {@link #markViews}. */
  private List<Path> staleHolds = List.of();

  private GarbageCollector(ContentStore store, boolean dryRun) throws IOException {
    this.store = store;
    this.dryRun = dryRun;
    this.stateDir = store.stateDir();
    this.tempCutoff = FileTime.from(Instant.now().minus(TEMP_AGE));
  }

  /** {@link #collect(ContentStore, boolean, Duration)} waiting {@link #DEFAULT_LEASE_TIMEOUT}. */
  public static GcReport collect(ContentStore store, boolean dryRun) throws IOException {
    return collect(store, dryRun, DEFAULT_LEASE_TIMEOUT);
  }

  /**
   * Removes (or, if {@code dryRun}, only lists) what no image, container or ingest references.
   *
   * @param leaseTimeout how long to wait for ingest leases to be released
   * @throws IOException if index.json cannot be read (nothing is removed then), leases are still
   *     held after {@code leaseTimeout} (naming who holds them), or a deletion fails
   * @throws IllegalStateException if the calling thread holds a lease on {@code store}
   */
  public static GcReport collect(ContentStore store, boolean dryRun, Duration leaseTimeout)
      throws IOException {
    return LeaseGate.of(store.root(), store.stateDir())
        .exclusive(leaseTimeout, () -> new GarbageCollector(store, dryRun).run());
  }

  /** What {@link #releasing} changes between its two markings. */
  public interface Change<T> {
    T apply() throws IOException;
  }

  /** What {@link #releasing} returns: the change's result and what was freed after it. */
  public record Released<T>(T result, GcReport freed) {}

  /**
   * Applies {@code change} (an edit of index.json, such as removing images) and removes exactly
   * what it made unreachable: the blobs, layer indexes, signatures, lazy state and origin hints
   * of digests reachable before it and not after, never what was garbage already (no temp files
   * either). Both markings and the change run while no ingest lease is held anywhere, as {@link
   * #collect} runs, so no import, commit or container created meanwhile is half-seen: a
   * container created just before keeps its image reachable through its record and hold. The
   * rules of {@link #collect} hold: on doubt nothing is removed (the report says why). A change
   * that leaves index.json as it was releases nothing, and nothing is marked then.
   *
   * @throws IOException as {@link #collect}, or what {@code change} throws (nothing is removed
   *     then)
   */
  public static <T> Released<T> releasing(ContentStore store, Duration leaseTimeout,
      Change<T> change) throws IOException {
    return LeaseGate.of(store.root(), store.stateDir()).exclusive(leaseTimeout, () -> {
      byte[] indexBefore = store.readIndexBytes();
      T result = change.apply();
      if (Arrays.equals(indexBefore, store.readIndexBytes())) {
        return new Released<>(result, new GcReport(false, List.of(), 0, List.of()));
      }
      // marked after the change from the index before it: no blob goes meanwhile (the gate)
      GarbageCollector before = new GarbageCollector(store, false);
      before.index = store.parseIndex(indexBefore);
      before.mark();
      GarbageCollector after = new GarbageCollector(store, false);
      after.scope = before.live;
      return new Released<>(result, after.run());
    });
  }

  /** Marks everything reachable from index.json and the containers. */
  private void mark() throws IOException {
    markIndexJson();
    markContainers();
    markViews();
    while (!work.isEmpty()) {
      follow(work.pop());
    }
  }

  /** Whether {@code digest} may be swept at all: in {@link #scope}, if there is one. */
  private boolean inScope(Digest digest) {
    return scope == null || scope.contains(digest);
  }

  private GcReport run() throws IOException {
    if (scope == null) {
      // while the gate is held no removal is under way: those found were cut short
      removals = ContainerDirectory.removals(store);
      for (ContainerDirectory.Removal r : removals) {
        if (!Files.exists(ContainerDirectory.containers(store).resolve(r.name()))) {
          removed.add(r.name());
        }
      }
    }
    mark();
    List<Victim> victims = finishRemovals();
    if (doubt) {
      problems.add(
          "kept every blob, layer index and signature because of the problems above");
    } else {
      victims.addAll(signatures());
      victims.addAll(lazyStates());
      victims.addAll(layerIndexes());
      victims.addAll(blobs());
    }
    victims.addAll(origins(victims));
    if (scope == null) {
      victims.addAll(tempFiles()); // garbage before any change: not what a release frees
      for (Path hold : staleHolds) {
        addVictim(victims, GcReport.Kind.TEMP_FILE, store.root().relativize(hold).toString(),
            hold);
      }
      victims.addAll(volumeLeftovers());
    }
    if (!dryRun) {
      for (Victim v : victims) {
        delete(v);
      }
    }
    List<GcReport.Item> items = new ArrayList<>();
    long bytes = 0;
    for (Victim v : victims) {
      items.add(v.item());
      bytes += v.item().bytes();
    }
    items.sort(
        Comparator.comparing(GcReport.Item::kind).thenComparing(GcReport.Item::name));
    return new GcReport(dryRun, items, bytes, problems);
  }

  /**
   * Finishes the removals a crash cut short (a dry run only lists them), before any blob goes,
   * so that index.json never holds an image whose blobs are gone; one that fails (a file that
   * will not go) leaves its hold, so the collection keeps every blob, in doubt.
   */
  private List<Victim> finishRemovals() throws IOException {
    List<Victim> finished = new ArrayList<>();
    for (ContainerDirectory.Removal r : removals) {
      List<Victim> one = new ArrayList<>();
      addVictim(one, GcReport.Kind.CONTAINER_LEFTOVER, r.name(), r.dir());
      if (!dryRun) {
        try {
          ContainerDirectory.finish(store, r);
        } catch (IOException | UncheckedIOException e) {
          doubt("container " + r.name() + ": what its removal left (" + r.dir() + ") could not "
              + "be deleted (" + e.getMessage() + "), so its hold on its image stays");
          continue;
        }
      }
      finished.addAll(one);
    }
    return finished;
  }

  // ---------------------------------------------------------------------------------- marking

  private void markIndexJson() throws IOException {
    for (Descriptor d : (index != null ? index : store.readIndex()).manifests()) {
      Follow f = classify(d.mediaType());
      String holder = OciIndex.holder(d);
      if (holder != null && removed.contains(holder)) {
        continue; // the hold of a container removed: released below
      }
      String from = "index.json" + (d.refName() != null ? " entry '" + d.refName() + "'"
          : holder != null ? " entry of container " + holder : "");
      // a root of a type we do not know may still reference blobs: try to read it
      push(d.digest(), f == Follow.MUST ? f : Follow.MAYBE, from);
    }
  }

  /**
   * Marks each container's own record of its image: manifest and config are followed (and must
   * be there), layers and uncompressed layers kept, so a container keeps its image whole even
   * when the manifest blob is gone or never named them.
   */
  private void markContainers() throws IOException {
    for (ContainerDirectory.Root root : ContainerDirectory.roots(store)) {
      ContainerRecord record = root.record();
      if (record == null) {
        doubt(root.problem());
        continue;
      }
      String from = "container " + root.name() + (root.creating() ? " (being created)" : "");
      push(record.manifest(), Follow.MUST, from);
      push(record.config(), Follow.MUST, from);
      for (Layer layer : record.layers()) {
        push(layer.digest(), Follow.NEVER, from);
        push(layer.diffId(), Follow.NEVER, from);
      }
    }
  }

  /** Marks the image of each read-only view open in any process ({@link ViewHold}). */
  private void markViews() throws IOException {
    ViewHold.Scan holds = ViewHold.scan(store);
    for (Digest manifest : holds.held()) {
      push(manifest, Follow.MUST, "a view open on image " + manifest);
    }
    for (String problem : holds.problems()) {
      doubt(problem);
    }
    staleHolds = holds.stale();
  }

  private void push(Digest digest, Follow follow, String from) {
    live.add(digest);
    if (follow != Follow.NEVER && followed.add(digest)) {
      work.push(new Ref(digest, follow, from));
    }
  }

  private static Follow classify(String mediaType) {
    if (mediaType == null) {
      return Follow.MAYBE;
    }
    if (MediaTypes.isManifest(mediaType)
        || MediaTypes.isIndex(mediaType)
        || MediaTypes.OCI_CONFIG.equals(mediaType)
        || MediaTypes.DOCKER_CONFIG.equals(mediaType)) {
      return Follow.MUST;
    }
    return mediaType.endsWith("json") ? Follow.MAYBE : Follow.NEVER;
  }

  private void follow(Ref ref) throws IOException {
    Digest digest = ref.digest();
    String what = "blob " + digest + " (referenced from " + ref.from() + ")";
    Path path = store.blobPath(digest);
    long size;
    try {
      size = Files.size(path);
    } catch (NoSuchFileException e) {
      if (ref.follow() == Follow.MUST) {
        // what it references is unknown: a blob only it keeps would look like garbage
        doubt(what + " is missing");
      }
      return;
    }
    if (size > store.limits().jsonBytes()) {
      if (ref.follow() == Follow.MUST) {
        doubt(what + " is too large for JSON (" + size + " bytes)");
      }
      return;
    }
    if (ref.follow() == Follow.MAYBE && !looksLikeJson(path)) {
      return;
    }
    JsonNode tree;
    try {
      tree = OciJson.readTree(store.readJson(digest));
    } catch (JsonProcessingException e) {
      if (ref.follow() == Follow.MUST) {
        doubt(what + " is not valid JSON: " + e.getOriginalMessage());
      }
      return;
    } catch (NoSuchFileException e) {
      return; // removed by someone else meanwhile
    } catch (IOException e) {
      // corrupt (digest mismatch) or unreadable: what it referenced cannot be known
      if (ref.follow() == Follow.MUST) {
        doubt(what + " cannot be read: " + e.getMessage());
      } else {
        problems.add(what + " cannot be read, kept as it is: " + e.getMessage());
      }
      return;
    }
    walk(tree, null, digest.toString());
  }

  /** Pushes every digest in a JSON tree; {@code field} is the name the node is the value of. */
  private void walk(JsonNode node, String field, String from) {
    if (node == null) {
      return;
    }
    if (node.isObject()) {
      JsonNode digest = node.get("digest");
      Digest d = digest != null && digest.isTextual() ? parseDigest(digest.textValue()) : null;
      if (d != null) {
        JsonNode mediaType = node.get("mediaType");
        push(d, classify(mediaType != null && mediaType.isTextual() ? mediaType.textValue() : null),
            from);
      }
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (!(d != null && e.getKey().equals("digest"))) {
          walk(e.getValue(), e.getKey(), from);
        }
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        walk(element, field, from);
      }
    } else if (node.isTextual()) {
      Digest d = parseDigest(node.textValue());
      if (d != null) {
        // diff_ids name uncompressed layer tars: keep them (and their index), never open them
        push(d, "diff_ids".equals(field) ? Follow.NEVER : Follow.MAYBE, from);
      }
    }
  }

  private static Digest parseDigest(String s) {
    if (!s.startsWith("sha256:") && !s.startsWith("sha512:")) {
      return null;
    }
    try {
      return Digest.parse(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean looksLikeJson(Path path) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(path)) {
      head = in.readNBytes(SNIFF);
    } catch (NoSuchFileException e) {
      return false;
    }
    for (byte b : head) {
      if (b == '{') {
        return true;
      }
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return false;
      }
    }
    return false;
  }

  private void doubt(String problem) {
    doubt = true;
    problems.add(problem);
  }

  // ------------------------------------------------------------------------------------ sweep

  /** Unreachable {@code layerfs/signatures/<alg>/<hex>/} directories. */
  private List<Victim> signatures() throws IOException {
    List<Victim> result = new ArrayList<>();
    for (Entry e : digestNamed(SignatureStore.root(store))) {
      if (!live.contains(e.digest()) && inScope(e.digest())
          && Files.isDirectory(e.path(), LinkOption.NOFOLLOW_LINKS)) {
        addVictim(result, GcReport.Kind.SIGNATURE, e.digest().toString(), e.path());
      }
    }
    return result;
  }

  /**
   * Lazy layers' partial state whose layer nothing references, or whose blob is now complete.
   * A partial blob is never a blob: it lives only under {@code layerfs/lazy/}.
   */
  private List<Victim> lazyStates() throws IOException {
    List<Victim> result = new ArrayList<>();
    for (Entry e : digestNamed(LazyLayers.root(store))) {
      // a complete blob's state is garbage of its own, left to gc when a change is released
      boolean complete = scope == null && store.contains(e.digest());
      if ((!live.contains(e.digest()) || complete) && inScope(e.digest())
          && Files.isDirectory(e.path(), LinkOption.NOFOLLOW_LINKS)) {
        try {
          // the partial blob is sparse: count what it holds, not its apparent size
          result.add(new Victim(new GcReport.Item(GcReport.Kind.LAZY_STATE,
              e.digest().toString(), LazyLayers.diskBytes(e.path())), e.path(), true));
        } catch (NoSuchFileException gone) {
          // removed by another process while we looked
        }
      }
    }
    return result;
  }

  /**
   * Origin hints of blobs the store does not hold, or will not once {@code victims} are gone: a
   * hint names where a blob is, and a push only asks it for blobs it has.
   */
  private List<Victim> origins(List<Victim> victims) throws IOException {
    Set<String> goingBlobs = new HashSet<>();
    for (Victim v : victims) {
      if (v.item().kind() == GcReport.Kind.BLOB
          || v.item().kind() == GcReport.Kind.UNCOMPRESSED_LAYER) {
        goingBlobs.add(v.item().name());
      }
    }
    List<Victim> result = new ArrayList<>();
    for (Entry e : digestNamed(BlobOrigins.root(store))) {
      boolean orphan = scope == null && !store.contains(e.digest());
      if ((goingBlobs.contains(e.digest().toString()) || orphan) && isFile(e.path())) {
        addVictim(result, GcReport.Kind.BLOB_ORIGINS, e.digest().toString(), e.path());
      }
    }
    return result;
  }

  private List<Victim> layerIndexes() throws IOException {
    List<Victim> result = new ArrayList<>();
    for (Entry e : digestNamed(LayerStore.indexRoot(store))) {
      if (!live.contains(e.digest()) && inScope(e.digest()) && isFile(e.path())) {
        addVictim(result, GcReport.Kind.LAYER_INDEX, e.digest().toString(), e.path());
      }
    }
    return result;
  }

  private List<Victim> blobs() throws IOException {
    List<Victim> result = new ArrayList<>();
    Path indexes = LayerStore.indexRoot(store);
    for (Entry e : digestNamed(store.blobsDir())) {
      if (!live.contains(e.digest()) && inScope(e.digest()) && isFile(e.path())) {
        Path index = indexes.resolve(e.digest().algorithm()).resolve(e.digest().hex());
        GcReport.Kind kind =
            Files.exists(index) ? GcReport.Kind.UNCOMPRESSED_LAYER : GcReport.Kind.BLOB;
        addVictim(result, kind, e.digest().toString(), e.path());
      }
    }
    return result;
  }

  private List<Victim> tempFiles() throws IOException {
    List<Victim> result = new ArrayList<>();
    for (Path p : list(store.tempDir())) {
      addIfOld(result, p);
    }
    for (Path algDir : list(LayerStore.indexRoot(store))) {
      for (Path p : list(algDir)) {
        if (p.getFileName().toString().startsWith(".tmp-")) {
          addIfOld(result, p);
        }
      }
    }
    for (Path p : list(stateDir)) {
      String name = p.getFileName().toString();
      if (UnpackedArchive.SCRATCH_PREFIXES.stream().anyMatch(name::startsWith)) {
        addIfOld(result, p);
      }
    }
    return result;
  }

  /**
   * What cut-short volume removals left: no age needed, a removal under way in another process
   * and this collection may both delete its folder (each takes away what is still there).
   */
  private List<Victim> volumeLeftovers() throws IOException {
    List<Victim> result = new ArrayList<>();
    for (Path p : Volumes.removalLeftovers(store)) {
      addVictim(result, GcReport.Kind.VOLUME_LEFTOVER, store.root().relativize(p).toString(), p);
    }
    return result;
  }

  private void addIfOld(List<Victim> result, Path p) throws IOException {
    try {
      if (newest(p).compareTo(tempCutoff) < 0) {
        String name = store.root().relativize(p).toString();
        result.add(victim(GcReport.Kind.TEMP_FILE, name, p));
      }
    } catch (NoSuchFileException e) {
      // finished (renamed into place) or removed while we looked: not ours to report
    } catch (UncheckedIOException e) {
      if (!(e.getCause() instanceof NoSuchFileException)) {
        throw e.getCause();
      }
    }
  }

  /** The newest modification time of {@code p} and, for a directory, everything in it. */
  private static FileTime newest(Path p) throws IOException {
    FileTime max = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> walk = Files.walk(p)) {
        for (Path q : (Iterable<Path>) walk::iterator) {
          FileTime t = Files.getLastModifiedTime(q, LinkOption.NOFOLLOW_LINKS);
          if (t.compareTo(max) > 0) {
            max = t;
          }
        }
      }
    }
    return max;
  }

  private record Entry(Digest digest, Path path) {}

  /** The children of {@code dir}/{@code <alg>}/ whose names make a valid digest. */
  private static List<Entry> digestNamed(Path dir) throws IOException {
    List<Entry> result = new ArrayList<>();
    for (Path algDir : list(dir)) {
      String algorithm = algDir.getFileName().toString();
      if (!algorithm.equals("sha256") && !algorithm.equals("sha512")) {
        continue;
      }
      for (Path p : list(algDir)) {
        Digest d = parseDigest(algorithm + ":" + p.getFileName());
        if (d != null) {
          result.add(new Entry(d, p));
        }
      }
    }
    return result;
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    List<Path> result = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      s.forEach(result::add);
    }
    Collections.sort(result);
    return result;
  }

  private static boolean isFile(Path p) {
    return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
  }

  private static void addVictim(List<Victim> result, GcReport.Kind kind, String name, Path p)
      throws IOException {
    try {
      result.add(victim(kind, name, p));
    } catch (NoSuchFileException e) {
      // removed by someone else (another tool's gc) while we looked
    } catch (UncheckedIOException e) {
      if (!(e.getCause() instanceof NoSuchFileException)) {
        throw e.getCause();
      }
    }
  }

  private static Victim victim(GcReport.Kind kind, String name, Path p) throws IOException {
    boolean tree = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
    long bytes = 0;
    if (tree) {
      try (Stream<Path> walk = Files.walk(p)) {
        for (Path q : (Iterable<Path>) walk::iterator) {
          BasicFileAttributes a =
              Files.readAttributes(q, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          if (a.isRegularFile()) {
            bytes += a.size();
          }
        }
      }
    } else {
      bytes = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size();
    }
    return new Victim(new GcReport.Item(kind, name, bytes), p, tree);
  }

  private static void delete(Victim v) throws IOException {
    if (!v.tree()) {
      Files.deleteIfExists(v.path());
      return;
    }
    FileTrees.deleteTree(v.path());
  }
}
