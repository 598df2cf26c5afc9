package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diff, commit, flatten, import, export and gc, on images built in temporary stores. */
class ImageCommandsTest {
  private static final String DIGEST = "sha256:[0-9a-f]{64}";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Path storeDir;
  private Image base;

  @BeforeEach
  void buildImage() throws IOException {
    storeDir = dir.resolve("store");
    ContentStore store = ContentStore.open(storeDir);
    base = Images.resolve(store, ImageBuilder.create(store.root()).created(Instant.EPOCH)
        .layer().dir("/etc").file("/etc/motd", "hello\n").file("/etc/gone", "x\n")
        .layer().file("/etc/motd", "hello again\n").dir("/var")
        .build("base:1").manifestDigest());
  }

  private Cli.Result run(String... args) {
    return run(Map.of(), args);
  }

  private Cli.Result run(Map<String, String> env, String... args) {
    return Cli.run(env, withStore(storeDir, args));
  }

  private static String[] withStore(Path store, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--store";
    all[1] = store.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return all;
  }

  @Test
  void imageLsRmTagAndTheRestAreDockersLongFormsOfTheTopLevelCommands() {
    assertEquals(run("images").out(), run("image", "ls").out());
    assertEquals(run("images", "-q").out(), run("image", "ls", "-q").out());
    assertEquals("base:2\n", run("image", "tag", "base:1", "base:2").out());
    assertEquals(run("inspect", "base:2").out(), run("image", "inspect", "base:2").out());
    assertEquals(run("history", "base:2").out(), run("image", "history", "base:2").out());
    Cli.Result rm = run("image", "rm", "base:2");
    assertEquals(0, rm.code(), rm.err());
    assertEquals("Untagged: base:2\n", rm.out());
    assertEquals(List.of("base:1"), run("images").out().lines().skip(1)
        .map(l -> l.split(" +")[0]).toList());
    assertTrue(run("image", "ls", "--help").out().startsWith("Usage: layerfs image ls "));
    assertTrue(run("image", "--help").out().contains("  ls "), run("image", "--help").out());
  }

