package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** CREATED BY shortened as docker's formatter.Ellipsis(s, 45) shortens it. */
class HistoryTruncateTest {
  @Test
  void fortyFiveCharactersStayAndMoreBecomeFortyFourAndAnEllipsis() {
    String exact = "x".repeat(45);
    assertEquals(exact, HistoryCommand.truncate(exact));
    String longer = "/bin/sh -c #(nop) ADD file:71356d2ad59aa3119d1234 in / ";
    assertEquals("/bin/sh -c #(nop) ADD file:71356d2ad59aa3119…",
        HistoryCommand.truncate(longer));
    assertEquals(45, HistoryCommand.truncate(longer).length());
  }

  @Test
  void aCharacterOutsideTheBmpIsNotCutInHalf() {
    String clef = "\uD834\uDD1E"; // one code point, two chars
    String s = clef.repeat(50);
    String cut = HistoryCommand.truncate(s);
    assertEquals(clef.repeat(44) + "…", cut);
    assertEquals(45, cut.codePointCount(0, cut.length()));
  }
}
