package dev.streamtemplates.transforms.format;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Converts payloads from one record format to another, e.g. XML to JSON, through schema Rows.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<byte[]>, Row> json =
 *     xmlPayloads.apply(Convert.from(Formats.xml(schema, "order")).to(Formats.json(schema)));
 * }</pre>
 *
 * <p>Element-wise: each output keeps its input's timestamp and window. Records that cannot be read
 * in the source format, or cannot be written in the target format, go to {@link
 * WithFailures.Result#failures()} as {@link DeadLetter} rows; nothing is dropped silently.
 */
public final class Convert {
  private Convert() {}

  public static Builder from(RecordFormat source) {
    return new Builder(checkArgumentNotNull(source, "source format must not be null"));
  }

  /** The first half of a conversion: the source format is known. */
  public static final class Builder {
    private final RecordFormat source;

    private Builder(RecordFormat source) {
      this.source = source;
    }

    @CheckReturnValue
    public Conversion to(RecordFormat target) {
      return new Conversion(source, checkArgumentNotNull(target, "target format must not be null"), null);
    }
  }

  /** The conversion transform. */
  public static final class Conversion
      extends PTransform<PCollection<byte[]>, WithFailures.Result<PCollection<byte[]>, Row>> {
    private final RecordFormat source;
    private final RecordFormat target;
    private final @Nullable String step;

    private Conversion(RecordFormat source, RecordFormat target, @Nullable String step) {
      this.source = source;
      this.target = target;
      this.step = step;
    }

    /** The step name that dead letters carry; defaults to {@code convert-<from>-to-<to>}. */
    @CheckReturnValue
    public Conversion named(String step) {
      return new Conversion(source, target, step);
    }

    @Override
    public WithFailures.Result<PCollection<byte[]>, Row> expand(PCollection<byte[]> input) {
      if (!source.schema().assignableTo(target.schema())) {
        throw new IllegalArgumentException(
            "target format's schema does not match the source's: source "
                + source.schema() + ", target " + target.schema() + "; map the fields with MapFields first");
      }
      String name = step != null ? step : "convert-" + source.name() + "-to-" + target.name();
      WithFailures.Result<PCollection<Row>, Row> rows =
          input.apply("Parse", ParseRecords.with(source).named(name));
      WithFailures.Result<PCollection<byte[]>, Row> written =
          rows.output().setRowSchema(target.schema()).apply("Serialize", SerializeRecords.with(target).named(name));
      PCollection<Row> failures =
          PCollectionList.of(rows.failures())
              .and(written.failures())
              .apply("Failures", Flatten.pCollections())
              .setRowSchema(DeadLetter.SCHEMA);
      return WithFailures.Result.of(written.output(), failures);
    }
  }
}
