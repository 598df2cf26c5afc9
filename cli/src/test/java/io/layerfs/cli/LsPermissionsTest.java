package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ls -l}'s mode column against GNU coreutils' own ({@code stat -c %A}) for every
 * combination of the set-user-ID, set-group-ID and sticky bits with and without the execute
 * bits they share a place with, on files and directories of this host.
 */
class LsPermissionsTest {
  @TempDir Path tmp;

  @Test
  void theModeColumnIsCoreutilsOwn() throws IOException, InterruptedException {
    List<String> expected = new ArrayList<>();
    List<String> actual = new ArrayList<>();
    int n = 0;
    for (int special = 0; special < 8; special++) {
      for (int mode : new int[] {0777, 0666, 0751, 0640, 0111, 0}) {
        int full = special << 9 | mode;
        for (boolean dir : new boolean[] {false, true}) {
          Path p = tmp.resolve("e" + n++);
          if (dir) {
            Files.createDirectory(p);
          } else {
            Files.createFile(p);
          }
          Files.setAttribute(p, "unix:mode", full);
          Process stat = new ProcessBuilder("stat", "-c", "%A", p.toString()).start();
          expected.add(Integer.toOctalString(full) + " " + new String(
              stat.getInputStream().readAllBytes()).strip());
          assertEquals(0, stat.waitFor(), "stat -c %A (coreutils) runs");
          int unixMode = (Integer) Files.getAttribute(p, "unix:mode");
          actual.add(Integer.toOctalString(full) + " " + LsCommand.typeOf(unixMode)
              + LsCommand.permissions(unixMode));
        }
      }
    }
    assertEquals(expected, actual);
  }
}
