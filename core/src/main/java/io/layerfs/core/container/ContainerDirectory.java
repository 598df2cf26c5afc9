package io.layerfs.core.container;

import io.layerfs.core.ContainerInfo;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.overlay.MetaLog;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The containers directory of a store, {@code <store>/layerfs/containers/NAME/}: names, the
 * {@code container.json} written once at creation, listing, describing and removing, none of
 * which needs a container open (the package documentation describes one directory and the
 * format of {@code container.json}).
 */
public final class ContainerDirectory {
  public static final String JSON = "container.json";
  /** The prefix of a container's folder being removed (see {@link #detach}). */
  private static final String REMOVING = ".removing-";
  /** Each writer's open racing a removal adds one file at most: a bound, not a wait. */
  private static final int MAX_EMPTYINGS = 100;
  /** The folder of a container's data files (see the package documentation). */
  private static final String DATA = "data";

  private ContainerDirectory() {}

  /**
   * Whether {@code name} follows Docker's rule for container names, {@code
   * [a-zA-Z0-9][a-zA-Z0-9_.-]*}: a loop, not a regex, which a fresh JVM would compile first
   * (every open of a file system asks whether its name is a container's).
   */
  static boolean isName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code store} has container {@code name}: {@code list(store).contains(name)} with one
   * {@code stat} instead of a listing.
   */
  public static boolean exists(ContentStore store, String name) throws IOException {
    return name != null && isName(name)
        && Files.exists(containers(store).resolve(name).resolve(JSON));
  }

  /**
   * Whether {@code dir} holds the files of a writable layer (the overlay's log, snapshot or
   * data), which only a container that was opened for writing has.
   */
  public static boolean hasWritableLayer(Path dir) {
    return MetaLog.hasUpperLayer(dir);
  }

  /** The names of the containers of {@code store}, sorted. */
  public static List<String> list(ContentStore store) throws IOException {
    Path root = containers(store);
    List<String> names = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return names;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        if (isName(n) && Files.exists(p.resolve(JSON))) {
          names.add(n);
        }
      }
    }
    Collections.sort(names);
    return names;
  }

  /**
   * Describes container {@code name} without opening it (no lock is taken).
   *
   * @throws NoSuchFileException if there is none of that name
   */
  public static ContainerInfo info(ContentStore store, String name) throws IOException {
    checkName(name);
    Path dir = containers(store).resolve(name);
    Path json = dir.resolve(JSON);
    if (!Files.isRegularFile(json)) {
      throw noContainer(store, name, dir);
    }
    ContainerRecord record = ContainerRecord.read(json);
    return new ContainerInfo(name, record.image(), record.manifest(), record.created(),
        changedBytes(dir));
  }

  /**
   * The bytes of the files a container wrote or copied up: its data files, as docker counts a
   * container's size from the files of its upper directory. The records layerfs keeps beside
   * them ({@code container.json}, the metadata log and snapshot, lock files) are no change to
   * its file system: a container nothing was written to is 0 bytes, as in {@code docker ps -s}.
   */
  private static long changedBytes(Path dir) throws IOException {
    Path data = dir.resolve(DATA);
    if (!Files.isDirectory(data, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return 0;
    }
    long size = 0;
    try (Stream<Path> walk = Files.walk(data)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          try {
            size += Files.size(p);
          } catch (NoSuchFileException e) {
            // removed while counting (a file deleted): it holds nothing now
          }
        }
      }
    } catch (java.io.UncheckedIOException | NoSuchFileException e) {
      // a file or the folder went away while counting: count what remains
    }
    return size;
  }

  /**
   * Takes container {@code name} out of the store at once: under its lock, its folder is renamed
   * to {@code .removing-UUID-NAME}, which no listing shows and no open finds, so a crash never
   * leaves half a container. {@link #finish} then deletes the renamed folder and releases the
   * container's hold; until it has, the hold keeps the container's image. The
   * caller holds a lease of the store until then, so that gc and {@code fsck --repair}, which
   * finish removals a crash cut short, never see one under way.
   *
   * @throws NoSuchFileException if there is none of that name
   * @throws IOException if it is open, for writing or read-only ({@link ContainerReaders})
   */
  public static Removal detach(ContentStore store, String name) throws IOException {
    checkName(name);
    Path root = containers(store);
    Path dir = root.resolve(name);
    if (!Files.isDirectory(dir)) {
      throw noContainer(store, name, dir);
    }
    Path removed = root.resolve(REMOVING + UUID.randomUUID() + "-" + name);
    try (ContainerLock lock = ContainerLock.acquire(dir, name);
        Closeable readers = ContainerReaders.exclude(dir, name)) {
      Files.move(dir, removed);
      FileTrees.fsyncDirectory(root);
    } catch (IOException e) {
      if (e instanceof NoSuchFileException || e.getCause() instanceof NoSuchFileException) {
        // another process's removal renamed the folder away since the look: none left here
        throw noContainer(store, name, dir);
      }
      throw e;
    }
    return new Removal(removed, name);
  }

  private static NoSuchFileException noContainer(ContentStore store, String name, Path dir) {
    return new NoSuchFileException(dir.toString(), null,
        "no container " + name + " in store " + store.root());
  }

  /**
   * A container's folder {@link #detach} renamed away, not yet deleted.
   *
   * @param name the container it was
   */
  public record Removal(Path dir, String name) {}

  /** The removals under way or cut short (a crash), in the order of their folders' names. */
  public static List<Removal> removals(ContentStore store) throws IOException {
    Path root = containers(store);
    List<Removal> removals = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return removals;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root, REMOVING + "*")) {
      for (Path p : s) {
        // .removing-, a UUID (36 characters), a dash, the name
        String n = p.getFileName().toString();
        int at = REMOVING.length() + 37;
        if (n.length() > at && isName(n.substring(at))) {
          removals.add(new Removal(p, n.substring(at)));
        }
      }
    }
    removals.sort(Comparator.comparing(Removal::dir));
    return removals;
  }

  /**
   * Finishes a removal, the caller's own (under a lease of the store) or one a crash cut short
   * (under the gate's exclusive side, so that no other process is finishing it): empties the
   * folder (which frees the space a rewrite of index.json needs on a full disk), releases the
   * hold of the container, unless a container of that name was created since (it holds its own
   * image), then deletes the folder, the removal's mark until the hold is gone.
   */
  public static void finish(ContentStore store, Removal removal) throws IOException {
    finish(store, removal, () -> {});
  }

  /** As above, {@code beforeDelete} run before each try to delete the emptied folder. */
  static void finish(ContentStore store, Removal removal, Runnable beforeDelete)
      throws IOException {
    if (!empty(removal.dir())) {
      return; // finished already
    }
    String name = removal.name();
    if (store.readIndex().holds().containsKey(name)) {
      Path again = containers(store).resolve(name);
      // looked at under the index's lock: a creation makes its folder before it holds
      store.updateIndex(index -> {
        if (!Files.exists(again)) {
          index.release(name);
        }
      });
    }
    for (int tries = 1; ; tries++) {
      try {
        beforeDelete.run();
        Files.deleteIfExists(removal.dir());
        return;
      } catch (DirectoryNotEmptyException e) {
        // a writer's open that found the folder before it was renamed away makes its lock file
        // in it (openat) and then finds the container gone: empty the folder again; once it is
        // deleted, no file can be made in it
        if (tries == MAX_EMPTYINGS || !empty(removal.dir())) {
          throw e;
        }
      }
    }
  }

  /** Deletes what {@code dir} holds; false when {@code dir} is gone. */
  private static boolean empty(Path dir) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        FileTrees.deleteTree(p);
      }
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /** {@code layerfs/containers/}: one folder per container. */
  public static Path containers(ContentStore store) throws IOException {
    return store.stateDir().resolve("containers");
  }

  public static void checkName(String name) {
    if (name == null || !isName(name)) {
      throw new IllegalArgumentException(
          "invalid container name '" + name + "': must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    }
  }

  /**
   * One container as a root of gc and fsck: what its {@code container.json} records (or the temp
   * file it is being created from), or a null record with {@code problem} saying why it cannot be
   * read.
   */
  public record Root(String name, Path json, ContainerRecord record, boolean creating,
      String problem) {}

  /**
   * The containers of {@code store} as roots. A container being created counts by its temp file
   * when that reads; one whose record cannot be read is a root with a problem, so gc can refuse
   * to delete rather than guess.
   */
  public static List<Root> roots(ContentStore store) throws IOException {
    Path containers = containers(store);
    List<Root> roots = new ArrayList<>();
    if (!Files.isDirectory(containers)) {
      return roots;
    }
    List<Path> sorted = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(containers)) {
      dirs.forEach(sorted::add);
    }
    Collections.sort(sorted);
    for (Path dir : sorted) {
      String name = dir.getFileName().toString();
      if (!isName(name)) {
        continue; // a removal's folder (see detach): its container is gone
      }
      Path json = dir.resolve(JSON);
      if (Files.isRegularFile(json)) {
        try {
          roots.add(new Root(name, json, ContainerRecord.read(json), false, null));
        } catch (IOException e) {
          roots.add(new Root(name, json, null, false, "container " + name + ": "
              + e.getMessage()));
        }
      } else {
        // being created: container.json is written by rename from this temp file
        Path tmp = dir.resolve(JSON + ".tmp");
        try {
          roots.add(new Root(name, tmp, ContainerRecord.read(tmp), true, null));
        } catch (IOException e) {
          if (hasWritableLayer(dir)) {
            // its record is lost: what its layer needs is unknown, so nothing may be collected
            roots.add(new Root(name, json, null, false, "container " + name + ": its writable "
                + "layer has no " + JSON + " (" + json + " is missing); `layerfs rm " + name
                + "` removes what is left"));
          }
          // else not written whole yet: nothing recorded, nothing to keep
        }
      }
    }
    return roots;
  }
}
