package dev.streamtemplates.transforms.format;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

public class ConfluentAvroFormatTest {
  private static final org.apache.avro.Schema V1 = Formats.parseAvroSchema(
      "{\"type\":\"record\",\"name\":\"Payment\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"double\"}]}");
  /** V1 plus a field with a default: readers on V2 can read V1 records. */
  private static final org.apache.avro.Schema V2 = Formats.parseAvroSchema(
      "{\"type\":\"record\",\"name\":\"Payment\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"double\"},"
          + "{\"name\":\"currency\",\"type\":\"string\",\"default\":\"EUR\"}]}");

  /** A Confluent-framed record written independently of the class under test. */
  private static byte[] framed(int id, org.apache.avro.Schema writerSchema, GenericRecord record) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(writerSchema).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static GenericRecord v1(String id, double amount) {
    GenericRecord record = new GenericData.Record(V1);
    record.put("id", id);
    record.put("amount", amount);
    return record;
  }

  private static FormatsTest.Collected decode(RecordFormat format, byte[] payload) {
    FormatsTest.Collected collected = new FormatsTest.Collected();
    format.decode(payload, collected);
    return collected;
  }

  @Test
  public void writesMagicByteAndSchemaIdThenTheAvroRecordAndReadsItBack() {
    RecordFormat format = Formats.confluentAvro(V1, 42, null);
    Row row = Row.withSchema(format.schema()).addValues("p1", 12.5).build();
    byte[] payload = format.encode(row);
    assertThat(payload[0], equalTo((byte) 0));
    assertThat(ByteBuffer.wrap(payload, 1, 4).getInt(), equalTo(42));
    assertThat(decode(format, payload).rows, contains(row));
  }

  @Test
  public void readsRecordsFramedByAnotherWriterWithTheLocalSchema() throws IOException {
    FormatsTest.Collected got = decode(Formats.confluentAvro(V1, 7, null), framed(7, V1, v1("p2", 3.0)));
    assertThat(got.reasons, empty());
    assertThat(got.rows.get(0).getString("id"), equalTo("p2"));
    assertThat(got.rows.get(0).getDouble("amount"), equalTo(3.0));
  }

  @Test
  public void wrongMagicByteShortPayloadAndUnknownIdAreFailuresWithTheirReason() throws IOException {
    RecordFormat format = Formats.confluentAvro(V1, 7, null);
    assertThat(decode(format, new byte[] {1, 0, 0, 0, 7, 2}).reasons,
        contains("not in the Confluent wire format: first byte is 0x01, expected the magic byte 0x00"));
    assertThat(decode(format, new byte[] {0, 0}).reasons,
        contains("not in the Confluent wire format: 2 bytes, shorter than the 5-byte header"));
    assertThat(decode(format, framed(8, V1, v1("p3", 1.0))).reasons,
        contains("schema id 8 is not the local schema's id 7, and no schemaRegistryUrl is set to look it up"));
    byte[] truncated = framed(7, V1, v1("p4", 1.0));
    assertThat(decode(format, java.util.Arrays.copyOf(truncated, 7)).reasons.get(0), containsString("not an Avro record of schema id 7"));
  }

  @Test
  public void writingWithoutSchemaIdIsRefusedWithTheOptionName() {
    RecordFormat format = Formats.confluentAvro(V1, null, null);
    IllegalArgumentException e = org.junit.Assert.assertThrows(IllegalArgumentException.class,
        () -> format.encode(Row.withSchema(format.schema()).addValues("p", 1.0).build()));
    assertThat(e.getMessage(), containsString("needs schemaId"));
  }

  /**
   * An older writer schema is fetched by id from a registry and resolved against the local
   * reader schema (the new field takes its default). The registry here is the JDK's HTTP server
   * answering the one REST call Confluent's registry documents, since no registry can run here;
   * its credentials must reach it as Basic auth and never appear in a failure message.
   */
  @Test
  public void unknownIdIsLookedUpInTheRegistryAndResolvedAgainstTheLocalSchema() throws IOException {
    HttpServer registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    List<String> authorizations = new ArrayList<>();
    registry.createContext("/schemas/ids/", exchange -> {
      authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
      String id = exchange.getRequestURI().getPath().replaceAll(".*/", "");
      byte[] body = "3".equals(id)
          ? ("{\"schema\":" + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(V1.toString()) + "}").getBytes(StandardCharsets.UTF_8)
          : "{\"error_code\":40403,\"message\":\"Schema not found\"}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders("3".equals(id) ? 200 : 404, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    registry.start();
    try {
      String url = "http://reader:s3cret-pw@127.0.0.1:" + registry.getAddress().getPort();
      RecordFormat format = Formats.confluentAvro(V2, 9, url);
      FormatsTest.Collected got = decode(format, framed(3, V1, v1("old", 5.0)));
      assertThat(got.reasons, empty());
      assertThat(got.rows.get(0).getString("currency"), equalTo("EUR"));
      assertThat(got.rows.get(0).getString("id"), equalTo("old"));
      assertThat(authorizations.get(0), equalTo("Basic " + java.util.Base64.getEncoder().encodeToString("reader:s3cret-pw".getBytes(StandardCharsets.UTF_8))));

      FormatsTest.Collected missing = decode(format, framed(5, V1, v1("x", 1.0)));
      assertThat(missing.reasons.get(0), containsString("schema id 5: the registry answered HTTP 404"));
      assertThat(missing.reasons.get(0), not(containsString("s3cret-pw")));
    } finally {
      registry.stop(0);
    }
  }
}
