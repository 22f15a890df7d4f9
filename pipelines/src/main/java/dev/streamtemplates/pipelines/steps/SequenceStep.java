package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.io.Durations;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.Sequence;
import dev.streamtemplates.transforms.cep.SkipStrategy;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;

/**
 * {@code type: Sequence}: temporal sequence detection (CEP) per key, in event time.
 *
 * <pre>{@code
 * - name: fraud
 *   type: Sequence
 *   input: transactions
 *   key: card
 *   within: 3h                       # required: the whole match must fit in it
 *   skip: skipPastLastEvent          # noSkip (default) | skipToNext | skipPastLastEvent | skipToFirst(s) | skipToLast(s)
 *   mode: auto                       # auto (default) | timers | windows (timer-free, for Spark streaming)
 *   stages:
 *     - name: us
 *       where: "event.country == 'US'"
 *     - name: abroad
 *       after: followedBy            # next | followedBy (default) | followedByAny | notNext | notFollowedBy
 *       where: "event.country != 'US' && event.amount > us.amount"
 *       # times: 3 | times: {min: 2, max: 4} | oneOrMore: true | timesOrMore: 2
 *       # optional, greedy, consecutive, allowCombinations: true; until: "<cel>"
 *   emit:                            # optional projection; else one field per stage
 *     card: "key"
 *     amountAbroad: "abroad.amount"
 * }</pre>
 *
 * <p>Outputs: the matches; {@code <name>.timedOut}, the partial matches whose time bound passed.
 * Late events (behind the time the key was already matched up to) and failed conditions go to
 * the dead-letter output with the reason.
 */
public final class SequenceStep implements StepProvider {
  @Override
  public String type() {
    return "Sequence";
  }

  @Override
  public String description() {
    return "Detect a temporal sequence of events per key (CEP): stages, contiguity, loops, absence, within a time bound.";
  }

  @Override
  public JsonNode configSchema() {
    return StepSchemas.read("Sequence.schema.json");
  }

  @Override
  public List<String> outputNames(StepContext.Config config) {
    return List.of("timedOut");
  }

  @Override
  public StepResult apply(StepContext context) {
    SpecNode spec = context.spec();
    Pattern pattern = pattern(spec);
    Sequence sequence = Sequence.detect(pattern)
        .withEmit(spec.stringMap("emit"))
        .withMode(Sequence.Mode.valueOf(spec.text("mode", "auto").toUpperCase(Locale.ROOT)))
        .named(context.name())
        .withOrigin(spec.path());
    if (spec.has("key")) {
      sequence = sequence.perKey(spec.text("key"));
    }
    PCollectionTuple result = context.input().apply(context.name(), sequence);
    PCollection<Row> late = result.get(Sequence.LATE)
        .apply(context.name() + "/Late to dead letters", ParDo.of(new LateFn(context.name())))
        .setRowSchema(DeadLetter.SCHEMA);
    return new StepResult(result.get(Sequence.MATCHES), Map.of("timedOut", result.get(Sequence.TIMED_OUT)),
        List.of(result.get(Sequence.FAILURES), late));
  }

  /** The pattern of a spec; every error names the spec path of the stage. */
  static Pattern pattern(SpecNode spec) {
    List<SpecNode> stages = spec.items("stages");
    Pattern pattern = null;
    for (SpecNode stage : stages) {
      try {
        pattern = stage(pattern, stage);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(stage.path() + ": " + e.getMessage(), e);
      }
    }
    try {
      pattern = pattern.within(Durations.parse(spec.text("within"), spec.childPath("within")))
          .skip(SkipStrategy.parse(spec.text("skip", "noSkip")))
          .named(spec.text("pattern", spec.text("name")));
      return pattern.validate();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().startsWith(spec.path()) ? e.getMessage() : spec.path() + ": " + e.getMessage(), e);
    }
  }

  private static Pattern stage(Pattern pattern, SpecNode stage) {
    String name = stage.text("name");
    String after = stage.text("after", "followedBy");
    if (pattern == null) {
      if (stage.has("after")) {
        throw new IllegalArgumentException("the first stage cannot have 'after' (there is nothing before it), got after: " + after);
      }
      pattern = Pattern.begin(name);
    } else {
      switch (after) {
        case "next":
          pattern = pattern.next(name);
          break;
        case "followedByAny":
          pattern = pattern.followedByAny(name);
          break;
        case "notNext":
          pattern = pattern.notNext(name);
          break;
        case "notFollowedBy":
          pattern = pattern.notFollowedBy(name);
          break;
        default:
          pattern = pattern.followedBy(name);
      }
    }
    if (stage.has("where")) {
      pattern = pattern.where(stage.text("where"));
    }
    JsonNode times = stage.json().get("times");
    if (times != null && times.isObject()) {
      pattern = pattern.times(times.path("min").asInt(), times.path("max").asInt());
    } else if (times != null) {
      pattern = pattern.times(times.asInt());
    }
    if (stage.bool("oneOrMore", false)) {
      pattern = pattern.oneOrMore();
    }
    if (stage.has("timesOrMore")) {
      pattern = pattern.timesOrMore((int) stage.number("timesOrMore", 1));
    }
    if (stage.bool("optional", false)) {
      pattern = pattern.optional();
    }
    if (stage.bool("greedy", false)) {
      pattern = pattern.greedy();
    }
    if (stage.bool("consecutive", false)) {
      pattern = pattern.consecutive();
    }
    if (stage.bool("allowCombinations", false)) {
      pattern = pattern.allowCombinations();
    }
    if (stage.has("until")) {
      pattern = pattern.until(stage.text("until"));
    }
    return pattern;
  }

  private static final class LateFn extends DoFn<Row, Row> {
    private final String step;

    LateFn(String step) {
      this.step = step;
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, OutputReceiver<Row> out) {
      out.output(DeadLetter.ofText(step, "late: the event arrived after its key had been matched past its event time"
          + " (it is behind the watermark and can no longer be put in order)", RowText.json(row), DeadLetter.knownTime(timestamp)));
    }
  }
}
