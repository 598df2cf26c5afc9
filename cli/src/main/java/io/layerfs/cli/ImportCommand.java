package io.layerfs.cli;

import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs import SRC [TAG]}: copies an image into the store (created if missing, and
 * removed again if the import fails), verifying every digest and size; prints the tags it
 * created, one a line.
 */
final class ImportCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ImportCommand(), "import",
        "Import an image into the store and print its tags.");
    spec.usageMessage().footer("%nSources (skopeo's transport names):",
        "  oci:DIR[:TAG]                an OCI image layout",
        "  oci-archive:FILE[:TAG]       a tar of an OCI image layout",
        "  docker-archive:FILE[:REF]    what 'docker save' writes (all its images without REF)",
        "  docker://REF                 a registry (as 'layerfs pull', linux/amd64)");
    RegistryFlags.addTo(spec);
    spec.addPositional(Specs.positional("0", "SRC", "Where the image is (see below).").build());
    spec.addPositional(Specs.optionalPositional("1", "TAG",
        "Tag the image TAG instead of the source's own name.").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<String> tags;
    Path made = Stores.firstMissing(in.store());
    try (Store store = Stores.create(in.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      tags = store.importImage(in.positional(0), in.positional(1), RegistryFlags.options(in),
          progress);
    } catch (IOException | RuntimeException e) {
      // a failed import leaves no store where there was none: an empty one would make the next
      // reading command find a store, and hide the mistyped --store that caused the failure
      try {
        Stores.removeMade(made);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    PrintWriter out = in.out();
    tags.forEach(out::println);
    return 0;
  }
}
