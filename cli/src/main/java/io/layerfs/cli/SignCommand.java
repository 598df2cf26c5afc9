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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code layerfs sign IMAGE IDENTITY --key SECRET_KEY_FILE}: signs the image's manifest digest
 * for docker reference IDENTITY, as {@code skopeo standalone-sign} does, and stores the signature
 * beside the image (see {@link SignatureStore}). {@code --import SIGFILE} stores a signature made
 * elsewhere instead, after checking that it is a well-formed signature of this image (and of
 * IDENTITY, when given); it is not verified, since that needs the signer's public key ({@code
 * layerfs verify} does it). Prints the signature file's path.
 */
@Command(name = "sign", mixinStandardHelpOptions = true,
    description = {"Sign an image (OpenPGP simple signing, as skopeo standalone-sign does) and "
        + "store the signature, or store a signature made elsewhere (--import).",
        "Prints the path of the stored signature."})
final class SignCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IMAGE",
      description = "The image: a tag or manifest digest in the store.")
  String image;

  @Parameters(index = "1", arity = "0..1", paramLabel = "IDENTITY",
      description = "The docker reference the signature claims, e.g. "
          + "registry.example.com/app:1 (required unless --import).")
  String identity;

  @Option(names = "--key", paramLabel = "SECRET_KEY_FILE",
      description = "Secret key(s) as 'gpg --export-secret-keys [--armor]' writes them.")
  Path key;

  @Option(names = "--key-id", paramLabel = "ID",
      description = "Fingerprint or long key id of the signing key. Default: the first key "
          + "that can sign.")
  String keyId;

  @Option(names = "--passphrase-file", paramLabel = "FILE",
      description = "File whose first line is the secret key's passphrase.")
  Path passphraseFile;

  @Option(names = "--import", paramLabel = "SIGFILE",
      description = "Store this signature (e.g. from skopeo standalone-sign) instead of signing.")
  Path importFile;

  @Override
  public Integer call() throws IOException {
    if (importFile == null && (identity == null || key == null)) {
      throw new ParameterException(spec.commandLine(), "give IDENTITY and --key "
          + "SECRET_KEY_FILE to sign, or --import SIGFILE to store a signature");
    }
    if (importFile != null && (key != null || keyId != null || passphraseFile != null)) {
      throw new ParameterException(spec.commandLine(),
          "--import stores a signature as it is: --key, --key-id and --passphrase-file "
              + "do not apply");
    }
    Path stored;
    try (Store store = Stores.existing(main.store())) {
      Digest manifest = store.image(image).manifestDigest();
      byte[] signature = importFile != null ? readImport(manifest) : sign(manifest);
      stored = store.addSignature(image, signature);
    }
    spec.commandLine().getOut().println(stored);
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
