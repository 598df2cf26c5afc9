package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs images}: the tagged images of the store, like {@code docker images}. The size
 * is what docker shows, the layers' uncompressed bytes, as far as the store knows them without
 * inflating a layer ({@link Store#unpackedSize}): a compressed layer no view has read yet counts
 * with its compressed size, and the cell gets a {@code *}. JSON has the full digest and the
 * size in bytes.
 */
final class ImagesCommand implements CliCommand {
  /** The tag docker shows for an image without one. */
  private static final String NONE = "<none>";

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ImagesCommand(), "images",
        "List the tagged images of the store. SIZE is the layers' uncompressed size, as docker "
            + "shows it; '*' marks an image with layers not read yet, counted compressed (listing "
            + "inflates nothing).");
    spec.addOption(FormatOption.spec());
    spec.addOption(Specs.flag(new String[] {"-q", "--quiet"},
        "Only the tags, one a line, and an untagged image's digest (layerfs rmi $(layerfs "
            + "images -q))."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    PrintWriter out = in.out();
    if (in.flag("--quiet")) {
      // tags, not docker's image ids: rmi takes tags (and an untagged image's digest)
      try (Store store = Stores.existing(in.store())) {
        store.tags().forEach(out::println);
        store.untaggedImages().forEach(out::println);
      }
      return 0;
    }
    boolean json = FormatOption.json(in);
    ArrayNode rows = Json.array();
    Table table = new Table("TAG", "MANIFEST", "LAYERS", "SIZE");
    List<Image> images = new ArrayList<>();
    List<Size> sizes = new ArrayList<>();
    List<String> tags;
    try (Store store = Stores.existing(in.store())) {
      tags = new ArrayList<>(store.tags());
      for (String tag : tags) {
        Image image = store.image(tag);
        images.add(image);
        sizes.add(Size.of(store, image));
      }
      // untagged images last, as docker lists <none> after the tagged ones of the same age
      for (Digest untagged : store.untaggedImages()) {
        Image image = store.image(untagged.toString());
        tags.add(NONE);
        images.add(image);
        sizes.add(Size.of(store, image));
      }
    }
    for (int i = 0; i < tags.size(); i++) {
      String tag = tags.get(i);
      Image image = images.get(i);
      long size = sizes.get(i).bytes();
      if (json) {
        ObjectNode row = rows.addObject();
        row.put("tag", tag);
        row.put("manifest", image.manifestDigest().toString());
        row.put("layers", image.layers().size());
        row.put("size", size);
      } else {
        table.row(tag, Main.shortDigest(image.manifestDigest().toString()),
            image.layers().size(),
            Human.size(size, 3) + (sizes.get(i).exact() ? "" : "*"));
      }
    }
    if (json) {
      Json.print(out, rows);
    } else {
      table.print(out);
    }
    return 0;
  }

  /**
   * An image's uncompressed size; not {@code exact} when a layer not read yet counted with its
   * compressed size.
   */
  record Size(long bytes, boolean exact) {
    static Size of(Store store, Image image) throws IOException {
      long bytes = 0;
      boolean exact = true;
      for (Layer layer : image.layers()) {
        OptionalLong unpacked = store.unpackedSize(layer);
        exact &= unpacked.isPresent();
        bytes += unpacked.orElse(layer.size());
      }
      return new Size(bytes, exact);
    }
  }
}
