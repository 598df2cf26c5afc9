package io.layerfs.core;

import java.time.Instant;

/**
 * What a verified container signature says: the fingerprint of the trusted key that made it (of
 * the primary key, uppercase hex as gpg prints it, also when a signing subkey made it), the
 * docker reference it claims for the image, the manifest digest it covers and when it was made
 * (the OpenPGP signature's creation time).
 */
public record SignatureInfo(String keyFingerprint, String dockerReference, Digest manifestDigest,
    Instant created) {}
