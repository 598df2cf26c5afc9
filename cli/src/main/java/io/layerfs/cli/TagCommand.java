package io.layerfs.cli;

import io.layerfs.core.store.Store;
import java.io.IOException;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs tag SOURCE TARGET}: gives an image of the store another tag, as {@code docker
 * tag} does ({@code NAME} is {@code NAME:latest}); a tag of that name already there moves, and
 * the image it leaves stays untagged ({@code <none>}) unless another tag names it, as docker
 * keeps it dangling. Prints the tag made.
 */
final class TagCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new TagCommand(), "tag",
        "Tag an image of the store, as 'docker tag' does, and print the new tag.");
    spec.addPositional(Specs.positional("0", "SOURCE",
        "An image's tag, ID (as 'images' shows it) or manifest digest.").build());
    spec.addPositional(Specs.positional("1", "TARGET",
        "The new tag; a name without :TAG is NAME:latest. If it exists, it moves; the image "
            + "it leaves stays as <none> unless another tag names it, as with docker.").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    String source = in.positional(0);
    String target = in.positional(1);
    // an empty one is refused as itself, not as ":latest"
    if (!target.isEmpty() && target.indexOf(':', target.lastIndexOf('/') + 1) < 0
        && target.indexOf('@') < 0) {
      target += ":latest";
    }
    try (Store store = Stores.existing(in.store())) {
      store.tag(source, target);
    }
    in.out().println(target);
    return 0;
  }
}
