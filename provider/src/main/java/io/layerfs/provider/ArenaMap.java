package io.layerfs.provider;

import io.layerfs.core.FileHandle;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.FileChannel;

/**
 * Java 22's {@code FileChannel.map(MapMode, long, long, Arena)} of a host file's channel, for
 * {@link LayerFileChannel}'s own. Found at run time, since the provider is built for Java 17;
 * loaded only when a JDK that has it calls that method.
 */
final class ArenaMap {
  private static final MethodHandle MAP;

  static {
    try {
      MAP = MethodHandles.publicLookup().findVirtual(FileChannel.class, "map",
          MethodType.methodType(MemorySegment.class, FileChannel.MapMode.class, long.class,
              long.class, Arena.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private ArenaMap() {}

  /**
   * The mapper into {@code arena} (made here, not in the channel, whose class the launcher's
   * archive holds: a lambda there naming {@code Arena} cannot be linked on Java 17).
   */
  static FileHandle.Mapper<MemorySegment> into(Arena arena) {
    return (channel, mode, position, size) -> map(channel, mode, position, size, arena);
  }

  private static MemorySegment map(FileChannel channel, FileChannel.MapMode mode, long position,
      long size, Arena arena) throws IOException {
    try {
      return (MemorySegment) MAP.invokeExact(channel, mode, position, size, arena);
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IOException(e);
    }
  }
}
