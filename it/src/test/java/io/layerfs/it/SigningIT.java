package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Image;
import io.layerfs.core.SignatureException;
import io.layerfs.core.SignatureInfo;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.signing.SignatureStore;
import io.layerfs.core.signing.SimpleSigning;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * layerfs' simple signing against skopeo's: gpg makes the keys (in a private GNUPGHOME), {@code
 * skopeo standalone-sign} signatures verify in layerfs, layerfs signatures pass {@code skopeo
 * standalone-verify}, and tampered signatures fail in both.
 */
final class SigningIT {
  private static final String REF = "registry.example.com/layerfs/signed:1";

  @TempDir static Path work;
  private static Path gnupg;
  private static String fingerprint;
  private static Path publicKey;
  private static Path secretKey;
  private static Path otherPublicKey;
  private static ContentStore store;
  private static Image image;
  private static Path manifest;

  private record Result(int exit, String out, String err) {}

  @BeforeAll
  static void keysAndImage() throws IOException {
    Tools.require("gpg", "gpgconf", "skopeo");
    gnupg = Files.createDirectory(work.resolve("gnupg"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    fingerprint = generateKey("layerfs signer <signer@example.com>");
    String other = generateKey("someone else <other@example.com>");
    publicKey = work.resolve("signer.gpg");
    gpg("--output", publicKey.toString(), "--export", fingerprint);
    secretKey = work.resolve("signer-secret.asc");
    gpg("--armor", "--output", secretKey.toString(), "--export-secret-keys", fingerprint);
    otherPublicKey = work.resolve("other.asc");
    gpg("--armor", "--output", otherPublicKey.toString(), "--export", other);

    store = ContentStore.open(work.resolve("store"));
    image = Images.resolve(store, ImageBuilder.create(store.root()).layer()
        .add(ImageBuilder.Entry.file("/etc/motd", "signed\n".getBytes(StandardCharsets.UTF_8)))
        .build("signed:1").manifestDigest());
    manifest = store.blobPath(image.manifestDigest());
  }

  @AfterAll
  static void stopAgent() {
    if (gnupg != null) {
      run("gpgconf", "--kill", "all");
    }
  }

  @Test
  void skopeoSignatureVerifiesInLayerfs() throws IOException {
    Path sig = work.resolve("skopeo.sig");
    check(run("skopeo", "standalone-sign", manifest.toString(), REF, fingerprint,
        "-o", sig.toString()));
    byte[] signature = Files.readAllBytes(sig);
    SignatureInfo info = verify(signature, publicKey, REF);
    assertEquals(fingerprint, info.keyFingerprint());
    assertEquals(REF, info.dockerReference());
    assertEquals(image.manifestDigest(), info.manifestDigest());

    // stored, it lets a file system open only with the right key
    SignatureStore.add(store, image.manifestDigest(), signature);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://signing-it"),
        Map.of("store", store.root(), "image", "signed:1", "readOnly", true,
            "signedBy", publicKey, "signedIdentity", REF))) {
      assertEquals("signed\n", Files.readString(fs.getPath("/etc/motd")));
    }
    SignatureException e = assertThrows(SignatureException.class,
        () -> FileSystems.newFileSystem(URI.create("layerfs://signing-it-2"),
            Map.of("store", store.root(), "image", "signed:1", "readOnly", true,
                "signedBy", otherPublicKey)));
    assertTrue(e.getMessage().contains("unknown key"), e.getMessage());

    assertThrows(SignatureException.class, () -> verify(signature, otherPublicKey, REF));
    assertThrows(SignatureException.class, () -> verify(signature, publicKey, REF + "-other"));
    // gpg compresses: any flipped byte breaks the compressed stream or the signature
    byte[] tampered = signature.clone();
    tampered[tampered.length / 2] ^= 0x01;
    assertThrows(SignatureException.class, () -> verify(tampered, publicKey, REF));
  }

