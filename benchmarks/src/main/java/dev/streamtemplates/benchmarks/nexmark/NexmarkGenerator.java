package dev.streamtemplates.benchmarks.nexmark;

import dev.streamtemplates.benchmarks.nexmark.Events.Auction;
import dev.streamtemplates.benchmarks.nexmark.Events.Bid;
import dev.streamtemplates.benchmarks.nexmark.Events.Kind;
import dev.streamtemplates.benchmarks.nexmark.Events.Person;
import dev.streamtemplates.benchmarks.nexmark.Events.Transaction;
import java.io.Serializable;

/**
 * The Nexmark auction model as pure functions of an event's index: every runner, every worker
 * and every contestant computes the same event {@code i} from the same {@link GeneratorConfig},
 * whatever order indices reach it in.
 *
 * <p>Shape, after the Nexmark benchmark: in each block of 50 consecutive indices, 1 person, 3
 * auctions and 46 bids (offsets 0, 1-3, 4-49). Person and auction ids count up from 1000, so
 * event {@code i}'s id says how many of its kind came before. A bid goes to one of the latest
 * {@code activeAuctions} auctions, half of the time to one of the hottest tenth of them; bidders
 * and sellers are drawn from the latest {@code activePersons} persons. Prices are log-uniform
 * from $1 to $10,000 (in cents); auctions are in 5 categories, 10 to 14; persons live in 6 US
 * states.
 *
 * <p>Event time: event {@code i} is nominally at {@code firstMillis + i * 1000 / eventsPerSecond}
 * and actually up to {@code maxOutOfOrderMillis} before that (never before {@code firstMillis}),
 * so an event is never more than that behind any event with a smaller index: a watermark that
 * trails the nominal time by {@code maxOutOfOrderMillis} is never passed by a later event. A
 * seller is always a person whose time is at or before its auction's, so a join "as of the
 * auction's time" finds every seller.
 *
 * <p>Card transactions for the fraud patterns come from the same kind of function ({@link
 * #transaction}): {@code activePersons} cards, 90% in the US, amounts log-uniform.
 */
