package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.ContainerInfo;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs ps}: the containers of the store, as {@code docker ps -a --size}: the image as
 * it was named, its manifest digest (short), when it was created (relative) and the size of its
 * writable layer. JSON has the exact values: full digest, ISO-8601 time, bytes.
 */
@Command(name = "ps", mixinStandardHelpOptions = true,
    description = "List the containers of the store.")
final class PsCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin FormatOption format;

  @Override
  public Integer call() throws IOException {
    try (Store store = Stores.existing(main.store())) {
      return list(store);
    }
  }

  private Integer list(Store store) throws IOException {
    PrintWriter out = spec.commandLine().getOut();
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
      if (format.json()) {
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
    if (format.json()) {
      Json.print(out, rows);
    } else {
      table.print(out);
    }
    return 0;
  }
}
