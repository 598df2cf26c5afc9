package io.layerfs.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.TypeConversionException;

/** {@code --format table|json}: an option of the commands whose output is data. */
final class FormatOption {
  enum Format { TABLE, JSON }

  private FormatOption() {}

  static OptionSpec spec() {
    return Specs.option("--format", "FORMAT", Format.class, new FormatConverter(),
        "table (default, for people) or json (for programs).").defaultValue("table").build();
  }

  /** Whether the invocation asked for JSON. */
  static boolean json(Invocation in) {
    return in.option("--format") == Format.JSON;
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
