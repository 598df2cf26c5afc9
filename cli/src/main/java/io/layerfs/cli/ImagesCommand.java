package io.layerfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.ContentStore;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code layerfs images}: the tagged images of the store, like {@code docker images}. */
@Command(name = "images", mixinStandardHelpOptions = true,
    description = "List the tagged images of the store.")
final class ImagesCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
      description = "table (default) or json.")
  String format;

  @Override
  public Integer call() throws IOException {
    if (!format.equals("table") && !format.equals("json")) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--format must be 'table' or 'json', not '" + format + "'");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.isDirectory(main.store())) {
      throw new IOException("no store at " + main.store() + " (give --store DIR)");
    }
    ContentStore store = ContentStore.open(main.store());
    ObjectMapper json = new ObjectMapper();
    ArrayNode rows = json.createArrayNode();
    if (format.equals("table")) {
      out.printf("%-30s %-19s %6s %12s%n", "TAG", "MANIFEST", "LAYERS", "SIZE");
    }
    for (String tag : store.tags()) {
      Image image = Image.resolve(store, tag);
      long size = 0;
      for (Layer layer : image.layers()) {
        size += layer.size();
      }
      if (format.equals("table")) {
        out.printf("%-30s %-19s %6d %12s%n", tag,
            image.manifestDigest().toString().substring(0, 19), image.layers().size(),
            human(size));
      } else {
        ObjectNode row = rows.addObject();
        row.put("tag", tag);
        row.put("manifest", image.manifestDigest().toString());
        row.put("layers", image.layers().size());
        row.put("size", size);
      }
    }
    if (format.equals("json")) {
      out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
    }
    return 0;
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String units = "KMGTPE";
    int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
    return String.format("%.1f %sB", bytes / Math.pow(1024, unit), units.charAt(unit - 1));
  }
}
