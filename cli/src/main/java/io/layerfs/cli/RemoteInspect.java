package io.layerfs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.registry.Reference;
import io.layerfs.core.registry.RegistryClient;
import io.layerfs.core.registry.RemoteImage;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code layerfs inspect docker://REF}: an image in a registry, without pulling it, as {@code
 * skopeo inspect docker://REF} shows it: the same JSON fields ({@code Name}, {@code Digest},
 * {@code RepoTags}, {@code Created}, {@code DockerVersion}, {@code Labels}, {@code
 * Architecture}, {@code Os}, {@code Layers}, {@code LayersData}, {@code Env}), printed as Go
 * prints them; {@code --raw} the manifest as served, {@code --config} the config.
 *
 * <p>Unlike skopeo, a registry that refuses to list the repository's tags does not make the
 * command fail: {@code RepoTags} is then null (as skopeo leaves it for the refusals it forgives,
 * ECR's DENIED and public.ecr.aws' 404) and a warning says why.
 */
final class RemoteInspect {
  /** Go's zero time: what skopeo shows for a Docker config without {@code created}. */
  private static final String GO_ZERO_TIME = "0001-01-01T00:00:00Z";
  /** The fields of an OCI config, in the order skopeo's Go type writes them. */
  private static final List<String> OCI_CONFIG = List.of("created", "author", "architecture",
      "variant", "os", "os.version", "os.features", "config", "rootfs", "history");
  /** Of its {@code config}: the runtime fields, in Go's order. */
  private static final List<String> OCI_RUNTIME = List.of("User", "ExposedPorts", "Env",
      "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal", "ArgsEscaped");
  private static final List<String> OCI_HISTORY = List.of("created", "created_by", "author",
      "comment", "empty_layer");

  private RemoteInspect() {}

  /** Options that mean something only for a registry image. */
  static final List<String> OPTIONS = List.of("--raw", "--config", "--no-tags", "--platform",
      "--tls-verify", "--cert-dir", "--registries-conf", "--creds");

  static int run(Invocation in, String name) throws IOException {
    Reference reference = Reference.parse(name);
    Platform platform = Platform.parse(in.option("--platform"));
    boolean raw = in.flag("--raw");
    boolean config = in.flag("--config");
    try (RegistryClient client = new RegistryClient(RegistryFlags.options(in))) {
      if (raw && !config) {
        write(in, client.rawManifest(reference));
        return 0;
      }
      RemoteImage image = client.resolve(reference, platform);
      if (raw) {
        write(in, image.configBytes());
      } else if (config) {
        in.out().println(GoJson.indent(ociConfig(image)));
      } else {
        ObjectNode out = output(image);
        out.set("RepoTags", in.flag("--no-tags") ? Json.array() : tags(in, client, reference));
        in.out().println(GoJson.indent(out));
      }
    }
    return 0;
  }

  private static void write(Invocation in, byte[] bytes) throws IOException {
    in.out().flush();
    try (OutputStream out = in.stdout()) {
      out.write(bytes);
    }
  }

  /** The repository's tags; null, with a warning, when the registry does not list them. */
  private static JsonNode tags(Invocation in, RegistryClient client, Reference reference) {
    try {
      ArrayNode tags = Json.array();
      client.tags(reference).forEach(tags::add);
      return tags;
    } catch (IOException e) {
      in.err().println("layerfs: warning: RepoTags left null: " + e.getMessage()
          + "; --no-tags skips the listing");
      return NullNode.instance;
    }
  }

