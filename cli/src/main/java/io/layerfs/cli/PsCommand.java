package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.ContainerInfo;
import io.layerfs.core.Digest;
import io.layerfs.core.Mount;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs ps}: the containers of the store, as {@code docker ps -a --size}: the image as
 * it was named (or, once that name is another image's, the image's short ID, as docker shows
 * it), its manifest digest (short), when it was created (relative) and the size of its writable
 * layer. JSON is what {@code docker ps --format json} prints, one object a line.
 */
final class PsCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new PsCommand(), "ps", "List the containers of the store.");
    spec.addOption(FormatOption.spec());
    spec.addOption(Specs.flag(new String[] {"-a", "--all"},
        "Accepted for docker's sake: every container is listed (none runs)."));
    spec.addOption(Specs.flag(new String[] {"-q", "--quiet"},
        "Only the names, one a line (layerfs rm $(layerfs ps -q))."));
    spec.addOption(Specs.flag(new String[] {"-s", "--size"},
        "Accepted for docker's sake: the SIZE column is always shown."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    try (Store store = Stores.existing(in.store())) {
      if (in.flag("--quiet")) {
        store.containers().forEach(in.out()::println);
        return 0;
      }
      // the zone only for JSON's CreatedAt: finding the system's zone reads the time zone
      // database, 17-28 ms of a fresh JVM
      boolean json = FormatOption.json(in);
      return list(store, in.out(), json, json ? in.zone() : null);
    }
  }

  private static int list(Store store, PrintWriter out, boolean json, java.time.ZoneId zone)
      throws IOException {
    Instant now = Instant.now();
    Map<String, String> shown = new HashMap<>();
    Table table = new Table("NAME", "IMAGE", "MANIFEST", "CREATED", "SIZE");
    for (String name : store.containers()) {
      ContainerInfo info;
      List<Mount> mounts;
      try {
        info = store.containerInfo(name);
        mounts = json ? store.containerMounts(name) : List.of();
      } catch (NoSuchFileException e) {
        continue; // removed since it was listed
      }
      String image = shown.computeIfAbsent(info.image() + "@" + info.manifest(),
          k -> imageShown(store, info));
      if (json) {
        Json.printLine(out, row(info, image, mounts, now, zone));
      } else {
        table.row(info.name(), image, Main.shortDigest(info.manifest().toString()),
            Human.ago(info.created(), now), Human.size(info.upperSize(), 3));
      }
    }
    if (!json) {
      table.print(out);
    }
    return 0;
  }

  /**
   * The image as docker's {@code ps} names it: the name the container was created from while it
   * still names the container's image (the same image ID), else that image's short ID, as moby's
   * {@code refreshImage} (daemon/list.go) replaces a name that moved or went. The name as given
   * when the container's own image does not resolve.
   */
  private static String imageShown(Store store, ContainerInfo info) {
    Digest id;
    try {
      id = store.image(info.manifest().toString()).configDigest();
    } catch (IOException e) {
      return info.image();
    }
    try {
      if (store.image(info.image()).configDigest().equals(id)) {
        return info.image();
      }
    } catch (IOException e) {
      // the name is gone: the ID, as for a name that moved
    }
    return id.hex().substring(0, 12);
  }

  /**
   * One line of {@code docker ps --format json}: docker's keys in its order, string values. A
   * layerfs container is what docker calls created (never started): no command runs, no
   * network, no ports; {@code ID} is the name, the one handle layerfs has. Then layerfs' exact
   * values for programs: the full manifest digest and the writable layer's bytes ({@code
   * SizeRw}, as {@code docker inspect} names them).
   */
  private static ObjectNode row(ContainerInfo info, String image, List<Mount> mounts,
      Instant now, java.time.ZoneId zone) {
    ObjectNode row = Json.object();
    List<String> volumes = new ArrayList<>();
    for (Mount m : mounts) {
      if (m.type() == Mount.Type.VOLUME) {
        volumes.add(m.source());
      }
    }
    row.put("Command", "");
    row.put("CreatedAt", Human.timestamp(info.created(), zone));
    row.put("ID", info.name());
    row.put("Image", image);
    row.put("Labels", "");
    row.put("LocalVolumes", Integer.toString(volumes.size()));
    row.put("Mounts", String.join(",", volumes));
    row.put("Names", info.name());
    row.put("Networks", "");
    row.put("Ports", "");
    row.put("RunningFor", Human.ago(info.created(), now));
    row.put("Size", Human.size(info.upperSize(), 3));
    row.put("State", "created");
    row.put("Status", "Created");
    row.put("Manifest", info.manifest().toString());
    row.put("SizeRw", info.upperSize());
    return row;
  }
}
