package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class NameListTest {
  private static List<String> names(int n) {
    return IntStream.range(0, n).mapToObj(i -> "t" + i).toList();
  }

  @Test
  void listsTenNamesWholeAndCountsTheRest() {
    assertEquals("(none)", NameList.of(List.of()));
    assertEquals("a:1, b:2", NameList.of(List.of("a:1", "b:2")));
    assertEquals(String.join(", ", names(10)), NameList.of(names(10)));
    assertEquals(String.join(", ", names(10)) + " and 1 more", NameList.of(names(11)));
    assertEquals(String.join(", ", names(10)) + " and 71 more", NameList.of(names(81)));
  }
}
