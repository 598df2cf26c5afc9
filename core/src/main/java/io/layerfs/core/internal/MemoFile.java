package io.layerfs.core.internal;

import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.CRC32C;

/**
 * A small file of derived data that spares a fresh JVM parsing JSON (the memo of resolved images,
 * a container record's memo): a body and the CRC32C of it. Reading gives the body only when the
 * checksum matches; writing goes to a temp file and is renamed over the old one, without fsync (a
 * torn file fails its checksum and is made again). Neither ever fails its caller: a memo that
 * cannot be read or written is simply not there, and the caller parses the JSON.
 */
public final class MemoFile {
  private MemoFile() {}

  /** The body of {@code file}, or null if it is absent, unreadable, larger or damaged. */
  public static byte[] read(Path file, int maxBytes) {
    byte[] data;
    try {
      data = HostFiles.read(file, maxBytes);
    } catch (IOException e) {
      return null;
    }
    if (data.length < 4 || data.length > maxBytes) {
      return null;
    }
    CRC32C crc = new CRC32C();
    crc.update(data, 0, data.length - 4);
    int n = data.length;
    int stored = ((data[n - 4] & 0xff) << 24) | ((data[n - 3] & 0xff) << 16)
        | ((data[n - 2] & 0xff) << 8) | (data[n - 1] & 0xff);
    return (int) crc.getValue() == stored ? java.util.Arrays.copyOf(data, n - 4) : null;
  }

  /**
   * Writes {@code body} and its checksum to {@code temp} (a fresh name on the same file system)
   * and renames it to {@code file}; on any failure leaves no temp file and returns quietly.
   */
  public static void write(Path file, Path temp, byte[] body) {
    CRC32C crc = new CRC32C();
    crc.update(body);
    int sum = (int) crc.getValue();
    byte[] data = java.util.Arrays.copyOf(body, body.length + 4);
    for (int i = 0; i < 4; i++) {
      data[body.length + i] = (byte) (sum >>> (24 - 8 * i));
    }
    try {
      try {
        Files.write(temp, data);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException | RuntimeException e) {
      // a read-only or full store keeps no memo; the next reader parses the JSON
    }
  }

  /** Writes a layer descriptor as {@link #readLayer} reads it. */
  public static void writeLayer(DataOutputStream out, Layer layer) throws IOException {
    out.writeUTF(layer.mediaType());
    out.writeUTF(layer.digest().toString());
    out.writeLong(layer.size());
    out.writeUTF(layer.diffId().toString());
  }

  /**
   * Reads a layer descriptor {@link #writeLayer} wrote.
   *
   * @throws IllegalArgumentException if a digest or the size does not parse (a damaged memo)
   */
  public static Layer readLayer(DataInputStream in) throws IOException {
    return new Layer(in.readUTF(), Digest.parse(in.readUTF()), in.readLong(),
        Digest.parse(in.readUTF()));
  }
}
