package dev.streamtemplates.transforms.progress;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.Test;

/** A progress counter counts here as well as in Beam, also after it is serialized with its DoFn; reset zeroes it. */
public class ProgressTest {
  @Test
  public void countsAfterSerializationAndResetZeroes() {
    Progress.reset();
    Counter counter = Progress.counter("records", "progress-test-written");
    Counter copy = SerializableUtils.clone(counter);
    counter.inc();
    copy.inc(3);
    copy.dec();
    assertThat(Progress.value("records", "progress-test-written"), equalTo(3L));
    assertThat(copy.getName().getName(), equalTo("progress-test-written"));
    Progress.counter("dead-letter", "progress-test-a").inc(2);
    Progress.counter("dead-letter", "progress-test-b").inc(5);
    assertThat(Progress.total("dead-letter"), equalTo(7L));
    Progress.reset();
    assertThat(Progress.value("records", "progress-test-written"), equalTo(0L));
    copy.inc();
    assertThat("a counter keeps counting into its adder after a reset", Progress.value("records", "progress-test-written"), equalTo(1L));
    assertThat(Progress.value("records", "never-counted"), equalTo(0L));
  }
}
