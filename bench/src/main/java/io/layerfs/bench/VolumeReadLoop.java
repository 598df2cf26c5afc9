package io.layerfs.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.util.Arrays;

/**
 * CPU time per {@code readSmallFile} (or {@code read4k}, {@code overwrite4k}, {@code
 * sequentialWrite}: a round's files are deleted after it, outside the time) of {@link
 * VolumeBenchmark}, for each competitor in one JVM, the competitors alternating round by round:
 * CPU, user and system time per operation from {@link ThreadMXBean}, which a busy machine
 * disturbs less than JMH's wall clock, the heap allocated per operation, and a loop to profile
 * (JFR, {@code perf}) without JMH's threads. The ratio is the second competitor's time over the
 * first's, as {@link RatioReport}'s are (above 1: the first is faster).
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.layerfs.bench.VolumeReadLoop layerfs,default 12 100000
 * java -cp JAR io.layerfs.bench.VolumeReadLoop layerfs,default 8 1000000 read4k
 * </pre>
 */
public final class VolumeReadLoop {
  private VolumeReadLoop() {}

  /**
   * Arguments: competitors (comma-separated), rounds, operations per round, and the operation
   * ({@code readSmallFile}, the default, {@code read4k}, {@code overwrite4k} or {@code
   * sequentialWrite}).
   */
  public static void main(String[] args) throws Exception {
    String[] impls = (args.length > 0 ? args[0] : "layerfs,default").split(",");
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 12;
    int reads = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    String op = args.length > 3 ? args[3] : "readSmallFile";
    VolumeBenchmark ops = new VolumeBenchmark();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    VolumeBenchmark.VolumeState[] states = new VolumeBenchmark.VolumeState[impls.length];
    double[][] cpu = new double[impls.length][rounds];
    double[][] user = new double[impls.length][rounds];
    double[][] alloc = new double[impls.length][rounds];
    com.sun.management.ThreadMXBean heap = (com.sun.management.ThreadMXBean) mx;
    long bytes = 0;
    try {
      for (int i = 0; i < impls.length; i++) {
        states[i] = new VolumeBenchmark.VolumeState();
        states[i].impl = impls[i];
        states[i].setUp();
      }
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < impls.length; k++) {
          int i = r % 2 == 0 ? k : impls.length - 1 - k; // who goes first alternates
          VolumeBenchmark.VolumeState s = states[i];
          long c0 = mx.getCurrentThreadCpuTime();
          long u0 = mx.getCurrentThreadUserTime();
          long a0 = heap.getCurrentThreadAllocatedBytes();
          switch (op) {
            case "readSmallFile" -> {
              for (int n = 0; n < reads; n++) {
                bytes += Files.readAllBytes(s.smallFiles[n & (s.smallFiles.length - 1)]).length;
              }
            }
            case "read4k" -> {
              for (int n = 0; n < reads; n++) {
                bytes += ops.read4k(s);
              }
            }
            case "overwrite4k" -> {
              for (int n = 0; n < reads; n++) {
                bytes += ops.overwrite4k(s);
              }
            }
            case "sequentialWrite" -> {
              s.newDirectory();
              for (int n = 0; n < reads; n++) {
                bytes += ops.sequentialWrite(s);
              }
            }
            default -> throw new IllegalArgumentException("unknown operation: " + op);
          }
          cpu[i][r] = (mx.getCurrentThreadCpuTime() - c0) / (double) reads;
          user[i][r] = (mx.getCurrentThreadUserTime() - u0) / (double) reads;
          alloc[i][r] = (heap.getCurrentThreadAllocatedBytes() - a0) / (double) reads;
          if (op.equals("sequentialWrite")) {
            s.deleteDirectory();
          }
        }
      }
    } finally {
      for (VolumeBenchmark.VolumeState s : states) {
        if (s != null) {
          s.tearDown();
        }
      }
    }
    // the first half of the rounds is warm-up
    for (int i = 0; i < impls.length; i++) {
      double c = median(cpu[i], rounds / 2);
      double u = median(user[i], rounds / 2);
      System.out.printf("%s %s: cpu %.0f ns/op (user %.0f, system %.0f), heap %.0f bytes/op%n", op,
          impls[i], c, u, c - u, median(alloc[i], rounds / 2));
    }
    if (impls.length == 2) {
      System.out.printf("ratio (%s / %s cpu): %.3f%n", impls[1], impls[0],
          median(cpu[1], rounds / 2) / median(cpu[0], rounds / 2));
    }
    System.out.println(bytes + " bytes read or written");
  }

  private static double median(double[] values, int from) {
    double[] tail = Arrays.copyOfRange(values, from, values.length);
    Arrays.sort(tail);
    return tail[tail.length / 2];
  }
}
