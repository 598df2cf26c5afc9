package io.layerfs.core.container;

import io.layerfs.core.Mount;
import io.layerfs.core.VolumePruneReport;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The named volumes of a store, laid out as Docker's {@code local} volume driver lays them out:
 * volume NAME is the directory {@code <store>/layerfs/volumes/NAME/_data}, plain files of the
 * host. {@link #create} is idempotent, as {@code docker volume create} is; {@link #remove} renames
 * the volume away before deleting it, so {@link #list} never shows a half-deleted volume (see the
 * package documentation).
 *
 * <p>Thread safety: stateless; concurrent calls are safe across threads and processes as far as
 * the file system's renames and directory creations are atomic, and {@link VolumeLock} orders
 * removing a volume in use against a container starting to use it.
 */
public final class Volumes {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  private static final int MAX_NAME = 255;
  private static final String DATA = "_data";
  private static final String REMOVING = ".removing-";
  private static final String FILLING = "filling";
  private static final String GENERATION = "generation";

  private Volumes() {}

  /**
   * Creates volume {@code name} unless it exists.
   *
   * @return its data directory
   * @throws IllegalArgumentException for a bad name
   */
  public static Path create(ContentStore store, String name) throws IOException {
    checkName(name);
    Path data = root(store).resolve(name).resolve(DATA);
    for (int tries = 1; ; tries++) {
      try {
        Files.createDirectories(data);
        return data;
      } catch (FileAlreadyExistsException e) {
        // a prune in another process renamed the volume away between createDirectories' look
        // and its check: make it anew, as docker's create of a name just pruned does
        if (tries == 10) {
          throw e;
        }
      }
    }
  }

  /**
   * The data directory of volume {@code name}.
   *
   * @throws NoSuchFileException naming the volume and store if there is none of that name
   */
  public static Path dataDir(ContentStore store, String name) throws IOException {
    checkName(name);
    Path data = root(store).resolve(name).resolve(DATA);
    if (!Files.isDirectory(data, LinkOption.NOFOLLOW_LINKS)) {
      throw missing(store, name);
    }
    return data;
  }

  /**
   * The file that says a fill of volume {@code name} from an image was started and has not
   * ended: the mounts package makes and removes it (it sits beside the data directory, so the
   * volume's files never show it).
   */
  public static Path fillMark(ContentStore store, String name) throws IOException {
    checkName(name);
    return root(store).resolve(name).resolve(FILLING);
  }

  /**
   * The counter of volume {@code name}'s directory changes (the mounts package maps it, makes it
   * when missing; it sits beside the data directory, so the volume's files never show it).
   */
  public static Path generationFile(ContentStore store, String name) throws IOException {
    checkName(name);
    return root(store).resolve(name).resolve(GENERATION);
  }

  /** Where volume {@code name}'s data directory is or would be. */
  public static Path path(ContentStore store, String name) throws IOException {
    checkName(name);
    return root(store).resolve(name).resolve(DATA);
  }

  /** The names of the volumes of {@code store}, sorted. */
  public static List<String> list(ContentStore store) throws IOException {
    Path root = root(store);
    List<String> names = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return names;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        if (NAME.matcher(n).matches()
            && Files.isDirectory(p.resolve(DATA), LinkOption.NOFOLLOW_LINKS)) {
          names.add(n);
        }
      }
    }
    Collections.sort(names);
    return names;
  }

  /**
   * Removes volume {@code name} and all its files.
   *
   * @throws IllegalArgumentException for a bad name
   * @throws NoSuchFileException naming the volume and store if there is none of that name
   */
  public static void remove(ContentStore store, String name) throws IOException {
    checkName(name);
    Path root = root(store);
    Path dir = root.resolve(name);
    if (!Files.isDirectory(dir.resolve(DATA), LinkOption.NOFOLLOW_LINKS)) {
      throw missing(store, name);
    }
    Path doomed = root.resolve(REMOVING + UUID.randomUUID());
    try {
      Files.move(dir, doomed);
    } catch (NoSuchFileException e) {
      // removed by someone else in between
      throw missing(store, name);
    }
    FileTrees.fsyncDirectory(root);
    FileTrees.deleteTree(doomed);
    deleteLeftovers(store);
  }

  /**
   * The folders that volume removals cut short (a crash, a kill, a file that would not go) left
   * under the store, sorted; no listing shows them. The next removal, prune or gc deletes them.
   */
  public static List<Path> removalLeftovers(ContentStore store) throws IOException {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root(store), REMOVING + "*")) {
      s.forEach(found::add);
    } catch (NoSuchFileException e) {
      // no volume was ever made
    }
    Collections.sort(found);
    return found;
  }

  /** Deletes what removals that failed part way left (a crash, an unreadable file). */
  private static void deleteLeftovers(ContentStore store) throws IOException {
    for (Path p : removalLeftovers(store)) {
      try {
        FileTrees.deleteTree(p); // another process deleting it too is no error
      } catch (IOException | java.io.UncheckedIOException e) {
        // a file that will not go: the next remove, prune or gc tries again
      }
    }
  }

  /**
   * The containers that mount each volume, from their records (volumes no container mounts are
   * absent); each list sorted. A container whose record cannot be read is skipped.
   */
  public static Map<String, List<String>> users(ContentStore store) throws IOException {
    Map<String, List<String>> users = new TreeMap<>();
    for (String container : ContainerDirectory.list(store)) {
      ContainerRecord record;
      try {
        record = ContainerRecord.read(
            ContainerDirectory.containers(store).resolve(container).resolve(
                ContainerDirectory.JSON));
      } catch (IOException e) {
        continue; // removed meanwhile, or damaged: fsck reports it
      }
      for (String spec : record.mounts()) {
        Mount m = Mount.parse(spec);
        if (m.type() == Mount.Type.VOLUME) {
          users.computeIfAbsent(m.source(), k -> new ArrayList<>()).add(container);
        }
      }
    }
    users.values().forEach(Collections::sort);
    return users;
  }

  /**
   * {@link #remove}, refused for a volume a container mounts, as {@code docker volume rm} refuses
   * one in use.
   *
   * @throws IOException naming the containers that use it
   */
  public static void removeUnused(ContentStore store, String name) throws IOException {
    checkName(name);
    try (VolumeLock lock = VolumeLock.acquire(store)) {
      List<String> using = users(store).get(name);
      if (using != null) {
        throw new IOException("volume " + name + " is in use by container" + (using.size() > 1
            ? "s " : " ") + String.join(", ", using) + " (remove " + (using.size() > 1 ? "them"
            : "it") + " first)");
      }
      remove(store, name);
    }
  }

  /** Removes every volume no container mounts; their names, sorted, and the bytes they held. */
  public static VolumePruneReport prune(ContentStore store) throws IOException {
    List<String> removed = new ArrayList<>();
    long freed = 0;
    try (VolumeLock lock = VolumeLock.acquire(store)) {
      Map<String, List<String>> users = users(store);
      for (String name : list(store)) {
        if (!users.containsKey(name)) {
          long bytes = size(root(store).resolve(name).resolve(DATA));
          try {
            remove(store, name);
            removed.add(name);
            freed += bytes;
          } catch (NoSuchFileException e) {
            // removed by someone else meanwhile
          }
        }
      }
      deleteLeftovers(store); // also when no volume was unused
    }
    return new VolumePruneReport(removed, freed);
  }

  /**
   * The bytes of the regular files under {@code dir}, a file of several links once, links not
   * followed; what cannot be read is not counted (the prune it reports goes on).
   */
  static long size(Path dir) throws IOException {
    long[] bytes = {0};
    Set<Object> seen = new HashSet<>();
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        Object key = attrs.fileKey();
        if (attrs.isRegularFile() && (key == null || seen.add(key))) {
          bytes[0] += attrs.size();
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        return FileVisitResult.CONTINUE;
      }
    });
    return bytes[0];
  }

  private static Path root(ContentStore store) throws IOException {
    return store.stateDir().resolve("volumes");
  }

  private static void checkName(String name) {
    if (name == null || name.length() > MAX_NAME || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid volume name '" + name
          + "': must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most " + MAX_NAME + " characters)");
    }
  }

  private static NoSuchFileException missing(ContentStore store, String name) {
    return new NoSuchFileException(name, null, "no volume " + name + " in store " + store.root());
  }
}
