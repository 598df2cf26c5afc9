package io.layerfs.provider;

import java.nio.file.NoSuchFileException;

/**
 * The {@link NoSuchFileException} of {@link LayerFileSystemProvider#checkAccess}, without a stack
 * trace. {@code Files.exists}, {@code notExists} and {@code isReadable} call {@code checkAccess}
 * for every check and only catch what it throws; building the stack trace was most of the cost
 * of checking a missing path. The type and the message (the path) are those of the default
 * provider's exception.
 */
final class MissingFileException extends NoSuchFileException {
  private static final long serialVersionUID = 1L;

  private MissingFileException(String file) {
    super(file);
  }

  /**
   * The exception for missing {@code file}, typed as its JDK class so that verifying a caller
   * does not load this one (a fresh JVM's open of a view loads as few classes as it can).
   */
  static NoSuchFileException of(String file) {
    return new MissingFileException(file);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
