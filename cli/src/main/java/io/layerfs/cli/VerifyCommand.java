package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.SignatureInfo;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs verify IMAGE --key PUBLIC_KEY_FILE [--identity REF]}: succeeds when one of the
 * image's stored signatures verifies with a key of the file (and claims REF exactly, when given),
 * printing that signature's key fingerprint, identity and manifest digest; exit 1 with the reason
 * of every signature tried when none does. The same check as the provider's {@code signedBy}.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Check that an image has a stored signature by a trusted key.")
final class VerifyCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin FormatOption format;

  @Parameters(index = "0", paramLabel = "IMAGE",
      description = "The image: a tag or manifest digest in the store.")
  String image;

  @Option(names = "--key", required = true, paramLabel = "PUBLIC_KEY_FILE",
      description = "Trusted public key(s) as 'gpg --export [--armor]' writes them.")
  Path key;

  @Option(names = "--identity", paramLabel = "REF",
      description = "The docker reference the signature must claim (exact match).")
  String identity;

  @Override
  public Integer call() throws IOException {
    SignatureInfo info;
    try (Store store = Stores.existing(main.store())) {
      info = store.verify(image, key, identity);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format.json()) {
      ObjectNode json = Json.object();
      json.put("key", info.keyFingerprint());
      json.put("identity", info.dockerReference());
      json.put("digest", info.manifestDigest().toString());
      json.put("created", info.created().toString());
      Json.print(out, json);
    } else {
      Table table = new Table("KEY", "IDENTITY", "DIGEST");
      table.row(info.keyFingerprint(), info.dockerReference(), info.manifestDigest().toString());
      table.print(out);
    }
    return 0;
  }
}
