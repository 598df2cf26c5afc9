package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.registry.ImagePush;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
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
  @Mixin FormatOption format;
  @Mixin RegistryFlags registry;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "A tag or manifest digest of "
      + "the store (a committed container's image, for example).")
  String image;

  @Parameters(index = "1", paramLabel = "REF",
      description = "Where to: [HOST[:PORT]/]NAME[:TAG] (docker:// in front allowed).")
  String reference;

  @Override
  public Integer call() throws IOException {
    ImagePush.Result result;
    try (Store store = Stores.existing(main.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      result = store.push(image, reference, registry.options(), progress);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format.json()) {
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
}
