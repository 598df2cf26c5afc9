package io.layerfs.core.transfer;

import io.layerfs.core.Image;
import io.layerfs.core.LimitException;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.core.image.Images;
import io.layerfs.core.internal.OptionalLibrary;
import io.layerfs.core.registry.ImagePull;
import io.layerfs.core.registry.ImagePush;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.registry.Reference;
import io.layerfs.core.registry.RegistryClient;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.core.rootfs.LayerStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Imports and exports images through the transports skopeo names ({@code oci:}, {@code
 * oci-archive:}, {@code docker-archive:}). Every blob is verified before anything is tagged, and
 * exports are written beside their destination and renamed when complete (see the package
 * documentation).
 */
public final class ImageTransfer {

  private ImageTransfer() {}

  /**
   * Imports an image from {@code source} (see the package documentation) and returns the tags it
   * created; an image without a name is kept untagged and its digest ({@code sha256:...}) given.
   *
   * @param tagOrNull the tag to give the image instead of the source's own
   * @throws IllegalArgumentException for a bad transport string or tag
   * @throws IOException if the source is missing, malformed, or a digest or size does not match
   *     (naming the file, the expected and the actual value); nothing is tagged then
   */
  public static List<String> importImage(ContentStore store, String source, String tagOrNull,
      Progress progress) throws IOException {
    return importImage(store, source, tagOrNull, RegistryOptions.defaults(), progress);
  }

  /**
   * As {@link #importImage(ContentStore, String, String, Progress)}; {@code docker://REF} is
   * pulled with {@code registry} (see {@link ImagePull}), for linux/amd64.
   */
  public static List<String> importImage(ContentStore store, String source, String tagOrNull,
      RegistryOptions registry, Progress progress) throws IOException {
    Reference remote = Transport.registryReference(source);
    if (remote != null) {
      try (RegistryClient client = new RegistryClient(registry, store.limits())) {
        return List.of(ImagePull.pull(store, client, remote, Platform.DEFAULT, tagOrNull,
            progress).tag());
      }
    }
    Transport transport = Transport.parse(source);
    if (tagOrNull != null) {
      ContentStore.checkTag(tagOrNull);
    }
    Progress p = progress == null ? Progress.NONE : progress;
    // blobs are written first and tagged last: gc must not take them in between
    try (Lease lease = store.lease()) {
      return tagAll(store, copyIn(store, transport, tagOrNull, p));
    }
  }

  private static List<OciLayoutCopier.Pending> copyIn(ContentStore store, Transport transport,
      String tagOrNull, Progress p) throws IOException {
    String name = transport.toString();
    List<OciLayoutCopier.Pending> pending;
    switch (transport.kind()) {
      case OCI -> pending = List.of(OciLayoutCopier.copyIn(store, transport.path(),
          transport.reference(), tagOrNull, name, p));
      case OCI_ARCHIVE -> {
        try (UnpackedArchive archive = unpack(store, transport.path(), name, p)) {
          if (!archive.has("oci-layout")) {
            throw new IOException(name + " is not an OCI archive: it has no oci-layout"
                + (archive.has("manifest.json") ? " (it is a docker-archive: use"
                    + " docker-archive:)" : ""));
          }
          pending = List.of(OciLayoutCopier.copyIn(store, archive.dir(), transport.reference(),
              tagOrNull, name, p));
        }
      }
      case DOCKER_ARCHIVE -> {
        try (UnpackedArchive archive = unpack(store, transport.path(), name, p)) {
          pending = DockerArchiveReader.read(store, archive, transport.reference(), tagOrNull,
              name, p);
        }
      }
      default -> throw new IllegalStateException(transport.kind().toString());
    }
    return pending;
  }

