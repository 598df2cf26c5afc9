package io.layerfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EntryTypeTest {

  /** The codes are on disk in layer indexes and container metadata: they must never change. */
  @Test
  void codesArePinned() {
    Map<EntryType, Integer> expected = new EnumMap<>(EntryType.class);
    expected.put(EntryType.FILE, 0);
    expected.put(EntryType.DIRECTORY, 1);
    expected.put(EntryType.SYMLINK, 2);
    expected.put(EntryType.HARDLINK, 3);
    expected.put(EntryType.CHAR_DEVICE, 4);
    expected.put(EntryType.BLOCK_DEVICE, 5);
    expected.put(EntryType.FIFO, 6);
    assertEquals(EnumSet.allOf(EntryType.class), expected.keySet(),
        "a new type needs a new code, pinned here");
    for (EntryType t : EntryType.values()) {
      assertEquals((int) expected.get(t), t.code(), t.name());
      assertEquals(t, EntryType.fromCode(t.code()));
    }
  }

  @Test
  void unknownCodesAreRefusedNamingTheCode() {
    for (int code : new int[] {-1, 7, 8, 255, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> EntryType.fromCode(code));
      assertTrue(e.getMessage().contains(Integer.toString(code)), e.getMessage());
    }
  }
}
