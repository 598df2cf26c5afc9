package io.layerfs.it;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * A child process that writes into a container and dies without closing it, as {@code kill -9}
 * would: its records stay in the container's {@code meta.log}, after the snapshot. Arguments:
 * {@code STORE CONTAINER}.
 */
public final class CrashingWriter {
  private CrashingWriter() {}

  public static void main(String[] args) throws Exception {
    Path store = Path.of(args[0]);
    FileSystem fs =
        FileSystems.newFileSystem(URI.create("layerfs://" + args[1]), Map.of("store", store));
    Files.writeString(fs.getPath("/newdir/after.txt"), "written after the snapshot\n".repeat(400));
    try (FileChannel c =
        FileChannel.open(fs.getPath("/etc/added"), StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
      c.write(ByteBuffer.wrap("appended and forced\n".getBytes(StandardCharsets.UTF_8)));
      c.force(true);
    }
    Files.createDirectory(fs.getPath("/newdir/sub"));
    Files.delete(fs.getPath("/usr/share/doc/block"));
    Runtime.getRuntime().halt(0); // no close: no compaction, the log keeps the records
  }
}
