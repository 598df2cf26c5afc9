package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.registry.ImagePush;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs push IMAGE REF}: sends an image of the store to a registry, only the blobs the
 * repository lacks (mounted from another repository of the registry where one is known to hold
 * them), the manifest last; prints the manifest digest.
 */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = "Push an image of the store to a registry and print its manifest digest.")
final class PushCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin RegistryFlags registry;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "A tag or manifest digest of "
      + "the store (a committed container's image, for example).")
  String image;

  @Parameters(index = "1", paramLabel = "REF",
      description = "Where to: [HOST[:PORT]/]NAME[:TAG] (docker:// in front allowed).")
  String reference;

  // --format names both the output (table, json) and the layers' layout (estargz), once each
  @Option(names = "--format", paramLabel = "FORMAT",
      description = "table (default) or json: the output; estargz: push the image with its "
          + "layers converted to eStargz (a new image of the store, then pushed). Repeatable: "
          + "--format estargz --format json.")
  List<String> formats = new ArrayList<>();

  @Override
  public Integer call() throws IOException {
    boolean jsonOutput = false;
    boolean estargz = false;
    for (String f : formats) {
      switch (f) {
        case "json" -> jsonOutput = true;
        case "table" -> jsonOutput = false;
        case "estargz" -> estargz = true;
        default -> throw new ParameterException(spec.commandLine(),
            "expected 'table', 'json' or 'estargz' for --format but was '" + f + "'");
      }
    }
    ImagePush.Result result;
    try (Store store = Stores.existing(main.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      String source = image;
      if (estargz) {
        // the converted image is tagged beside the source, so gc keeps it and a second push
        // of the same image converts nothing twice when the tag is still there
        source = store.convertToEStargz(image, estargzTag(image), progress).manifestDigest()
            .toString();
      }
      result = store.push(source, reference, registry.options(), progress);
    }
    PrintWriter out = spec.commandLine().getOut();
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
