package io.layerfs.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One cold pass of {@code stat} over every path of a tree, in the JVM that runs it: issue 15's
 * "first pass in a fresh JVM, open included". JMH cannot measure this (its harness warms the JDK's
 * classes first), so {@code bench/first-stat-pass.sh} starts one JVM per pass.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.layerfs.bench.FirstStatPass host DIR
 * java -cp bench/target/benchmarks.jar io.layerfs.bench.FirstStatPass layerfs STORE IMAGE
 * java -cp bench/target/benchmarks.jar io.layerfs.bench.FirstStatPass zipfs ZIP
 * java -cp bench/target/benchmarks.jar io.layerfs.bench.FirstStatPass container STORE IMAGE NAME
 * java -cp bench/target/benchmarks.jar io.layerfs.bench.FirstStatPass container STORE IMAGE NAME \
 *     MOUNT
 * </pre>
 *
 * <p>The container pass opens container {@code NAME} on the image (made by the first pass, which
 * is not a measured one), as a program reopens {@code layerfs://NAME}: its reads go through the
 * container's overlay. With a {@code --mount} spec {@code MOUNT} the container is made with that
 * mount, and every path goes through its mount table first.
 *
 * <p>The zipfs pass is a control: the JDK's own provider for an archive of the same tree, which
 * pays the same first-use costs as layerfs (the JDK's scan for installed providers, classes
 * loaded from outside the JDK's shared archive, code that starts in the interpreter).
 *
 * <p>Prints one line: {@code paths N total MS open MS} (from {@code main}'s start: the open, the
 * walk and every {@code readAttributes}; and of that, the open alone, 0 for the host).
 */
public final class FirstStatPass {
  private FirstStatPass() {}

  public static void main(String[] args) throws IOException {
    long start = System.nanoTime();
    long opened = start;
    long paths;
    if (args.length == 2 && args[0].equals("host")) {
      paths = statAll(Path.of(args[1]));
    } else if (args.length == 3 && args[0].equals("layerfs")) {
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://first-stat-pass"),
          Map.of("store", Path.of(args[1]), "image", args[2], "readOnly", true))) {
        opened = System.nanoTime();
        paths = statAll(fs.getPath("/"));
      }
    } else if ((args.length == 4 || args.length == 5) && args[0].equals("container")) {
      Map<String, Object> env = new HashMap<>(Map.of("store", Path.of(args[1]), "image", args[2]));
      if (args.length == 5) {
        env.put("mounts", args[4]);
      }
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://" + args[3]), env)) {
        opened = System.nanoTime();
        paths = statAll(fs.getPath("/"));
      }
    } else if (args.length == 2 && args[0].equals("zipfs")) {
      try (FileSystem fs = FileSystems.newFileSystem(Path.of(args[1]))) {
        opened = System.nanoTime();
        paths = statAll(fs.getPath("/"));
      }
    } else {
      System.err.println("usage: FirstStatPass host DIR | layerfs STORE IMAGE | zipfs ZIP"
          + " | container STORE IMAGE NAME [MOUNT]");
      System.exit(2);
      return;
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.println(
        "paths " + paths + " total " + ms + " open " + (opened - start) / 1_000_000);
  }

  private static long statAll(Path root) throws IOException {
    long n = 0;
    long bytes = 0;
    try (Stream<Path> walk = Files.walk(root)) {
      for (Iterator<Path> it = walk.iterator(); it.hasNext(); ) {
        BasicFileAttributes a =
            Files.readAttributes(it.next(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        bytes += a.size();
        n++;
      }
    }
    if (bytes < 0) {
      throw new AssertionError("negative total size"); // keeps the reads from being dropped
    }
    return n;
  }
}
