package io.layerfs.core.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.ContainerInfo;
import io.layerfs.core.Digest;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The containers directory of a store, {@code <store>/layerfs/containers/NAME/}: names, the
 * {@code container.json} written once at creation, listing, describing and removing, none of
 * which needs a container open (the package documentation describes one directory and the
 * format of {@code container.json}).
 */
public final class ContainerDirectory {
  static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  public static final String JSON = "container.json";
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private ContainerDirectory() {}

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
        if (NAME.matcher(n).matches() && Files.exists(p.resolve(JSON))) {
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
      throw new NoSuchFileException(dir.toString(), null,
          "no container " + name + " in store " + store.root());
    }
    JsonNode meta = MAPPER.readTree(json.toFile());
    long size = 0;
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          size += Files.size(p);
        }
      }
    } catch (java.io.UncheckedIOException e) {
      // a file went away while counting (a writer compacting): count what remains
    }
    return new ContainerInfo(name, meta.path("image").asText(),
        Digest.parse(meta.path("manifest").asText()),
        Instant.parse(meta.path("created").asText()), size);
  }

  /**
   * Removes a container and its writable layer.
   *
   * @throws NoSuchFileException if there is none of that name
   * @throws IOException if it is open for writing
   */
  public static void remove(ContentStore store, String name) throws IOException {
    checkName(name);
    Path dir = containers(store).resolve(name);
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null,
          "no container " + name + " in store " + store.root());
    }
    try (ContainerLock lock = ContainerLock.acquire(dir, name)) {
      // container.json first: a crash part way leaves no half container that list() shows
      Files.deleteIfExists(dir.resolve(JSON));
      try (Stream<Path> walk = Files.walk(dir)) {
        List<Path> all = new ArrayList<>(walk.toList());
        Collections.reverse(all);
        for (Path p : all) {
          if (!p.equals(dir) && !p.getFileName().toString().equals("lock")) {
            Files.delete(p);
          }
        }
      }
    }
    Files.deleteIfExists(dir.resolve("lock"));
    Files.deleteIfExists(dir);
  }

  /** {@code layerfs/containers/}: one folder per container. */
  public static Path containers(ContentStore store) throws IOException {
    return store.stateDir().resolve("containers");
  }

  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "invalid container name '" + name + "': must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    }
  }

  public static void writeJson(Path dir, String name, String image, Digest manifest)
      throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("image", image);
    m.put("manifest", manifest.toString());
    m.put("created", Instant.now().toString());
    byte[] bytes = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
    Path tmp = dir.resolve(JSON + ".tmp");
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        c.write(b);
      }
      c.force(true);
    }
    BlobWriter.move(tmp, dir.resolve(JSON));
    FileTrees.fsyncDirectory(dir);
  }

  /**
   * One container as a gc root: the manifest its {@code container.json} records (or the temp
   * file it is being created from), or null with {@code problem} saying why it cannot be read.
   */
  public record Root(String name, Digest manifest, boolean creating, String problem) {}

  /**
   * The gc roots of the containers of {@code store}: each container's manifest. A container
   * being created counts by its temp file; one whose record cannot be read is a root with a
   * problem, so gc can refuse to delete rather than guess.
   */
  public static List<Root> roots(ContentStore store) throws IOException {
    Path containers = containers(store);
    List<Root> roots = new ArrayList<>();
    if (!Files.isDirectory(containers)) {
      return roots;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(containers)) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        Path json = dir.resolve(JSON);
        if (Files.isRegularFile(json)) {
          Digest manifest = manifestOf(json);
          roots.add(new Root(name, manifest, false, manifest != null ? null
              : JSON + " of container " + name + " has no valid 'manifest' digest: " + json));
        } else {
          // being created: container.json is written by rename from this temp file
          Path tmp = dir.resolve(JSON + ".tmp");
          Digest manifest = Files.isRegularFile(tmp) ? manifestOf(tmp) : null;
          if (manifest != null) {
            roots.add(new Root(name, manifest, true, null));
          }
        }
      }
    }
    return roots;
  }

  /** The manifest digest a container.json records, or null if it cannot be read. */
  private static Digest manifestOf(Path json) {
    try {
      JsonNode node = MAPPER.readTree(Files.readAllBytes(json));
      JsonNode manifest = node == null ? null : node.get("manifest");
      return manifest != null && manifest.isTextual() ? Digest.parse(manifest.textValue()) : null;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }
}
