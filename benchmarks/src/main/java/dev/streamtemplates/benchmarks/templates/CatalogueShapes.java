package dev.streamtemplates.benchmarks.templates;

import static dev.streamtemplates.benchmarks.templates.InputShape.fields;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * The input of every catalogue template, as realistic as its sample files suggest: key counts of
 * a real feed (2,000 cards for the top spenders, 50 servers, 500 sensors), values in the ranges
 * the templates test against (amounts around the fraud limit, temperatures that cross 30 °C,
 * sensor readings within the model's valid intervals), and patterns the templates look for
 * (cards used abroad, outages that raise the error rate for minutes, rising price trends,
 * garage doors left open, loan applications missing a check). Every record is valid for its
 * source's schema, so a run dead-letters nothing and all of it is the template's work.
 *
 * <p>{@link #of} makes a fresh shape for one run of {@code events} events; the shape's state
 * (random walks, open applications) lives in that instance.
 */
final class CatalogueShapes {
  private CatalogueShapes() {}

  private static final long MINUTE = 60_000L;

  private static final Map<String, LongFunction<InputShape>> SHAPES = shapes();

  private static Map<String, LongFunction<InputShape>> shapes() {
    Map<String, LongFunction<InputShape>> shapes = new TreeMap<>();
    shapes.put("xml-to-json", n -> single("orders", CatalogueShapes::order));
    shapes.put("json-to-avro", n -> single("transactions", transactions(20_000)));
    shapes.put("threshold-alert", n -> single("transactions", transactions(20_000)));
    shapes.put("threshold-crossing", n -> single("readings", CatalogueShapes::reading));
    shapes.put("route-by-category", n -> single("shipments", CatalogueShapes::shipment));
    shapes.put("windowed-metrics", n -> single("requests", CatalogueShapes::request));
    // The measurement: 2,000 cards.
    shapes.put("top-n-spenders", n -> single("spending", transactions(2_000)));
    shapes.put("consecutive-rejections", n -> single("requests", CatalogueShapes::request));
    shapes.put("session-activity", n -> single("clicks", CatalogueShapes::pageView));
    shapes.put("search-click-join", n -> new SearchesAndClicks());
    shapes.put("loan-application-gather", LoanChecks::new);
    shapes.put("tweet-stock-enrichment", n -> new TweetsAndPrices());
    shapes.put("card-fraud-sequence", n -> single("transactions", transactions(20_000)));
    shapes.put("new-card-spend", n -> single("transactions", transactions(20_000)));
    shapes.put("garage-door-absence", n -> single("garage-events", new GarageEvents(n)::next));
    shapes.put("stock-rising-trend", n -> single("ticks", new RisingTicks(n)::next));
    // The same ticks: outside a trend the price is a random walk, so up-down swings come by chance (a 3-swing whipsaw about 1 in 64 runs of 7 ticks).
    shapes.put("stock-whipsaw", n -> single("ticks", new RisingTicks(n)::next));
    shapes.put("interval-change", n -> single("ticks", new PriceWalk(500)::tick));
    shapes.put("error-rate-streak", n -> single("requests", CatalogueShapes::httpRequest));
    shapes.put("defect-detection", n -> single("readings", CatalogueShapes::partReading));
    shapes.put("wait-time-forecast", n -> single("queue", CatalogueShapes::queueEvent));
    shapes.put("moving-average", n -> single("readings", CatalogueShapes::sequencedReading));
    shapes.put("daily-report", n -> single("sales", CatalogueShapes::storeSale));
    shapes.put("sensor-silence", n -> single("readings", CatalogueShapes::heartbeat));
    shapes.put("dormant-card-burst", n -> single("transactions", CatalogueShapes::cardActivity));
    return shapes;
  }

  /** The templates this class has a shape for. */
  static java.util.Set<String> templates() {
    return SHAPES.keySet();
  }

  /** A fresh shape for a run of {@code events} events of {@code template}. */
  static InputShape of(String template, long events) {
    LongFunction<InputShape> shape = SHAPES.get(template);
    if (shape == null) {
      throw new IllegalArgumentException("no input generator for template '" + template + "'; the generators cover "
          + SHAPES.keySet() + " (add one to CatalogueShapes)");
    }
    return shape.apply(events);
  }

  /** A record's fields from its position, time and draws. */
  @FunctionalInterface
  interface RecordFn {
    Map<String, Object> of(long i, long millis, Draw draw);
  }

  /** A template with one source, read from the file its {@code input} parameter names. */
  private static InputShape single(String source, RecordFn fields) {
    return new InputShape() {
      @Override
      public Map<String, String> files() {
        return Map.of(source, "input");
      }

      @Override
      public Record next(long i, long millis, Draw draw) {
        return new Record(source, fields.of(i, millis, draw));
      }
    };
  }

  // ---- orders (XML) ----

  private static final String[] FIRST_NAMES = {"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Niklaus", "Radia"};
  private static final String[] LAST_NAMES = {"Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton", "Wirth"};
  private static final String[] ORDER_COUNTRIES = {"GB", "US", "NL", "FR", "DE", "CH", "US", "US", "JP", "CA"};
  private static final String[] NOTES = {"gift wrap", "leave at the door", "call before delivery", "fragile"};

  private static Map<String, Object> order(long i, long millis, Draw draw) {
    int customer = draw.below(5_000);
    String country = ORDER_COUNTRIES[customer % ORDER_COUNTRIES.length];
    return fields(
        "orderId", "o-" + i,
        "customer", fields("name", FIRST_NAMES[customer % FIRST_NAMES.length] + " " + LAST_NAMES[customer / FIRST_NAMES.length % LAST_NAMES.length],
            "country", country),
        "quantity", (int) draw.logUniform(1, 50),
        "unitPrice", Draw.round(draw.logUniform(1, 500), 2),
        "currency", currency(country),
        "orderTime", millis,
        "note", draw.chance(0.05) ? draw.pick(NOTES) : null);
  }

  private static String currency(String country) {
    switch (country) {
      case "GB":
        return "GBP";
      case "JP":
        return "JPY";
      case "CH":
        return "CHF";
      case "CA":
        return "CAD";
      case "US":
        return "USD";
      default:
        return "EUR";
    }
  }

  // ---- card transactions (JSON lines) ----

  private static final String[] HOME_COUNTRIES = {"US", "US", "US", "US", "US", "US", "US", "FR", "DE", "GB"};
  private static final String[] ABROAD = {"CA", "MX", "GB", "FR", "DE", "JP", "BR", "IN", "ES", "IT"};

  /**
   * Card transactions over {@code cards} cards: each card has a home country (70% the US); one
   * card in 20 travels and is used abroad in 30% of its transactions. Amounts log-uniform from
   * $1 to $15,000, so about 4% are above the fraud screen's default limit of 10,000.
   */
  private static RecordFn transactions(int cards) {
    return (i, millis, draw) -> {
      int card = draw.below(cards);
      String home = HOME_COUNTRIES[card % HOME_COUNTRIES.length];
      boolean travels = card % 20 == 7;
      String country = travels && draw.chance(0.3) ? draw.pick(ABROAD) : home;
      return fields(
          "txId", "tx-" + i,
          "cardId", "4111-" + card,
          "amount", Draw.round(draw.logUniform(1, 15_000), 2),
          "currency", currency(country),
          "country", country,
          "online", draw.chance(0.4),
          "ts", millis);
    };
  }

  // ---- sensor readings (CSV) ----

  private static final String[] SITES = {"lyon", "oslo", "porto", "turin", "ghent", "brno", "graz", "cork"};

  /**
   * 500 sensors; each one's temperature follows its own daily-like cycle (period 10 to 30
   * minutes, amplitude 7 °C around 19 to 25 °C) plus noise, so most sensors cross the 30 °C
   * limit a few times an hour.
   */
  private static Map<String, Object> reading(long i, long millis, Draw draw) {
    int sensor = draw.below(500);
    double periodMillis = (10 + sensor % 21) * MINUTE;
    double phase = sensor * 0.618_033_988_7 % 1.0;
    double cycle = Math.sin(2 * Math.PI * ((millis - EventClock.START) / periodMillis + phase));
    double celsius = 22 + (sensor % 7 - 3) + 7 * cycle + draw.gaussian(0, 0.5);
    return fields("sensorId", "t-" + sensor, "site", SITES[sensor % SITES.length], "celsius", Draw.round(celsius, 1), "at", millis);
  }

  // ---- shipments (JSON lines, inline schema) ----

  private static final String[] ORIGINS = {"FR", "FR", "DE", "DE", "US", "US", "US", "CN", "CN", "GB", "NL", "JP", "IT", "ES", "CA", "BR"};
  private static final String[] DESTINATIONS = {"FR", "DE", "US", "GB", "NL", "IT", "ES", "PL", "SE", "CA", "MX", "BR", "AR", "JP", "CN", "IN", "AU", "ZA"};

  private static Map<String, Object> shipment(long i, long millis, Draw draw) {
    String origin = draw.pick(ORIGINS);
    return fields(
        "shipmentId", "sh-" + i,
        "origin", origin,
        "destination", draw.chance(0.3) ? origin : draw.pick(DESTINATIONS),
        "weightKg", Draw.round(draw.logUniform(0.1, 500), 1),
        "shippedAt", millis);
  }

  // ---- requests to API servers (JSON lines) ----

  /**
   * 50 servers, 10,000 clients. 3% of requests are rejected, except while a server is overloaded
   * (one server in 20 in each 5-minute period), when 40% are, in bursts that set off the
   * consecutive-rejection alert. Latency: about 20 ms typical (log-normal), a few ms when rejected.
   */
  private static Map<String, Object> request(long i, long millis, Draw draw) {
    int server = draw.below(50);
    boolean overloaded = draw.phase(server, (millis - EventClock.START) / (5 * MINUTE)) < 0.05;
    boolean rejected = draw.chance(overloaded ? 0.4 : 0.03);
    double latency = rejected ? draw.logUniform(1, 5) : Math.exp(draw.gaussian(3.0, 0.6));
    return fields(
        "server", "api-" + server,
        "client", "c" + draw.below(10_000),
        "status", rejected ? "REJECTED" : "OK",
        "latencyMs", Draw.round(latency, 1),
        "at", millis);
  }

  // ---- page views (JSON lines) ----

  private static final String[] HOT_PAGES = {"/home", "/search", "/pricing", "/signup", "/cart"};

  /**
   * Page views of 20,000 users, 1,000 of them active at a time: every 4 minutes, 500 users stop
   * and 500 others start, so each user is active for about 8 minutes and then leaves (one session
   * each, with the template's 5-minute gap). 30% of views are of five hot pages.
   */
  private static Map<String, Object> pageView(long i, long millis, Draw draw) {
    long shift = (millis - EventClock.START) / (4 * MINUTE);
    long user = (shift * 500 + draw.below(1_000)) % 20_000;
    String page = draw.chance(0.3) ? draw.pick(HOT_PAGES) : "/p/" + draw.below(200);
    return fields("user", "u" + user, "page", page, "at", millis);
  }

  // ---- searches and result clicks (two JSON-lines sources) ----

  private static final String[] QUERIES = {"running shoes", "rain jacket", "tent", "stove", "sleeping bag", "headlamp", "backpack", "boots"};

  /**
   * 35% searches, each opening a session, and 65% clicks on results, each in a session opened in
   * the last 15 minutes (recent sessions more often), so most clicks fall within the join's
   * 10 minutes and some do not.
   */
  private static final class SearchesAndClicks implements InputShape {
    private long sessions;

    @Override
    public Map<String, String> files() {
      return Map.of("searches", "searches", "clicks", "clicks");
    }

    @Override
    public Record next(long i, long millis, Draw draw) {
      if (sessions == 0 || draw.chance(0.35)) {
        long session = sessions++;
        return new Record("searches", fields("sessionId", "k" + session, "query", draw.pick(QUERIES), "at", millis));
      }
      long elapsed = millis - EventClock.START;
      long window = 15 * MINUTE;
      long recent = elapsed <= window ? sessions : Math.max(1, sessions * window / elapsed);
      double u = draw.unit();
      long session = Math.max(0, sessions - 1 - (long) (u * u * recent));
      return new Record("clicks", fields("sessionId", "k" + session, "url", "/p/" + draw.below(5_000),
          "position", draw.between(1, 20), "at", millis));
    }
  }

  // ---- loan application checks (three JSON-lines sources) ----

  /**
   * Credit, address and identity checks of loan applications, a few hundred open at a time (one
   * per 2,000 events), their checks interleaved. One application in 30 misses a check, so it
   * goes on as partial at the template's timeout; 10% of checks fail.
   */
  private static final class LoanChecks implements InputShape {
    private static final List<String> CHECKS = List.of("credit", "address", "identity");
    private final List<List<String>> open = new ArrayList<>();
    private final List<Long> ids = new ArrayList<>();
    private final int pool;
    private long applications;

    LoanChecks(long events) {
      this.pool = (int) Math.max(10, events / 2_000);
    }

    @Override
    public Map<String, String> files() {
      return Map.of("credit", "credit", "address", "address", "identity", "identity");
    }

    @Override
    public Record next(long i, long millis, Draw draw) {
      while (open.size() < pool) {
        List<String> checks = new ArrayList<>(CHECKS);
        if (draw.chance(1.0 / 30)) {
          checks.remove(draw.below(checks.size()));
        }
        open.add(checks);
        ids.add(applications++);
      }
      int k = draw.below(open.size());
      String check = open.get(k).remove(0);
      long application = ids.get(k);
      if (open.get(k).isEmpty()) {
        // Swap-remove: order among open applications does not matter.
        int last = open.size() - 1;
        open.set(k, open.get(last));
        ids.set(k, ids.get(last));
        open.remove(last);
        ids.remove(last);
      }
      String detail;
      switch (check) {
        case "credit":
          detail = "score " + draw.between(300, 850);
          break;
        case "identity":
          detail = draw.chance(0.5) ? "passport" : "id card";
          break;
        default:
          detail = null;
      }
      return new Record(check, fields("applicationId", "L-" + application, "passed", draw.chance(0.9), "detail", detail, "at", millis));
    }
  }

  // ---- tweets and stock prices (two JSON-lines sources) ----

  /** A four-letter ticker for symbol number {@code s}. */
  private static String ticker(int s) {
    char[] letters = new char[4];
    int rest = s;
    for (int k = 3; k >= 0; k--) {
      letters[k] = (char) ('A' + rest % 26);
      rest /= 26;
    }
    return new String(letters);
  }

  private static final String[] TWEET_WORDS = {"beats estimates", "CEO interview", "recall", "new product", "downgrade", "upgrade", "layoffs", "record sales"};

  /**
   * 85% tweets about 500 listed companies (a few much more talked about than the rest) and 15%
   * price updates of those companies (random walks); one update in 200 delists its company (a
   * null price), until its next update.
   */
  private static final class TweetsAndPrices implements InputShape {
    private final PriceWalk prices = new PriceWalk(500);

    @Override
    public Map<String, String> files() {
      return Map.of("tweets", "tweets", "prices", "prices");
    }

    @Override
    public Record next(long i, long millis, Draw draw) {
      if (draw.chance(0.15)) {
        int symbol = draw.below(500);
        boolean delist = draw.chance(0.005);
        double price = prices.step(symbol, draw);
        return new Record("prices", fields("symbol", ticker(symbol), "price", delist ? null : price,
            "currency", delist ? null : "USD", "at", millis));
      }
      double u = draw.unit();
      String company = ticker((int) (u * u * 500));
      return new Record("tweets", fields("tweetId", "tw-" + i, "company", company, "text", company + " " + draw.pick(TWEET_WORDS), "at", millis));
    }
  }

  // ---- stock ticks (JSON lines) ----

  /** Prices of {@code symbols} stocks, each a random walk (0.3% per tick) from $5 to $500. */
  private static final class PriceWalk {
    private final double[] prices;

    PriceWalk(int symbols) {
      this.prices = new double[symbols];
    }

    double step(int symbol, Draw draw) {
      double before = prices[symbol] == 0 ? draw.logUniform(5, 500) : prices[symbol];
      prices[symbol] = Math.max(0.01, before * Math.exp(draw.gaussian(0, 0.003)));
      return Draw.round(prices[symbol], 2);
    }

    Map<String, Object> tick(long i, long millis, Draw draw) {
      int symbol = draw.below(prices.length);
      return fields("symbol", ticker(symbol), "price", step(symbol, draw), "at", millis);
    }
  }

  /**
   * Ticks of one symbol per 200 events (each symbol ticks about every 18 s over the hour), random
   * walks except in trends: in one 15-minute period in ten, a symbol's price rises tick after tick,
   * long enough for the template's 5-minute rising trend.
   */
  private static final class RisingTicks {
    private final double[] prices;

    RisingTicks(long events) {
      this.prices = new double[(int) Math.max(10, events / 200)];
    }

    Map<String, Object> next(long i, long millis, Draw draw) {
      int symbol = draw.below(prices.length);
      double before = prices[symbol] == 0 ? draw.logUniform(5, 500) : prices[symbol];
      boolean trending = draw.phase(symbol, (millis - EventClock.START) / (15 * MINUTE)) < 0.1;
      prices[symbol] = before * (trending ? 1.0005 + 0.002 * draw.unit() : Math.exp(draw.gaussian(0, 0.003)));
      return fields("symbol", ticker(symbol), "price", Draw.round(prices[symbol], 2), "at", millis);
    }
  }

  // ---- HTTP requests with status codes (JSON lines) ----

  private static final Integer[] SERVER_ERRORS = {500, 502, 503, 504};

  /**
   * 50 web servers; 2% of responses are 5xx, except in an outage (one server in 20 in each
   * 5-minute period), when 70% are: five minutes above the template's 0.5 rate, a streak.
   */
  private static Map<String, Object> httpRequest(long i, long millis, Draw draw) {
    int server = draw.below(50);
    boolean outage = draw.phase(server, (millis - EventClock.START) / (5 * MINUTE)) < 0.05;
    int status;
    if (draw.chance(outage ? 0.7 : 0.02)) {
      status = draw.pick(SERVER_ERRORS);
    } else {
      double u = draw.unit();
      status = u < 0.03 ? 404 : u < 0.13 ? 304 : 200;
    }
    return fields("server", "web-" + server, "status", status, "at", millis);
  }

  // ---- moulded part readings (JSON lines) ----

  /**
   * One reading per part from eight lines, within the model's valid intervals (so none is
   * dead-lettered): temperature about 75 °C (sd 8), vibration about 3 mm/s with 8% of parts shaking
   * above 7.1, pressure about 6 bar with 5% below 4.
   */
  private static Map<String, Object> partReading(long i, long millis, Draw draw) {
    double vibration = draw.chance(0.08) ? 7.2 + 5 * draw.unit() : Draw.clamp(Math.abs(draw.gaussian(3, 1.5)), 0, 7.0);
    double pressure = draw.chance(0.05) ? 2 + 1.9 * draw.unit() : Draw.clamp(draw.gaussian(6, 0.8), 4, 16);
    return fields(
        "partId", "p-" + i,
        "line", "L" + (1 + draw.below(8)),
        "temperature", Draw.round(Draw.clamp(draw.gaussian(75, 8), -40, 200), 1),
        "vib_mm_s", Draw.round(vibration, 1),
        "pressure", Draw.round(pressure, 1),
        "at", millis);
  }

  // ---- airport security queues (JSON lines, inline schema) ----

  private static final String[] AIRPORTS = {"LHR", "CDG", "FRA", "AMS", "JFK"};

  /**
   * 40 checkpoint lanes; each lane's queue swells and shrinks over 40 minutes, desks open with the
   * queue, and 30% of events carry the observed wait (about 40 s per passenger per desk, noisy).
   */
  private static Map<String, Object> queueEvent(long i, long millis, Draw draw) {
    int lane = draw.below(40);
    String name = AIRPORTS[lane % 5] + "-T" + (1 + lane / 5 % 2) + "-" + (char) ('A' + lane / 10);
    double cycle = Math.sin(2 * Math.PI * (millis - EventClock.START) / (40.0 * MINUTE) + lane);
    int queue = (int) Math.max(0, Math.round(25 + 15 * cycle + draw.gaussian(0, 5)));
    int staffed = (int) Draw.clamp(1 + queue / 12 + draw.between(-1, 1), 1, 6);
    Double wait = draw.chance(0.3) ? Draw.round(Math.max(0, 40.0 * queue / staffed + draw.gaussian(0, 30)), 0) : null;
    return fields("lane", name, "queueLength", queue, "staffed", staffed, "waitSeconds", wait, "at", millis);
  }

  /**
   * Events at garages, about one per garage per minute: a car leaves, the door closes, a car
   * arrives, the door closes. After 3% of departures the door is left open until the next car
   * arrives, sometimes more than the template's 5 minutes.
   */
  private static final class GarageEvents {
    private static final String[] CYCLE = {"car-left", "door-closed", "car-arrived", "door-closed"};
    private final int[] state;

    GarageEvents(long events) {
      this.state = new int[(int) Math.max(20, events / 60)];
    }

    Map<String, Object> next(long i, long millis, Draw draw) {
      int garage = draw.below(state.length);
      String event = CYCLE[state[garage]];
      boolean leftOpen = state[garage] == 0 && draw.chance(0.03);
      state[garage] = leftOpen ? 2 : (state[garage] + 1) % CYCLE.length;
      return fields("garage", "g" + garage, "event", event, "at", millis);
    }
  }

  // ---- sensor readings with sequence numbers, some sent twice (moving-average) ----

  private static Map<String, Object> sequencedReading(long i, long millis, Draw draw) {
    int sensor = draw.below(500);
    // About 2 % are resent: the same sensor and sequence number as a reading of a moment before.
    long seq = draw.chance(0.02) && i > 0 ? i - 1 : i;
    double celsius = 20 + sensor % 9 + draw.gaussian(0, 1.5) + (draw.chance(0.01) ? 15 : 0);
    return fields("sensorId", "s-" + sensor, "seq", seq, "celsius", Draw.round(celsius, 1), "at", millis);
  }

  // ---- store sales (daily-report) ----

  private static final String[] STORES = {"paris-opera", "paris-bastille", "lyon-part-dieu", "lille-centre", "nice-port", "bordeaux-quais"};
  private static final String[] PRODUCTS = {"croissant", "coffee", "baguette", "eclair", "tea", "macaron", "quiche", "juice", "sandwich", "tart"};

  private static Map<String, Object> storeSale(long i, long millis, Draw draw) {
    int store = draw.below(STORES.length * 50);
    return fields("saleId", "s-" + i, "store", STORES[store % STORES.length] + "-" + store / STORES.length,
        "product", PRODUCTS[(int) draw.logUniform(1, PRODUCTS.length + 1) - 1], "amount", Draw.round(draw.logUniform(1, 40), 2), "at", millis);
  }

  // ---- sensor heartbeats, a few sensors going quiet (sensor-silence) ----

  private static Map<String, Object> heartbeat(long i, long millis, Draw draw) {
    // 500 sensors; the first 25 report only in the first half of the hour, so they fall silent.
    int sensor = draw.below(500);
    if (sensor < 25 && millis - EventClock.START > 30 * MINUTE) {
      sensor += 25;
    }
    return fields("sensor", "s-" + sensor, "site", SITES[sensor % SITES.length], "value", draw.chance(0.01) ? null : Draw.round(draw.gaussian(20, 3), 1),
        "at", millis);
  }

  // ---- card activity with bursts of purchases (dormant-card-burst) ----

  private static final String[] CARD_KINDS = {"purchase", "purchase", "purchase", "refund", "withdrawal"};

  private static Map<String, Object> cardActivity(long i, long millis, Draw draw) {
    int card = draw.below(20_000);
    return fields("card", "c-" + card, "kind", draw.pick(CARD_KINDS), "amount", Draw.round(draw.logUniform(5, 900), 2), "at", millis);
  }
}
