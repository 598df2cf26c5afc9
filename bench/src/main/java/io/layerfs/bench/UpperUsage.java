package io.layerfs.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a container's writable layer holds on disk, read from outside layerfs (its core counter
 * {@code Container.upperBytesWritten()} is not reachable through NIO): under {@code
 * STORE/layerfs/containers/NAME/}, the data files of {@code data/} (their count, their logical
 * size and the disk blocks they take: copied-up files are sparse, so only the blocks tell what
 * was copied) and the metadata ({@code meta.log} and {@code meta.snap}). While a container is
 * open for writing its {@code meta.log} runs on in up to 1 MiB of preallocated zeros past its last
 * record, which {@code metaBytes} counts.
 *
 * <p>Allocated bytes come from {@code stat -c %b} (512-byte blocks): the JDK's attribute views
 * have no block count.
 */
record UpperUsage(long dataFiles, long dataBytes, long dataAllocated, long metaBytes) {

  static UpperUsage of(Path store, String container) throws IOException {
    Path dir = store.resolve("layerfs").resolve("containers").resolve(container);
    List<String> files = new ArrayList<>();
    long bytes = 0;
    Path data = dir.resolve("data");
    if (Files.isDirectory(data)) {
      try (Stream<Path> all = Files.walk(data)) {
        for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
          files.add(p.toString());
          bytes += Files.size(p);
        }
      }
    }
    long meta = 0;
    for (String name : List.of("meta.log", "meta.snap")) {
      Path p = dir.resolve(name);
      if (Files.exists(p)) {
        meta += Files.size(p);
      }
    }
    return new UpperUsage(files.size(), bytes, allocated(files), meta);
  }

  private static long allocated(List<String> files) throws IOException {
    if (files.isEmpty()) {
      return 0;
    }
    List<String> command = new ArrayList<>(List.of("stat", "-c", "%b", "--"));
    command.addAll(files);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try {
      if (p.waitFor() != 0) {
        throw new IOException("stat failed: " + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for stat", e);
    }
    long blocks = 0;
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        blocks += Long.parseLong(line.strip());
      }
    }
    return blocks * 512;
  }
}
