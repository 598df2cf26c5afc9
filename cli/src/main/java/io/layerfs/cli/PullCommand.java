package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.registry.ImagePull;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.registry.RegistryClient;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code layerfs pull REF}: fetches what the store lacks of a registry image, verified, and tags
 * it as {@code docker pull} names it ({@code debian:12}, {@code host:5000/team/app:1}); prints
 * the tag. A failed pull removes the store again if it made it.
 */
final class PullCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new PullCommand(), "pull",
        "Pull an image from a registry into the store and print its tag.");
    // lines of at most 80 columns: picocli wraps a longer footer line without indenting it
    spec.usageMessage().footer(
        "%nREF is a Docker reference, [HOST[:PORT]/]NAME[:TAG][@DIGEST], docker:// in",
        "  front allowed; Docker Hub names get docker.io/library/ as Docker gives them.");
    spec.addOption(FormatOption.spec());
    RegistryFlags.addTo(spec);
    spec.addOption(Specs.option("--platform", "OS/ARCH[/VARIANT]",
        "The platform to pick from an image index (default linux/amd64).")
        .defaultValue("linux/amd64").build());
    spec.addOption(OptionSpec.builder("--parallel").type(int.class).paramLabel("N")
        .defaultValue("3").description("How many layers to download at once (default 3).")
        .build());
    spec.addPositional(Specs.positional("0", "REF", "The image in the registry.").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    Platform p = Platform.parse(in.option("--platform"));
    int parallel = in.option("--parallel");
    String reference = in.positional(0);
    if (parallel < 1) {
      throw new IllegalArgumentException("--parallel must be at least 1, not " + parallel);
    }
    RegistryOptions options = RegistryFlags.options(in).withParallelism(parallel);
    // A fresh JVM took about 80 ms to make the HTTP client (loading and linking the JDK's HTTP
    // classes, spinning their string concatenations): made on another thread while this one
    // opens the store.
    FutureTask<RegistryClient> making = new FutureTask<>(() -> new RegistryClient(options));
    Thread maker = new Thread(making, "layerfs-registry-client");
    maker.setDaemon(true);
    maker.start();
    ImagePull.Result result;
    Path made = Stores.firstMissing(in.store());
    RegistryClient client = null;
    try (Store store = Stores.create(in.store())) {
      client = made(making);
      try (TerminalProgress progress = TerminalProgress.forConsole()) {
        result = store.pull(reference, client, p, progress);
      }
    } catch (IOException | RuntimeException e) {
      // as a failed import: no store is left where there was none (a store that was there
      // keeps the verified blobs the pull stored, which the next pull does not fetch again)
      Stores.removeMadeAfter(made, e);
      throw e;
    } finally {
      if (client != null) {
        client.close();
      } else {
        closeWhenMade(making); // the store did not open: the client may still come
      }
    }
    PrintWriter out = in.out();
    if (FormatOption.json(in)) {
      ObjectNode json = Json.object();
      json.put("reference", result.reference().toString());
      json.put("source", result.source().toString());
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

  private static RegistryClient made(FutureTask<RegistryClient> making) throws IOException {
    try {
      return making.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while making the registry client");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IOException(e.getCause());
    }
  }

  private static void closeWhenMade(FutureTask<RegistryClient> making) {
    try {
      making.get().close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // no client was made
    }
  }
}
