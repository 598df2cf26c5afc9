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
 * {@code layerfs inspect NAME...}: containers and images in detail, as {@code docker inspect}
 * shows them; a name is a container's if one has it (as docker looks for containers first),
 * else an image's (a tag, image ID or manifest digest); {@code --type} says which to look for.
 *
 * <p>A container: its image, the image's layers (bottom first), the size of its writable layer
 * and its mounts. Its JSON object has docker's field names where they apply ({@code Name},
 * {@code Created}, {@code Image}, {@code SizeRw}, {@code Config}, {@code Mounts}) and layerfs' own
 * under {@code GraphDriver}. {@code Config} holds the image name given at create and the image
 * config's runtime fields (Env, Cmd, Entrypoint...), what a container made from the image without
 * options has; a layerfs container runs no process, so docker's other fields (State, HostConfig,
 * Config.Tty...) have no meaning here and are left out.
 *
 * <p>An image: what {@code docker image inspect} shows of it ({@code Id}, the config digest;
 * {@code RepoTags}, the store's tags for it; {@code Created}, {@code Author}, the platform,
 * {@code Config}, {@code Size}, {@code RootFS}), and layerfs' own under {@code GraphDriver}: the
 * manifest digest and the layers as stored.
 *
 * <p>JSON is one array with an object a name. As with docker, a name that is neither is
 * reported after the others are printed, one line each, and the exit code is then 1.
 *
 * <p>{@code docker://REF} names an image in a registry instead, shown as skopeo shows it
 * ({@link RemoteInspect}); the store is not opened.
 */
final class InspectCommand implements CliCommand {
  /** What {@code --type} may ask for; null (absent) looks for a container, then an image. */
  private static final List<String> TYPES = List.of("container", "image");
  /** The transport prefix that names an image in a registry, as skopeo writes it. */
  private static final String REGISTRY = "docker://";

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new InspectCommand(), "inspect",
        "Show containers (their image, layers, writable layer size and mounts) and images "
            + "(their ID, tags, runtime config, platform and layers), as 'docker inspect' does; "
            + "an image in a registry (docker://REF), as 'skopeo inspect' does.");
    spec.addOption(FormatOption.spec());
    spec.addOption(Specs.option("--type", "TYPE", "Only containers (container) or only images "
        + "(image); by default a container of the name, else an image.").build());
    spec.addOption(Specs.flag("--raw", "docker://REF: the manifest (or image index) exactly as "
        + "served; with --config, the config blob as stored."));
    spec.addOption(Specs.flag("--config", "docker://REF: the image config, as skopeo prints it "
        + "(its OCI fields)."));
    spec.addOption(Specs.flag("--no-tags", "docker://REF: do not list the repository's tags "
        + "(RepoTags is then [])."));
    spec.addOption(Specs.option("--platform", "OS/ARCH[/VARIANT]", "docker://REF: the "
        + "platform to pick from an image index (default linux/amd64).")
        .defaultValue("linux/amd64").build());
    RegistryFlags.addTo(spec);
    spec.addPositional(Specs.names("NAME", "Containers, or images: a tag, image ID or manifest "
        + "digest; or one docker://REF, an image in a registry."));
    // lines of at most 80 columns: picocli wraps a longer footer line without indenting it
    spec.usageMessage().footer(
        "%ndocker://REF inspects an image in a registry without pulling it, as 'skopeo",
        "  inspect docker://REF' does, and prints skopeo's JSON: Name, Digest,",
        "  RepoTags, Created, DockerVersion, Labels, Architecture, Os, Layers,",
        "  LayersData, Env (--format does not apply). Registries.conf mirrors serve",
        "  it as they serve pull. Unlike skopeo, a registry that refuses to list",
        "  the tags does not fail the command: RepoTags is null and a warning says",
        "  why. The registry options (--tls-verify, --cert-dir, --registries-conf,",
        "  --creds) are pull's; they and --raw, --config, --no-tags and --platform",
        "  apply to docker://REF only.");
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<String> names = in.positional(0);
    String type = in.option("--type");
    if (type != null && !TYPES.contains(type)) {
      throw in.usageError("--type: '" + type + "' is neither container nor image");
    }
    if (names.stream().anyMatch(n -> n.startsWith(REGISTRY))) {
      if (names.size() != 1) {
        throw in.usageError("docker://REF: one registry image at a time, without other names, "
            + "as skopeo inspect takes it");
      }
      if (type != null) {
        throw in.usageError("--type: not with docker://REF, which is always an image");
      }
      return RemoteInspect.run(in, names.get(0));
    }
    for (String option : RemoteInspect.OPTIONS) {
      if (in.commandLine().getParseResult().hasMatchedOption(option)) {
        throw in.usageError(option + ": only for an image in a registry, docker://REF");
      }
    }
    boolean json = FormatOption.json(in);
    PrintWriter out = in.out();
    ArrayNode all = Json.array();
    List<Exception> failures = new ArrayList<>();
    try (Store store = Stores.existing(in.store())) {
      boolean first = true;
      for (String name : names) {
        try {
          boolean container = !"image".equals(type) && store.hasContainer(name);
          Image image;
          ContainerInfo info = null;
          List<Mount> mounts = null;
          if (container) {
            info = store.containerInfo(name);
            image = store.image(info.manifest().toString());
            mounts = store.containerMounts(name);
          } else if ("container".equals(type)) {
            Stores.checkContainer(store, name); // says that it is an image, if it is
            continue;
          } else {
            image = image(store, name, type == null);
          }
          if (json) {
            all.add(container ? json(store, info, image, mounts) : imageJson(store, image));
          } else {
            if (!first) {
              out.println();
            }
            if (container) {
              text(out, store, info, image, mounts);
            } else {
              imageText(out, store, name, image);
            }
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

  /**
   * The image {@code name} names; when it names none and {@code orContainer}, an error that
   * says neither a container nor an image has the name, and lists both.
   */
  private static Image image(Store store, String name, boolean orContainer) throws IOException {
    try {
      return store.image(name);
    } catch (IOException e) {
      throw orContainer ? Stores.neither(store, name, e) : e;
    }
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
    layers(data.putArray("Layers"), image);
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

  /** The store's tags that name {@code image} (its manifest), in the store's order. */
  private static List<String> tags(Store store, Image image) throws IOException {
    List<String> tags = new ArrayList<>();
    for (String tag : store.tags()) {
      if (store.image(tag).manifestDigest().equals(image.manifestDigest())) {
        tags.add(tag);
      }
    }
    return tags;
  }

  /** The image config's text field {@code name}, or {@code absent}. */
  private static String text(JsonNode config, String name, String absent) {
    JsonNode value = config.get(name);
    return value != null && value.isTextual() ? value.textValue() : absent;
  }

  private static void imageText(PrintWriter out, Store store, String name, Image image)
      throws IOException {
    JsonNode config = Json.parseObject(store.imageConfig(image),
        "image config " + image.configDigest());
    ObjectNode runtime = Json.object();
    imageConfig(store, image, runtime);
    List<String> tags = tags(store, image);
    ImagesCommand.Size size = ImagesCommand.Size.of(store, image);
    out.println("Image:       " + name);
    out.println("ID:          " + image.configDigest() + " (the config digest)");
    out.println("Manifest:    " + image.manifestDigest());
    out.println("Tags:        " + (tags.isEmpty() ? "none" : String.join(", ", tags)));
    out.println("Created:     " + text(config, "created", "unknown"));
    String variant = text(config, "variant", "");
    out.println("Platform:    " + text(config, "os", "?") + "/"
        + text(config, "architecture", "?") + (variant.isEmpty() ? "" : "/" + variant));
    for (String field : List.of("Entrypoint", "Cmd", "WorkingDir", "User")) {
      JsonNode v = runtime.get(field);
      if (v != null && !v.isNull() && !(v.isTextual() && v.textValue().isEmpty())) {
        out.println(String.format("%-13s%s", field + ":", v.isTextual() ? v.textValue() : v));
      }
    }
    JsonNode env = runtime.get("Env");
    if (env != null && env.isArray() && !env.isEmpty()) {
      out.println("Env:         " + env.size());
      env.forEach(e -> out.println("  " + (e.isTextual() ? e.textValue() : e.toString())));
    }
    out.println("Size:        " + Human.size(size.bytes(), 3) + (size.exact() ? "" :
        "* (layers not read yet counted compressed)"));
    out.println("Layers:      " + image.layers().size() + ", bottom first");
    for (Layer l : image.layers()) {
      out.println("  " + l.digest() + "  " + Human.size(l.size(), 3) + "  " + l.mediaType());
    }
  }

  /** {@code docker image inspect}'s fields for {@code image}, then layerfs' GraphDriver. */
  private static ObjectNode imageJson(Store store, Image image) throws IOException {
    JsonNode config = Json.parseObject(store.imageConfig(image),
        "image config " + image.configDigest());
    ObjectNode o = Json.object();
    o.put("Id", image.configDigest().toString());
    ArrayNode repoTags = o.putArray("RepoTags");
    tags(store, image).forEach(repoTags::add);
    o.put("Created", text(config, "created", ""));
    o.put("Author", text(config, "author", ""));
    imageConfig(store, image, o.putObject("Config"));
    o.put("Architecture", text(config, "architecture", ""));
    if (config.has("variant")) {
      o.put("Variant", text(config, "variant", ""));
    }
    o.put("Os", text(config, "os", ""));
    o.put("Size", ImagesCommand.Size.of(store, image).bytes());
    ObjectNode rootfs = o.putObject("RootFS");
    rootfs.put("Type", "layers");
    ArrayNode diffIds = rootfs.putArray("Layers");
    for (Layer l : image.layers()) {
      diffIds.add(l.diffId().toString());
    }
    ObjectNode data = o.putObject("GraphDriver").put("Name", "layerfs").putObject("Data");
    data.put("Store", store.root().toString());
    data.put("Manifest", image.manifestDigest().toString());
    layers(data.putArray("Layers"), image);
    return o;
  }

  private static void layers(ArrayNode into, Image image) {
    for (Layer l : image.layers()) {
      ObjectNode o = into.addObject();
      o.put("digest", l.digest().toString());
      o.put("diffId", l.diffId().toString());
      o.put("size", l.size());
      o.put("mediaType", l.mediaType());
    }
  }
}
