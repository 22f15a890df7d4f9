package dev.streamtemplates.benchmarks.nexmark;

import dev.streamtemplates.benchmarks.nexmark.Events.Auction;
import dev.streamtemplates.benchmarks.nexmark.Events.Bid;
import dev.streamtemplates.benchmarks.nexmark.Events.Kind;
import dev.streamtemplates.benchmarks.nexmark.Events.Person;
import java.io.Serializable;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * The native baseline: the seven queries in Flink SQL 1.19, run in batch on a local Flink mini
 * cluster (parallelism 2, object reuse), as the Beam Flink runner runs the other two
 * contestants, over the same generated events.
 *
 * <p>Events: {@code fromSequence(0, events - 1)} (split between the two subtasks, as the Beam
 * contestants' index ranges are), each index turned into its event by {@link NexmarkGenerator} and
 * kept if the query reads its kind, as a Flink {@link Row}; {@code fromDataStream} makes it a
 * table with an event-time attribute {@code ts} (the event's {@code dateTime}) and a watermark
 * trailing it by the generator's out-of-order bound. Results go to a sink that digests each one
 * with the same values and {@link Checksum#mix} as the other contestants' sinks, into the same
 * {@link Checksum} totals, so the benchmark checks all three against each other.
 *
 * <p>The SQL follows the Nexmark formulations (Flink's own are public in the nexmark-flink
 * project), changed to mean exactly what {@link NexmarkQueries} means: Q1 in integer cents, Q5
 * one auction per window (ties to the smallest id as text) with the window end, Q7 the highest
 * price per window (not the bid row), Q11 sessions per bidder with a gap of 10 s and the session
 * end. Window times are read in UTC, the session time zone set here.
 */
public final class NexmarkSql {
  private NexmarkSql() {}

  /** A result's digest, as {@link NexmarkQueries} digests the same result of the other contestants. */
  interface Digest extends Serializable {
    long of(Row row);
  }

  /** One query in Flink SQL: the tables it reads, its text and the digest of a result. */
  record SqlQuery(Set<Kind> inputs, String sql, Digest digest) {}

  static final Map<String, SqlQuery> QUERIES = Map.of(
      "q0", new SqlQuery(Set.of(Kind.BID), "SELECT auction, bidder, price, channel, `dateTime` FROM bids", NexmarkSql::bid),
      "q1", new SqlQuery(Set.of(Kind.BID),
          "SELECT auction, bidder, price * 908 / 1000 AS price, channel, `dateTime` FROM bids", NexmarkSql::bid),
      "q2", new SqlQuery(Set.of(Kind.BID), "SELECT auction, price FROM bids WHERE MOD(auction, 123) = 0",
          r -> Checksum.mix(r.<Long>getFieldAs("auction"), r.<Long>getFieldAs("price"))),
      "q3", new SqlQuery(Set.of(Kind.PERSON, Kind.AUCTION), """
          SELECT P.name, P.city, P.state, A.id
          FROM auctions AS A INNER JOIN persons AS P ON A.seller = P.id
          WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')""",
          r -> NexmarkQueries.Q3.suggestion(r.getFieldAs("name"), r.getFieldAs("city"), r.getFieldAs("state"),
              r.<Long>getFieldAs("id"))),
      // Window Top-N over a window aggregate; the id as text is the tie-break the template's top-N uses.
      "q5", new SqlQuery(Set.of(Kind.BID), """
          SELECT window_end, auction, bids FROM (
            SELECT window_end, auction, bids,
                ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY bids DESC, auctionText ASC) AS rownum
            FROM (
              SELECT window_start, window_end, auction, CAST(auction AS STRING) AS auctionText, COUNT(*) AS bids
              FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
              GROUP BY window_start, window_end, auction))
          WHERE rownum = 1""",
          r -> Checksum.mix(millis(r.getField("window_end")), r.<Long>getFieldAs("auction"), r.<Long>getFieldAs("bids"))),
      "q7", new SqlQuery(Set.of(Kind.BID), """
          SELECT window_end, MAX(price) AS maxPrice
          FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
          GROUP BY window_start, window_end""",
          r -> Checksum.mix(millis(r.getField("window_end")), r.<Long>getFieldAs("maxPrice"))),
      // Flink 1.19's batch planner has no session windows (neither SESSION group windows nor the
      // SESSION table function), so sessions are found as a batch SQL user finds them: a bid starts
      // a session unless it is less than the gap after the bidder's previous bid (sessions as Beam
      // merges them: windows [t, t + gap) that only touch stay apart); a running sum numbers them.
      "q11", new SqlQuery(Set.of(Kind.BID), """
          SELECT bidder, MAX(ts) + INTERVAL '10' SECOND AS windowEnd, COUNT(*) AS bids FROM (
            SELECT bidder, ts,
                SUM(isStart) OVER (PARTITION BY bidder ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session
            FROM (
              SELECT bidder, ts,
                  CASE WHEN ts < LAG(ts) OVER (PARTITION BY bidder ORDER BY ts) + INTERVAL '10' SECOND THEN 0 ELSE 1 END AS isStart
              FROM bids))
          GROUP BY bidder, session""",
          r -> Checksum.mix(millis(r.getField("windowEnd")), r.<Long>getFieldAs("bidder"), r.<Long>getFieldAs("bids"))));

  static SqlQuery byId(String id) {
    SqlQuery query = QUERIES.get(id);
    if (query == null) {
      throw new IllegalArgumentException("no Flink SQL form of query '" + id + "'");
    }
    return query;
  }

  private static long bid(Row r) {
    return Checksum.mix(r.<Long>getFieldAs("auction"), r.<Long>getFieldAs("bidder"), r.<Long>getFieldAs("price"),
        r.<String>getFieldAs("channel").hashCode(), r.<Long>getFieldAs("dateTime"));
  }

  /** Epoch millis of a window bound: TIMESTAMP(3) in the session time zone (UTC here), or TIMESTAMP_LTZ(3). */
  static long millis(Object time) {
    return time instanceof Instant instant ? instant.toEpochMilli() : ((LocalDateTime) time).toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  /** What one run measured: wall seconds from planning the query to the job's end, results and checksum. */
  record Run(double seconds, long rows, long checksum) {}

  /**
   * Runs query {@code id} over the events of {@code config} on a new local environment (a mini
   * cluster of its own, as each Beam Flink run has), counting and digesting its results under
   * {@code runId}. The clock runs from the planning of the parsed query (as {@code run()} of a
   * Beam pipeline includes its translation) to the job's end.
   */
  static Run run(String id, GeneratorConfig config, String runId) throws Exception {
    SqlQuery query = byId(id);
    StreamExecutionEnvironment env = environment();
    StreamTableEnvironment tables = tables(env, config, query.inputs());
    Table result = tables.sqlQuery(query.sql());
    long start = System.nanoTime();
    tables.toDataStream(result).addSink(new DigestSink(runId, query.digest())).name("Checksum");
    env.execute("nexmark-" + id + "-flink-sql");
    double seconds = (System.nanoTime() - start) / 1e9;
    Checksum.Counts counts = Checksum.take(runId);
    return new Run(seconds, counts.rows(), counts.checksum());
  }

  /** The execution plans of the queries {@code ids}, planned in one table environment without running them. */
  static Map<String, String> explain(List<String> ids, GeneratorConfig config) {
    StreamTableEnvironment tables = tables(environment(), config, EnumSet.allOf(Kind.class));
    Map<String, String> plans = new java.util.LinkedHashMap<>();
    ids.forEach(id -> plans.put(id, tables.sqlQuery(byId(id).sql()).explain()));
    return plans;
  }

  /** A local environment in batch mode, parallelism 2, object reuse: a mini cluster of its own when it runs. */
  private static StreamExecutionEnvironment environment() {
    Configuration conf = new Configuration();
    conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
    env.getConfig().enableObjectReuse();
    return env;
  }

  /** A batch table environment on {@code env}, times in UTC, with the tables of {@code kinds} registered. */
  private static StreamTableEnvironment tables(StreamExecutionEnvironment env, GeneratorConfig config, Set<Kind> kinds) {
    StreamTableEnvironment tables = StreamTableEnvironment.create(env, EnvironmentSettings.inBatchMode());
    tables.getConfig().setLocalTimeZone(ZoneOffset.UTC);
    register(tables, env, config, kinds);
    return tables;
  }

  private static final List<String> PERSON_FIELDS = List.of("id", "name", "emailAddress", "creditCard", "city", "state", "dateTime");
  private static final List<String> AUCTION_FIELDS =
      List.of("id", "itemName", "initialBid", "reserve", "dateTime", "expires", "seller", "category");
  private static final List<String> BID_FIELDS = List.of("auction", "bidder", "price", "channel", "dateTime");

  /** The tables {@code persons}, {@code auctions}, {@code bids} the query reads, from one sequence of indices. */
  private static void register(StreamTableEnvironment tables, StreamExecutionEnvironment env, GeneratorConfig config,
      Set<Kind> kinds) {
    DataStream<Long> indices = env.fromSequence(0, config.events() - 1).name("Indices");
    for (Kind kind : EnumSet.copyOf(kinds)) {
      TypeInformation<Row> type = switch (kind) {
        case PERSON -> Types.ROW_NAMED(PERSON_FIELDS.toArray(String[]::new),
            Types.LONG, Types.STRING, Types.STRING, Types.STRING, Types.STRING, Types.STRING, Types.LONG);
        case AUCTION -> Types.ROW_NAMED(AUCTION_FIELDS.toArray(String[]::new),
            Types.LONG, Types.STRING, Types.LONG, Types.LONG, Types.LONG, Types.LONG, Types.LONG, Types.LONG);
        case BID -> Types.ROW_NAMED(BID_FIELDS.toArray(String[]::new), Types.LONG, Types.LONG, Types.LONG, Types.STRING, Types.LONG);
      };
      DataStream<Row> events = indices.flatMap(new EventsFn(config, kind), type).name(kind.name().toLowerCase(Locale.ROOT) + "s");
      long bound = config.maxOutOfOrderMillis();
      Schema schema = Schema.newBuilder()
          // TIMESTAMP(3) in UTC, not TIMESTAMP_LTZ: the batch planner's group windows (Q11) take no TIMESTAMP_LTZ.
          .columnByExpression("ts", "CAST(TO_TIMESTAMP_LTZ(`dateTime`, 3) AS TIMESTAMP(3))")
          .watermark("ts", String.format(Locale.ROOT, "ts - INTERVAL '%d.%03d' SECOND", bound / 1000, bound % 1000))
          .build();
      tables.createTemporaryView(kind.name().toLowerCase(Locale.ROOT) + "s", tables.fromDataStream(events, schema));
    }
  }

  /** Index to event, as a Flink row with the fields of the specs' Avro schemas (times in epoch millis), for one kind. */
  private static final class EventsFn implements FlatMapFunction<Long, Row> {
    private final NexmarkGenerator generator;
    private final Kind kind;

    EventsFn(GeneratorConfig config, Kind kind) {
      this.generator = new NexmarkGenerator(config);
      this.kind = kind;
    }

    @Override
    public void flatMap(Long i, Collector<Row> out) {
      if (NexmarkGenerator.kind(i) != kind) {
        return;
      }
      switch (kind) {
        case PERSON -> {
          Person p = generator.person(i);
          out.collect(Row.of(p.id(), p.name(), p.emailAddress(), p.creditCard(), p.city(), p.state(), p.dateTime()));
        }
        case AUCTION -> {
          Auction a = generator.auction(i);
          out.collect(Row.of(a.id(), a.itemName(), a.initialBid(), a.reserve(), a.dateTime(), a.expires(), a.seller(), a.category()));
        }
        default -> {
          Bid b = generator.bid(i);
          out.collect(Row.of(b.auction(), b.bidder(), b.price(), b.channel(), b.dateTime()));
        }
      }
    }
  }

  /** Counts and digests results per subtask, adding them to the run's {@link Checksum} totals at the end. */
  private static final class DigestSink extends RichSinkFunction<Row> {
    private final String runId;
    private final Digest digest;
    private transient long rows;
    private transient long sum;

    DigestSink(String runId, Digest digest) {
      this.runId = runId;
      this.digest = digest;
    }

    @Override
    public void invoke(Row row, Context context) {
      rows++;
      sum += digest.of(row);
    }

    @Override
    public void finish() {
      Checksum.add(runId, rows, sum);
    }
  }
}
