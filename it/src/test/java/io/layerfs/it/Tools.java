package io.layerfs.it;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the external tools the integration tests check layerfs against (umoci, skopeo, GNU tar,
 * mknod, mkfifo).
 *
 * <p>A missing tool is a test failure, never a skip: a green build must mean that layerfs was
 * actually compared with the tools. {@link #require} says which tool is missing and how to get it.
 * A tool that exits non-zero fails with its command line, exit code and stderr.
 */
final class Tools {

  /** Generous: the slowest call (skopeo copy of a few MiB) takes well under a second here. */
  static final long TIMEOUT_SECONDS = 300;

  private Tools() {}

  /** Fails with a message naming every tool that is not on {@code PATH}. */
  static void require(String... tools) {
    List<String> missing = new ArrayList<>();
    for (String tool : tools) {
      if (which(tool).isEmpty()) {
        missing.add(tool);
      }
    }
    if (!missing.isEmpty()) {
      throw new AssertionError(
          "integration tests need "
              + String.join(", ", missing)
              + " on PATH (PATH="
              + System.getenv("PATH")
              + "); install them (Debian: apt-get install "
              + String.join(" ", missing)
              + ") or run the build through it/scripts/with-tools.sh");
    }
  }

  /** The executable {@code tool} on {@code PATH}, if any. */
  static Optional<Path> which(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, tool);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Runs {@code command}, returns its stdout; fails on a non-zero exit with the tool's stderr. */
  static String run(String... command) {
    return run(null, List.of(command));
  }

  /** As {@link #run(String...)}, in {@code workDir} (null: the current directory). */
  static String run(Path workDir, List<String> command) {
    return run(workDir, command, TIMEOUT_SECONDS);
  }

  /** As {@link #run(Path, List)}, for the slow tools (debootstrap) that need a longer limit. */
  static String run(Path workDir, List<String> command, long timeoutSeconds) {
    return run(workDir, command, timeoutSeconds, 0);
  }

  /** As {@link #run(Path, List)}, failing unless the exit code is {@code expectedExit}. */
  static String run(Path workDir, List<String> command, long timeoutSeconds, int expectedExit) {
    ProcessBuilder builder = new ProcessBuilder(command);
    if (workDir != null) {
      builder.directory(workDir.toFile());
    }
    builder.environment().put("LC_ALL", "C.UTF-8");
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new AssertionError("cannot start " + String.join(" ", command) + ": " + e, e);
    }
    try {
      process.getOutputStream().close(); // no stdin is ever written
      // drain both pipes concurrently so a chatty tool cannot block on a full pipe
      CompletableFuture<String> out = drain(process.getInputStream());
      CompletableFuture<String> err = drain(process.getErrorStream());
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(
            String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
      }
      int exit = process.exitValue();
      if (exit != expectedExit) {
        throw new AssertionError(
            String.join(" ", command)
                + " exited with "
                + exit
                + (expectedExit == 0 ? "" : ", not " + expectedExit)
                + "\n--- stderr ---\n"
                + err.join()
                + "--- stdout ---\n"
                + out.join());
      }
      return out.join();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + String.join(" ", command), e);
    }
  }

  private static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
