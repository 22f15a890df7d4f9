package dev.streamtemplates.runners;

import dev.streamtemplates.templates.CatalogueSpecTestsBase;
import java.util.List;
import org.apache.beam.runners.spark.SparkPipelineOptions;
import org.apache.beam.runners.spark.translation.SparkContextFactory;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.AfterClass;
import org.junit.BeforeClass;

/**
 * Every catalogue template's own tests on the Spark runner: bounded input, cases that advance the
 * watermark skipped. The cases (about 50) share one Spark context, as Beam's own Spark tests do
 * ({@value SparkContextFactory#TEST_REUSE_SPARK_CONTEXT}): a context per case cost 3 s each, 182 s
 * for the class. It is stopped after the class, so the other tests make their own.
 */
public class SparkCatalogueSpecTestsTest extends CatalogueSpecTestsBase {
  @BeforeClass
  public static void shareOneSparkContext() {
    System.setProperty(SparkContextFactory.TEST_REUSE_SPARK_CONTEXT, "true");
  }

  @AfterClass
  public static void stopTheSharedSparkContext() {
    try {
      SparkContextFactory.getSparkContext(PipelineOptionsFactory.fromArgs("--runner=SparkRunner", "--sparkMaster=local[2]")
          .as(SparkPipelineOptions.class)).stop();
    } finally {
      System.clearProperty(SparkContextFactory.TEST_REUSE_SPARK_CONTEXT);
    }
  }

  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=SparkRunner", "--sparkMaster=local[2]");
  }
}
