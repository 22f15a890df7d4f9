package dev.streamtemplates.benchmarks.nexmark;

import org.apache.beam.runners.spark.SparkContextOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * One Spark context for all the runs of a benchmark JVM, as a Spark job server would hold one:
 * creating a context per pipeline costs seconds, which would swamp the queries.
 */
final class SparkContexts {
  private static JavaSparkContext context;

  private SparkContexts() {}

  static synchronized void provide(PipelineOptions options) {
    if (context == null) {
      context = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("nexmark")
          .set("spark.ui.enabled", "false"));
    }
    SparkContextOptions spark = options.as(SparkContextOptions.class);
    spark.setUsesProvidedSparkContext(true);
    spark.setProvidedSparkContext(context);
  }

  /** Unpersists what the last pipeline cached: Beam's Spark runner leaves it in a provided context. */
  static synchronized void releaseCached() {
    if (context != null) {
      context.getPersistentRDDs().values().forEach(rdd -> rdd.unpersist(true));
    }
  }

  static synchronized void stop() {
    if (context != null) {
      context.stop();
      context = null;
    }
  }
}
