package dev.streamtemplates.templates;

import java.nio.file.Path;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A runner's standalone cluster, started by its {@code bin/<runner>-cluster} script, with a
 * windowed aggregation and a sequence detector submitted from the runner bundle and compared with
 * the golden files (see {@link ClusterHarness}). One cluster per test class; subclasses name the
 * module, the script's ready line and the runner options.
 */
public abstract class ClusterTestBase {
  @Rule public final TemporaryFolder work = new TemporaryFolder();
  private ClusterHarness cluster;

  /** The runner module directory, e.g. {@code runners-config/flink}. */
  protected abstract String module();

  /** The cluster script's name in {@code <module>/bin}. */
  protected abstract String script();

  /** What the script prints once the cluster is ready, with {@code PORT} for its port. */
  protected abstract String ready();

  /** The bundle's file name in {@code <module>/target}. */
  protected abstract String bundle();

  /** The runner options that submit to the cluster on {@code port}. */
  protected abstract List<String> runnerArgs(int port);

  @Before
  public void startCluster() throws Exception {
    Path module = ConformanceHarness.repoRoot().resolve(module());
    cluster = ClusterHarness.start(module.resolve("bin").resolve(script()), work.newFolder("cluster").toPath(), ready());
  }

  @After
  public void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  public void templatesSubmittedFromTheBundleMatchGoldenOutput() throws Exception {
    Path bundle = ConformanceHarness.repoRoot().resolve(module()).resolve("target").resolve(bundle());
    for (String template : List.of("windowed-metrics", "card-fraud-sequence")) {
      cluster.submitAndCheck(bundle, template, runnerArgs(cluster.port()), work.getRoot().toPath());
    }
  }
}
