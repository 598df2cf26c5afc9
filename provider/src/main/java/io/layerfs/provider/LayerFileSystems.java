package io.layerfs.provider;

import io.layerfs.core.Change;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.Image;
import io.layerfs.core.Progress;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.ProviderMismatchException;
import java.util.List;

/**
 * What an open layerfs file system offers beyond {@code java.nio.file}: the changes of its
 * container ({@code docker diff}) and committing them as a new image ({@code docker commit}),
 * while the file system stays open.
 *
 * <pre>{@code
 * try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"), env)) {
 *   Files.writeString(fs.getPath("/etc/motd"), "hello\n");
 *   LayerFileSystems.diff(fs);                                   // [C /etc, C /etc/motd]
 *   LayerFileSystems.commit(fs, "web:2", CommitOptions.defaults());
 * }
 * }</pre>
 */
public final class LayerFileSystems {
  private LayerFileSystems() {}

  /**
   * The container's changes against its image, sorted by path; empty for a view of an image.
   *
   * @throws ProviderMismatchException if {@code fs} is not a layerfs file system
   */
  public static List<Change> diff(FileSystem fs) throws IOException {
    Container c = of(fs).container();
    return c == null ? List.of() : c.diff();
  }

  /**
   * Commits the container's changes as a new image on top of its image (see {@link
   * Container#commit}), tagged {@code tagOrNull} in the store when given, else kept untagged
   * (found by its digest, kept by gc), as {@code docker commit} keeps a dangling image.
   *
   * @throws IllegalArgumentException for a view of an image, which has no changes to commit
   * @throws ProviderMismatchException if {@code fs} is not a layerfs file system
   */
  public static Image commit(FileSystem fs, String tagOrNull, CommitOptions options)
      throws IOException {
    Container c = of(fs).container();
    if (c == null) {
      throw new IllegalArgumentException(fs + " is a view of an image, not a container: "
          + "there is nothing to commit");
    }
    return c.commit(tagOrNull, options, Progress.NONE);
  }

  private static LayerFileSystem of(FileSystem fs) {
    if (!(fs instanceof LayerFileSystem)) {
      throw new ProviderMismatchException("not a layerfs file system: " + fs);
    }
    return (LayerFileSystem) fs;
  }
}
