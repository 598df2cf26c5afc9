package io.layerfs.core.signing;

import io.layerfs.core.SignatureException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureSubpacketVector;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * OpenPGP key plumbing for {@link SimpleSigning}: reading key files as gpg exports them (armored
 * or binary), naming keys as gpg prints them, and the checks that make a key usable for a data
 * signature (signing-capable, not revoked, not expired, and for a subkey: bound to its primary
 * by a binding signature that verifies).
 */
final class OpenPgpKeys {
  // a key file with a few keys is a few KiB; gpg exports of big keyrings stay well below this
  static final int MAX_KEY_FILE = 4 << 20;
  private static final HexFormat HEX = HexFormat.of().withUpperCase();

  private OpenPgpKeys() {}

  /** Public keys as {@code gpg --export [--armor]} writes them; {@code what} names the source. */
  static PGPPublicKeyRingCollection publicKeys(InputStream in, String what) throws IOException {
    byte[] data = readLimited(in, what);
    try {
      PGPPublicKeyRingCollection keys = new PGPPublicKeyRingCollection(
          PGPUtil.getDecoderStream(new java.io.ByteArrayInputStream(data)),
          new BcKeyFingerprintCalculator());
      if (keys.size() == 0) {
        throw new SignatureException("no OpenPGP public key in " + what);
      }
      return keys;
    } catch (PGPException | IOException | RuntimeException e) {
      if (e instanceof SignatureException se) {
        throw se;
      }
      throw new SignatureException("cannot read OpenPGP public keys from " + what + ": "
          + e.getMessage(), e);
    }
  }

  /** Secret keys as {@code gpg --export-secret-keys [--armor]} writes them. */
  static PGPSecretKeyRingCollection secretKeys(InputStream in, String what) throws IOException {
    byte[] data = readLimited(in, what);
    try {
      PGPSecretKeyRingCollection keys = new PGPSecretKeyRingCollection(
          PGPUtil.getDecoderStream(new java.io.ByteArrayInputStream(data)),
          new BcKeyFingerprintCalculator());
      if (keys.size() == 0) {
        throw new SignatureException("no OpenPGP secret key in " + what);
      }
      return keys;
    } catch (PGPException | IOException | RuntimeException e) {
      if (e instanceof SignatureException se) {
        throw se;
      }
      throw new SignatureException("cannot read OpenPGP secret keys from " + what + ": "
          + e.getMessage(), e);
    }
  }

  private static byte[] readLimited(InputStream in, String what) throws IOException {
    byte[] data = in.readNBytes(MAX_KEY_FILE + 1);
    if (data.length > MAX_KEY_FILE) {
      throw new SignatureException(what + " is larger than " + MAX_KEY_FILE
          + " bytes; not an OpenPGP key file");
    }
    return data;
  }

  /** Uppercase hex, as gpg prints fingerprints. */
  static String fingerprint(PGPPublicKey key) {
    return HEX.formatHex(key.getFingerprint());
  }

  /** The 16 hex digit long key id. */
  static String keyId(long id) {
    return String.format(Locale.ROOT, "%016X", id);
  }

  /** The primary-key fingerprints of a collection, for messages. */
  static List<String> fingerprints(PGPPublicKeyRingCollection keys) {
    List<String> out = new ArrayList<>();
    for (PGPPublicKeyRing ring : keys) {
      out.add(fingerprint(ring.getPublicKey()));
    }
    return out;
  }

  /**
   * Normalizes a user's key name: a v4 (40 hex) or v6 (64 hex) fingerprint or a long key id (16
   * hex), with an optional {@code 0x} and spaces, to uppercase hex.
   *
   * @throws IllegalArgumentException for anything else (short ids are ambiguous and refused)
   */
  static String normalizeKeyName(String name) {
    String s = name.replace(" ", "").toUpperCase(Locale.ROOT);
    if (s.startsWith("0X")) {
      s = s.substring(2);
    }
    if (!s.matches("[0-9A-F]{16}|[0-9A-F]{40}|[0-9A-F]{64}")) {
      throw new IllegalArgumentException("key id '" + name + "' is neither a fingerprint "
          + "(40 or 64 hex digits) nor a long key id (16 hex digits)");
    }
    return s;
  }

