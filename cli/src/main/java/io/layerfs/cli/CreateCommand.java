package io.layerfs.cli;

import io.layerfs.core.Mount;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs create NAME IMAGE}: a new container of an image, as {@code docker create} (its
 * writable layer starts empty). Prints the name. Mounts ({@code --mount}, repeatable, in
 * {@code docker run --mount} syntax) are recorded with the container and fixed from then on; a
 * bad spec or a missing bind source is refused before anything is written.
 */
@Command(name = "create", mixinStandardHelpOptions = true,
    description = "Create a container of an image and print its name.")
final class CreateCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME",
      description = "The container's name: [a-zA-Z0-9][a-zA-Z0-9_.-]*.")
  String name;

  @Parameters(index = "1", paramLabel = "IMAGE",
      description = "The image: a tag or a manifest digest of the store.")
  String image;

  @Option(names = "--mount", paramLabel = "SPEC",
      description = "A docker run --mount spec (repeatable): type=volume,source=NAME,"
          + "target=/path[,readonly][,volume-nocopy], type=bind,source=/abs/dir,target=/path"
          + "[,readonly], type=tmpfs,target=/path[,tmpfs-size=64m][,tmpfs-mode=1777].")
  List<String> mounts = new ArrayList<>();

  @Option(names = "--lazy",
      description = "IMAGE is a registry reference: do not pull it, read its layers from the "
          + "registry as they are needed (eStargz layers file by file; plain gzip layers are "
          + "fetched whole when the container opens). Complete it with 'layerfs pull IMAGE'.")
  boolean lazy;

  @Mixin RegistryFlags registry;

  @Override
  public Integer call() throws IOException {
    Mount.parseAll(mounts); // a bad spec: its error, before the store is opened
    try (Store store = Stores.existing(main.store())) {
      if (store.containers().contains(name)) {
        throw new FileAlreadyExistsException(name, null, "container " + name
            + " already exists in store " + store.root() + " (remove it with 'layerfs rm "
            + name + "')");
      }
      String ref = lazy ? store.lazyImage(image, registry.options()) : image;
      store.image(ref); // a missing image: its error, before a directory is made
      try (Container c = store.container(name, ref, false, mounts)) {
        spec.commandLine().getOut().println(c.name());
      }
    }
    return 0;
  }
}
