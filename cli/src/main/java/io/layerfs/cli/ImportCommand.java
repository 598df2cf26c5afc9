package io.layerfs.cli;

import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs import SRC [TAG]}: copies an image into the store (created if missing),
 * verifying every digest and size; prints the tags it created, one a line.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = "Import an image into the store and print its tags.",
    footer = {"%nSources (skopeo's transport names):",
        "  oci:DIR[:TAG]                an OCI image layout",
        "  oci-archive:FILE[:TAG]       a tar of an OCI image layout",
        "  docker-archive:FILE[:REF]    what 'docker save' writes (all its images without REF)",
        "  docker://REF                 a registry (as 'layerfs pull', linux/amd64)"})
final class ImportCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Mixin RegistryFlags registry;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SRC", description = "Where the image is (see below).")
  String source;

  @Parameters(index = "1", paramLabel = "TAG", arity = "0..1",
      description = "Tag the image TAG instead of the source's own name.")
  String tag;

  @Override
  public Integer call() throws IOException {
    List<String> tags;
    try (Store store = Stores.create(main.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      tags = store.importImage(source, tag, registry.options(), progress);
    }
    PrintWriter out = spec.commandLine().getOut();
    tags.forEach(out::println);
    return 0;
  }
}
