package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.FsckReport;
import io.layerfs.core.GcReport;
import io.layerfs.core.Progress;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.content.LeaseGate;
import io.layerfs.core.oci.OciIndex;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each container's image is held in index.json by an entry annotated {@value
 * OciIndex#CONTAINER}, so tools that collect garbage from index.json alone (umoci gc) keep it;
 * holds are neither tags nor untagged images.
 */
class ContainerHoldTest {
  @TempDir Path tmp;
  private Path dir;
  private ContentStore content;
  private Digest manifest;

  @BeforeEach
  void buildStore() throws IOException {
    dir = tmp.resolve("store");
    content = ContentStore.open(dir);
    ImageBuilder.create(content.root())
        .layer(LayerCompression.GZIP).dir("/etc").file("/etc/motd", "hello\n")
        .build("a:1");
    try (Store store = Store.open(dir)) {
      Image image = store.image("a:1");
      manifest = image.manifestDigest();
      store.container("web", "a:1", false).close();
    }
  }

  @Test
  void aContainerHoldsItsImageUntilItIsRemoved() throws IOException {
    assertTrue(content.holds("web", manifest));
    assertEquals(Set.of("web"), content.readIndex().holds().keySet());
    try (Store store = Store.open(dir)) {
      assertEquals(List.of("a:1"), store.tags());
      assertEquals(List.of(), store.untaggedImages());
      store.untag("a:1");
      // the hold is no untagged image: not listed, not removed by digest
      assertEquals(List.of(), store.untaggedImages());
      assertFalse(store.removeUntagged(manifest));
      assertTrue(content.holds("web", manifest));

      store.removeContainer("web");
      assertEquals(Map.of(), content.readIndex().holds());
      assertEquals(List.of(), content.readIndex().manifests());
    }
  }

  @Test
  void anImageKeptUntaggedGetsItsOwnEntryBesideAHold() throws IOException {
    content.untag("a:1");
    content.keepUntagged(manifest);
    assertEquals(List.of(manifest), content.readIndex().untagged());
    try (Store store = Store.open(dir)) {
      store.removeContainer("web");
    }
    assertEquals(List.of(manifest), content.readIndex().untagged());
  }

  @Test
  void openingForWritingRestoresALostHold() throws IOException {
    content.updateIndex(index -> index.release("web"));
    try (Store store = Store.open(dir)) {
      store.container("web", null, true).close();
      assertEquals(Map.of(), content.readIndex().holds(), "a read-only open writes nothing");
      store.container("web", null, false).close();
    }
    assertTrue(content.holds("web", manifest));
  }

  @Test
  void aWritableOpenChecksTheHoldOnlyWhenIndexJsonChangedSinceTheLastCheck() throws IOException {
    Digest hold = content.readIndex().holds().get("web");
    Path holdBlob = content.blobPath(hold);
    Path stamp = content.stateDir().resolve("containers/web").resolve(HoldStamp.FILE);
    assertTrue(Files.isRegularFile(stamp), "the create checked and stamped");
    // unchanged index.json: the open trusts the stamp (fsck reports a missing hold blob)
    Files.delete(holdBlob);
    try (Store store = Store.open(dir)) {
      store.container("web", null, false).close();
    }
    assertFalse(Files.exists(holdBlob));
    // a damaged stamp is no stamp: the hold is checked and its blob written again
    Files.writeString(stamp, "garbage");
    try (Store store = Store.open(dir)) {
      store.container("web", null, false).close();
    }
    assertTrue(content.holds("web", manifest));
    // index.json rewritten by another tool (a tag added): checked again
    Files.delete(holdBlob);
    content.tag("b:1", manifest);
    try (Store store = Store.open(dir)) {
      store.container("web", null, false).close();
    }
    assertTrue(content.holds("web", manifest));
  }

  @Test
  void aContainerWhoseManifestIsGoneFailsNamingItAndTheBlob() throws IOException {
    content.updateIndex(index -> index.release("web"));
    content.untag("a:1");
    Files.delete(content.blobPath(manifest));
    try (Store store = Store.open(dir)) {
      NoSuchFileException e = assertThrows(NoSuchFileException.class,
          () -> store.container("web", null, true));
      assertTrue(e.getMessage().contains("container web"), e.getMessage());
      assertTrue(e.getMessage().contains("manifest " + manifest), e.getMessage());
      assertTrue(e.getMessage().contains("umoci gc"), e.getMessage());
    }
  }