public final class NexmarkGenerator implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final int BLOCK = 50;
  public static final int PERSONS_PER_BLOCK = 1;
  public static final int AUCTIONS_PER_BLOCK = 3;
  public static final long FIRST_PERSON_ID = 1000;
  public static final long FIRST_AUCTION_ID = 1000;
  public static final long FIRST_CATEGORY = 10;
  public static final int CATEGORIES = 5;
  /** Auctions last from 1 to 20 seconds of event time. */
  public static final long MAX_AUCTION_MILLIS = 20_000;

  static final String[] STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  static final String[] CITIES = {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"};
  static final String[] FIRST_NAMES = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
  static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
  static final String[] CHANNELS = {"Google", "Facebook", "Baidu", "Apple"};
  static final String[] COUNTRIES = {"CA", "MX", "GB", "FR", "DE", "JP", "BR", "IN"};

  private final GeneratorConfig config;
  /** How many indices back a seller must be created so that it is never later than its auction. */
  private final long sellerLag;

  public NexmarkGenerator(GeneratorConfig config) {
    this.config = config;
    // base(i) - base(i - lag) >= maxOutOfOrder + 1 whenever lag >= (maxOutOfOrder + 1) * rate / 1000 + 1.
    this.sellerLag = (config.maxOutOfOrderMillis() + 1) * config.eventsPerSecond() / 1000 + 2;
  }

  public GeneratorConfig config() {
    return config;
  }

  public static Kind kind(long i) {
    long offset = i % BLOCK;
    return offset < PERSONS_PER_BLOCK ? Kind.PERSON : offset < PERSONS_PER_BLOCK + AUCTIONS_PER_BLOCK ? Kind.AUCTION : Kind.BID;
  }

  /** Nominal event time of index {@code i}: monotone in {@code i}. */
  public long nominalMillis(long i) {
    return config.firstMillis() + i * 1000 / config.eventsPerSecond();
  }

  /** Event time of index {@code i}: its nominal time, less a delay of up to {@code maxOutOfOrderMillis}. */
  public long millis(long i) {
    long delay = config.maxOutOfOrderMillis() == 0 ? 0 : Math.floorMod(random(i, 7), config.maxOutOfOrderMillis() + 1);
    return Math.max(config.firstMillis(), nominalMillis(i) - delay);
  }

  public Person person(long i) {
    long id = personsBefore(i) + FIRST_PERSON_ID;
    String name = FIRST_NAMES[pick(i, 1, FIRST_NAMES.length)] + " " + LAST_NAMES[pick(i, 2, LAST_NAMES.length)];
    String email = name.replace(' ', '.').toLowerCase(java.util.Locale.ROOT) + id + "@example.com";
    long card = Math.floorMod(random(i, 3), 10_000_000_000_000_000L);
    String state = STATES[pick(i, 4, STATES.length)];
    return new Person(id, name, email, String.format("%016d", card), CITIES[pick(i, 5, CITIES.length)], state, millis(i));
  }

  public Auction auction(long i) {
    long id = auctionsBefore(i) + FIRST_AUCTION_ID;
    long initialBid = price(random(i, 1));
    long reserve = initialBid + Math.floorMod(random(i, 2), 10 * initialBid + 1);
    long at = millis(i);
    long expires = at + 1000 + Math.floorMod(random(i, 3), MAX_AUCTION_MILLIS - 1000);
    // A seller created far enough back that its time is at or before this auction's (person 0 is at the first instant).
    long eligible = i < sellerLag ? 1 : personsBefore(i - sellerLag + 1);
    long seller = FIRST_PERSON_ID + latest(eligible, config.activePersons(), random(i, 4));
    long category = FIRST_CATEGORY + pick(i, 5, CATEGORIES);
    return new Auction(id, "item-" + id, initialBid, reserve, at, expires, seller, category);
  }

  public Bid bid(long i) {
    long auctions = auctionsBefore(i); // the 3 auctions of this block come before its bids
    long auction;
    long r = random(i, 1);
    if ((r & 1) == 0) {
      // Hot: one of the latest tenth of the live auctions.
      auction = FIRST_AUCTION_ID + latest(auctions, Math.max(1, config.activeAuctions() / 10), r >>> 1);
    } else {
      auction = FIRST_AUCTION_ID + latest(auctions, config.activeAuctions(), r >>> 1);
    }
    long bidder = FIRST_PERSON_ID + latest(personsBefore(i), config.activePersons(), random(i, 2));
    return new Bid(auction, bidder, price(random(i, 3)), CHANNELS[pick(i, 4, CHANNELS.length)], millis(i));
  }

  /** A card transaction for index {@code i}, with {@code activePersons} cards. */
  public Transaction transaction(long i) {
    String card = "card-" + Math.floorMod(random(i, 1), config.activePersons());
    double amount = price(random(i, 2)) / 100.0;
    boolean abroad = Math.floorMod(random(i, 3), 10) == 0;
    String country = abroad ? COUNTRIES[pick(i, 4, COUNTRIES.length)] : "US";
    return new Transaction("tx-" + i, card, amount, abroad ? "EUR" : "USD", country, pick(i, 5, 2) == 1, millis(i));
  }

  /** How many persons have indices below {@code i}. */
  static long personsBefore(long i) {
    return (i + BLOCK - 1) / BLOCK;
  }

  /** How many auctions have indices below {@code i}. */
  static long auctionsBefore(long i) {
    long blocks = i / BLOCK;
    long offset = i % BLOCK;
    return blocks * AUCTIONS_PER_BLOCK + Math.max(0, Math.min(AUCTIONS_PER_BLOCK, offset - PERSONS_PER_BLOCK));
  }

  /** One of the latest {@code window} of {@code created} items (0-based), drawn with {@code r}. */
  private static long latest(long created, long window, long r) {
    long span = Math.max(1, Math.min(created, window));
    return Math.max(0, created - 1 - Math.floorMod(r, span));
  }

  /** Log-uniform from 100 to 1,000,000 cents. */
  private static long price(long r) {
    double u = (r >>> 11) * 0x1.0p-53;
    return Math.round(Math.pow(10, 2 + 4 * u));
  }

  private int pick(long i, int salt, int n) {
    return (int) Math.floorMod(random(i, salt), (long) n);
  }

  /** A 64-bit pseudo-random value for (seed, index, salt): SplitMix64's finaliser. */
  long random(long i, int salt) {
    long z = config.seed() * 0x9E3779B97F4A7C15L + i * 0xBF58476D1CE4E5B9L + salt * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
