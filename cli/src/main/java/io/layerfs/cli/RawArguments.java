package io.layerfs.cli;

import io.layerfs.core.internal.NameBytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line's arguments with the bytes the JVM could not decode. The JVM makes each byte
 * of an argument that is not UTF-8 a U+FFFD, so {@code layerfs cat IMG $'/caf\xe9.txt'} named no
 * file; Linux keeps the arguments' bytes in {@code /proc/self/cmdline}, whose last entries are
 * the program's arguments. An argument is taken from there only when it is the one the JVM gave
 * but for those bytes; anywhere else (no {@code /proc}, another layout) the JVM's stand.
 */
final class RawArguments {
  private static final Path CMDLINE = Path.of("/proc/self/cmdline");

  private RawArguments() {}

  /** {@code args}, each holding U+FFFD replaced by its bytes as a name holds them. */
  static String[] of(String[] args) {
    boolean replaced = false;
    for (String a : args) {
      replaced |= a.indexOf('\uFFFD') >= 0;
    }
    if (!replaced) {
      return args; // nearly always: nothing read
    }
    List<byte[]> raw;
    try {
      raw = entries(Files.readAllBytes(CMDLINE));
    } catch (IOException | RuntimeException e) {
      return args;
    }
    return of(args, raw);
  }

  static String[] of(String[] args, List<byte[]> cmdline) {
    if (cmdline.size() < args.length) {
      return args;
    }
    String[] out = args.clone();
    int first = cmdline.size() - args.length;
    for (int i = 0; i < args.length; i++) {
      String exact = NameBytes.decode(cmdline.get(first + i));
      if (!exact.equals(args[i]) && sameButUndecoded(args[i], exact)) {
        out[i] = exact;
      }
    }
    return out;
  }

  /** Whether {@code decoded} is {@code exact} but for the bytes the JVM could not decode. */
  private static boolean sameButUndecoded(String decoded, String exact) {
    StringBuilder kept = new StringBuilder(exact.length());
    for (int i = 0; i < exact.length(); i++) {
      if (!NameBytes.isEscape(exact.charAt(i))) {
        kept.append(exact.charAt(i));
      }
    }
    return decoded.replace("\uFFFD", "").contentEquals(kept) && !kept.toString().equals(exact);
  }

  private static List<byte[]> entries(byte[] cmdline) {
    List<byte[]> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < cmdline.length; i++) {
      if (cmdline[i] == 0) {
        byte[] e = new byte[i - start];
        System.arraycopy(cmdline, start, e, 0, e.length);
        out.add(e);
        start = i + 1;
      }
    }
    return out;
  }
}
