package io.layerfs.cli;

import io.layerfs.core.Change;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.Image;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import io.layerfs.provider.LayerFileAttributeView;
import io.layerfs.testing.ImageBuilder.Entry;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs demo}: the tour. Builds a small two-layer image in a scratch store (no network),
 * opens a container of it with {@code FileSystems.newFileSystem}, lists it with the layer each file
 * comes from, reads through the layers, writes copy-on-write, reopens the container to show that
 * the writes persist, prints its diff (A/C/D), commits it as image demo:2 (printing the digest,
 * the same on every run) and shows that demo:2 has the writes while demo:1 stays as it was.
 */
final class DemoCommand implements CliCommand {
  private static final Instant TIME = Instant.parse("2026-01-01T00:00:00Z");

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new DemoCommand(), "demo",
        "Build a small image, open a container of it as a java.nio.file FileSystem, read it, "
            + "write to it copy-on-write, and commit the changes as a new image.");
    spec.addOption(Specs.flag("--keep", "Keep the scratch store and print where it is."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    boolean keep = in.flag("--keep");
    Path given = in.main().store;
    PrintWriter out = in.out();
    Path store = given != null ? given.toAbsolutePath()
        : Files.createTempDirectory("layerfs-demo-");
    if (given != null && Files.isDirectory(store) && Stores.hasContainer(store, "demo")) {
      // the tour writes to a fresh container: on the last run's it would fail half-way
      throw new FileAlreadyExistsException(store.toString(), null, "container demo already "
          + "exists in store " + store + " (an earlier demo's?): remove it with 'layerfs rm demo'"
          + " or give another --store");
    }
    try {
      Image image = build(ContentStore.open(store));
      out.printf("built image demo:1 (%s) with %d layers in %s%s%n", image.manifestDigest(),
          image.layers().size(), given == null ? "a scratch store, " : "store ", store);
      for (int i = 0; i < image.layers().size(); i++) {
        out.printf("  layer %d: %s%n", i, image.layers().get(i).digest());
      }
      out.println();
      Map<String, Object> env = Map.of("store", store, "image", "demo:1");
      out.println("FileSystems.newFileSystem(URI.create(\"layerfs://demo\"), "
          + "Map.of(\"store\", store, \"image\", \"demo:1\"))");
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://demo"), env)) {
        tour(fs, out);
        write(fs, out);
      }
      out.println();
      out.println("reopened container demo (a new FileSystem, the writes are still there):");
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://demo"),
          Map.of("store", store))) {
        find(fs, out);
        out.println("$ cat /etc/motd");
        out.print(indent(Files.readString(fs.getPath("/etc/motd"))));
      }
      out.println();
      commit(ContentStore.open(store), out);
      out.println();
      out.println("the committed image demo:2 holds the writes (a read-only view of it):");
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://demo-committed"),
          Map.of("store", store, "image", "demo:2", "readOnly", true))) {
        out.println("$ test -e /etc/os-release   (a whiteout in the new layer hides it)");
        out.println("  " + (Files.exists(fs.getPath("/etc/os-release")) ? "exists" : "absent"));
        out.println("$ ls /srv/www");
        out.println("  " + String.join(" ", list(fs.getPath("/srv/www"))));
      }
      out.println();
      out.println("the image itself is unchanged (a read-only view of demo:1):");
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://demo-image"),
          Map.of("store", store, "image", "demo:1", "readOnly", true))) {
        out.println("$ cat /etc/motd");
        out.print(indent(Files.readString(fs.getPath("/etc/motd"))));
      }
    } finally {
      if (given == null && !keep) {
        deleteTree(store);
        // said, or a user who looks for the store printed at the top finds nothing there
        out.println();
        out.println("removed the scratch store " + store + " (--keep or --store DIR keeps the"
            + " store, to look at with layerfs --store DIR images, ps, diff demo, ls demo /...)");
      } else if (keep) {
        out.println("store kept at " + store);
      }
    }
    return 0;
  }

  /**
   * What {@code layerfs diff demo} and {@code layerfs commit demo demo:2} do, through the core
   * API: the container's changes, then a new image of them. SOURCE_DATE_EPOCH is the demo's fixed
   * time, so every run prints the same digest.
   */
  private static void commit(ContentStore store, PrintWriter out) throws IOException {
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "demo", null, false)) {
      out.println("$ layerfs diff demo   (A added, C changed, D deleted)");
      for (Change change : c.diff()) {
        out.println("  " + change);
      }
      out.println("$ SOURCE_DATE_EPOCH=" + TIME.getEpochSecond()
          + " layerfs commit demo demo:2   (a new layer with whiteouts, a new image)");
      Image committed = c.commit("demo:2",
          CommitOptions.defaults().withSourceDateEpoch(TIME), Progress.NONE);
      out.println("  " + committed.manifestDigest());
      out.printf("  (%d layers, the new one %s)%n", committed.layers().size(),
          committed.layers().get(committed.layers().size() - 1).digest());
    }
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Writes demo:1 with the testing module's builder, then reads it back through core. */
  private static Image build(ContentStore store) throws IOException {
    String manifest = ImageBuilder.create(store.root()).created(TIME)
        .layer(LayerCompression.GZIP)
        .add(Entry.dir("/etc").mtime(TIME))
        .add(Entry.file("/etc/os-release", text("NAME=\"layerfs demo\"\nVERSION_ID=1\n"))
            .mtime(TIME))
        .add(Entry.file("/etc/motd", text("Welcome to the lower layer.\n")).mtime(TIME))
        .add(Entry.dir("/usr").mtime(TIME))
        .add(Entry.dir("/usr/bin").mtime(TIME))
        .add(Entry.file("/usr/bin/hello", text("#!/bin/sh\necho hello\n")).mode(0755).mtime(TIME))
        .add(Entry.symlink("/bin", "usr/bin").mtime(TIME))
        .add(Entry.dir("/tmp").mode(01777).mtime(TIME))
        .add(Entry.file("/tmp/scratch", text("to be deleted\n")).mtime(TIME))
        .layer(LayerCompression.GZIP)
        .add(Entry.file("/etc/motd",
            text("Welcome to layerfs: this line comes from the image's layer 1.\n")).mtime(TIME))
        .add(Entry.whiteout("/tmp/scratch"))
        .add(Entry.file("/home/app/notes.txt", text("hello from layer 1\n")).owner(1000, 1000)
            .mtime(TIME))
        .build("demo:1")
        .manifestDigest();
    return Images.resolve(store, manifest);
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void tour(FileSystem fs, PrintWriter out) throws IOException {
    find(fs, out);
    out.println();
    out.println("$ cat /etc/motd   (replaced by layer 1)");
    out.print(indent(Files.readString(fs.getPath("/etc/motd"), StandardCharsets.UTF_8)));
    out.println("$ cat /bin/hello  (through the symlink /bin -> usr/bin)");
    out.print(indent(Files.readString(fs.getPath("/bin/hello"))));
    out.println("$ test -e /tmp/scratch   (deleted by a whiteout in layer 1)");
    out.println("  " + (Files.exists(fs.getPath("/tmp/scratch")) ? "exists" : "absent"));
  }

  /** Writes that land in the container's own layer, copy-on-write. */
  private static void write(FileSystem fs, PrintWriter out) throws IOException {
    out.println();
    out.println("writes, copy-on-write into container demo:");
    out.println("$ echo 'written by the container' >> /etc/motd   (copies the file up)");
    Files.writeString(fs.getPath("/etc/motd"), "written by the container\n",
        StandardOpenOption.APPEND);
    out.println("$ rm /etc/os-release                          (a whiteout hides it)");
    Files.delete(fs.getPath("/etc/os-release"));
    out.println("$ mkdir -p /srv/www && echo '<h1>hi</h1>' > /srv/www/index.html");
    Files.createDirectories(fs.getPath("/srv/www"));
    Files.writeString(fs.getPath("/srv/www/index.html"), "<h1>hi</h1>\n");
    out.println("$ chmod 600 /home/app/notes.txt               (metadata only, no data copied)");
    Files.setPosixFilePermissions(fs.getPath("/home/app/notes.txt"),
        PosixFilePermissions.fromString("rw-------"));
    out.println("$ mv /usr/bin /usr/local-bin                  (a lower directory, renamed)");
    Files.move(fs.getPath("/usr/bin"), fs.getPath("/usr/local-bin"));
  }

  private static void find(FileSystem fs, PrintWriter out) throws IOException {
    out.println("$ find /   (mode, owner, size, the layer each entry comes from)");
    try (Stream<Path> walk = Files.walk(fs.getPath("/"))) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        PosixFileAttributes a =
            Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        LayerFileAttributeView.Origin origin = Files.getFileAttributeView(p,
            LayerFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readOrigin();
        String layer = origin.upper() ? "upper  " : "layer " + origin.index();
        String link = a.isSymbolicLink() ? " -> " + Files.readSymbolicLink(p) : "";
        out.printf("  %c%s %5s:%-5s %6d  %s  %s%s%n",
            a.isDirectory() ? 'd' : a.isSymbolicLink() ? 'l' : '-',
            LsCommand.permissions((Integer) Files.getAttribute(p, "unix:mode",
                LinkOption.NOFOLLOW_LINKS)), a.owner().getName(),
            a.group().getName(), a.size(), layer, p, link);
      }
    }
  }

  private static String indent(String text) {
    return text.lines().map(l -> "  " + l + "\n").reduce("", String::concat);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
