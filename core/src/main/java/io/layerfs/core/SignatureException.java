package io.layerfs.core;

import java.io.IOException;

/**
 * A container signature that does not verify, or cannot be made: malformed OpenPGP data, a key
 * that is unknown, expired or revoked, a bad cryptographic signature, a payload that is not an
 * atomic container signature, or one made for another manifest digest or identity. The message
 * says which check failed and, for mismatches, both values.
 */
public final class SignatureException extends IOException {
  private static final long serialVersionUID = 1L;

  public SignatureException(String message) {
    super(message);
  }

  public SignatureException(String message, Throwable cause) {
    super(message, cause);
  }
}
