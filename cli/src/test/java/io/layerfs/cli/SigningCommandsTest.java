package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.Image;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.signing.SignatureStore;
import io.layerfs.core.signing.SimpleSigning;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Date;
import java.util.List;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code layerfs sign} and {@code layerfs verify}, run as Main runs commands. */
class SigningCommandsTest {
  private static final String REF = "registry.example.com/demo/app:1";
  private static final String DIGEST = "sha256:[0-9a-f]{64}";

  @TempDir Path dir;
  private Path storeDir;
  private Image image;
  private Path secretKey;
  private Path publicKey;
  private Path otherPublicKey;
  private String fingerprint;

  private record Result(int code, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    storeDir = dir.resolve("store");
    ContentStore store = ContentStore.open(storeDir);
    image = Images.resolve(store, ImageBuilder.create(store.root()).layer()
        .file("/etc/motd", "hi\n").build("app:1").manifestDigest());
    Keys keys = keys("Signer <signer@example.com>", "s3cret".toCharArray());
    secretKey = Files.write(dir.resolve("signer.sec"), keys.secret());
    publicKey = Files.write(dir.resolve("signer.pub"), keys.pub());
    fingerprint = keys.fingerprint();
    otherPublicKey = Files.write(dir.resolve("other.pub"), keys("Other <o@example.com>", null)
        .pub());
    Files.writeString(dir.resolve("pass"), "s3cret\n");
  }

  /** The command line in the test's store, run as Main runs it. */
  private Result run(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--store";
    all[1] = storeDir.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    Cli.Result r = Cli.run(all);
    return new Result(r.code(), r.out(), r.err());
  }

  @Test
  void signThenVerify() {
    Result sign = run("sign", "app:1", REF, "--key", secretKey.toString(),
        "--passphrase-file", dir.resolve("pass").toString());
    assertEquals(0, sign.code(), sign.err());
    Path stored = Path.of(sign.out().strip());
    assertEquals(storeDir.resolve("layerfs/signatures/sha256/" + image.manifestDigest().hex()
        + "/signature-1").toAbsolutePath(), stored);
    assertTrue(Files.isRegularFile(stored));

    Result verify = run("verify", "app:1", "--key", publicKey.toString(), "--identity", REF);
    assertEquals(0, verify.code(), verify.err());
    String[] lines = verify.out().strip().split("\n");
    assertEquals(2, lines.length, verify.out());
    assertTrue(lines[0].startsWith("KEY "), verify.out());
    assertEquals(fingerprint + "   " + REF + "   " + image.manifestDigest(), lines[1]);

    Result json = run("verify", image.manifestDigest().toString(), "--key",
        publicKey.toString(), "--format", "json");
    assertEquals(0, json.code(), json.err());
    assertTrue(json.out().contains("\"key\" : \"" + fingerprint + "\""), json.out());
    assertTrue(json.out().matches("(?s).*\"digest\" : \"" + DIGEST + "\".*"), json.out());
  }

  @Test
  void verifyShowsEverySignatureThatVerifies() throws IOException {
    String other = "registry.example.com/demo/app:latest";
    for (String identity : List.of(REF, other)) {
      assertEquals(0, run("sign", "app:1", identity, "--key", secretKey.toString(),
          "--passphrase-file", dir.resolve("pass").toString()).code());
    }
    Result verify = run("verify", "app:1", "--key", publicKey.toString());
    assertEquals(0, verify.code(), verify.err());
    List<String> lines = verify.out().strip().lines().toList();
    assertEquals(3, lines.size(), verify.out());
    String digest = image.manifestDigest().toString();
    assertEquals(List.of(fingerprint, REF, digest), List.of(lines.get(1).split(" +")));
    assertEquals(List.of(fingerprint, other, digest), List.of(lines.get(2).split(" +")));

    JsonNode json = new ObjectMapper().readTree(
        run("verify", "app:1", "--key", publicKey.toString(), "--format", "json").out());
    assertTrue(json.isArray(), json.toString());
    assertEquals(2, json.size());
    assertEquals(REF, json.get(0).get("identity").asText());
    assertEquals(other, json.get(1).get("identity").asText());
    assertEquals(fingerprint, json.get(1).get("key").asText());
    // --identity still picks: one row, exit 0
    Result one = run("verify", "app:1", "--key", publicKey.toString(), "--identity", other);
    assertEquals(0, one.code(), one.err());
    assertEquals(2, one.out().strip().lines().count(), one.out());
    assertTrue(one.out().contains(other), one.out());
  }

