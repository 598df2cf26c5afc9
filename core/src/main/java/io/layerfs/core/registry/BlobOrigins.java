package io.layerfs.core.registry;

import io.layerfs.core.Digest;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where blobs of the store came from or went to: per blob, the repositories ({@code
 * host/path}) that are known to hold it, in {@code layerfs/origins/ALG/HEX}, one a line. A push
 * asks it for another repository of the same registry to mount the blob from instead of
 * uploading it. A hint only: a stale line costs a declined mount and an upload, so lines are
 * replaced whole (temp file, rename) without a lock, and a race may drop one. A file that does
 * not read (a directory in its place, say) is no hint, and one that cannot be written is not
 * written: neither fails a pull or a push. Public only for gc, which asks for {@link #root}.
 */
public final class BlobOrigins {
  private static final int MAX_LINES = 32;
  private final Path root;
  private final ContentStore store;

  private BlobOrigins(ContentStore store, Path root) {
    this.store = store;
    this.root = root;
  }

  static BlobOrigins of(ContentStore store) throws IOException {
    return new BlobOrigins(store, root(store));
  }

  /**
   * {@code layerfs/origins/} of a store, holding {@code <alg>/<hex>} per blob (gc removes those
   * of blobs the store no longer holds).
   */
  public static Path root(ContentStore store) throws IOException {
    return store.stateDir().resolve("origins");
  }

  /** Records that {@code repository} holds {@code digest}. */
  void record(Digest digest, Reference repository) throws IOException {
    String name = repository.name();
    List<String> lines = read(digest);
    if (lines.contains(name)) {
      return;
    }
    lines.add(0, name);
    while (lines.size() > MAX_LINES) {
      lines.remove(lines.size() - 1);
    }
    Path file = file(digest);
    Path temp = null;
    try {
      Files.createDirectories(file.getParent());
      temp = store.newTempFile("origin");
      Files.write(temp, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
      BlobWriter.move(temp, file);
    } catch (IOException e) {
      // a hint only: a directory in the file's place (or a full disk) costs a later upload
      if (temp != null) {
        Files.deleteIfExists(temp);
      }
    }
  }

  /**
   * A repository of {@code target}'s registry other than {@code target}'s that held the blob.
   */
  Optional<String> mountSource(Digest digest, Reference target) throws IOException {
    String prefix = target.domain() + "/";
    for (String line : read(digest)) {
      if (line.startsWith(prefix) && !line.equals(target.name())) {
        return Optional.of(line.substring(prefix.length()));
      }
    }
    return Optional.empty();
  }

  private List<String> read(Digest digest) throws IOException {
    try {
      List<String> lines = new ArrayList<>();
      for (String line : Files.readAllLines(file(digest), StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          lines.add(line.trim());
        }
      }
      return lines;
    } catch (NoSuchFileException e) {
      return new ArrayList<>();
    } catch (IOException e) {
      return new ArrayList<>(); // not a hint to follow (a directory, bytes that are not UTF-8)
    }
  }

  private Path file(Digest digest) {
    return root.resolve(digest.algorithm()).resolve(digest.hex());
  }
}
