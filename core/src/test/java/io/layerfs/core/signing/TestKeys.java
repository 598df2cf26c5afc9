package io.layerfs.core.signing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.Date;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;

/** OpenPGP keys made by Bouncy Castle for tests, exported as gpg exports them. */
record TestKeys(byte[] secret, byte[] publicKeys, String fingerprint, String keyId) {

  /** An Ed25519 primary key that certifies and signs. */
  static TestKeys generate(String userId, char[] passphraseOrNull) {
    return generate(userId, passphraseOrNull, false);
  }

  /**
   * An Ed25519 key; with {@code signingSubkey} the primary only certifies and a subkey signs
   * ({@code fingerprint} and {@code keyId} are then the subkey's).
   */
  static TestKeys generate(String userId, char[] passphraseOrNull, boolean signingSubkey) {
    return generate(userId, passphraseOrNull, signingSubkey, 1, 0);
  }

  /** A signing key made {@code ageSeconds} ago that expired {@code lifeSeconds} after that. */
  static TestKeys expired(String userId, long ageSeconds, long lifeSeconds) {
    return generate(userId, null, false, ageSeconds, lifeSeconds);
  }

  private static TestKeys generate(String userId, char[] passphraseOrNull,
      boolean signingSubkey, long ageSeconds, long lifeSecondsOrZero) {
    try {
      PGPKeyPair primary = ed25519(ageSeconds);
      PGPSignatureSubpacketGenerator flags = new PGPSignatureSubpacketGenerator();
      flags.setKeyFlags(true,
          signingSubkey ? KeyFlags.CERTIFY_OTHER : KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
      if (lifeSecondsOrZero > 0) {
        flags.setKeyExpirationTime(true, lifeSecondsOrZero);
      }
      var sha1 = new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1);
      var encryptor = passphraseOrNull == null ? null
          : new BcPBESecretKeyEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256, sha1)
              .setSecureRandom(new SecureRandom()).build(passphraseOrNull);
      PGPKeyRingGenerator generator = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION,
          primary, userId, sha1, flags.generate(), null,
          new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY,
              HashAlgorithmTags.SHA256), encryptor);
      PGPKeyPair signer = primary;
      if (signingSubkey) {
        signer = ed25519(ageSeconds);
        PGPSignatureSubpacketGenerator subFlags = new PGPSignatureSubpacketGenerator();
        subFlags.setKeyFlags(true, KeyFlags.SIGN_DATA);
        generator.addSubKey(signer, subFlags.generate(), null);
      }
      ByteArrayOutputStream secret = new ByteArrayOutputStream();
      generator.generateSecretKeyRing().encode(secret);
      ByteArrayOutputStream pub = new ByteArrayOutputStream();
      generator.generatePublicKeyRing().encode(pub);
      return new TestKeys(secret.toByteArray(), pub.toByteArray(),
          OpenPgpKeys.fingerprint(signer.getPublicKey()),
          OpenPgpKeys.keyId(signer.getKeyID()));
    } catch (PGPException | IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Made {@code ageSeconds} ago (at least 1, so signatures made now are never older). */
  private static PGPKeyPair ed25519(long ageSeconds) throws PGPException {
    Ed25519KeyPairGenerator g = new Ed25519KeyPairGenerator();
    g.init(new Ed25519KeyGenerationParameters(new SecureRandom()));
    return new BcPGPKeyPair(PublicKeyAlgorithmTags.EDDSA_LEGACY, g.generateKeyPair(),
        new Date((System.currentTimeMillis() / 1000 - ageSeconds) * 1000));
  }

  /**
   * A one-pass signed message of {@code payload} made with this ring's first key at {@code
   * created}, expiring {@code expirySeconds} later (0: never): what {@link SimpleSigning} would
   * refuse to make.
   */
  byte[] signAt(byte[] payload, Date created, long expirySeconds) {
    try {
      PGPSecretKey key = new PGPSecretKeyRingCollection(secret, new BcKeyFingerprintCalculator())
          .getKeyRings().next().getSecretKey();
      PGPPrivateKey privateKey = key.extractPrivateKey(
          new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider())
              .build(new char[0]));
      PGPSignatureGenerator generator = new PGPSignatureGenerator(
          new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY,
              HashAlgorithmTags.SHA256), key.getPublicKey());
      generator.init(PGPSignature.BINARY_DOCUMENT, privateKey);
      PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
      hashed.setSignatureCreationTime(false, created);
      hashed.setIssuerFingerprint(false, key.getPublicKey());
      if (expirySeconds > 0) {
        hashed.setSignatureExpirationTime(true, expirySeconds);
      }
      generator.setHashedSubpackets(hashed.generate());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      generator.generateOnePassVersion(false).encode(out);
      try (OutputStream data = new PGPLiteralDataGenerator()
          .open(out, PGPLiteralData.BINARY, "", payload.length, created)) {
        data.write(payload);
      }
      generator.update(payload);
      generator.generate().encode(out);
      return out.toByteArray();
    } catch (PGPException | IOException e) {
      throw new AssertionError(e);
    }
  }

  /** ASCII armor, as {@code gpg --armor} writes. */
  static byte[] armor(byte[] binary) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream armored = new ArmoredOutputStream(out)) {
      armored.write(binary);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }
}
