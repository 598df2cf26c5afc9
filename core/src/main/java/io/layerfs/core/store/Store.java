package io.layerfs.core.store;

import io.layerfs.core.Compression;
import io.layerfs.core.ContainerInfo;
import io.layerfs.core.Digest;
import io.layerfs.core.FileTree;
import io.layerfs.core.FsckReport;
import io.layerfs.core.GcReport;
import io.layerfs.core.Image;
import io.layerfs.core.Limits;
import io.layerfs.core.Progress;
import io.layerfs.core.SignatureException;
import io.layerfs.core.SignatureInfo;
import io.layerfs.core.container.Volumes;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.fsck.Fsck;
import io.layerfs.core.gc.GarbageCollector;
import io.layerfs.core.image.Images;
import io.layerfs.core.internal.OptionalLibrary;
import io.layerfs.core.overlay.ImageFlattener;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import io.layerfs.core.signing.SignatureStore;
import io.layerfs.core.signing.SimpleSigning;
import io.layerfs.core.transfer.ImageTransfer;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

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

  /** Removes a tag; the image's blobs stay until {@link #gc}. False if there was none. */
  public boolean untag(String tag) throws IOException {
    return content.untag(tag);
  }

  /**
   * Imports an image from a transport as skopeo names it ({@code oci:DIR[:TAG]},
   * {@code oci-archive:FILE[:TAG]}, {@code docker-archive:FILE[:REF]}); returns the tags made.
   */
  public List<String> importImage(String source, String tagOrNull, Progress progress)
      throws IOException {
    return ImageTransfer.importImage(content, source, tagOrNull, progress);
  }

  /** Exports an image to a transport as skopeo names it. */
  public void exportImage(String ref, String destination, Progress progress) throws IOException {
    ImageTransfer.exportImage(content, layers(), ref, destination, progress);
  }

  /** True when {@code file} is an image archive that {@link #importArchive} reads. */
  public static boolean isArchive(Path file) throws IOException {
    return ImageTransfer.isArchive(file);
  }

  /** Imports every image of an OCI archive or a docker-archive; returns the tags made. */
  public List<String> importArchive(Path file, Progress progress) throws IOException {
    return ImageTransfer.importArchive(file, content, progress);
  }

  /** Squashes an image into one layer (old history kept, marked {@code empty_layer}). */
  public Image flatten(String ref, String tagOrNull, Compression compression, Progress progress)
      throws IOException {
    return ImageFlattener.flatten(content, layers(), ref, tagOrNull, compression, progress);
  }

  /** A read-only view of an image: its layers merged, nothing written. */
  public FileTree view(String ref) throws IOException {
    return RootFs.open(content, layers(), ref);
  }

  // ------------------------------------------------------------------------------ containers

  /**
   * Opens container {@code name}, creating it from {@code imageOrNull} on first use (see {@link
   * Container#open}).
   */
  public Container container(String name, String imageOrNull, boolean readOnly)
      throws IOException {
    return Container.open(content, layers(), name, imageOrNull, readOnly);
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
    boolean exists = containers().contains(name);
    Digest verified = null;
    if (signedByOrNull != null && (exists || imageOrNull != null)) {
      verified = exists ? containerInfo(name).manifest()
          : Images.resolve(content, imageOrNull).manifestDigest();
      OptionalLibrary.BOUNCY_CASTLE.require();
      SimpleSigning.requireSigned(content, verified, signedByOrNull, identityOrNull);
    }
    if (readOnly && !exists) {
      if (imageOrNull == null) {
        throw new IllegalArgumentException("container '" + name + "' does not exist in store "
            + root() + "; give env key 'image' to view an image");
      }
      return RootFs.open(content, layers(), verified != null ? verified.toString() : imageOrNull);
    }
    Container container = container(name, imageOrNull, readOnly);
    if (verified != null && !verified.equals(container.image().manifestDigest())) {
      container.close();
      throw new SignatureException("image '" + imageOrNull + "' changed to "
          + container.image().manifestDigest() + " while container " + name
          + " was opened; its signature was checked for " + verified);
    }
    return container;
  }

  /**
   * A read-only view of {@code refOrNull}, or of the store's only tagged image when null, whose
   * signature is checked first when {@code signedByOrNull} is given.
   */
  public FileTree openImage(String refOrNull, Path signedByOrNull, String identityOrNull)
      throws IOException {
    if (signedByOrNull != null) {
      OptionalLibrary.BOUNCY_CASTLE.require();
    }
    String ref = refOrNull != null ? refOrNull : onlyTag();
    RootFs root = RootFs.open(content, layers(), ref);
    if (signedByOrNull != null) {
      SimpleSigning.requireSigned(content, root.image().manifestDigest(), signedByOrNull,
          identityOrNull);
    }
    return root;
  }

  private String onlyTag() throws IOException {
    List<String> tags = tags();
    if (tags.size() != 1) {
      throw new IllegalArgumentException("layout " + root() + " holds "
          + (tags.isEmpty() ? "no tagged image" : "the images " + String.join(", ", tags))
          + "; give env key 'image' to choose one");
    }
    return tags.get(0);
  }

  /** The names of the containers, sorted. */
  public List<String> containers() throws IOException {
    return Container.list(content);
  }

  /** Describes a container without opening it. */
  public ContainerInfo containerInfo(String name) throws IOException {
    return Container.info(content, name);
  }

  /** Removes a container and its writable layer; refused while it is open for writing. */
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

  /** The names of the volumes, sorted. */
  public List<String> volumes() throws IOException {
    return Volumes.list(content);
  }

  public void removeVolume(String name) throws IOException {
    Volumes.remove(content, name);
  }

  // ------------------------------------------------------------------------------ gc, signing

  /** Removes what no tag, container or lease reaches (with {@code dryRun}, only reports it). */
  public GcReport gc(boolean dryRun) throws IOException {
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
      layers = new LayerStore(content);
    }
    return layers;
  }

  /** Releases the open layer blobs; open containers and views stop reading. */
  @Override
  public synchronized void close() throws IOException {
    closed = true;
    if (layers != null) {
      layers.close();
    }
  }

  @Override
  public String toString() {
    return "Store[" + root() + "]";
  }
}
