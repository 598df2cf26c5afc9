/**
 * Container image "simple signing", as containers/image defines it (containers-signature(5)) and
 * {@code skopeo standalone-sign} / {@code standalone-verify} make and check it: an OpenPGP signed
 * message (not a detached signature) whose literal data is a JSON payload claiming a manifest
 * digest and a docker reference; and the signatures stored beside a store.
 *
 * <p>{@link io.layerfs.core.signing.SimpleSigning} signs and verifies; {@link
 * io.layerfs.core.signing.SignatureStore} keeps signatures on disk; {@code OpenPgpKeys} reads key
 * files as gpg exports them (armored or binary) and decides whether a key may sign data; {@code
 * SignaturePayload} builds and strictly parses the payload:
 *
 * <pre>{@code
 * {"critical":{"type":"atomic container signature",
 *              "image":{"docker-manifest-digest":"sha256:..."},
 *              "identity":{"docker-reference":"registry.example/app:1"}},
 *  "optional":{"creator":"layerfs ...","timestamp":1700000000}}
 * }</pre>
 *
 * <h2>Verification order</h2>
 *
 * As the format asks, the cryptographic signature is checked before the JSON is parsed at all:
 * size limit (64 KiB), OpenPGP structure (an optionally compressed one-pass or signature-first
 * signed message with exactly one signature and one literal data packet, nothing else), issuer
 * key among the trusted ones, SHA-2 or SHA-3 hash, signature verifies, signature not expired, key
 * not revoked or expired and allowed to sign data (a subkey must be bound to its primary by a
 * binding signature that verifies). Only then is the payload parsed strictly (exactly the known
 * members in {@code critical}, with the right types; duplicates and trailing data refused;
 * unknown members of {@code optional} accepted), its manifest digest compared with the expected
 * one and, when the caller names one, its docker reference compared exactly (no docker.io
 * normalization) with the expected identity. Every failure is a {@link
 * io.layerfs.core.SignatureException} saying which check failed and, for mismatches, both values.
 *
 * <h2>Signing</h2>
 *
 * Signs with SHA-256 and makes an uncompressed one-pass signed message, which gpg (and so skopeo)
 * verifies. The key is the one named by fingerprint or long key id, or the first key able to
 * sign; a primary key that cannot sign itself is replaced by its first signing subkey, as gpg
 * does.
 *
 * <h2>Stored signatures</h2>
 *
 * Signatures are kept as containers/image keeps a "lookaside" signature store: {@code
 * layerfs/signatures/<algorithm>/<manifest hex>/signature-1}, {@code signature-2}, ..., numbered
 * from 1 without gaps (a reader stops at the first missing number, as containers/image does).
 * Each file is a signature as {@code skopeo standalone-sign} writes it, with no header of its
 * own. A write never replaces a file: the signature goes to a temp file under {@code layerfs/tmp},
 * is fsynced, then hard-linked to the first free name (a link fails if the name exists, so
 * concurrent writers, even in other processes, take different numbers), and the directory is
 * fsynced; a signature already stored for the manifest is not stored again. Signatures are
 * untrusted data: a file bigger than the limit is read cut to one byte past it (which
 * verification rejects), and at most 1,000 are read per image. The garbage collector keeps the
 * signatures of every reachable manifest.
 *
 * <p>Thread safety: stateless; safe for concurrent use, across processes too for the store.
 */
package io.layerfs.core.signing;
