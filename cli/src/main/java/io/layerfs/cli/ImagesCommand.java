package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.image.ImageFilterTerms;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.OptionalLong;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code layerfs images}: the images of the store, like {@code docker images}: the tagged ones,
 * then those kept untagged, as {@code <none>}. The size is what docker shows, the layers'
 * uncompressed bytes, as far as the store knows them without inflating a layer ({@link
 * Store#unpackedSize}): a compressed layer no view has read yet counts with its compressed size,
 * and the cell gets a {@code *}. JSON is what {@code docker images --format json} prints, one
 * object a line.
 */
final class ImagesCommand implements CliCommand {
  /** The tag docker shows for an image without one. */
  private static final String NONE = "<none>";

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ImagesCommand(), "images",
        "List the images of the store (untagged ones as <none>). IMAGE ID is docker's "
            + "(the config digest), which commands take as they take a tag. SIZE is the layers' "
            + "uncompressed size, as docker shows it; '*' marks an image with layers not read yet, "
            + "counted compressed (listing inflates nothing).");
    spec.addOption(FormatOption.spec());
    spec.addOption(OptionSpec.builder("-f", "--filter").type(List.class)
        .auxiliaryTypes(String.class).paramLabel("FILTER")
        .description("Only the images it admits, as docker's: dangling=true|false,"
            + " reference=PATTERN (a shell pattern of NAME or NAME:TAG), label=KEY[=VALUE],"
            + " before=IMAGE, since=IMAGE. Repeatable.").build());
    spec.addOption(Specs.flag(new String[] {"-q", "--quiet"},
        "Only the image IDs, one a line, each once (layerfs rmi $(layerfs images -q)), as "
            + "docker prints them."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    PrintWriter out = in.out();
    boolean quiet = in.flag("--quiet");
    boolean json = !quiet && FormatOption.json(in);
    Table table = new Table("TAG", "IMAGE ID", "MANIFEST", "LAYERS", "SIZE");
    Instant now = Instant.now();
    Set<String> ids = new LinkedHashSet<>();
    boolean estimated = false;
    try (Store store = Stores.existing(in.store())) {
      ImagesFilter filter;
      try {
        filter = ImagesFilter.parse(in.options("--filter"), store);
      } catch (IllegalArgumentException e) {
        throw in.usageError("--filter: " + e.getMessage());
      }
      List<String> tags = new ArrayList<>(store.tags());
      List<String> refs = new ArrayList<>(tags);
      // then the untagged images, as "<none>" (docker's name for them), found by digest
      for (Digest untagged : store.untaggedImages()) {
        tags.add(NONE);
        refs.add(untagged.toString());
      }
      for (int i = 0; i < tags.size(); i++) {
        Image image = store.image(refs.get(i));
        if (!filter.admits(store, tags.get(i).equals(NONE) ? null : tags.get(i), image)) {
          continue;
        }
        if (quiet) {
          // docker's image ids, each once however many tags it has: rmi, history... take them
          ids.add(id(image));
          continue;
        }
        Size size = Size.of(store, image);
        String sizeCell = Human.size(size.bytes(), 3) + (size.exact() ? "" : "*");
        estimated |= !size.exact();
        if (json) {
          Json.printLine(out, row(store, tags.get(i), image, sizeCell, size, now, in.zone()));
        } else {
          table.row(tags.get(i), id(image), Main.shortDigest(image.manifestDigest().toString()),
              image.layers().size(), sizeCell);
        }
      }
    }
    if (quiet) {
      ids.forEach(out::println);
    } else if (!json) {
      table.print(out);
      if (estimated) {
        // on stderr, so that scripts reading the table see only its rows
        in.err().println("* layers not read yet: their compressed size (unpacked once a container"
            + " or a view of the image reads them)");
      }
    }
    return 0;
  }

  /**
   * Docker's image ID as {@code docker images} shows it: the config digest's first 12 hex
   * digits, which every command taking an image resolves (see {@code Images}).
   */
  static String id(Image image) {
    return image.configDigest().hex().substring(0, 12);
  }

  /**
   * One line of {@code docker images --format json}: docker's keys in its order, string values.
   * {@code Repository} and {@code Tag} split the tag at its last {@code :} after the last
   * {@code /}; a name without one is, in umoci's and skopeo's style ({@code oci:DIR:latest}),
   * just the tag of the layout (Repository {@code <none>}), or with a {@code /}, a repository
   * without a tag (Tag {@code <none>}); an untagged image is {@code <none>} in both. {@code
   * ID} is docker's image ID, the config digest's first 12 hex digits (the same as docker's for
   * an image imported from docker), which commands take as an image; {@code Digest} the
   * manifest digest, which they take too; {@code CreatedAt} from the image config, in the local
   * zone as docker prints it. Then layerfs' own: the
   * number of layers and the size in bytes.
   */
  private static ObjectNode row(Store store, String tag, Image image, String sizeCell, Size size,
      Instant now, java.time.ZoneId zone) throws IOException {
    int slash = tag.lastIndexOf('/');
    int colon = tag.equals(NONE) ? -1 : tag.indexOf(':', slash + 1);
    String repository;
    String version;
    if (tag.equals(NONE)) {
      repository = NONE;
      version = NONE;
    } else if (colon >= 0) {
      repository = tag.substring(0, colon);
      version = tag.substring(colon + 1);
    } else if (slash < 0) {
      // umoci's and skopeo's style: the layout is the repository, the name just the tag
      repository = NONE;
      version = tag;
    } else {
      // a repository without a tag, as docker shows a name kept by digest alone
      repository = tag;
      version = NONE;
    }
    Instant created = created(store, image);
    ObjectNode row = Json.object();
    row.put("Containers", "N/A");
    row.put("CreatedAt", created == null ? "N/A" : Human.timestamp(created, zone));
    row.put("CreatedSince", created == null ? "N/A" : Human.ago(created, now));
    row.put("Digest", image.manifestDigest().toString());
    row.put("ID", id(image));
    row.put("Repository", repository);
    row.put("SharedSize", "N/A");
    row.put("Size", sizeCell);
    row.put("Tag", version);
    row.put("UniqueSize", "N/A");
    row.put("VirtualSize", sizeCell);
    row.put("Layers", image.layers().size());
    row.put("SizeBytes", size.bytes());
    return row;
  }

  /** The image config's {@code created}, or null where it has none or one no time parses. */
  private static Instant created(Store store, Image image) throws IOException {
    return ImageFilterTerms.created(
        Json.parseObject(store.imageConfig(image), "config " + image.configDigest()));
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
