package io.layerfs.core.content;

import io.layerfs.core.Digest;
import io.layerfs.core.Limits;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.internal.HostFiles;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.ImageManifest;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciIndex;
import io.layerfs.core.oci.OciJson;
import io.layerfs.core.oci.RefNames;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A content-addressed blob store that is an OCI image layout directory: {@code oci-layout},
 * {@code index.json} and {@code blobs/<alg>/<hex>}, readable by umoci and skopeo as it is, with
 * layerfs' private state in one subdirectory, {@link #stateDir()}. Blobs are written as
 * containerd ingests them ({@link BlobWriter}) and never change; index.json is replaced
 * atomically (see the package documentation for the layout and the locks).
 *
 * <p>Thread safety: safe for concurrent use. index.json read-modify-write cycles are serialized
 * by a lock per layout directory within the JVM and by a file lock on {@code
 * layerfs/index.lock} across JVMs (taken in that order). Ingest leases ({@link #lease()}) keep
 * the garbage collector away from blobs that are written but not yet tagged.
 */
public final class ContentStore {
  public static final String STATE_DIR = "layerfs";
  /** Marks a reason {@link #explainWriteFailure} wrote, so that it is not explained twice. */
  private static final String UNWRITABLE = " cannot be written: ";
  private static final String OCI_LAYOUT = "oci-layout";
  private static final String INDEX_JSON = "index.json";
  private static final byte[] OCI_LAYOUT_JSON =
      "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.US_ASCII);
  // index.json: about 250 bytes a tag, so a quarter of a million tags; oci-layout: one field
  static final long MAX_INDEX_JSON = 64 << 20;
  private static final long MAX_LAYOUT_FILE = 64 << 10;
  // by the store's real path: two monitors for one lock file would let a JVM's two file locks
  // overlap (OverlappingFileLockException) when a store is reached by two paths
  private static final ConcurrentMap<Path, Object> INDEX_LOCKS = new ConcurrentHashMap<>();
  /** The file whose OS lock serializes {@code index.json} updates across processes. */
  private static final String INDEX_LOCK = "index.lock";
  /**
   * A copy of the {@code index.json} layerfs last wrote, in the state folder, for fsck alone:
   * the OCI layout gives index.json no checksum, and other tools (umoci, skopeo) may write it.
   */
  private static final String INDEX_WRITTEN = "index.json.written";

  private final Path root;
  private final Limits limits;
  private volatile Object indexMonitor; // this store's entry in INDEX_LOCKS, found on first use

  private ContentStore(Path root, Limits limits) {
    this.root = root;
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Opens the layout at {@code dir}, creating it when the directory does not exist or is empty.
   *
   * @throws IOException if {@code dir} is a file, a non-empty directory without an {@code
   *     oci-layout} file, or its layout version is not 1.x
   */
  public static ContentStore open(Path dir) throws IOException {
    return open(dir, Limits.DEFAULTS);
  }

  /**
   * Opens the layout at {@code dir} as {@link #open(Path)} does, bounding what it reads of
   * untrusted images by {@code limits}.
   */
  public static ContentStore open(Path dir, Limits limits) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    ContentStore store = new ContentStore(root, limits);
    Path layout = root.resolve(OCI_LAYOUT);
    if (!Files.exists(layout)) {
      if (Files.exists(root) && !Files.isDirectory(root)) {
        // making the layout would fail on "ROOT/blobs: Not a directory", naming no cause
        throw new IOException("not an OCI image layout: " + root + " is a file, not a directory");
      }
      if (Files.isDirectory(root) && !onlyLayoutParts(root)) {
        throw new IOException("not an OCI image layout (no oci-layout file): " + root);
      }
      Path above = root.getParent();
      while (above != null && !Files.exists(above)) {
        above = above.getParent();
      }
      if (above != null && !Files.isDirectory(above)) {
        // as above: the directories cannot be made, and the failure would name ROOT/blobs
        throw new IOException("cannot make an OCI image layout at " + root + ": " + above
            + " is a file, not a directory");
      }
      store.create();
    }
    byte[] layoutJson = readLimited(layout, MAX_LAYOUT_FILE);
    // the file every tool writes needs no JSON parser (whose first use costs a cold JVM dearly)
    String version = isStandardLayoutFile(layoutJson) ? "1.0.0"
        : OciJson.stringField(layoutJson, "imageLayoutVersion", layout.toString());
    if (version == null || !version.startsWith("1.")) {
      throw new IOException("unsupported OCI image layout version " + version + " in " + layout);
    }
    if (!Files.isRegularFile(root.resolve(INDEX_JSON))) {
      throw new IOException("OCI image layout without index.json: " + root);
    }
    return store;
  }

  /** True for exactly {@link #OCI_LAYOUT_JSON}, with or without a final newline. */
  private static boolean isStandardLayoutFile(byte[] data) {
    int n = OCI_LAYOUT_JSON.length;
    return (data.length == n || data.length == n + 1 && data[n] == '\n')
        && Arrays.equals(data, 0, n, OCI_LAYOUT_JSON, 0, n);
  }

  /** The bounds put on what this store reads of untrusted images. */
  public Limits limits() {
    return limits;
  }

  /** The layout directory (absolute). */
  public Path root() {
    return root;
  }

  /** Where the blob lives (or would live): {@code blobs/<algorithm>/<hex>}. */
  public Path blobPath(Digest digest) {
    return blobsDir().resolve(digest.algorithm()).resolve(digest.hex());
  }

  /** {@code blobs/}: one folder per digest algorithm, one file per blob. */
  public Path blobsDir() {
    return root.resolve("blobs");
  }

  /** {@code layerfs/tmp/}: temp files of writes in progress (gc removes old ones). */
  public Path tempDir() throws IOException {
    return stateDir().resolve("tmp");
  }

  public boolean contains(Digest digest) {
    return Files.isRegularFile(blobPath(digest));
  }

  /**
   * Opens a blob for reading. The stream is not verified against the digest; callers that need
   * that hash what they read.
   *
   * @throws NoSuchFileException naming the digest and store if the blob is missing
   */
  public InputStream openBlob(Digest digest) throws IOException {
    try {
      return Files.newInputStream(blobPath(digest));
    } catch (NoSuchFileException e) {
      throw missing(digest);
    }
  }

  /**
   * Copies {@code in} into the store as a blob (SHA-256 unless {@code expectedOrNull} says
   * otherwise) and returns its digest. The stream is read to its end but not closed.
   *
   * <p>If {@code expectedOrNull} is given and that blob is already stored, nothing is read or
   * written. Otherwise the content is verified before it becomes visible.
   *
   * @param expectedOrNull the digest the content must have, or null
   * @param expectedSizeOrMinus1 the size the content must have, or -1
   * @throws IOException on a mismatch, naming the expected and the actual value; no file is left
   *     behind
   */
  public Digest ingest(InputStream in, Digest expectedOrNull, long expectedSizeOrMinus1)
      throws IOException {
    if (expectedOrNull != null && contains(expectedOrNull)) {
      return expectedOrNull;
    }
    try (BlobWriter writer = newWriter(expectedOrNull, expectedSizeOrMinus1)) {
      in.transferTo(writer);
      return writer.commit(expectedOrNull, expectedSizeOrMinus1);
    }
  }

  /**
   * layerfs' private state under the layout, {@code <root>/layerfs}; created on first call.
   * umoci and skopeo ignore it.
   */
  public Path stateDir() throws IOException {
    try {
      return Files.createDirectories(root.resolve(STATE_DIR));
    } catch (FileSystemException e) {
      throw explainWriteFailure(e);
    }
  }

  /**
   * {@code e}, a failed write into the store; or, when the store cannot be written at all (a
   * read-only mount, another user's layout), an exception of the same kind that says so and what
   * to do: layerfs writes into its store even to read an image the first time.
   */
  public FileSystemException explainWriteFailure(FileSystemException e) {
    // EROFS comes as a plain FileSystemException, EACCES as AccessDeniedException; the other
    // kinds (a missing file, a name taken) say something else
    boolean denied = e.getClass() == FileSystemException.class
        || e instanceof AccessDeniedException;
    String cause = e.getReason() != null ? e.getReason()
        : e instanceof AccessDeniedException ? "Permission denied" : "";
    if (!denied || cause.contains(UNWRITABLE) || Files.isWritable(root)) {
      return e;
    }
    String reason = (cause.isEmpty() ? "" : cause + "; ") + "store " + root + UNWRITABLE
        + "layerfs unpacks and indexes each layer into its store the first time it is read, so"
        + " even reading needs a writable store (import the image into one: layerfs --store DIR"
        + " import oci:" + root + ":TAG, or Store.importImage)";
    FileSystemException explained = e instanceof AccessDeniedException
        ? new AccessDeniedException(e.getFile(), e.getOtherFile(), reason)
        : new FileSystemException(e.getFile(), e.getOtherFile(), reason);
    explained.initCause(e);
    return explained;
  }

  /** The tags (ref.name annotations) in index.json, sorted. */
  public List<String> tags() throws IOException {
    return readIndex().tags();
  }

  /**
   * Tags the manifest or image index {@code target} (which must be stored) as {@code name} in
   * index.json, moving the tag if another entry had it. The image the tag leaves stays, untagged
   * (see {@link #keepUntagged}), unless another tag or untagged entry still names it: as docker
   * keeps a dangling image ({@code <none>}) when a tag, pull, load or commit takes its name, and
   * gc keeps it until it is removed. An untagged entry of {@code target} goes: the image has a
   * name now, and as with docker, removing its last tag later removes the image (a container's
   * image stays held for it). Other entries and fields are kept.
   *
   * @throws IllegalArgumentException if {@code name} is not a valid OCI ref.name
   */
  public void tag(String name, Digest target) throws IOException {
    checkRefName(name);
    Descriptor descriptor = descriptorOf(target);
    // a gc between the read above and the update would take an untagged target
    try (Lease lease = lease()) {
      if (!contains(target)) {
        throw new NoSuchFileException(blobPath(target).toString(), null,
            "cannot tag " + name + ": blob " + target + " is not in store " + root);
      }
      updateIndex(index -> {
        index.tag(name, descriptor);
        index.forget(target);
      });
    }
  }

  /**
   * Keeps the stored manifest or image index {@code target} in index.json without a tag (an
   * entry with no ref.name), unless an entry already holds it: an image that came without a
   * name, found by its digest, as {@code docker load} keeps an untagged image by its ID.
   */
  public void keepUntagged(Digest target) throws IOException {
    Descriptor descriptor = descriptorOf(target);
    try (Lease lease = lease()) {
      if (!contains(target)) {
        throw new NoSuchFileException(blobPath(target).toString(), null,
            "cannot keep " + target + ": it is not in store " + root);
      }
      updateIndex(index -> index.keep(descriptor));
    }
  }
  /** The index.json descriptor of the stored manifest or image index {@code target}. */
  private Descriptor descriptorOf(Digest target) throws IOException {
    byte[] json = readJson(target);
    return new Descriptor(ImageManifest.mediaTypeOf(json, target.toString()), target,
        json.length);
  }


  /**
   * Removes the entries of index.json without a tag that hold {@code target}; false if there
   * was none. Tags of it stay.
   */
  public boolean forgetUntagged(Digest target) throws IOException {
    boolean[] removed = new boolean[1];
    updateIndex(index -> removed[0] = index.forget(target));
    return removed[0];
  }

  /**
   * Keeps the stored manifest {@code manifest} in index.json for container {@code container}
   * (an entry without a ref.name, annotated {@value OciIndex#CONTAINER}, naming an image index
   * of its own that lists the manifest: {@link OciIndex#holdIndex}), replacing what was held for
   * it before, so that a tool that collects garbage from index.json ({@code umoci gc}) keeps the
   * container's image after its tag is removed or moved. Nothing is written when index.json
   * holds it already. The caller holds an ingest lease, or the lease gate exclusively (a repair),
   * so that gc cannot take the hold's blob before the entry is written.
   */
  public void hold(String container, Digest manifest) throws IOException {
    byte[] hold = holdIndex(container, manifest);
    Digest digest = Digest.sha256(hold);
    if (digest.equals(readIndex().holds().get(container)) && contains(digest)) {
      return;
    }
    ingest(new ByteArrayInputStream(hold), digest, hold.length);
    Descriptor descriptor = new Descriptor(MediaTypes.OCI_INDEX, digest, hold.length);
    updateIndex(index -> index.hold(container, descriptor));
  }

  /** Whether index.json holds {@code manifest} for {@code container} (see {@link #hold}). */
  public boolean holds(String container, Digest manifest) throws IOException {
    Digest digest = Digest.sha256(holdIndex(container, manifest));
    return digest.equals(readIndex().holds().get(container)) && contains(digest);
  }

  private byte[] holdIndex(String container, Digest manifest) throws IOException {
    return OciIndex.holdIndex(container, descriptorOf(manifest));
  }

  /** Removes what index.json holds for {@code container} (see {@link #hold}); false if none. */
  public boolean release(String container) throws IOException {
    if (!readIndex().holds().containsKey(container)) {
      return false;
    }
    boolean[] removed = new boolean[1];
    updateIndex(index -> removed[0] = index.release(container));
    return removed[0];
  }

  /**
   * Takes an ingest lease: until it is closed, the garbage collector (in this process or
   * another one) waits, so blobs written but not yet referenced survive. Multi-step writers
   * (import, commit: blobs first, tag last) hold one around the whole write:
   *
   * <pre>{@code
   * try (Lease lease = store.lease()) {
   *   Digest layer = store.ingest(in, null, -1);
   *   ...
   *   store.tag("app:1", manifest);
   * }
   * }</pre>
   *
   * <p>Cheap and reentrant (several leases in one thread do not block each other); waits only
   * while a collection is running.
   */
  public Lease lease() throws IOException {
    return LeaseGate.of(root, stateDir()).acquire();
  }

  /** Removes the tag {@code name} from index.json; false if it was not there. */
  public boolean untag(String name) throws IOException {
    boolean[] removed = new boolean[1];
    updateIndex(index -> removed[0] = index.untag(name));
    return removed[0];
  }

  // ---- package-private plumbing for the OCI model and LayerStore ----

  /**
   * Checks a name a user gives an image as Docker checks a reference ({@link TagName}): {@code
   * [HOST[:PORT]/]PATH[:TAG][@DIGEST]}, the repository path in lower case.
   *
   * @throws IllegalArgumentException naming the name and the part of it that is wrong
   */
  public static void checkTag(String name) {
    TagName.check(name);
    checkRefName(name);
  }

  /**
   * Checks an OCI ref.name, the looser grammar of the names OCI layouts bring along (and of every
   * index.json entry); names users give are checked by {@link #checkTag}.
   */
  public static void checkRefName(String name) {
    String stored = RefNames.toRefName(name);
    if (name == null || stored.length() > 255 || !RefName.PATTERN.matcher(stored).matches()) {
      throw new IllegalArgumentException("invalid tag '" + name + "': not an OCI ref.name (at"
          + " most 255 letters and digits, in components joined by '/', '-', '.', '_', ':', '@',"
          + " '+' or '--'), which index.json needs");
    }
  }

  /** Starts writing a blob (see {@link BlobWriter}); the caller commits or closes it. */
  public BlobWriter newWriter(Digest expectedOrNull, long expectedSizeOrMinus1) throws IOException {
    String algorithm = expectedOrNull != null ? expectedOrNull.algorithm() : "sha256";
    return new BlobWriter(blobsDir(), newTempFile("blob"), algorithm, expectedSizeOrMinus1);
  }

  /** Stores {@code data} as a blob. */
  public Digest write(byte[] data) throws IOException {
    try (BlobWriter writer = newWriter(null, data.length)) {
      writer.write(data);
      return writer.commit(null, data.length);
    }
  }

  /** A fresh, not yet existing path for a temp file on the store's file system. */
  public Path newTempFile(String prefix) throws IOException {
    Path dir;
    try {
      dir = Files.createDirectories(tempDir());
    } catch (FileSystemException e) {
      throw explainWriteFailure(e);
    }
    return dir.resolve(prefix + "-" + UUID.randomUUID() + ".tmp");
  }

  /**
   * Reads a small blob whole and verifies its digest.
   *
   * @throws IOException if missing, larger than {@code maxSize} or not matching its digest
   */
  public byte[] readBlob(Digest digest, long maxSize) throws IOException {
    byte[] data;
    try (InputStream in = openBlob(digest)) {
      data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxSize + 1));
    }
    if (data.length > maxSize) {
      throw new IOException("blob " + digest + " is larger than " + maxSize + " bytes");
    }
    return verified(digest, data);
  }

  private byte[] verified(Digest digest, byte[] data) throws IOException {
    Digest actual = Digest.of(digest.algorithm(), digest.newMessageDigest().digest(data));
    if (!actual.equals(digest)) {
      throw new IOException(
          "corrupt blob in store " + root + ": expected " + digest + ", actual " + actual);
    }
    return data;
  }

  /**
   * Reads a manifest, image index or config blob whole and verifies its digest.
   *
   * @throws IOException if missing, larger than {@link Limits#jsonBytes()} (naming the limit) or
   *     not matching its digest
   */
  public byte[] readJson(Digest digest) throws IOException {
    long max = limits.jsonBytes();
    byte[] data;
    try (InputStream in = openBlob(digest)) {
      data = in.readNBytes((int) max + 1);
    }
    if (data.length > max) {
      throw limits.exceeded("jsonBytes", "JSON blob " + digest + " is larger");
    }
    return verified(digest, data);
  }

  public OciIndex readIndex() throws IOException {
    return parseIndex(readIndexBytes());
  }

  /** The bytes of index.json as they are now, unparsed (refused above 64 MiB). */
  public byte[] readIndexBytes() throws IOException {
    // no method reference: a fresh JVM spins a class for one on its first run (every open)
    return readIndexBytes(root.resolve(INDEX_JSON), null);
  }

  /** How often a read of index.json that is cut short is tried again, 10 ms apart. */
  static final int INDEX_REREADS = 10;

  /**
   * Reads index.json; a read that is empty or does not end with the closing brace of an object
   * is tried again, {@link #INDEX_REREADS} times after {@code pause}: skopeo writes the file in
   * place, not by rename, and a read while it writes sees it cut short. What is read last is
   * returned as it is (its parse names what is wrong). A null {@code pause} sleeps 10 ms.
   */
  static byte[] readIndexBytes(Path path, IoRunnable pause) throws IOException {
    byte[] data = readLimited(path, MAX_INDEX_JSON);
    for (int i = 0; i < INDEX_REREADS && !endsAnObject(data); i++) {
      if (pause == null) {
        pauseBeforeRereading();
      } else {
        pause.run();
      }
      data = readLimited(path, MAX_INDEX_JSON);
    }
    return data;
  }

  private static boolean endsAnObject(byte[] json) {
    for (int i = json.length - 1; i >= 0; i--) {
      byte b = json[i];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return b == '}';
      }
    }
    return false;
  }

  private static void pauseBeforeRereading() throws IOException {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted reading index.json again");
    }
  }

  /** Parses bytes {@link #readIndexBytes} returned; errors name this store's index.json. */
  public OciIndex parseIndex(byte[] indexJson) throws IOException {
    return OciIndex.parse(indexJson, root.resolve(INDEX_JSON).toString());
  }

  /**
   * The bytes of a layout file, refused above {@code max}: the index.json of a layout being
   * imported is untrusted, and a huge one would otherwise be an OutOfMemoryError.
   */
  private static byte[] readLimited(Path path, long max) throws IOException {
    byte[] data = HostFiles.read(path, (int) max);
    if (data.length > max) {
      throw new IOException(path + " is larger than " + max + " bytes");
    }
    return data;
  }

  /** An edit of index.json applied under the index lock. */
  public interface IndexEdit {
    void apply(OciIndex index) throws IOException;
  }

  public void updateIndex(IndexEdit edit) throws IOException {
    underIndexLock(() -> {
      OciIndex index = readIndex();
      edit.apply(index);
      writeIndex(index.toBytes());
    });
  }

  /** Writes index.json, then the copy fsck compares it with ({@link #lastWrittenIndex}). */
  private void writeIndex(byte[] bytes) throws IOException {
    replace(root.resolve(INDEX_JSON), bytes);
    replace(stateDir().resolve(INDEX_WRITTEN), bytes);
  }

  /**
   * The {@code index.json} layerfs last wrote, for fsck to tell what changed since (a tag
   * renamed by a flipped byte, say: the layout has no checksum for it); null if there is no
   * record, as in a layout another tool made, or one that does not read.
   */
  public byte[] lastWrittenIndex() throws IOException {
    try {
      return readLimited(stateDir().resolve(INDEX_WRITTEN), MAX_INDEX_JSON);
    } catch (IOException e) {
      return null; // a record for fsck only: missing or damaged, it says nothing
    }
  }

  interface IoRunnable {
    void run() throws IOException;
  }

  /**
   * The lock files of the store's state folder: {@code index.json}'s and the lease gate's. Each
   * is made on first use; one that is no regular file keeps the operations it guards from
   * running (fsck reports it).
   */
  public List<Path> lockFiles() throws IOException {
    return List.of(stateDir().resolve(INDEX_LOCK), stateDir().resolve(LeaseGate.LOCK_FILE));
  }

  /** Runs {@code body} holding the index lock: a JVM monitor, then a file lock across processes. */
  @SuppressWarnings("try") // the file lock is held, not used
  private void underIndexLock(IoRunnable body) throws IOException {
    Object jvmLock = indexMonitor;
    if (jvmLock == null) {
      jvmLock = INDEX_LOCKS.computeIfAbsent(root.toRealPath(), k -> new Object());
      indexMonitor = jvmLock;
    }
    synchronized (jvmLock) {
      try (FileChannel lockFile =
              FileChannel.open(
                  stateDir().resolve(INDEX_LOCK),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE);
          FileLock lock = lockFile.lock()) {
        body.run();
      }
    }
  }

  /** Durably replaces {@code target} with {@code data}: temp file, fsync, rename, fsync dir. */
  void replace(Path target, byte[] data) throws IOException {
    Path temp = newTempFile(target.getFileName().toString());
    try {
      try (FileChannel ch =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
          ch.write(buffer);
        }
        ch.force(true);
      } catch (FileSystemException e) {
        throw e;
      } catch (IOException e) {
        // the JDK's words for a failed write (a full disk) name no file; the target is untouched
        throw new IOException("cannot write " + target + ": " + e.getMessage()
            + " (it is unchanged)", e);
      }
      BlobWriter.move(temp, target);
      FileTrees.fsyncDirectory(target.getParent());
    } finally {
      Files.deleteIfExists(temp);
    }
  }


  public NoSuchFileException missing(Digest digest) {
    return new NoSuchFileException(
        blobPath(digest).toString(), null, "blob " + digest + " not in store " + root);
  }

  /**
   * Makes the layout, idempotently: under the index lock, so that two processes creating one
   * store both succeed and neither replaces an index.json the other has already written.
   */
  private void create() throws IOException {
    Files.createDirectories(blobsDir().resolve("sha256"));
    underIndexLock(() -> {
      if (!Files.exists(root.resolve(INDEX_JSON))) {
        writeIndex(OciIndex.empty().toBytes());
      }
      // written last: its presence marks a complete layout
      if (!Files.exists(root.resolve(OCI_LAYOUT))) {
        replace(root.resolve(OCI_LAYOUT), OCI_LAYOUT_JSON);
      }
    });
  }

  /**
   * Holds nothing but what a layout being created holds: another thread or process may be
   * creating it right now (it writes oci-layout last).
   */
  private static boolean onlyLayoutParts(Path dir) throws IOException {
    Set<String> parts = Set.of("blobs", INDEX_JSON, OCI_LAYOUT, STATE_DIR);
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.allMatch(p -> parts.contains(p.getFileName().toString()));
    }
  }

  /** The OCI ref.name grammar, compiled on the first tag rather than on every open. */
  private static final class RefName {
    // image-layout annotations: components joined by '/'
    static final Pattern PATTERN =
        Pattern.compile(
            "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*"
                + "(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*");
  }
}
