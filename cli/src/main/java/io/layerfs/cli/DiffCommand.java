package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Change;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs diff NAME}: a container's changes against its image, as {@code docker diff}
 * prints them ({@code A /path}, {@code C /path}, {@code D /path}, sorted by path). The container
 * is opened read-only, so this works while another process writes to it.
 */
@Command(name = "diff", mixinStandardHelpOptions = true,
    description = "Show a container's added (A), changed (C) and deleted (D) paths.")
final class DiffCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin FormatOption format;

  @Parameters(index = "0", paramLabel = "NAME", description = "The container.")
  String name;

  @Override
  public Integer call() throws IOException {
    List<Change> changes;
    try (Store store = Stores.existing(main.store())) {
      Stores.checkContainer(store, name);
      try (Container c = store.container(name, null, true)) {
        changes = c.diff();
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format.json()) {
      ArrayNode rows = Json.array();
      for (Change change : changes) {
        ObjectNode row = rows.addObject();
        row.put("kind", change.kind().name().toLowerCase(Locale.ROOT));
        row.put("path", change.path());
      }
      Json.print(out, rows);
    } else {
      changes.forEach(out::println);
    }
    return 0;
  }
}