  @Test
  void layerfsSignatureVerifiesInSkopeo() throws IOException {
    byte[] signature;
    try (InputStream in = Files.newInputStream(secretKey)) {
      signature = SimpleSigning.sign(in, null, fingerprint, REF, image.manifestDigest());
    }
    Path sig = Files.write(work.resolve("layerfs.sig"), signature);
    Result ok = run("skopeo", "standalone-verify", manifest.toString(), REF, fingerprint,
        sig.toString());
    check(ok);
    assertTrue(ok.out().contains("Signature verified"), ok.out());
    assertTrue(ok.out().contains(image.manifestDigest().toString()), ok.out());
    // gpg itself reads it as a good signature
    Result gpg = run("gpg", "--batch", "--status-fd", "1", "--verify", sig.toString());
    check(gpg);
    assertTrue(gpg.out().contains("[GNUPG:] GOODSIG"), gpg.out());
    assertTrue(gpg.out().contains("VALIDSIG " + fingerprint), gpg.out());

    Result wrongRef = run("skopeo", "standalone-verify", manifest.toString(), REF + "-other",
        fingerprint, sig.toString());
    assertNotEquals(0, wrongRef.exit(), wrongRef.toString());

    // a tampered payload: another manifest digest, with the original signature
    String text = new String(signature, StandardCharsets.ISO_8859_1);
    int at = text.indexOf(image.manifestDigest().hex());
    assertTrue(at > 0, "payload is stored uncompressed");
    byte[] tampered = signature.clone();
    tampered[at] = (byte) (tampered[at] == '0' ? '1' : '0');
    Path bad = Files.write(work.resolve("tampered.sig"), tampered);
    Result rejected = run("skopeo", "standalone-verify", manifest.toString(), REF, fingerprint,
        bad.toString());
    assertNotEquals(0, rejected.exit(), rejected.toString());
    assertTrue(rejected.err().contains("Error verifying signature"), rejected.err());
    SignatureException e = assertThrows(SignatureException.class,
        () -> verify(tampered, publicKey, REF));
    assertTrue(e.getMessage().startsWith("bad signature"), e.getMessage());
  }

  /** The same both ways with an Ed25519 key (EdDSA, gpg's newer default). */
  @Test
  void ed25519KeysInteroperate() throws IOException {
    String ed = generateKey("ed25519 signer <ed@example.com>", "ed25519", "sign");
    Path pub = work.resolve("ed.asc");
    gpg("--armor", "--output", pub.toString(), "--export", ed);
    Path secret = work.resolve("ed-secret.gpg");
    gpg("--output", secret.toString(), "--export-secret-keys", ed);

    Path skopeoSig = work.resolve("ed-skopeo.sig");
    check(run("skopeo", "standalone-sign", manifest.toString(), REF, ed, "-o",
        skopeoSig.toString()));
    assertEquals(ed, verify(Files.readAllBytes(skopeoSig), pub, REF).keyFingerprint());

    byte[] signature;
    try (InputStream in = Files.newInputStream(secret)) {
      signature = SimpleSigning.sign(in, new char[0], null, REF, image.manifestDigest());
    }
    Path sig = Files.write(work.resolve("ed-layerfs.sig"), signature);
    Result ok = check(run("skopeo", "standalone-verify", manifest.toString(), REF, ed,
        sig.toString()));
    assertTrue(ok.out().contains("Signature verified"), ok.out());
    Result wrongKey = run("skopeo", "standalone-verify", manifest.toString(), REF, fingerprint,
        sig.toString());
    assertNotEquals(0, wrongKey.exit(), wrongKey.toString());
  }

  private static SignatureInfo verify(byte[] signature, Path key, String identity)
      throws IOException {
    try (InputStream in = Files.newInputStream(key)) {
      return SimpleSigning.verify(signature, in, identity, image.manifestDigest());
    }
  }

  /** Makes a passphrase-less RSA key (gpg's default algorithm) and returns its fingerprint. */
  private static String generateKey(String userId) {
    return generateKey(userId, "default", "default");
  }

  private static String generateKey(String userId, String algorithm, String usage) {
    gpg("--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", userId,
        algorithm, usage, "never");
    String listing = gpg("--with-colons", "--list-secret-keys", userId).out();
    return listing.lines().filter(l -> l.startsWith("fpr:")).map(l -> l.split(":")[9])
        .findFirst().orElseThrow(() -> new AssertionError("no fingerprint in " + listing));
  }

  private static Result gpg(String... args) {
    List<String> command = new ArrayList<>(List.of("gpg", "--batch"));
    command.addAll(List.of(args));
    return check(run(command.toArray(String[]::new)));
  }

  private static Result check(Result result) {
    if (result.exit() != 0) {
      throw new AssertionError("exit " + result.exit() + "\n--- stderr ---\n" + result.err()
          + "--- stdout ---\n" + result.out());
    }
    return result;
  }

  /**
   * Runs a tool with {@code GNUPGHOME} set to the test's key directory (skopeo reaches gpg
   * through gpgme, which only reads the environment) and returns its exit code and output.
   */
  private static Result run(String... command) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("GNUPGHOME", gnupg.toString());
    builder.environment().put("LC_ALL", "C.UTF-8");
    try {
      Path out = Files.createTempFile(work, "out", ".txt");
      Path err = Files.createTempFile(work, "err", ".txt");
      builder.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process process = builder.start();
      process.getOutputStream().close(); // no stdin: gpg must never prompt
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish in 120 s");
      }
      return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + String.join(" ", command), e);
    }
  }
}
