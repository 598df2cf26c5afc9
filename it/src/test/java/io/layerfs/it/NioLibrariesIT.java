package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.io.file.PathUtils;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.store.NIOFSDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real NIO libraries in a container, each run twice by the same code: on a host directory (the
 * oracle) and in a layerfs container, with equal results required. Lucene writes, merges and
 * searches an index through {@link NIOFSDirectory} and {@link MMapDirectory}, with a reader kept
 * open across merges (the merged-away segment files are deleted while still mapped, which the
 * host survives); Commons IO copies, compares and deletes trees; Guava deletes trees through
 * a SecureDirectoryStream (its default, which refuses file systems without one).
 */
final class NioLibrariesIT {
  @TempDir Path work;
  private FileSystem fs;

  @BeforeEach
  void openContainer() throws IOException {
    Path store = work.resolve("store");
    ImageBuilder.create(store).layer()
        .file("/etc/os-release", "ID=libraries\n")
        .dir("/srv")
        .file("/srv/site/index.html", "<h1>hello</h1>\n")
        .file("/srv/site/assets/app.js", "console.log('hi');\n".repeat(500))
        .build("libraries:1");
    fs = FileSystems.newFileSystem(URI.create("layerfs://libraries"),
        Map.of("store", store, "image", "libraries:1"));
  }

  @AfterEach
  void closeContainer() throws IOException {
    if (fs != null) {
      fs.close();
    }
  }

  @Test
  void luceneWithNioFsIndexesAndSearchesAsOnTheHost() throws IOException {
    Path host = Files.createDirectories(work.resolve("host-niofs"));
    assertEquals(indexAndSearch(host, NIOFSDirectory::new),
        indexAndSearch(fs.getPath("/srv/niofs"), NIOFSDirectory::new));
  }

  @Test
  void luceneWithMmapKeepsAReaderAcrossMergesAsOnTheHost() throws IOException {
    Path host = Files.createDirectories(work.resolve("host-mmap"));
    assertEquals(indexAndSearch(host, MMapDirectory::new),
        indexAndSearch(fs.getPath("/srv/mmap"), MMapDirectory::new));
  }

  @Test
  void commonsIoCopiesComparesAndDeletesTrees() throws IOException {
    Path hostCopy = work.resolve("site-copy");
    PathUtils.copyDirectory(fs.getPath("/srv/site"), hostCopy);
    assertTrue(PathUtils.directoryAndFileContentEquals(fs.getPath("/srv/site"), hostCopy));
    Files.writeString(hostCopy.resolve("extra.txt"), "from the host");
    PathUtils.copyDirectory(hostCopy, fs.getPath("/srv/site2"));
    assertTrue(PathUtils.directoryAndFileContentEquals(hostCopy, fs.getPath("/srv/site2")));
    assertEquals("from the host", Files.readString(fs.getPath("/srv/site2/extra.txt")));
    assertEquals(Files.size(hostCopy.resolve("assets/app.js")),
        PathUtils.sizeOfDirectory(fs.getPath("/srv/site2/assets")));
    PathUtils.deleteDirectory(fs.getPath("/srv/site"));
    assertFalse(Files.exists(fs.getPath("/srv/site")));
    assertTrue(Files.exists(fs.getPath("/srv/site2/index.html")));
  }

  @Test
  void guavaDeletesTreesSecurelyAndCopiesFiles() throws IOException {
    // without ALLOW_INSECURE: Guava needs a SecureDirectoryStream
    com.google.common.io.MoreFiles.deleteDirectoryContents(fs.getPath("/srv/site/assets"));
    assertTrue(Files.isDirectory(fs.getPath("/srv/site/assets")));
    assertEquals(List.of(), com.google.common.io.MoreFiles.listFiles(
        fs.getPath("/srv/site/assets")));
    com.google.common.io.MoreFiles.asByteSource(fs.getPath("/srv/site/index.html"))
        .copyTo(com.google.common.io.MoreFiles.asByteSink(fs.getPath("/srv/copy.html")));
    assertEquals("<h1>hello</h1>\n", Files.readString(fs.getPath("/srv/copy.html")));
    com.google.common.io.MoreFiles.deleteRecursively(fs.getPath("/srv/site"));
    assertFalse(Files.exists(fs.getPath("/srv/site")));
    assertTrue(Files.exists(fs.getPath("/srv/copy.html")));
  }

  /**
   * Indexes 3,000 documents in three commits, keeps a reader of the first commit open while
   * merging everything into one segment (which deletes the first commit's files), then searches
   * with both readers. Returns what the searches found.
   */
  private static List<String> indexAndSearch(Path dir, Opener opener) throws IOException {
    List<String> found = new ArrayList<>();
    try (Directory d = opener.open(dir);
        IndexWriter w = new IndexWriter(d, new IndexWriterConfig(new StandardAnalyzer())
            .setMaxBufferedDocs(200))) {
      add(w, 0, 1000);
      w.commit();
      try (DirectoryReader old = DirectoryReader.open(d)) {
        add(w, 1000, 3000);
        w.deleteDocuments(new Term("id", "7"));
        w.commit();
        w.forceMerge(1);
        w.commit();
        found.add("old reader " + old.numDocs() + " docs, " + hits(old, "even"));
        found.add("old reader text of 7: " + text(old, "7"));
        try (DirectoryReader merged = DirectoryReader.openIfChanged(old)) {
          found.add("new reader " + merged.numDocs() + " docs in " + merged.leaves().size()
              + " segment(s), " + hits(merged, "even"));
          found.add("new reader text of 7: " + text(merged, "7"));
          found.add("new reader text of 2999: " + text(merged, "2999"));
        }
      }
    }
    return found;
  }

  private static void add(IndexWriter w, int from, int to) throws IOException {
    for (int i = from; i < to; i++) {
      Document doc = new Document();
      doc.add(new StringField("id", Integer.toString(i), Field.Store.YES));
      doc.add(new TextField("body", (i % 2 == 0 ? "even " : "odd ") + "document number " + i
          + " " + "lorem ipsum ".repeat(i % 7), Field.Store.YES));
      w.addDocument(doc);
    }
  }

  private static String hits(DirectoryReader r, String word) throws IOException {
    return new IndexSearcher(r).count(new TermQuery(new Term("body", word))) + " '" + word + "'";
  }

  private static String text(DirectoryReader r, String id) throws IOException {
    IndexSearcher s = new IndexSearcher(r);
    ScoreDoc[] docs = s.search(new TermQuery(new Term("id", id)), 1).scoreDocs;
    return docs.length == 0 ? "none" : s.storedFields().document(docs[0].doc).get("body");
  }

  /** NIOFSDirectory::new or MMapDirectory::new. */
  private interface Opener {
    Directory open(Path dir) throws IOException;
  }
}