  /** Whether {@code key} is named by a normalized fingerprint or long key id. */
  static boolean matches(PGPPublicKey key, String normalized) {
    return normalized.length() == 16
        ? keyId(key.getKeyID()).equals(normalized)
        : fingerprint(key).equals(normalized);
  }

  /** Why a secret key cannot make a data signature now, or null if it can. */
  static String whyNotSigning(PGPSecretKey key, Instant now) {
    if (key.isPrivateKeyEmpty()) {
      return "its secret part is not in the key file (a gpg stub)";
    }
    if (!key.isSigningKey()) {
      return "its algorithm cannot sign";
    }
    return whyNotUsable(key.getPublicKey(), now);
  }

  /** Why a public key cannot have made a valid data signature at {@code now}, or null. */
  static String whyNotUsable(PGPPublicKey key, Instant now) {
    String why = whyNotValid(key, now);
    if (why != null) {
      return why;
    }
    int flags = keyFlags(key);
    if (flags >= 0 && (flags & KeyFlags.SIGN_DATA) == 0) {
      return "its key flags do not allow signing data";
    }
    return null;
  }

  /** Why a key is revoked or expired at {@code now}, or null. */
  static String whyNotValid(PGPPublicKey key, Instant now) {
    if (key.hasRevocation()) {
      return "it is revoked";
    }
    long valid = key.getValidSeconds();
    if (valid > 0) {
      Instant expiry = key.getCreationTime().toInstant().plusSeconds(valid);
      if (expiry.isBefore(now)) {
        return "it expired at " + expiry;
      }
    }
    return null;
  }

  /**
   * Checks that subkey {@code key} of {@code ring} is bound to the primary key by a subkey
   * binding signature that verifies (primary keys are trusted as the key file gives them).
   */
  static String whyNotBound(PGPPublicKeyRing ring, PGPPublicKey key) {
    if (key.isMasterKey()) {
      return null;
    }
    PGPPublicKey primary = ring.getPublicKey();
    for (Iterator<PGPSignature> it = key.getSignaturesOfType(PGPSignature.SUBKEY_BINDING);
        it.hasNext(); ) {
      PGPSignature binding = it.next();
      try {
        binding.init(new BcPGPContentVerifierBuilderProvider(), primary);
        if (binding.verifyCertification(primary, key)) {
          return null;
        }
      } catch (PGPException | RuntimeException e) {
        // a binding that cannot be checked does not bind; try the next one
      }
    }
    return "subkey " + fingerprint(key) + " has no valid binding signature by its primary key "
        + fingerprint(primary);
  }

  /** The newest self-signature's key flags, or -1 when no self-signature states any. */
  private static int keyFlags(PGPPublicKey key) {
    int flags = -1;
    long newest = Long.MIN_VALUE;
    for (Iterator<PGPSignature> it = key.getSignatures(); it.hasNext(); ) {
      PGPSignature sig = it.next();
      boolean self = key.isMasterKey()
          ? (sig.isCertification() || sig.getSignatureType() == PGPSignature.DIRECT_KEY)
              && sig.getKeyID() == key.getKeyID()
          : sig.getSignatureType() == PGPSignature.SUBKEY_BINDING;
      PGPSignatureSubpacketVector hashed = sig.getHashedSubPackets();
      if (self && hashed != null && hashed.getKeyFlags() != 0
          && sig.getCreationTime().getTime() > newest) {
        newest = sig.getCreationTime().getTime();
        flags = hashed.getKeyFlags();
      }
    }
    return flags;
  }

  /** Whether a data signature's hash is one still considered collision resistant. */
  static boolean strongHash(int algorithm) {
    return switch (algorithm) {
      case HashAlgorithmTags.SHA224, HashAlgorithmTags.SHA256, HashAlgorithmTags.SHA384,
          HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA3_256, HashAlgorithmTags.SHA3_512 -> true;
      default -> false;
    };
  }

  /** Secret keys of a collection in file order: each ring's primary key, then its subkeys. */
  static List<PGPSecretKey> allSecretKeys(PGPSecretKeyRingCollection keys) {
    List<PGPSecretKey> out = new ArrayList<>();
    for (PGPSecretKeyRing ring : keys) {
      ring.getSecretKeys().forEachRemaining(out::add);
    }
    return out;
  }
}