  /** A container "web" of base:1 with an added, a changed and a deleted file. */
  private void containerWithChanges() throws IOException {
    assertEquals(0, run("create", "web", "base:1").code());
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", storeDir))) {
      Files.writeString(fs.getPath("/etc/motd"), "changed\n");
      Files.delete(fs.getPath("/etc/gone"));
      Files.writeString(fs.getPath("/var/new.txt"), "new\n");
    }
  }

  private ContentStore store() throws IOException {
    return ContentStore.open(storeDir);
  }

  @Test
  void diffPrintsDockersLines() throws IOException {
    containerWithChanges();
    Cli.Result r = run("diff", "web");
    assertEquals(0, r.code(), r.err());
    assertEquals("C /etc\nD /etc/gone\nC /etc/motd\nC /var\nA /var/new.txt\n", r.out());
  }

  @Test
  void diffAsJson() throws IOException {
    containerWithChanges();
    Cli.Result r = run("diff", "web", "--format", "json");
    assertEquals(0, r.code(), r.err());
    JsonNode rows = JSON.readTree(r.out());
    assertEquals(5, rows.size());
    assertEquals("deleted", rows.get(1).get("kind").asText());
    assertEquals("/etc/gone", rows.get(1).get("path").asText());
    assertEquals("added", rows.get(4).get("kind").asText());
  }

  @Test
  void diffOfAnUnchangedContainerIsEmptyAndOfAMissingOneAnError() {
    assertEquals(0, run("create", "web", "base:1").code());
    Cli.Result r = run("diff", "web");
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.out());
    Cli.Result missing = run("diff", "ghost");
    assertEquals(1, missing.code());
    assertEquals("layerfs: no container ghost in store " + storeDir.toAbsolutePath(),
        missing.errorLine());
  }

  @Test
  void diffWorksWhileTheContainerIsOpenForWriting() throws IOException {
    containerWithChanges();
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", storeDir))) {
      Files.writeString(fs.getPath("/added-now"), "x");
      Cli.Result r = run("diff", "web");
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().startsWith("A /added-now\n"), r.out());
    }
  }

  @Test
  void commitPrintsTheDigestOfATaggedReproducibleImage() throws IOException {
    containerWithChanges();
    Map<String, String> env = Map.of("SOURCE_DATE_EPOCH", "1700000000");
    Cli.Result r = run(env, "commit", "web", "web:1");
    assertEquals(0, r.code(), r.err());
    String digest = r.out().strip();
    assertTrue(digest.matches(DIGEST), r.out());
    Image image = Images.resolve(store(), "web:1");
    assertEquals(digest, image.manifestDigest().toString());
    assertEquals(base.layers().size() + 1, image.layers().size());
    String mediaType = image.layers().get(2).mediaType();
    assertTrue(mediaType.contains("gzip"), mediaType);
    Cli.Result again = run(env, "commit", "web", "web:2");
    assertEquals(digest, again.out().strip(), "same container, same epoch, same image");
    assertEquals("changed\n", readFile("web:1", "/etc/motd"));
    assertFalse(run("ls", "web:1", "/etc").out().contains("gone"));
    assertEquals(List.of("base:1", "web:1", "web:2"), store().tags());
  }

  @Test
  void commitWithoutATagKeepsAnUntaggedImageThatGcLeaves() throws IOException {
    containerWithChanges();
    Cli.Result r = run("commit", "web");
    assertEquals(0, r.code(), r.err());
    String digest = r.out().strip();
    assertTrue(digest.matches(DIGEST), r.out());
    Image image = Images.resolve(store(), digest);
    // docker commit without a tag leaves a dangling image: listed as <none>, kept until removed
    String id = image.configDigest().hex().substring(0, 12);
    assertTrue(run("images").out().lines()
        .anyMatch(l -> l.startsWith("<none> ") && l.contains(id)), run("images").out());
    assertEquals(List.of("base:1"), store().tags());
    Cli.Result gc = run("gc");
    assertEquals(0, gc.code(), gc.err());
    assertFalse(gc.out().contains(digest), gc.out());
    assertEquals("changed\n", readFile(digest, "/etc/motd"));
    assertEquals(0, run("rmi", id).code());
    assertTrue(run("gc").out().contains(digest), "rmi of its ID lets gc take it");
  }

  @Test
  void anUntaggedImageOnceTaggedGoesWithItsLastTagAsDockerDeletesIt() throws IOException {
    containerWithChanges();
    String digest = run("commit", "web").out().strip();
    Image image = Images.resolve(store(), digest);
    String id = image.configDigest().hex().substring(0, 12);
    assertEquals("web:1\n", run("tag", id, "web:1").out());
    assertEquals(0, untaggedEntries(image), "tagged, it is no <none> image any more");
    // its last tag: docker's Deleted: line for the image, none for layers (gc frees them)
    assertEquals("Untagged: web:1\nDeleted: " + image.configDigest() + "\n",
        run("rmi", "web:1").out());
    // docker deletes an image whose last tag goes: not listed, and gc takes its blobs
    assertFalse(run("images").out().contains(id), run("images").out());
    assertTrue(run("gc").out().contains(digest));
    assertFalse(store().contains(image.manifestDigest()));
  }

  @Test
  void aContainersUntaggedImageTaggedAgainStaysUntaggedWhenItsTagIsForcedAway()
      throws IOException {
    assertEquals(0, run("create", "web", "base:1").code());
    assertEquals(0, run("rmi", "-f", "base:1").code());
    String id = base.configDigest().hex().substring(0, 12);
    assertEquals(0, run("tag", id, "base:2").code());
    assertEquals(0, untaggedEntries(base));
    assertEquals(1, run("rmi", "base:2").code(), "the last tag of a container's image");
    assertEquals(0, run("rmi", "-f", "base:2").code());
    assertEquals(List.of(base.manifestDigest()), store().readIndex().untagged());
    assertEquals(1, untaggedEntries(base));
    assertEquals(0, run("gc").code());
    assertEquals("gone\nmotd\n", run("ls", "web", "/etc").out());
    assertEquals("hello again\n", readFile(id, "/etc/motd"));
  }

  /** The entries of index.json without a tag (holds aside) that name {@code image}. */
  private long untaggedEntries(Image image) throws IOException {
    JsonNode index = JSON.readTree(storeDir.resolve("index.json").toFile());
    long n = 0;
    for (JsonNode entry : index.get("manifests")) {
      JsonNode annotations = entry.path("annotations");
      if (entry.get("digest").asText().equals(image.manifestDigest().toString())
          && annotations.get("org.opencontainers.image.ref.name") == null
          && annotations.size() == 0) {
        n++;
      }
    }
    return n;
  }

  @Test
  void commitOptionsReachTheImage() throws IOException {
    containerWithChanges();
    Cli.Result r = run("commit", "web", "--compression", "zstd", "-a", "Jane <jane@example.com>",
        "--message", "a test commit");
    assertEquals(0, r.code(), r.err());
    Image image = Images.resolve(store(), r.out().strip());
    Layer top = image.layers().get(image.layers().size() - 1);
    assertTrue(top.mediaType().contains("zstd"), top.mediaType());
    JsonNode config;
    try (InputStream in = store().openBlob(image.configDigest())) {
      config = JSON.readTree(in);
    }
    assertEquals("Jane <jane@example.com>", config.get("author").asText());
    JsonNode history = config.get("history");
    assertEquals("a test commit", history.get(history.size() - 1).get("comment").asText());
    assertEquals(List.of("base:1"), store().tags(), "no TAG, no tag");
    Cli.Result none = run("commit", "web", "plain", "--compression", "none");
    assertEquals(0, none.code(), none.err());
    Image plain = Images.resolve(store(), "plain");
    assertFalse(plain.layers().get(2).mediaType().contains("gzip"));
  }

  @Test
  void historyShowsEachStepNewestFirstAsDockerHistoryDoes() throws IOException {
    containerWithChanges();
    Cli.Result commit = run("commit", "web", "web:1", "--message", "a test commit");
    assertEquals(0, commit.code(), commit.err());
    Image image = Images.resolve(store(), "web:1");
    Cli.Result r = run("history", "web:1");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(4, lines.size(), r.out());
    assertTrue(lines.get(0).matches("IMAGE +CREATED +CREATED BY +SIZE +COMMENT"), lines.get(0));
    // the commit on top, named by the image; the builder's two layers under it, <missing>
    // docker's image ID, the config digest, in 12 hex digits (images' IMAGE ID)
    String id = image.configDigest().hex().substring(0, 12);
    assertTrue(lines.get(1).startsWith(id + " "), lines.get(1));
    assertTrue(lines.get(1).endsWith("a test commit"), lines.get(1));
    assertTrue(lines.get(2).startsWith("<missing> "), lines.get(2));
    assertTrue(lines.get(2).contains("layerfs ImageBuilder layer 2"), lines.get(2));
    assertTrue(lines.get(3).contains("layerfs ImageBuilder layer 1"), lines.get(3));

    List<String> quiet = run("history", "-q", "web:1").out().lines().toList();
    assertEquals(List.of(id, "<missing>", "<missing>"), quiet);
    // --no-trunc: the whole ID, sha256: and all, in every form
    assertEquals(List.of(image.configDigest().toString(), "<missing>", "<missing>"),
        run("history", "-q", "--no-trunc", "web:1").out().lines().toList());
    assertTrue(run("history", "--no-trunc", "web:1").out().lines().toList().get(1)
        .startsWith(image.configDigest() + " "));

    List<JsonNode> rows = new ArrayList<>();
    for (String line : run(Map.of("TZ", "Europe/Berlin"), "history", "--format", "json",
        "web:1").out().lines().toList()) {
      rows.add(JSON.readTree(line));
    }
    assertEquals(3, rows.size());
    assertEquals(id, rows.get(0).get("ID").asText());
    assertEquals("<missing>", rows.get(1).get("ID").asText());
    assertEquals("a test commit", rows.get(0).get("Comment").asText());
    // docker history's RFC 3339 in the local zone
    assertEquals("1970-01-01T01:00:00+01:00", rows.get(2).get("CreatedAt").asText());
    assertTrue(run(Map.of("TZ", ""), "history", "--format", "json", "web:1").out()
        .contains("\"CreatedAt\":\"1970-01-01T00:00:00Z\""));
    // the sizes are the layers': their uncompressed bytes where known, else their blobs'
    for (int i = 0; i < 3; i++) {
      Layer layer = image.layers().get(2 - i);
      long shown = rows.get(i).get("Bytes").asLong();
      assertTrue(shown >= layer.size(), i + ": " + shown + " < the blob's " + layer.size());
    }
    Cli.Result missing = run("history", "nope:1");
    assertEquals(1, missing.code());
  }

  @Test
  void commitErrors() throws IOException {
    containerWithChanges();
    Cli.Result missing = run("commit", "ghost", "x:1");
    assertEquals(1, missing.code());
    assertTrue(missing.errorLine().contains("no container ghost"), missing.err());
    Cli.Result epoch = run(Map.of("SOURCE_DATE_EPOCH", "yesterday"), "commit", "web", "x:1");
    assertEquals(1, epoch.code());
    assertTrue(epoch.errorLine().contains("SOURCE_DATE_EPOCH"), epoch.err());
    assertEquals(2, run("commit", "web", "x:1", "--compression", "lz4").code());
    assertEquals(2, run("commit").code());
    Cli.Result badTag = run("commit", "web", "bad tag!");
    assertEquals(1, badTag.code());
    assertTrue(badTag.errorLine().contains("bad tag!"), badTag.err());
    ContentStore cs = store();
    try (LayerStore layers = new LayerStore(cs);
        Container c = Container.open(cs, layers, "web", null, false)) {
      Cli.Result busy = run("commit", "web", "x:1");
      assertEquals(1, busy.code());
      assertEquals("layerfs: container web is already open for writing in this process: close "
          + "that open first (read-only opens work meanwhile)", busy.errorLine());
    }
    assertEquals(List.of("base:1"), cs.tags());
  }

  private String readFile(String image, String path) throws IOException {
    try (FileSystem fs = Stores.openImage(storeDir, image)) {
      return Files.readString(fs.getPath(path));
    }
  }

  @Test
  void flattenMakesOneLayer() throws IOException {
    Cli.Result r = run("flatten", "base:1", "flat:1");
    assertEquals(0, r.code(), r.err());
    Image flat = Images.resolve(store(), "flat:1");
    assertEquals(r.out().strip(), flat.manifestDigest().toString());
    assertEquals(1, flat.layers().size());
    assertEquals("hello again\n", readFile("flat:1", "/etc/motd"));
    assertEquals(0, run("flatten", "base:1", "flat:z", "--compression", "zstd").code());
    assertTrue(Images.resolve(store(), "flat:z").layers().get(0).mediaType().contains("zstd"));
    Cli.Result missing = run("flatten", "nosuch:1", "flat:2");
    assertEquals(1, missing.code());
    assertTrue(missing.errorLine().contains("nosuch:1"), missing.err());
    assertEquals(2, run("flatten", "base:1").code());
  }

  @Test
  void convertWritesAnEStargzImageWithTheSameFiles() throws IOException {
    Cli.Result r = run("convert", "--format", "estargz", "base:1", "base:esgz");
    assertEquals(0, r.code(), r.err());
    Image converted = Images.resolve(store(), "base:esgz");
    assertEquals(r.out().strip(), converted.manifestDigest().toString());
    assertEquals(2, converted.layers().size());
    assertEquals("hello again\n", readFile("base:esgz", "/etc/motd"));
    String manifest = new String(store().readBlob(converted.manifestDigest(), 1 << 20),
        java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(manifest.contains("containerd.io/snapshot/stargz/toc.digest"), manifest);
    Cli.Result other = run("convert", "--format", "zstd:chunked", "base:1", "x:1");
    assertEquals(2, other.code());
    assertTrue(other.err().contains("estargz"), other.err());
  }

  @Test
  void exportAndImportEveryTransport() throws IOException {
    Path other = dir.resolve("other");
    for (String dest : List.of("oci:" + dir.resolve("layout") + ":v1",
        "oci-archive:" + dir.resolve("image.tar"),
        "docker-archive:" + dir.resolve("docker.tar") + ":example/base:1")) {
      Cli.Result export = run("export", "base:1", dest);
      assertEquals(0, export.code(), dest + ": " + export.err());
      assertEquals("", export.out());
      Cli.Result imported = Cli.run(withStore(other, "import", dest, "copy:1"));
      assertEquals(0, imported.code(), dest + ": " + imported.err());
      assertEquals("copy:1\n", imported.out());
      try (FileSystem fs = Stores.openImage(other, "copy:1")) {
        assertEquals("hello again\n", Files.readString(fs.getPath("/etc/motd")), dest);
      }
    }
    Cli.Result ownName = Cli.run(withStore(dir.resolve("third"), "import",
        "docker-archive:" + dir.resolve("docker.tar")));
    assertEquals(0, ownName.code(), ownName.err());
    assertTrue(ownName.out().strip().endsWith("example/base:1"), ownName.out());
  }

  @Test
  void transferErrorsNameTheProblem() {
    Cli.Result bad = run("import", "ftp://example.com/x");
    assertEquals(1, bad.code());
    assertTrue(bad.errorLine().contains("ftp://example.com/x"), bad.err());
    Cli.Result missing = run("import", "oci-archive:" + dir.resolve("nope.tar"));
    assertEquals(1, missing.code());
    assertTrue(missing.errorLine().contains("nope.tar"), missing.err());
    Cli.Result noImage = run("export", "nosuch:1", "oci-archive:" + dir.resolve("x.tar"));
    assertEquals(1, noImage.code());
    assertTrue(noImage.errorLine().contains("nosuch:1"), noImage.err());
    assertFalse(Files.exists(dir.resolve("x.tar")));
    // without DEST, export takes a container name, and says how to export an image
    Cli.Result noDest = run("export", "base:1");
    assertEquals(1, noDest.code());
    assertEquals("layerfs: base:1 is an image, not a container: export it to a DEST, such as"
        + " 'layerfs export base:1 docker-archive:FILE' (what docker save -o FILE writes; see"
        + " export --help)", noDest.errorLine());
    // docker save -o FILE IMAGE typed as docker export's form: the command it means, with FILE
    Path saved = dir.resolve("save-o.tar");
    Cli.Result dashO = run("export", "base:1", "-o", saved.toString());
    assertEquals(1, dashO.code());
    assertTrue(dashO.errorLine().contains("'layerfs export base:1 docker-archive:" + saved
        + "'"), dashO.err());
    assertFalse(Files.exists(saved));
    // a plain file, as docker save -o takes one: the error says which transport writes that
    Path plain = dir.resolve("saved.tar");
    Cli.Result noTransport = run("export", "base:1", plain.toString());
    assertEquals(1, noTransport.code());
    assertTrue(noTransport.errorLine().contains("docker-archive:" + plain
        + " writes what 'docker save -o' writes"), noTransport.err());
    assertFalse(Files.exists(plain));
    assertEquals(2, run("import").code());
  }

  @Test
  void importOfAPlainFileOrDirectoryFindsItsKind() throws IOException {
    Path docker = dir.resolve("docker.tar");
    Path oci = dir.resolve("oci.tar");
    Path layout = dir.resolve("layout");
    assertEquals(0, run("export", "base:1", "docker-archive:" + docker + ":example/base:1")
        .code());
    assertEquals(0, run("export", "base:1", "oci-archive:" + oci + ":v2").code());
    assertEquals(0, run("export", "base:1", "oci:" + layout + ":v3").code());
    Path other = dir.resolve("other");
    Cli.Result fromDocker = Cli.run(withStore(other, "import", docker.toString()));
    assertEquals(0, fromDocker.code(), fromDocker.err());
    assertEquals("example/base:1\n", fromDocker.out());
    Cli.Result fromOci = Cli.run(withStore(other, "import", oci.toString()));
    assertEquals("v2\n", fromOci.out(), fromOci.err());
    Cli.Result fromLayout = Cli.run(withStore(other, "import", layout.toString(), "copy:3"));
    assertEquals("copy:3\n", fromLayout.out(), fromLayout.err());
    assertEquals(base.manifestDigest(), Images.resolve(ContentStore.open(other), "v2")
        .manifestDigest());
    // TAG needs the kind named; a path that does not exist is named as missing, as docker
    // load -i names it; a word before a colon is a transport, which the store names as unknown
    Cli.Result tagged = Cli.run(withStore(other, "import", docker.toString(), "x:1"));
    assertEquals(1, tagged.code());
    assertTrue(tagged.errorLine().contains("name its kind: docker-archive:" + docker),
        tagged.err());
    Path nope = dir.resolve("nope.tar");
    Cli.Result missing = Cli.run(withStore(other, "import", nope.toString()));
    assertEquals(1, missing.code());
    assertEquals("layerfs: " + nope + ": no such file or directory (SRC is an existing archive "
        + "or layout, or oci:..., oci-archive:..., docker-archive:..., docker://...)",
        missing.errorLine());
    Cli.Result unknown = Cli.run(withStore(other, "import", "dir:" + layout));
    assertEquals(1, unknown.code());
    assertTrue(unknown.errorLine().contains("dir:" + layout), unknown.err());
  }

  @Test
  void importOfALayoutDirectoryTakesEveryImageAsItsArchiveDoes() throws IOException {
    Image other = Images.resolve(store(), ImageBuilder.create(storeDir).layer()
        .file("/other", "x").build("other:1").manifestDigest());
    Path layout = dir.resolve("layout");
    assertEquals(0, run("export", "base:1", "oci:" + layout + ":base").code());
    assertEquals(0, run("export", "other:1", "oci:" + layout + ":other").code());
    Path copy = dir.resolve("copy");
    Cli.Result all = Cli.run(withStore(copy, "import", layout.toString()));
    assertEquals(0, all.code(), all.err());
    assertEquals("base\nother\n", all.out());
    assertEquals(base.manifestDigest(),
        Images.resolve(ContentStore.open(copy), "base").manifestDigest());
    assertEquals(other.manifestDigest(),
        Images.resolve(ContentStore.open(copy), "other").manifestDigest());
    // TAG picks one image: the layout must name it, as skopeo's oci:DIR:REF does
    Cli.Result tagged = Cli.run(withStore(copy, "import", layout.toString(), "x:1"));
    assertEquals(1, tagged.code());
    assertTrue(tagged.errorLine().contains("holds 2 images"), tagged.err());
    Cli.Result one = Cli.run(withStore(copy, "import", "oci:" + layout + ":other", "x:1"));
    assertEquals("x:1\n", one.out(), one.err());
  }

  @Test
  void anUntaggedArchiveImageStaysUntaggedAndIsFoundByItsId() throws IOException {
    Path archive = dir.resolve("untagged.tar");
    // exported by digest: no RepoTags, as docker save writes an image saved by ID
    assertEquals(0, run("export", base.manifestDigest().toString(), "docker-archive:" + archive)
        .code());
    Path other = dir.resolve("other");
    Cli.Result loaded = Cli.run(withStore(other, "import", archive.toString()));
    assertEquals(0, loaded.code(), loaded.err());
    // docker load's image ID: the config digest, as images shows it (not the manifest's)
    assertEquals("Loaded image ID: " + base.configDigest() + "\n", loaded.out());
    String id = loaded.out().strip().substring("Loaded image ID: ".length());
    String manifest = Images.resolve(ContentStore.open(other), id).manifestDigest().toString();
    assertEquals(List.of(), ContentStore.open(other).tags());
    Cli.Result images = Cli.run(withStore(other, "images"));
    assertTrue(images.out().lines().anyMatch(l -> l.startsWith("<none> ")
        && l.contains(id.substring(7, 19)) && l.contains(Main.shortDigest(manifest))),
        images.out());
    assertEquals(base.configDigest().hex().substring(0, 12) + "\n",
        Cli.run(withStore(other, "images", "-q")).out());
    // gc keeps it, and its ID reaches it
    assertEquals(0, Cli.run(withStore(other, "gc")).code());
    Cli.Result created = Cli.run(withStore(other, "create", "web", id));
    assertEquals(0, created.code(), created.err());
    JsonNode inspected = JSON.readTree(
        Cli.run(withStore(other, "inspect", "--format", "json", "web")).out());
    assertEquals(manifest, inspected.get(0).get("Image").asText());
    assertEquals("gone\nmotd\n", Cli.run(withStore(other, "ls", id, "/etc")).out());
    // removed by its ID, as docker rmi ID does, once no container uses it
    Cli.Result inUse = Cli.run(withStore(other, "rmi", id));
    assertEquals(1, inUse.code());
    // docker names the image by its ID (the config digest) in the conflict and in Deleted:
    assertEquals("layerfs: conflict: unable to delete " + id.substring(7, 19) + " (must be "
        + "forced) - image is being used by stopped container web", inUse.errorLine());
    assertEquals(0, Cli.run(withStore(other, "rm", "web")).code());
    assertEquals("Deleted: " + id + "\n", Cli.run(withStore(other, "rmi", id)).out());
    assertEquals("", Cli.run(withStore(other, "images", "-q")).out());
  }

  @Test
  void aFailedImportLeavesNoStoreWhereThereWasNone() throws IOException {
    Path archive = dir.resolve("base.tar");
    assertEquals(0, run("export", "base:1", "docker-archive:" + archive).code());
    byte[] bytes = Files.readAllBytes(archive);
    Path cut = Files.write(dir.resolve("cut.tar"), java.util.Arrays.copyOf(bytes, 1_500));
    Path fresh = dir.resolve("new/stores/one");
    Cli.Result r = Cli.run(withStore(fresh, "import", "docker-archive:" + cut));
    assertEquals(1, r.code());
    assertTrue(r.errorLine().contains(cut + " is truncated or damaged"), r.err());
    assertFalse(Files.exists(dir.resolve("new")));
    // a store that was there stays, with what it had
    Cli.Result again = run("import", "docker-archive:" + cut, "other:1");
    assertEquals(1, again.code());
    assertEquals(List.of("base:1"), store().tags());
    // and a good import still makes its store
    Cli.Result good = Cli.run(withStore(fresh, "import", "docker-archive:" + archive, "copy:1"));
    assertEquals(0, good.code(), good.err());
    assertEquals(List.of("copy:1"), ContentStore.open(fresh).tags());
  }

  /** As a failed import: a pull that fails (the registry lacks the image) removes its store. */
  @Test
  void aFailedPullLeavesNoStoreWhereThereWasNone() throws IOException {
    HttpServer registry = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    registry.createContext("/", exchange -> {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
    });
    registry.start();
    try {
      String ref = "127.0.0.1:" + registry.getAddress().getPort() + "/team/app:1";
      Path fresh = dir.resolve("pulled/stores/one");
      Cli.Result r = Cli.run(withStore(fresh, "pull", "--tls-verify=false", ref));
      assertEquals(1, r.code());
      assertTrue(r.errorLine().contains("team/app"), r.err());
      assertFalse(Files.exists(dir.resolve("pulled")));
      // a store that was there stays, with what it had
      Cli.Result again = run("pull", "--tls-verify=false", ref);
      assertEquals(1, again.code());
      assertEquals(List.of("base:1"), store().tags());
    } finally {
      registry.stop(0);
    }
  }

  @Test
  void tagGivesAnImageAnotherTagAndMovesAnExistingOne() throws IOException {
    assertEquals("layerfs: invalid tag '': empty", run("tag", "base:1", "").errorLine());
    Cli.Result r = run("tag", "base:1", "registry.example:5000/team/base");
    assertEquals(0, r.code(), r.err());
    assertEquals("registry.example:5000/team/base:latest\n", r.out());
    assertEquals(base.manifestDigest(), Images.resolve(store(),
        "registry.example:5000/team/base:latest").manifestDigest());
    Image other = Images.resolve(store(), ImageBuilder.create(storeDir).layer()
        .file("/other", "o").build("other:1").manifestDigest());
    // by digest, onto a tag that moves
    assertEquals(0, run("tag", other.manifestDigest().toString(), "base:2").code());
    assertEquals(0, run("tag", "base:1", "base:2").code());
    assertEquals(base.manifestDigest(), Images.resolve(store(), "base:2").manifestDigest());
    assertEquals(List.of("base:1", "base:2", "other:1", "registry.example:5000/team/base:latest"),
        store().tags());
    Cli.Result missing = run("tag", "ghost:1", "x:1");
    assertEquals(1, missing.code());
    assertTrue(missing.errorLine().contains("ghost:1"), missing.err());
    // what an error quotes is shown, not obeyed: a terminal escape or line break in it (here the
    // user's, as well a registry's or an image's) is printed as \\uXXXX, on one line
    Cli.Result escape = run("tag", "ghost\u001b[2J\nx:1", "x:1");
    assertEquals(1, escape.code());
    assertEquals(1, escape.err().split("\n").length, escape.err());
    assertFalse(escape.err().contains("\u001b"), escape.err());
    assertTrue(escape.err().contains("ghost\\u001b[2J\\u000ax:1"), escape.err());
    Cli.Result bad = run("tag", "base:1", "bad tag");
    assertEquals(1, bad.code());
    assertTrue(bad.errorLine().contains("invalid tag"), bad.err());
    assertEquals(4, store().tags().size());
  }

  /**
   * As docker keeps it, the image a moved tag leaves is dangling: listed as {@code <none>} with
   * its ID, kept by gc, until {@code rmi ID} removes it; an image that keeps another tag leaves
   * nothing. Tag, commit and import (load) move tags alike.
   */
  @Test
  void anImageAMovedTagLeavesStaysDanglingAsDockerKeepsItUntilRmiOfItsId() throws IOException {
    String id = base.configDigest().hex().substring(0, 12);
    Image next = Images.resolve(store(), ImageBuilder.create(storeDir).layer()
        .file("/next", "n").build("next:1").manifestDigest());
    assertEquals(0, run("tag", "base:1", "base:2").code());
    assertEquals(0, run("tag", "next:1", "base:1").code());
    assertEquals(List.of(), store().readIndex().untagged(), "base keeps base:2");
    assertEquals(0, run("tag", "next:1", "base:2").code());
    String images = run("images").out();
    assertTrue(images.lines().anyMatch(l -> l.startsWith("<none> ") && l.contains(id)), images);
    JsonNode dangling = null;
    for (String line : run("images", "--format", "json").out().lines().toList()) {
      JsonNode row = JSON.readTree(line);
      if (row.get("ID").asText().equals(id)) {
        dangling = row;
      }
    }
    assertEquals("<none>", dangling.get("Repository").asText(), String.valueOf(dangling));
    assertEquals("<none>", dangling.get("Tag").asText());
    assertEquals(base.manifestDigest().toString(), dangling.get("Digest").asText());
    Cli.Result gc = run("gc");
    assertEquals(0, gc.code(), gc.err());
    assertFalse(gc.out().contains(base.manifestDigest().toString()), gc.out());
    assertEquals("hello again\n", readFile(id, "/etc/motd"));
    // docker rmi ID of a dangling image: no tag to untag, the image deleted; gc frees it then
    assertEquals("Deleted: " + base.configDigest() + "\n", run("rmi", id).out());
    assertFalse(run("images").out().contains(id), run("images").out());
    assertTrue(run("gc").out().contains(base.manifestDigest().toString()));

    // commit onto an existing tag: the image it had stays, dangling, and so does a loaded
    // image's predecessor
    assertEquals("Untagged: base:1\nUntagged: base:2\n", run("rmi", "base:1", "base:2").out());
    assertEquals(0, run("create", "web", "next:1").code());
    Cli.Result commit = run("commit", "web", "next:1");
    assertEquals(0, commit.code(), commit.err());
    assertEquals(List.of(next.manifestDigest()), store().readIndex().untagged());
    Path saved = dir.resolve("saved.tar");
    assertEquals(0, run("export", next.manifestDigest().toString(),
        "docker-archive:" + saved + ":next:1").code());
    Cli.Result load = run("import", saved.toString());
    assertEquals(0, load.code(), load.err());
    Digest committed = Digest.parse(commit.out().strip());
    assertEquals(List.of(next.manifestDigest(), committed), store().readIndex().untagged());
    assertTrue(run("images").out().lines().filter(l -> l.startsWith("<none> ")).count() == 2,
        run("images").out());
  }

  /**
   * Docker's rules for a name given to an image: upper case in the tag, never in the repository
   * name (the error names that part); commit and import refuse the same names as tag.
   */
  @Test
  void namesGivenToImagesFollowDockersRules() throws IOException {
    assertEquals(0, run("tag", "base:1", "app:V1").code());
    Cli.Result upper = run("tag", "base:1", "MyApp:1");
    assertEquals(1, upper.code());
    assertTrue(upper.errorLine().contains("repository name 'MyApp' must be lowercase"),
        upper.err());
    Cli.Result bare = run("tag", "base:1", "MyApp");
    assertTrue(bare.errorLine().contains("'MyApp'"), bare.err());
    Cli.Result longTag = run("tag", "base:1", "app:" + "v".repeat(129));
    assertTrue(longTag.errorLine().contains("bad tag 'vvv"), longTag.err());
    Cli.Result twoColons = run("tag", "base:1", "app:1:2");
    assertTrue(twoColons.errorLine().contains("component 'app:1'"), twoColons.err());
    assertEquals(0, run("create", "web", "base:1").code());
    Cli.Result commit = run("commit", "web", "Web:1");
    assertEquals(1, commit.code());
    assertTrue(commit.errorLine().contains("'Web'"), commit.err());
    Path archive = dir.resolve("base.tar");
    assertEquals(0, run("export", "base:1", "docker-archive:" + archive).code());
    Cli.Result imported = run("import", "docker-archive:" + archive, "Copy:1");
    assertEquals(1, imported.code());
    assertTrue(imported.errorLine().contains("'Copy'"), imported.err());
    assertEquals(List.of("app:V1", "base:1"), store().tags());
  }

  /**
   * A name of a registry given by IPv6 address, as Docker accepts it: tagged, listed, read, kept
   * through a docker-archive, untagged (index.json holds it as an OCI ref.name can).
   */
  @Test
  void anIpv6RegistrysNameIsANameLikeAnyOther() throws IOException {
    String name = "[::1]:5000/team/app:1";
    Cli.Result tag = run("tag", "base:1", name);
    assertEquals(0, tag.code(), tag.err());
    assertEquals(name + "\n", tag.out());
    assertEquals(List.of(base.configDigest().hex().substring(0, 12)),
        run("images", "-q").out().lines().toList());
    assertTrue(run("images").out().lines().anyMatch(l -> l.startsWith(name + " ")));
    Cli.Result ls = run("ls", name, "/etc");
    assertEquals(0, ls.code(), ls.err());
    assertEquals(List.of("gone", "motd"), ls.out().lines().toList());
    Path archive = dir.resolve("v6.tar");
    assertEquals(0, run("export", name, "docker-archive:" + archive + ":" + name).code());
    assertEquals(0, run("rmi", name).code());
    assertEquals(List.of("base:1"), store().tags());
    Cli.Result imported = run("import", archive.toString());
    assertEquals(0, imported.code(), imported.err());
    assertEquals(name + "\n", imported.out());
    Cli.Result bad = run("tag", "base:1", "[::g]:5000/app:1");
    assertEquals(1, bad.code());
    assertTrue(bad.errorLine().contains("bad registry host '[::g]:5000'"), bad.err());
  }

  @Test
  void imagesAsJsonPrintsALineAnImageWithDockersKeys() throws IOException {
    ImageBuilder.create(storeDir).layer().file("/f", "f").build("host:5000/team/app:2");
    Cli.Result r = run(Map.of("TZ", "Europe/Berlin"), "images", "--format", "json");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size(), r.out());
    JsonNode row = JSON.readTree(lines.get(0));
    List<String> keys = new java.util.ArrayList<>();
    row.fieldNames().forEachRemaining(keys::add);
    assertEquals(List.of("Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
        "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize", "Layers", "SizeBytes"), keys);
    assertEquals("base", row.get("Repository").asText());
    assertEquals("1", row.get("Tag").asText());
    assertEquals(base.manifestDigest().toString(), row.get("Digest").asText());
    assertEquals(base.configDigest().hex().substring(0, 12), row.get("ID").asText());
    // Go's time.Time string in the local zone, as docker prints it; UTC when TZ is empty
    assertEquals("1970-01-01 01:00:00 +0100 CET", row.get("CreatedAt").asText());
    assertTrue(run(Map.of("TZ", ""), "images", "--format", "json").out()
        .contains("\"CreatedAt\":\"1970-01-01 00:00:00 +0000 UTC\""));
    assertTrue(row.get("CreatedSince").asText().endsWith(" years ago"), row.toString());
    assertEquals(2, row.get("Layers").asInt());
    assertTrue(row.get("SizeBytes").isIntegralNumber());
    assertEquals(row.get("Size").asText(), row.get("VirtualSize").asText());
    JsonNode app = JSON.readTree(lines.get(1));
    assertEquals("host:5000/team/app", app.get("Repository").asText());
    assertEquals("2", app.get("Tag").asText());
  }

  @Test
  void imagesShowsTheUnpackedSizeAsDockerDoesOnceTheLayersWereRead() throws IOException {
    long stored = 0;
    for (Layer layer : base.layers()) {
      stored += layer.size();
    }
    // never read: the compressed size stands in, marked, as nothing is inflated to list images
    Cli.Result listed = run("images");
    String before = listed.out().lines().skip(1).findFirst().orElseThrow();
    assertTrue(before.startsWith("base:1 "), before);
    assertTrue(before.endsWith(" " + Human.size(stored, 3) + "*"), before);
    // what the mark means, on stderr: the table on stdout stays rows only
    assertTrue(listed.err().startsWith("* layers not read yet: their compressed size"),
        listed.err());
    assertEquals(0, run("ls", "base:1", "/").code());
    long unpacked = 0;
    for (Layer layer : base.layers()) {
      unpacked += Files.size(storeDir.resolve("blobs/sha256").resolve(layer.diffId().hex()));
    }
    assertTrue(unpacked > stored, unpacked + " " + stored);
    Cli.Result relisted = run("images");
    String after = relisted.out().lines().skip(1).findFirst().orElseThrow();
    assertTrue(after.endsWith(" " + Human.size(unpacked, 3)), after);
    assertEquals("", relisted.err());
  }

  @Test
  void rmiUntagsAndGcThenFreesWhatNoContainerUses() throws IOException {
    Image other = Images.resolve(store(), ImageBuilder.create(storeDir).layer()
        .file("/other", "x".repeat(5000)).build("other").manifestDigest());
    assertEquals(List.of("base:1", "other"), store().tags());
    assertEquals(0, run("create", "web", "base:1").code());
    Cli.Result r = run("rmi", "-f", "base:1", "ghost:1", "other");
    assertEquals(1, r.code());
    // base:1 stays, untagged, for its container; other goes with its last tag
    assertEquals("Untagged: base:1\nUntagged: other\nDeleted: " + other.configDigest() + "\n",
        r.out());
    assertEquals("layerfs: no image tagged ghost:1 in store " + storeDir
        + " ('layerfs images' lists the tags)", r.errorLine());
    assertEquals(List.of(), store().tags());
    assertEquals(0, run("gc").code());
    assertFalse(store().contains(other.manifestDigest()));
    // the container keeps its image
    assertTrue(store().contains(base.manifestDigest()));
    Cli.Result ls = run("ls", "web", "/etc");
    assertEquals("gone\nmotd\n", ls.out(), ls.err());
    // NAME is NAME:latest, as for docker rmi
    Image app = Images.resolve(store(), ImageBuilder.create(storeDir).layer().file("/f", "f")
        .build("app:latest").manifestDigest());
    assertEquals("Untagged: app:latest\nDeleted: " + app.configDigest() + "\n",
        run("rmi", "app").out());
    assertEquals(2, run("rmi").code());
  }

  @Test
  void rmiOfALastTagSaysDeletedOnlyWhenNoImageOfThatIdIsLeft() throws IOException {
    // the same image (config and layers) in a second manifest: an OCI archive's, untagged
    Path oci = dir.resolve("oci.tar");
    assertEquals(0, run("export", base.manifestDigest().toString(), "oci-archive:" + oci)
        .code());
    Path saved = dir.resolve("docker.tar");
    assertEquals(0, run("export", "base:1", "docker-archive:" + saved + ":copy:1").code());
    assertEquals(0, run("rmi", "base:1").code());
    assertEquals(0, run("import", saved.toString()).code());
    assertEquals(0, run("import", oci.toString()).code());
    assertEquals(List.of(base.manifestDigest()), store().readIndex().untagged());
    assertEquals(base.configDigest(), Images.resolve(store(), "copy:1").configDigest());
    // images still lists that ID (the untagged one): nothing of it is deleted
    assertEquals("Untagged: copy:1\n", run("rmi", "copy:1").out());
    assertTrue(run("images", "-q").out().contains(base.configDigest().hex().substring(0, 12)));
  }

  @Test
  void anImageIdAsImagesShowsItIsTakenWhereverAnImageIs() throws IOException {
    String id = base.configDigest().hex().substring(0, 12);
    JsonNode row = JSON.readTree(run("images", "--format", "json").out().lines().findFirst()
        .orElseThrow());
    assertEquals(id, row.get("ID").asText());
    assertEquals(id + "\n", run("images", "-q").out());
    List<String> table = run("images").out().lines().toList();
    assertTrue(table.get(0).startsWith("TAG  "), table.get(0));
    assertTrue(table.get(0).contains(" IMAGE ID "), table.get(0));
    assertTrue(table.get(1).matches("base:1 +" + id + " +sha256:.*"), table.get(1));
    // the ID, the full config digest in docker's two spellings, a prefix of 4 digits
    for (String ref : List.of(id, base.configDigest().toString(), base.configDigest().hex(),
        id.substring(0, 4), "sha256:" + id)) {
      Cli.Result history = run("history", "-q", ref);
      assertEquals(0, history.code(), ref + ": " + history.err());
      Cli.Result ls = run("ls", ref, "/etc");
      assertEquals("gone\nmotd\n", ls.out(), ref + ": " + ls.err());
    }
    Cli.Result tagged = run("tag", id, "copy:1");
    assertEquals(0, tagged.code(), tagged.err());
    assertEquals(List.of("base:1", "copy:1"), store().tags());
    Cli.Result created = run("create", "--name", "web", id);
    assertEquals(0, created.code(), created.err());
    assertEquals(base.manifestDigest().toString(), JSON.readTree(
        run("inspect", "--format", "json", "web").out()).get(0).get("Image").asText());
    // docker inspect ID inspects the image, as layerfs does
    Cli.Result inspect = run("inspect", "--format", "json", id);
    assertEquals(0, inspect.code(), inspect.err());
    assertEquals(base.configDigest().toString(),
        JSON.readTree(inspect.out()).get(0).get("Id").asText());
    // through the provider's env "image" too, which would otherwise pull docker.io/library/ID
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://viewer"),
        Map.of("store", storeDir, "image", id))) {
      assertEquals("hello again\n", Files.readString(fs.getPath("/etc/motd")));
    }
  }

  @Test
  void anIdPrefixOfSeveralImagesIsAnErrorNamingThemWhereverAnImageIsTaken() throws IOException {
    // two images whose IDs begin with the same 4 digits: found by trying labels
    Map<String, List<String>> byPrefix = new java.util.HashMap<>();
    List<String> pair = null;
    for (int i = 0; pair == null; i++) {
      String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":"
          + "{\"n\":\"" + i + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
      String hex = io.layerfs.core.Digest.sha256(config.getBytes(
          java.nio.charset.StandardCharsets.UTF_8)).hex();
      List<String> same = byPrefix.computeIfAbsent(hex.substring(0, 4), k -> new ArrayList<>());
      same.add(config);
      pair = same.size() == 2 ? same : null;
    }
    ContentStore store = store();
    for (int i = 0; i < 2; i++) {
      byte[] config = pair.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      io.layerfs.core.Digest digest = store.write(config);
      io.layerfs.core.Digest manifest = store.write(("{\"schemaVersion\":2,\"mediaType\":\""
          + "application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\""
          + "application/vnd.oci.image.config.v1+json\",\"digest\":\"" + digest + "\",\"size\":"
          + config.length + "},\"layers\":[]}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      store.tag("twin:" + i, manifest);
    }
    String prefix = io.layerfs.core.Digest.sha256(pair.get(0).getBytes(
        java.nio.charset.StandardCharsets.UTF_8)).hex().substring(0, 4);
    for (String[] command : List.of(new String[] {"ls", prefix, "/"},
        new String[] {"history", prefix}, new String[] {"tag", prefix, "x:1"},
        new String[] {"rmi", prefix}, new String[] {"create", "--name", "c", prefix})) {
      Cli.Result r = run(command);
      assertEquals(1, r.code(), String.join(" ", command));
      assertTrue(r.errorLine().startsWith("layerfs: image ID '" + prefix + "' is ambiguous in "
          + "store " + storeDir + ": it matches "), r.err());
      assertTrue(r.err().contains("(twin:0; manifest ") && r.err().contains("(twin:1; manifest "),
          r.err());
    }
    assertEquals(List.of("base:1", "twin:0", "twin:1"), store().tags());
  }

  @Test
  void rmiOfAnIdOrDigestRemovesTheImageWithItsTagsAsDockerDoes() throws IOException {
    String id = base.configDigest().hex().substring(0, 12);
    String manifest = base.manifestDigest().toString();
    assertEquals(0, run("tag", "base:1", "base:2").code());
    // several tags: docker asks for -f
    Cli.Result several = run("rmi", manifest);
    assertEquals(1, several.code());
    // docker names the image by its ID, the config digest, as images shows it
    assertEquals("layerfs: conflict: unable to delete " + id + " (must be forced) - image is "
        + "referenced in multiple repositories (base:1, base:2)", several.errorLine());
    assertEquals(List.of("base:1", "base:2"), store().tags());
    assertEquals(0, run("rmi", "base:2").code());
    // one tag and a container: refused without -f, as docker's "stopped container"
    assertEquals(0, run("create", "web", "base:1").code());
    Cli.Result used = run("rmi", id);
    assertEquals(1, used.code());
    assertEquals("layerfs: conflict: unable to delete " + id + " (must be forced) - image is "
        + "being used by stopped container web", used.errorLine());
    assertEquals(0, run("rm", "web").code());
    Cli.Result removed = run("rmi", manifest);
    assertEquals(0, removed.code(), removed.err());
    assertEquals("Untagged: base:1\nDeleted: " + base.configDigest() + "\n", removed.out());
    assertEquals(List.of(), store().tags());
    assertEquals("", run("images", "-q").out());
    // forced, with several tags and a container, by ID; the container keeps its image
    ImageBuilder.create(storeDir).layer().file("/f", "f").build("app:1");
    Image app = Images.resolve(store(), "app:1");
    assertEquals(0, run("tag", "app:1", "other/app:2").code());
    assertEquals(0, run("create", "c", "app:1").code());
    Cli.Result forced = run("rmi", "-f", app.configDigest().hex().substring(0, 12));
    assertEquals(0, forced.code(), forced.err());
    assertEquals("Untagged: app:1\nUntagged: other/app:2\nDeleted: " + app.configDigest()
        + "\n", forced.out());
    assertTrue(run("ls", "c", "/").out().lines().anyMatch("f"::equals));
    Cli.Result gone = run("rmi", manifest);
    assertEquals(1, gone.code());
  }

  @Test
  void aColonlessTagIsTheLayoutsTagInImagesJson() throws IOException {
    // umoci tag --image STORE:latest and skopeo's oci:STORE:latest write the tag alone
    ImageBuilder.create(storeDir).layer().file("/f", "f").build("latest");
    ImageBuilder.create(storeDir).layer().file("/g", "g").build("example.com/team/app");
    Map<String, JsonNode> rows = new java.util.HashMap<>();
    for (String line : run("images", "--format", "json").out().lines().toList()) {
      JsonNode row = JSON.readTree(line);
      rows.put(row.get("Repository").asText() + " " + row.get("Tag").asText(), row);
    }
    assertEquals(java.util.Set.of("base 1", "<none> latest", "example.com/team/app <none>"),
        rows.keySet());
  }

  @Test
  void rmiRefusesTheLastTagOfAnImageAContainerUsesUnlessForced() throws IOException {
    assertEquals(0, run("create", "web", "base:1").code());
    Cli.Result refused = run("rmi", "base:1");
    assertEquals(1, refused.code());
    assertEquals("", refused.out());
    assertEquals("layerfs: conflict: unable to remove repository reference \"base:1\" (must "
        + "force) - container web is using its referenced image "
        + base.configDigest().hex().substring(0, 12), refused.errorLine());
    assertEquals(List.of("base:1"), store().tags());
    // another tag of the same image: untagging one loses nothing, as with docker
    assertEquals(0, run("tag", "base:1", "base:2").code());
    assertEquals("Untagged: base:1\n", run("rmi", "base:1").out());
    assertEquals(1, run("rmi", "base:2").code());
    Cli.Result forced = run("rmi", "--force", "base:2");
    assertEquals(0, forced.code(), forced.err());
    assertEquals("Untagged: base:2\n", forced.out());
    assertEquals(List.of(), store().tags());
    // the container keeps its image, and the image stays as docker keeps it: untagged, <none>
    assertEquals("gone\nmotd\n", run("ls", "web", "/etc").out());
    assertEquals(List.of(base.manifestDigest()), store().readIndex().untagged());
    assertTrue(run("images").out().lines().anyMatch(l -> l.startsWith("<none>")
        && l.contains(base.configDigest().hex().substring(0, 12))), run("images").out());
  }

  @Test
  void gcShowsWhatItFreed() throws IOException {
    Image garbage = Images.resolve(store(), ImageBuilder.create(storeDir).layer()
        .file("/junk", "x".repeat(5000)).build().manifestDigest());
    Cli.Result dry = run("gc", "--dry-run");
    assertEquals(0, dry.code(), dry.err());
    assertTrue(dry.out().contains("would remove blob " + garbage.manifestDigest() + " ("),
        dry.out());
    assertTrue(dry.out().lines().reduce((a, b) -> b).orElseThrow()
        .matches("Total reclaimable space: [0-9.]+k?B"), dry.out());
    assertTrue(store().contains(garbage.manifestDigest()));
    Cli.Result json = run("gc", "--dry-run", "--format", "json");
    JsonNode report = JSON.readTree(json.out());
    assertTrue(report.get("dryRun").asBoolean());
    assertTrue(report.get("bytesFreed").asLong() > 0);
    assertTrue(report.get("problems").isArray());
    JsonNode first = report.get("removed").get(0);
    assertTrue(first.has("kind") && first.has("name") && first.has("bytes"), first.toString());
    Cli.Result real = run("gc");
    assertEquals(0, real.code(), real.err());
    assertTrue(real.out().contains("removed blob " + garbage.manifestDigest()), real.out());
    assertTrue(real.out().contains("Total reclaimed space: "), real.out());
    assertFalse(store().contains(garbage.manifestDigest()));
    assertTrue(store().contains(base.manifestDigest()));
    assertEquals("Total reclaimed space: 0B\n", run("gc").out());
    JsonNode after = JSON.readTree(run("gc", "--format", "json").out());
    assertFalse(after.get("dryRun").asBoolean());
    assertEquals(0, after.get("removed").size());
  }

  @Test
  void importOfAFileSystemTarMakesAnImageOfItAsDockerImportDoes() throws IOException {
    containerWithChanges();
    Path tar = dir.resolve("web.tar");
    assertEquals(0, run("export", "web", "-o", tar.toString()).code());
    Cli.Result imported = run("import", tar.toString(), "flat");
    assertEquals(0, imported.code(), imported.err());
    assertEquals("flat:latest\n", imported.out());
    assertEquals(0, run("create", "again", "flat").code());
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://again"),
        Map.of("store", storeDir, "readOnly", true))) {
      assertEquals("changed\n", Files.readString(fs.getPath("/etc/motd")));
      assertEquals("new\n", Files.readString(fs.getPath("/var/new.txt")));
      assertFalse(Files.exists(fs.getPath("/etc/gone")));
    }
    assertEquals(1, Images.resolve(store(), "flat:latest").layers().size());
    InputStream stdin = System.in;
    System.setIn(Files.newInputStream(tar)); // docker import - TAG
    try {
      Cli.Result piped = run("import", "-", "piped:1");
      assertEquals(0, piped.code(), piped.err());
      assertEquals("piped:1\n", piped.out());
    } finally {
      System.setIn(stdin);
    }
    assertEquals(Images.resolve(store(), "flat:latest").layers(),
        Images.resolve(store(), "piped:1").layers());
    // without TAG: said what it is and what to add; with one, an image archive is still refused
    Cli.Result untagged = run("import", tar.toString());
    assertEquals(1, untagged.code());
    assertEquals("layerfs: " + tar + " is a file system tar, not an image archive (no"
        + " manifest.json or oci-layout in it): give a TAG to make an image of it, as docker"
        + " import REPOSITORY[:TAG] does", untagged.errorLine());
    Path notTar = Files.writeString(dir.resolve("notes.txt"), "words\n".repeat(200));
    assertEquals("layerfs: " + notTar + " is not a tar archive",
        run("import", notTar.toString()).errorLine());
    assertEquals("layerfs: docker-archive:" + notTar + ": " + notTar + " is not a tar archive",
        run("import", "docker-archive:" + notTar).errorLine());
    // '-' without TAG: a file system tar on standard input is said to be one, as FILE is
    Cli.Result noTag = importFromStandardInput(Files.readAllBytes(tar), storeDir, "-");
    assertEquals(1, noTag.code());
    assertEquals("layerfs: standard input is a file system tar, not an image archive (no"
        + " manifest.json or oci-layout in it): give a TAG to make an image of it (import - TAG),"
        + " as docker import - REPOSITORY[:TAG] does", noTag.errorLine());
    Cli.Result notATar = run("import", notTar.toString(), "x:1");
    assertEquals(1, notATar.code());
    assertTrue(notATar.errorLine().contains(notTar + ": neither a tar nor a compressed tar"),
        notATar.err());
    assertFalse(store().tags().contains("x:1"));
  }

  @Test
  void importDashLoadsAnImageArchiveFromStandardInputAsDockerLoadDoes() throws IOException {
    Path saved = dir.resolve("docker.tar");
    Path oci = dir.resolve("oci.tar");
    assertEquals(0, run("export", "base:1", "docker-archive:" + saved + ":example/base:1")
        .code());
    assertEquals(0, run("export", "base:1", "oci-archive:" + oci + ":v1").code());
    Path other = dir.resolve("other");
    Cli.Result loaded = importFromStandardInput(Files.readAllBytes(saved), other, "-");
    assertEquals(0, loaded.code(), loaded.err());
    assertEquals("example/base:1\n", loaded.out());
    Cli.Result fromOci = importFromStandardInput(Files.readAllBytes(oci), other, "-");
    assertEquals(0, fromOci.code(), fromOci.err());
    assertEquals("v1\n", fromOci.out());
    try (FileSystem fs = Stores.openImage(other, "v1")) {
      assertEquals("hello again\n", Files.readString(fs.getPath("/etc/motd")));
    }
    assertEquals(List.of("example/base:1", "v1"), ContentStore.open(other).tags());
    // nothing of standard input stays in the store
    try (var temp = Files.list(other.resolve("layerfs/tmp"))) {
      assertEquals(List.of(), temp.toList());
    }
    // what '-' cannot take says what to type instead, and leaves no store behind
    Path none = dir.resolve("none");
    Cli.Result tagged = importFromStandardInput(Files.readAllBytes(saved), none, "-", "x:1");
    assertEquals(1, tagged.code());
    assertEquals("layerfs: standard input is an image archive: import - takes every image of"
        + " it under its own tags, without TAG (then 'layerfs tag' names one); to pick one"
        + " image and tag it, save the archive to a file and import docker-archive:FILE TAG or"
        + " oci-archive:FILE TAG", tagged.errorLine());
    Cli.Result empty = importFromStandardInput(new byte[0], none, "-");
    assertEquals("layerfs: standard input is empty: pipe an image archive into import -"
        + " (layerfs import - < FILE), as into docker load, or a file system tar with a TAG"
        + " (import - TAG), as into docker import -", empty.errorLine());
    Cli.Result words = importFromStandardInput("words\n".repeat(200).getBytes(), none, "-");
    assertEquals("layerfs: standard input is not a tar archive: import - reads an image"
        + " archive (docker-archive or OCI archive) as docker load does, or, with a TAG, a file"
        + " system tar, plain or compressed, as docker import - does", words.errorLine());
    assertFalse(Files.exists(none));
  }

  /** {@code import ARGS} into {@code store} with {@code input} as standard input. */
  private static Cli.Result importFromStandardInput(byte[] input, Path store, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "import";
    System.arraycopy(args, 0, all, 1, args.length);
    InputStream stdin = System.in;
    System.setIn(new java.io.ByteArrayInputStream(input));
    try {
      return Cli.run(withStore(store, all));
    } finally {
      System.setIn(stdin);
    }
  }

  @Test
  void exportOfAContainerWritesItsWholeFileSystemAsOneTar() throws IOException {
    containerWithChanges();
    Path tar = dir.resolve("web.tar");
    assertEquals(0, run("export", "web", "-o", tar.toString()).code());
    java.util.Map<String, String> entries = new java.util.TreeMap<>();
    List<String> names = new java.util.ArrayList<>();
    try (org.apache.commons.compress.archivers.tar.TarArchiveInputStream in =
        new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
            Files.newInputStream(tar))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(e.getName());
        entries.put(e.getName(), e.isDirectory() ? "dir"
            : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    // as docker export (moby's archive.TarWithOptions) names them: no entry for the root, no
    // "./", a directory with a trailing "/" before its entries, names in byte order
    assertEquals(List.of("etc/", "etc/motd", "var/", "var/new.txt"), names);
    // the merged view, not the changes: no whiteouts, the image's files too
    assertEquals("changed\n", entries.get("etc/motd"));
    assertEquals("new\n", entries.get("var/new.txt"));
    assertEquals("dir", entries.get("etc/"));
    assertFalse(entries.containsKey("etc/gone"));
    assertTrue(entries.keySet().stream().noneMatch(n -> n.contains(".wh.")), entries.toString());
    // the tar gets the mode any new file gets (the umask's), as docker export -o writes it, not
    // a temp file's 0600
    Path made = Files.createFile(dir.resolve("made"));
    assertEquals(Files.getPosixFilePermissions(made), Files.getPosixFilePermissions(tar));

    Cli.Result image = run("export", "nosuch", "-o", dir.resolve("x.tar").toString());
    assertEquals(1, image.code());
    assertTrue(image.errorLine().contains("no container nosuch"), image.err());
    assertFalse(Files.exists(dir.resolve("x.tar")));
  }

  @Test
  void exportsWriteIntoAFifoOrThroughALinkAndNeverReplaceEither() throws Exception {
    assertEquals(0, run("create", "web", "base:1").code());
    Path fifo = dir.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    // export -o FIFO writes into it, as a shell redirection (or -o /dev/stdout) does
    java.util.concurrent.CompletableFuture<byte[]> read =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> {
          try {
            return Files.readAllBytes(fifo);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    Cli.Result toFifo = run("export", "web", "-o", fifo.toString());
    assertEquals(0, toFifo.code(), toFifo.err());
    List<String> names = new java.util.ArrayList<>();
    byte[] bytes = read.get(60, java.util.concurrent.TimeUnit.SECONDS);
    try (org.apache.commons.compress.archivers.tar.TarArchiveInputStream tar =
        new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
            new java.io.ByteArrayInputStream(bytes))) {
      for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
      }
    }
    assertTrue(names.contains("etc/motd"), names.toString());
    assertTrue(isFifo(fifo), "the fifo is still there");
    // an image archive cannot be renamed over a fifo: refused, before it is opened
    Cli.Result archive = run("export", "base:1", "docker-archive:" + fifo);
    assertEquals(1, archive.code());
    assertEquals("layerfs: " + fifo + " is not a regular file; an archive is written to a temp "
        + "file beside its destination and renamed over it", archive.errorLine());
    assertTrue(isFifo(fifo));
    // through links to files: the files are replaced, the links stay
    Path tarFile = Files.writeString(dir.resolve("web.tar"), "old");
    Path tarLink = Files.createSymbolicLink(dir.resolve("web-link.tar"), tarFile);
    assertEquals(0, run("export", "web", "-o", tarLink.toString()).code());
    Path archiveFile = Files.writeString(dir.resolve("base.tar"), "old");
    Path archiveLink = Files.createSymbolicLink(dir.resolve("base-link.tar"), archiveFile);
    assertEquals(0, run("export", "base:1", "docker-archive:" + archiveLink).code());
    assertTrue(Files.isSymbolicLink(tarLink) && Files.isSymbolicLink(archiveLink));
    assertTrue(Files.size(tarFile) > 1024 && Files.size(archiveFile) > 1024);
  }

  @Test
  void exportsToADirectoryOrIntoAMissingOneNameTheDestination() throws IOException {
    assertEquals(0, run("create", "web", "base:1").code());
    Path out = Files.createDirectories(dir.resolve("out"));
    Cli.Result container = run("export", "web", "-o", out.toString());
    assertEquals(1, container.code());
    assertEquals("layerfs: " + out + " is a directory; -o names the tar file to write",
        container.errorLine());
    Path nowhere = dir.resolve("nowhere/web.tar");
    Cli.Result missing = run("export", "web", "-o", nowhere.toString());
    assertEquals(1, missing.code());
    assertEquals("layerfs: " + nowhere + ": no such directory " + nowhere.getParent(),
        missing.errorLine());
    Path file = Files.writeString(dir.resolve("file"), "x");
    Cli.Result underAFile = run("export", "web", "-o", file.resolve("web.tar").toString());
    assertEquals(1, underAFile.code());
    assertEquals("layerfs: " + file.resolve("web.tar") + ": " + file + " is not a directory",
        underAFile.errorLine());
    for (String kind : List.of("docker-archive:", "oci-archive:")) {
      Cli.Result image = run("export", "base:1", kind + out);
      assertEquals(1, image.code(), kind);
      assertEquals("layerfs: " + out + " is a directory; an archive is written to a file",
          image.errorLine());
    }
    try (var left = Files.list(dir)) {
      assertEquals(List.of(), left.filter(p -> p.toString().endsWith(".tmp")).toList());
    }
    try (var left = Files.list(out)) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void inspectShowsTheContainersImageLayersSizeAndMounts() throws IOException {
    containerWithChanges();
    Cli.Result text = run("inspect", "web");
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().contains("Image:     base:1 (" + base.manifestDigest() + ")"),
        text.out());
    for (var layer : base.layers()) {
      assertTrue(text.out().contains(layer.digest().toString()), text.out());
    }
    Cli.Result json = run("inspect", "web", "--format", "json");
    assertEquals(0, json.code(), json.err());
    var node = JSON.readTree(json.out()).get(0);
    assertEquals("web", node.get("Name").asText());
    assertEquals(base.manifestDigest().toString(), node.get("Image").asText());
    assertEquals("base:1", node.get("Config").get("Image").asText());
    // "changed\n" and "new\n": the bytes written, not layerfs' records of them
    assertEquals(12, node.get("SizeRw").asLong(), json.out());
    assertEquals(base.layers().size(), node.get("GraphDriver").get("Data").get("Layers").size());
    assertEquals(0, node.get("Mounts").size());
    Cli.Result missing = run("inspect", "nosuch");
    assertEquals(1, missing.code());
    assertTrue(missing.errorLine().contains("nosuch"), missing.err());
  }

  @Test
  void inspectOfAnImageShowsItsIdTagsLayersAndConfig() throws IOException {
    containerWithChanges();
    assertEquals(0, run("tag", "base:1", "copy:1").code());
    Cli.Result json = run("inspect", "--format", "json", "base:1");
    assertEquals(0, json.code(), json.err());
    var node = JSON.readTree(json.out()).get(0);
    assertEquals(base.configDigest().toString(), node.get("Id").asText());
    assertEquals("[\"base:1\",\"copy:1\"]", node.get("RepoTags").toString());
    assertEquals("1970-01-01T00:00:00Z", node.get("Created").asText());
    assertEquals(base.layers().size(), node.get("RootFS").get("Layers").size());
    for (int i = 0; i < base.layers().size(); i++) {
      assertEquals(base.layers().get(i).diffId().toString(),
          node.get("RootFS").get("Layers").get(i).asText());
    }
    assertEquals(base.manifestDigest().toString(),
        node.get("GraphDriver").get("Data").get("Manifest").asText());
    assertTrue(node.get("Config").has("Env"), json.out());
    Cli.Result text = run("inspect", "base:1");
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().startsWith("Image:       base:1\nID:          "
        + base.configDigest() + " (the config digest)\n"), text.out());
    assertTrue(text.out().contains("Tags:        base:1, copy:1\n"), text.out());
    // a container of the name comes first, as with docker; --type image asks for the image
    assertEquals(0, run("tag", "base:1", "web").code());
    assertEquals("web", JSON.readTree(run("inspect", "--format", "json", "web").out()).get(0)
        .get("Name").asText());
    assertEquals(base.configDigest().toString(), JSON.readTree(run("inspect", "--type", "image",
        "--format", "json", "web").out()).get(0).get("Id").asText());
    Cli.Result neither = run("inspect", "nosuch");
    assertEquals(1, neither.code());
    assertTrue(neither.errorLine().contains("no container or image 'nosuch'"), neither.err());
    Cli.Result wrongType = run("inspect", "--type", "volume", "web");
    assertEquals(2, wrongType.code());
    assertTrue(wrongType.err().contains("--type: 'volume' is neither container nor image"),
        wrongType.err());
  }

  @Test
  void inspectOfSeveralContainersShowsEachAndNamesTheMissingAfterwards() throws IOException {
    containerWithChanges();
    assertEquals(0, run("create", "db", "base:1").code());
    Cli.Result json = run("inspect", "web", "nosuch", "db", "--format", "json");
    assertEquals(1, json.code());
    var nodes = JSON.readTree(json.out());
    assertEquals(2, nodes.size(), json.out());
    assertEquals("web", nodes.get(0).get("Name").asText());
    assertEquals("db", nodes.get(1).get("Name").asText());
    assertEquals("layerfs: no container or image 'nosuch' in store " + storeDir
        + "; containers: db, web; tags: base:1", json.errorLine());
    Cli.Result text = run("inspect", "web", "db");
    assertEquals(0, text.code(), text.err());
    assertEquals("", text.err());
    String[] blocks = text.out().split("\n\n");
    assertEquals(2, blocks.length, text.out());
    assertTrue(blocks[0].startsWith("Name:      web\n"), text.out());
    assertTrue(blocks[1].startsWith("Name:      db\n"), text.out());
    assertEquals(run("inspect", "db").out(), blocks[1]);
    Cli.Result none = run("inspect", "--type", "container", "nosuch", "base:1", "--format",
        "json");
    assertEquals(1, none.code());
    assertEquals(0, JSON.readTree(none.out()).size(), none.out());
    assertEquals(List.of("layerfs: no container nosuch in store " + storeDir.toAbsolutePath(),
        "layerfs: no container base:1 in store " + storeDir.toAbsolutePath()
            + ": base:1 is an image ('layerfs ps' lists the containers)"),
        none.err().lines().toList());
    // without --type, a container and an image, in the order given
    Cli.Result both = run("inspect", "db", "base:1", "--format", "json");
    assertEquals(0, both.code(), both.err());
    assertEquals("db", JSON.readTree(both.out()).get(0).get("Name").asText());
    assertEquals(base.configDigest().toString(), JSON.readTree(both.out()).get(1).get("Id")
        .asText());
  }

  private static boolean isFifo(Path file) throws IOException {
    return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class,
        java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther();
  }
}
