package io.layerfs.cli;

import io.layerfs.core.Progress;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code layerfs export IMAGE DEST}: writes an image of the store to DEST; prints nothing (as
 * {@code docker save}). An archive appears complete or not at all. {@code layerfs export NAME
 * [-o FILE]} without DEST writes container NAME's merged file system as one tar, as {@code
 * docker export} does, to FILE or standard output.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Export an image of the store (IMAGE DEST), or a container's file system as "
        + "one tar (NAME, to standard output or -o FILE), as 'docker export' does."},
    footer = {"%nDestinations (skopeo's transport names):",
        "  oci:DIR[:TAG]                an OCI image layout (created or added to)",
        "  oci-archive:FILE[:TAG]       a tar of an OCI image layout",
        "  docker-archive:FILE[:REF]    what 'docker load' reads, REF its name",
        "  docker://REF                 a registry (as 'layerfs push')"})
final class ExportCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Mixin RegistryFlags registry;

  @Parameters(index = "0", paramLabel = "IMAGE|NAME",
      description = "A tag or manifest digest; without DEST, a container name.")
  String image;

  @Parameters(index = "1", arity = "0..1", paramLabel = "DEST",
      description = "Where to write the image (see below).")
  String destination;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE",
      description = "With a container: write the tar to FILE instead of standard output.")
  Path output;

  @Override
  public Integer call() throws IOException {
    if (destination == null) {
      return exportContainer();
    }
    if (output != null) {
      throw new IllegalArgumentException("-o is for exporting a container; an image goes to DEST");
    }
    try (Store store = Stores.existing(main.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      store.exportImage(image, destination, registry.options(), progress);
    }
    return 0;
  }

  /** The container's file system as one tar; a file appears whole or not at all. */
  private Integer exportContainer() throws IOException {
    try (Store store = Stores.existing(main.store())) {
      if (!store.containers().contains(image)) {
        throw new IllegalArgumentException("no container " + image + " in store "
            + main.store() + "; to export an image, give a DEST (see export --help)");
      }
    }
    try (Store store = Stores.existing(main.store());
        Container container = store.container(image, null, true)) {
      if (output == null) {
        // the bytes themselves, not text: straight to the process's standard output
        OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
        container.export(out, Progress.NONE);
        out.flush();
        return 0;
      }
      Path dir = output.toAbsolutePath().getParent();
      Path temp = Files.createTempFile(dir, ".layerfs-export", ".tmp");
      try {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16);
            TerminalProgress progress = TerminalProgress.forConsole()) {
          container.export(out, progress);
        }
        Files.move(temp, output, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
    }
    return 0;
  }
}
