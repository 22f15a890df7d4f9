package dev.streamtemplates.benchmarks.nexmark;

import dev.streamtemplates.benchmarks.nexmark.Events.Auction;
import dev.streamtemplates.benchmarks.nexmark.Events.Bid;
import dev.streamtemplates.benchmarks.nexmark.Events.Person;
import dev.streamtemplates.benchmarks.nexmark.Events.Transaction;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;

/**
 * The generated events as Beam {@link Row}s, for templates. The schemas are the Avro schemas the
 * benchmark specs name ({@code nexmark/*.avsc} on the classpath; transactions: the catalogue's
 * {@code test-data/schemas/transaction.avsc}), converted the way a template's source converts
 * them, so a bound generator gives a template exactly the rows its file source would.
 */
public final class NexmarkRows {
  public static final Schema PERSON = schema("nexmark/person.avsc");
  public static final Schema AUCTION = schema("nexmark/auction.avsc");
  public static final Schema BID = schema("nexmark/bid.avsc");
  public static final Schema TRANSACTION = Schema.builder()
      .addStringField("txId").addStringField("cardId").addDoubleField("amount").addStringField("currency")
      .addStringField("country").addBooleanField("online").addDateTimeField("ts").build();

  private NexmarkRows() {}

  public static Row row(Person p) {
    return Row.withSchema(PERSON).attachValues(p.id(), p.name(), p.emailAddress(), p.creditCard(), p.city(), p.state(),
        new Instant(p.dateTime()));
  }

  public static Row row(Auction a) {
    return Row.withSchema(AUCTION).attachValues(a.id(), a.itemName(), a.initialBid(), a.reserve(), new Instant(a.dateTime()),
        new Instant(a.expires()), a.seller(), a.category());
  }

  public static Row row(Bid b) {
    return Row.withSchema(BID).attachValues(b.auction(), b.bidder(), b.price(), b.channel(), new Instant(b.dateTime()));
  }

  public static Row row(Transaction t) {
    return Row.withSchema(TRANSACTION).attachValues(t.txId(), t.cardId(), t.amount(), t.currency(), t.country(), t.online(),
        new Instant(t.ts()));
  }

  /** The Beam schema of a classpath {@code .avsc}, as a template's source derives it. */
  public static Schema schema(String resource) {
    try (InputStream in = NexmarkRows.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("no " + resource + " on the classpath");
      }
      return AvroUtils.toBeamSchema(new org.apache.avro.Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
