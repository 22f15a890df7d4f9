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
 * the golden files (see {@link ClusterHarness}). Subclasses name the module, its script, the
 * script's ready line and bundle, and the runner options.
 */
public abstract class ClusterTestBase {
  @Rule public final TemporaryFolder work = new TemporaryFolder();
  private final String module;
  private final String script;
  private final String ready;
  private final String bundle;
  private ClusterHarness cluster;

  /**
   * @param module the runner module directory, e.g. {@code runners-config/flink}
   * @param script the cluster script's name in {@code <module>/bin}
   * @param ready what the script prints once the cluster is ready, with {@code PORT} for its port
   * @param bundle the bundle's file name in {@code <module>/target}
   */
  protected ClusterTestBase(String module, String script, String ready, String bundle) {
    this.module = module;
    this.script = script;
    this.ready = ready;
    this.bundle = bundle;
  }

  /** The runner options that submit to the cluster on {@code port}. */
  protected abstract List<String> runnerArgs(int port);

  /** The catalogue templates submitted: a windowed aggregation and a sequence detector, and what a subclass adds. */
  protected List<String> templates() {
    return List.of("windowed-metrics", "card-fraud-sequence");
  }

  @Before
  public void startCluster() throws Exception {
    Path moduleDir = ConformanceHarness.repoRoot().resolve(module);
    cluster = ClusterHarness.start(moduleDir.resolve("bin").resolve(script), work.newFolder("cluster").toPath(), ready);
  }

  @After
  public void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  public void templatesSubmittedFromTheBundleMatchGoldenOutput() throws Exception {
    Path bundleJar = ConformanceHarness.repoRoot().resolve(module).resolve("target").resolve(bundle);
    for (String template : templates()) {
      cluster.submitAndCheck(bundleJar, template, runnerArgs(cluster.port()), work.getRoot().toPath());
    }
  }
}
