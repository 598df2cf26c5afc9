package io.layerfs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.layerfs.core.ContainerInfo;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Mount;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs inspect NAME...}: containers in detail, as {@code docker inspect} shows them: each
 * one's image, the image's layers (bottom first), the size of its writable layer and its mounts.
 * JSON is one array with an object a container, with docker's field names where they apply
 * ({@code Name}, {@code Created}, {@code Image}, {@code SizeRw}, {@code Config}, {@code Mounts})
 * and layerfs' own under {@code GraphDriver}. {@code Config} holds the image name given at create
 * and the image config's runtime fields (Env, Cmd, Entrypoint...), what a container made from the
 * image without options has; a layerfs container runs no process, so docker's other fields (State,
 * HostConfig, Config.Tty...) have no meaning here and are left out. As with docker, a name that
 * is no container is reported after the others are printed, one line each, and the exit code is
 * then 1.
 */
final class InspectCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new InspectCommand(), "inspect",
        "Show containers' images, layers, writable layer sizes and mounts.");
    spec.addOption(FormatOption.spec());
    spec.addPositional(Specs.names("NAME", "The containers to show."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<String> names = in.positional(0);
    boolean json = FormatOption.json(in);
    PrintWriter out = in.out();
    ArrayNode all = Json.array();
    List<Exception> failures = new ArrayList<>();
    try (Store store = Stores.existing(in.store())) {
      boolean first = true;
      for (String name : names) {
        try {
          Stores.checkContainer(store, name);
          ContainerInfo info = store.containerInfo(name);
          Image image = store.image(info.manifest().toString());
          List<Mount> mounts = store.containerMounts(name);
          if (json) {
            all.add(json(store, info, image, mounts));
          } else {
            if (!first) {
              out.println();
            }
            text(out, store, info, image, mounts);
            first = false;
          }
        } catch (IOException | RuntimeException e) {
          failures.add(e);
        }
      }
    }
    if (json) {
      Json.print(out, all);
    }
    return Main.reportAfter(in, failures);
  }

  private static void text(PrintWriter out, Store store, ContainerInfo info, Image image,
      List<Mount> mounts) throws IOException {
    out.println("Name:      " + info.name());
    out.println("Image:     " + info.image() + " (" + info.manifest() + ")");
    out.println("Config:    " + image.configDigest());
    out.println("Created:   " + info.created());
    out.println("Size:      " + Human.size(info.upperSize(), 3) + " (the writable layer)");
    out.println("Layers:    " + image.layers().size() + ", bottom first");
    for (Layer l : image.layers()) {
      out.println("  " + l.digest() + "  " + Human.size(l.size(), 3) + "  " + l.mediaType());
    }
    if (mounts.isEmpty()) {
      out.println("Mounts:    none");
    } else {
      out.println("Mounts:    " + mounts.size());
      for (Mount m : mounts) {
        // a tmpfs has no source: its size limit says what it is
        String from = m.type() == Mount.Type.TMPFS
            ? "(memory, at most " + (m.tmpfsSize() > 0 ? tmpfsSize(m.tmpfsSize())
                : "half the heap") + ")"
            : source(store, m);
        out.println(String.format("  %-6s  %s -> %s%s", m.type().id(), from, m.target(),
            m.readOnly() ? "  (read-only)" : ""));
      }
    }
  }

  /** A tmpfs-size as the spec writes one: 64m, not 67.1MB. */
  private static String tmpfsSize(long bytes) {
    String[] units = {"", "k", "m", "g"};
    int unit = 0;
    while (unit < units.length - 1 && bytes % 1024 == 0) {
      bytes /= 1024;
      unit++;
    }
    return bytes + units[unit];
  }

  /** Docker's Source: a volume's directory, a bind mount's host path, "" for a tmpfs. */
  private static String source(Store store, Mount m) throws IOException {
    return switch (m.type()) {
      case VOLUME -> store.volumePath(m.source()).toString();
      case BIND -> m.source();
      case TMPFS -> "";
    };
  }

  /**
   * Docker's container {@code Config} fields that come from the image: the image config's own
   * {@code config} object, as a container made from it without options has them. Absent fields
   * get docker's values for them: null lists and maps, empty strings; ExposedPorts and StopSignal
   * are left out, as docker omits them when empty.
   */
  private static void imageConfig(Store store, Image image, ObjectNode into) throws IOException {
    String what = "image config " + image.configDigest();
    JsonNode runtime = Json.parseObject(store.imageConfig(image), what).get("config");
    if (runtime == null || runtime.isNull()) {
      runtime = Json.object();
    } else if (!runtime.isObject()) {
      throw new IOException("field 'config' of " + what + " is not an object");
    }
    copy(runtime, "User", into, TextNode.valueOf(""));
    copy(runtime, "ExposedPorts", into, null);
    copy(runtime, "Env", into, NullNode.instance);
    copy(runtime, "Cmd", into, NullNode.instance);
    copy(runtime, "Volumes", into, NullNode.instance);
    copy(runtime, "WorkingDir", into, TextNode.valueOf(""));
    copy(runtime, "Entrypoint", into, NullNode.instance);
    copy(runtime, "Labels", into, NullNode.instance);
    copy(runtime, "StopSignal", into, null);
  }

  /** Copies field {@code name} as the image has it, else {@code absent} (null: leaves it out). */
  private static void copy(JsonNode from, String name, ObjectNode into, JsonNode absent) {
    JsonNode value = from.get(name);
    if (value != null) {
      into.set(name, value);
    } else if (absent != null) {
      into.set(name, absent);
    }
  }

  private static ObjectNode json(Store store, ContainerInfo info, Image image,
      List<Mount> mounts) throws IOException {
    ObjectNode c = Json.object();
    c.put("Name", info.name());
    c.put("Created", info.created().toString());
    c.put("Image", info.manifest().toString());
    ObjectNode config = c.putObject("Config");
    config.put("Image", info.image());
    imageConfig(store, image, config);
    c.put("SizeRw", info.upperSize());
    ObjectNode driver = c.putObject("GraphDriver");
    driver.put("Name", "layerfs");
    ObjectNode data = driver.putObject("Data");
    data.put("Store", store.root().toString());
    data.put("ConfigDigest", image.configDigest().toString());
    ArrayNode layers = data.putArray("Layers");
    for (Layer l : image.layers()) {
      ObjectNode o = layers.addObject();
      o.put("digest", l.digest().toString());
      o.put("diffId", l.diffId().toString());
      o.put("size", l.size());
      o.put("mediaType", l.mediaType());
    }
    ArrayNode array = c.putArray("Mounts");
    for (Mount m : mounts) {
      ObjectNode o = array.addObject();
      o.put("Type", m.type().id());
      if (m.type() == Mount.Type.VOLUME) {
        o.put("Name", m.source());
      }
      o.put("Source", source(store, m));
      o.put("Destination", m.target());
      if (m.type() == Mount.Type.VOLUME) {
        o.put("Driver", "local");
      }
      o.put("Mode", m.inspectMode());
      o.put("RW", !m.readOnly());
      o.put("Propagation", m.inspectPropagation());
    }
    return c;
  }
}
