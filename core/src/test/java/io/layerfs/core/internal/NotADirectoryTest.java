package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotADirectoryTest {
  @Test
  void followsTheRunningJdksDefaultProvider(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("file"), "x");
    Path through = dir.resolve("file/x");
    IOException host = null;
    try {
      Files.readAttributes(through, BasicFileAttributes.class);
    } catch (IOException e) {
      host = e;
    }
    // the oracle: what this JDK's own provider throws when it reads such a path
    assertEquals(host instanceof NoSuchFileException, NotADirectory.MISSING_WHEN_READ,
        String.valueOf(host));
  }

  @Test
  void onlyALookupsNotADirectoryIsMapped() {
    FileSystemException notDir = new FileSystemException("/a/b", null, "Not a directory");
    assertTrue(NotADirectory.is(notDir));
    assertFalse(NotADirectory.is(new NotDirectoryException("/a/b")));
    assertFalse(NotADirectory.is(new FileSystemException("/a/b", null, "Is a directory")));
    IOException other = new FileSystemException("/a", null, "Too many levels of symbolic links");
    assertSame(other, NotADirectory.whenRead(other));
    IOException read = NotADirectory.whenRead(notDir);
    if (NotADirectory.MISSING_WHEN_READ) {
      assertInstanceOf(NoSuchFileException.class, read);
      assertEquals("/a/b", ((NoSuchFileException) read).getFile());
    } else {
      assertSame(notDir, read);
    }
  }
}
