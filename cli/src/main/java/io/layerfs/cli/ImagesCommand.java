package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs images}: the tagged images of the store, like {@code docker images}; the size is
 * the sum of the (compressed) layer blobs. JSON has the full digest and the size in bytes.
 */
@Command(name = "images", mixinStandardHelpOptions = true,
    description = "List the tagged images of the store.")
final class ImagesCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin FormatOption format;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    ArrayNode rows = Json.array();
    Table table = new Table("TAG", "MANIFEST", "LAYERS", "SIZE");
    List<Image> images = new ArrayList<>();
    List<String> tags;
    try (Store store = Stores.existing(main.store())) {
      tags = store.tags();
      for (String tag : tags) {
        images.add(store.image(tag));
      }
    }
    for (int i = 0; i < tags.size(); i++) {
      String tag = tags.get(i);
      Image image = images.get(i);
      long size = 0;
      for (Layer layer : image.layers()) {
        size += layer.size();
      }
      if (format.json()) {
        ObjectNode row = rows.addObject();
        row.put("tag", tag);
        row.put("manifest", image.manifestDigest().toString());
        row.put("layers", image.layers().size());
        row.put("size", size);
      } else {
        table.row(tag, Main.shortDigest(image.manifestDigest().toString()),
            image.layers().size(), Human.size(size, 3));
      }
    }
    if (format.json()) {
      Json.print(out, rows);
    } else {
      table.print(out);
    }
    return 0;
  }
}
