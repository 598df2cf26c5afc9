package io.layerfs.cli;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.Compression;
import io.layerfs.core.Image;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs commit NAME [TAG]}: the container's changes as a new layer and a new image, as
 * {@code docker commit}; prints the new manifest digest. The container is opened for writing, so
 * no other process changes it during the commit (one that has it open makes this fail). With
 * {@code SOURCE_DATE_EPOCH} (seconds since the epoch) in the environment, file times are clamped
 * to it and it is the image's creation time, so equal containers commit to equal digests.
 */
@Command(name = "commit", mixinStandardHelpOptions = true,
    description = "Create a new image from a container's changes and print its digest.",
    footer = "%nEnvironment:%n  SOURCE_DATE_EPOCH   seconds since 1970: clamps file times and "
        + "sets the image's creation time (reproducible digests).")
final class CommitCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "The container.")
  String name;

  @Parameters(index = "1", paramLabel = "TAG", arity = "0..1",
      description = "Tag of the new image (default: none; use the printed digest).")
  String tag;

  @Option(names = "--compression", paramLabel = "ALGO", defaultValue = "gzip",
      converter = CompressionConverter.class,
      description = "Layer compression: gzip (default), zstd or none.")
  Compression compression;

  @Option(names = {"-a", "--author"}, paramLabel = "AUTHOR",
      description = "The image's author (e.g. \"Jane Doe <jane@example.com>\").")
  String author;

  @Option(names = {"-m", "--message"}, paramLabel = "MESSAGE",
      description = "The commit message (the new history entry's comment).")
  String message;

  @Override
  public Integer call() throws IOException {
    Instant epoch = sourceDateEpoch(main.env.get("SOURCE_DATE_EPOCH"));
    CommitOptions options = new CommitOptions(compression, epoch, author, message);
    Image image;
    try (Store store = Stores.existing(main.store());
        Container c = open(store);
        TerminalProgress progress = TerminalProgress.forConsole()) {
      image = c.commit(tag, options, progress);
    }
    spec.commandLine().getOut().println(image.manifestDigest());
    return 0;
  }

  private Container open(Store store) throws IOException {
    Stores.checkContainer(store, name);
    return store.container(name, null, false);
  }

  /** SOURCE_DATE_EPOCH as the reproducible-builds convention defines it: decimal seconds. */
  static Instant sourceDateEpoch(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      long seconds = Long.parseLong(value.strip());
      if (seconds < 0) {
        throw new NumberFormatException();
      }
      return Instant.ofEpochSecond(seconds);
    } catch (NumberFormatException | java.time.DateTimeException e) {
      throw new IllegalArgumentException(
          "SOURCE_DATE_EPOCH must be a number of seconds since 1970, not '" + value + "'");
    }
  }
}
