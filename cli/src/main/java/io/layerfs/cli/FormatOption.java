package io.layerfs.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --format table|json}: a picocli mixin of the commands whose output is data. */
final class FormatOption {
  enum Format { TABLE, JSON }

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
      converter = FormatConverter.class,
      description = "table (default, for people) or json (for programs).")
  Format format;

  boolean json() {
    return format == Format.JSON;
  }

  /** Lower-case names, as the help text and Docker's --format spell them. */
  static final class FormatConverter implements ITypeConverter<Format> {
    @Override
    public Format convert(String value) {
      return switch (value) {
        case "json" -> Format.JSON;
        case "table" -> Format.TABLE;
        default -> throw new TypeConversionException(
            "expected 'table' or 'json' but was '" + value + "'");
      };
    }
  }
}
