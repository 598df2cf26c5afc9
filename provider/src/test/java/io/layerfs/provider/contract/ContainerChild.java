package io.layerfs.provider.contract;

import java.io.PrintStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * The child JVM of {@link ContainerPersistenceTest}: {@code java -cp <test classpath>
 * ContainerChild MODE STORE NAME [xattrs]}. Every line it prints is flushed at once, so the
 * parent knows exactly what completed before it killed the child.
 *
 * <ul>
 *   <li>{@code digest}: opens the container (by name, no image) and prints {@code digest <sha>}
 *       of its whole tree ({@link TreeSnapshot}).
 *   <li>{@code churn}: writes and renames files under {@code /churn} in an endless loop, printing
 *       {@code wrote NAME SEED SIZE} and {@code moved FROM TO} after each one completes.
 *   <li>{@code hold}: opens the container for writing, writes {@code /held}, prints {@code open},
 *       and keeps it open until its stdin ends; then prints {@code closed}.
 *   <li>{@code lock PATH}: opens {@code PATH} for writing (an image file is copied up), locks it
 *       whole (printing {@code busy} first if another process holds a lock of it, and waiting),
 *       prints {@code locked}, and holds the lock until its stdin ends.
 * </ul>
 */
final class ContainerChild {
  private ContainerChild() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path store = Path.of(args[1]);
    String name = args[2];
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store))) {
      Path root = fs.getPath("/");
      switch (mode) {
        case "digest" -> {
          boolean xattrs = args.length > 3 && Boolean.parseBoolean(args[3]);
          out.println("digest " + TreeSnapshot.digest(TreeSnapshot.of(root, xattrs)));
        }
        case "churn" -> churn(root, out);
        case "hold" -> {
          Files.writeString(root.resolve("held"), "held by the child\n");
          out.println("open");
          System.in.readAllBytes();
        }
        case "lock" -> {
          try (FileChannel ch = FileChannel.open(root.resolve(args[3]),
              StandardOpenOption.WRITE)) {
            if (ch.tryLock() == null) {
              out.println("busy");
              ch.lock();
            }
            out.println("locked");
            System.in.readAllBytes();
          }
        }
        default -> throw new IllegalArgumentException("unknown mode " + mode);
      }
    }
    if (mode.equals("hold")) {
      out.println("closed");
    }
  }

  private static void churn(Path root, PrintStream out) throws Exception {
    Path dir = root.resolve("churn");
    Files.createDirectories(dir);
    for (int i = 0; ; i++) {
      ContainerOps.Data data = churnData(i);
      Files.write(dir.resolve("f" + i), data.bytes());
      out.println("wrote f" + i);
      if (i % 2 == 1) {
        Files.move(dir.resolve("f" + (i - 1)), dir.resolve("r" + (i - 1)),
            StandardCopyOption.ATOMIC_MOVE);
        out.println("moved f" + (i - 1) + " r" + (i - 1));
      }
    }
  }

  /** What {@code churn} writes into {@code f<i>}: sizes vary across the 64 KiB chunk size. */
  static ContainerOps.Data churnData(int i) {
    return new ContainerOps.Data((i * 7919) % 150_000, i);
  }
}
