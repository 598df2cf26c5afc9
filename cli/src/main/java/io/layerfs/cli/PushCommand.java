package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.registry.ImagePush;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code layerfs push IMAGE REF}: sends an image of the store to a registry, only the blobs the
 * repository lacks (mounted from another repository of the registry where one is known to hold
 * them), the manifest last; prints the manifest digest.
 */
final class PushCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new PushCommand(), "push",
        "Push an image of the store to a registry and print its manifest digest.");
    RegistryFlags.addTo(spec);
    spec.addPositional(Specs.positional("0", "IMAGE", "A tag, image ID or manifest digest of the "
        + "store (a committed container's image, for example).").build());
    spec.addPositional(Specs.positional("1", "REF",
        "Where to: [HOST[:PORT]/]NAME[:TAG] (docker:// in front allowed).").build());
    // --format names both the output (table, json) and the layers' layout (estargz), once each
    spec.addOption(OptionSpec.builder("--format").type(List.class).auxiliaryTypes(String.class)
        .paramLabel("FORMAT")
        .description("table (default) or json: the output; estargz: push the image with its "
            + "layers converted to eStargz (a new image of the store, then pushed). Repeatable: "
            + "--format estargz --format json.")
        .build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    String image = in.positional(0);
    String reference = in.positional(1);
    boolean jsonOutput = false;
    boolean estargz = false;
    for (String f : in.<String>options("--format")) {
      switch (f) {
        case "json" -> jsonOutput = true;
        case "table" -> jsonOutput = false;
        case "estargz" -> estargz = true;
        default -> throw in.usageError(
            "expected 'table', 'json' or 'estargz' for --format but was '" + f + "'");
      }
    }
    ImagePush.Result result;
    try (Store store = Stores.existing(in.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      String source = image;
      if (estargz) {
        // the converted image is tagged beside the source, so gc keeps it and a second push
        // of the same image converts nothing twice when the tag is still there
        source = store.convertToEStargz(image, estargzTag(image), progress).manifestDigest()
            .toString();
      }
      result = store.push(source, reference, RegistryFlags.options(in), progress);
    }
    PrintWriter out = in.out();
    if (jsonOutput) {
      ObjectNode json = Json.object();
      json.put("reference", result.reference().toString());
      json.put("manifest", result.manifestDigest().toString());
      json.put("uploaded", result.uploaded());
      json.put("mounted", result.mounted());
      json.put("existing", result.existing());
      json.put("bytesUploaded", result.bytesUploaded());
      Json.print(out, json);
    } else {
      out.println(result.manifestDigest());
    }
    return 0;
  }

  /** The tag of an image's eStargz form: its tag (or digest) with {@code -estargz}. */
  static String estargzTag(String image) {
    String base = image.startsWith("sha256:") ? image.substring(7, 19) : image;
    return base + (base.contains(":") ? "-estargz" : ":estargz");
  }
}
