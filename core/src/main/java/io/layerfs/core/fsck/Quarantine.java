package io.layerfs.core.fsck;

import io.layerfs.core.Digest;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code layerfs/quarantine/<alg>/<hex>[.N]}: where a repair moves blobs whose bytes do not match
 * their digest, so nothing reads them as that digest again and nothing is lost (a person may
 * still look at them, or delete them). gc never touches it.
 */
final class Quarantine {
  private Quarantine() {}

  static Path root(ContentStore store) throws IOException {
    return store.stateDir().resolve("quarantine");
  }

  /** Moves blob {@code digest} out of {@code blobs/}; returns where it went. */
  static Path move(ContentStore store, Digest digest) throws IOException {
    Path dir = Files.createDirectories(root(store).resolve(digest.algorithm()));
    Path target = dir.resolve(digest.hex());
    for (int n = 1; Files.exists(target); n++) {
      target = dir.resolve(digest.hex() + "." + n); // corrupt again after a restore
    }
    Path source = store.blobPath(digest);
    BlobWriter.move(source, target);
    FileTrees.fsyncDirectory(dir);
    FileTrees.fsyncDirectory(source.getParent());
    return target;
  }
}
