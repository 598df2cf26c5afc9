package io.layerfs.cli;

import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
    spec.addOption(Specs.flag("--lazy", "IMAGE is a registry reference (or an image of the "
        + "store read lazily): do not pull it, fetch only what the file needs (a plain gzip "
        + "layer is searched and inflated only around the file; eStargz layers read by their "
        + "TOC), kept in the store for later reads. Once an image was read so, cat reads it "
        + "lazily without --lazy too."));
    RegistryFlags.addTo(spec);
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    NamedPath named = NamedPath.of(in, in.positional(0), in.positional(1), null);
    String image = named.name();
    String path = named.path();
    if (in.flag("--lazy")) {
      return lazy(in, image, path);
    }
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

  /** {@code cat --lazy}: the store is made if missing (as by {@code pull}), kept afterwards. */
  private static int lazy(Invocation in, String image, String path) throws IOException {
    Path made = Stores.firstMissing(in.store());
    byte[] bytes;
    try (Store store = Stores.create(in.store())) {
      bytes = store.readLazily(store.lazyImage(image, RegistryFlags.options(in)), path);
    } catch (FileSystemException e) {
      throw Errors.in(image, removeMade(made, e));
    } catch (IOException e) {
      throw removeMade(made, e);
    } catch (RuntimeException e) {
      throw removeMade(made, e);
    }
    if (bytes == null) {
      throw Errors.in(image, new NoSuchFileException(path));
    }
    try (OutputStream out = in.stdout()) {
      out.write(bytes);
    }
    return 0;
  }

  private static <E extends Exception> E removeMade(Path made, E failure) {
    if (made != null) {
      Stores.removeMadeAfter(made, failure);
    }
    return failure;
  }
}
