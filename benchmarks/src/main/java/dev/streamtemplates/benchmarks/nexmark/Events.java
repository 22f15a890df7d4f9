package dev.streamtemplates.benchmarks.nexmark;

import java.io.Serializable;

/** The generated events in plain Java form, for the hand-written pipelines. */
public final class Events {
  private Events() {}

  /** What kind of event an index is. */
  public enum Kind {
    PERSON, AUCTION, BID
  }

  /** A person: a seller or a bidder. */
  public record Person(long id, String name, String emailAddress, String creditCard, String city, String state, long dateTime)
      implements Serializable {}

  /** An auction of one item by one seller, in one category. */
  public record Auction(long id, String itemName, long initialBid, long reserve, long dateTime, long expires, long seller,
      long category) implements Serializable {}

  /** A bid on an auction; prices are in cents. */
  public record Bid(long auction, long bidder, long price, String channel, long dateTime) implements Serializable {}

  /** A card transaction, for the fraud patterns (the catalogue's {@code transaction.avsc}). */
  public record Transaction(String txId, String cardId, double amount, String currency, String country, boolean online, long ts)
      implements Serializable {}
}
