package io.layerfs.core.signing;

import io.layerfs.core.Digest;
import io.layerfs.core.SignatureException;
import io.layerfs.core.SignatureInfo;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.store.Container;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.sig.IssuerFingerprint;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPOnePassSignature;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;

/**
 * Simple signing as {@code skopeo standalone-sign} does it: makes and verifies the OpenPGP
 * signatures of manifest digests; every failure is a {@link SignatureException} (the package
 * documentation has the format and the order of the checks). Stateless and thread-safe.
 */
public final class SimpleSigning {
  /** Signatures bigger than this are rejected unread (real ones are well under 1 KiB). */
  // inflated content of a compressed message: payload plus signature packets, generously
  private static final long MAX_INFLATED = 256 << 10;

  private SimpleSigning() {}

  /**
   * Signs {@code manifestDigest} for {@code dockerReference} and returns the signature blob.
   *
   * @param secretKeys a secret key ring as {@code gpg --export-secret-keys [--armor]} writes it
   * @param passphrase the keys' passphrase; null or empty for unprotected keys
   * @param keyIdOrNull a fingerprint or long key id naming the key, or null for the first key
   *     able to sign
   * @throws SignatureException if no key can sign, the named key is not there or the passphrase
   *     is wrong
   */
  public static byte[] sign(InputStream secretKeys, char[] passphrase, String keyIdOrNull,
      String dockerReference, Digest manifestDigest) throws IOException {
    Objects.requireNonNull(manifestDigest, "manifestDigest");
    if (dockerReference == null || dockerReference.isBlank()) {
      throw new IllegalArgumentException("docker reference to sign for is empty");
    }
    Instant now = Instant.now();
    byte[] payload = SignaturePayload.build(dockerReference, manifestDigest, creator(),
        now.getEpochSecond());
    return signPayload(secretKeys, passphrase, keyIdOrNull, payload, now);
  }

