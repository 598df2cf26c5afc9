package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.FsckReport;
import io.layerfs.core.Progress;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lazily read layer's recorded origin ({@code layerfs/lazy/ALG/HEX/origin}: which registry
 * blob, and how to reach it) damaged every way: another process that opens the image reads it
 * right (every byte fetched is verified against the layer's digest, wherever it came from) or
 * gets an {@code IOException} naming the file, never an unchecked exception; and fsck reports an
 * origin that does not read or parse.
 */
class LazyOriginDamageTest {
  @TempDir Path tmp;
  private LayoutRegistry server;

  @BeforeEach
  void serve() throws IOException {
    Path remote = tmp.resolve("remote");
    ImageBuilder.create(remote)
        .add(ImageBuilder.Entry.dir("etc"))
        .add(ImageBuilder.Entry.file("etc/hosts",
            "127.0.0.1 localhost\n".getBytes(StandardCharsets.UTF_8)))
        .build("app");
    server = new LayoutRegistry(InetAddress.getLoopbackAddress(), remote);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  interface Damage {
    void apply(Path origin) throws IOException;
  }

  @Test
  void aDamagedOriginIsReadRightOrRefusedNamingItAndFsckReportsWhatDoesNotParse()
      throws IOException {
    Map<String, Damage> damages = new LinkedHashMap<>();
    damages.put("first byte flipped", f -> flip(f, 0));
    damages.put("a byte of the port flipped", f -> {
      String s = Files.readString(f);
      flip(f, s.indexOf(':') + 1);
    });
    damages.put("last byte flipped", f -> flip(f, Files.size(f) - 1));
    damages.put("emptied", f -> Files.write(f, new byte[0]));
    damages.put("zeroed", f -> Files.write(f, new byte[(int) Files.size(f)]));
    damages.put("garbage", f -> Files.writeString(f, "%%% not a reference %%%\n"));
    damages.put("a directory", f -> {
      Files.delete(f);
      Files.createDirectories(f.resolve("x"));
    });
    List<String> wrong = new ArrayList<>();
    List<String> table = new ArrayList<>();
    int n = 0;
    for (var damage : damages.entrySet()) {
      Path dir = tmp.resolve("store-" + n++);
      String tag;
      Path origin;
      try (Store store = Store.open(dir)) {
        tag = store.lazyImage(server.address() + "/test/img:app",
            RegistryOptions.defaults().withTlsVerify(false));
        Digest layer = store.image(tag).layers().get(0).digest();
        origin = dir.resolve("layerfs/lazy").resolve(layer.algorithm()).resolve(layer.hex())
            .resolve("origin");
      }
      assertTrue(Files.isRegularFile(origin), origin.toString());
      damage.getValue().apply(origin);
      String name = damage.getKey();
      String outcome;
      // another process: the layer is attached again from what the origin says
      try (Store store = Store.open(dir)) {
        String hosts = read(store.view(tag), "/etc/hosts");
        outcome = hosts.equals("127.0.0.1 localhost\n") ? "right" : "WRONG";
        if (!outcome.equals("right")) {
          wrong.add(name + ": read other bytes: " + hosts);
        }
      } catch (IOException e) {
        outcome = "refused (" + e.getMessage() + ")";
        if (!e.getMessage().contains(origin.toString())) {
          wrong.add(name + ": refused without naming the origin file: " + e);
        }
      } catch (RuntimeException e) {
        outcome = "UNCHECKED " + e;
        wrong.add(name + ": threw " + e);
      }
      String fsck;
      try (Store store = Store.open(dir)) {
        FsckReport report = store.fsck(false, Progress.NONE);
        fsck = report.problems().toString();
        boolean named = report.problems(FsckReport.Kind.DAMAGED_LAZY_LAYER).stream()
            .anyMatch(p -> p.message().contains(origin.toString()));
        boolean unparsable = !List.of("a byte of the port flipped", "first byte flipped",
            "last byte flipped").contains(name);
        if (unparsable && !named) {
          wrong.add(name + ": fsck does not report the origin: " + fsck);
        }
      }
      table.add(name + ": " + outcome + "; fsck " + fsck);
    }
    table.forEach(System.out::println);
    assertEquals(List.of(), wrong, String.join("\n", table));
  }

  private static void flip(Path f, long at) throws IOException {
    byte[] bytes = Files.readAllBytes(f);
    bytes[(int) at] ^= 0x01;
    Files.write(f, bytes);
  }

  private static String read(FileTree tree, String path) throws IOException {
    try (FileHandle h = tree.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer buf = ByteBuffer.allocate((int) h.size());
      while (buf.hasRemaining() && h.read(buf, buf.position()) > 0) {
        // read on
      }
      return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }
  }
}
