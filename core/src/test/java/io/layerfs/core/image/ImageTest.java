package io.layerfs.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageTest {
  @TempDir Path tmp;
  ContentStore store;

  @BeforeEach
  void open() throws IOException {
    store = ContentStore.open(tmp);
  }

  /** Reads what the testing module's builder wrote back through core. */
  private Image read(Built built) throws IOException {
    return Images.resolve(store, built.manifestDigest());
  }

  private Image image(String content, String os, String arch) throws IOException {
    return read(ImageBuilder.create(store.root())
        .platform(os, arch)
        .layer(LayerCompression.GZIP)
        .file("/f", content)
        .build());
  }

  private Digest writeJson(String json) throws IOException {
    return store.write(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String descriptor(String mediaType, Image image, Path blob, String platform)
      throws IOException {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + image.manifestDigest()
        + "\",\"size\":" + Files.size(blob) + (platform == null ? "" : ",\"platform\":" + platform)
        + "}";
  }

  private Digest multiPlatform(String mediaType, String manifestType, Image... images)
      throws IOException {
    StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"")
        .append(mediaType).append("\",\"manifests\":[");
    for (int i = 0; i < images.length; i++) {
      Image im = images[i];
      String platform = "{\"architecture\":\"" + im.architecture() + "\",\"os\":\"" + im.os()
          + "\"" + (im.architecture().equals("arm") ? ",\"variant\":\"v7\"" : "") + "}";
      json.append(i == 0 ? "" : ",")
          .append(descriptor(manifestType, im, store.blobPath(im.manifestDigest()), platform));
    }
    // an attestation-like entry without a usable platform never matches
    json.append(",").append(descriptor(manifestType, images[0],
        store.blobPath(images[0].manifestDigest()),
        "{\"architecture\":\"unknown\",\"os\":\"unknown\"}"));
    return writeJson(json.append("]}").toString());
  }

  @Test
  void resolvesTagAndDigest() throws IOException {
    Built built =
        ImageBuilder.create(store.root())
            .layer(LayerCompression.GZIP).file("/a", "1")
            .layer(LayerCompression.ZSTD).file("/b", "2")
            .layer(LayerCompression.NONE).file("/c", "3")
            .build("v1");
    Image byTag = Images.resolve(store, "v1");
    Image byDigest = Images.resolve(store, built.manifestDigest());
    assertEquals(built.manifestDigest(), byTag.manifestDigest().toString());
    assertEquals(byTag.manifestDigest(), byDigest.manifestDigest());
    assertEquals(byTag.configDigest(), byDigest.configDigest());
    assertEquals(byTag.layers(), byDigest.layers());
    assertEquals(3, byTag.layers().size());
    assertEquals(MediaTypes.OCI_LAYER_GZIP, byTag.layers().get(0).mediaType());
    assertEquals(MediaTypes.OCI_LAYER_ZSTD, byTag.layers().get(1).mediaType());
    assertEquals(MediaTypes.OCI_LAYER, byTag.layers().get(2).mediaType());
    Layer top = byTag.layers().get(2);
    assertEquals(top.digest(), top.diffId(), "uncompressed layer is its own diff");
    assertEquals(Files.size(store.blobPath(top.digest())), top.size());
    assertEquals("linux", byTag.os());
    assertEquals("amd64", byTag.architecture());
    assertEquals(MediaTypes.OCI_MANIFEST, byTag.manifestMediaType());
  }

  @Test
  void unknownRefListsTags() throws IOException {
    ImageBuilder.create(store.root()).build("b");
    ImageBuilder.create(store.root()).build("a");
    IOException e = assertThrows(IOException.class, () -> Images.resolve(store, "nope"));
    assertEquals("no image 'nope' in store " + store.root() + "; tags: a, b", e.getMessage());
    String absent = Digest.sha256(new byte[] {1}).toString();
    e = assertThrows(IOException.class, () -> Images.resolve(store, absent));
    assertEquals("no image '" + absent + "' in store " + store.root() + "; tags: a, b",
        e.getMessage());
    e = assertThrows(IOException.class, () -> Images.resolve(store, "sha256:../../etc"));
    assertTrue(e.getMessage().contains("sha256:../../etc"), e.getMessage());
  }

  @Test
  void emptyStoreSaysNone() throws IOException {
    IOException e = assertThrows(IOException.class, () -> Images.resolve(store, "x"));
    assertTrue(e.getMessage().endsWith("tags: (none)"), e.getMessage());
  }

  @Test
  void nameAndLatestRules() throws IOException {
    Image demo1 = read(ImageBuilder.create(store.root()).file("/v", "demo1").build("demo:1"));
    Image web = read(ImageBuilder.create(store.root()).file("/v", "web").build("web"));
    Image latest = read(ImageBuilder.create(store.root()).file("/v", "latest").build("latest"));
    Image apiLatest =
        read(ImageBuilder.create(store.root()).file("/v", "api").build("api:latest"));

    assertEquals(demo1.manifestDigest(), Images.resolve(store, "demo:1").manifestDigest());
    // the name part is matched exactly, not stripped: "other:1" is not "demo:1", and "1" is a
    // name without a tag, so it is "1:latest", which is not there
    assertThrows(IOException.class, () -> Images.resolve(store, "other:1"));
    assertThrows(IOException.class, () -> Images.resolve(store, "1"));
    // exact match first; the bare tag "latest" (as umoci names images) by its own name
    assertEquals(web.manifestDigest(), Images.resolve(store, "web").manifestDigest());
    assertEquals(latest.manifestDigest(), Images.resolve(store, "latest").manifestDigest());
    // no tag: name:latest, as docker reads it, never another image's bare "latest": a mistyped
    // name must not open some other image
    assertEquals(apiLatest.manifestDigest(), Images.resolve(store, "api").manifestDigest());
    IOException e = assertThrows(IOException.class, () -> Images.resolve(store, "anything"));
    assertTrue(e.getMessage().startsWith("no image 'anything'"), e.getMessage());
    // and not known either, so that a store given a registry reference pulls it
    assertFalse(Images.isKnown(store, "anything"));
    assertTrue(Images.isKnown(store, "api"));
    assertThrows(IOException.class, () -> Images.resolve(store, "registry:5000/x/y"));
    // a ref with a tag never falls back to latest
    assertThrows(IOException.class, () -> Images.resolve(store, "anything:2"));
  }

  @Test
  void selectsPlatformFromOciIndex() throws IOException {
    Image amd64 = image("amd64", "linux", "amd64");
    Image arm64 = image("arm64", "linux", "arm64");
    Image arm = image("arm", "linux", "arm");
    Digest index = multiPlatform(MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST, arm64, amd64, arm);
    store.tag("multi", index);

    assertEquals(amd64.manifestDigest(), Images.resolve(store, "multi").manifestDigest());
    assertEquals(
        arm64.manifestDigest(),
        Images.resolve(store, "multi", "linux", "arm64").manifestDigest());
    assertEquals(
        arm.manifestDigest(), Images.resolve(store, "multi", "linux", "arm").manifestDigest());
    assertEquals(
        amd64.manifestDigest(), Images.resolve(store, index.toString()).manifestDigest());
    IOException e =
        assertThrows(IOException.class, () -> Images.resolve(store, "multi", "windows", "amd64"));
    assertTrue(e.getMessage().contains("windows/amd64"), e.getMessage());
    assertTrue(
        e.getMessage().contains("available: linux/arm64, linux/amd64, linux/arm/v7"),
        e.getMessage());
    assertEquals(index, Images.resolveTarget(store, "multi"));
    // the ID of the image the index gives names the index, as its tag does
    assertEquals(index, Images.resolveTarget(store, amd64.configDigest().hex().substring(0, 12)));
    assertEquals(index, Images.resolveTarget(store, amd64.configDigest().toString()));
    // a platform's manifest by its digest is that manifest, not the image the index gives
    assertEquals(arm64.manifestDigest(),
        Images.resolve(store, arm64.manifestDigest().toString()).manifestDigest());
  }

  @Test
  void dockerImageIdsResolveFullOrByAPrefixOfAtLeastFourDigits() throws IOException {
    Image v1 = read(ImageBuilder.create(store.root()).file("/v", "1").build("v1"));
    Image loose = read(ImageBuilder.create(store.root()).file("/v", "loose").build());
    store.keepUntagged(loose.manifestDigest());
    String id = v1.configDigest().hex();
    for (String ref : List.of("sha256:" + id, id, id.substring(0, 12),
        "sha256:" + id.substring(0, 12), id.substring(0, 4),
        v1.manifestDigest().hex().substring(0, 12))) {
      assertEquals(v1.manifestDigest(), Images.resolve(store, ref).manifestDigest(), ref);
      assertTrue(Images.isKnown(store, ref), ref);
    }
    // an untagged image by its ID too
    assertEquals(loose.manifestDigest(),
        Images.resolve(store, loose.configDigest().hex().substring(0, 12)).manifestDigest());
    // docker's rule: fewer than 4 digits, or upper case, is a name, not an ID
    for (String ref : List.of(id.substring(0, 3), id.substring(0, 12).toUpperCase())) {
      IOException e = assertThrows(IOException.class, () -> Images.resolve(store, ref));
      assertTrue(e.getMessage().startsWith("no image '" + ref + "'"), e.getMessage());
      assertFalse(Images.isKnown(store, ref), ref);
    }
  }

  @Test
  void aTagThatLooksLikeAnIdWinsOverTheId() throws IOException {
    Image a = read(ImageBuilder.create(store.root()).file("/v", "a").build("a:1"));
    Image b = read(ImageBuilder.create(store.root()).file("/v", "b").build("b:1"));
    String aId = a.configDigest().hex().substring(0, 12);
    store.tag(aId + ":latest", b.manifestDigest());
    assertEquals(b.manifestDigest(), Images.resolve(store, aId).manifestDigest());
    assertEquals(a.manifestDigest(),
        Images.resolve(store, a.configDigest().hex().substring(0, 13)).manifestDigest());
  }

  @Test
  void anIdPrefixOfTwoImagesIsAnErrorNamingBoth() throws IOException {
    // two configs whose digests share their first 4 hex digits: found by trying labels
    Map<String, Integer> byPrefix = new HashMap<>();
    int first = -1;
    int second = -1;
    for (int i = 0; second < 0; i++) {
      String prefix = Digest.sha256(config(i)).hex().substring(0, 4);
      Integer before = byPrefix.putIfAbsent(prefix, i);
      if (before != null) {
        first = before;
        second = i;
      }
    }
    Digest m1 = manifestOf(config(first));
    Digest m2 = manifestOf(config(second));
    store.tag("one:1", m1);
    store.tag("two:1", m2);
    store.tag("two:2", m2);
    String prefix = Digest.sha256(config(first)).hex().substring(0, 4);
    IOException e = assertThrows(IOException.class, () -> Images.resolve(store, prefix));
    String id1 = Digest.sha256(config(first)).hex().substring(0, 12);
    String id2 = Digest.sha256(config(second)).hex().substring(0, 12);
    assertEquals("image ID '" + prefix + "' is ambiguous in store " + store.root()
        + ": it matches " + id1 + " (one:1; manifest " + m1 + "), " + id2
        + " (two:1 two:2; manifest " + m2 + "); give more of its digits, or a tag",
        e.getMessage());
    assertTrue(Images.isKnown(store, prefix), "known, so that no pull is tried");
    assertEquals(m2, Images.resolve(store, id2).manifestDigest());
  }

  @Test
  void anIdOfTwoManifestsOfOneConfigSaysToGiveATagOrAManifestDigest() throws IOException {
    Digest oci = manifestOf(config(7));
    Digest config = Digest.sha256(config(7));
    // the same config under a Docker manifest, as a copy through docker-archive makes it
    Digest docker = writeJson("{\"schemaVersion\":2,\"mediaType\":\""
        + MediaTypes.DOCKER_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.DOCKER_CONFIG + "\",\"digest\":\"" + config + "\",\"size\":"
        + config(7).length + "},\"layers\":[]}");
    store.tag("oci:1", oci);
    store.tag("docker:1", docker);
    String id = config.hex();
    IOException e = assertThrows(IOException.class, () -> Images.resolve(store, id));
    assertTrue(e.getMessage().endsWith("; these manifests share the image ID (one config): give"
        + " a tag or a manifest digest"), e.getMessage());
    assertTrue(e.getMessage().contains("manifest " + oci) && e.getMessage().contains(
        "manifest " + docker), e.getMessage());
    assertEquals(docker, Images.resolve(store, docker.toString()).manifestDigest());
  }

  private static byte[] config(int label) {
    return ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"n\":\""
        + label + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private Digest manifestOf(byte[] config) throws IOException {
    Digest digest = store.write(config);
    return writeJson("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
        + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
        + "\"digest\":\"" + digest + "\",\"size\":" + config.length + "},\"layers\":[]}");
  }

  @Test
  void selectsPlatformFromDockerManifestList() throws IOException {
    Image amd64 = read(ImageBuilder.create(store.root()).dockerFormat()
        .layer(LayerCompression.GZIP).file("/x", "a").build());
    Image s390x =
        read(ImageBuilder.create(store.root()).dockerFormat().platform("linux", "s390x")
            .layer(LayerCompression.GZIP).file("/x", "s").build());
    assertEquals(MediaTypes.DOCKER_MANIFEST, amd64.manifestMediaType());
    assertEquals(MediaTypes.DOCKER_LAYER_GZIP, amd64.layers().get(0).mediaType());
    Digest list =
        multiPlatform(MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_MANIFEST, s390x, amd64);
    store.tag("docker", list);
    assertEquals(amd64.manifestDigest(), Images.resolve(store, "docker").manifestDigest());
    assertEquals(
        s390x.manifestDigest(),
        Images.resolve(store, "docker", "linux", "s390x").manifestDigest());
    IOException e =
        assertThrows(IOException.class, () -> Images.resolve(store, "docker", "linux", "arm64"));
    assertTrue(e.getMessage().contains("available: linux/s390x, linux/amd64"), e.getMessage());
  }

  @Test
  void indexJsonEntriesPerPlatformShareATag() throws IOException {
    Image amd64 = image("amd64", "linux", "amd64");
    Image arm64 = image("arm64", "linux", "arm64");
    String entry = "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%d,"
        + "\"annotations\":{\"org.opencontainers.image.ref.name\":\"x\"},"
        + "\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"}}";
    String json = "{\"schemaVersion\":2,\"manifests\":["
        + String.format(entry, MediaTypes.OCI_MANIFEST, arm64.manifestDigest(),
            Files.size(store.blobPath(arm64.manifestDigest())), "arm64")
        + "," + String.format(entry, MediaTypes.OCI_MANIFEST, amd64.manifestDigest(),
            Files.size(store.blobPath(amd64.manifestDigest())), "amd64")
        + "]}";
    Files.writeString(tmp.resolve("index.json"), json);
    assertEquals(List.of("x"), store.tags());
    assertEquals(amd64.manifestDigest(), Images.resolve(store, "x").manifestDigest());
    assertEquals(
        arm64.manifestDigest(), Images.resolve(store, "x", "linux", "arm64").manifestDigest());
  }

  @Test
  void acceptsManifestWithoutMediaTypeField() throws IOException {
    // umoci writes manifests without "mediaType"; the descriptor in index.json carries it
    Image base = read(
        ImageBuilder.create(store.root()).layer(LayerCompression.GZIP).file("/a", "a").build());
    Layer layer = base.layers().get(0);
    String manifest = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + base.configDigest() + "\",\"size\":"
        + Files.size(store.blobPath(base.configDigest())) + "},\"layers\":[{\"mediaType\":\""
        + layer.mediaType() + "\",\"digest\":\"" + layer.digest() + "\",\"size\":"
        + layer.size() + "}]}";
    Digest m = writeJson(manifest);
    store.tag("umoci", m);
    Image image = Images.resolve(store, "umoci");
    assertEquals(m, image.manifestDigest());
    assertEquals(base.layers(), image.layers());
  }

  private Digest manifestWithLayer(String layerMediaType, int diffIds) throws IOException {
    Image base = read(
        ImageBuilder.create(store.root()).layer(LayerCompression.GZIP).file("/a", "a").build());
    Layer layer = base.layers().get(0);
    String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
        + "\"layers\",\"diff_ids\":[" + ("\"" + layer.diffId() + "\",").repeat(diffIds)
            .replaceAll(",$", "") + "]}}";
    Digest c = writeJson(config);
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
        + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + c
        + "\",\"size\":" + config.length() + "},\"layers\":[{\"mediaType\":\""
        + layerMediaType + "\",\"digest\":\"" + layer.digest() + "\",\"size\":"
        + layer.size() + "}]}";
    return writeJson(manifest);
  }

  @Test
  void unknownLayerMediaTypeIsNamed() throws IOException {
    String weird = "application/vnd.example.layer.v1.tar+lz4";
    Digest m = manifestWithLayer(weird, 1);
    IOException e = assertThrows(IOException.class, () -> Images.resolve(store, m.toString()));
    assertTrue(e.getMessage().contains(weird), e.getMessage());
  }

  @Test
  void acceptsEveryKnownLayerMediaType() throws IOException {
    for (String type : List.of(MediaTypes.OCI_LAYER, MediaTypes.OCI_LAYER_GZIP,
        MediaTypes.OCI_LAYER_ZSTD, MediaTypes.OCI_LAYER_ND, MediaTypes.OCI_LAYER_ND_GZIP,
        MediaTypes.OCI_LAYER_ND_ZSTD, MediaTypes.DOCKER_LAYER_GZIP,
        MediaTypes.DOCKER_LAYER_FOREIGN_GZIP)) {
      Digest m = manifestWithLayer(type, 1);
      assertEquals(type, Images.resolve(store, m.toString()).layers().get(0).mediaType());
    }
    assertEquals(Compression.GZIP,
        MediaTypes.layerCompression("application/vnd.docker.image.rootfs.diff.tar.gzip"));
    assertEquals(Compression.ZSTD,
        MediaTypes.layerCompression(
            "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"));
    assertEquals(Compression.NONE,
        MediaTypes.layerCompression("application/vnd.oci.image.layer.v1.tar"));
  }

  @Test
  void diffIdCountMustMatchLayers() throws IOException {
    Digest m = manifestWithLayer(MediaTypes.OCI_LAYER_GZIP, 2);
    IOException e = assertThrows(IOException.class, () -> Images.resolve(store, m.toString()));
    assertTrue(e.getMessage().contains("2 diff_ids"), e.getMessage());
  }

  @Test
  void corruptManifestBlobIsDetected() throws IOException {
    Image image = read(ImageBuilder.create(store.root()).file("/a", "a").build("t"));
    Path blob = store.blobPath(image.manifestDigest());
    String json = Files.readString(blob);
    Files.writeString(blob, json.replace("\"size\"", "\"size\" "));
    IOException e = assertThrows(IOException.class, () -> Images.resolve(store, "t"));
    assertTrue(e.getMessage().contains(image.manifestDigest().toString()), e.getMessage());
  }

  @Test
  void nestedIndexesAreBounded() throws IOException {
    Image amd64 = image("amd64", "linux", "amd64");
    Digest target = amd64.manifestDigest();
    String type = MediaTypes.OCI_MANIFEST;
    long size = Files.size(store.blobPath(target));
    for (int i = 0; i < 6; i++) {
      String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
          + "\",\"manifests\":[{\"mediaType\":\"" + type + "\",\"digest\":\"" + target
          + "\",\"size\":" + size
          + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}";
      target = writeJson(json);
      size = json.length();
      type = MediaTypes.OCI_INDEX;
      if (i == 1) {
        assertEquals(amd64.manifestDigest(),
            Images.resolve(store, target.toString()).manifestDigest());
        // an index of an index: two levels, one more than this store allows
        ContentStore strict =
            ContentStore.open(store.root(), Limits.builder().indexNesting(1).build());
        Digest two = target;
        LimitException x = assertThrows(LimitException.class,
            () -> Images.resolve(strict, two.toString()));
        assertEquals("indexNesting", x.limit());
        assertTrue(x.getMessage().contains("indexNesting = 1"), x.getMessage());
      }
    }
    Digest deep = target;
    IOException e = assertThrows(IOException.class, () -> Images.resolve(store, deep.toString()));
    assertTrue(e.getMessage().contains("nested"), e.getMessage());
    assertTrue(e.getMessage().contains("indexNesting = 4"), e.getMessage());
  }
}
