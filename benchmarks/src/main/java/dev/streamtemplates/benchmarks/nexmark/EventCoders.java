package dev.streamtemplates.benchmarks.nexmark;

import dev.streamtemplates.benchmarks.nexmark.Events.Auction;
import dev.streamtemplates.benchmarks.nexmark.Events.Bid;
import dev.streamtemplates.benchmarks.nexmark.Events.Person;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/** Compact coders for the Java events, as an expert gives a hand-written pipeline (no Java serialization). */
public final class EventCoders {
  private static final VarLongCoder LONG = VarLongCoder.of();
  private static final StringUtf8Coder STRING = StringUtf8Coder.of();

  private EventCoders() {}

  public static final class PersonCoder extends CustomCoder<Person> {
    @Override
    public void encode(Person p, OutputStream out) throws IOException {
      LONG.encode(p.id(), out);
      STRING.encode(p.name(), out);
      STRING.encode(p.emailAddress(), out);
      STRING.encode(p.creditCard(), out);
      STRING.encode(p.city(), out);
      STRING.encode(p.state(), out);
      LONG.encode(p.dateTime(), out);
    }

    @Override
    public Person decode(InputStream in) throws IOException {
      return new Person(LONG.decode(in), STRING.decode(in), STRING.decode(in), STRING.decode(in), STRING.decode(in),
          STRING.decode(in), LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }

  public static final class AuctionCoder extends CustomCoder<Auction> {
    @Override
    public void encode(Auction a, OutputStream out) throws IOException {
      LONG.encode(a.id(), out);
      STRING.encode(a.itemName(), out);
      LONG.encode(a.initialBid(), out);
      LONG.encode(a.reserve(), out);
      LONG.encode(a.dateTime(), out);
      LONG.encode(a.expires(), out);
      LONG.encode(a.seller(), out);
      LONG.encode(a.category(), out);
    }

    @Override
    public Auction decode(InputStream in) throws IOException {
      return new Auction(LONG.decode(in), STRING.decode(in), LONG.decode(in), LONG.decode(in), LONG.decode(in), LONG.decode(in),
          LONG.decode(in), LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }

  public static final class BidCoder extends CustomCoder<Bid> {
    @Override
    public void encode(Bid b, OutputStream out) throws IOException {
      LONG.encode(b.auction(), out);
      LONG.encode(b.bidder(), out);
      LONG.encode(b.price(), out);
      STRING.encode(b.channel(), out);
      LONG.encode(b.dateTime(), out);
    }

    @Override
    public Bid decode(InputStream in) throws IOException {
      return new Bid(LONG.decode(in), LONG.decode(in), LONG.decode(in), STRING.decode(in), LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
