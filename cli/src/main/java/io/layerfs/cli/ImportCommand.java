package io.layerfs.cli;

import io.layerfs.core.Progress;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs import SRC [TAG]}: copies an image into the store (created if missing, and
 * removed again if the import fails), verifying every digest and size; prints the tags it
 * created, one a line, and {@code Loaded image ID: sha256:...} for an image that came without a
 * name (kept untagged), as {@code docker load} prints one: docker's image ID, the config digest,
 * which every command taking an image resolves.
 */
final class ImportCommand implements CliCommand {
  /** How errors name the archive {@code import -} reads. */
  private static final String STANDARD_INPUT = "standard input";

  private static final List<String> TRANSPORTS =
      List.of("oci:", "oci-archive:", "docker-archive:", "docker://");

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ImportCommand(), "import",
        "Import an image into the store and print its tags.");
    // lines of at most 80 columns: picocli wraps a longer footer line without indenting it
    spec.usageMessage().footer("%nSources (skopeo's transport names):",
        "  oci:DIR[:TAG]               an OCI image layout",
        "  oci-archive:FILE[:TAG]      a tar of an OCI image layout",
        "  docker-archive:FILE[:REF]   what 'docker save' writes (without REF: all its",
        "                              images)",
        "  docker://REF                a registry (as 'layerfs pull', linux/amd64)",
        "  FILE or DIR                 an existing archive of either kind (plain, gzip,",
        "                              bzip2, xz or zstd), or a layout: every image under",
        "                              its own tags (as 'docker load -i'); DIR with TAG",
        "                              takes its only image",
        "  -                           such an archive on standard input (as 'docker",
        "                              load < FILE')",
        "  FILE TAG or - TAG           a file system tar (plain or compressed, as",
        "                              'docker export' writes it): an image of one",
        "                              layer, as 'docker import' makes");
    RegistryFlags.addTo(spec);
    spec.addPositional(Specs.positional("0", "SRC", "Where the image is (see below).").build());
    spec.addPositional(Specs.optionalPositional("1", "TAG",
        "Tag the image TAG instead of the source's own name.").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<String> lines = new ArrayList<>();
    Path made = Stores.firstMissing(in.store());
    try (Store store = Stores.create(in.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      String source = in.positional(0);
      String tag = in.positional(1);
      List<String> tags;
      if (source.equals("-")) {
        tags = importStandardInput(store, tag, progress);
      } else {
        Path file = plainPath(source);
        tags = file != null ? importFile(store, file, tag, progress)
            : store.importImage(source, tag, RegistryFlags.options(in), progress);
      }
      for (String name : tags) {
        // an image that came without a name is kept untagged (the import names it by its
        // manifest digest); docker load prints such an image's ID, the config digest
        lines.add(isDigest(name)
            ? "Loaded image ID: " + store.image(name).configDigest() : name);
      }
    } catch (IOException | RuntimeException e) {
      // a failed import leaves no store where there was none: an empty one would make the next
      // reading command find a store, and hide the mistyped --store that caused the failure
      Stores.removeMadeAfter(made, e);
      throw e;
    }
    PrintWriter out = in.out();
    lines.forEach(out::println);
    return 0;
  }

  /**
   * {@code import - [TAG]}: standard input, taken as a FILE is: an image archive, every image
   * under its own tags, as {@code docker load} reads one from standard input; with TAG, a file
   * system tar, as {@code docker import -} reads one; either may be compressed (gzip, bzip2, xz,
   * zstd), as docker takes them. It is copied, decompressed, to a temp file of the store first:
   * its kind is known only once it was read, and an archive is read twice.
   */
  private static List<String> importStandardInput(Store store, String tag, Progress progress)
      throws IOException {
    Path input = store.spoolDecompressed(System.in, STANDARD_INPUT, -1, progress);
    try {
      if (Files.size(input) == 0) {
        throw new IllegalArgumentException("standard input is empty: pipe an image archive into"
            + " import - (layerfs import - < FILE), as into docker load, or a file system tar"
            + " with a TAG (import - TAG), as into docker import -");
      }
      if (Store.isArchive(input) && Store.isImageArchive(input, STANDARD_INPUT)) {
        if (tag != null) {
          throw new IllegalArgumentException("standard input is an image archive: import -"
              + " takes every image of it under its own tags, without TAG (then 'layerfs tag'"
              + " names one); to pick one image and tag it, save the archive to a file and"
              + " import docker-archive:FILE TAG or oci-archive:FILE TAG");
        }
        return store.importArchive(input, STANDARD_INPUT, progress);
      }
      if (tag == null) {
        throw new IllegalArgumentException(Store.isArchive(input)
            ? "standard input is a file system tar, not an image archive (no manifest.json or"
                + " oci-layout in it): give a TAG to make an image of it (import - TAG), as"
                + " docker import - REPOSITORY[:TAG] does"
            : "standard input is not a tar archive: import - reads an image archive"
                + " (docker-archive or OCI archive) as docker load does, or, with a TAG, a file"
                + " system tar, plain or compressed, as docker import - does");
      }
      try (InputStream in = Files.newInputStream(input)) {
        return List.of(importRootfs(store, in, "-", tag));
      }
    } finally {
      Files.deleteIfExists(input);
    }
  }

  /** docker import's counterpart: a file system tar becomes an image of one layer, tagged TAG. */
  private static String importRootfs(Store store, InputStream in, String source, String tag)
      throws IOException {
    if (tag == null) {
      throw new IllegalArgumentException(source + " is a file system tar, not an image archive"
          + " (no manifest.json or oci-layout in it): give a TAG to make an image of it, as"
          + " docker import REPOSITORY[:TAG] does");
    }
    String named = tag.indexOf(':', tag.lastIndexOf('/') + 1) < 0 ? tag + ":latest" : tag;
    store.importRootfs(in, source, named);
    return named;
  }

  /** Whether an import result names an untagged image by its digest rather than a tag. */
  static boolean isDigest(String name) {
    return name.matches("sha256:[0-9a-f]{64}");
  }

  /**
   * SRC given as a plain path to what exists, as {@code docker load -i} takes one; null for a
   * transport, known or not ({@code NAME:...}, NAME without a slash), which the store parses.
   *
   * @throws NoSuchFileException for a path that does not exist
   */
  private static Path plainPath(String source) throws NoSuchFileException {
    for (String transport : TRANSPORTS) {
      if (source.startsWith(transport)) {
        return null;
      }
    }
    Path path = Path.of(source);
    if (Files.exists(path)) {
      return path;
    }
    int colon = source.indexOf(':');
    if (colon > 0 && source.lastIndexOf('/', colon) < 0) {
      return null;
    }
    throw new NoSuchFileException(source, null, source + ": no such file or directory (SRC is "
        + "an existing archive or layout, or " + String.join("..., ", TRANSPORTS) + "...)");
  }

  private static List<String> importFile(Store store, Path file, String tag, Progress progress)
      throws IOException {
    if (Files.isDirectory(file) && tag != null) {
      // one image, tagged TAG: the layout must hold one, or oci:DIR:REF names it
      return store.importImage("oci:" + file.toAbsolutePath(), tag, progress);
    }
    String compression = Files.isRegularFile(file) ? Store.compression(file) : null;
    if (compression == null) {
      return importTar(store, file, file.toString(), tag, progress);
    }
    // compressed, as docker load -i and docker import take it: read more than once (its kind,
    // then the import), so decompressed once, to a temp file of the store
    Path plain;
    try (InputStream in = Files.newInputStream(file)) {
      plain = store.spoolDecompressed(in, file.toString(), Files.size(file), progress);
    }
    try {
      if (!Store.isArchive(plain)) {
        throw new IOException(file + " is " + compression + "-compressed, but what it holds is"
            + " no tar archive: import reads an image archive, or with a TAG a file system tar");
      }
      return importTar(store, plain, file.toString(), tag, progress);
    } finally {
      Files.deleteIfExists(plain);
    }
  }

  /** A plain tar, or a directory without TAG; {@code name} names it in errors. */
  private static List<String> importTar(Store store, Path file, String name, String tag,
      Progress progress) throws IOException {
    // a tar without an image index is a file system's, as docker export writes one; anything
    // else with a TAG may be a compressed one of a kind docker does not read (the import says
    // what it is not)
    boolean rootfs = Files.isRegularFile(file)
        && (Store.isArchive(file) ? !Store.isImageArchive(file, name) : tag != null);
    if (rootfs) {
      try (InputStream in = Files.newInputStream(file)) {
        return List.of(importRootfs(store, in, name, tag));
      }
    }
    // a layout as its tar: every image under its own tags, so neither loses an image
    if (tag != null) {
      throw new IllegalArgumentException("a plain FILE imports every image of the archive under"
          + " its own tags; to pick one and tag it, name its kind: docker-archive:" + name
          + " or oci-archive:" + name);
    }
    return store.importArchive(file, name, progress);
  }
}
