package io.layerfs.cli;

import io.layerfs.core.Compression;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --compression gzip|zstd|none}: the layer compression of a new image. */
final class CompressionConverter implements ITypeConverter<Compression> {
  @Override
  public Compression convert(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "gzip" -> Compression.GZIP;
      case "zstd" -> Compression.ZSTD;
      case "none" -> Compression.NONE;
      default -> throw new TypeConversionException(
          "expected gzip, zstd or none but was '" + value + "'");
    };
  }
}
