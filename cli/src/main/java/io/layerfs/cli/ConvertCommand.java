package io.layerfs.cli;

import io.layerfs.core.Image;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs convert --format estargz IMAGE TAG}: the image with its layers in eStargz (same
 * files and config), tagged TAG; prints the new manifest digest.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = "Convert an image's layers to another layout (eStargz) and print the new "
        + "image's digest.")
final class ConvertCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--format", paramLabel = "FORMAT", required = true,
      description = "The layer layout: estargz (each file its own gzip member, a TOC, a "
          + "footer; still a tar.gz for every other tool).")
  String format;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "A tag or manifest digest.")
  String image;

  @Parameters(index = "1", paramLabel = "TAG", description = "The tag of the new image.")
  String tag;

  @Override
  public Integer call() throws IOException {
    if (!format.equals("estargz")) {
      throw new ParameterException(spec.commandLine(),
          "unknown --format '" + format + "': the one layout is estargz");
    }
    Image converted;
    try (Store store = Stores.existing(main.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      converted = store.convertToEStargz(image, tag, progress);
    }
    spec.commandLine().getOut().println(converted.manifestDigest());
    return 0;
  }
}
