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
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs images}: the tagged images of the store, like {@code docker images}; the size is
 * the sum of the (compressed) layer blobs. JSON has the full digest and the size in bytes.
 */
final class ImagesCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ImagesCommand(), "images",
        "List the tagged images of the store.");
    spec.addOption(FormatOption.spec());
    spec.addOption(Specs.flag(new String[] {"-q", "--quiet"},
        "Only the tags, one a line (layerfs rmi $(layerfs images -q))."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    PrintWriter out = in.out();
    if (in.flag("--quiet")) {
      // tags, not docker's image ids: rmi takes tags
      try (Store store = Stores.existing(in.store())) {
        store.tags().forEach(out::println);
      }
      return 0;
    }
    boolean json = FormatOption.json(in);
    ArrayNode rows = Json.array();
    Table table = new Table("TAG", "MANIFEST", "LAYERS", "SIZE");
    List<Image> images = new ArrayList<>();
    List<String> tags;
    try (Store store = Stores.existing(in.store())) {
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
      if (json) {
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
    if (json) {
      Json.print(out, rows);
    } else {
      table.print(out);
    }
    return 0;
  }
}
