package io.layerfs.core.registry;

import io.layerfs.core.Digest;
import io.layerfs.core.Progress;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.core.oci.Descriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pulls an image from a registry into a store: the manifest (and the image index it was picked
 * from, which is not stored), the config and the layers the store lacks, layers in parallel on a
 * bounded pool; then tags it. The layers start downloading as soon as the manifest is read: the
 * config is fetched and stored, with the manifest, while they download. Every blob goes through
 * a {@link BlobWriter}, so it is verified against its digest and size before it is published,
 * and the whole pull holds an ingest lease, so gc cannot take blobs written but not yet tagged.
 * The tag is set last: a pull that fails or is killed tags nothing, and leaves only verified
 * blobs (used by the next pull) and temp files (removed by gc after an hour).
 */
public final class ImagePull {
  private static final int BUFFER = 1 << 16;
  private static final AtomicInteger THREADS = new AtomicInteger();

  private ImagePull() {}

  /**
   * What a pull did.
   *
   * @param source where the manifest came from: {@code reference} itself, or the mirror or
   *     location a registries.conf sent the pull to
   * @param tag the tag it set in the store's {@code index.json}
   * @param layersFetched layers downloaded (the others were in the store)
   * @param bytesFetched layer bytes downloaded
   */
  public record Result(Reference reference, Reference source, String tag, Digest manifestDigest,
      Platform platform, int layers, int layersFetched, long bytesFetched) {}

  /**
   * Pulls {@code reference} (see the class comment).
   *
   * @param tagOrNull the tag to set; null for {@link Reference#storeTag()}
   * @throws RegistryException when the registry refuses or lacks something
   * @throws IOException when a blob does not match its digest or size (nothing is tagged then),
   *     or the store cannot be written
   */
  public static Result pull(ContentStore store, RegistryClient client, Reference reference,
      Platform platform, String tagOrNull, Progress progress) throws IOException {
    String tag = tagOrNull != null ? tagOrNull : reference.storeTag();
    ContentStore.checkTag(tag);
    Progress p = progress == null ? Progress.NONE : progress;
    try (Lease lease = store.lease()) {
      RegistryClient.LocalBlobs local = RegistryClient.LocalBlobs.of(store);
      RegistryClient.ResolvedManifest manifest = client.resolveManifest(reference, platform,
          local);
      Map<Digest, Descriptor> missing = new LinkedHashMap<>();
      for (Descriptor layer : manifest.layers()) {
        if (!store.contains(layer.digest())) {
          missing.putIfAbsent(layer.digest(), layer);
        }
      }
      RemoteImage[] resolved = new RemoteImage[1];
      long bytes = fetchLayers(store, client, reference, new ArrayList<>(missing.values()), p,
          () -> {
            RemoteImage image = client.withConfig(manifest, local);
            store.ingest(new ByteArrayInputStream(image.configBytes()), image.config().digest(),
                image.configBytes().length);
            store.ingest(new ByteArrayInputStream(image.manifestBytes()),
                image.manifestDigest(), image.manifestBytes().length);
            resolved[0] = image;
          });
      RemoteImage image = resolved[0];
      BlobOrigins origins = BlobOrigins.of(store);
      for (Descriptor layer : image.layers()) {
        origins.record(layer.digest(), reference);
      }
      origins.record(image.config().digest(), reference);
      store.tag(tag, image.manifestDigest());
      return new Result(reference, manifest.source(), tag, image.manifestDigest(), platform,
          image.layers().size(), missing.size(), bytes);
    }
  }

  /** Work done on the pulling thread while the layers download. */
  private interface Meanwhile {
    void run() throws IOException;
  }

