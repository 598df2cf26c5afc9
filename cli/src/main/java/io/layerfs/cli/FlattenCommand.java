package io.layerfs.cli;

import io.layerfs.core.Compression;
import io.layerfs.core.Image;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs flatten IMAGE TAG}: the image squashed into one layer (its merged tree, same
 * config), tagged TAG; prints the new manifest digest.
 */
@Command(name = "flatten", mixinStandardHelpOptions = true,
    description = "Squash an image's layers into one and print the new image's digest.")
final class FlattenCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "A tag or manifest digest.")
  String image;

  @Parameters(index = "1", paramLabel = "TAG", description = "The tag of the flattened image.")
  String tag;

  @Option(names = "--compression", paramLabel = "ALGO", defaultValue = "gzip",
      converter = CompressionConverter.class,
      description = "Layer compression: gzip (default), zstd or none.")
  Compression compression;

  @Override
  public Integer call() throws IOException {
    Image flat;
    try (Store store = Stores.existing(main.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      flat = store.flatten(image, tag, compression, progress);
    }
    spec.commandLine().getOut().println(flat.manifestDigest());
    return 0;
  }
}
