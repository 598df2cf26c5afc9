package io.layerfs.core.container;

import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.internal.FileTrees;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What {@code container.json} records of a container: its name, the image as the user named it,
 * when it was made, and the image's parts (manifest, config, every layer with its DiffID), so
 * that gc and fsck can treat the container as a root on its own, without the manifest blob. The
 * package documentation describes the format; {@link #read} refuses every file it cannot read
 * whole with an {@link IOException} naming the file and what was expected.
 *
 * @param name the container's name, which is also its directory's
 * @param image the image reference the container was created from, as given
 * @param manifest the digest of the image's manifest then
 * @param config the digest of the image's config
 * @param layers the image's layers, bottom to top
 * @param created when the container was created
 * @param mounts the container's mounts as canonical {@code --mount} specs ({@link
 *     io.layerfs.core.Mount#spec()}), fixed at creation as Docker's are; empty for none
 * @param id the container's random identity, which its metadata files carry so that another
 *     container's are told apart; null in a record of an older layerfs, which had none
 */
public record ContainerRecord(String name, String image, Digest manifest, Digest config,
    List<Layer> layers, Instant created, List<String> mounts, UUID id) {
  /** The format version of a record without mounts; the only one before mounts existed. */
  public static final int VERSION = 1;
  /**
   * The version of a record with mounts: a layerfs from before mounts refuses it (naming the
   * version) rather than opening the container without them and writing where its mounts were.
   */
  public static final int VERSION_MOUNTS = 2;
  /** All zeros: what a metadata file carries for "no id", so never a container's id. */
  static final UUID NO_ID = new UUID(0, 0);

  public ContainerRecord {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(created, "created");
    layers = List.copyOf(layers);
    mounts = List.copyOf(mounts);
    if (NO_ID.equals(id)) {
      throw new IllegalArgumentException("a container id must not be all zeros (no id)");
    }
  }

  /** A record without id, as an older layerfs wrote it. */
  public ContainerRecord(String name, String image, Digest manifest, Digest config,
      List<Layer> layers, Instant created, List<String> mounts) {
    this(name, image, manifest, config, layers, created, mounts, null);
  }

  /** A record without mounts and id. */
  public ContainerRecord(String name, String image, Digest manifest, Digest config,
      List<Layer> layers, Instant created) {
    this(name, image, manifest, config, layers, created, List.of());
  }

  /** This record with {@code newId}, for a container whose record has none yet. */
  public ContainerRecord withId(UUID newId) {
    return new ContainerRecord(name, image, manifest, config, layers, created, mounts, newId);
  }

  /** The record of container {@code name} made now from {@code image}, named {@code ref}. */
  public static ContainerRecord of(String name, String ref, Image image) {
    return of(name, ref, image, List.of());
  }

  /** {@link #of(String, String, Image)} with mounts, as canonical specs. */
  public static ContainerRecord of(String name, String ref, Image image, List<String> mounts) {
    return new ContainerRecord(name, ref, image.manifestDigest(), image.configDigest(),
        image.layers(), Instant.now(), mounts, UUID.randomUUID());
  }

  /** True when {@code image} has this record's manifest, config and layers. */
  public boolean matches(Image image) {
    return manifest.equals(image.manifestDigest()) && config.equals(image.configDigest())
        && layers.equals(image.layers());
  }

  /**
   * Reads a {@code container.json}.
   *
   * @throws NoSuchFileException if there is no such file
   * @throws IOException naming {@code file} and what was expected, if it is not JSON, has no or
   *     another format version, lacks a field or has one that does not parse, or names another
   *     container than the folder it is in
   */
  public static ContainerRecord read(Path file) throws IOException {
    return read(file, false);
  }

  /**
   * {@link #read}, and for a caller that holds the container's lock (opening it for writing),
   * keeps a memo of the record beside the file ({@link RecordMemo}) when there is none for these
   * bytes yet: a later JVM then reads the record without a JSON parser. Only under the lock, so
   * that no memo appears in a folder {@link ContainerDirectory#detach} renamed away.
   */
  public static ContainerRecord readAndRemember(Path file) throws IOException {
    return read(file, true);
  }

  private static ContainerRecord read(Path file, boolean remember) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null,
          "container record " + file + " is missing");
    }
    Path dir = file.toAbsolutePath().getParent();
    boolean own = dir != null && file.getFileName().toString().equals(ContainerDirectory.JSON);
    ContainerRecord known = own ? RecordMemo.find(dir, bytes) : null;
    if (known != null) {
      checkFolder(file, known.name());
      return known;
    }
    ContainerRecord parsed = RecordJson.parse(file, bytes);
    if (own && remember) {
      RecordMemo.remember(dir, bytes, parsed);
    }
    return parsed;
  }

  /**
   * Writes this record as {@code dir/container.json}: a temp file beside it, forced, renamed and
   * the directory forced, so a reader sees no file or a whole one.
   */
  public void write(Path dir) throws IOException {
    byte[] bytes = RecordJson.toBytes(this);
    Path tmp = dir.resolve(ContainerDirectory.JSON + ".tmp");
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        c.write(b);
      }
      c.force(true);
    }
    BlobWriter.move(tmp, dir.resolve(ContainerDirectory.JSON));
    FileTrees.fsyncDirectory(dir);
  }

  /** A record names the container of its folder. */
  static void checkFolder(Path file, String name) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null && dir.getFileName() != null
        && !dir.getFileName().toString().equals(name)) {
      // another container's record (copied over this one): its image and layers are not the
      // ones this container's writable layer was made on
      throw bad(file, "it is the record of container '" + name + "', not of '"
          + dir.getFileName() + "'");
    }
  }

  static IOException bad(Path file, String what) {
    return new IOException("container record " + file + " cannot be read: " + what);
  }
}