  /** skopeo's fields but RepoTags, in its order (RepoTags is put in its place here). */
  static ObjectNode output(RemoteImage image) throws IOException {
    JsonNode config = config(image);
    JsonNode runtime = config.path("config");
    boolean docker = MediaTypes.DOCKER_MANIFEST.equals(image.manifest().mediaType());
    Descriptor top = image.indexOrNull() != null ? image.indexOrNull() : image.manifest();
    ObjectNode o = Json.object();
    o.put("Name", image.reference().name());
    o.put("Digest", top.digest().toString());
    o.putNull("RepoTags");
    JsonNode created = config.get("created");
    if (created != null && created.isTextual()) {
      o.put("Created", GoJson.time(created.textValue()));
    } else if (docker) {
      o.put("Created", GO_ZERO_TIME); // Docker's config type has no null time
    } else {
      o.putNull("Created");
    }
    o.put("DockerVersion", docker ? config.path("docker_version").asText("") : "");
    o.set("Labels", sorted(runtime.get("Labels")));
    o.put("Architecture", config.path("architecture").asText(""));
    o.put("Os", config.path("os").asText(""));
    ArrayNode layers = o.putArray("Layers");
    ArrayNode data = o.putArray("LayersData");
    for (Descriptor layer : image.layers()) {
      layers.add(layer.digest().toString());
      ObjectNode d = data.addObject();
      d.put("MIMEType", layer.mediaType());
      d.put("Digest", layer.digest().toString());
      d.put("Size", layer.size());
      d.set("Annotations", annotations(layer.annotations()));
    }
    JsonNode env = runtime.get("Env");
    o.set("Env", env != null && env.isArray() ? env : NullNode.instance);
    return o;
  }

  /**
   * What {@code skopeo inspect --config} prints: the config's OCI fields, in the order of Go's
   * type and without the empty ones it omits (a Docker config loses its Docker-only fields, as
   * skopeo converts it), maps with their keys sorted as Go sorts them.
   */
  static ObjectNode ociConfig(RemoteImage image) throws IOException {
    JsonNode config = config(image);
    ObjectNode o = Json.object();
    for (String field : OCI_CONFIG) {
      JsonNode value = config.get(field);
      switch (field) {
        case "architecture", "os" -> o.put(field, value == null ? "" : value.asText(""));
        case "config" -> o.set(field, pick(value, OCI_RUNTIME));
        case "rootfs" -> {
          ObjectNode rootfs = o.putObject(field);
          rootfs.put("type", value == null ? "" : value.path("type").asText(""));
          JsonNode diffIds = value == null ? null : value.get("diff_ids");
          rootfs.set("diff_ids", diffIds == null ? NullNode.instance : diffIds);
        }
        case "history" -> {
          if (value != null && value.isArray() && !value.isEmpty()) {
            ArrayNode history = o.putArray(field);
            value.forEach(h -> history.add(pick(h, OCI_HISTORY)));
          }
        }
        default -> {
          if (!empty(value)) {
            o.set(field, field.equals("created") && value.isTextual()
                ? Json.object().textNode(GoJson.time(value.textValue())) : value);
          }
        }
      }
    }
    return o;
  }

  private static JsonNode config(RemoteImage image) throws IOException {
    return Json.parseObject(image.configBytes(),
        "config " + image.config().digest() + " of " + image.reference());
  }

  /** {@code fields} of {@code from} in that order, the empty ones left out, maps sorted. */
  private static ObjectNode pick(JsonNode from, List<String> fields) {
    ObjectNode o = Json.object();
    if (from == null || !from.isObject()) {
      return o;
    }
    for (String field : fields) {
      JsonNode value = from.get(field);
      if (!empty(value)) {
        if (value.isObject()) {
          value = sorted(value);
        } else if (field.equals("created") && value.isTextual()) {
          value = o.textNode(GoJson.time(value.textValue()));
        }
        o.set(field, value);
      }
    }
    return o;
  }

  /** What Go's {@code omitempty} leaves out: null, false, 0, "", [] and {}. */
  private static boolean empty(JsonNode v) {
    return v == null || v.isNull() || (v.isBoolean() && !v.booleanValue())
        || (v.isNumber() && v.asDouble() == 0) || (v.isTextual() && v.textValue().isEmpty())
        || (v.isContainerNode() && v.isEmpty());
  }

  /** An object with its keys sorted, as Go writes a map; null (absent) stays null. */
  private static JsonNode sorted(JsonNode map) {
    if (map == null || !map.isObject()) {
      return map == null ? NullNode.instance : map;
    }
    TreeMap<String, JsonNode> keys = new TreeMap<>();
    map.fields().forEachRemaining(e -> keys.put(e.getKey(), e.getValue()));
    ObjectNode o = Json.object();
    keys.forEach(o::set);
    return o;
  }

  private static JsonNode annotations(Map<String, String> annotations) {
    if (annotations.isEmpty()) {
      return NullNode.instance;
    }
    ObjectNode o = Json.object();
    annotations.forEach(o::put); // a TreeMap already: sorted
    return o;
  }
}
