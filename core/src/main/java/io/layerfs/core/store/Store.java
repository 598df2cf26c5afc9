package io.layerfs.core.store;

import io.layerfs.core.Compression;
import io.layerfs.core.ContainerInfo;
import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.FsckReport;
import io.layerfs.core.GcReport;
import io.layerfs.core.Image;
import io.layerfs.core.ImagePruneReport;
import io.layerfs.core.Layer;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.Mount;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.RangedBlob;
import io.layerfs.core.SignatureException;
import io.layerfs.core.SignatureInfo;
import io.layerfs.core.VolumePruneReport;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.ContainerRecord;
import io.layerfs.core.container.Volumes;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.core.content.ViewHold;
import io.layerfs.core.estargz.EStargzConversion;
import io.layerfs.core.estargz.EStargzReader;
import io.layerfs.core.fsck.Fsck;
import io.layerfs.core.gc.GarbageCollector;
import io.layerfs.core.image.ImagePrune;
import io.layerfs.core.image.ImagePruneFilter;
import io.layerfs.core.image.Images;
import io.layerfs.core.image.RootfsImport;
import io.layerfs.core.internal.OptionalLibrary;
import io.layerfs.core.lazy.LazyLayer;
import io.layerfs.core.lazy.LazyLayers;
import io.layerfs.core.lazy.LazyMerge;
import io.layerfs.core.oci.ImageManifest;
import io.layerfs.core.overlay.ImageFlattener;
import io.layerfs.core.registry.ImagePull;
import io.layerfs.core.registry.ImagePush;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.registry.Reference;
import io.layerfs.core.registry.RegistryClient;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.core.registry.RemoteImage;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import io.layerfs.core.signing.SignatureStore;
import io.layerfs.core.signing.SimpleSigning;
import io.layerfs.core.transfer.ImageTransfer;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The entry point: one store (an OCI image layout with layerfs's state under {@code layerfs/})
 * and everything done with it: images, containers, volumes, transfers, gc, fsck and signatures.
 *
 * <pre>{@code
 * try (Store store = Store.open(Path.of("/var/lib/layerfs"));
 *     Container web = store.container("web", "debian:12", false)) {
 *   web.open("/etc/motd", Set.of(WRITE, CREATE), 0644);
 * }
 * }</pre>
 *
 * <p>Thread safety: any number of threads. Close the store after the containers and views opened
 * through it: it owns the open layer blobs they read.
 */
public final class Store implements Closeable {
  private final ContentStore content;
  /** Made on first use: commands that never read a layer load no index cache. */
  private LayerStore layers;
  private LazyLayers lazy;
  // background fetches still running; stopped before the layers they write to close
  private final Set<BackgroundFetch> fetches = ConcurrentHashMap.newKeySet();
  /** The registry clients lazy layers read through: closed with the store, after the layers. */
  private final List<RegistryClient> lazyClients = new ArrayList<>();
  private boolean closed;

  private Store(ContentStore content) {
    this.content = content;
  }

  /**
   * Opens the store in {@code dir}, creating an empty OCI layout there if there is none, with
   * the default {@link Limits} as the {@code layerfs.limit.*} system properties change them.
   */
  public static Store open(Path dir) throws IOException {
    return open(dir, Limits.fromSystemProperties());
  }

  /**
   * Opens the store in {@code dir} as {@link #open(Path)} does, bounding what it reads of
   * untrusted images (tar headers, paths, entries, inflated bytes, JSON) by {@code limits}.
   */
  public static Store open(Path dir, Limits limits) throws IOException {
    return new Store(ContentStore.open(dir, limits));
  }

  /** The bounds this store puts on untrusted images. */
  public Limits limits() {
    return content.limits();
  }

  /** The store's directory. */
  public Path root() {
    return content.root();
  }

  // ---------------------------------------------------------------------------------- images

  /** The tags of {@code index.json}, sorted. */
  public List<String> tags() throws IOException {
    return content.tags();
  }

  /** The image a tag or manifest digest names (an image index picks linux/amd64). */
  public Image image(String ref) throws IOException {
    return Images.resolve(content, ref);
  }

  /**
   * The digest of what {@code ref} names before a platform is picked: the index.json entry of a
   * tag or image ID (an image index stays an index), or the manifest a digest names, as {@code
   * docker rmi ID} finds the image whose tags it removes.
   */
  public Digest target(String ref) throws IOException {
    return Images.resolveTarget(content, ref);
  }

  /**
   * The bytes of {@code image}'s config blob (OCI image config or Docker container image JSON),
   * checked against its digest, as {@code docker image inspect} reads {@code Config} from it.
   *
   * @throws IOException if the blob is missing, larger than {@link Limits#jsonBytes()} or does
   *     not match its digest
   */
  public byte[] imageConfig(Image image) throws IOException {
    return content.readJson(image.configDigest());
  }

  /**
   * The bytes of {@code layer}'s uncompressed tar, as {@code docker images} counts an image's
   * size, when the store knows it without inflating anything: an uncompressed layer's own size,
   * or the size of the uncompressed blob kept once the layer was first read. Empty for a
   * compressed layer no view has read yet (its DiffID gives no size, and the compressed blob
   * would have to be inflated to tell).
   */
  public OptionalLong unpackedSize(Layer layer) throws IOException {
    if (layer.digest().equals(layer.diffId())) {
      return OptionalLong.of(layer.size());
    }
    Path unpacked = content.blobPath(layer.diffId());
    try {
      return OptionalLong.of(Files.size(unpacked));
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * Tags what {@code ref} names as {@code tag}, as {@code docker tag} does: the target of tag
   * {@code ref} itself (an image index stays an index; so does an image ID or {@code NAME} for
   * {@code NAME:latest}), else the manifest a digest names. A tag of that name already there
   * moves; the image it leaves stays untagged (see {@link #untaggedImages}) unless another tag
   * names it, as docker keeps it dangling. An untagged image so tagged is untagged no more: as
   * with docker, removing its last tag then leaves it to {@link #gc}, unless a container uses it.
   *
   * @throws IllegalArgumentException if {@code tag} is no name Docker would take ({@code
   *     [HOST[:PORT]/]NAME[:TAG]}, NAME in lower case), naming the part that is wrong
   */
  public void tag(String ref, String tag) throws IOException {
    ContentStore.checkTag(tag);
    content.tag(tag, Images.resolveTarget(content, ref));
  }

  /**
   * The images index.json holds without a tag (no entry with a tag holds them either), by
   * manifest (or image index) digest, in file order: what {@code docker images} lists as {@code
   * <none>}, such as an image imported from a docker-archive without RepoTags, or one whose last
   * tag a tag, pull, import or commit moved to another image. {@link #image}
   * finds each by its digest.
   */
  public List<Digest> untaggedImages() throws IOException {
    return content.readIndex().untagged();
  }

  /**
   * Removes the untagged index.json entries of {@code digest} (see {@link #untaggedImages}); its
   * blobs stay until {@link #gc}. False if there was none.
   */
  public boolean removeUntagged(Digest digest) throws IOException {
    return content.forgetUntagged(digest);
  }

  /**
   * Keeps the stored image {@code manifest} (or image index) in index.json without a tag, unless
   * an entry already holds it: listed as {@code <none>}, found by its digest or ID, kept by
   * {@link #gc} (as docker keeps the image of a container whose last tag a forced {@code rmi}
   * took).
   */
  public void keepUntagged(Digest manifest) throws IOException {
    content.keepUntagged(manifest);
  }

  /**
   * Removes the images no container uses, as {@code docker image prune} does: the dangling ones
   * ({@link #untaggedImages}), or with {@code all} every one, tags included (as {@code docker
   * image prune -a}). A container uses the image its record names and index.json holds for it;
   * an image index is used when a manifest it lists is. With {@code all}, a used image loses the
   * tags no container was created by and stays (dangling if none is left), as docker's
   * containerd image store prunes every other name. What their removal alone made
   * unreachable is deleted at once, as {@link #gc} would delete it, and nothing else (older
   * garbage stays for gc). Safe against containers created meanwhile, here or in another
   * process: it runs while no ingest lease is held, as gc does, and creation holds one.
   *
   * @throws IOException if a container's record cannot be read (which image it uses is unknown:
   *     nothing is removed), index.json cannot be read or written, or imports still run after
   *     a minute
   * @throws IllegalStateException if the calling thread holds an ingest lease
   */
  public ImagePruneReport pruneImages(boolean all) throws IOException {
    return pruneImages(all, ImagePruneFilter.NONE);
  }

  /**
   * {@link #pruneImages(boolean)} of the images {@code filter} admits, as {@code docker image
   * prune --filter} (see {@link ImagePruneFilter}).
   */
  public ImagePruneReport pruneImages(boolean all, ImagePruneFilter filter) throws IOException {
    synchronized (this) {
      if (lazy != null) {
        lazy.saveRanges(); // as gc: the report counts what this process's lazy layers hold
      }
    }
    return ImagePrune.prune(content, all, filter);
  }

  /** Removes a tag; the image's blobs stay until {@link #gc}. False if there was none. */
  public boolean untag(String tag) throws IOException {
    return content.untag(tag);
  }

  /**
   * Imports an image from a transport as skopeo names it ({@code oci:DIR[:TAG]},
   * {@code oci-archive:FILE[:TAG]}, {@code docker-archive:FILE[:REF]}); returns the tags made,
   * and the digest ({@code sha256:...}) of an image that came without a name, kept untagged.
   */
  public List<String> importImage(String source, String tagOrNull, Progress progress)
      throws IOException {
    return ImageTransfer.importImage(content, source, tagOrNull, progress);
  }

  /** As {@link #importImage(String, String, Progress)}, {@code docker://REF} with options. */
  public List<String> importImage(String source, String tagOrNull, RegistryOptions registry,
      Progress progress) throws IOException {
    return ImageTransfer.importImage(content, source, tagOrNull, registry, progress);
  }

  /** Exports an image to a transport as skopeo names it. */
  public void exportImage(String ref, String destination, Progress progress) throws IOException {
    ImageTransfer.exportImage(content, layers(), ref, destination, progress);
  }

  /** As {@link #exportImage(String, String, Progress)}, {@code docker://REF} with options. */
  public void exportImage(String ref, String destination, RegistryOptions registry,
      Progress progress) throws IOException {
    ImageTransfer.exportImage(content, layers(), ref, destination, registry, progress);
  }

  /**
   * Pulls an image from a registry ({@code layerfs pull}): what the store lacks is fetched,
   * verified, and the image tagged {@link Reference#storeTag()} (see {@link ImagePull}).
   *
   * @param reference a Docker reference, {@code docker://} in front or not
   * @throws IllegalArgumentException for a bad reference, naming it
   */
  public ImagePull.Result pull(String reference, RegistryOptions options, Platform platform,
      Progress progress) throws IOException {
    Reference parsed = Reference.parse(reference);
    try (RegistryClient client = new RegistryClient(options, content.limits())) {
      return ImagePull.pull(content, client, parsed, platform, null, progress);
    }
  }

  /**
   * As {@link #pull(String, RegistryOptions, Platform, Progress)}, through {@code client}, which
   * the caller made (a client serves any number of pulls, and keeps the registries' tokens) and
   * closes.
   */
  public ImagePull.Result pull(String reference, RegistryClient client, Platform platform,
      Progress progress) throws IOException {
    return ImagePull.pull(content, client, Reference.parse(reference), platform, null, progress);
  }

  /**
   * Whether the store holds {@code image} (a tag, a digest or image ID it has, or a name with
   * {@code :latest} left out), as {@link #imageOrPull} finds it without a registry.
   */
  public boolean holdsImage(String image) throws IOException {
    return Images.isKnown(content, image);
  }

  /**
   * The store's name for {@code image}, pulled first when the store lacks it and it is a
   * registry reference: {@code image} itself when the store knows it (a tag or digest), else the
   * tag a pull gives it ({@link Reference#storeTag()}) when that is in the store, else that tag
   * after pulling it (for linux/amd64). What the provider's env {@code image} goes through. A
   * digest or image ID ({@code sha256:…}) the store lacks is never pulled.
   *
   * @throws IOException when the store lacks the image and it is no reference or the pull fails;
   *     the message says both
   */
  public String imageOrPull(String image, RegistryOptions options, Progress progress)
      throws IOException {
    if (holdsImage(image)) {
      return image;
    }
    if (image.startsWith("sha256:") || image.startsWith("sha512:")) {
      // a digest or image ID names an image of this store; as a registry reference it would be
      // repository "sha256" of Docker Hub
      return image;
    }
    Reference reference;
    try {
      reference = Reference.parse(image);
    } catch (IllegalArgumentException e) {
      return image; // not a registry reference: opening it reports the missing tag
    }
    String tag = reference.storeTag();
    if (Images.isKnown(content, tag)) {
      return tag;
    }
    try (RegistryClient client = new RegistryClient(options, content.limits())) {
      return ImagePull.pull(content, client, reference, Platform.DEFAULT, null, progress).tag();
    } catch (IOException e) {
      String missing;
      try {
        Images.resolve(content, image);
        missing = "no image '" + image + "' in store " + content.root();
      } catch (IOException notFound) {
        missing = notFound.getMessage(); // names the tags the store has
      }
      throw new IOException(missing + "; pulling " + reference + " failed: " + e.getMessage(),
          e);
    }
  }

  /** Pushes image {@code ref} of the store to a registry reference (see {@link ImagePush}). */
  public ImagePush.Result push(String ref, String reference, RegistryOptions options,
      Progress progress) throws IOException {
    Reference parsed = Reference.parse(reference);
    try (RegistryClient client = new RegistryClient(options, content.limits())) {
      return ImagePush.push(content, client, ref, parsed, progress);
    }
  }

  /**
   * True when {@code file} is a tar, plain or compressed (gzip, bzip2, xz, zstd), as the image
   * archives {@link #importArchive} reads are.
   */
  public static boolean isArchive(Path file) throws IOException {
    return ImageTransfer.isArchive(file);
  }

  /**
   * How {@code file} is compressed, told by its first bytes: {@code gzip}, {@code bzip2}, {@code
   * xz} or {@code zstd}, the compressions {@code docker load} reads; null for none of them.
   */
  public static String compression(Path file) throws IOException {
    return ImageTransfer.compression(file);
  }

  /**
   * True when {@code file} is a tar holding an image index (a docker-archive or an OCI archive),
   * not a file system's tar (see {@link #importRootfs}).
   */
  public static boolean isImageArchive(Path file) throws IOException {
    return ImageTransfer.isImageArchive(file);
  }

  /** As {@link #isImageArchive(Path)}; {@code name} names the file in errors (a cut tar). */
  public static boolean isImageArchive(Path file, String name) throws IOException {
    return ImageTransfer.isImageArchive(file, name);
  }

  /**
   * Imports every image of an OCI archive, a docker-archive or an OCI layout directory; returns
   * the tags made (and, for an image without a name, kept untagged, its digest).
   */
  public List<String> importArchive(Path file, Progress progress) throws IOException {
    return ImageTransfer.importArchive(file, content, progress);
  }

  /** As {@link #importArchive(Path, Progress)}; {@code name} names the archive in errors. */
  public List<String> importArchive(Path file, String name, Progress progress)
      throws IOException {
    return ImageTransfer.importArchive(file, name, content, progress);
  }

  /**
   * Copies {@code in} to its end into a new file of the store's temp folder ({@code
   * layerfs/tmp}, which {@link #gc} clears of files older than an hour) and returns it; the
   * caller deletes it. For input read more than once, such as standard input whose kind is known
   * only once it was read. Decompressed on the way when it is gzip, bzip2, xz or zstd (see
   * {@link #compression}), so that a compressed archive is decompressed once. {@code name} names
   * the input in errors. It may inflate as far as the store's {@link #limits} let a layer.
   *
   * @throws IOException naming {@code name} if the compressed stream is cut short or damaged,
   *     or the temp file if it cannot be written (a full disk); the temp file is removed then
   * @throws LimitException if it inflates past the {@code inflateRatio} limit
   * @throws OptionalLibrary.Missing for zstd or xz without the library that reads it
   */
  public Path spoolDecompressed(InputStream in, String name) throws IOException {
    return spoolDecompressed(in, name, -1, Progress.NONE);
  }

  /**
   * {@link #spoolDecompressed(InputStream, String)}, the bytes it reads reported to {@code
   * progress} as one step ("decompress NAME", or "read NAME" for a plain input) of {@code size}
   * bytes (-1 when unknown).
   */
  public Path spoolDecompressed(InputStream in, String name, long size, Progress progress)
      throws IOException {
    return ImageTransfer.spoolDecompressed(in, name, size, content, progress);
  }

  /**
   * Makes an image of one layer from a file system tar read from {@code in} (plain or
   * compressed), as {@code docker import} does with what {@code docker export} writes, and tags
   * it {@code tag}; {@code source} names the tar in errors and in the image's history.
   *
   * @throws LimitException naming {@code source} if it is compressed and inflates past the
   *     {@code inflateRatio} limit (see {@link #limits}), as an archive or a layer would; nothing
   *     is tagged then
   */
  public Image importRootfs(InputStream in, String source, String tag) throws IOException {
    return RootfsImport.importTar(content, in, source, tag, Instant.now());
  }

  /**
   * Squashes an image into one layer (old history kept, marked {@code empty_layer}), tagged
   * {@code tagOrNull}, or kept untagged without it (see {@link #untaggedImages}).
   */
  public Image flatten(String ref, String tagOrNull, Compression compression, Progress progress)
      throws IOException {
    return ImageFlattener.flatten(content, layers(), ref, tagOrNull, compression, progress);
  }

  /**
   * Converts an image's layers to eStargz (see {@link EStargzConversion}) and tags the new image
   * {@code tag}; the files, config and history stay, the layer digests and DiffIDs are new.
   */
  public Image convertToEStargz(String ref, String tag, Progress progress) throws IOException {
    return EStargzConversion.convert(content, ref, tag, progress);
  }

  // ------------------------------------------------------------------------------ lazy reads

  /**
   * Reads the layers of image {@code ref} (whose manifest and config are in the store, its layer
   * blobs not) from {@code remote} from now on, as containers and views of it need them: an
   * eStargz layer (its descriptor has the {@code containerd.io/snapshot/stargz/toc.digest}
   * annotation) by its TOC and chunks, a plain gzip one fetched whole on first use. Fetched
   * ranges are kept under {@code layerfs/lazy/} and verified as the package documentation of
   * {@code io.layerfs.core.lazy} says. Layers the store holds already are not attached.
   *
   * @param remote the remote blob of each layer, by its descriptor
   * @return the layers attached
   */
  public List<Layer> attachLazy(String ref, Function<Layer, RangedBlob> remote)
      throws IOException {
    return attachLazy(ref, remote, null);
  }

  private List<Layer> attachLazy(String ref, Function<Layer, RangedBlob> remote,
      String originOrNull) throws IOException {
    Image image = image(ref);
    ImageManifest manifest = ImageManifest.parse(
        content.readJson(image.manifestDigest()),
        "manifest " + image.manifestDigest());
    List<Layer> attached = new ArrayList<>();
    LazyLayers lazyLayers = lazyLayers();
    for (int i = 0; i < image.layers().size(); i++) {
      Layer layer = image.layers().get(i);
      if (content.contains(layer.digest()) || content.contains(layer.diffId())) {
        continue;
      }
      if (lazyLayers.get(layer.digest()) != null) {
        attached.add(layer); // attached before, reading through the remote it was given then
        continue;
      }
      String toc = manifest.layers().get(i).annotations()
          .get(EStargzReader.TOC_DIGEST_ANNOTATION);
      Digest tocDigest;
      try {
        tocDigest = toc == null ? null : Digest.parse(toc);
      } catch (IllegalArgumentException e) {
        throw new IOException("layer " + layer.digest() + " of image " + ref + " has a bad "
            + EStargzReader.TOC_DIGEST_ANNOTATION + " '" + toc + "'");
      }
      lazyLayers.attach(layer, remote.apply(layer), tocDigest, originOrNull);
      attached.add(layer);
    }
    return attached;
  }

  /**
   * The store's name for registry image {@code image}, opened lazily (the provider's env {@code
   * lazy}, {@code layerfs create --lazy}): when the store lacks the image, one manifest request
   * resolves it (linux/amd64 from an image index), its manifest and config are stored verified
   * and tagged {@link Reference#storeTag()}, as a pull would; then every layer the store lacks
   * is attached to its registry blob ({@link #attachLazy}), without a request. Complete it with
   * {@link #completeLazy} or {@code layerfs pull} of the same reference.
   *
   * @param image a registry reference, or a tag or digest the store has whole
   * @throws IOException when the store lacks the image and it is no registry reference, or the
   *     registry cannot be reached; naming the image
   */
  public String lazyImage(String image, RegistryOptions options) throws IOException {
    Reference reference;
    try {
      reference = Reference.parse(image);
    } catch (IllegalArgumentException e) {
      if (Images.isKnown(content, image)) {
        return image; // a local image: nothing to read lazily
      }
      throw new IOException("a lazy image must be a registry reference or an image of store "
          + root() + ", and '" + image + "' is neither: " + e.getMessage(), e);
    }
    String tag = Images.isKnown(content, image) ? image : reference.storeTag();
    RegistryClient client = new RegistryClient(options, content.limits());
    if (!Images.isKnown(content, tag)) {
      try {
        RemoteImage remote = client.resolve(reference, Platform.DEFAULT);
        try (Lease lease = content.lease()) {
          content.ingest(new ByteArrayInputStream(remote.configBytes()),
              remote.config().digest(), remote.configBytes().length);
          content.ingest(new ByteArrayInputStream(remote.manifestBytes()),
              remote.manifestDigest(), remote.manifestBytes().length);
          content.tag(tag, remote.manifestDigest());
        }
      } catch (IOException | RuntimeException | Error e) {
        client.close();
        throw e;
      }
    }
    attachThrough(tag, client, reference, lazyOrigin(reference, options), null);
    return tag;
  }

  /**
   * Attaches the layers of {@code ref} the store lacks to their blobs of {@code reference},
   * read through {@code client}: kept until the store closes when a layer reads through it,
   * closed at once otherwise (their layers were attached before, or attaching failed), stopping
   * its HTTP client's thread. {@code recordedInOrNull}: the origin file {@code reference} was
   * read from, for errors.
   */
  private void attachThrough(String ref, RegistryClient client, Reference reference,
      String origin, Path recordedInOrNull) throws IOException {
    boolean[] used = {false};
    try {
      attachLazy(ref, layer -> {
        used[0] = true;
        return new RegistryBlob(client, reference, layer, recordedInOrNull);
      }, origin);
    } finally {
      keepOrClose(client, used[0]);
    }
  }

  private void keepOrClose(RegistryClient client, boolean used) {
    synchronized (this) {
      if (used && !closed) {
        lazyClients.add(client);
        return;
      }
    }
    client.close();
  }

  /**
   * Attaches again, in this process, the layers of {@code ref} that a {@link #lazyImage} left
   * partial (their folders say which registry reference), so a lazy container or image opens in
   * any process: credentials come from the Docker config as for a pull.
   */
  private void reattachLazy(String ref) throws IOException {
    // one stat when the store has no lazy state, rather than resolving the image on every open
    if (ref == null || !Files.isDirectory(LazyLayers.root(content))
        || !Images.isKnown(content, ref)) {
      return;
    }
    for (Layer layer : image(ref).layers()) {
      if (content.contains(layer.digest()) || content.contains(layer.diffId())
          || lazyLayers().get(layer.digest()) != null) {
        continue;
      }
      Path file = LazyLayers.originFile(content, layer.digest());
      String what = "lazily read layer " + layer.digest() + " of image " + ref;
      String origin;
      try {
        origin = LazyLayers.origin(content, layer.digest());
      } catch (IOException e) {
        throw new IOException(what + ": its recorded origin " + file + " does not read ("
            + e.getMessage() + "); pull the image to read it whole", e);
      }
      if (origin == null) {
        continue;
      }
      Reference reference;
      try {
        reference = Reference.parse(origin.split("\n", 2)[0]);
      } catch (IllegalArgumentException e) {
        throw new IOException(what + ": its recorded origin " + file + " does not parse ("
            + e.getMessage() + "); pull the image to read it whole", e);
      }
      RegistryClient client = new RegistryClient(originOptions(origin), content.limits());
      try {
        attachThrough(ref, client, reference, origin, file);
      } catch (IOException e) {
        throw new IOException(what + ": attaching it again to " + reference + ", as its "
            + "recorded origin " + file + " says, failed: " + e.getMessage(), e);
      }
      return;
    }
  }

  /**
   * What a lazy layer's folder records of its registry blob, a line each: the reference, then
   * {@code tlsVerify=BOOLEAN}, then {@code loopbackHttp=false} when HTTPS was required of a
   * loopback registry too (an explicit {@code --tls-verify=true}), so that another process
   * reading on never speaks plain HTTP where the user forbade it ({@link #originOptions}); then
   * {@code registriesConf=PATH} when a registries.conf was given by name, so that it reads from
   * the same mirrors.
   */
  static String lazyOrigin(Reference reference, RegistryOptions options) {
    return reference + "\n" + "tlsVerify=" + options.tlsVerify() + "\n"
        + (options.tlsVerify() && !options.loopbackHttp() ? "loopbackHttp=false\n" : "")
        + (options.registriesConfOrNull() == null ? ""
            : "registriesConf=" + options.registriesConfOrNull().toAbsolutePath() + "\n");
  }

  /** The registry options {@code origin} (see {@link #lazyOrigin}) asks for; older ones too. */
  static RegistryOptions originOptions(String origin) {
    RegistryOptions options = RegistryOptions.defaults();
    String[] lines = origin.split("\n");
    for (int i = 1; i < lines.length; i++) { // line 0 is the reference
      if (lines[i].equals("tlsVerify=false")) {
        options = options.withTlsVerify(false);
      } else if (lines[i].equals("loopbackHttp=false")) {
        options = options.withLoopbackHttp(false);
      } else if (lines[i].startsWith("registriesConf=")) {
        options = options.withRegistriesConf(
            Path.of(lines[i].substring("registriesConf=".length())));
      }
    }
    return options;
  }

  /**
   * Fetches what the store still lacks of image {@code ref}'s lazily read layers, verifies each
   * against its digest and stores it as a blob: after this the image is complete, as after a
   * pull, and its lazy state is gone. Views already open keep working.
   */
  public void completeLazy(String ref) throws IOException {
    reattachLazy(ref);
    for (Layer layer : image(ref).layers()) {
      if (!content.contains(layer.digest()) && !content.contains(layer.diffId())) {
        lazyLayers().complete(layer.digest());
      }
    }
  }

  /**
   * Starts {@link #completeLazy} of image {@code ref} on one daemon thread and returns at once
   * (the provider's env {@code lazy} {@code "background"}; containerd's stargz-snapshotter calls
   * it background fetch). Reads keep working meanwhile: they wait at most for one fetch step of
   * the layer they read, and what they read is verified as before. Each layer is stored, as after
   * a pull, only once its whole blob matched its digest. Close the returned fetch (or the store)
   * to stop it: what was fetched stays for a later completion.
   *
   * @throws IOException when the image is not in the store or its lazy layers cannot be attached
   *     again in this process
   */
  public BackgroundFetch completeLazyInBackground(String ref) throws IOException {
    reattachLazy(ref);
    List<Digest> missing = new ArrayList<>();
    for (Layer layer : image(ref).layers()) {
      if (!content.contains(layer.digest()) && !content.contains(layer.diffId())) {
        missing.add(layer.digest());
      }
    }
    synchronized (this) {
      LazyLayers lazyLayers = lazyLayers();
      BackgroundFetch fetch = BackgroundFetch.start(lazyLayers, missing, ref, fetches::remove);
      fetches.add(fetch);
      return fetch;
    }
  }

  /**
   * Reads one file of an image whose plain gzip layers are attached lazily ({@link #attachLazy}),
   * inflating each layer only as far as the file ({@code LazyLayers.readFile}): the top layer is
   * searched first, and a lower one only once the upper ones are read whole and neither hold
   * the path nor hide it (a whiteout, an opaque directory, a file or link on the way); links
   * anywhere on the path are followed, as a view of the image follows them. Unlike a view, this
   * needs no index of the layer that has the file, so nothing is read past it. A tar that names
   * the path twice gives its first entry here (a view gives the last). An image with a layer
   * the store holds whole or reads as eStargz is read through a view, which reads those layers
   * by their index or TOC (and fetches any other plain gzip layer whole).
   *
   * @return the file's bytes, or null if the image has no file there
   */
  public byte[] readLazily(String ref, String absPath) throws IOException {
    reattachLazy(ref);
    List<Layer> layers = image(ref).layers();
    if (lazyLayers().searchable(layers)) {
      try {
        return lazyLayers().readFile(layers, absPath, "image " + ref);
      } catch (LazyMerge.CannotTell e) {
        // a "." or ".." after a link: resolved in the view's tree, as below
      }
    }
    // a layer the store holds whole, or an eStargz one: a view reads those by their index
    try (FileTree view = view(ref)) {
      Node node = view.lookup(absPath, true);
      if (!node.isRegularFile()) {
        throw new FileSystemException(absPath, null,
            node.isDirectory() ? "Is a directory" : "not a regular file");
      }
      return readWhole(view, ref, absPath);
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      if ("Not a directory".equals(e.getReason())) {
        return null;
      }
      throw e;
    }
  }

  private static byte[] readWhole(FileTree view, String ref, String absPath) throws IOException {
    try (FileHandle file = view.open(absPath, Set.of(), 0)) {
      if (file.size() > Integer.MAX_VALUE - 8) {
        throw new IOException(absPath + " of image " + ref + " is too large to read at once ("
            + file.size() + " bytes)");
      }
      ByteBuffer bytes = ByteBuffer.allocate((int) file.size());
      while (bytes.hasRemaining() && file.read(bytes, bytes.position()) >= 0) {
        // until the size read, or the end
      }
      return bytes.position() == bytes.capacity() ? bytes.array()
          : Arrays.copyOf(bytes.array(), bytes.position());
    }
  }

  /**
   * The lazy merge of image {@code ref}'s layers ({@code LazyMerge}), for lookups by path that a
   * view of the image would answer, without fetching any layer whole: when every layer is a
   * plain gzip layer attached lazily ({@link #attachLazy}, {@link #lazyImage}); null when a
   * layer is held whole or read as eStargz (a view reads those by their index or TOC).
   */
  public LazyMerge lazyMerge(String ref) throws IOException {
    if (!Files.isDirectory(LazyLayers.root(content))) {
      return null; // one stat: a store that never attached a layer lazily has none
    }
    reattachLazy(ref);
    List<Layer> layers = image(ref).layers();
    boolean partial = false;
    for (Layer layer : layers) {
      partial |= !content.contains(layer.digest()) && !content.contains(layer.diffId());
    }
    return partial && lazyLayers().searchable(layers)
        ? lazyLayers().merge(layers, "image " + ref) : null;
  }

  /**
   * The image of container {@code name}, as its manifest digest, when a read-only open of the
   * container may read it lazily ({@link #lazyMerge}): the store holds lazily attached layers,
   * and the container has no writable layer yet and no mounts, so a snapshot of it is its image.
   * Null otherwise (also for no such container).
   */
  public String lazyContainerImage(String name) throws IOException {
    if (!Files.isDirectory(LazyLayers.root(content)) || !hasContainer(name)) {
      return null; // one stat for a store that never attached a layer lazily
    }
    Path dir = ContainerDirectory.containers(content).resolve(name);
    if (ContainerDirectory.hasWritableLayer(dir)) {
      return null;
    }
    // the record once: containerInfo would also sum the writable layer's files
    ContainerRecord record = ContainerRecord.read(dir.resolve(ContainerDirectory.JSON));
    boolean mounts = record.mounts() != null && !record.mounts().isEmpty();
    return mounts ? null : record.manifest().toString();
  }

  /** Bytes fetched from remote blobs by this store's lazy layers since they were attached. */
  public long lazyFetchedBytes() {
    long n = 0;
    for (LazyLayer l : lazyLayers().all()) {
      n += l.fetchedBytes();
    }
    return n;
  }

  private synchronized LazyLayers lazyLayers() {
    layers();
    return lazy;
  }

  /**
   * A read-only view of an image: its layers merged, its image held from gc in any process until
   * the view closes ({@link #holdImage}).
   */
  public FileTree view(String ref) throws IOException {
    reattachLazy(ref);
    return heldView(ref);
  }

  /**
   * Keeps image {@code ref} from gc, in this process and others, until the result is closed, as
   * every view this store opens keeps its own ({@link ViewHold}); nothing is held in a store this
   * process cannot write, where gc cannot run either.
   */
  public Closeable holdImage(String ref) throws IOException {
    return hold(ref).hold();
  }

  /** A view of {@code ref} whose image is held until it closes. */
  private RootFs heldView(String ref) throws IOException {
    Held held = hold(ref);
    try {
      return RootFs.open(layers(), held.image(), held.hold());
    } catch (IOException | RuntimeException e) {
      held.hold().close();
      throw e;
    }
  }

  private record Held(Image image, ViewHold hold) {}

  /**
   * Resolves {@code ref} and holds its image, under a lease: no gc runs between the two. Where
   * the lease cannot be taken (its lock file damaged, which fsck reports), gc cannot run either:
   * the view opens without a hold rather than not at all.
   */
  private Held hold(String ref) throws IOException {
    Path state = content.stateDir();
    Lease taken = ViewHold.possible(state) ? leaseIfGated() : null;
    if (taken == null) {
      return new Held(Images.resolveRemembered(content, ref), ViewHold.none());
    }
    try (Lease lease = taken) {
      Image image = Images.resolveRemembered(content, ref);
      return new Held(image, ViewHold.take(state, image.manifestDigest()));
    }
  }

  /** A lease, or null where its lock file does not open: no gate, so no gc either. */
  private Lease leaseIfGated() throws IOException {
    try {
      return content.lease();
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      return null;
    }
  }

  // ------------------------------------------------------------------------------ containers

  /**
   * Opens container {@code name}, creating it from {@code imageOrNull} on first use (see {@link
   * Container#open}).
   */
  public Container container(String name, String imageOrNull, boolean readOnly)
      throws IOException {
    return container(name, imageOrNull, readOnly, null);
  }

  /**
   * {@link #container(String, String, boolean)} with mounts, {@code docker run --mount} specs
   * (see {@link Container#open(ContentStore, LayerStore, String, String, boolean, List)}).
   */
  public Container container(String name, String imageOrNull, boolean readOnly,
      List<String> mountSpecsOrNull) throws IOException {
    reattachFor(name, imageOrNull);
    return Container.open(content, layers(), name, imageOrNull, readOnly, mountSpecsOrNull);
  }

  /**
   * Container {@code name} for writing, without mounts, opened up to its tree ({@link
   * Container#prepare}): created from {@code imageOrNull} on first use, locked, checked; {@code
   * Prepared.build} opens the tree.
   */
  public Container.Prepared prepareContainer(String name, String imageOrNull)
      throws IOException {
    reattachFor(name, imageOrNull);
    return Container.prepare(content, layers(), name, imageOrNull, false, null);
  }

  /** A lazy container another process created reads through its registry here too. */
  private void reattachFor(String name, String imageOrNull) throws IOException {
    if (imageOrNull != null) {
      reattachLazy(imageOrNull);
    } else if (Files.isDirectory(LazyLayers.root(content)) && hasContainer(name)) {
      reattachLazy(containerInfo(name).image());
    }
  }

  /**
   * Opens what {@code layerfs://NAME} names: container {@code name}, created from {@code
   * imageOrNull} on first use; with {@code readOnly} and no such container, a read-only view of
   * {@code imageOrNull}. With {@code signedByOrNull} (a public key file as {@code gpg --export}
   * writes it), the image must carry a stored signature that verifies with it, checked before
   * anything is created, and the open fails if the tag moved meanwhile.
   */
  public FileTree open(String name, String imageOrNull, boolean readOnly, Path signedByOrNull,
      String identityOrNull) throws IOException {
    return open(name, imageOrNull, readOnly, null, signedByOrNull, identityOrNull);
  }

  /** {@link #open(String, String, boolean, Path, String)} with a container's mounts. */
  public FileTree open(String name, String imageOrNull, boolean readOnly,
      List<String> mountSpecsOrNull, Path signedByOrNull, String identityOrNull)
      throws IOException {
    if (mountSpecsOrNull != null) {
      Mount.parseAll(mountSpecsOrNull); // bad specs before any signature or image work
    }
    boolean exists = hasContainer(name);
    Digest verified = null;
    if (signedByOrNull != null && (exists || imageOrNull != null)) {
      verified = exists ? containerInfo(name).manifest()
          : Images.resolve(content, imageOrNull).manifestDigest();
      OptionalLibrary.BOUNCY_CASTLE.require();
      SimpleSigning.requireSigned(content, verified, signedByOrNull, identityOrNull);
    }
    if (readOnly && !exists) {
      if (mountSpecsOrNull != null && !mountSpecsOrNull.isEmpty()) {
        throw new IllegalArgumentException("container '" + name + "' does not exist in store "
            + root() + ": a read-only view of an image has no mounts");
      }
      if (imageOrNull == null) {
        throw new IllegalArgumentException("container '" + name + "' does not exist in store "
            + root() + "; give env key 'image' to view an image");
      }
      reattachLazy(imageOrNull);
      return heldView(verified != null ? verified.toString() : imageOrNull);
    }
    Container container = container(name, imageOrNull, readOnly, mountSpecsOrNull);
    if (verified != null && !verified.equals(container.image().manifestDigest())) {
      container.close();
      throw new SignatureException("image '" + imageOrNull + "' changed to "
          + container.image().manifestDigest() + " while container " + name
          + " was opened; its signature was checked for " + verified);
    }
    return container;
  }

  /**
   * A read-only view of {@code refOrNull}, or when null of the store's only image (its one tag;
   * with none, its one untagged image), whose signature is checked first when {@code
   * signedByOrNull} is given.
   */
  public FileTree openImage(String refOrNull, Path signedByOrNull, String identityOrNull)
      throws IOException {
    if (signedByOrNull != null) {
      OptionalLibrary.BOUNCY_CASTLE.require();
    }
    String ref = refOrNull != null ? refOrNull : onlyImage();
    reattachLazy(ref);
    RootFs root = heldView(ref);
    if (signedByOrNull != null) {
      try {
        SimpleSigning.requireSigned(content, root.image().manifestDigest(), signedByOrNull,
            identityOrNull);
      } catch (IOException | RuntimeException e) {
        root.close(); // its hold
        throw e;
      }
    }
    return root;
  }

  /** The one image of the store: its only tag, or, with no tag, its only untagged image. */
  private String onlyImage() throws IOException {
    List<String> tags = tags();
    if (tags.size() == 1) {
      return tags.get(0);
    }
    List<Digest> untagged = tags.isEmpty() ? untaggedImages() : List.of();
    if (untagged.size() == 1) {
      return untagged.get(0).toString(); // a docker-archive saved without a name, say
    }
    throw new IllegalArgumentException("layout " + root() + " holds "
        + (!tags.isEmpty() ? "the images " + String.join(", ", tags)
        : untagged.isEmpty() ? "no image" : untagged.size() + " untagged images, " + untagged)
        + "; give env key 'image' to choose one");
  }

  /** The names of the containers, sorted. */
  public List<String> containers() throws IOException {
    return Container.list(content);
  }

  /** Whether container {@code name} exists: {@code containers().contains(name)}, in one stat. */
  public boolean hasContainer(String name) throws IOException {
    return ContainerDirectory.exists(content, name);
  }

  /** Describes a container without opening it. */
  public ContainerInfo containerInfo(String name) throws IOException {
    return Container.info(content, name);
  }

  /** The mounts a container was created with, without opening it. */
  public List<Mount> containerMounts(String name) throws IOException {
    return Container.mounts(content, name);
  }

  /** Removes a container and its writable layer; refused while it is open in any process. */
  public void removeContainer(String name) throws IOException {
    Container.remove(content, name);
  }

  // --------------------------------------------------------------------------------- volumes

  /** Creates a named volume (nothing happens if it exists); returns its data directory. */
  public Path createVolume(String name) throws IOException {
    return Volumes.create(content, name);
  }

  /** The data directory of an existing volume. */
  public Path volume(String name) throws IOException {
    return Volumes.dataDir(content, name);
  }

  /**
   * Where volume {@code name}'s files are or will be ({@code layerfs/volumes/NAME/_data}), whether
   * it exists or not (a container creates it on first use).
   */
  public Path volumePath(String name) throws IOException {
    return Volumes.path(content, name);
  }

  /** The names of the volumes, sorted. */
  public List<String> volumes() throws IOException {
    return Volumes.list(content);
  }

  /**
   * Removes a volume and its files, as {@code docker volume rm}: refused while a container
   * mounts it.
   *
   * @throws IOException naming the containers when it is in use
   */
  public void removeVolume(String name) throws IOException {
    Volumes.removeUnused(content, name);
  }

  /** The containers that mount each volume (volumes no container mounts are absent). */
  public Map<String, List<String>> volumeUsers() throws IOException {
    return Volumes.users(content);
  }

  /**
   * Removes every volume no container mounts, as {@code docker volume prune -a}: their names and
   * the bytes their files held.
   */
  public VolumePruneReport pruneVolumes() throws IOException {
    return Volumes.prune(content);
  }

  // ------------------------------------------------------------------------------ gc, signing

  /** Removes what no tag, container or lease reaches (with {@code dryRun}, only reports it). */
  public GcReport gc(boolean dryRun) throws IOException {
    synchronized (this) {
      if (lazy != null) {
        lazy.saveRanges(); // so that the report counts what this process's lazy layers hold
      }
    }
    return GarbageCollector.collect(content, dryRun);
  }

  /**
   * Checks the store as {@code git fsck} checks a repository: re-hashes every blob, follows every
   * {@code index.json} entry to its manifests, configs and layers, and reads every container's
   * record and checks its image's blobs. With {@code repair}, a blob whose bytes do not match its
   * digest is moved to {@code layerfs/quarantine/} (never deleted), and a corrupt uncompressed
   * layer whose compressed blob is intact is removed with its layer index, to be rebuilt on next
   * use; a repair waits for running imports and commits, as gc does. Containers and views open in
   * other processes keep reading what they had open.
   *
   * @throws IOException if the store cannot be listed or a repair fails; damage is reported, not
   *     thrown
   */
  public FsckReport fsck(boolean repair, Progress progress) throws IOException {
    return Fsck.run(content, this::layers, repair, progress);
  }

  /**
   * Signs image {@code ref} as {@code skopeo standalone-sign} does, claiming {@code
   * dockerReference}, and stores the signature beside the image; returns the signature's file.
   */
  public Path sign(String ref, String dockerReference, InputStream secretKeys, char[] passphrase,
      String keyIdOrNull) throws IOException {
    OptionalLibrary.BOUNCY_CASTLE.require();
    Digest manifest = image(ref).manifestDigest();
    byte[] signature = SimpleSigning.sign(secretKeys, passphrase, keyIdOrNull, dockerReference,
        manifest);
    return SignatureStore.add(content, manifest, signature);
  }

  /**
   * Checks that image {@code ref} has a stored signature that verifies with a key of {@code
   * publicKeyFile} (and claims {@code identityOrNull} when given).
   *
   * @throws SignatureException when none does
   */
  public SignatureInfo verify(String ref, Path publicKeyFile, String identityOrNull)
      throws IOException {
    OptionalLibrary.BOUNCY_CASTLE.require();
    return SimpleSigning.requireSigned(content, image(ref).manifestDigest(), publicKeyFile,
        identityOrNull);
  }

  /**
   * As {@link #verify}, but every stored signature that verifies, in stored order (an image
   * signed for two identities shows both).
   *
   * @throws SignatureException when none does
   */
  public List<SignatureInfo> verifyAll(String ref, Path publicKeyFile, String identityOrNull)
      throws IOException {
    OptionalLibrary.BOUNCY_CASTLE.require();
    return SimpleSigning.requireSignedAll(content, image(ref).manifestDigest(), publicKeyFile,
        identityOrNull);
  }

  /** Stores a signature made elsewhere (as {@code skopeo standalone-sign} writes it). */
  public Path addSignature(String ref, byte[] signature) throws IOException {
    return SignatureStore.add(content, image(ref).manifestDigest(), signature);
  }

  /** The stored signatures of image {@code ref}, as files {@code skopeo} reads. */
  public List<byte[]> signatures(String ref) throws IOException {
    return SignatureStore.list(content, image(ref).manifestDigest());
  }

  private synchronized LayerStore layers() {
    if (closed) {
      throw new IllegalStateException("store " + root() + " is closed");
    }
    if (layers == null) {
      lazy = new LazyLayers(content);
      layers = new LayerStore(content, LayerStore.DEFAULT_MAX_INDEX_WEIGHT,
          LayerStore.DEFAULT_MAX_CHUNK_BYTES, lazy);
    }
    return layers;
  }

  /**
   * Stops the background fetches (see {@link BackgroundFetch#close}), releases the open layer
   * blobs and closes the registry clients of lazily read layers; open containers and views stop
   * reading.
   */
  @Override
  public void close() throws IOException {
    synchronized (this) {
      closed = true; // no new fetch starts
    }
    for (BackgroundFetch fetch : List.copyOf(fetches)) {
      fetch.close();
    }
    closeLayers();
  }

  private synchronized void closeLayers() throws IOException {
    try {
      if (layers != null) {
        layers.close();
      }
      if (lazy != null) {
        lazy.close();
      }
    } finally {
      for (RegistryClient client : lazyClients) {
        client.close();
      }
      lazyClients.clear();
    }
  }

  @Override
  public String toString() {
    return "Store[" + root() + "]";
  }
}
