package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.registry.ImagePull;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs pull REF}: fetches what the store lacks of a registry image, verified, and tags
 * it as {@code docker pull} names it ({@code debian:12}, {@code host:5000/team/app:1}); prints
 * the tag.
 */
@Command(name = "pull", mixinStandardHelpOptions = true,
    description = "Pull an image from a registry into the store and print its tag.",
    footer = {"%nREF is a Docker reference: [HOST[:PORT]/]NAME[:TAG][@DIGEST] (docker:// in "
        + "front allowed);", "Docker Hub names get docker.io/library/ as Docker gives them."})
final class PullCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin FormatOption format;
  @Mixin RegistryFlags registry;

  @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", defaultValue = "linux/amd64",
      description = "The platform to pick from an image index (default linux/amd64).")
  String platform;

  @Option(names = "--parallel", paramLabel = "N", defaultValue = "3",
      description = "How many layers to download at once (default 3).")
  int parallel;

  @Parameters(index = "0", paramLabel = "REF", description = "The image in the registry.")
  String reference;

  @Override
  public Integer call() throws IOException {
    Platform p = Platform.parse(platform);
    if (parallel < 1) {
      throw new IllegalArgumentException("--parallel must be at least 1, not " + parallel);
    }
    ImagePull.Result result;
    try (Store store = Stores.create(main.store());
        TerminalProgress progress = TerminalProgress.forConsole()) {
      result = store.pull(reference, registry.options().withParallelism(parallel), p, progress);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format.json()) {
      ObjectNode json = Json.object();
      json.put("reference", result.reference().toString());
      json.put("tag", result.tag());
      json.put("manifest", result.manifestDigest().toString());
      json.put("platform", result.platform().toString());
      json.put("layers", result.layers());
      json.put("layersFetched", result.layersFetched());
      json.put("bytesFetched", result.bytesFetched());
      Json.print(out, json);
    } else {
      out.println(result.tag());
    }
    return 0;
  }
}