  /** Signs any payload (tests use it to make signatures of malformed payloads). */
  static byte[] signPayload(InputStream secretKeys, char[] passphrase, String keyIdOrNull,
      byte[] payload, Instant now) throws IOException {
    PGPSecretKeyRingCollection keys = OpenPgpKeys.secretKeys(secretKeys, "the secret key file");
    PGPSecretKey key = chooseKey(keys, keyIdOrNull, now);
    PGPPublicKey publicKey = key.getPublicKey();
    String name = OpenPgpKeys.fingerprint(publicKey);
    PGPPrivateKey privateKey;
    try {
      privateKey = key.extractPrivateKey(
          new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider())
              .build(passphrase == null ? new char[0] : passphrase));
    } catch (PGPException | RuntimeException e) {
      throw new SignatureException("cannot unlock secret key " + name
          + " (wrong passphrase?): " + e.getMessage(), e);
    }
    // seconds, as OpenPGP stores times: the payload's timestamp and the signature then agree
    Date created = new Date(now.getEpochSecond() * 1000);
    try {
      PGPSignatureGenerator generator = new PGPSignatureGenerator(
          new BcPGPContentSignerBuilder(publicKey.getAlgorithm(), HashAlgorithmTags.SHA256),
          publicKey);
      generator.init(PGPSignature.BINARY_DOCUMENT, privateKey);
      PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
      hashed.setSignatureCreationTime(false, created);
      hashed.setIssuerFingerprint(false, publicKey);
      generator.setHashedSubpackets(hashed.generate());
      PGPSignatureSubpacketGenerator unhashed = new PGPSignatureSubpacketGenerator();
      unhashed.setIssuerKeyID(false, publicKey.getKeyID());
      generator.setUnhashedSubpackets(unhashed.generate());

      ByteArrayOutputStream out = new ByteArrayOutputStream();
      generator.generateOnePassVersion(false).encode(out);
      PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
      try (OutputStream data =
          literal.open(out, PGPLiteralData.BINARY, "", payload.length, created)) {
        data.write(payload);
      }
      generator.update(payload);
      generator.generate().encode(out);
      return out.toByteArray();
    } catch (PGPException | RuntimeException e) {
      throw new SignatureException("cannot sign with key " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Verifies {@code signature} against {@code publicKeys} and checks that it claims {@code
   * manifestDigest} and, when given, exactly the docker reference {@code identityOrNull}.
   *
   * @param publicKeys trusted keys as {@code gpg --export [--armor]} writes them
   * @throws SignatureException saying which check failed
   */
  public static SignatureInfo verify(byte[] signature, InputStream publicKeys,
      String identityOrNull, Digest manifestDigest) throws IOException {
    Objects.requireNonNull(manifestDigest, "manifestDigest");
    PGPPublicKeyRingCollection keys = OpenPgpKeys.publicKeys(publicKeys, "the public key file");
    return verify(signature, keys, identityOrNull, manifestDigest);
  }

  /**
   * Succeeds when one of the signatures stored for {@code manifestDigest} (see {@link
   * SignatureStore}) verifies with a key of {@code publicKeyFile} (and claims {@code
   * identityOrNull} when given); returns what the first such signature says.
   *
   * @throws SignatureException naming the image and key(s), how many signatures were tried and
   *     why each failed
   */
  public static SignatureInfo requireSigned(ContentStore store, Digest manifestDigest,
      Path publicKeyFile, String identityOrNull) throws IOException {
    return verified(store, manifestDigest, publicKeyFile, identityOrNull, true).get(0);
  }

  /**
   * As {@link #requireSigned}, but returns what every signature that verifies says, in the order
   * they are stored, as {@code skopeo standalone-verify} users check each: an image signed for
   * two identities, or by two trusted keys, shows both.
   *
   * @throws SignatureException as {@link #requireSigned}, when none verifies
   */
  public static List<SignatureInfo> requireSignedAll(ContentStore store, Digest manifestDigest,
      Path publicKeyFile, String identityOrNull) throws IOException {
    return verified(store, manifestDigest, publicKeyFile, identityOrNull, false);
  }

  /** The signatures that verify (the first alone with {@code firstOnly}); never empty. */
  private static List<SignatureInfo> verified(ContentStore store, Digest manifestDigest,
      Path publicKeyFile, String identityOrNull, boolean firstOnly) throws IOException {
    Objects.requireNonNull(manifestDigest, "manifestDigest");
    PGPPublicKeyRingCollection keys;
    try (InputStream in = Files.newInputStream(publicKeyFile)) {
      keys = OpenPgpKeys.publicKeys(in, "public key file " + publicKeyFile);
    } catch (SignatureException e) {
      throw e;
    } catch (IOException e) {
      String why = e instanceof java.nio.file.NoSuchFileException ? "no such file"
          : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
          : e.getMessage();
      throw new SignatureException("cannot read public key file " + publicKeyFile + ": " + why,
          e);
    }
    List<byte[]> signatures = SignatureStore.list(store, manifestDigest);
    List<SignatureInfo> verified = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < signatures.size(); i++) {
      try {
        verified.add(verify(signatures.get(i), keys, identityOrNull, manifestDigest));
        if (firstOnly) {
          return verified;
        }
      } catch (SignatureException e) {
        failures.add("signature-" + (i + 1) + ": " + e.getMessage());
      }
    }
    if (!verified.isEmpty()) {
      return verified;
    }
    String what = "image " + manifestDigest + " has no signature by key "
        + String.join(", ", OpenPgpKeys.fingerprints(keys))
        + (identityOrNull != null ? " for identity '" + identityOrNull + "'" : "");
    if (signatures.isEmpty()) {
      throw new SignatureException(what + ": no signatures stored for it in store "
          + store.root());
    }
    throw new SignatureException(what + ": " + signatures.size() + " signature(s) tried: "
        + String.join("; ", failures));
  }

  /**
   * Reads a signature <em>without verifying it</em>, to manage signature files (list or import
   * them): it must be a well-formed OpenPGP signed message whose payload is a well-formed atomic
   * container signature. The result is not a trust decision (anyone can make such a blob; only
   * {@link #verify} is one): {@code keyFingerprint} is the fingerprint the signature names as
   * its issuer, or its 16 hex digit key id when it names no fingerprint.
   *
   * @throws SignatureException if it is too big, not a signed message or its payload is malformed
   */
  public static SignatureInfo inspect(byte[] signature) throws SignatureException {
    if (signature.length > SignatureStore.MAX_SIGNATURE) {
      throw new SignatureException("signature is larger than " + SignatureStore.MAX_SIGNATURE + " bytes ("
          + signature.length + ")");
    }
    SignedMessage message = SignedMessage.read(signature, MAX_INFLATED,
        SignaturePayload.MAX_JSON);
    PGPSignature sig = message.signature();
    String issuer = OpenPgpKeys.keyId(sig.getKeyID());
    IssuerFingerprint fingerprint = sig.getHashedSubPackets() == null ? null
        : sig.getHashedSubPackets().getIssuerFingerprint();
    if (fingerprint != null) {
      issuer = HexFormat.of().withUpperCase().formatHex(fingerprint.getFingerprint());
    }
    SignaturePayload.Claims claims = SignaturePayload.parse(message.payload());
    return new SignatureInfo(issuer, claims.dockerReference(), claims.manifestDigest(),
        sig.getCreationTime().toInstant());
  }

  static SignatureInfo verify(byte[] signature, PGPPublicKeyRingCollection keys,
      String identityOrNull, Digest manifestDigest) throws SignatureException {
    if (signature.length > SignatureStore.MAX_SIGNATURE) {
      throw new SignatureException("signature is larger than " + SignatureStore.MAX_SIGNATURE + " bytes ("
          + (signature.length == SignatureStore.MAX_SIGNATURE + 1 ? "more" : signature.length) + ")");
    }
    SignedMessage message = SignedMessage.read(signature, MAX_INFLATED,
        SignaturePayload.MAX_JSON);
    PGPSignature sig = message.signature();
    long keyId = sig.getKeyID();
    PGPPublicKeyRing ring = keyId == 0 ? null : keys.getPublicKeyRing(keyId);
    if (ring == null) {
      throw new SignatureException("signature made by unknown key " + OpenPgpKeys.keyId(keyId)
          + "; trusted keys: " + String.join(", ", OpenPgpKeys.fingerprints(keys)));
    }
    PGPPublicKey key = ring.getPublicKey(keyId);
    String name = OpenPgpKeys.fingerprint(key);
    int type = sig.getSignatureType();
    if (type != PGPSignature.BINARY_DOCUMENT && type != PGPSignature.CANONICAL_TEXT_DOCUMENT) {
      throw new SignatureException("OpenPGP signature by key " + name + " is of type " + type
          + ", not a document signature");
    }
    if (!OpenPgpKeys.strongHash(sig.getHashAlgorithm())) {
      throw new SignatureException("OpenPGP signature by key " + name
          + " uses weak or unknown hash algorithm " + sig.getHashAlgorithm());
    }
    boolean good;
    try {
      PGPOnePassSignature onePass = message.onePass();
      if (onePass != null) {
        onePass.init(new BcPGPContentVerifierBuilderProvider(), key);
        onePass.update(message.payload());
        good = onePass.verify(sig);
      } else {
        sig.init(new BcPGPContentVerifierBuilderProvider(), key);
        sig.update(message.payload());
        good = sig.verify();
      }
    } catch (PGPException | RuntimeException e) {
      throw new SignatureException("bad signature: cannot check the OpenPGP signature by key "
          + name + ": " + e.getMessage(), e);
    }
    if (!good) {
      throw new SignatureException("bad signature: the OpenPGP signature by key " + name
          + " does not match its signed content (tampered or corrupt)");
    }
    Instant now = Instant.now();
    Instant created = sig.getCreationTime().toInstant();
    long expires = sig.getHashedSubPackets() == null ? 0
        : sig.getHashedSubPackets().getSignatureExpirationTime();
    if (expires > 0 && created.plusSeconds(expires).isBefore(now)) {
      throw new SignatureException("signature by key " + name + " expired at "
          + created.plusSeconds(expires));
    }
    if (created.isBefore(key.getCreationTime().toInstant())) {
      throw new SignatureException("signature by key " + name + " claims to be made at "
          + created + ", before the key was created");
    }
    String unusable = OpenPgpKeys.whyNotUsable(key, now);
    if (unusable == null && !key.isMasterKey()) {
      String primary = OpenPgpKeys.whyNotValid(ring.getPublicKey(), now);
      unusable = primary == null ? null : "its primary key "
          + OpenPgpKeys.fingerprint(ring.getPublicKey()) + ": " + primary;
      if (unusable == null) {
        unusable = OpenPgpKeys.whyNotBound(ring, key);
      }
    }
    if (unusable != null) {
      throw new SignatureException("signature by key " + name + " is not trusted: " + unusable);
    }
    // the signature verified: only now is the payload parsed
    SignaturePayload.Claims claims = SignaturePayload.parse(message.payload());
    if (!claims.manifestDigest().equals(manifestDigest)) {
      throw new SignatureException("signature by key " + name + " is for manifest digest "
          + claims.manifestDigest() + ", not the expected " + manifestDigest);
    }
    if (identityOrNull != null && !identityOrNull.equals(claims.dockerReference())) {
      throw new SignatureException("signature by key " + name + " is for identity '"
          + claims.dockerReference() + "', not the required '" + identityOrNull + "'");
    }
    return new SignatureInfo(OpenPgpKeys.fingerprint(ring.getPublicKey()),
        claims.dockerReference(), claims.manifestDigest(), created);
  }

  private static PGPSecretKey chooseKey(PGPSecretKeyRingCollection keys, String keyIdOrNull,
      Instant now) throws SignatureException {
    List<PGPSecretKey> all = OpenPgpKeys.allSecretKeys(keys);
    List<String> reasons = new ArrayList<>();
    if (keyIdOrNull != null) {
      String wanted = OpenPgpKeys.normalizeKeyName(keyIdOrNull);
      for (int i = 0; i < all.size(); i++) {
        PGPSecretKey key = all.get(i);
        if (!OpenPgpKeys.matches(key.getPublicKey(), wanted)) {
          continue;
        }
        String why = OpenPgpKeys.whyNotSigning(key, now);
        if (why == null) {
          return key;
        }
        reasons.add(OpenPgpKeys.fingerprint(key.getPublicKey()) + ": " + why);
        // a primary key that cannot sign: use its first subkey that can, as gpg does
        for (int j = i + 1; key.isMasterKey() && j < all.size() && !all.get(j).isMasterKey();
            j++) {
          if (OpenPgpKeys.whyNotSigning(all.get(j), now) == null) {
            return all.get(j);
          }
        }
        throw new SignatureException("key " + keyIdOrNull + " cannot sign: "
            + String.join("; ", reasons));
      }
      List<String> have = new ArrayList<>();
      all.forEach(k -> have.add(OpenPgpKeys.fingerprint(k.getPublicKey())));
      throw new SignatureException("no secret key " + keyIdOrNull
          + " in the secret key file; it holds " + String.join(", ", have));
    }
    for (PGPSecretKey key : all) {
      String why = OpenPgpKeys.whyNotSigning(key, now);
      if (why == null) {
        return key;
      }
      reasons.add(OpenPgpKeys.fingerprint(key.getPublicKey()) + ": " + why);
    }
    throw new SignatureException("no key in the secret key file can sign: "
        + String.join("; ", reasons));
  }

  /** {@code optional.creator}: names layerfs and its version, as the format asks. */
  private static String creator() {
    String version = SimpleSigning.class.getPackage().getImplementationVersion();
    return "layerfs " + (version == null ? "(development build)" : version);
  }

  /**
   * The parts of an OpenPGP signed message (RFC 4880 section 11.3), read strictly: markers are
   * skipped, one optional compressed packet may wrap the rest, and then exactly a one-pass
   * signature, a literal data packet and its signature (or a signature, then the literal data)
   * must follow, with nothing after them.
   */
  private record SignedMessage(PGPOnePassSignature onePass, byte[] payload,
      PGPSignature signature) {

    static SignedMessage read(byte[] blob, long maxInflated, int maxPayload)
        throws SignatureException {
      try {
        InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(blob));
        return read(new BcPGPObjectFactory(in), true, maxInflated, maxPayload);
      } catch (SignatureException e) {
        throw e;
      } catch (IOException | PGPException | RuntimeException e) {
        throw new SignatureException("malformed OpenPGP signature: " + e.getMessage(), e);
      }
    }

    private static SignedMessage read(BcPGPObjectFactory factory, boolean outer,
        long maxInflated, int maxPayload) throws IOException, PGPException {
      PGPOnePassSignature onePass = null;
      byte[] payload = null;
      PGPSignature signature = null;
      Object object;
      while ((object = factory.nextObject()) != null) {
        if (object instanceof PGPMarker) {
          continue;
        }
        if (object instanceof PGPCompressedData compressed && outer && onePass == null
            && payload == null && signature == null) {
          SignedMessage inner = read(new BcPGPObjectFactory(compressed.getDataStream(maxInflated)),
              false, maxInflated, maxPayload);
          if (factory.nextObject() != null) {
            throw notSigned("data after the compressed message");
          }
          return inner;
        }
        if (object instanceof PGPOnePassSignatureList list && onePass == null && payload == null
            && signature == null) {
          if (list.size() != 1) {
            throw notSigned(list.size() + " one-pass signatures; expected exactly one");
          }
          onePass = list.get(0);
        } else if (object instanceof PGPLiteralData literal && payload == null
            && (onePass != null) == (signature == null)) {
          payload = literal.getInputStream().readNBytes(maxPayload + 1);
          if (payload.length > maxPayload) {
            throw new SignatureException(
                "signed content is larger than " + maxPayload + " bytes; not a signature payload");
          }
          if (literal.getInputStream().read() != -1) {
            throw notSigned("unread literal data");
          }
        } else if (object instanceof PGPSignatureList list && signature == null
            && (onePass == null || payload != null)) {
          if (list.size() != 1) {
            throw notSigned(list.size() + " signatures; expected exactly one");
          }
          signature = list.get(0);
          if (onePass != null && (onePass.getKeyID() != signature.getKeyID()
              || onePass.getSignatureType() != signature.getSignatureType()
              || onePass.getHashAlgorithm() != signature.getHashAlgorithm())) {
            throw notSigned("the one-pass signature header does not match the signature");
          }
        } else {
          throw notSigned("unexpected " + object.getClass().getSimpleName().replace("PGP", "")
              + " packet");
        }
      }
      if (payload == null || signature == null) {
        throw notSigned(payload == null ? "no signed content" : "no signature");
      }
      return new SignedMessage(onePass, payload, signature);
    }

    private static SignatureException notSigned(String why) {
      return new SignatureException("not an OpenPGP signed message: " + why);
    }
  }
}
