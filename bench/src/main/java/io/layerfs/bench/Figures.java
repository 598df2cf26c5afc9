package io.layerfs.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Figures a benchmark measures beside JMH's scores (bytes a container wrote, for example): each is
 * printed to standard error and, when the system property {@value #PROPERTY} names a file,
 * appended to it as a tab-separated {@code name, value, unit} line, the format {@link
 * RatioReport}'s {@code --figures} reads. {@code bench/run.sh} sets the property (JMH's forks
 * inherit it) and hands the file to the report.
 */
final class Figures {
  static final String PROPERTY = "layerfs.bench.figures";

  private Figures() {}

  static synchronized void record(String name, long value, String unit) throws IOException {
    String line = name + "\t" + value + "\t" + unit;
    System.err.println("layerfs-bench figure: " + line.replace('\t', ' '));
    String file = System.getProperty(PROPERTY, "");
    if (!file.isEmpty()) {
      Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }
  }
}
