package io.layerfs.cli;

import io.layerfs.core.Image;
import io.layerfs.core.store.Store;
import java.io.IOException;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs convert --format estargz IMAGE TAG}: the image with its layers in eStargz (same
 * files and config), tagged TAG; prints the new manifest digest.
 */
final class ConvertCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ConvertCommand(), "convert",
        "Convert an image's layers to another layout (eStargz) and print the new image's "
            + "digest.");
    spec.addOption(Specs.option("--format", "FORMAT", "The layer layout: estargz (each file "
        + "its own gzip member, a TOC, a footer; still a tar.gz for every other tool).")
        .required(true).build());
    spec.addPositional(
        Specs.positional("0", "IMAGE", "A tag, image ID or manifest digest.").build());
    spec.addPositional(Specs.positional("1", "TAG", "The tag of the new image.").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    String format = in.option("--format");
    if (!format.equals("estargz")) {
      throw in.usageError("unknown --format '" + format + "': the one layout is estargz");
    }
    Image converted;
    try (Store store = Stores.existing(in.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      converted = store.convertToEStargz(in.positional(0), in.positional(1), progress);
    }
    in.out().println(converted.manifestDigest());
    return 0;
  }
}
