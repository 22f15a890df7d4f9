package dev.streamtemplates.transforms.core;

import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Keys events by {@link Keys} for a keyed transform, applying the one null-key rule: an event
 * whose key field is null goes to {@code failures} as a dead letter naming the field. Subclasses
 * say what travels with the key (the row itself, or the row wrapped with its side and time).
 *
 * @param <V> the value keyed
 */
public abstract class KeyByFn<V> extends DoFn<Row, KV<String, V>> {
  private final Keys keys;
  private final String step;
  private final TupleTag<KV<String, V>> keyed;
  private final TupleTag<Row> failures;
  private final Counter failed;

  protected KeyByFn(Keys keys, String step, TupleTag<KV<String, V>> keyed, TupleTag<Row> failures) {
    this.keys = keys;
    this.step = step;
    this.keyed = keyed;
    this.failures = failures;
    this.failed = DeadLetter.counter(step);
  }

  /** What is keyed for {@code row}, which arrived with {@code timestamp}. */
  protected abstract V value(Row row, Instant timestamp);

  @ProcessElement
  public void process(@Element Row row, @Timestamp Instant timestamp, MultiOutputReceiver out) {
    String key = keys.of(row);
    if (key == null) {
      failed.inc();
      out.get(failures).output(DeadLetter.ofText(step, keys.nullReason(row), RowText.json(row), DeadLetter.knownTime(timestamp)));
      return;
    }
    out.get(keyed).output(KV.of(key, value(row, timestamp)));
  }

  /** Keys the rows themselves. */
  public static final class Rows extends KeyByFn<Row> {
    public Rows(Keys keys, String step, TupleTag<KV<String, Row>> keyed, TupleTag<Row> failures) {
      super(keys, step, keyed, failures);
    }

    @Override
    protected Row value(Row row, Instant timestamp) {
      return row;
    }
  }
}
