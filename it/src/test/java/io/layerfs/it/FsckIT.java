package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code layerfs fsck} through the real jar on a layout umoci made and layerfs used: a whole
 * store passes; a flipped byte in a compressed layer only one tag needs and one in an
 * uncompressed layer are found; {@code --repair} quarantines the first (the tag stays broken, exit
 * 1) and removes the second, which the next use rebuilds; once umoci removes the broken tag, the
 * store is whole again and umoci and layerfs still read the other images as before.
 */
final class FsckIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  @Test
  void fsckFindsAndRepairsDamageInAnUmociLayout() throws IOException {
    UmociImages images = UmociImages.build(work.resolve("images"));
    Path layout = images.layout();
    LayerfsCli.run(layout, "create", "web", UmociImages.LAYERED);
    String hostname = Files.readString(images.rootfs(UmociImages.LAYERED).resolve("etc/hostname"));
    assertEquals(hostname, LayerfsCli.run(layout, "cat", "web", "/etc/hostname"));

    String clean = LayerfsCli.run(layout, "fsck");
    assertTrue(clean.strip().matches("checked \\d+ blobs, 4 images, 1 container: no problems"),
        clean);

    ContentStore store = ContentStore.open(layout);
    Image opaque = Images.resolve(store, UmociImages.OPAQUE);
    Image layered = Images.resolve(store, UmociImages.LAYERED);
    Layer opaqueTop = opaque.layers().get(opaque.layers().size() - 1);
    Digest uncompressed = layered.layers().get(0).diffId();
    assertFalse(uncompressed.equals(layered.layers().get(0).digest()), "umoci compresses layers");
    assertTrue(store.contains(uncompressed), "layerfs inflated the layer for container web");
    flipByte(store.blobPath(opaqueTop.digest()));
    flipByte(store.blobPath(uncompressed));

    Map<String, JsonNode> found =
        problems(LayerfsCli.runExpecting(1, layout, "fsck", "--format", "json"));
    assertEquals(2, found.size(), found.toString());
    assertEquals("corrupt-blob", found.get(opaqueTop.digest().toString()).get("kind").asText());
    assertTrue(found.get(opaqueTop.digest().toString()).get("message").asText()
        .contains("of tag '" + UmociImages.OPAQUE + "'"));
    assertEquals("corrupt-blob", found.get(uncompressed.toString()).get("kind").asText());

    Map<String, JsonNode> repaired =
        problems(LayerfsCli.runExpecting(1, layout, "fsck", "--repair", "--format", "json"));
    assertFalse(repaired.get(opaqueTop.digest().toString()).get("repaired").asBoolean());
    assertTrue(repaired.get(uncompressed.toString()).get("repaired").asBoolean());
    assertTrue(Files.exists(
        layout.resolve("layerfs/quarantine/sha256/" + opaqueTop.digest().hex())));
    assertFalse(store.contains(opaqueTop.digest()));
    assertFalse(store.contains(uncompressed));

    String broken = LayerfsCli.runExpecting(1, layout, "fsck");
    assertTrue(broken.startsWith("missing-blob " + opaqueTop.digest() + ": needed as layer "),
        broken);

    Tools.run("umoci", "rm", "--image", layout + ":" + UmociImages.OPAQUE);
    assertTrue(LayerfsCli.run(layout, "fsck").strip().endsWith(": no problems"));

    // the container rebuilds its uncompressed layer; umoci and layerfs read the images as before
    assertEquals(hostname, LayerfsCli.run(layout, "cat", "web", "/etc/hostname"));
    assertTrue(store.contains(uncompressed));
    for (String tag : new String[] {UmociImages.BASE, UmociImages.LAYERED}) {
      Path bundle = work.resolve("after-" + tag);
      Tools.run("umoci", "unpack", "--image", layout + ":" + tag, bundle.toString());
      assertSameTree(images.rootfs(tag), bundle.resolve("rootfs"), UmociImages.comparison(tag));
      try (FileSystem fs = LayerFs.open(layout, tag)) {
        assertSameTree(images.rootfs(tag), fs.getPath("/"), UmociImages.comparison(tag));
      }
    }
    assertTrue(LayerfsCli.run(layout, "fsck").strip().endsWith(": no problems"));
  }

  /** The problems of a {@code fsck --format json} output by object. */
  private static Map<String, JsonNode> problems(String json) throws IOException {
    Map<String, JsonNode> byObject = new HashMap<>();
    for (JsonNode p : JSON.readTree(json).get("problems")) {
      byObject.put(p.get("object").asText(), p);
    }
    return byObject;
  }

  private static void flipByte(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      long at = f.length() / 2;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x01);
    }
  }
}
