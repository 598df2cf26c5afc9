package io.layerfs.core.fsck;

import io.layerfs.core.FsckReport;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.LeaseGate;
import io.layerfs.core.rootfs.LayerStore;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Checks a store as {@code git fsck} checks a repository: runs the {@link Check}s in order over
 * one {@link FsckRun} and reports what they found (the package documentation lists the checks
 * and what a repair does).
 */
public final class Fsck {
  /** How long a repair waits for ingest leases, as gc does. */
  public static final Duration LEASE_TIMEOUT = Duration.ofSeconds(60);

  private Fsck() {}

  /**
   * The checks, in order: images and containers first, since they say which blobs are needed,
   * what size they must have and which are derived; then the blobs themselves (a repair
   * quarantines the corrupt ones first); then the layers' uncompressed blobs and indexes, chunk
   * by chunk; then each container's log, snapshot and data files; then volumes whose fill was
   * cut short; then the bytes held of lazily read layers; then the lock files.
   */
  private static List<Check> checks() {
    return List.of(
        new ImageCheck(),
        new ContainerCheck(),
        new BlobCheck(),
        new LayerIndexCheck(),
        new ContainerFilesCheck(),
        new VolumeCheck(),
        new LazyCheck(),
        new LockFileCheck());
  }

  /**
   * Checks {@code store}; with {@code repair}, quarantines corrupt blobs and removes derived data
   * that can be rebuilt, holding the lease gate as gc does so no import or commit runs meanwhile.
   *
   * @param layers the store's layer store, asked for only by checks that read layers
   * @throws IOException if the store cannot be listed, or a repair fails
   */
  public static FsckReport run(ContentStore store, Supplier<LayerStore> layers, boolean repair,
      Progress progress) throws IOException {
    if (!repair) {
      return check(new FsckRun(store, layers, false, progress));
    }
    return LeaseGate.of(store.root(), store.stateDir())
        .exclusive(LEASE_TIMEOUT, () -> check(new FsckRun(store, layers, true, progress)));
  }

  private static FsckReport check(FsckRun run) throws IOException {
    for (Check check : checks()) {
      check.run(run);
    }
    return run.report();
  }
}
