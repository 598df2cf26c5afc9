package io.layerfs.cli;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.layerfs.core.internal.NameList;
import io.layerfs.core.store.Store;
import io.layerfs.provider.LayerFileSystemProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How the commands reach the store: through the public provider contract, as a user would (the
 * provider's instance, not the JDK's lookup of it, for the read-only views).
 */
final class Stores {
  private static final String OCI_LAYOUT = "oci-layout";
  /**
   * The provider, made here rather than found by {@code FileSystems.newFileSystem}: the JDK's
   * search of every installed provider (the class path's services, the runtime image's modules)
   * cost a read-only command a tenth of its time. The paths of its file systems work with {@code
   * Files} as any other.
   */
  private static final LayerFileSystemProvider PROVIDER = new LayerFileSystemProvider();

  private Stores() {}

  /** The provider's default store (see {@link LayerFileSystemProvider#defaultStore}). */
  static Path defaultStore() {
    return LayerFileSystemProvider.defaultStore();
  }

  /**
   * The store at {@code dir}, which must exist: commands that only read or change what is in a
   * store never create one where the user mistyped a path.
   */
  static Store existing(Path dir) throws IOException {
    checkExists(dir);
    return Store.open(dir);
  }

  /**
   * Refuses {@code dir} unless it is a store already: an OCI image layout, which has an {@code
   * oci-layout} file. Opening a store makes the layout in an empty directory, so without this
   * check a reading command given a mistyped (but existing, empty) directory would leave a store
   * there.
   */
  static void checkExists(Path dir) throws IOException {
    String why;
    String hint = "give --store DIR";
    if (Files.isRegularFile(dir.resolve(OCI_LAYOUT))) {
      return;
    } else if (!Files.exists(dir)) {
      why = "";
      // the usual first contact: no store at the default place yet
      hint += ", or import or pull an image to make one there";
    } else if (!Files.isDirectory(dir)) {
      why = ": it is a file";
    } else if (isEmpty(dir)) {
      why = ": the directory is empty";
      hint += ", or import or pull an image to make one there";
    } else {
      why = ": the directory has no " + OCI_LAYOUT + " file (it is not an OCI image layout)";
    }
    throw new NoSuchFileException(dir.toString(), null,
        "no store at " + dir + why + " (" + hint + ")");
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  /**
   * Checks that container {@code name} exists, so that commands name the problem in their own
   * words rather than the API's ("give 'image' to create it").
   */
  static void checkContainer(Store store, String name) throws IOException {
    if (!store.hasContainer(name)) {
      if (isImage(store, name)) {
        // Docker users give inspect, diff and commit an image's tag, which is no container name
        throw new NoSuchFileException(name, null, "no container " + name + " in store "
            + store.root() + ": " + name + " is an image ('layerfs ps' lists the containers)");
      }
      store.containerInfo(name); // throws for a bad name or a missing container
      throw new NoSuchFileException(name, null, "no container " + name + " in store "
          + store.root());
    }
  }

  /** Whether {@code name} resolves to an image of {@code store}. */
  static boolean isImage(Store store, String name) {
    try {
      store.image(name);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The outermost of {@code dir} and its parents that does not exist, which {@link #create}
   * would make; null when {@code dir} exists.
   */
  static Path firstMissing(Path dir) {
    Path missing = null;
    for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p, NOFOLLOW_LINKS);
        p = p.getParent()) {
      missing = p;
    }
    return missing;
  }

  /**
   * Deletes {@code made}, a directory {@link #firstMissing} named before this process made it,
   * with everything in it (links themselves, never what they point to); nothing when null.
   */
  static void removeMade(Path made) throws IOException {
    if (made == null || !Files.isDirectory(made, NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(made)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * After a command failed with {@code failure}: {@link #removeMade}, an error in that added to
   * {@code failure} (which the caller throws).
   */
  static void removeMadeAfter(Path made, Exception failure) {
    try {
      removeMade(made);
    } catch (IOException cleanup) {
      failure.addSuppressed(cleanup);
    }
  }

  /** The store at {@code dir}, created (an empty OCI layout) if needed. */
  static Store create(Path dir) throws IOException {
    return Store.open(dir);
  }

  /**
   * A read-only view of container NAME when the store has one, otherwise of image NAME (a tag or
   * digest) of the store. The store must exist ({@link #checkExists}), and an image it lacks is
   * an error listing its tags, never a pull: these views serve the commands that only read.
   */
  static FileSystem openImage(Path store, String name) throws IOException {
    if (name.isEmpty()) {
      throw new IllegalArgumentException("empty container or image name");
    }
    checkExists(store); // the provider would make a store
    // a tag (name:tag) or digest (name@sha256:...) is never a container's name (Docker's rule):
    // no need to open the store once more to look
    boolean mayBeContainer = name.indexOf(':') < 0 && name.indexOf('@') < 0;
    if (mayBeContainer && hasContainer(store, name)) {
      return PROVIDER.newFileSystem(URI.create("layerfs://" + name),
          Map.of("store", store, "readOnly", true));
    }
    // the store opened as an image layout, as zipfs opens a zip: a view of an image it has (the
    // URI form with env image would pull a registry reference the store lacks)
    try {
      return PROVIDER.newFileSystem(store, Map.of("image", name));
    } catch (IOException e) {
      throw mayBeContainer ? neither(store, name, e) : e;
    }
  }

  /**
   * {@code failure} of opening {@code name} as an image, said as "no container or image" with
   * both lists when the store has no image of that name either (docker: "No such object").
   */
  private static IOException neither(Path dir, String name, IOException failure)
      throws IOException {
    try (Store store = Store.open(dir)) {
      return neither(store, name, failure);
    }
  }

  /** As {@link #neither(Path, String, IOException)}, in an open store. */
  static IOException neither(Store store, String name, IOException failure) throws IOException {
    Path dir = store.root();
    List<String> tags = store.tags();
    if (tags.contains(name) || tags.contains(name + ":latest")) {
      return failure; // the image is there: its own error
    }
    try {
      store.image(name);
      return failure; // an image ID that resolves: the view's own error
    } catch (IOException notAnImage) {
      if (!notAnImage.getMessage().startsWith("no image '")) {
        return notAnImage; // an image ID of several images says which: give that
      }
    }
    List<String> containers = store.containers();
    IOException e = new IOException("no container or image '" + name + "' in store " + dir
        + "; containers: " + NameList.of(containers) + "; tags: " + NameList.of(tags));
    e.addSuppressed(failure);
    return e;
  }

  /** Whether the store at {@code dir} (which must exist) has container {@code name}. */
  static boolean hasContainer(Path dir, String name) throws IOException {
    try (Store store = Store.open(dir)) {
      return store.hasContainer(name);
    }
  }
}
