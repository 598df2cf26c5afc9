package io.layerfs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs history IMAGE}: how an image was built, newest step first, as {@code docker
 * history} shows it: each entry of the config's history, with the size of the layer it made
 * (uncompressed where the store knows it without inflating, as {@code images} counts; a {@code *}
 * marks a compressed size) or 0B for a step that made none. The top row names the image by its
 * ID, the config digest, shortened to 12 hex digits unless {@code --no-trunc} (in the table,
 * {@code -q} and JSON alike, as docker's formatter does); older rows say {@code <missing>}, as
 * docker says for every step whose image it does not hold. CREATED BY is shortened to 45
 * columns unless {@code --no-trunc}, in JSON too, as docker's formatter does.
 */
final class HistoryCommand implements CliCommand {
  private static final int CREATED_BY_WIDTH = 45;

  /** One step: the config's history entry and the layer it made, if any. */
  private record Step(JsonNode entry, Layer layer) {}

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new HistoryCommand(), "history",
        "Show how an image was built, newest step first, as 'docker history' does.");
    spec.addPositional(
        Specs.positional("0", "IMAGE", "A tag, image ID or manifest digest.").build());
    spec.addOption(FormatOption.spec());
    spec.addOption(Specs.flag(new String[] {"--no-trunc"},
        "Do not shorten the image ID or CREATED BY."));
    spec.addOption(Specs.flag(new String[] {"-q", "--quiet"},
        "Only the IMAGE column: the image's ID, then <missing> for each older step."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    String ref = in.positional(0);
    List<Step> steps;
    List<String> sizes = new ArrayList<>();
    List<Long> bytes = new ArrayList<>();
    Image image;
    try (Store store = Stores.existing(in.store())) {
      image = store.image(ref);
      steps = steps(Json.parseObject(store.imageConfig(image), "config of " + ref), image, ref);
      for (Step s : steps) {
        long n = 0;
        String shown = "0B";
        if (s.layer() != null) {
          OptionalLong unpacked = store.unpackedSize(s.layer());
          n = unpacked.orElse(s.layer().size());
          shown = Human.size(n, 3) + (unpacked.isPresent() ? "" : "*");
        }
        bytes.add(n);
        sizes.add(shown);
      }
    }
    PrintWriter out = in.out();
    Instant now = Instant.now();
    boolean json = FormatOption.json(in);
    boolean quiet = in.flag("--quiet");
    boolean full = in.flag("--no-trunc");
    Table table = new Table("IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
    // docker's image ID, the config digest: stringid.TruncateID's 12 hex digits unless
    // --no-trunc, wherever the ID is printed
    String imageId = full ? image.configDigest().toString() : ImagesCommand.id(image);
    for (int i = 0; i < steps.size(); i++) {
      JsonNode e = steps.get(i).entry();
      String id = i == 0 ? imageId : "<missing>";
      Instant created = created(e);
      // docker's formatter: tabs as spaces; shortened unless --no-trunc, in JSON too
      String createdBy = e.path("created_by").asText("").replace('\t', ' ');
      if (!full) {
        createdBy = truncate(createdBy);
      }
      if (quiet) {
        out.println(id);
      } else if (json) {
        // docker history --format json: one object a line, docker's keys and string values
        ObjectNode row = Json.object();
        row.put("Comment", e.path("comment").asText(""));
        row.put("CreatedAt", created == null ? "" : Human.rfc3339(created, in.zone()));
        row.put("CreatedBy", createdBy);
        row.put("CreatedSince", created == null ? "" : Human.ago(created, now));
        row.put("ID", id);
        row.put("Size", sizes.get(i));
        row.put("Bytes", bytes.get(i));
        Json.printLine(out, row);
      } else {
        table.row(id,
            created == null ? "" : Human.ago(created, now),
            createdBy, sizes.get(i),
            e.path("comment").asText(""));
      }
    }
    if (!quiet && !json) {
      table.print(out);
    }
    return 0;
  }

  /**
   * The config's history matched with the image's layers, bottom first as both are listed, then
   * reversed: each entry without {@code empty_layer} made the next layer. An image without a
   * history gets one step per layer, as docker shows one.
   */
  private static List<Step> steps(JsonNode config, Image image, String ref) throws IOException {
    List<Step> steps = new ArrayList<>();
    JsonNode history = config.path("history");
    List<Layer> layers = image.layers();
    int next = 0;
    if (history.isArray() && history.size() > 0) {
      for (JsonNode entry : history) {
        boolean empty = entry.path("empty_layer").asBoolean(false);
        Layer layer = null;
        if (!empty) {
          if (next >= layers.size()) {
            throw new IOException("config of " + ref + ": its history names more layers than"
                + " the image's " + layers.size());
          }
          layer = layers.get(next++);
        }
        steps.add(new Step(entry, layer));
      }
    }
    for (; next < layers.size(); next++) { // layers the history does not name
      steps.add(new Step(Json.object(), layers.get(next)));
    }
    Collections.reverse(steps);
    return steps;
  }

  private static Instant created(JsonNode entry) {
    String text = entry.path("created").asText("");
    try {
      return text.isEmpty() ? null : Instant.parse(text);
    } catch (DateTimeParseException e) {
      return null; // a config's odd time: shown empty, as docker shows a zero time
    }
  }

  /**
   * docker's formatter.Ellipsis at 45 columns: 44 characters and an ellipsis. Counted in code
   * points, so a character outside the BMP is not cut in half; docker counts East Asian wide
   * characters as two columns, which this does not.
   */
  static String truncate(String s) {
    if (s.codePointCount(0, s.length()) <= CREATED_BY_WIDTH) {
      return s;
    }
    return s.substring(0, s.offsetByCodePoints(0, CREATED_BY_WIDTH - 1)) + "…";
  }
}
