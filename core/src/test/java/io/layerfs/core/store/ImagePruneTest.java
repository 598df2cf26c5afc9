package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.GcReport;
import io.layerfs.core.ImagePruneReport;
import io.layerfs.core.ImagePruneReport.PrunedImage;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Store#pruneImages}: as {@code docker image prune}, the dangling images no container
 * uses go (with {@code all}, every image no container uses), and exactly what they alone
 * reached is freed with them.
 */
class ImagePruneTest {
  @TempDir Path tmp;
  private Path dir;
  private ContentStore content;
  private Built base;
  private Built next;

  /** base:1 and next:1, two images sharing no blob; base's tag then moves to next. */
  @BeforeEach
  void buildStore() throws IOException {
    dir = tmp.resolve("store");
    content = ContentStore.open(dir);
    base = ImageBuilder.create(dir).layer().file("/base", "b\n").build("base:1");
    next = ImageBuilder.create(dir).layer().file("/next", "n\n").build("next:1");
  }

  private static Digest digest(String s) {
    return Digest.parse(s);
  }

  /** Every blob of {@code image}: manifest, config and layers. */
  private static Set<Digest> blobs(Built image) {
    Set<Digest> all = new java.util.HashSet<>();
    all.add(digest(image.manifestDigest()));
    all.add(digest(image.configDigest()));
    image.layerDigests().forEach(d -> all.add(digest(d)));
    return all;
  }

  private Set<Digest> removedBlobs(GcReport report) {
    return report.removed(GcReport.Kind.BLOB).stream().map(i -> digest(i.name()))
        .collect(Collectors.toSet());
  }

  @Test
  void aDanglingImageGoesWithWhatOnlyItReachedAndOlderGarbageStays() throws IOException {
    Digest garbage = content.write("left by an earlier rmi".getBytes(StandardCharsets.UTF_8));
    try (Store store = Store.open(dir)) {
      store.tag("next:1", "base:1"); // base is dangling now
      assertEquals(List.of(digest(base.manifestDigest())), store.untaggedImages());
      ImagePruneReport report = store.pruneImages(false);
      assertEquals(List.of(new PrunedImage(digest(base.manifestDigest()),
          digest(base.configDigest()), List.of(), true)), report.images());
      assertEquals(List.of(), store.untaggedImages());
      assertEquals(List.of("base:1", "next:1"), store.tags());
      assertEquals(blobs(base), removedBlobs(report.freed()));
      long bytes = report.freed().removed().stream().mapToLong(GcReport.Item::bytes).sum();
      assertEquals(bytes, report.freed().bytesFreed());
      assertTrue(bytes > 0);
      for (Digest d : blobs(base)) {
        assertFalse(content.contains(d), d + " is freed");
      }
      for (Digest d : blobs(next)) {
        assertTrue(content.contains(d), d + " stays: next:1 and base:1 name it");
      }
      assertTrue(content.contains(garbage), "garbage from before is gc's");

      Object indexFile = Files.readAttributes(dir.resolve("index.json"),
          BasicFileAttributes.class).fileKey();
      ImagePruneReport again = store.pruneImages(false);
      assertEquals(List.of(), again.images());
      assertEquals(0, again.freed().bytesFreed());
      assertEquals(indexFile, Files.readAttributes(dir.resolve("index.json"),
          BasicFileAttributes.class).fileKey(), "nothing pruned: index.json not rewritten");
    }
  }

  @Test
  void withoutAllTaggedImagesStayAndWithAllEveryUnusedOneGoesWithAllItsTags()
      throws IOException {
    try (Store store = Store.open(dir)) {
      store.tag("base:1", "base:latest");
      assertEquals(List.of(), store.pruneImages(false).images());
      assertEquals(List.of("base:1", "base:latest", "next:1"), store.tags());

      ImagePruneReport all = store.pruneImages(true);
      assertEquals(List.of(
          new PrunedImage(digest(base.manifestDigest()), digest(base.configDigest()),
              List.of("base:1", "base:latest"), true),
          new PrunedImage(digest(next.manifestDigest()), digest(next.configDigest()),
              List.of("next:1"), true)), all.images());
      assertEquals(List.of(), store.tags());
      assertEquals(List.of(), content.readIndex().manifests());
      Set<Digest> everything = blobs(base);
      everything.addAll(blobs(next));
      assertEquals(everything, removedBlobs(all.freed()));
    }
  }

  @Test
  void anImageAContainerUsesStaysTaggedOrDangling() throws IOException {
    try (Store store = Store.open(dir)) {
      store.container("web", "base:1", false).close();
      store.container("api", "next:1", false).close();
      store.tag("next:1", "base:1"); // base, web's image, dangling
      assertEquals(List.of(digest(base.manifestDigest())), store.untaggedImages());

      assertEquals(List.of(), store.pruneImages(false).images());
      assertEquals(List.of(), store.pruneImages(true).images());
      assertEquals(List.of(digest(base.manifestDigest())), store.untaggedImages());
      assertEquals(List.of("base:1", "next:1"), store.tags());

      store.removeContainer("api");
      ImagePruneReport report = store.pruneImages(true);
      assertEquals(List.of(new PrunedImage(digest(next.manifestDigest()),
          digest(next.configDigest()), List.of("base:1", "next:1"), true)), report.images());
      assertEquals(blobs(next), removedBlobs(report.freed()));
      assertEquals(List.of(digest(base.manifestDigest())), store.untaggedImages());
      for (Digest d : blobs(base)) {
        assertTrue(content.contains(d), d + " stays: web uses it");
      }
    }
  }

