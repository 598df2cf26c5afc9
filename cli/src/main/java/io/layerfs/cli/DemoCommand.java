package io.layerfs.cli;

import io.layerfs.core.Compression;
import io.layerfs.core.ContentStore;
import io.layerfs.core.Image;
import io.layerfs.core.ImageBuilder;
import io.layerfs.core.ImageBuilder.Entry;
import io.layerfs.provider.LayerFileAttributeView;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs demo}: the tour. Builds a small two-layer image in a scratch store (no network),
 * opens it with {@code FileSystems.newFileSystem}, lists it with the layer each file comes from,
 * and reads a file that the upper layer replaced and one it deleted.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Build a small image, open it as a java.nio.file FileSystem and read it.")
final class DemoCommand implements Callable<Integer> {
  private static final Instant TIME = Instant.parse("2026-01-01T00:00:00Z");

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--keep", description = "Keep the scratch store and print where it is.")
  boolean keep;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Path store = main.store != null ? main.store.toAbsolutePath()
        : Files.createTempDirectory("layerfs-demo-");
    try {
      Image image = build(ContentStore.open(store));
      out.printf("built image demo:1 (%s) with %d layers in %s%n", image.manifestDigest(),
          image.layers().size(), store);
      for (int i = 0; i < image.layers().size(); i++) {
        out.printf("  layer %d: %s%n", i, image.layers().get(i).digest());
      }
      out.println();
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://demo"),
          Map.of("store", store, "image", "demo:1", "readOnly", true))) {
        tour(fs, out);
      }
    } finally {
      if (main.store == null && !keep) {
        deleteTree(store);
      } else if (keep) {
        out.println("store kept at " + store);
      }
    }
    return 0;
  }

  private static Image build(ContentStore store) throws IOException {
    return ImageBuilder.create(store).created(TIME)
        .layer(Compression.GZIP)
        .add(Entry.dir("/etc").mtime(TIME))
        .add(Entry.file("/etc/os-release", text("NAME=\"layerfs demo\"\nVERSION_ID=1\n")).mtime(TIME))
        .add(Entry.file("/etc/motd", text("Welcome to the lower layer.\n")).mtime(TIME))
        .add(Entry.dir("/usr").mtime(TIME))
        .add(Entry.dir("/usr/bin").mtime(TIME))
        .add(Entry.file("/usr/bin/hello", text("#!/bin/sh\necho hello\n")).mode(0755).mtime(TIME))
        .add(Entry.symlink("/bin", "usr/bin").mtime(TIME))
        .add(Entry.dir("/tmp").mode(01777).mtime(TIME))
        .add(Entry.file("/tmp/scratch", text("to be deleted\n")).mtime(TIME))
        .layer(Compression.GZIP)
        .add(Entry.file("/etc/motd", text("Welcome to layerfs: this line is from the upper layer.\n"))
            .mtime(TIME))
        .add(Entry.whiteout("/tmp/scratch"))
        .add(Entry.file("/home/app/notes.txt", text("hello from layer 1\n")).owner(1000, 1000)
            .mtime(TIME))
        .build("demo:1");
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void tour(FileSystem fs, PrintWriter out) throws IOException {
    Path root = fs.getPath("/");
    out.println("$ find / (through FileSystems.newFileSystem(URI.create(\"layerfs://demo\"), env))");
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        PosixFileAttributes a =
            Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        int layer = Files.getFileAttributeView(p, LayerFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS).readOrigin().index();
        String link = a.isSymbolicLink() ? " -> " + Files.readSymbolicLink(p) : "";
        out.printf("  %c%s %5s:%-5s %6d  layer %d  %s%s%n",
            a.isDirectory() ? 'd' : a.isSymbolicLink() ? 'l' : '-',
            PosixFilePermissions.toString(a.permissions()), a.owner().getName(),
            a.group().getName(), a.size(), layer, p, link);
      }
    }
    out.println();
    out.println("$ cat /etc/motd   (replaced by layer 1)");
    out.print("  " + Files.readString(fs.getPath("/etc/motd"), StandardCharsets.UTF_8));
    out.println("$ cat /bin/hello  (through the symlink /bin -> usr/bin)");
    for (String line : Files.readAllLines(fs.getPath("/bin/hello"))) {
      out.println("  " + line);
    }
    out.println("$ test -e /tmp/scratch   (deleted by a whiteout in layer 1)");
    out.println("  " + (Files.exists(fs.getPath("/tmp/scratch")) ? "exists" : "absent"));
    out.println("$ echo hi > /etc/motd");
    try {
      Files.writeString(fs.getPath("/etc/motd"), "hi\n");
      out.println("  written");
    } catch (ReadOnlyFileSystemException e) {
      out.println("  ReadOnlyFileSystemException: this version opens images read-only");
    }
    List<String> names;
    try (Stream<Path> list = Files.list(fs.getPath("/etc"))) {
      names = list.map(p -> p.getFileName().toString()).toList();
    }
    out.println("$ ls /etc");
    out.println("  " + String.join("  ", names));
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
