package io.layerfs.core.signing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.SignatureException;
import io.layerfs.core.SignatureInfo;
import io.layerfs.core.content.ContentStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPCompressedDataGenerator;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimpleSigningTest {
  private static final TestKeys ALICE = TestKeys.generate("Alice <alice@example.com>", null);
  private static final TestKeys BOB = TestKeys.generate("Bob <bob@example.com>", null);
  private static final Digest MANIFEST = Digest.sha256("manifest".getBytes(StandardCharsets.UTF_8));
  private static final Digest OTHER = Digest.sha256("other".getBytes(StandardCharsets.UTF_8));
  private static final String REF = "registry.example.com/team/app:1.0";

  @TempDir Path dir;

  private static byte[] sign(TestKeys keys, String ref, Digest digest) throws IOException {
    return SimpleSigning.sign(new ByteArrayInputStream(keys.secret()), null, null, ref, digest);
  }

  private static SignatureInfo verify(byte[] signature, TestKeys keys, String identity,
      Digest digest) throws IOException {
    return SimpleSigning.verify(signature, new ByteArrayInputStream(keys.publicKeys()), identity,
        digest);
  }

  private static String failure(byte[] signature, TestKeys keys, String identity, Digest digest) {
    return assertThrows(SignatureException.class, () -> verify(signature, keys, identity, digest))
        .getMessage();
  }

  private static byte[] signRaw(TestKeys keys, String payload) throws IOException {
    return SimpleSigning.signPayload(new ByteArrayInputStream(keys.secret()), null, null,
        payload.getBytes(StandardCharsets.UTF_8), Instant.now());
  }

  @Test
  void roundTrip() throws IOException {
    Instant before = Instant.now().minusSeconds(1);
    byte[] signature = sign(ALICE, REF, MANIFEST);
    SignatureInfo info = verify(signature, ALICE, REF, MANIFEST);
    assertEquals(ALICE.fingerprint(), info.keyFingerprint());
    assertEquals(REF, info.dockerReference());
    assertEquals(MANIFEST, info.manifestDigest());
    assertTrue(!info.created().isBefore(before) && !info.created().isAfter(Instant.now()),
        info.created().toString());
    // without an identity, any identity is accepted
    assertEquals(REF, verify(signature, ALICE, null, MANIFEST).dockerReference());
  }

  @Test
  void payloadIsTheContainersSignatureJson() throws IOException {
    String text = new String(sign(ALICE, REF, MANIFEST), StandardCharsets.ISO_8859_1);
    assertTrue(text.contains("{\"critical\":{\"type\":\"atomic container signature\","
        + "\"image\":{\"docker-manifest-digest\":\"" + MANIFEST + "\"},"
        + "\"identity\":{\"docker-reference\":\"" + REF + "\"}},"
        + "\"optional\":{\"creator\":\"layerfs "), text);
  }

  @Test
  void armoredKeysWork() throws IOException {
    TestKeys armored = new TestKeys(TestKeys.armor(ALICE.secret()),
        TestKeys.armor(ALICE.publicKeys()), ALICE.fingerprint(), ALICE.keyId());
    byte[] signature = sign(armored, REF, MANIFEST);
    assertEquals(REF, verify(signature, armored, REF, MANIFEST).dockerReference());
    assertEquals(REF, verify(TestKeys.armor(signature), ALICE, REF, MANIFEST).dockerReference());
  }

  @Test
  void passphraseProtectedKey() throws IOException {
    char[] secret = "correct horse".toCharArray();
    TestKeys carol = TestKeys.generate("Carol <carol@example.com>", secret);
    String wrong = assertThrows(SignatureException.class, () -> SimpleSigning.sign(
        new ByteArrayInputStream(carol.secret()), "nope".toCharArray(), null, REF, MANIFEST))
        .getMessage();
    assertTrue(wrong.contains("cannot unlock secret key " + carol.fingerprint()), wrong);
    byte[] signature = SimpleSigning.sign(new ByteArrayInputStream(carol.secret()), secret,
        null, REF, MANIFEST);
    assertEquals(carol.fingerprint(), verify(signature, carol, REF, MANIFEST).keyFingerprint());
  }

  @Test
  void keyChosenByFingerprintOrLongKeyId() throws IOException {
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    both.write(ALICE.secret());
    both.write(BOB.secret());
    for (String name : new String[] {BOB.fingerprint(), "0x" + BOB.keyId().toLowerCase()}) {
      byte[] signature = SimpleSigning.sign(new ByteArrayInputStream(both.toByteArray()), null,
          name, REF, MANIFEST);
      assertEquals(BOB.fingerprint(), verify(signature, BOB, REF, MANIFEST).keyFingerprint());
    }
    byte[] first = SimpleSigning.sign(new ByteArrayInputStream(both.toByteArray()), null, null,
        REF, MANIFEST);
    assertEquals(ALICE.fingerprint(), verify(first, ALICE, REF, MANIFEST).keyFingerprint());
    String missing = assertThrows(SignatureException.class, () -> SimpleSigning.sign(
        new ByteArrayInputStream(ALICE.secret()), null, BOB.fingerprint(), REF, MANIFEST))
        .getMessage();
    assertTrue(missing.contains("no secret key " + BOB.fingerprint()), missing);
    assertThrows(IllegalArgumentException.class, () -> SimpleSigning.sign(
        new ByteArrayInputStream(ALICE.secret()), null, "1234", REF, MANIFEST));
  }

  @Test
  void signingSubkeyIsUsedAndReportedUnderItsPrimary() throws IOException {
    TestKeys dave = TestKeys.generate("Dave <dave@example.com>", null, true);
    byte[] signature = sign(dave, REF, MANIFEST);
    SignatureInfo info = verify(signature, dave, REF, MANIFEST);
    // the subkey signed; the info names the primary key the user trusts
    assertTrue(!info.keyFingerprint().equals(dave.fingerprint()), info.toString());
    // a key file with only the primary of another ring does not know the subkey
    assertTrue(failure(signature, ALICE, REF, MANIFEST).contains("unknown key " + dave.keyId()));
  }

  @Test
  void tamperedPayloadIsABadSignature() throws IOException {
    byte[] signature = sign(ALICE, REF, MANIFEST);
    String text = new String(signature, StandardCharsets.ISO_8859_1);
    int at = text.indexOf(MANIFEST.hex());
    assertTrue(at > 0);
    // claim another digest: a forged payload with the original signature
    byte[] forged = signature.clone();
    byte[] other = OTHER.hex().getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(other, 0, forged, at, other.length);
    String message = failure(forged, ALICE, REF, OTHER);
    assertTrue(message.startsWith("bad signature"), message);
    assertTrue(message.contains(ALICE.fingerprint()), message);
  }

  @Test
  void tamperedSignatureBytesAreRejected() throws IOException {
    byte[] signature = sign(ALICE, REF, MANIFEST);
    byte[] corrupt = signature.clone();
    corrupt[corrupt.length - 5] ^= 0x55;
    String message = failure(corrupt, ALICE, REF, MANIFEST);
    assertTrue(message.contains("bad signature") || message.contains("malformed"), message);
  }

  @Test
  void wrongKeyIsAnUnknownKey() throws IOException {
    String message = failure(sign(ALICE, REF, MANIFEST), BOB, REF, MANIFEST);
    assertTrue(message.contains("unknown key " + ALICE.keyId()), message);
    assertTrue(message.contains("trusted keys: " + BOB.fingerprint()), message);
  }

  @Test
  void wrongDigestNamesBoth() throws IOException {
    String message = failure(sign(ALICE, REF, MANIFEST), ALICE, REF, OTHER);
    assertTrue(message.contains("is for manifest digest " + MANIFEST + ", not the expected "
        + OTHER), message);
  }

  @Test
  void wrongIdentityNamesBoth() throws IOException {
    String message = failure(sign(ALICE, REF, MANIFEST), ALICE, "registry.example.com/team/app:2",
        MANIFEST);
    assertTrue(message.contains("is for identity '" + REF
        + "', not the required 'registry.example.com/team/app:2'"), message);
    // identities match exactly: no docker.io normalization
    byte[] shortName = sign(ALICE, "busybox:latest", MANIFEST);
    assertThrows(SignatureException.class,
        () -> verify(shortName, ALICE, "docker.io/library/busybox:latest", MANIFEST));
  }

  @Test
  void sizeLimits() throws IOException {
    byte[] huge = new byte[SignatureStore.MAX_SIGNATURE + 1];
    String message = failure(huge, ALICE, REF, MANIFEST);
    assertTrue(message.contains("larger than 65536 bytes"), message);
    String payload = "{\"critical\":{},\"optional\":{\"pad\":\"" + "x".repeat(20_000) + "\"}}";
    String big = failure(signRaw(ALICE, payload), ALICE, REF, MANIFEST);
    assertTrue(big.contains("larger than " + SignaturePayload.MAX_JSON), big);
  }

  @Test
  void garbageAndUnsignedMessagesAreRejected() throws IOException {
    String garbage = failure("not a signature".getBytes(StandardCharsets.US_ASCII), ALICE, REF,
        MANIFEST);
    assertTrue(garbage.contains("OpenPGP"), garbage);
    String empty = failure(new byte[0], ALICE, REF, MANIFEST);
    assertTrue(empty.contains("not an OpenPGP signed message"), empty);
    // a literal data packet alone: the payload, but no signature
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] json = SignaturePayload.build(REF, MANIFEST, "x", 1);
    try (OutputStream data = new PGPLiteralDataGenerator()
        .open(out, PGPLiteralData.BINARY, "", json.length, new Date())) {
      data.write(json);
    }
    String literal = failure(out.toByteArray(), ALICE, REF, MANIFEST);
    assertTrue(literal.contains("not an OpenPGP signed message"), literal);
  }

  @Test
  void compressedSignedMessageVerifiesLikeGpgMakesIt() throws IOException {
    byte[] plain = sign(ALICE, REF, MANIFEST);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PGPCompressedDataGenerator zip = new PGPCompressedDataGenerator(PGPCompressedData.ZLIB);
    try (OutputStream z = zip.open(out)) {
      z.write(plain);
    }
    assertEquals(REF, verify(out.toByteArray(), ALICE, REF, MANIFEST).dockerReference());
  }

  @Test
  void compressionBombIsCutShort() throws IOException {
    // 8 MiB of literal data deflates to a few KiB: a small blob that must not be inflated whole
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PGPCompressedDataGenerator zip = new PGPCompressedDataGenerator(PGPCompressedData.ZIP);
    // a real one-pass signature packet (2 bytes of header, 13 of body), then the huge literal
    byte[] onePass = java.util.Arrays.copyOf(sign(ALICE, REF, MANIFEST), 15);
    try (OutputStream z = zip.open(out)) {
      z.write(onePass);
      try (OutputStream data = new PGPLiteralDataGenerator()
          .open(z, PGPLiteralData.BINARY, "", 8 << 20, new Date())) {
        data.write(new byte[8 << 20]);
      }
    }
    assertTrue(out.size() < SignatureStore.MAX_SIGNATURE, "bomb is " + out.size() + " bytes");
    String message = failure(out.toByteArray(), ALICE, REF, MANIFEST);
    assertTrue(message.contains("larger than " + SignaturePayload.MAX_JSON), message);
  }

  @Test
  void strictPayloadParsing() throws IOException {
    String ok = new String(SignaturePayload.build(REF, MANIFEST, "t", 1), StandardCharsets.UTF_8);
    assertEquals(REF, verify(signRaw(ALICE, ok), ALICE, REF, MANIFEST).dockerReference());
    String[][] cases = {
      {ok.replace("\"type\":", "\"extra\":1,\"type\":"), "unknown member 'extra' in critical"},
      {ok.replace("\"docker-manifest-digest\"", "\"x\":1,\"docker-manifest-digest\""),
          "unknown member 'x' in critical.image"},
      {ok.replace("atomic container signature", "other"), "critical.type 'other'"},
      {ok.replace(",\"identity\":{\"docker-reference\":\"" + REF + "\"}", ""),
          "missing member critical.identity"},
      {ok.replace("\"timestamp\":1", "\"timestamp\":\"1\""), "optional.timestamp"},
      {ok.replace("{\"critical\":", "{\"critical\":{},\"critical\":"), "not valid JSON"},
      {ok + "x", "not valid JSON"},
      {ok.replace("}}", "},\"more\":{}}"), "unknown member 'more' in the top-level object"},
      {ok.replace(MANIFEST.toString(), "md5:abc"), "not a supported digest"},
    };
    for (String[] c : cases) {
      String message = failure(signRaw(ALICE, c[0]), ALICE, REF, MANIFEST);
      assertTrue(message.contains(c[1]), c[0] + " -> " + message);
    }
    // unknown optional members are accepted
    String extra = ok.replace("\"creator\"", "\"future\":[1,2],\"creator\"");
    assertEquals(REF, verify(signRaw(ALICE, extra), ALICE, REF, MANIFEST).dockerReference());
  }

  @Test
  void expiredSignaturesAndKeysAreRejected() throws IOException {
    byte[] payload = SignaturePayload.build(REF, MANIFEST, "test", 1);
    Date hourAgo = new Date((System.currentTimeMillis() / 1000 - 3600) * 1000);
    TestKeys old = TestKeys.expired("Old <old@example.com>", 7200, 0);
    assertEquals(REF, verify(old.signAt(payload, hourAgo, 0), old, REF, MANIFEST)
        .dockerReference());
    String expired = failure(old.signAt(payload, hourAgo, 60), old, REF, MANIFEST);
    assertTrue(expired.contains("signature by key " + old.fingerprint() + " expired at "),
        expired);
    // one that expires in an hour still verifies
    assertEquals(REF, verify(old.signAt(payload, hourAgo, 7200), old, REF, MANIFEST)
        .dockerReference());
  }

  @Test
  void expiredKeysNeitherSignNorVerify() throws IOException {
    byte[] payload = SignaturePayload.build(REF, MANIFEST, "test", 1);
    // made two hours ago, valid for one: a signature from its valid hour no longer counts
    TestKeys gone = TestKeys.expired("Gone <gone@example.com>", 7200, 3600);
    Date then = new Date((System.currentTimeMillis() / 1000 - 5400) * 1000);
    String verified = failure(gone.signAt(payload, then, 0), gone, REF, MANIFEST);
    assertTrue(verified.contains("is not trusted: it expired at "), verified);
    String signing = assertThrows(SignatureException.class, () -> sign(gone, REF, MANIFEST))
        .getMessage();
    assertTrue(signing.contains("no key in the secret key file can sign: "
        + gone.fingerprint() + ": it expired at "), signing);
  }

  @Test
  void signatureOlderThanItsKeyIsRejected() throws IOException {
    byte[] payload = SignaturePayload.build(REF, MANIFEST, "test", 1);
    Date before = new Date((System.currentTimeMillis() / 1000 - 86400) * 1000);
    String message = failure(ALICE.signAt(payload, before, 0), ALICE, REF, MANIFEST);
    assertTrue(message.contains("before the key was created"), message);
  }

  @Test
  void inspectReadsWithoutVerifying() throws IOException {
    SignatureInfo info = SimpleSigning.inspect(sign(BOB, REF, MANIFEST));
    assertEquals(BOB.fingerprint(), info.keyFingerprint());
    assertEquals(REF, info.dockerReference());
    assertEquals(MANIFEST, info.manifestDigest());
    assertThrows(SignatureException.class,
        () -> SimpleSigning.inspect("junk".getBytes(StandardCharsets.US_ASCII)));
    String payload = failureOf(() -> SimpleSigning.inspect(signRaw(ALICE, "{}")));
    assertTrue(payload.contains("missing member critical"), payload);
  }

  private static String failureOf(org.junit.jupiter.api.function.Executable call) {
    return assertThrows(SignatureException.class, call).getMessage();
  }

  /**
   * A stored signature damaged on disk (a byte flipped, cut short, zeroed, replaced by a valid
   * signature of another image, a directory, a dangling link) never verifies: the check fails,
   * naming the file when it cannot be read.
   */
  @Test
  void aDamagedStoredSignatureNeverVerifies() throws IOException {
    Path aliceKey = Files.write(dir.resolve("alice.pub"), TestKeys.armor(ALICE.publicKeys()));
    byte[] good = sign(ALICE, REF, MANIFEST);
    byte[] otherImage = sign(ALICE, REF, OTHER);
    java.util.Map<String, org.junit.jupiter.api.function.ThrowingConsumer<Path>> damages =
        new java.util.LinkedHashMap<>();
    damages.put("flipped", f -> {
      byte[] b = good.clone();
      b[b.length / 2] ^= 0x01;
      Files.write(f, b);
    });
    damages.put("cut short", f -> Files.write(f, Arrays.copyOf(good, good.length / 2)));
    damages.put("zeroed", f -> Files.write(f, new byte[good.length]));
    damages.put("another image's", f -> Files.write(f, otherImage));
    damages.put("a directory", f -> {
      Files.delete(f);
      Files.createDirectory(f);
    });
    damages.put("a dangling link", f -> {
      Files.delete(f);
      Files.createSymbolicLink(f, f.resolveSibling("nowhere"));
    });
    int n = 0;
    for (var d : damages.entrySet()) {
      ContentStore store = ContentStore.open(dir.resolve("damaged-" + n++));
      Path file = SignatureStore.add(store, MANIFEST, good);
      assertEquals(ALICE.fingerprint(),
          SimpleSigning.requireSigned(store, MANIFEST, aliceKey, REF).keyFingerprint());
      try {
        d.getValue().accept(file);
      } catch (Throwable t) {
        throw new AssertionError(t);
      }
      IOException e = assertThrows(IOException.class,
          () -> SimpleSigning.requireSigned(store, MANIFEST, aliceKey, REF), d.getKey());
      if (!(e instanceof SignatureException)) {
        assertTrue(e.getMessage().contains(file.toString()), d.getKey() + ": " + e);
      }
    }
  }

  @Test
  void requireSignedTriesEveryStoredSignature() throws IOException {
    ContentStore store = ContentStore.open(dir.resolve("store"));
    Path aliceKey = Files.write(dir.resolve("alice.pub"), TestKeys.armor(ALICE.publicKeys()));
    String none = assertThrows(SignatureException.class,
        () -> SimpleSigning.requireSigned(store, MANIFEST, aliceKey, null)).getMessage();
    assertTrue(none.contains("image " + MANIFEST + " has no signature by key "
        + ALICE.fingerprint() + ": no signatures stored"), none);

    SignatureStore.add(store, MANIFEST, sign(BOB, REF, MANIFEST));
    SignatureStore.add(store, MANIFEST, sign(ALICE, "other/ref:1", MANIFEST));
    String two = assertThrows(SignatureException.class,
        () -> SimpleSigning.requireSigned(store, MANIFEST, aliceKey, REF)).getMessage();
    assertTrue(two.contains("for identity '" + REF + "': 2 signature(s) tried: signature-1: "
        + "signature made by unknown key " + BOB.keyId()), two);
    assertTrue(two.contains("signature-2: signature by key " + ALICE.fingerprint()
        + " is for identity 'other/ref:1'"), two);

    SignatureStore.add(store, MANIFEST, sign(ALICE, REF, MANIFEST));
    SignatureInfo info = SimpleSigning.requireSigned(store, MANIFEST, aliceKey, REF);
    assertEquals(ALICE.fingerprint(), info.keyFingerprint());
    // signatures are per manifest
    assertThrows(SignatureException.class,
        () -> SimpleSigning.requireSigned(store, OTHER, aliceKey, null));
    String noFile = assertThrows(SignatureException.class, () -> SimpleSigning.requireSigned(
        store, MANIFEST, dir.resolve("missing.pub"), null)).getMessage();
    assertTrue(noFile.contains("missing.pub"), noFile);
  }

  @Test
  void requireSignedAllReturnsEverySignatureThatVerifiesInStoredOrder() throws IOException {
    ContentStore store = ContentStore.open(dir.resolve("store"));
    Path aliceKey = Files.write(dir.resolve("alice.pub"), TestKeys.armor(ALICE.publicKeys()));
    String none = assertThrows(SignatureException.class,
        () -> SimpleSigning.requireSignedAll(store, MANIFEST, aliceKey, null)).getMessage();
    assertEquals(assertThrows(SignatureException.class,
        () -> SimpleSigning.requireSigned(store, MANIFEST, aliceKey, null)).getMessage(), none);

    SignatureStore.add(store, MANIFEST, sign(ALICE, "other/ref:1", MANIFEST));
    SignatureStore.add(store, MANIFEST, sign(BOB, REF, MANIFEST));
    SignatureStore.add(store, MANIFEST, sign(ALICE, REF, MANIFEST));
    List<SignatureInfo> all = SimpleSigning.requireSignedAll(store, MANIFEST, aliceKey, null);
    assertEquals(List.of("other/ref:1", REF),
        all.stream().map(SignatureInfo::dockerReference).toList());
    assertTrue(all.stream().allMatch(i -> i.keyFingerprint().equals(ALICE.fingerprint())
        && i.manifestDigest().equals(MANIFEST)), all.toString());
    // the identity still selects; requireSigned still stops at the first
    assertEquals(List.of(REF), SimpleSigning.requireSignedAll(store, MANIFEST, aliceKey, REF)
        .stream().map(SignatureInfo::dockerReference).toList());
    assertEquals("other/ref:1",
        SimpleSigning.requireSigned(store, MANIFEST, aliceKey, null).dockerReference());
  }

  @Test
  void signatureStoreNamesAndDeduplicates() throws IOException {
    ContentStore store = ContentStore.open(dir.resolve("store"));
    byte[] one = sign(ALICE, REF, MANIFEST);
    byte[] two = sign(BOB, REF, MANIFEST);
    Path first = SignatureStore.add(store, MANIFEST, one);
    assertEquals(store.root().resolve("layerfs/signatures/sha256/" + MANIFEST.hex()
        + "/signature-1"), first);
    assertEquals(first, SignatureStore.add(store, MANIFEST, one));
    Path second = SignatureStore.add(store, MANIFEST, two);
    assertEquals("signature-2", second.getFileName().toString());
    var list = SignatureStore.list(store, MANIFEST);
    assertEquals(2, list.size());
    assertArrayEquals(one, list.get(0));
    assertArrayEquals(two, list.get(1));
    assertTrue(SignatureStore.list(store, OTHER).isEmpty());
    assertThrows(IllegalArgumentException.class,
        () -> SignatureStore.add(store, MANIFEST, new byte[SignatureStore.MAX_SIGNATURE + 1]));
    // no temp files left behind
    try (var temps = Files.list(store.root().resolve("layerfs/tmp"))) {
      assertEquals(0, temps.count());
    }
  }

  @Test
  void oversizedStoredSignatureIsRejectedNotRead() throws IOException {
    ContentStore store = ContentStore.open(dir.resolve("store"));
    Path sigDir = Files.createDirectories(SignatureStore.directory(store, MANIFEST));
    Files.write(sigDir.resolve("signature-1"), new byte[1 << 20]);
    Files.write(sigDir.resolve("signature-2"), sign(ALICE, REF, MANIFEST));
    assertEquals(SignatureStore.MAX_SIGNATURE + 1,
        SignatureStore.list(store, MANIFEST).get(0).length);
    Path key = Files.write(dir.resolve("alice.pub"), ALICE.publicKeys());
    assertEquals(REF, SimpleSigning.requireSigned(store, MANIFEST, key, REF).dockerReference());
  }
}
