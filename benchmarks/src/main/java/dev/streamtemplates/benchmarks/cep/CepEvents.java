package dev.streamtemplates.benchmarks.cep;

import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/**
 * Deterministic events for the sequence-detection benchmarks: event {@code i} has a key, a type
 * (A 30%, B 30%, C 20%, X 20%) and a time, all functions of {@code i} and the seed, so every
 * contestant reads identical input. Times advance one millisecond per event, plus up to {@code
 * disorder} milliseconds of lateness, which puts events out of order.
 */
public final class CepEvents implements java.io.Serializable {
  public static final Schema SCHEMA = Schema.builder().addStringField("key").addStringField("type").addInt64Field("ts").build();

  private final long seed;
  private final int keys;
  private final long disorder;

  public CepEvents(long seed, int keys, long disorder) {
    this.seed = seed;
    this.keys = keys;
    this.disorder = disorder;
  }

  private long mix(long i) {
    long z = i * 0x9E3779B97F4A7C15L + seed;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public int key(long i) {
    return (int) Math.floorMod(mix(i), keys);
  }

  public String type(long i) {
    int p = (int) Math.floorMod(mix(i + 0x5DEECE66DL), 10);
    return p < 3 ? "A" : p < 6 ? "B" : p < 8 ? "C" : "X";
  }

  /** Event time in epoch millis. */
  public long time(long i) {
    return 1_700_000_000_000L + i - (disorder == 0 ? 0 : Math.floorMod(mix(i + 17), disorder));
  }

  public Row row(long i) {
    return Row.withSchema(SCHEMA).addValues("k" + key(i), type(i), time(i)).build();
  }
}
