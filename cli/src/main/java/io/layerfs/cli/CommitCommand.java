package io.layerfs.cli;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.Compression;
import io.layerfs.core.Image;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.time.Instant;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs commit NAME [TAG]}: the container's changes as a new layer and a new image, as
 * {@code docker commit}; prints the new manifest digest. The container is opened for writing, so
 * no other process changes it during the commit (one that has it open makes this fail). With
 * {@code SOURCE_DATE_EPOCH} (seconds since the epoch) in the environment, file times are clamped
 * to it and it is the image's creation time, so equal containers commit to equal digests.
 */
final class CommitCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new CommitCommand(), "commit",
        "Create a new image from a container's changes and print its digest.");
    // lines of at most 80 columns: picocli wraps a longer footer line without indenting it
    spec.usageMessage().footer("%nEnvironment:",
        "  SOURCE_DATE_EPOCH   seconds since 1970: clamps file times and sets the image's",
        "                      creation time (reproducible digests).");
    spec.addPositional(Specs.positional("0", "NAME", "The container.").build());
    spec.addPositional(Specs.optionalPositional("1", "TAG",
        "Tag of the new image (default: none: kept untagged, listed as <none>).").build());
    spec.addOption(Specs.option("--compression", "ALGO", Compression.class,
        new CompressionConverter(), "Layer compression: gzip (default), zstd or none.")
        .defaultValue("gzip").build());
    // two lines: picocli would wrap one after the '.' of "example."
    spec.addOption(Specs.option(new String[] {"-a", "--author"}, "AUTHOR", "The image's author")
        .description("The image's author,", "such as \"Jane Doe <jane@example.com>\".").build());
    spec.addOption(Specs.option(new String[] {"-m", "--message"}, "MESSAGE",
        "The commit message (the new history entry's comment).").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    String name = in.positional(0);
    String tag = in.positional(1);
    Instant epoch = sourceDateEpoch(in.env().get("SOURCE_DATE_EPOCH"));
    CommitOptions options = new CommitOptions(in.option("--compression"), epoch,
        in.option("--author"), in.option("--message"));
    Image image;
    try (Store store = Stores.existing(in.store());
        Container c = open(store, name);
        TerminalProgress progress = TerminalProgress.forConsole()) {
      image = c.commit(tag, options, progress);
    }
    in.out().println(image.manifestDigest());
    return 0;
  }

  private static Container open(Store store, String name) throws IOException {
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
