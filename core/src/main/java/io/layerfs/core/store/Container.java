package io.layerfs.core.store;

import io.layerfs.core.Change;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.ContainerInfo;
import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Mount;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.ContainerLock;
import io.layerfs.core.container.ContainerReaders;
import io.layerfs.core.container.ContainerRecord;
import io.layerfs.core.container.VolumeLock;
import io.layerfs.core.container.Volumes;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.core.image.Images;
import io.layerfs.core.internal.OptionalLibrary;
import io.layerfs.core.mount.MountedTree;
import io.layerfs.core.overlay.ContainerCheck;
import io.layerfs.core.overlay.Overlay;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A container: an image plus its own writable layer, copy-on-write as Docker's overlay2 storage
 * driver. This facade names, locks and records the container ({@code
 * layerfs/containers/NAME/}) and hands every file operation to its {@link Overlay}; the package
 * documentation describes the directory and the one-writer lock.
 *
 * <p>Thread safety: any number of threads; see {@link Overlay} for the lock order.
 */
public final class Container implements FileTree {
  private static final String JSON = ContainerDirectory.JSON;

  private final String name;
  private final ContentStore store;
  private final Path dir;
  private final Image image;
  private final boolean readOnly;
  /** The writer's lock, or a read-only open's share of the readers' ({@link ContainerReaders}). */
  private final Closeable lock;
  private final boolean created;
  private final Overlay overlay;
  /** What file operations go to: the overlay, or the overlay with the container's mounts. */
  private final FileTree files;
  private boolean closed;

  private Container(String name, ContentStore store, Path dir, Image image, boolean readOnly,
      Closeable lock, boolean created, Overlay overlay, FileTree files) {
    this.name = name;
    this.store = store;
    this.dir = dir;
    this.image = image;
    this.readOnly = readOnly;
    this.lock = lock;
    this.created = created;
    this.overlay = overlay;
    this.files = files;
  }

  // ------------------------------------------------------------------------------ life cycle

  /**
   * Opens container {@code name} of {@code store}, creating it from {@code imageOrNull} on first
   * use (an open that creates it and then fails, say on a damaged layer blob, removes it again).
   * A read-only open takes no writer's lock and shows the current state; every mutation of it
   * throws {@link ReadOnlyFileSystemException}; until it closes, the container is not removed in
   * any process ({@link ContainerReaders}).
   *
   * @throws IllegalArgumentException for a bad name, a missing container without image, or an
   *     image other than the container's
   * @throws IOException "container NAME is open for writing by another process: close it there
   *     first ..." for a second writer ("... already open for writing in this process ..." when
   *     this JVM has it open)
   */
  public static Container open(ContentStore store, LayerStore layers, String name,
      String imageOrNull, boolean readOnly) throws IOException {
    return open(store, layers, name, imageOrNull, readOnly, null);
  }

