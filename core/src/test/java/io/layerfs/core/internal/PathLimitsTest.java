package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.testing.Props;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

class PathLimitsTest {

  /** A name's bytes are counted as they are written: any bytes, decoded, count as many. */
  @Test
  void bytesAreCountedAsTheyAreWritten() {
    Props p = Props.tries(2000);
    p.qt().forAll(p.byteArrays(0, 300)).checkAssert(bytes ->
        assertEquals(bytes.length, PathLimits.bytes(NameBytes.decode(bytes))));
    String alphabet = "a\u00e9\u4e2d\ud83d\ude00\udce9\udcff";
    p.qt().forAll(p.strings(p.chars(alphabet), 0, 120)).checkAssert(s -> {
      if (NameBytes.isCanonical(s)) {
        assertEquals(NameBytes.encode(s).length, PathLimits.bytes(s), s);
      }
    });
  }

  /** The limits hold at their bytes, whatever the characters that make them. */
  @Test
  void limitsAreBytesNotCharacters() throws FileSystemException {
    PathLimits.checkMissingName("/x", "\u4e2d".repeat(85));
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> PathLimits.checkMissingName("/x", "\u4e2d".repeat(85) + "a"));
    assertEquals("File name too long", e.getReason());
    assertEquals("/x", e.getFile());
    PathLimits.checkMissingName("/x", "\ud83d\ude00".repeat(63) + "abc");
    assertThrows(FileSystemException.class,
        () -> PathLimits.checkMissingName("/x", "\ud83d\ude00".repeat(64)));
    PathLimits.checkMissingName("/x", "\udce9".repeat(255));
    assertThrows(FileSystemException.class,
        () -> PathLimits.checkMissingName("/x", "\udce9".repeat(256)));
    PathLimits.checkPath("/" + "\u00e9".repeat(2047));
    assertThrows(FileSystemException.class, () -> PathLimits.checkPath("/" + "a".repeat(4095)));
  }
}