  @Test
  void verifyFailsWithExitOneAndOneLine() {
    Result none = run("verify", "app:1", "--key", publicKey.toString());
    assertEquals(1, none.code());
    assertEquals("layerfs: image " + image.manifestDigest() + " has no signature by key "
        + fingerprint + ": no signatures stored for it in store " + storeDir.toAbsolutePath(),
        none.err().strip());

    assertEquals(0, run("sign", "app:1", REF, "--key", secretKey.toString(),
        "--passphrase-file", dir.resolve("pass").toString(), "--key-id", fingerprint).code());
    Result wrongKey = run("verify", "app:1", "--key", otherPublicKey.toString());
    assertEquals(1, wrongKey.code());
    assertEquals(1, wrongKey.err().strip().lines().count(), wrongKey.err());
    assertTrue(wrongKey.err().contains("1 signature(s) tried: signature-1: signature made by "
        + "unknown key"), wrongKey.err());
    Result wrongIdentity = run("verify", "app:1", "--key", publicKey.toString(), "--identity",
        "app:1");
    assertEquals(1, wrongIdentity.code());
    assertTrue(wrongIdentity.err().contains("not the required 'app:1'"), wrongIdentity.err());
  }

  @Test
  void wrongPassphraseIsAnError() throws IOException {
    Path wrong = Files.writeString(dir.resolve("wrong"), "nope\n");
    Result r = run("sign", "app:1", REF, "--key", secretKey.toString(), "--passphrase-file",
        wrong.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("layerfs: " + secretKey + ": cannot unlock secret key"),
        r.err());
    assertTrue(SignatureStore.list(ContentStore.open(storeDir), image.manifestDigest())
        .isEmpty());
  }

  @Test
  void importStoresAForeignSignatureOnce() throws IOException {
    byte[] signature = SimpleSigning.sign(Files.newInputStream(secretKey), "s3cret".toCharArray(),
        null, REF, image.manifestDigest());
    Path file = Files.write(dir.resolve("made-elsewhere.sig"), signature);
    Result first = run("sign", "app:1", "--import", file.toString());
    assertEquals(0, first.code(), first.err());
    Result again = run("sign", "app:1", REF, "--import", file.toString());
    assertEquals(first.out(), again.out());
    assertEquals(0, run("verify", "app:1", "--key", publicKey.toString()).code());

    Result otherIdentity = run("sign", "app:1", "other:1", "--import", file.toString());
    assertEquals(1, otherIdentity.code());
    assertTrue(otherIdentity.err().contains("is for identity '" + REF + "', not 'other:1'"),
        otherIdentity.err());
    Built other = ImageBuilder.create(storeDir).layer().file("/x", "y\n").build("other:1");
    Result otherImage = run("sign", "other:1", "--import", file.toString());
    assertEquals(1, otherImage.code());
    assertTrue(otherImage.err().contains("signs manifest " + image.manifestDigest()
        + ", not image other:1 (" + other.manifestDigest() + ")"), otherImage.err());
    Path junk = Files.writeString(dir.resolve("junk.sig"), "junk");
    Result bad = run("sign", "app:1", "--import", junk.toString());
    assertEquals(1, bad.code());
    assertTrue(bad.err().startsWith("layerfs: " + junk + ": "), bad.err());
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertEquals(2, run("sign", "app:1", REF).code());
    assertEquals(2, run("sign", "app:1").code());
    assertEquals(2, run("sign", "app:1", "--import", "x.sig", "--key", "k").code());
    assertEquals(2, run("verify", "app:1").code());
  }

  private record Keys(byte[] secret, byte[] pub, String fingerprint) {}

  /** An Ed25519 signing key as gpg exports it (binary), protected when a passphrase is given. */
  private static Keys keys(String userId, char[] passphraseOrNull)
      throws PGPException, IOException {
    Ed25519KeyPairGenerator g = new Ed25519KeyPairGenerator();
    g.init(new Ed25519KeyGenerationParameters(new SecureRandom()));
    PGPKeyPair pair = new BcPGPKeyPair(PublicKeyAlgorithmTags.EDDSA_LEGACY, g.generateKeyPair(),
        new Date(System.currentTimeMillis() - 1000));
    var sha1 = new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1);
    PGPKeyRingGenerator rings = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION,
        pair, userId, sha1, null, null,
        new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY,
            HashAlgorithmTags.SHA256),
        passphraseOrNull == null ? null
            : new BcPBESecretKeyEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256, sha1)
                .build(passphraseOrNull));
    ByteArrayOutputStream secret = new ByteArrayOutputStream();
    rings.generateSecretKeyRing().encode(secret);
    ByteArrayOutputStream pub = new ByteArrayOutputStream();
    rings.generatePublicKeyRing().encode(pub);
    return new Keys(secret.toByteArray(), pub.toByteArray(),
        java.util.HexFormat.of().withUpperCase().formatHex(pair.getPublicKey().getFingerprint()));
  }
}
