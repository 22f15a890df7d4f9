package dev.streamtemplates.benchmarks.nexmark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import dev.streamtemplates.benchmarks.nexmark.Events.Auction;
import dev.streamtemplates.benchmarks.nexmark.Events.Bid;
import dev.streamtemplates.benchmarks.nexmark.Events.Kind;
import dev.streamtemplates.benchmarks.nexmark.Events.Person;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;
import org.junit.Test;

public class NexmarkGeneratorTest {
  private static final GeneratorConfig CONFIG = GeneratorConfig.of(50_000).withMaxOutOfOrderMillis(500).withKeys(200, 300);

  @Test
  public void sameSeedGivesSameEventsAndAnotherSeedOthers() {
    NexmarkGenerator a = new NexmarkGenerator(CONFIG);
    NexmarkGenerator b = new NexmarkGenerator(CONFIG);
    NexmarkGenerator other = new NexmarkGenerator(CONFIG.withSeed(7));
    int differing = 0;
    for (long i = 0; i < 5_000; i++) {
      assertEquals(describe(a, i), describe(b, i));
      if (!describe(a, i).equals(describe(other, i))) {
        differing++;
      }
    }
    assertThat(differing, greaterThan(4_500));
  }

  @Test
  public void eventsComeOneThreeFortySixInEveryFifty() {
    Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    for (long i = 0; i < 50_000; i++) {
      counts.merge(NexmarkGenerator.kind(i), 1, Integer::sum);
    }
    assertEquals(Map.of(Kind.PERSON, 1_000, Kind.AUCTION, 3_000, Kind.BID, 46_000), counts);
  }

  @Test
  public void idsCountUpAndBidsAndAuctionsReferToLiveEntities() {
    NexmarkGenerator generator = new NexmarkGenerator(CONFIG);
    long persons = 0;
    long auctions = 0;
    Map<Long, Long> personTime = new HashMap<>();
    for (long i = 0; i < 50_000; i++) {
      switch (NexmarkGenerator.kind(i)) {
        case PERSON -> {
          Person p = generator.person(i);
          assertEquals(NexmarkGenerator.FIRST_PERSON_ID + persons++, p.id());
          personTime.put(p.id(), p.dateTime());
        }
        case AUCTION -> {
          Auction a = generator.auction(i);
          assertEquals(NexmarkGenerator.FIRST_AUCTION_ID + auctions++, a.id());
          assertThat(a.category(), both(greaterThanOrEqualTo(10L)).and(lessThan(15L)));
          // The seller exists, among the latest 200 persons of those 500 ms (about 100 persons) old, and is not later than the auction.
          assertThat(personTime.get(a.seller()), lessThanOrEqualTo(a.dateTime()));
          assertThat(a.seller(), greaterThanOrEqualTo(NexmarkGenerator.FIRST_PERSON_ID + persons - 200 - 110));
          assertThat(a.expires(), greaterThan(a.dateTime()));
        }
        default -> {
          Bid b = generator.bid(i);
          assertThat(b.auction(), both(greaterThanOrEqualTo(NexmarkGenerator.FIRST_AUCTION_ID + Math.max(0, auctions - 300)))
              .and(lessThan(NexmarkGenerator.FIRST_AUCTION_ID + auctions)));
          assertThat(b.bidder(), both(greaterThanOrEqualTo(NexmarkGenerator.FIRST_PERSON_ID + Math.max(0, persons - 200)))
              .and(lessThan(NexmarkGenerator.FIRST_PERSON_ID + persons)));
          assertThat(b.price(), both(greaterThanOrEqualTo(100L)).and(lessThanOrEqualTo(1_000_000L)));
        }
      }
    }
  }

  @Test
  public void noEventIsMoreThanTheBoundBehindAnEarlierOneAndSomeAreBehind() {
    NexmarkGenerator generator = new NexmarkGenerator(CONFIG);
    long max = Long.MIN_VALUE;
    long worst = 0;
    int behind = 0;
    for (long i = 0; i < 50_000; i++) {
      long t = generator.millis(i);
      assertThat(t, lessThanOrEqualTo(generator.nominalMillis(i)));
      if (t < max) {
        behind++;
        worst = Math.max(worst, max - t);
      }
      max = Math.max(max, t);
    }
    assertThat(worst, lessThanOrEqualTo(500L));
    assertThat(worst, greaterThan(400L));
    assertThat(behind, greaterThan(10_000));
  }

  @Test
  public void inOrderWithoutABound() {
    NexmarkGenerator generator = new NexmarkGenerator(CONFIG.withMaxOutOfOrderMillis(0));
    for (long i = 1; i < 10_000; i++) {
      assertThat(generator.millis(i), greaterThanOrEqualTo(generator.millis(i - 1)));
    }
    assertEquals(CONFIG.firstMillis() + 100, generator.millis(1_000)); // 10,000 events per second
  }

  @Test
  public void rowsHoldTheSameValuesAsTheRecords() {
    NexmarkGenerator generator = new NexmarkGenerator(CONFIG);
    Bid bid = generator.bid(60);
    Row row = NexmarkRows.row(bid);
    assertEquals(NexmarkRows.BID, row.getSchema());
    assertEquals(bid.auction(), (long) row.getInt64("auction"));
    assertEquals(new Instant(bid.dateTime()), row.getDateTime("dateTime").toInstant());
    Person person = generator.person(50);
    assertEquals(person.state(), NexmarkRows.row(person).getString("state"));
    Auction auction = generator.auction(51);
    assertEquals(auction.seller(), (long) NexmarkRows.row(auction).getInt64("seller"));
  }

  @Test
  public void transactionsAreMostlyDomesticOverTheGivenCards() {
    NexmarkGenerator generator = new NexmarkGenerator(CONFIG);
    int abroad = 0;
    for (long i = 0; i < 10_000; i++) {
      Events.Transaction t = generator.transaction(i);
      assertThat(Integer.parseInt(t.cardId().substring(5)), lessThan(200));
      if (!t.country().equals("US")) {
        abroad++;
      }
    }
    assertThat(abroad, both(greaterThan(800)).and(lessThan(1_200)));
    assertNotEquals(generator.transaction(1), generator.transaction(2));
    assertEquals(NexmarkRows.TRANSACTION.getFieldCount(), NexmarkRows.row(generator.transaction(1)).getFieldCount());
  }

  private static String describe(NexmarkGenerator generator, long i) {
    return switch (NexmarkGenerator.kind(i)) {
      case PERSON -> generator.person(i).toString();
      case AUCTION -> generator.auction(i).toString();
      default -> generator.bid(i).toString();
    };
  }
}
