package dev.streamtemplates.transforms.aggregate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import java.time.DayOfWeek;
import java.time.Month;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PartitioningWindowFn;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * Window alignment: offsets of tumbling and sliding windows (Flink SQL's documented TUMBLE offset
 * examples), calendar windows in a time zone across daylight-saving changes, and the late-event
 * report and the slice path with both. Every expected window below is worked out by hand from the
 * instants in the comments.
 */
public class AlignedWindowsTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema SALE = Schema.builder().addStringField("store").addNullableField("amount", FieldType.DOUBLE).build();

  static TimestampedValue<Row> sale(String store, double amount, String at) {
    return TimestampedValue.of(Row.withSchema(SALE).addValues(store, amount).build(), Instant.parse(at));
  }

  static TimestampedValue<Row> sale(String store, double amount, long seconds) {
    return TimestampedValue.of(Row.withSchema(SALE).addValues(store, amount).build(), new Instant(seconds * 1000));
  }

  @SuppressWarnings("unchecked")
  static IntervalWindow window(Windowing windowing, String at) {
    return ((PartitioningWindowFn<Object, IntervalWindow>) windowing.windowFn()).assignWindow(Instant.parse(at));
  }

  static IntervalWindow interval(String start, String end) {
    return new IntervalWindow(Instant.parse(start), Instant.parse(end));
  }

  @Test
  public void tumblingOffsetsGiveTheWindowsFlinkSqlDocumentsForTumble() {
    // Flink 1.19 docs, window TVF, "Window Offset": a record at 2021-06-30 00:00:04 in a 10-minute
    // TUMBLE window; offsets -16, -6 and 4 minutes give [23:54, 00:04), -4, 6 and 16 give
    // [23:56, 00:06), 0 gives [00:00, 00:10).
    String at = "2021-06-30T00:00:04Z";
    Windowing tenMinutes = Windowing.tumbling(Duration.standardMinutes(10));
    for (int minutes : new int[] {-16, -6, 4}) {
      assertThat("offset " + minutes, window(tenMinutes.withOffset(Duration.standardMinutes(minutes)), at),
          equalTo(interval("2021-06-29T23:54:00Z", "2021-06-30T00:04:00Z")));
    }
    for (int minutes : new int[] {-4, 6, 16}) {
      assertThat("offset " + minutes, window(tenMinutes.withOffset(Duration.standardMinutes(minutes)), at),
          equalTo(interval("2021-06-29T23:56:00Z", "2021-06-30T00:06:00Z")));
    }
    assertThat(window(tenMinutes.withOffset(Duration.ZERO), at), equalTo(interval("2021-06-30T00:00:00Z", "2021-06-30T00:10:00Z")));
    // Sliding windows are shifted modulo the slide: 7 minutes on a 5-minute slide is 2 minutes.
    assertThat(Windowing.sliding(Duration.standardMinutes(10), Duration.standardMinutes(5)).withOffset(Duration.standardMinutes(7)).offset(),
        equalTo(Duration.standardMinutes(2)));
  }

  @Test
  public void calendarWindowsFollowLocalMidnightAcrossDaylightSavingChanges() {
    Windowing parisDays = Windowing.calendar(Windowing.CalendarUnit.DAY, "Europe/Paris");
    // 31 March 2024: 02:00 CET became 03:00 CEST, a 23-hour day, from 23:00Z to 22:00Z.
    assertThat(window(parisDays, "2024-03-31T12:00:00Z"), equalTo(interval("2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z")));
    // 27 October 2024: 03:00 CEST became 02:00 CET, a 25-hour day.
    assertThat(window(parisDays, "2024-10-27T12:00:00Z"), equalTo(interval("2024-10-26T22:00:00Z", "2024-10-27T23:00:00Z")));
    // New York weeks from Sunday: Sunday 10 March 2024 00:00 EST (05:00Z) to Sunday 17 March 00:00 EDT (04:00Z), an hour short;
    // 04:59Z on the 10th is still Saturday 23:59 EST, the week before.
    Windowing sundayWeeks = Windowing.calendar(Windowing.CalendarUnit.WEEK, "America/New_York").withStartOfWeek(DayOfWeek.SUNDAY);
    assertThat(window(sundayWeeks, "2024-03-12T12:00:00Z"), equalTo(interval("2024-03-10T05:00:00Z", "2024-03-17T04:00:00Z")));
    assertThat(window(sundayWeeks, "2024-03-10T04:59:00Z"), equalTo(interval("2024-03-03T05:00:00Z", "2024-03-10T05:00:00Z")));
    // ISO weeks (Monday) by default: Monday 11 March 00:00 EDT is 04:00Z.
    assertThat(window(Windowing.calendar(Windowing.CalendarUnit.WEEK, "America/New_York"), "2024-03-12T12:00:00Z"),
        equalTo(interval("2024-03-11T04:00:00Z", "2024-03-18T04:00:00Z")));
    // Paris months: 22:30Z on 31 March is already 1 April 00:30 CEST.
    Windowing parisMonths = Windowing.calendar(Windowing.CalendarUnit.MONTH, "Europe/Paris");
    assertThat(window(parisMonths, "2024-03-31T22:30:00Z"), equalTo(interval("2024-03-31T22:00:00Z", "2024-04-30T22:00:00Z")));
    assertThat(window(parisMonths, "2024-03-31T21:30:00Z"), equalTo(interval("2024-02-29T23:00:00Z", "2024-03-31T22:00:00Z")));
    // An Indian fiscal year, April to March in +05:30: 31 March 2025 23:59:59 IST is the last second of FY 2024-25.
    Windowing fiscalYears = Windowing.calendar(Windowing.CalendarUnit.YEAR, "Asia/Kolkata").withStartOfYear(Month.APRIL);
    assertThat(window(fiscalYears, "2025-03-31T18:29:59Z"), equalTo(interval("2024-03-31T18:30:00Z", "2025-03-31T18:30:00Z")));
  }

  @Test
  public void badAlignmentNamesTheValue() {
    String zone = assertThrows(IllegalArgumentException.class, () -> Windowing.calendar(Windowing.CalendarUnit.DAY, "Europe/Pariss")).getMessage();
    assertThat(zone, containsString("time zone 'Europe/Pariss' is not known; write an IANA name such as Europe/Paris"));
    String offset = assertThrows(IllegalArgumentException.class,
        () -> Windowing.sessions(Duration.standardMinutes(5)).withOffset(Duration.standardMinutes(1))).getMessage();
    assertThat(offset, containsString("offset applies to tumbling and sliding windows from the epoch, not to sessions with gap PT300S"));
    assertThrows(IllegalArgumentException.class,
        () -> Windowing.calendar(Windowing.CalendarUnit.MONTH, "UTC").withStartOfWeek(DayOfWeek.SUNDAY));
  }

  static PCollection<String> days(PCollection<Row> rows, String name) {
    return rows.apply(name, MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("store") + " ["
        + r.getDateTime("windowStart").toInstant() + "," + r.getDateTime("windowEnd").toInstant() + ") " + r.getDouble("total") + " "
        + r.getInt64("n") + (r.getSchema().hasField("totalPrevious")
            ? " " + r.getDouble("totalPrevious") + " " + (r.getDouble("totalChangePct") == null ? null
                : String.format(Locale.ROOT, "%.1f", r.getDouble("totalChangePct")))
            : "")));
  }

  @Test
  public void dailySalesInParisAcrossTheSpringChangeWithALateSaleAndYesterdaysTotal() {
    TestStream<Row> sales = TestStream.create(SALE)
        .addElements(sale("p1", 30.0, "2024-03-31T21:59:00Z"))   // 31 March 23:59 CEST
        .addElements(sale("p1", 10.0, "2024-03-30T22:59:00Z"))   // 30 March 23:59 CET
        .addElements(sale("p1", 20.0, "2024-03-30T23:00:00Z"))   // 31 March 00:00 CET
        .advanceWatermarkTo(Instant.parse("2024-03-30T23:05:00Z")) // 30 March (local) closed at 23:00Z, 5 minutes ago
        .addElements(sale("p1", 99.0, "2024-03-30T12:00:00Z"))   // 30 March 13:00 CET: late (reported: within reportLateFor, 10 min)
        .addElements(sale("p1", 40.0, "2024-03-31T22:00:00Z"))   // 1 April 00:00 CEST
        .addElements(sale("p1", 5.0, "2024-04-03T10:00:00Z"))    // 3 April; nothing on 2 April
        .advanceWatermarkToInfinity();
    PCollection<Row> input = pipeline.apply(sales);
    WindowedAggregate daily = WindowedAggregate.perKey("store")
        .withWindowing(Windowing.calendar(Windowing.CalendarUnit.DAY, "Europe/Paris"))
        .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n"));
    Result result = input.apply("daily", daily);
    // In UTC days the same sales would be 30 March: 10 + 20, 31 March: 30 + 40; in Paris days they are not.
    PAssert.that(days(result.output(), "days")).containsInAnyOrder(
        "p1 [2024-03-29T23:00:00.000Z,2024-03-30T23:00:00.000Z) 10.0 1",
        "p1 [2024-03-30T23:00:00.000Z,2024-03-31T22:00:00.000Z) 50.0 2",
        "p1 [2024-03-31T22:00:00.000Z,2024-04-01T22:00:00.000Z) 40.0 1",
        "p1 [2024-04-02T22:00:00.000Z,2024-04-03T22:00:00.000Z) 5.0 1");
    PAssert.that(result.failures().apply("late", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error").substring(0, 49))))
        .containsInAnyOrder("late: event time 2024-03-30T12:00:00.000Z arrived");
    // Yesterday's total: the window that ends where this one starts; none for 3 April (2 April had no sale).
    Result withYesterday = input.apply("daily with yesterday", daily.withPrevious(List.of("total")));
    PAssert.that(days(withYesterday.output(), "days with yesterday")).containsInAnyOrder(
        "p1 [2024-03-29T23:00:00.000Z,2024-03-30T23:00:00.000Z) 10.0 1 null null",
        "p1 [2024-03-30T23:00:00.000Z,2024-03-31T22:00:00.000Z) 50.0 2 10.0 400.0",
        "p1 [2024-03-31T22:00:00.000Z,2024-04-01T22:00:00.000Z) 40.0 1 50.0 -20.0",
        "p1 [2024-04-02T22:00:00.000Z,2024-04-03T22:00:00.000Z) 5.0 1 null null");
    pipeline.run().waitUntilFinish();
  }

  static PCollection<String> seconds(PCollection<Row> rows, String name) {
    return rows.apply(name, MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("store") + " ["
        + r.getDateTime("windowStart").getMillis() / 1000 + "," + r.getDateTime("windowEnd").getMillis() / 1000 + ") " + r.getDouble("total")));
  }

  @Test
  public void offsetWindowsOnTheSlicePathAndBeamsWindowsAgreeAndReportTheSameLateEvent() {
    TestStream<Row> events = TestStream.create(SALE)
        .addElements(sale("ann", 5.0, 10), sale("ann", 7.0, 50))
        .advanceWatermarkTo(new Instant(100_000))
        .addElements(sale("ann", 1.0, 15)) // every window holding second 15 has ended by second 45: late
        .advanceWatermarkToInfinity();
    PCollection<Row> input = pipeline.apply(events);
    // 30 s windows every 10 s, shifted by 5 s: they start at 5 + 10k. Second 10 is in [-15,15), [-5,25), [5,35);
    // second 50 in [25,55), [35,65), [45,75).
    for (boolean slicing : new boolean[] {true, false}) {
      Result result = input.apply("sliding " + slicing, WindowedAggregate.perKey("store")
          .withWindowing(Windowing.sliding(Duration.standardSeconds(30), Duration.standardSeconds(10)).withOffset(Duration.standardSeconds(5)))
          .withAggregations(Aggregation.of("sum", "amount").as("total"))
          .withSlicing(slicing));
      PAssert.that(seconds(result.output(), "totals " + slicing)).containsInAnyOrder(
          "ann [-15,15) 5.0", "ann [-5,25) 5.0", "ann [5,35) 5.0", "ann [25,55) 7.0", "ann [35,65) 7.0", "ann [45,75) 7.0");
      PAssert.that(result.failures().apply("late " + slicing, MapElements.into(TypeDescriptors.strings())
          .via(r -> r.getString("error").substring(0, 43)))).containsInAnyOrder("late: event time 1970-01-01T00:00:15.000Z a");
    }
    // Tumbling 30 s shifted by 5 s (the fused aggregate-and-report path): [5,35) and [35,65).
    Result tumbling = input.apply("tumbling", WindowedAggregate.perKey("store")
        .withWindowing(Windowing.tumbling(Duration.standardSeconds(30)).withOffset(Duration.standardSeconds(-25)))
        .withAggregations(Aggregation.of("sum", "amount").as("total")));
    PAssert.that(seconds(tumbling.output(), "tumbling totals")).containsInAnyOrder("ann [5,35) 5.0", "ann [35,65) 7.0");
    PAssert.that(tumbling.failures().apply("tumbling late", MapElements.into(TypeDescriptors.strings())
        .via(r -> r.getString("error").substring(0, 43)))).containsInAnyOrder("late: event time 1970-01-01T00:00:15.000Z a");
    pipeline.run().waitUntilFinish();
  }
}
