package io.layerfs.cli;

import io.layerfs.core.Progress;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code layerfs export IMAGE DEST}: writes an image of the store to DEST; prints nothing (as
 * {@code docker save}), but for {@code docker://REF} the pushed manifest digest, as {@code
 * layerfs push} prints it. An archive appears complete or not at all. {@code layerfs export NAME
 * [-o FILE]} without DEST writes container NAME's merged file system as one tar, as {@code
 * docker export} does, to FILE or standard output.
 */
final class ExportCommand implements CliCommand {
  private static final String REGISTRY = "docker://";

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ExportCommand(), "export",
        "Export an image of the store (IMAGE DEST), or a container's file system as one tar "
            + "(NAME, to standard output or -o FILE), as 'docker export' does.");
    spec.usageMessage().footer("%nDestinations (skopeo's transport names):",
        "  oci:DIR[:TAG]                an OCI image layout (created or added to)",
        "  oci-archive:FILE[:TAG]       a tar of an OCI image layout",
        "  docker-archive:FILE[:REF]    what 'docker load' reads, REF its name",
        "  docker://REF                 a registry (as 'layerfs push')");
    RegistryFlags.addTo(spec);
    spec.addPositional(Specs.positional("0", "IMAGE|NAME",
        "A tag, image ID or manifest digest; without DEST, a container name.").build());
    spec.addPositional(Specs.optionalPositional("1", "DEST",
        "Where to write the image (see below).").build());
    spec.addOption(OptionSpec.builder("-o", "--output").type(Path.class).paramLabel("FILE")
        .description("With a container: write the tar to FILE instead of standard output.")
        .build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    String image = in.positional(0);
    String destination = in.positional(1);
    Path output = in.option("--output");
    if (destination == null) {
      return exportContainer(in, image, output);
    }
    if (output != null) {
      throw new IllegalArgumentException("-o is for exporting a container; an image goes to DEST");
    }
    try (Store store = Stores.existing(in.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      if (destination.startsWith(REGISTRY)) {
        // a push: its manifest digest printed, as layerfs push prints it
        in.out().println(store.push(image, destination.substring(REGISTRY.length()),
            RegistryFlags.options(in), progress).manifestDigest());
        return 0;
      }
      if (destination.indexOf(':') <= 0) {
        // docker save -o FILE and skopeo's transports differ: say how to write what each means
        throw new IllegalArgumentException("'" + destination + "' names no transport: "
            + "docker-archive:" + destination + " writes what 'docker save -o' writes, "
            + "oci-archive:" + destination + " a tar of an OCI layout, oci:" + destination
            + " an OCI layout directory");
      }
      store.exportImage(image, destination, RegistryFlags.options(in), progress);
    }
    return 0;
  }

  /** The container's file system as one tar; a file appears whole or not at all. */
  private static int exportContainer(Invocation in, String image, Path output)
      throws IOException {
    Path storeDir = in.store();
    try (Store store = Stores.existing(storeDir)) {
      if (!store.hasContainer(image)) {
        if (Stores.isImage(store, image)) {
          // docker save -o FILE IMAGE, typed as docker export's form: show the command it means
          String file = output != null ? output.toString() : "FILE";
          throw new IllegalArgumentException(image + " is an image, not a container: export "
              + "it to a DEST, such as 'layerfs export " + image + " docker-archive:" + file
              + "' (what docker save -o " + file + " writes; see export --help)");
        }
        throw new IllegalArgumentException("no container " + image + " in store "
            + storeDir + "; to export an image, give a DEST (see export --help)");
      }
    }
    try (Store store = Stores.existing(storeDir);
        Container container = store.container(image, null, true)) {
      if (output == null) {
        // the bytes themselves, not text: straight to the process's standard output
        try (OutputStream out = in.stdout()) {
          container.export(out, Progress.NONE);
        }
        return 0;
      }
      // name OUTPUT, not the temp file beside it, when it cannot be written there
      if (Files.isDirectory(output)) {
        throw new IOException(output + " is a directory; -o names the tar file to write");
      }
      if (Files.exists(output) && !Files.isRegularFile(output)) {
        // a device, fifo or /dev/stdout: written to, as a shell redirection does; the rename
        // below would replace the node (or link) itself
        try (OutputStream out = new BufferedOutputStream(
            Errors.naming(output, Files.newOutputStream(output)), 1 << 16)) {
          container.export(out, Progress.NONE);
        }
        return 0;
      }
      // through a link, the file it names is replaced and the link stays
      Path target = Files.isSymbolicLink(output) ? output.toRealPath() : output;
      Path dir = target.toAbsolutePath().getParent();
      if (!Files.isDirectory(dir)) {
        throw new NoSuchFileException(output.toString(), null, output + ": "
            + (Files.exists(dir) ? dir + " is not a directory" : "no such directory " + dir));
      }
      // not createTempFile: its 0600 would stay on the tar; a new file gets the umask's mode
      Path temp = dir.resolve(".layerfs-export-" + UUID.randomUUID() + ".tmp");
      try {
        // a failed write names OUTPUT, not the temp file
        try (OutputStream out = new BufferedOutputStream(Errors.naming(output,
                Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)), 1 << 16);
            TerminalProgress progress = TerminalProgress.forConsole()) {
          container.export(out, progress);
        }
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
    }
    return 0;
  }
}
