package io.layerfs.cli;

import io.layerfs.core.store.Store;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code layerfs export IMAGE DEST}: writes an image of the store to DEST; prints nothing (as
 * {@code docker save}). An archive appears complete or not at all.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Export an image of the store.",
    footer = {"%nDestinations (skopeo's transport names):",
        "  oci:DIR[:TAG]                an OCI image layout (created or added to)",
        "  oci-archive:FILE[:TAG]       a tar of an OCI image layout",
        "  docker-archive:FILE[:REF]    what 'docker load' reads, REF its name"})
final class ExportCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "A tag or manifest digest.")
  String image;

  @Parameters(index = "1", paramLabel = "DEST", description = "Where to write it (see below).")
  String destination;

  @Override
  public Integer call() throws IOException {
    try (Store store = Stores.existing(main.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      store.exportImage(image, destination, progress);
    }
    return 0;
  }
}
