package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.ContainerInfo;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs ps}: the containers of the store, as {@code docker ps -a --size}: the image as
 * it was named, its manifest digest (short), when it was created (relative) and the size of its
 * writable layer. JSON has the exact values: full digest, ISO-8601 time, bytes.
 */
final class PsCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new PsCommand(), "ps", "List the containers of the store.");
    spec.addOption(FormatOption.spec());
    spec.addOption(Specs.flag(new String[] {"-a", "--all"},
        "Accepted for docker's sake: every container is listed (none runs)."));
    spec.addOption(Specs.flag(new String[] {"-q", "--quiet"},
        "Only the names, one a line (layerfs rm $(layerfs ps -q))."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    try (Store store = Stores.existing(in.store())) {
      if (in.flag("--quiet")) {
        store.containers().forEach(in.out()::println);
        return 0;
      }
      return list(store, in.out(), FormatOption.json(in));
    }
  }

  private static int list(Store store, PrintWriter out, boolean json) throws IOException {
    Instant now = Instant.now();
    Table table = new Table("NAME", "IMAGE", "MANIFEST", "CREATED", "SIZE");
    ArrayNode rows = Json.array();
    for (String name : store.containers()) {
      ContainerInfo info;
      try {
        info = store.containerInfo(name);
      } catch (NoSuchFileException e) {
        continue; // removed since it was listed
      }
      if (json) {
        ObjectNode row = rows.addObject();
        row.put("name", info.name());
        row.put("image", info.image());
        row.put("manifest", info.manifest().toString());
        row.put("created", info.created().toString());
        row.put("size", info.upperSize());
      } else {
        table.row(info.name(), info.image(), Main.shortDigest(info.manifest().toString()),
            Human.ago(info.created(), now), Human.size(info.upperSize(), 3));
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