  @Test
  void removalWaitsForACollectionSoThatNoneSeesAContainerHalfRemoved() throws Exception {
    Path web = dir.resolve("layerfs/containers/web");
    CompletableFuture<Void> removal = new CompletableFuture<>();
    boolean[] presentWhileCollecting = new boolean[1];
    LeaseGate.of(content.root(), content.stateDir()).exclusive(Duration.ofSeconds(30), () -> {
      Thread remover = new Thread(() -> {
        try (Store store = Store.open(dir)) {
          store.removeContainer("web");
          removal.complete(null);
        } catch (IOException | RuntimeException e) {
          removal.completeExceptionally(e);
        }
      });
      remover.start();
      try {
        removal.get(500, TimeUnit.MILLISECONDS); // done during the collection: the defect
      } catch (TimeoutException expected) {
        // waiting for the collection, as it must
      } catch (InterruptedException | ExecutionException e) {
        throw new AssertionError(e);
      }
      presentWhileCollecting[0] = Files.exists(web.resolve("container.json"));
      return null;
    });
    assertTrue(presentWhileCollecting[0], "the container was removed while gc held the store");
    removal.get(30, TimeUnit.SECONDS);
    assertFalse(Files.exists(web));
    assertFalse(content.holds("web", manifest));
  }

  @Test
  void aRemovalCutShortIsGoneAtOnceAndGcFinishesItReleasingTheHold() throws IOException {
    writeInto("web");
    ContainerDirectory.detach(content, "web"); // a removal killed right after its rename
    Path left = ContainerDirectory.removals(content).get(0).dir();
    content.untag("a:1");
    try (Store store = Store.open(dir)) {
      assertEquals(List.of(), store.containers());
      assertThrows(IllegalArgumentException.class, () -> store.container("web", null, true));
      assertTrue(content.holds("web", manifest), "the hold keeps the image until it is done");
      List<FsckReport.Problem> problems = store.fsck(false, Progress.NONE).problems();
      assertEquals(1, problems.size(), problems.toString());
      assertTrue(problems.get(0).message().contains("removal was cut short (" + left),
          problems.get(0).message());

      GcReport gc = store.gc(false);
      assertEquals(List.of(), gc.problems());
      assertTrue(gc.removed().stream().anyMatch(i -> i.kind() == GcReport.Kind.CONTAINER_LEFTOVER
          && i.name().equals("web") && i.bytes() > 0), gc.removed().toString());
      assertTrue(gc.removed().stream().anyMatch(i -> i.name().equals(manifest.toString())),
          "the image only the hold kept goes in the same collection: " + gc.removed());
      assertFalse(Files.exists(left));
      assertEquals(Map.of(), content.readIndex().holds());
      assertEquals(List.of(), store.fsck(false, Progress.NONE).problems());
    }
  }

  @Test
  void aContainerCreatedAgainUnderTheNameKeepsItsHoldWhenTheOldRemovalIsFinished()
      throws IOException {
    ContainerDirectory.detach(content, "web");
    try (Store store = Store.open(dir)) {
      store.container("web", "a:1", false).close();
      store.untag("a:1");
      GcReport gc = store.gc(false);
      assertEquals(List.of(), gc.problems());
      assertEquals(List.of(GcReport.Kind.CONTAINER_LEFTOVER),
          gc.removed().stream().map(GcReport.Item::kind).toList());
      assertTrue(content.holds("web", manifest));
      try (Container web = store.container("web", null, false)) {
        assertEquals("hello\n", ContainerFixture.readString(web, "/etc/motd"));
      }
    }
  }

  @Test
  void aRepairFinishesOneCutShortAndAnotherRemovalLeavesItAlone() throws IOException {
    writeInto("web");
    ContainerDirectory.detach(content, "web");
    try (Store store = Store.open(dir)) {
      // it cannot tell one cut short from one under way in another process
      store.container("db", "a:1", false).close();
      store.removeContainer("db");
      assertEquals(1, ContainerDirectory.removals(content).size());
      assertEquals(Set.of("web"), content.readIndex().holds().keySet());

      List<FsckReport.Problem> repaired = store.fsck(true, Progress.NONE).problems();
      assertEquals(1, repaired.size(), repaired.toString());
      assertTrue(repaired.get(0).repaired(), repaired.toString());
      assertEquals(List.of(), ContainerDirectory.removals(content));
      assertEquals(Map.of(), content.readIndex().holds());
    }
  }

  @Test
  void aRemovalGcCannotFinishKeepsItsHoldAndEveryBlob() throws IOException {
    ContainerDirectory.detach(content, "web");
    Path left = ContainerDirectory.removals(content).get(0).dir();
    // a file where the folder was: it does not list, so it cannot be emptied
    FileTrees.deleteTree(left);
    Files.writeString(left, "not a folder");
    content.untag("a:1");
    try (Store store = Store.open(dir)) {
      GcReport gc = store.gc(false);
      assertEquals(2, gc.problems().size(), gc.problems().toString());
      assertTrue(gc.problems().get(0).contains("container web: what its removal left (" + left
          + ") could not be deleted"), gc.problems().get(0));
      assertEquals(List.of(), gc.removed());
      assertTrue(content.holds("web", manifest));
      assertTrue(Files.exists(content.blobPath(manifest)));
    }
  }

  /** Gives container {@code name} a writable layer (a file of its own). */
  private void writeInto(String name) throws IOException {
    try (Store store = Store.open(dir); Container c = store.container(name, null, false)) {
      ContainerFixture.write(c, "/etc/own", "own\n", StandardOpenOption.WRITE,
          StandardOpenOption.CREATE_NEW);
    }
  }
}