  /**
   * Exports the image {@code imageRef} of {@code store} to {@code destination} (see the
   * package documentation).
   *
   * @param layers makes the uncompressed layers a docker-archive needs
   * @throws IllegalArgumentException for a bad transport string, or an export by digest to
   *     {@code oci:} without a TAG
   * @throws IOException if the image cannot be resolved, a blob is missing or corrupt, or the
   *     destination cannot be written; an archive destination is then left as it was
   */
  public static void exportImage(ContentStore store, LayerStore layers, String imageRef,
      String destination, Progress progress) throws IOException {
    exportImage(store, layers, imageRef, destination, RegistryOptions.defaults(), progress);
  }

  /**
   * As {@link #exportImage(ContentStore, LayerStore, String, String, Progress)}; {@code
   * docker://REF} is pushed with {@code registry} (see {@link ImagePush}).
   */
  public static void exportImage(ContentStore store, LayerStore layers, String imageRef,
      String destination, RegistryOptions registry, Progress progress) throws IOException {
    Reference remote = Transport.registryReference(destination);
    if (remote != null) {
      try (RegistryClient client = new RegistryClient(registry, store.limits())) {
        ImagePush.push(store, client, imageRef, remote, progress);
      }
      return;
    }
    Transport transport = Transport.parse(destination);
    Progress p = progress == null ? Progress.NONE : progress;
    Image image = Images.resolve(store, imageRef);
    checkParent(transport.path());
    boolean byDigest = imageRef.startsWith("sha256:") || imageRef.startsWith("sha512:");
    switch (transport.kind()) {
      case OCI -> {
        String tag = transport.reference() != null ? transport.reference()
            : byDigest ? null : imageRef;
        if (tag == null) {
          throw new IllegalArgumentException("exporting " + imageRef + " to " + destination
              + " needs a tag: oci:" + transport.path() + ":TAG");
        }
        ContentStore.checkRefName(tag);
        OciLayoutCopier.exportToLayout(store, image, transport.path(), tag, p);
      }
      case OCI_ARCHIVE -> {
        String tag = transport.reference() != null ? transport.reference()
            : byDigest ? null : imageRef;
        if (tag != null) {
          ContentStore.checkRefName(tag);
        }
        OciLayoutCopier.exportToArchive(store, image, transport.path(), tag, p);
      }
      case DOCKER_ARCHIVE -> {
        if (transport.isIndexReference()) {
          throw new IllegalArgumentException(destination
              + ": @N selects an image when reading; name the image to write as NAME[:TAG]");
        }
        String repoTag = transport.reference();
        if (repoTag == null && !byDigest && Transport.isDockerReference(imageRef)
            && hasTag(imageRef)) {
          repoTag = imageRef;
        }
        if (repoTag != null && !hasTag(repoTag)) {
          repoTag = repoTag + ":latest";
        }
        DockerArchiveWriter.write(store, layers, image, transport.path(), repoTag, p);
      }
      default -> throw new IllegalStateException(transport.kind().toString());
    }
  }

