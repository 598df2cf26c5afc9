package io.layerfs.it.lucene;

import com.carrotsearch.randomizedtesting.ThreadFilter;

/**
 * Lets Lucene's thread-leak check pass layerfs's shared pool of decompressing threads: daemons
 * that a store starts on its first layer and that end after a minute idle, as the JDK's own
 * cached pools do, not with a file system. Any other thread left behind is still a leak.
 */
public final class LayerfsPoolThreads implements ThreadFilter {
  @Override
  public boolean reject(Thread t) {
    return t.isDaemon() && t.getName().startsWith("layerfs-inflate-");
  }
}
