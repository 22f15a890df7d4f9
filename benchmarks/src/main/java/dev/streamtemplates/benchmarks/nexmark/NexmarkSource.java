package dev.streamtemplates.benchmarks.nexmark;

import dev.streamtemplates.benchmarks.nexmark.Events.Auction;
import dev.streamtemplates.benchmarks.nexmark.Events.Bid;
import dev.streamtemplates.benchmarks.nexmark.Events.Kind;
import dev.streamtemplates.benchmarks.nexmark.Events.Person;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The generator as a Beam source: the indices {@code 0 .. events-1}, turned into events of the
 * kinds asked for, each with its event time, as Java records or as Rows.
 *
 * <p>Bounded: 16 ranges of indices ({@code Create}, split among the workers) expanded by a DoFn, as
 * the template's file sources read (a DoFn over files or ranges of them). Not {@code
 * GenerateSequence}: read through Beam's source wrapper, Flink's runner updates the step's
 * metrics on every record it reads (see benchmarks/README.md, session 16), a cost that neither a
 * file source nor the native Flink SQL job pays. {@code -Dnexmark.indices=sequence} reads them
 * from {@code GenerateSequence} again, for comparisons. Unbounded: {@link UnboundedIndices}, rate-limited to {@code ratePerSecond} (a very
 * large rate: as fast as the job takes them) and ending after {@code events}, with a watermark
 * that trails the events by the out-of-order bound, so no event is late.
 */
public final class NexmarkSource {
  public static final TupleTag<Row> PERSON_ROWS = new TupleTag<>("person-rows") {};
  public static final TupleTag<Row> AUCTION_ROWS = new TupleTag<>("auction-rows") {};
  public static final TupleTag<Row> BID_ROWS = new TupleTag<>("bid-rows") {};
  public static final TupleTag<Person> PERSONS = new TupleTag<>("persons") {};
  public static final TupleTag<Auction> AUCTIONS = new TupleTag<>("auctions") {};
  public static final TupleTag<Bid> BIDS = new TupleTag<>("bids") {};

  private NexmarkSource() {}

  /** The event indices: bounded when {@code ratePerSecond} is null, else unbounded at that rate. */
  public static PCollection<Long> indices(Pipeline pipeline, GeneratorConfig config, @Nullable Long ratePerSecond) {
    if (ratePerSecond == null) {
      if ("sequence".equals(System.getProperty("nexmark.indices"))) {
        return pipeline.apply("Indices", GenerateSequence.from(0).to(config.events())); // as before session 16, for pairs
      }
      List<KV<Long, Long>> ranges = new ArrayList<>();
      for (long from = 0, step = Math.max(1, (config.events() + RANGES - 1) / RANGES); from < config.events(); from += step) {
        ranges.add(KV.of(from, Math.min(config.events(), from + step)));
      }
      return pipeline.apply("Index ranges", Create.of(ranges).withCoder(KvCoder.of(VarLongCoder.of(), VarLongCoder.of())))
          .apply("Indices", ParDo.of(new RangeFn()));
    }
    return pipeline.apply("Indices", org.apache.beam.sdk.io.Read.from(new UnboundedIndices(config, ratePerSecond)));
  }

  /** Bounded indices come in this many ranges, split among the workers as a source of that many elements. */
  private static final int RANGES = 16;

  /** The indices of a range {@code [from, to)}. */
  private static final class RangeFn extends DoFn<KV<Long, Long>, Long> {
    @ProcessElement
    public void process(@Element KV<Long, Long> range, OutputReceiver<Long> out) {
      for (long i = range.getKey(); i < range.getValue(); i++) {
        out.output(i);
      }
    }
  }

  /** Rows of the kinds asked for: {@link #PERSON_ROWS}, {@link #AUCTION_ROWS}, {@link #BID_ROWS}. */
  public static PCollectionTuple rows(PCollection<Long> indices, GeneratorConfig config, Set<Kind> kinds) {
    PCollectionTuple out = indices.apply("Events as rows", ParDo.of(new EventsFn<Row, Row, Row>(config, kinds,
            NexmarkRows::row, NexmarkRows::row, NexmarkRows::row, PERSON_ROWS, AUCTION_ROWS, BID_ROWS))
        .withOutputTags(BID_ROWS, TupleTagList.of(PERSON_ROWS).and(AUCTION_ROWS)));
    out.get(PERSON_ROWS).setRowSchema(NexmarkRows.PERSON);
    out.get(AUCTION_ROWS).setRowSchema(NexmarkRows.AUCTION);
    out.get(BID_ROWS).setRowSchema(NexmarkRows.BID);
    return out;
  }

  /** Java records of the kinds asked for: {@link #PERSONS}, {@link #AUCTIONS}, {@link #BIDS}. */
  public static PCollectionTuple pojos(PCollection<Long> indices, GeneratorConfig config, Set<Kind> kinds) {
    PCollectionTuple out = indices.apply("Events", ParDo.of(new EventsFn<Person, Auction, Bid>(config, kinds,
            p -> p, a -> a, b -> b, PERSONS, AUCTIONS, BIDS))
        .withOutputTags(BIDS, TupleTagList.of(PERSONS).and(AUCTIONS)));
    out.get(PERSONS).setCoder(new EventCoders.PersonCoder());
    out.get(AUCTIONS).setCoder(new EventCoders.AuctionCoder());
    out.get(BIDS).setCoder(new EventCoders.BidCoder());
    return out;
  }

  /** Event {@code i} of the kinds asked for, in the form {@code P}, {@code A}, {@code B}, to its kind's output. */
  private static final class EventsFn<P, A, B> extends DoFn<Long, B> {
    private final NexmarkGenerator generator;
    private final EnumSet<Kind> kinds;
    private final SerializableFunction<Person, P> person;
    private final SerializableFunction<Auction, A> auction;
    private final SerializableFunction<Bid, B> bid;
    private final TupleTag<P> persons;
    private final TupleTag<A> auctions;
    private final TupleTag<B> bids;

    EventsFn(GeneratorConfig config, Set<Kind> kinds, SerializableFunction<Person, P> person, SerializableFunction<Auction, A> auction,
        SerializableFunction<Bid, B> bid, TupleTag<P> persons, TupleTag<A> auctions, TupleTag<B> bids) {
      this.generator = new NexmarkGenerator(config);
      this.kinds = EnumSet.copyOf(kinds);
      this.person = person;
      this.auction = auction;
      this.bid = bid;
      this.persons = persons;
      this.auctions = auctions;
      this.bids = bids;
    }

    @ProcessElement
    public void process(@Element Long i, MultiOutputReceiver out) {
      Kind kind = NexmarkGenerator.kind(i);
      if (!kinds.contains(kind)) {
        return;
      }
      Instant at = new Instant(generator.millis(i));
      switch (kind) {
        case PERSON -> out.get(persons).outputWithTimestamp(person.apply(generator.person(i)), at);
        case AUCTION -> out.get(auctions).outputWithTimestamp(auction.apply(generator.auction(i)), at);
        default -> out.get(bids).outputWithTimestamp(bid.apply(generator.bid(i)), at);
      }
    }
  }
}