  /**
   * The directory an export goes into must exist, as skopeo requires: a mistyped parent makes no
   * tree of directories. The file or layout itself is created.
   */
  private static void checkParent(Path path) throws IOException {
    Path parent = path.toAbsolutePath().normalize().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new NoSuchFileException(path.toString(), null, (Files.exists(parent)
          ? parent + " is not a directory" : "no such directory " + parent)
          + " (the directory an export is written into must exist)");
    }
  }

  /**
   * Tags the copied images, after all of them were verified; returns the distinct tags, and for
   * an image that came without one (kept untagged, found by its digest) its digest string.
   */
  static List<String> tagAll(ContentStore store, List<OciLayoutCopier.Pending> pending)
      throws IOException {
    Set<String> tags = new LinkedHashSet<>();
    for (OciLayoutCopier.Pending p : pending) {
      if (p.tag() == null) {
        store.keepUntagged(p.target());
        tags.add(p.target().toString());
      } else {
        store.tag(p.tag(), p.target());
        tags.add(p.tag());
      }
    }
    return new ArrayList<>(tags);
  }

  static UnpackedArchive unpack(ContentStore store, Path file, String name, Progress progress)
      throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    if (!Files.isRegularFile(file)) {
      // a pipe (/dev/stdin) cannot be read twice, as the check of its header and the unpacking
      // would: say so rather than "not a tar archive"
      throw new IOException(name + ": " + file + " is not a regular file (a directory, a pipe or"
          + " a device): an archive is read from a file");
    }
    // a transport or the path itself names the file; else name is what it was copied from
    String label = name.contains(file.toString()) ? file.toString() : name;
    boolean archive;
    try {
      archive = isArchive(file);
    } catch (OptionalLibrary.Missing e) {
      throw e;
    } catch (IOException e) {
      // a compressed file cut or damaged before its first tar block
      throw new IOException(label + " is truncated or damaged at its start (" + e.getMessage()
          + ")", e);
    }
    if (!archive) {
      // name is the transport (docker-archive:FILE), or the file itself: say that once
      String compression = ArchiveCompression.detect(file);
      throw new IOException((name.equals(file.toString()) ? "" : name + ": ") + file
          + " is not a tar archive" + (compression == null ? ""
              : " (it is " + ArchiveCompression.label(compression)
                  + "-compressed, but what it holds is no tar)"));
    }
    return UnpackedArchive.unpack(file, label, store.stateDir(), store.limits(), progress);
  }

  private static boolean hasTag(String reference) {
    int slash = reference.lastIndexOf('/');
    return reference.indexOf(':', slash + 1) >= 0;
  }

  // ------------------------------------------------------------------ archives of unknown kind

  /**
   * True if {@code file} is a tar, plain or compressed with gzip, bzip2, xz or zstd (the image
   * archives {@link #importArchive} reads are tars, and are compressed as {@code docker load}
   * takes them). Reads the first block of the tar only.
   *
   * @throws IOException if {@code file} is compressed and its stream is damaged at its start, or
   *     it is zstd or xz and the library that reads it is missing
   */
  public static boolean isArchive(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    byte[] header = new byte[512];
    try (InputStream in = openTar(file)) {
      int n = in.readNBytes(header, 0, header.length);
      return n == header.length && TarArchiveInputStream.matches(header, n);
    }
  }

  /**
   * The compression of {@code file}, as its command-line tool is called ({@code gzip}, {@code
   * bzip2}, {@code xz}, {@code zstd}); null for a file that is none of these, such as a tar.
   */
  public static String compression(Path file) throws IOException {
    String compression = ArchiveCompression.detect(file);
    return compression == null ? null : ArchiveCompression.label(compression);
  }

  /**
   * Copies {@code in}, decompressed, into a new file of {@code store}'s temp folder and returns
   * it (see {@code Store.spoolDecompressed}); {@code name} names the input in errors. The
   * bytes read are a step of {@code progress} ("decompress", or "read" for a plain input, and
   * the name's last part) of {@code size} bytes, -1 when unknown.
   */
  public static Path spoolDecompressed(InputStream in, String name, long size,
      ContentStore store, Progress progress) throws IOException {
    InputStream buffered = new BufferedInputStream(in, 1 << 16);
    String verb = ArchiveCompression.detect(buffered) == null ? "read " : "decompress ";
    progress.start(verb + name.substring(name.lastIndexOf('/') + 1), size);
    try {
      return spool(new UnpackedArchive.ProgressInputStream(buffered, progress), name, store);
    } finally {
      progress.done();
    }
  }

  private static Path spool(InputStream in, String name, ContentStore store)
      throws IOException {
    InputStream plain;
    try {
      plain = ArchiveCompression.decompressed(in, store.limits(), name);
    } catch (OptionalLibrary.Missing e) {
      throw e;
    } catch (IOException e) {
      throw new IOException(name + " is damaged at its start (" + e.getMessage() + ")", e);
    }
    Path file = Files.createTempFile(Files.createDirectories(store.tempDir()), "spool-", "");
    try (plain; OutputStream out = Files.newOutputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = read(plain, buffer, name)) >= 0; ) {
        try {
          out.write(buffer, 0, n);
        } catch (IOException e) {
          // the JDK's "No space left on device" names no file
          throw new IOException("cannot copy " + name + " to " + file + " (the store's temp"
              + " folder): " + e.getMessage(), e);
        }
      }
      return file;
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  private static int read(InputStream in, byte[] buffer, String name) throws IOException {
    try {
      return in.read(buffer);
    } catch (LimitException e) {
      throw e; // names the input
    } catch (IOException e) {
      throw new IOException(name + " is truncated or damaged (" + e.getMessage() + ")", e);
    }
  }

  private static InputStream openTar(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    try {
      return ArchiveCompression.decompressed(in);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /**
   * True if {@code file} is a tar (plain or compressed) with an image index at its top ({@code
   * manifest.json} of a docker-archive or {@code oci-layout}); false for any other tar, such as a
   * file system's. Reads only the headers (a compressed tar is decompressed to find them).
   */
  public static boolean isImageArchive(Path file) throws IOException {
    return isImageArchive(file, file.toString());
  }

  /**
   * As {@link #isImageArchive(Path)}; {@code name} names the file in errors.
   *
   * @throws IOException naming {@code name} and the last entry read for a tar cut short (a
   *     docker-archive's index comes last: a cut one ends before it)
   */
  public static boolean isImageArchive(Path file, String name) throws IOException {
    if (!isArchive(file)) {
      return false;
    }
    String last = null;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(openTar(file))) {
      for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; last = e.getName()) {
        String entry = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
        if (entry.equals("manifest.json") || entry.equals("oci-layout")) {
          return true;
        }
      }
    } catch (OptionalLibrary.Missing e) {
      throw e;
    } catch (IOException e) {
      // Commons Compress' "Truncated TAR archive" names no file
      throw new IOException(name + " is truncated or damaged "
          + (last == null ? "at its start" : "after entry '" + last + "'") + " ("
          + e.getMessage() + ")", e);
    }
    return false;
  }

  /**
   * Imports every image of an archive whose kind is not given and returns the tags it created: a
   * docker-archive (its RepoTags) or an OCI archive (its index.json tags); an image without a name
   * is kept untagged and listed by its manifest digest ({@code sha256:...}). An archive with a
   * {@code manifest.json} is read as a docker-archive even when it is also an OCI layout (Docker
   * 25+ writes both), because its RepoTags carry the full image names. A directory is read as an
   * OCI layout, every image of it as from its archive, so that a layout and its tar import the
   * same. Every image is verified before any is tagged.
   */
  public static List<String> importArchive(Path archive, ContentStore store, Progress progress)
      throws IOException {
    return importArchive(archive, archive.toString(), store, progress);
  }

  /** As {@link #importArchive(Path, ContentStore, Progress)}; {@code name} names it in errors. */
  public static List<String> importArchive(Path archive, String name, ContentStore store,
      Progress progress) throws IOException {
    List<OciLayoutCopier.Pending> pending;
    if (Files.isDirectory(archive)) {
      try (Lease lease = store.lease()) {
        return tagAll(store, OciLayoutCopier.copyAllIn(store, archive, name, progress));
      }
    }
    try (Lease lease = store.lease();
        UnpackedArchive unpacked = unpack(store, archive, name, progress)) {
      if (unpacked.has("manifest.json")) {
        pending = DockerArchiveReader.read(store, unpacked, null, null, name, progress);
      } else if (unpacked.has("oci-layout")) {
        pending = OciLayoutCopier.copyAllIn(store, unpacked.dir(), name, progress);
      } else {
        throw new IOException(name + " is neither an OCI archive (no oci-layout) nor a "
            + "docker-archive (no manifest.json)");
      }
      return tagAll(store, pending);
    }
  }
}
