package io.layerfs.cli;

import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs rmi TAG...}: removes image tags from the store's {@code index.json}, as {@code
 * docker rmi} untags: prints {@code Untagged: TAG} for each, goes on past a failure and exits 1 if
 * any failed. Blobs stay until {@code gc}, which keeps those a container still uses (each
 * container records its image), so removing the tag of a container's image is safe.
 */
final class RmiCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new RmiCommand(), "rmi",
        "Remove image tags, as 'docker rmi' does; 'gc' then frees what no tag or container "
            + "uses.");
    spec.addPositional(Specs.names("TAG",
        "The tags to remove; a name without :TAG is NAME:latest, as for Docker."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<String> tags = in.positional(0);
    PrintWriter out = in.out();
    try (Store store = Stores.existing(in.store())) {
      return Main.eachOf(tags, in, tag -> out.println("Untagged: " + untag(store, tag)));
    }
  }

  /** Removes {@code tag}, or {@code tag:latest} when it has no tag of its own; returns which. */
  private static String untag(Store store, String tag) throws IOException {
    if (store.untag(tag)) {
      return tag;
    }
    String latest = tag + ":latest";
    if (tag.indexOf(':', tag.lastIndexOf('/') + 1) < 0 && store.untag(latest)) {
      return latest;
    }
    throw new NoSuchFileException(tag, null, "no image tagged " + tag + " in store "
        + store.root() + " ('layerfs images' lists the tags)");
  }
}
