/**
 * JMH benchmarks of layerfs reads and writes against the same tree on the host file system, in a
 * zip through the JDK's zipfs, and in Jimfs (see {@link io.layerfs.bench.Impl}).
 *
 * <p>The tree is generated from a fixed seed ({@link io.layerfs.bench.TreeGenerator}: an image
 * shaped like a distribution plus an application, in four gzip layers, with a 64 MiB file, a
 * directory of 1,000 entries, deep directories and links) and cached on disk by {@link
 * io.layerfs.bench.Fixture}; or it is an existing image, with {@code
 * -Dlayerfs.bench.layout=DIR -Dlayerfs.bench.image=TAG}.
 *
 * <ul>
 *   <li>{@link io.layerfs.bench.MetadataBenchmark}: {@code stat}, {@code missing} (lookups of
 *       paths that don't exist), {@code list} (the 1,000-entry directory), {@code walk};
 *   <li>{@link io.layerfs.bench.ReadBenchmark}: {@code smallFile}, {@code sequentialRead},
 *       {@code randomRead4k}, {@code transferTo};
 *   <li>{@link io.layerfs.bench.OpenBenchmark}: {@code openClose}, {@code openStatClose}
 *       (layerfs against zipfs);
 *   <li>layerfs alone, against issue 2's targets: {@link io.layerfs.bench.ScaleBenchmark}
 *       (opening an indexed image of 1,000 to 1,000,000 entries in 1, 10 or 50 layers, {@link
 *       io.layerfs.bench.ScaleImage}), {@link io.layerfs.bench.HeapPerEntry} (the heap it keeps
 *       per entry; a plain program) and {@link io.layerfs.bench.IngestBenchmark} (first open of
 *       a gzip layer against inflating it with {@code java.util.zip} alone);
 *   <li>writes, issue 3 ({@link io.layerfs.bench.WriteState}: a fresh writable container, host
 *       directory, zip or Jimfs): {@link io.layerfs.bench.WriteBenchmark} ({@code newSmallFile},
 *       {@code sequentialWrite}, {@code overwrite4k} of an upper file);
 *       {@link io.layerfs.bench.CopyUpBenchmark} (layerfs alone: {@code firstWrite} into a lower
 *       file of 1 MiB, 64 MiB, 1 GiB, with {@code fullCopy} beside it); {@link
 *       io.layerfs.bench.ChmodBenchmark} ({@code chmod} of 10,000 lower files against the host,
 *       with the bytes written to the container recorded through {@link
 *       io.layerfs.bench.Figures}); {@link io.layerfs.bench.LowerDirBenchmark} ({@code
 *       deleteTree} and {@code renameDir} of a lower directory of 1,000 entries, issue 5);
 *       {@link io.layerfs.bench.CommitBenchmark} ({@code commit} of a changed tree, gzip and
 *       uncompressed, against packaging the same changes from the host, Jimfs and zipfs).
 * </ul>
 *
 * <pre>
 * mvn -q -pl bench -am package -DskipTests      # builds bench/target/benchmarks.jar
 * java -jar bench/target/benchmarks.jar -l      # lists the benchmarks
 * bench/run.sh                                  # all, short; writes bench/results/latest.md
 * bench/run.sh ReadBenchmark -p impl=layerfs,default
 * bench/run.sh 'Scale|Ingest'                   # the targets of layerfs alone
 * bench/run.sh 'Write|CopyUp|Chmod|LowerDir|Commit'   # the write benchmarks
 * bench/run.sh LowerDirBenchmark -i 5          # delete and rename of a lower directory
 * bench/run.sh CommitBenchmark -wi 3 -i 10     # commit of a changed tree
 * bench/run.sh --smoke                          # every benchmark once (entries=10000, layers=1,
 *                                               # size=1MiB, files=1000 only)
 * </pre>
 *
 * <p>{@link io.layerfs.bench.RatioReport} turns JMH's JSON into the Markdown table of
 * bench/results/latest.md, with ratios above 1 where layerfs is faster.
 */
package io.layerfs.bench;