  /**
   * Downloads {@code layers} on a pool, runs {@code meanwhile} on this thread, then waits for
   * the downloads; the first failure of either stops the others and is thrown.
   */
  private static long fetchLayers(ContentStore store, RegistryClient client, Reference reference,
      List<Descriptor> layers, Progress progress, Meanwhile meanwhile) throws IOException {
    if (layers.isEmpty()) {
      meanwhile.run();
      return 0;
    }
    // a bar per layer, all at once, where the progress can draw them so; else in order
    Progress.Parallel parallel = progress instanceof Progress.Parallel p ? p : null;
    LayerProgress shared = parallel != null ? null : new LayerProgress(progress, layers);
    int threads = Math.min(layers.size(), client.options().parallelism());
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "layerfs-pull-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    AtomicLong fetched = new AtomicLong();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < layers.size(); i++) {
        Descriptor layer = layers.get(i);
        Progress one = shared != null ? shared.of(i)
            : parallel.task("pull " + layer.digest(), layer.size());
        futures.add(pool.submit(() -> {
          fetched.addAndGet(fetchBlob(store, client, reference, layer, one));
          if (shared != null) {
            shared.finished(layer);
          } else {
            one.done();
          }
          return null;
        }));
      }
      IOException failure = null;
      try {
        meanwhile.run();
      } catch (IOException e) {
        failure = e;
        pool.shutdownNow(); // the downloads stop; their temp files go
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          IOException cause = e.getCause() instanceof IOException io ? io
              : new IOException(e.getCause());
          if (failure == null) {
            failure = cause;
            pool.shutdownNow(); // the other downloads stop; their temp files go
          } else if (!(cause instanceof InterruptedIOException)) {
            failure.addSuppressed(cause);
          }
        } catch (java.util.concurrent.CancellationException e) {
          // cancelled after the first failure
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          pool.shutdownNow();
          throw new InterruptedIOException("pull of " + reference + " interrupted");
        }
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      pool.shutdownNow();
      if (shared != null) {
        shared.close();
      }
    }
    return fetched.get();
  }

  /** Downloads one blob into the store, verified; returns its size. */
  static long fetchBlob(ContentStore store, RegistryClient client, Reference reference,
      Descriptor blob, Progress progress) throws IOException {
    String what = "registry " + reference.endpoint() + ": blob " + blob.digest() + " of "
        + reference.name();
    BlobRange range = client.openBlob(reference, blob.digest(), 0, -1);
    try (InputStream in = range.stream();
        BlobWriter writer = store.newWriter(blob.digest(), blob.size())) {
      if (range.blobSize() >= 0 && range.blobSize() != blob.size()) {
        throw new IOException(what + ": the registry serves " + range.blobSize()
            + " bytes but the manifest says " + blob.size());
      }
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = in.read(buffer)) > 0) {
        writer.write(buffer, 0, n);
        progress.advance(n);
      }
      try {
        writer.commit(blob.digest(), blob.size());
      } catch (IOException e) {
        throw new IOException(what + ": " + e.getMessage() + "; nothing was stored", e);
      }
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("blob is larger")) {
        throw new IOException(what + ": " + e.getMessage() + "; nothing was stored", e);
      }
      throw e;
    }
    return blob.size();
  }

  /**
   * Progress of layers downloaded in parallel, told as one step per layer in manifest order (a
   * bar per layer on a terminal): bytes of a layer whose step has not begun are counted and
   * reported when it does. Calls to the target are serialized, from whichever download thread.
   */
  private static final class LayerProgress {
    private final Progress target;
    private final List<Descriptor> layers;
    private final long[] pending;
    private final boolean[] finished;
    private int current;
    private boolean open;

    LayerProgress(Progress target, List<Descriptor> layers) {
      this.target = target;
      this.layers = layers;
      this.pending = new long[layers.size()];
      this.finished = new boolean[layers.size()];
      begin();
    }

    Progress of(int index) {
      return new Progress() {
        @Override
        public void start(String step, long total) {}

        @Override
        public void advance(long amount) {
          LayerProgress.this.advance(index, amount);
        }

        @Override
        public void done() {}
      };
    }

    synchronized void advance(int index, long amount) {
      if (index == current && open) {
        target.advance(amount);
      } else {
        pending[index] += amount;
      }
    }

    synchronized void finished(Descriptor layer) {
      finished[layers.indexOf(layer)] = true;
      while (current < layers.size() && finished[current]) {
        target.done();
        open = false;
        current++;
        begin();
      }
    }

    synchronized void close() {
      if (open) {
        target.done();
        open = false;
      }
    }

    private void begin() {
      if (current < layers.size()) {
        Descriptor layer = layers.get(current);
        target.start("pull " + layer.digest(), layer.size());
        open = true;
        if (pending[current] > 0) {
          target.advance(pending[current]);
          pending[current] = 0;
        }
      }
    }
  }
}
