package io.layerfs.cli;

import io.layerfs.core.Compression;
import io.layerfs.core.Image;
import io.layerfs.core.store.Store;
import java.io.IOException;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs flatten IMAGE TAG}: the image squashed into one layer (its merged tree, same
 * config), tagged TAG; prints the new manifest digest.
 */
final class FlattenCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new FlattenCommand(), "flatten",
        "Squash an image's layers into one and print the new image's digest.");
    spec.addPositional(
        Specs.positional("0", "IMAGE", "A tag, image ID or manifest digest.").build());
    spec.addPositional(Specs.positional("1", "TAG", "The tag of the flattened image.").build());
    spec.addOption(Specs.option("--compression", "ALGO", Compression.class,
        new CompressionConverter(), "Layer compression: gzip (default), zstd or none.")
        .defaultValue("gzip").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    Compression compression = in.option("--compression");
    Image flat;
    try (Store store = Stores.existing(in.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      flat = store.flatten(in.positional(0), in.positional(1), compression, progress);
    }
    in.out().println(flat.manifestDigest());
    return 0;
  }
}