  /**
   * {@link #open(ContentStore, LayerStore, String, String, boolean)} with mounts ({@code docker
   * run --mount} specs): a new container records them; an existing one mounts those it was
   * created with, and {@code mountSpecsOrNull}, when given and not empty, must name the same
   * (mounts are fixed at creation, as Docker's are). Bad specs and missing bind sources are
   * refused before anything is created.
   *
   * @throws IllegalArgumentException for a bad spec or other mounts than the container's
   */
  public static Container open(ContentStore store, LayerStore layers, String name,
      String imageOrNull, boolean readOnly, List<String> mountSpecsOrNull) throws IOException {
    ContainerDirectory.checkName(name);
    boolean existed = Files.exists(ContainerDirectory.containers(store).resolve(name)
        .resolve(JSON));
    Prepared prepared = prepare(store, layers, name, imageOrNull, readOnly, mountSpecsOrNull);
    try {
      return prepared.build();
    } catch (IOException | RuntimeException e) {
      if (!existed && prepared.dir != null) {
        // the record is written before the layers are indexed: an open that created the
        // container and then failed (a layer blob damaged or gone) leaves none behind, as a
        // failed docker create leaves none, so that the same open works once the image is whole
        try {
          remove(store, name);
        } catch (IOException | RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /**
   * {@link #open(ContentStore, LayerStore, String, String, boolean, List)} up to the tree: the
   * container is created (or its record read), its lock taken and its image checked, with the
   * same errors; {@link Prepared#build} then opens the tree, which indexes every layer of the
   * image. A lazily opened container answers reads by path meanwhile (the provider).
   */
  public static Prepared prepare(ContentStore store, LayerStore layers, String name,
      String imageOrNull, boolean readOnly, List<String> mountSpecsOrNull) throws IOException {
    ContainerDirectory.checkName(name);
    List<Mount> wanted = mountSpecsOrNull == null ? List.of() : Mount.parseAll(mountSpecsOrNull);
    // a removal in another process may take the container between the look and the lock, and
    // a creation there its name: looked at again, it is a container to create, or none
    for (int attempt = 0; attempt < 3; attempt++) {
      Prepared prepared = prepareOnce(store, layers, name, imageOrNull, readOnly, wanted);
      if (prepared != null) {
        return prepared;
      }
    }
    throw new IOException("container " + name + " in store " + store.root() + " was removed "
        + "and created again by another process while this opened it, three times: try again");
  }

  /** {@link #prepare}, or null when the container was removed while this looked at it. */
  private static Prepared prepareOnce(ContentStore store, LayerStore layers, String name,
      String imageOrNull, boolean readOnly, List<Mount> wanted) throws IOException {
    Path dir = ContainerDirectory.containers(store).resolve(name);
    Path json = dir.resolve(JSON);
    ContainerLock lock = null;
    Closeable share = null;
    boolean created = false;
    try {
      if (!Files.exists(json)) {
        if (ContainerDirectory.hasWritableLayer(dir)) {
          // the record is lost, the writes are not: never open them over a guessed image
          throw new IOException("container " + name + " in store " + store.root() + " has a "
              + "writable layer but no " + JSON + " (" + json + " is missing): its image is "
              + "unknown, so it cannot be opened; `layerfs rm " + name + "` removes what is left");
        }
        if (imageOrNull == null) {
          throw new IllegalArgumentException("container " + name + " does not exist in store "
              + store.root() + "; give 'image' to create it");
        }
        if (readOnly) {
          if (!wanted.isEmpty()) {
            throw new IllegalArgumentException("container " + name + " does not exist in store "
                + store.root() + ": a read-only view of an image has no mounts (create the "
                + "container with them first)");
          }
          // nothing to show but the image: a transient view, nothing written
          Image image = Images.resolve(store, imageOrNull);
          return new Prepared(name, null, null, image, true, null, false, store, layers,
              List.of());
        }
        checkSources(wanted);
        Images.resolve(store, imageOrNull); // a missing image: its error, before a directory
        try {
          Files.createDirectories(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
          if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)
              || Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return null; // removed by another process between the JDK's mkdir and its look
          }
          throw e;
        }
        lock = lockUnlessRemoved(dir, name);
        if (lock == null) {
          return null;
        }
        if (!Files.exists(json)) {
          // resolve and record under a lease: container.json is what keeps the image from gc
          // and held in index.json first, so that umoci gc keeps it too (see OciIndex)
          try (Lease lease = store.lease()) {
            Image image = Images.resolve(store, imageOrNull);
            store.hold(name, image.manifestDigest());
            try {
              ContainerRecord.of(name, imageOrNull, image,
                  wanted.stream().map(Mount::spec).toList()).write(dir);
              created = true;
            } catch (IOException | RuntimeException e) {
              try {
                store.release(name);
              } catch (IOException suppressed) {
                e.addSuppressed(suppressed); // a stale hold only keeps an image: fsck finds it
              }
              throw e;
            }
          }
        }
      } else if (!readOnly) {
        lock = lockUnlessRemoved(dir, name);
        if (lock == null) {
          return null;
        }
      } else {
        // a read-only open keeps a removal off until it closes, as docker rm refuses a
        // running container: its reads would fail once the folder was deleted
        try {
          share = ContainerReaders.join(dir, name);
        } catch (IOException e) {
          if (e.getCause() instanceof NoSuchFileException) {
            return null;
          }
          throw e;
        }
      }
      ContainerRecord record;
      try {
        // under the lock (opened for writing), a memo of the record is kept for the next JVM
        record = lock != null ? ContainerRecord.readAndRemember(json)
            : ContainerRecord.read(json);
      } catch (NoSuchFileException e) {
        // a removal took it since the look; a creation may be making its folder
        Closeable held = lock;
        lock = null; // closed here, not again by the catch below
        Closeable joined = share;
        share = null;
        closeBoth(held, joined);
        return null;
      }
      if (record.id() == null && !readOnly) {
        // an older layerfs's record: given an id now, which the metadata files take on as the
        // overlay opens them, so that another container's files are told apart from then on
        record = record.withId(UUID.randomUUID());
        record.write(dir);
      }
      Digest manifest = record.manifest();
      requireImageBlobs(store, name, record);
      String stamp = readOnly ? null : HoldStamp.of(store.root().resolve("index.json"));
      if (!readOnly && !HoldStamp.current(dir, stamp)) {
        if (!store.holds(name, manifest)) {
          // a container made before holds existed, or whose hold a concurrent writer of
          // index.json (skopeo, umoci) dropped, gets it back
          try (Lease lease = store.lease()) {
            store.hold(name, manifest);
          }
        }
        HoldStamp.record(dir, stamp);
      }
      // remembered: RootFs.open resolves the same digest so, and a fresh JVM then neither
      // parses the manifest and config nor hashes them (nor loads the security providers)
      Image image = Images.resolveRemembered(store, manifest.toString());
      if (!record.matches(image)) {
        throw new IOException("container " + name + ": image " + manifest + " has other config "
            + "or layers than its record " + json + " says");
      }
      if (imageOrNull != null) {
        // remembered too: reopening by image name costs no JSON parsing or hashing either
        Image given = Images.resolveRemembered(store, imageOrNull);
        if (!given.manifestDigest().equals(manifest)) {
          throw new IllegalArgumentException("container " + name + " was created from image '"
              + record.image() + "' (" + manifest + "), not from '" + imageOrNull
              + "' (" + given.manifestDigest() + ")");
        }
      }
      List<Mount> mounts = Mount.parseAll(record.mounts());
      if (!wanted.isEmpty() && !specs(wanted).equals(specs(mounts))) {
        throw new IllegalArgumentException("container " + name + " was created with mounts "
            + (mounts.isEmpty() ? "none" : record.mounts()) + ", not "
            + wanted.stream().map(Mount::spec).toList() + ": mounts are fixed when a container "
            + "is created, as Docker's are (give none to reopen it, or remove it and create it "
            + "again)");
      }
      return new Prepared(name, dir, record.id(), image, readOnly, lock != null ? lock : share,
          created, store, layers, mounts);
    } catch (IOException | RuntimeException e) {
      closeBoth(lock, share);
      throw e;
    }
  }

  /** Closes what is not null, the first failure thrown. */
  private static void closeBoth(Closeable lock, Closeable share) throws IOException {
    try {
      if (lock != null) {
        lock.close();
      }
    } finally {
      if (share != null) {
        share.close();
      }
    }
  }

  /**
   * The container's lock; null when a removal renamed its folder away since the look (the lock
   * file's folder was gone as it opened, even if a creation has made it again since).
   */
  private static ContainerLock lockUnlessRemoved(Path dir, String name) throws IOException {
    try {
      return ContainerLock.acquire(dir, name);
    } catch (IOException e) {
      if (e.getCause() instanceof NoSuchFileException || !Files.isDirectory(dir)) {
        return null;
      }
      throw e;
    }
  }

  /**
   * A container {@link #prepare}d: created, locked (for writing) and checked, its tree not yet
   * opened. {@link #build} opens it once; {@link #close} releases the lock of one never built.
   * Thread-safe.
   */
  public static final class Prepared implements Closeable {
    private final String name;
    private final Path dir;
    private final UUID id;
    private final Image image;
    private final boolean readOnly;
    private final boolean created;
    private final ContentStore store;
    private final LayerStore layers;
    private final List<Mount> mounts;
    // @GuardedBy("this"): the writer's lock or a reader's share; released by build or close,
    // null once either did
    private Closeable lock;
    private boolean spent;

    private Prepared(String name, Path dir, UUID id, Image image, boolean readOnly,
        Closeable lock, boolean created, ContentStore store, LayerStore layers,
        List<Mount> mounts) {
      this.created = created;
      this.name = name;
      this.dir = dir;
      this.id = id;
      this.image = image;
      this.readOnly = readOnly;
      this.lock = lock;
      this.store = store;
      this.layers = layers;
      this.mounts = mounts;
    }

    /** The container's image. */
    public Image image() {
      return image;
    }

    /** Whether the container has mounts. */
    public boolean hasMounts() {
      return !mounts.isEmpty();
    }

    /** Whether the container's writable layer holds anything yet (it has been written to). */
    public boolean written() {
      return dir != null && ContainerDirectory.hasWritableLayer(dir);
    }

    /**
     * Opens the container's tree (every layer of the image indexed); the container then owns
     * the lock. Once only; when it fails the lock is released.
     */
    public synchronized Container build() throws IOException {
      try {
        return buildAgainOnFailure();
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }

    /**
     * {@link #build}, but when it fails the lock is kept and it may be called again (a lazily
     * read image whose registry failed while its layers were fetched may answer later): {@link
     * #close} releases the lock then.
     */
    public synchronized Container buildAgainOnFailure() throws IOException {
      if (spent) {
        throw new IllegalStateException("container " + name + " was built or closed already");
      }
      Container built = create(name, dir, id, image, readOnly, lock, created, store, layers,
          mounts);
      spent = true;
      lock = null; // the container's now
      return built;
    }

    /** Releases the lock of a container never built; nothing once it was. */
    @Override
    public synchronized void close() throws IOException {
      spent = true;
      if (lock != null) {
        lock.close();
        lock = null;
      }
    }
  }

  private static Container create(String name, Path dir, UUID id, Image image, boolean readOnly,
      Closeable lock, boolean created, ContentStore store, LayerStore layers, List<Mount> mounts)
      throws IOException {
    RootFs root = RootFs.open(store, layers, image.manifestDigest().toString());
    Overlay overlay = Overlay.open(dir, id, readOnly, root, layers);
    FileTree files = overlay;
    if (!mounts.isEmpty()) {
      boolean volumes = false;
      for (Mount m : mounts) { // a loop: a fresh JVM spins a class for a lambda's first use
        volumes |= m.type() == Mount.Type.VOLUME;
      }
      // the record naming the volumes is written: a removal now refuses, or finished before
      try (VolumeLock mounting = volumes && !readOnly ? VolumeLock.acquire(store) : null) {
        files = MountedTree.open(overlay, mounts, new MountedTree.VolumeDirectories() {
          @Override
          public Path directory(String volume) throws IOException {
            return readOnly ? Volumes.dataDir(store, volume) : Volumes.create(store, volume);
          }

          @Override
          public Path fillMark(String volume) throws IOException {
            return Volumes.fillMark(store, volume);
          }

          @Override
          public Path generation(String volume) throws IOException {
            return Volumes.generationFile(store, volume);
          }
        });
      } catch (IOException | RuntimeException e) {
        overlay.close();
        throw e;
      }
    }
    return new Container(name, store, dir, image, readOnly, lock, created, overlay, files);
  }

  /**
   * Fails naming the container and the blob when its image's manifest or config is gone from
   * the store, as after a {@code umoci gc} that did not know the container: what is missing is
   * said plainly rather than as an unknown image.
   */
  private static void requireImageBlobs(ContentStore store, String name, ContainerRecord record)
      throws IOException {
    for (Digest blob : List.of(record.manifest(), record.config())) {
      if (!store.contains(blob)) {
        String what = blob.equals(record.manifest()) ? "manifest" : "config";
        throw new NoSuchFileException(store.blobPath(blob).toString(), null,
            "container " + name + " in store " + store.root() + " cannot be opened: the "
                + what + " " + blob + " of its image '" + record.image() + "' is missing from "
                + "the store (a tool that does not know layerfs' containers, such as umoci gc, "
                + "may have deleted it); `layerfs fsck` lists every blob it lacks");
      }
    }
  }

  /**
   * The canonical specs of {@code mounts}, to compare two lists as sets: strings, since a
   * record's {@code equals} and {@code hashCode} are bootstrapped through method handles the
   * first time (about 10 ms of a fresh JVM's open).
   */
  private static Set<String> specs(List<Mount> mounts) {
    Set<String> specs = new HashSet<>();
    for (Mount m : mounts) {
      specs.add(m.spec());
    }
    return specs;
  }

  /** Bind sources (a directory or a file) must exist: checked before a container is made. */
  private static void checkSources(List<Mount> mounts) throws IOException {
    for (Mount m : mounts) {
      if (m.type() == Mount.Type.TMPFS) {
        OptionalLibrary.JIMFS.require();
      }
      if (m.type() == Mount.Type.BIND) {
        Path source = Path.of(m.source());
        if (!Files.exists(source)) {
          throw new NoSuchFileException(m.source(), null,
              "bind source path does not exist: " + m.source() + " (mount " + m + ")");
        }
      }
    }
  }

  /** The names of the containers of {@code store}, sorted. */
  public static List<String> list(ContentStore store) throws IOException {
    return ContainerDirectory.list(store);
  }

  /**
   * Describes container {@code name} without opening it (no lock is taken).
   *
   * @throws NoSuchFileException if there is none of that name
   */
  public static ContainerInfo info(ContentStore store, String name) throws IOException {
    return ContainerDirectory.info(store, name);
  }

  /**
   * The mounts container {@code name} was created with, from its record (no lock is taken).
   *
   * @throws NoSuchFileException if there is none of that name
   */
  public static List<Mount> mounts(ContentStore store, String name) throws IOException {
    Path dir = existing(store, name);
    return Mount.parseAll(ContainerRecord.read(dir.resolve(JSON)).mounts());
  }

  /**
   * Removes a container and its writable layer.
   *
   * @throws NoSuchFileException if there is none of that name
   * @throws IOException if it is open, for writing or read-only, in this process or another
   */
  public static void remove(ContentStore store, String name) throws IOException {
    // under a lease: gc and image prune, which run while none is held in any process, never see
    // a removal under way, so gc can finish those a crash cut short (a removal leaves others'
    // alone: it cannot tell one cut short from one under way in another process)
    try (Lease lease = store.lease()) {
      ContainerDirectory.finish(store, ContainerDirectory.detach(store, name));
    }
  }

  /**
   * Checks container {@code name} on disk without opening it, for {@code layerfs fsck}: its
   * metadata log and snapshot, and each file's data file against its logged state.
   *
   * @return one sentence per problem, naming the file and the byte offset or the path inside
   *     the container; empty when the container is whole
   * @throws NoSuchFileException if there is no container of that name
   */
  public static List<String> check(ContentStore store, String name) throws IOException {
    Path dir = existing(store, name);
    return ContainerCheck.check(dir, recordedId(dir));
  }

  /** The id the container's record carries; null if none, or if the record does not read. */
  private static UUID recordedId(Path dir) {
    try {
      return ContainerRecord.read(dir.resolve(JSON)).id();
    } catch (IOException e) {
      return null; // the record's own problem is fsck's container check's to report
    }
  }

  /**
   * Repairs container {@code name} where that needs no guessing, under its lock (it must not be
   * open for writing): a metadata log corrupt at byte offset P is kept as {@code
   * meta.log.damaged-<UTC time>} and cut at P, dropping the changes logged from P on.
   *
   * @return what was done ("repaired: ...") and each problem left ("not repaired: ...")
   * @throws IOException if the container is open for writing
   */
  public static List<String> repair(ContentStore store, String name) throws IOException {
    Path dir = existing(store, name);
    try (ContainerLock lock = ContainerLock.acquire(dir, name)) {
      return ContainerCheck.repair(dir, recordedId(dir));
    }
  }

  private static Path existing(ContentStore store, String name) throws IOException {
    ContainerDirectory.checkName(name);
    Path dir = ContainerDirectory.containers(store).resolve(name);
    if (!Files.exists(dir.resolve(JSON))) {
      throw new NoSuchFileException(dir.toString(), null,
          "no container " + name + " in store " + store.root());
    }
    return dir;
  }

  /** Compacts the metadata into the snapshot and releases the lock; open handles stop working. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      files.close(); // the mounts, then the overlay
    } finally {
      if (lock != null) {
        lock.close();
      }
    }
  }

  public String name() {
    return name;
  }

  public Image image() {
    return image;
  }

  @Override
  public List<Layer> layers() {
    return image.layers();
  }

  @Override
  public boolean readOnly() {
    return readOnly;
  }

  /**
   * Whether this open made the container, as {@code docker create} does; false when it existed,
   * made a moment before by another process, say (the one {@code layerfs create} then refuses).
   */
  public boolean created() {
    return created;
  }

  /** Bytes written into data files since this container was opened (copied chunks included). */
  public long upperBytesWritten() {
    return overlay.upperBytesWritten();
  }

  // ------------------------------------------------------ files (the overlay's, or a mount's)

  /** The container's mounts, in the order given at creation. */
  @Override
  public List<Mount> mounts() {
    return files.mounts();
  }

  @Override
  public Mount mountOf(String absPath, boolean followLast) throws IOException {
    return files.mountOf(absPath, followLast);
  }

  @Override
  public java.nio.file.FileStore storeOf(Mount mount) throws IOException {
    return files.storeOf(mount);
  }

  @Override
  public java.nio.file.Path hostDirectory(String absDir) throws IOException {
    return files.hostDirectory(absDir);
  }

  /** Looks up an absolute path; symbolic links resolve chroot-style. */
  @Override
  public Node lookup(String absPath, boolean followLast) throws IOException {
    return files.lookup(absPath, followLast);
  }

  /** {@link #lookup}, but null for a missing path. */
  @Override
  public Node find(String absPath, boolean followLast) throws IOException {
    return files.find(absPath, followLast);
  }

  /** The sorted names in a directory. */
  @Override
  public List<String> list(String absDir) throws IOException {
    return files.list(absDir);
  }

  @Override
  public Listing listing(String absDir) throws IOException {
    return files.listing(absDir);
  }

  @Override
  public Listing listingToOpen(String absDir) throws IOException {
    return files.listingToOpen(absDir);
  }

  @Override
  public Node findChild(Listing dir, String name) throws IOException {
    return files.findChild(dir, name);
  }

  @Override
  public boolean current(Listing listing) throws IOException {
    return files.current(listing);
  }

  @Override
  public boolean stillFound(Listing listing, Node node) {
    return files.stillFound(listing, node);
  }

  /** Opens a file with the semantics of {@code FileChannel.open}; see {@link Overlay#open}. */
  @Override
  public FileHandle open(String absPath, Set<? extends OpenOption> options, int createMode)
      throws IOException {
    return files.open(absPath, options, createMode);
  }

  @Override
  public FileHandle openForReading(String absPath, boolean followLast) throws IOException {
    return files.openForReading(absPath, followLast);
  }

  @Override
  public java.nio.channels.SeekableByteChannel readChannel(String absPath) throws IOException {
    return files.readChannel(absPath);
  }

  @Override
  public void createDirectory(String absPath, int mode) throws IOException {
    files.createDirectory(absPath, mode);
  }

  @Override
  public void createSymbolicLink(String absLink, String target) throws IOException {
    files.createSymbolicLink(absLink, target);
  }

  @Override
  public void createLink(String absLink, String absExisting) throws IOException {
    files.createLink(absLink, absExisting);
  }

  @Override
  public void delete(String absPath) throws IOException {
    String last = dotName(absPath);
    if (last != null) {
      // rmdir(2) refuses these whatever they name, after it found them
      if (files.find(absPath, false) == null) {
        throw new NoSuchFileException(absPath);
      }
      throw last.equals(".")
          ? new java.nio.file.FileSystemException(absPath, null, "Invalid argument")
          : new java.nio.file.DirectoryNotEmptyException(absPath);
    }
    files.delete(absPath);
  }

  @Override
  public void move(String absSource, String absTarget, boolean replaceExisting)
      throws IOException {
    refuseDotNames(absSource, absTarget);
    files.move(absSource, absTarget, replaceExisting);
  }

  @Override
  public void move(String absSource, String absTarget, boolean replaceExisting, boolean rename)
      throws IOException {
    refuseDotNames(absSource, absTarget);
    files.move(absSource, absTarget, replaceExisting, rename);
  }

  /** rename(2) refuses a last name "." or ".." on either side (EBUSY), once it found the source. */
  private void refuseDotNames(String absSource, String absTarget) throws IOException {
    if (dotName(absSource) != null || dotName(absTarget) != null) {
      if (files.find(absSource, false) == null) {
        throw new NoSuchFileException(absSource);
      }
      throw new java.nio.file.FileSystemException(absSource, absTarget,
          "Device or resource busy");
    }
  }

  /**
   * The last name of {@code absPath} as given when it is "." or "..", which the trees below
   * would read as the directory it names; else null.
   */
  private static String dotName(String absPath) {
    int end = absPath.length();
    while (end > 1 && absPath.charAt(end - 1) == '/') {
      end--; // "a/./" names what "a/." names
    }
    String last = absPath.substring(absPath.lastIndexOf('/', end - 1) + 1, end);
    return last.equals(".") || last.equals("..") ? last : null;
  }

  @Override
  public void setMode(String absPath, boolean follow, int mode) throws IOException {
    files.setMode(absPath, follow, mode);
  }

  @Override
  public void setOwner(String absPath, boolean follow, int uid, int gid) throws IOException {
    files.setOwner(absPath, follow, uid, gid);
  }

  @Override
  public void setTimes(String absPath, boolean follow, long mtimeNanos, long atimeNanos)
      throws IOException {
    files.setTimes(absPath, follow, mtimeNanos, atimeNanos);
  }

  @Override
  public java.util.Map<String, byte[]> xattrs(String absPath, boolean follow)
      throws IOException {
    return files.xattrs(absPath, follow);
  }

  @Override
  public byte[] xattr(String absPath, boolean follow, String name) throws IOException {
    return files.xattr(absPath, follow, name);
  }

  @Override
  public void setXattr(String absPath, boolean follow, String name, byte[] value)
      throws IOException {
    files.setXattr(absPath, follow, name, value);
  }

  @Override
  public void removeXattr(String absPath, boolean follow, String name) throws IOException {
    files.removeXattr(absPath, follow, name);
  }

  // ------------------------------------------------------------------------------ images

  /** The container's changes against its image, as {@code docker diff} prints them. */
  public List<Change> diff() throws IOException {
    return overlay.diff();
  }

  /**
   * Writes the container's changes as a new layer on top of its image's layers and a new image,
   * tagged {@code tagOrNull} if given, else kept untagged in the store's index.json (found by
   * its digest, listed as {@code <none>}, kept by gc), as {@code docker commit} keeps a dangling
   * image (see {@link Overlay#commit}).
   */
  public Image commit(String tagOrNull, CommitOptions options, Progress progress)
      throws IOException {
    return overlay.commit(store, image, "layerfs commit " + name, tagOrNull, options, progress);
  }

  /**
   * Writes the container's merged file system to {@code out} as one tar, as {@code docker
   * export} does (see {@link Overlay#export}); {@code out} is not closed.
   */
  public void export(java.io.OutputStream out, Progress progress) throws IOException {
    overlay.export(out, progress);
  }

  /** The copy-on-write engine behind this container. */
  Overlay overlay() {
    return overlay;
  }

  @Override
  public String toString() {
    return "Container[" + name + " " + image.manifestDigest() + (readOnly ? " ro" : "") + "]";
  }
}
