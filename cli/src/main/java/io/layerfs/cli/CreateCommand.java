package io.layerfs.cli;

import io.layerfs.core.Mount;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code layerfs create NAME IMAGE} (or docker's {@code --name NAME IMAGE}, or {@code IMAGE} alone
 * for a made-up name): a new container of an image, as {@code docker create} (its writable layer
 * starts empty). Prints the name. Mounts ({@code --mount}, repeatable, in
 * {@code docker run --mount} syntax, or Docker's short {@code -v} and {@code --tmpfs}, see {@link
 * ShortMounts}) are recorded with the container and fixed from then on; a bad spec or a missing
 * {@code --mount} bind source is refused before anything is written, a missing {@code -v} one
 * made a directory, as Docker makes it.
 */
final class CreateCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new CreateCommand(), "create",
        "Create a container of an image and print its name.");
    // "create NAME IMAGE" and docker's "create --name NAME IMAGE" or "create IMAGE": picocli
    // fills positionals from the first, so both are optional here and checked in run()
    spec.usageMessage().customSynopsis("layerfs create [OPTIONS] [NAME] IMAGE");
    spec.addPositional(Specs.optionalPositional("0", "NAME",
        "The container's name: [a-zA-Z0-9][a-zA-Z0-9_.-]*; or --name. Without either, a new "
            + "name is made and printed, as docker does.").build());
    spec.addPositional(Specs.optionalPositional("1", "IMAGE",
        "The image: a tag, an image ID or a manifest digest of the store.").build());
    spec.addOption(Specs.option("--name", "NAME", "The container's name, as docker create "
        + "takes it (instead of the NAME argument).").build());
    spec.addOption(OptionSpec.builder("--mount").type(List.class).auxiliaryTypes(String.class)
        .paramLabel("SPEC")
        .description("A docker run --mount spec (repeatable): type=volume,source=NAME,"
            + "target=/path[,readonly][,volume-nocopy], type=bind,source=/abs/dir-or-file,"
            + "target=/path"
            + "[,readonly], type=tmpfs,target=/path[,tmpfs-size=64m][,tmpfs-mode=1777].")
        .build());
    spec.addOption(OptionSpec.builder("-v", "--volume").type(List.class)
        .auxiliaryTypes(String.class).paramLabel("SRC:DST[:OPTS]")
        .description("Docker's short form (repeatable): NAME:/path is a volume, /host/path:/path "
            + "(or ./path:/path) a bind mount of a directory or file (made a directory if "
            + "missing, as docker makes it); OPTS: ro, rw, nocopy, rprivate...")
        .build());
    spec.addOption(OptionSpec.builder("--tmpfs").type(List.class).auxiliaryTypes(String.class)
        .paramLabel("/path[:size=64m,mode=1777]")
        .description("A tmpfs mount, Docker's short form (repeatable).").build());
    spec.addOption(Specs.flag("--lazy", "IMAGE is a registry reference: do not pull it, read "
        + "its layers from the registry as they are needed (eStargz layers file by file; plain "
        + "gzip layers are fetched whole when the container opens). Complete it with 'layerfs "
        + "pull IMAGE'."));
    RegistryFlags.addTo(spec);
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    String first = in.positional(0);
    String second = in.positional(1);
    String named = in.option("--name");
    if (first == null) {
      throw in.usageError("Missing required parameter: 'IMAGE'");
    }
    if (second != null && named != null) {
      throw in.usageError("the name is given twice: '" + first + "' and --name " + named);
    }
    String image = second != null ? second : first;
    String name = second != null ? first : named;
    List<String> mounts = ShortMounts.all(in.options("--mount"), in.options("--volume"),
        in.options("--tmpfs"));
    boolean lazy = in.flag("--lazy");
    Mount.parseAll(mounts); // a bad spec: its error, before the store is opened
    // --lazy reads from a registry, as a pull: it makes the store if there is none (and removes
    // it again if the create fails), where a create of a stored image needs the store
    Path made = lazy ? Stores.firstMissing(in.store()) : null;
    try (Store store = lazy ? Stores.create(in.store()) : Stores.existing(in.store())) {
      if (name == null) {
        name = newName(store);
      }
      if (store.hasContainer(name)) {
        throw exists(store, name, "");
      }
      String ref = lazy ? store.lazyImage(image, RegistryFlags.options(in)) : image;
      try {
        store.image(ref); // a missing image: its error, before a directory is made
      } catch (IOException e) {
        if (second != null && !lazy && Stores.isImage(store, first)) {
          // docker has no positional name; its users put the image first
          throw in.usageError("'" + first + "' is an image and '" + second + "' is none: the"
              + " form is 'create NAME IMAGE' or, as docker's, 'create --name NAME IMAGE'");
        }
        throw e;
      }
      List<ShortMounts.Made> sources = ShortMounts.makeMissingSources(in.options("--volume"));
      try {
        name = createAfterLook(store, name, ref, mounts);
      } catch (IOException | RuntimeException e) {
        ShortMounts.removeMade(sources, e);
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      if (made != null) {
        Stores.removeMadeAfter(made, e);
      }
      throw e;
    }
    // printed once the store is closed: a reader that went away loses no container or store
    in.out().println(name);
    return 0;
  }

  /**
   * Makes container {@code name}, which the store did not hold a moment ago. A create of the
   * same name in another process may have made it since: that is reported as "already exists",
   * whether the open found it made (of any image, with any mounts) or locked.
   */
  static String createAfterLook(Store store, String name, String ref, List<String> mounts)
      throws IOException {
    try (Container c = store.container(name, ref, false, mounts)) {
      if (!c.created()) {
        throw exists(store, name, ": another process created it at the same time");
      }
      return c.name();
    } catch (IOException e) {
      if (e.getMessage() != null
          && e.getMessage().contains("open for writing by another process")) {
        throw exists(store, name, ": another process created it at the same time");
      }
      throw e;
    } catch (IllegalArgumentException e) {
      // the open of a container another process made of another image (or with other mounts)
      // refuses the mismatch before it could say the container was not made here
      if (store.hasContainer(name)) {
        FileAlreadyExistsException exists =
            exists(store, name, ": another process created it at the same time");
        exists.addSuppressed(e);
        throw exists;
      }
      throw e;
    }
  }

  private static FileAlreadyExistsException exists(Store store, String name, String why) {
    return new FileAlreadyExistsException(name, null, "container " + name
        + " already exists in store " + store.root() + why + " (remove it with 'layerfs rm "
        + name + "')");
  }

  /** Twelve hex digits no container of {@code store} has, as docker's short container ids. */
  private static String newName(Store store) throws IOException {
    SecureRandom random = new SecureRandom();
    while (true) {
      String name = HexFormat.of().toHexDigits(random.nextLong()).substring(0, 12);
      if (!store.hasContainer(name)) {
        return name;
      }
    }
  }
}
