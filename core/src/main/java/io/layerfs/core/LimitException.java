package io.layerfs.core;

import java.io.IOException;

/**
 * An untrusted image went past one of the store's {@link Limits}; the message names the limit,
 * its value, how to raise it, and what went past it.
 */
public final class LimitException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String limit;
  private final long value;

  LimitException(String limit, long value, String message) {
    super(message);
    this.limit = limit;
    this.value = value;
  }

  /** The limit's name, as {@link Limits.Builder} and the {@code layerfs.limit.*} properties. */
  public String limit() {
    return limit;
  }

  /** The limit's value when it was hit. */
  public long value() {
    return value;
  }

  /** The same error with {@code where} (a layer, a blob) put before the message. */
  public LimitException in(String where) {
    LimitException e = new LimitException(limit, value, where + ": " + getMessage());
    e.initCause(this);
    return e;
  }
}
