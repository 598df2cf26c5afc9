package io.layerfs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code layerfs cat IMAGE PATH}: a file's bytes on standard output. */
@Command(name = "cat", mixinStandardHelpOptions = true,
    description = "Print a file of a container or an image.")
final class CatCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Parameters(index = "0", paramLabel = "NAME|IMAGE",
      description = "A container, or an image's tag or manifest digest.")
  String image;

  @Parameters(index = "1", paramLabel = "PATH", description = "Absolute path in the image.")
  String path;

  @Override
  public Integer call() throws IOException {
    try (FileSystem fs = Stores.openImage(main.store(), image);
        InputStream in = Files.newInputStream(fs.getPath(path))) {
      in.transferTo(System.out);
      System.out.flush();
    }
    return 0;
  }
}
