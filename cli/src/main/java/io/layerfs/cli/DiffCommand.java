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
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs diff NAME}: a container's changes against its image, as {@code docker diff}
 * prints them ({@code A /path}, {@code C /path}, {@code D /path}, sorted by path). The container
 * is opened read-only, so this works while another process writes to it.
 */
final class DiffCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new DiffCommand(), "diff",
        "Show a container's added (A), changed (C) and deleted (D) paths.");
    spec.addOption(FormatOption.spec());
    spec.addPositional(Specs.positional("0", "NAME", "The container.").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    String name = in.positional(0);
    List<Change> changes;
    try (Store store = Stores.existing(in.store())) {
      Stores.checkContainer(store, name);
      try (Container c = store.container(name, null, true)) {
        changes = c.diff();
      }
    }
    PrintWriter out = in.out();
    if (FormatOption.json(in)) {
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
