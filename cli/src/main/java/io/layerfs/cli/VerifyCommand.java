package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.SignatureInfo;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code layerfs verify IMAGE --key PUBLIC_KEY_FILE [--identity REF]}: succeeds when one of the
 * image's stored signatures verifies with a key of the file (and claims REF exactly, when given),
 * printing the key fingerprint, identity and manifest digest of every signature that verifies (a
 * row each; JSON, an array of objects), as {@code skopeo standalone-verify} users check each;
 * exit 1 with the reason of every signature tried when none does. The same check as the
 * provider's {@code signedBy}.
 */
final class VerifyCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new VerifyCommand(), "verify",
        "Check that an image has a stored signature by a trusted key.");
    spec.addOption(FormatOption.spec());
    spec.addPositional(Specs.positional("0", "IMAGE",
        "The image: a tag, image ID or manifest digest in the store.").build());
    spec.addOption(OptionSpec.builder("--key").type(Path.class).required(true)
        .paramLabel("PUBLIC_KEY_FILE")
        .description("Trusted public key(s) as 'gpg --export [--armor]' writes them.").build());
    spec.addOption(Specs.option("--identity", "REF",
        "The docker reference the signature must claim (exact match).").build());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<SignatureInfo> verified;
    try (Store store = Stores.existing(in.store())) {
      verified = store.verifyAll(in.positional(0), in.<Path>option("--key"),
          in.option("--identity"));
    }
    PrintWriter out = in.out();
    if (FormatOption.json(in)) {
      ArrayNode json = Json.array();
      for (SignatureInfo info : verified) {
        ObjectNode o = json.addObject();
        o.put("key", info.keyFingerprint());
        o.put("identity", info.dockerReference());
        o.put("digest", info.manifestDigest().toString());
        o.put("created", info.created().toString());
      }
      Json.print(out, json);
    } else {
      Table table = new Table("KEY", "IDENTITY", "DIGEST");
      for (SignatureInfo info : verified) {
        table.row(info.keyFingerprint(), info.dockerReference(),
            info.manifestDigest().toString());
      }
      table.print(out);
    }
    return 0;
  }
}
