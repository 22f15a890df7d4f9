package dev.streamtemplates.transforms.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Avro records in the Confluent wire format: a zero magic byte, the writer schema's registry id
 * as a 4-byte big-endian int, then the Avro binary record.
 *
 * <p>Written here by hand because Confluent's serializers ({@code io.confluent:kafka-avro-serializer})
 * need a reachable registry and are not on the mirrors this project builds from; the framing is
 * five bytes and documented by Confluent.
 *
 * <p>Reading: a record whose id is {@code schemaId} is read with the local schema. Any other id
 * is looked up in the schema registry at {@code registryUrl} ({@code GET /schemas/ids/<id>}),
 * cached, and resolved against the local (reader) schema with Avro's schema resolution; without a
 * registry URL such a record is a failure that names the id. Writing needs {@code schemaId}: the id
 * under which the local schema is registered.
 */
final class ConfluentAvroFormat implements RecordFormat {
  private static final long serialVersionUID = 1L;
  private static final byte MAGIC = 0;
  private static final int HEADER = 5;

  /** The record format after the 5-byte header: plain Avro binary with the local schema. */
  private final AvroFormat plain;
  private final @Nullable Integer schemaId;
  private final @Nullable String registryUrl;
  private transient Map<Integer, GenericDatumReader<GenericRecord>> readers;

  ConfluentAvroFormat(AvroFormat plain, @Nullable Integer schemaId, @Nullable String registryUrl) {
    if (schemaId != null && schemaId < 0) {
      throw new IllegalArgumentException("schemaId must be >= 0, got " + schemaId);
    }
    if (registryUrl != null && !registryUrl.matches("https?://.+")) {
      throw new IllegalArgumentException("schemaRegistryUrl must be an http(s) URL, got '" + Secretless.url(registryUrl) + "'");
    }
    this.plain = plain;
    this.schemaId = schemaId;
    this.registryUrl = registryUrl;
  }

  @Override
  public String name() {
    return "avro";
  }

  @Override
  public Schema schema() {
    return plain.schema();
  }

  @Override
  public boolean isText() {
    return false;
  }

  private org.apache.avro.Schema avroSchema() {
    return plain.avroSchema();
  }

  @Override
  public void decode(byte[] payload, Receiver receiver) {
    if (payload.length < HEADER || payload[0] != MAGIC) {
      receiver.failure(payload, payload.length < HEADER
          ? "not in the Confluent wire format: " + payload.length + " bytes, shorter than the 5-byte header"
          : String.format("not in the Confluent wire format: first byte is 0x%02x, expected the magic byte 0x00", payload[0]));
      return;
    }
    int id = ByteBuffer.wrap(payload, 1, 4).getInt();
    GenericDatumReader<GenericRecord> reader;
    try {
      reader = reader(id);
    } catch (IllegalArgumentException e) {
      receiver.failure(payload, e.getMessage());
      return;
    }
    Row row;
    try {
      row = plain.readRow(reader, payload, HEADER);
    } catch (Exception | StackOverflowError e) {
      receiver.failure(payload, "not an Avro record of schema id " + id + " (" + avroSchema().getFullName() + "): " + e);
      return;
    }
    receiver.record(row);
  }

  private GenericDatumReader<GenericRecord> reader(int id) {
    if (readers == null) {
      readers = new ConcurrentHashMap<>();
    }
    GenericDatumReader<GenericRecord> reader = readers.get(id);
    if (reader == null) {
      org.apache.avro.Schema writerSchema;
      if ((schemaId == null && registryUrl == null) || (schemaId != null && id == schemaId)) {
        writerSchema = avroSchema();
      } else if (registryUrl != null) {
        writerSchema = fetch(id);
      } else {
        throw new IllegalArgumentException("schema id " + id + " is not the local schema's id " + schemaId
            + ", and no schemaRegistryUrl is set to look it up");
      }
      reader = new GenericDatumReader<>(writerSchema, avroSchema());
      readers.put(id, reader);
    }
    return reader;
  }

  /** The writer schema registered under {@code id}, from the registry's REST API. */
  private org.apache.avro.Schema fetch(int id) {
    URI uri = URI.create(registryUrl.replaceAll("/+$", "") + "/schemas/ids/" + id);
    String where = Secretless.url(uri.toString());
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(withoutUserInfo(uri)).timeout(Duration.ofSeconds(10))
          .header("Accept", "application/vnd.schemaregistry.v1+json, application/json");
      if (uri.getUserInfo() != null) {
        request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(uri.getUserInfo().getBytes(StandardCharsets.UTF_8)));
      }
      HttpResponse<String> response =
          HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalArgumentException("schema id " + id + ": the registry answered HTTP " + response.statusCode() + " for " + where);
      }
      JsonNode body = new ObjectMapper().readTree(response.body());
      if (!body.hasNonNull("schema")) {
        throw new IllegalArgumentException("schema id " + id + ": the registry's answer from " + where + " has no 'schema'");
      }
      return Formats.parseAvroSchema(body.get("schema").asText());
    } catch (IOException e) {
      throw new IllegalArgumentException("schema id " + id + ": cannot reach the schema registry at " + where + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalArgumentException("schema id " + id + ": interrupted while asking " + where);
    } catch (org.apache.avro.SchemaParseException e) {
      throw new IllegalArgumentException("schema id " + id + ": the registry's schema is not valid Avro: " + e.getMessage());
    }
  }

  private static URI withoutUserInfo(URI uri) {
    return URI.create(uri.toString().replaceFirst("//[^/@]*@", "//"));
  }

  @Override
  public byte[] encode(Row row) {
    if (schemaId == null) {
      throw new IllegalArgumentException("the Confluent wire format needs schemaId (the registry id of the schema) to write");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(MAGIC);
    out.writeBytes(ByteBuffer.allocate(4).putInt(schemaId).array());
    plain.write(row, out);
    return out.toByteArray();
  }

  /** Strips credentials from URLs before they reach a message. */
  static final class Secretless {
    private Secretless() {}

    static String url(String url) {
      return url.replaceFirst("//[^/@]*@", "//***@");
    }
  }
}
