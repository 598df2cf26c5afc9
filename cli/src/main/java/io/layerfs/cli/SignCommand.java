package io.layerfs.cli;

import io.layerfs.core.Digest;
import io.layerfs.core.SignatureException;
import io.layerfs.core.SignatureInfo;
import io.layerfs.core.signing.SignatureStore;
import io.layerfs.core.signing.SimpleSigning;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code layerfs sign IMAGE IDENTITY --key SECRET_KEY_FILE}: signs the image's manifest digest
 * for docker reference IDENTITY, as {@code skopeo standalone-sign} does, and stores the signature
 * beside the image (see {@link SignatureStore}). {@code --import SIGFILE} stores a signature made
 * elsewhere instead, after checking that it is a well-formed signature of this image (and of
 * IDENTITY, when given); it is not verified, since that needs the signer's public key ({@code
 * layerfs verify} does it). Prints the signature file's path.
 */
final class SignCommand implements CliCommand {
  // this run's arguments, for the methods that sign or read (a model makes one instance per run)
  private String image;
  private String identity;
  private Path key;
  private String keyId;
  private Path passphraseFile;
  private Path importFile;

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new SignCommand(), "sign",
        "Sign an image (OpenPGP simple signing, as skopeo standalone-sign does) and store the "
            + "signature, or store a signature made elsewhere (--import).",
        "Prints the path of the stored signature.");
    spec.addPositional(Specs.positional("0", "IMAGE",
        "The image: a tag, image ID or manifest digest in the store.").build());
    spec.addPositional(Specs.optionalPositional("1", "IDENTITY", "The docker reference the "
        + "signature claims, e.g. registry.example.com/app:1 (required unless --import).").build());
    spec.addOption(path("--key", "SECRET_KEY_FILE",
        "Secret key(s) as 'gpg --export-secret-keys [--armor]' writes them."));
    spec.addOption(Specs.option("--key-id", "ID", "Fingerprint or long key id of the signing "
        + "key. Default: the first key that can sign.").build());
    spec.addOption(path("--passphrase-file", "FILE",
        "File whose first line is the secret key's passphrase."));
    spec.addOption(path("--import", "SIGFILE",
        "Store this signature (e.g. from skopeo standalone-sign) instead of signing."));
    return spec;
  }

  private static OptionSpec path(String name, String paramLabel, String description) {
    return OptionSpec.builder(name).type(Path.class).paramLabel(paramLabel)
        .description(description).build();
  }

  @Override
  public int run(Invocation in) throws IOException {
    image = in.positional(0);
    identity = in.positional(1);
    key = in.option("--key");
    keyId = in.option("--key-id");
    passphraseFile = in.option("--passphrase-file");
    importFile = in.option("--import");
    if (importFile == null && (identity == null || key == null)) {
      throw in.usageError("give IDENTITY and --key SECRET_KEY_FILE to sign, or --import SIGFILE "
          + "to store a signature");
    }
    if (importFile != null && (key != null || keyId != null || passphraseFile != null)) {
      throw in.usageError("--import stores a signature as it is: --key, --key-id and "
          + "--passphrase-file do not apply");
    }
    Path stored;
    try (Store store = Stores.existing(in.store())) {
      Digest manifest = store.image(image).manifestDigest();
      byte[] signature = importFile != null ? readImport(manifest) : sign(manifest);
      stored = store.addSignature(image, signature);
    }
    in.out().println(stored);
    return 0;
  }

  private byte[] sign(Digest manifest) throws IOException {
    char[] passphrase = passphraseFile == null ? null : readPassphrase(passphraseFile);
    try (InputStream in = Files.newInputStream(key)) {
      return SimpleSigning.sign(in, passphrase, keyId, identity, manifest);
    } catch (SignatureException e) {
      throw new SignatureException(key + ": " + e.getMessage(), e);
    } finally {
      if (passphrase != null) {
        Arrays.fill(passphrase, '\0');
      }
    }
  }

  private byte[] readImport(Digest manifest) throws IOException {
    if (Files.size(importFile) > SignatureStore.MAX_SIGNATURE) {
      throw new SignatureException(importFile + ": larger than " + SignatureStore.MAX_SIGNATURE
          + " bytes; not a signature");
    }
    byte[] signature = Files.readAllBytes(importFile);
    SignatureInfo info;
    try {
      info = SimpleSigning.inspect(signature);
    } catch (SignatureException e) {
      throw new SignatureException(importFile + ": " + e.getMessage(), e);
    }
    if (!info.manifestDigest().equals(manifest)) {
      throw new SignatureException(importFile + " signs manifest " + info.manifestDigest()
          + ", not image " + image + " (" + manifest + ")");
    }
    if (identity != null && !identity.equals(info.dockerReference())) {
      throw new SignatureException(importFile + " is for identity '" + info.dockerReference()
          + "', not '" + identity + "'");
    }
    return signature;
  }

  /** The first line of the file, as skopeo's --passphrase-file reads it. */
  private static char[] readPassphrase(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int end = text.indexOf('\n');
    String line = end < 0 ? text : text.substring(0, end);
    if (line.endsWith("\r")) {
      line = line.substring(0, line.length() - 1);
    }
    return line.toCharArray();
  }
}
