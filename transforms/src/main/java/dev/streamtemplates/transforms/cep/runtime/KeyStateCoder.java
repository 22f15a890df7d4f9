package dev.streamtemplates.transforms.cep.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.values.Row;

/** Encodes a {@link KeyState}: its events once each, and its runs as sequence numbers into them. */
public final class KeyStateCoder extends CustomCoder<KeyState> {
  private static final VarLongCoder LONG = VarLongCoder.of();
  private static final VarIntCoder INT = VarIntCoder.of();
  private final SchemaCoder<Row> rows;

  private KeyStateCoder(Schema schema) {
    this.rows = SchemaCoder.of(schema);
  }

  public static KeyStateCoder of(Schema eventSchema) {
    return new KeyStateCoder(eventSchema);
  }

  @Override
  public void encode(KeyState state, OutputStream out) throws IOException {
    LONG.encode(state.nextSeq, out);
    LONG.encode(state.baseSeq, out);
    LONG.encode(state.matchedUpTo, out);
    INT.encode(state.events.size(), out);
    for (KeyState.Event event : state.events) {
      rows.encode(event.row, out);
      LONG.encode(event.timestamp, out);
    }
    encodeRuns(state.runs, out);
    encodeRuns(state.held, out);
    LONG.encode(state.firstTs, out);
    INT.encode(state.lastBroken.length, out);
    for (long time : state.lastBroken) {
      LONG.encode(time, out);
    }
  }

  private static void encodeRuns(List<KeyState.Run> runs, OutputStream out) throws IOException {
    INT.encode(runs.size(), out);
    for (KeyState.Run run : runs) {
      INT.encode(run.node(), out);
      INT.encode(run.count(), out);
      LONG.encode(run.mask(), out);
      LONG.encode(run.startTs(), out);
      INT.encode(run.alerts(), out);
      INT.encode(run.seqs().length, out);
      for (int i = 0; i < run.seqs().length; i++) {
        LONG.encode(run.seqs()[i], out);
        out.write(run.nodes()[i]);
      }
    }
  }

  @Override
  public KeyState decode(InputStream in) throws IOException {
    long nextSeq = LONG.decode(in);
    long baseSeq = LONG.decode(in);
    long matchedUpTo = LONG.decode(in);
    int count = INT.decode(in);
    ArrayList<KeyState.Event> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      events.add(new KeyState.Event(baseSeq + i, rows.decode(in), LONG.decode(in)));
    }
    List<KeyState.Run> runs = decodeRuns(in);
    List<KeyState.Run> held = decodeRuns(in);
    long firstTs = LONG.decode(in);
    long[] lastBroken = new long[INT.decode(in)];
    for (int i = 0; i < lastBroken.length; i++) {
      lastBroken[i] = LONG.decode(in);
    }
    return new KeyState(nextSeq, baseSeq, events, runs, held, matchedUpTo, firstTs, lastBroken);
  }

  private static List<KeyState.Run> decodeRuns(InputStream in) throws IOException {
    int count = INT.decode(in);
    List<KeyState.Run> runs = new ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      int node = INT.decode(in);
      int taken = INT.decode(in);
      long mask = LONG.decode(in);
      long startTs = LONG.decode(in);
      int alerts = INT.decode(in);
      int length = INT.decode(in);
      long[] seqs = new long[length];
      byte[] nodes = new byte[length];
      for (int i = 0; i < length; i++) {
        seqs[i] = LONG.decode(in);
        int b = in.read();
        if (b < 0) {
          throw new IOException("truncated sequence-match state");
        }
        nodes[i] = (byte) b;
      }
      runs.add(new KeyState.Run(node, taken, mask, seqs[0], seqs[length - 1], startTs, seqs, nodes, alerts));
    }
    return runs;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof KeyStateCoder c && c.rows.equals(rows);
  }

  @Override
  public int hashCode() {
    return rows.hashCode();
  }
}
