package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.GcReport;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.gc.GarbageCollector;
import io.layerfs.core.image.Images;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * layerfs gc on a layout umoci made and layerfs used: after {@code umoci rm} of one tag and a
 * layerfs gc, umoci still unpacks the other tags exactly as before, and {@code umoci gc} finds
 * nothing more to remove but the uncompressed layer blobs layerfs keeps for the remaining images
 * (derived data umoci does not know; layerfs rebuilds them on the next open).
 */
final class GcIT {
  private static final List<String> KEPT =
      List.of(UmociImages.EMPTY, UmociImages.BASE, UmociImages.LAYERED);

  @TempDir Path work;

  @Test
  void umociStillUsesTheLayoutAfterLayerfsGc() throws IOException {
    UmociImages images = UmociImages.build(work.resolve("images"));
    Path layout = images.layout();
    // the oracles are unpacked before layerfs touches the layout
    for (String tag : UmociImages.TAGS) {
      images.rootfs(tag);
    }
    // layerfs views of every tag: uncompressed blobs and layer indexes appear in the layout
    for (String tag : UmociImages.TAGS) {
      try (FileSystem fs = LayerFs.open(layout, tag)) {
        assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
      }
    }
    ContentStore store = ContentStore.open(layout);
    Image opaque = Images.resolve(store, UmociImages.OPAQUE);
    Set<String> liveUncompressed = new TreeSet<>();
    for (String tag : KEPT) {
      for (Layer l : Images.resolve(store, tag).layers()) {
        if (!l.diffId().equals(l.digest())) {
          liveUncompressed.add(l.diffId().toString());
        }
      }
    }
    Layer opaqueTop = opaque.layers().get(opaque.layers().size() - 1);
    assertTrue(store.contains(opaqueTop.diffId()), "layerfs made the uncompressed top layer");

    Tools.run("umoci", "rm", "--image", layout + ":" + UmociImages.OPAQUE);

    // what umoci itself calls garbage now, found on a copy
    Path copy = work.resolve("copy");
    copyTree(layout, copy);
    Tools.run("umoci", "gc", "--layout", copy.toString());
    Set<String> umociGarbage = new TreeSet<>(blobs(layout));
    umociGarbage.removeAll(blobs(copy));

    GcReport report = GarbageCollector.collect(store, false);

    assertEquals(List.of(), report.problems());
    Set<String> removed = new TreeSet<>();
    report.removed(GcReport.Kind.BLOB).forEach(i -> removed.add(i.name()));
    report.removed(GcReport.Kind.UNCOMPRESSED_LAYER).forEach(i -> removed.add(i.name()));
    assertTrue(removed.contains(opaque.manifestDigest().toString()), removed.toString());
    assertTrue(removed.contains(opaque.configDigest().toString()), removed.toString());
    assertTrue(removed.contains(opaqueTop.digest().toString()), removed.toString());
    assertTrue(removed.contains(opaqueTop.diffId().toString()), removed.toString());
    assertEquals(
        Set.of(opaqueTop.diffId().toString()),
        names(report.removed(GcReport.Kind.LAYER_INDEX)));
    // umoci's garbage is ours plus the uncompressed layers of the images still tagged
    Set<String> expected = new TreeSet<>(removed);
    expected.addAll(liveUncompressed);
    assertEquals(expected, umociGarbage);
    assertFalse(Files.exists(store.blobPath(opaque.manifestDigest())));

    // umoci gc after ours: only the uncompressed blobs of live layers are left for it
    Set<String> before = blobs(layout);
    Tools.run("umoci", "gc", "--layout", layout.toString());
    Set<String> umociRemoved = new TreeSet<>(before);
    umociRemoved.removeAll(blobs(layout));
    assertEquals(liveUncompressed, umociRemoved);

    // the remaining tags unpack as before, and layerfs still opens them (rebuilding what umoci
    // removed)
    for (String tag : KEPT) {
      Path bundle = work.resolve("after-" + tag);
      Tools.run("umoci", "unpack", "--image", layout + ":" + tag, bundle.toString());
      assertSameTree(images.rootfs(tag), bundle.resolve("rootfs"), UmociImages.comparison(tag));
      try (FileSystem fs = LayerFs.open(layout, tag)) {
        assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
      }
    }
    assertEquals(new TreeSet<>(KEPT), new TreeSet<>(List.of(
        Tools.run("umoci", "ls", "--layout", layout.toString()).strip().split("\n"))));
    // and a layerfs gc now has nothing to do but the indexes are all still live
    assertEquals(List.of(), GarbageCollector.collect(store, false).removed());
  }

  private static Set<String> names(List<GcReport.Item> items) {
    Set<String> names = new HashSet<>();
    items.forEach(i -> names.add(i.name()));
    return names;
  }

  private static Set<String> blobs(Path layout) throws IOException {
    Set<String> result = new TreeSet<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(layout.resolve("blobs/sha256"))) {
      s.forEach(p -> result.add("sha256:" + p.getFileName()));
    }
    return result;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