  /**
   * An image of the same ID (config) in another manifest, still tagged, keeps the ID listed and
   * its config stored: the prune removes the dangling manifest but deletes no image ID.
   */
  @Test
  void aDanglingManifestWhoseIdStaysListedDeletesNoId() throws IOException {
    Built twin = ImageBuilder.create(dir).layer(LayerCompression.NONE).file("/base", "b\n")
        .build("twin:1");
    assertEquals(base.configDigest(), twin.configDigest(), "the same config, uncompressed");
    try (Store store = Store.open(dir)) {
      store.tag("next:1", "base:1");
      ImagePruneReport report = store.pruneImages(false);
      assertEquals(List.of(new PrunedImage(digest(base.manifestDigest()),
          digest(base.configDigest()), List.of(), false)), report.images());
      Set<Digest> freed = blobs(base);
      freed.remove(digest(base.configDigest()));
      assertEquals(freed, removedBlobs(report.freed()));
      assertTrue(content.contains(digest(base.configDigest())));
    }
  }

  /**
   * As docker's containerd image store prunes with {@code -a}: an image a container uses keeps
   * the tag the container was created by and loses the others; one created by digest keeps no
   * tag and stays dangling. Nothing of a used image is freed.
   */
  @Test
  void withAllAUsedImageLosesTheTagsNoContainerWasCreatedBy() throws IOException {
    try (Store store = Store.open(dir)) {
      store.tag("base:1", "base:2");
      store.tag("base:1", "base:latest");
      store.container("web", "base", false).close(); // base:latest, as docker reads it
      store.container("api", next.manifestDigest(), false).close();
      store.tag("next:1", "next:2");

      ImagePruneReport report = store.pruneImages(true);
      assertEquals(List.of(
          new PrunedImage(digest(base.manifestDigest()), digest(base.configDigest()),
              List.of("base:1", "base:2"), false),
          new PrunedImage(digest(next.manifestDigest()), digest(next.configDigest()),
              List.of("next:1", "next:2"), false)), report.images());
      assertEquals(List.of("base:latest"), store.tags());
      assertEquals(List.of(digest(next.manifestDigest())), store.untaggedImages());
      assertEquals(List.of(), report.freed().removed());
      assertEquals(List.of(), store.pruneImages(true).images(), "nothing more to prune");
    }
  }

  /** A container made before holds existed keeps its image by its record alone. */
  @Test
  void aContainerRecordWithoutAHoldKeepsItsImage() throws IOException {
    try (Store store = Store.open(dir)) {
      store.container("web", "base:1", false).close();
      assertTrue(content.release("web"));
      store.tag("next:1", "base:1");
      assertEquals(List.of(), store.pruneImages(false).images());
      assertEquals(List.of(digest(base.manifestDigest())), store.untaggedImages());
    }
  }

  @Test
  void anUnreadableContainerRecordStopsThePruneBeforeItRemovesAnything() throws IOException {
    try (Store store = Store.open(dir)) {
      store.container("web", "next:1", false).close();
      store.tag("next:1", "base:1");
      Files.writeString(dir.resolve("layerfs/containers/web/container.json"), "{broken");
      IOException e = assertThrows(IOException.class, () -> store.pruneImages(false));
      assertTrue(e.getMessage().contains("container web"), e.getMessage());
      assertTrue(e.getMessage().contains("no image was pruned"), e.getMessage());
      assertEquals(List.of(digest(base.manifestDigest())), store.untaggedImages());
    }
  }

  /**
   * A container being created (its image resolved and held under an ingest lease) is waited
   * for: the prune then sees it and keeps its image, rather than removing the image under it.
   */
  @Test
  @SuppressWarnings("try") // the lease is held, not used
  void aContainerCreatedWhileThePruneWaitsKeepsItsImage() throws Exception {
    try (Store store = Store.open(dir)) {
      store.tag("next:1", "base:1");
      String dangling = base.manifestDigest();
      CompletableFuture<ImagePruneReport> prune;
      try (Lease creating = content.lease()) {
        prune = CompletableFuture.supplyAsync(() -> {
          try {
            return store.pruneImages(false);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        Thread.sleep(300); // the prune waits for the lease
        assertFalse(prune.isDone(), "the prune waits while a lease is held");
        store.container("web", dangling, false).close();
      }
      assertEquals(List.of(), prune.get(30, TimeUnit.SECONDS).images());
      assertEquals(List.of(digest(dangling)), store.untaggedImages());
    }
  }
}
