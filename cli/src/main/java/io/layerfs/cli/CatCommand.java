package io.layerfs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** {@code layerfs cat IMAGE PATH}: a file's bytes on standard output. */
final class CatCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new CatCommand(), "cat",
        "Print a file of a container or an image.");
    spec.addPositional(Specs.positional("0", "NAME|IMAGE[:PATH]",
        "A container, or an image's tag, ID or manifest digest; with ':PATH' (web:/etc/motd, as cp"
            + " takes it), also the path.").build());
    spec.addPositional(Specs.optionalPositional("1", "PATH", "Absolute path in the image.")
        .build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    NamedPath named = NamedPath.of(in, in.positional(0), in.positional(1), null);
    String image = named.name();
    String path = named.path();
    try (FileSystem fs = Stores.openImage(in.store(), image)) {
      Path file = fs.getPath(path);
      if (Files.isDirectory(file)) {
        // reading one fails with a bare "Is a directory", as on the host: name the path as cat
        throw new FileSystemException(path, null, "Is a directory");
      }
      try (InputStream bytes = Files.newInputStream(file);
          OutputStream out = in.stdout()) {
        bytes.transferTo(out);
      }
    } catch (FileSystemException e) {
      throw Errors.in(image, e);
    }
    return 0;
  }
}
