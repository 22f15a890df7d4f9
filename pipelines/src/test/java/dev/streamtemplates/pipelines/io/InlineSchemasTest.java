package dev.streamtemplates.pipelines.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import org.apache.avro.Schema;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.junit.Test;

/** Inline schemas in a spec, converted to Avro: every type, nullable, nested, lists, and each error with its path. */
public class InlineSchemasTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static Schema convert(String yaml) throws Exception {
    return InlineSchemas.toAvro(new SpecNode(YAML.readTree("schema: " + yaml).get("schema"), "sources[0].schema"), "orders");
  }

  private static java.util.List<String> errors(String yaml) {
    return assertThrows(SpecException.class, () -> convert(yaml)).errors();
  }

  @Test
  public void everyTypeNameBecomesItsAvroTypeAndItsBeamType() throws Exception {
    Schema avro = convert("{s: string, i: int, l: long, f: float, d: double, b: boolean, t: timestamp, raw: bytes}");
    assertThat(avro.toString(), equalTo("{\"type\":\"record\",\"name\":\"orders\",\"fields\":["
        + "{\"name\":\"s\",\"type\":\"string\"},{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"l\",\"type\":\"long\"},"
        + "{\"name\":\"f\",\"type\":\"float\"},{\"name\":\"d\",\"type\":\"double\"},{\"name\":\"b\",\"type\":\"boolean\"},"
        + "{\"name\":\"t\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
        + "{\"name\":\"raw\",\"type\":\"bytes\"}]}"));
    org.apache.beam.sdk.schemas.Schema beam = AvroUtils.toBeamSchema(avro);
    assertThat(beam.getField("s").getType(), equalTo(FieldType.STRING));
    assertThat(beam.getField("i").getType(), equalTo(FieldType.INT32));
    assertThat(beam.getField("l").getType(), equalTo(FieldType.INT64));
    assertThat(beam.getField("f").getType(), equalTo(FieldType.FLOAT));
    assertThat(beam.getField("d").getType(), equalTo(FieldType.DOUBLE));
    assertThat(beam.getField("b").getType(), equalTo(FieldType.BOOLEAN));
    assertThat(beam.getField("t").getType(), equalTo(FieldType.DATETIME));
    assertThat(beam.getField("raw").getType(), equalTo(FieldType.BYTES));
  }

  @Test
  public void aTrailingQuestionMarkMakesAFieldANullableUnionWithDefaultNull() throws Exception {
    Schema avro = convert("{note: 'string?', ts: 'timestamp?'}");
    assertThat(avro.getField("note").schema().toString(), equalTo("[\"null\",\"string\"]"));
    assertThat(avro.getField("note").defaultVal(), equalTo(org.apache.avro.JsonProperties.NULL_VALUE));
    assertThat(avro.getField("ts").schema().toString(), equalTo("[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}]"));
    org.apache.beam.sdk.schemas.Schema beam = AvroUtils.toBeamSchema(avro);
    assertThat(beam.getField("note").getType(), equalTo(FieldType.STRING.withNullable(true)));
    assertThat(beam.getField("ts").getType(), equalTo(FieldType.DATETIME.withNullable(true)));
  }

  @Test
  public void inBlockStyleTheQuestionMarkNeedsNoQuotes() throws Exception {
    Schema avro = convert(String.join("\n", "", "  note: string?", "  tags:", "    - string?", "  address:", "    zip: string?", ""));
    assertThat(avro.getField("note").schema().toString(), equalTo("[\"null\",\"string\"]"));
    assertThat(avro.getField("tags").schema().getElementType().toString(), equalTo("[\"null\",\"string\"]"));
    assertThat(avro.getField("address").schema().getField("zip").schema().toString(), equalTo("[\"null\",\"string\"]"));
  }

  @Test
  public void nestedMapsAreRecordsNamedAfterTheirFieldInTheirParentsNamespace() throws Exception {
    Schema avro = convert("{id: string, address: {city: string, geo: {lat: double, lon: double}}, shipping: {type: {carrier: string}, nullable: true}}");
    Schema address = avro.getField("address").schema();
    assertThat(address.getFullName(), equalTo("orders.address"));
    assertThat(address.getField("geo").schema().getFullName(), equalTo("orders.address.geo"));
    Schema shipping = avro.getField("shipping").schema();
    assertThat(shipping.getType(), equalTo(Schema.Type.UNION));
    assertThat(shipping.getTypes().get(1).getFullName(), equalTo("orders.shipping"));
    org.apache.beam.sdk.schemas.Schema beam = AvroUtils.toBeamSchema(avro);
    assertThat(beam.getField("address").getType().getRowSchema().getField("geo").getType().getRowSchema().getFieldNames(), contains("lat", "lon"));
    assertThat(beam.getField("shipping").getType().getNullable(), equalTo(true));
  }

  @Test
  public void aLongFormNamesTheTypeAndWhetherItIsNullable() throws Exception {
    Schema avro = convert("{a: {type: long, nullable: true}, b: {type: long, nullable: false}, tags: {type: [string], nullable: true}}");
    assertThat(avro.getField("a").schema().toString(), equalTo("[\"null\",\"long\"]"));
    assertThat(avro.getField("b").schema().toString(), equalTo("\"long\""));
    assertThat(avro.getField("tags").schema().toString(), equalTo("[\"null\",{\"type\":\"array\",\"items\":\"string\"}]"));
  }

  @Test
  public void aRecordWithFieldsNamedTypeAndNullableIsARecordNotTheLongForm() throws Exception {
    Schema avro = convert("{kind: {type: string, nullable: boolean}}");
    assertThat(avro.getField("kind").schema().getType(), equalTo(Schema.Type.RECORD));
    assertThat(avro.getField("kind").schema().getField("nullable").schema().getType(), equalTo(Schema.Type.BOOLEAN));
  }

  @Test
  public void aOneElementListIsAListOfThatTypeRecordsIncluded() throws Exception {
    Schema avro = convert("{tags: [string], scores: ['double?'], lines: [{k: string, v: long}]}");
    assertThat(avro.getField("tags").schema().toString(), equalTo("{\"type\":\"array\",\"items\":\"string\"}"));
    assertThat(avro.getField("scores").schema().getElementType().toString(), equalTo("[\"null\",\"double\"]"));
    assertThat(avro.getField("lines").schema().getElementType().getFullName(), equalTo("orders.lines"));
    org.apache.beam.sdk.schemas.Schema beam = AvroUtils.toBeamSchema(avro);
    assertThat(beam.getField("lines").getType().getCollectionElementType().getRowSchema().getFieldNames(), contains("k", "v"));
  }

  @Test
  public void theRecordNameIsTheSourceNameMadeALegalAvroName() {
    assertThat(InlineSchemas.avroName("rest-of-world"), equalTo("rest_of_world"));
    assertThat(InlineSchemas.avroName("2024 orders"), equalTo("_2024_orders"));
    assertThat(InlineSchemas.avroName("orders"), equalTo("orders"));
  }

  @Test
  public void anUnknownTypeIsOneLineNamingTheFieldTheTypeAndTheTypes() {
    assertThat(errors("{id: string, amount: dobule}"), contains("sources[0].schema.amount: unknown type 'dobule'; types are string, int,"
        + " long, float, double, boolean, timestamp, bytes (a type name, a trailing ? for nullable, {field: type, ...} for a record,"
        + " [type] for a list, or {type: ..., nullable: true})"));
  }

  @Test
  public void everyErrorIsReportedAtOnceEachWithItsPath() {
    assertThat(errors("{'my field': string, n: 5, address: {}, tags: [string, long], lines: [{v: lng}], 1st: int}"), contains(
        "sources[0].schema.my field: 'my field' is not a legal field name: Avro names are a letter or _, then letters, digits and _",
        "sources[0].schema.n: unknown type '5'; types are string, int, long, float, double, boolean, timestamp, bytes (a type name,"
            + " a trailing ? for nullable, {field: type, ...} for a record, [type] for a list, or {type: ..., nullable: true})",
        "sources[0].schema.address: an empty record; give at least one field, e.g. {id: string}",
        "sources[0].schema.tags: a list type has one element, its items' type, e.g. [string]; got 2",
        "sources[0].schema.lines[0].v: unknown type 'lng'; types are string, int, long, float, double, boolean, timestamp, bytes"
            + " (a type name, a trailing ? for nullable, {field: type, ...} for a record, [type] for a list, or {type: ..., nullable: true})",
        "sources[0].schema.1st: '1st' is not a legal field name: Avro names are a letter or _, then letters, digits and _"));
  }

  @Test
  public void anEmptyMapIsRefused() {
    assertThat(errors("{}"), contains("sources[0].schema: an empty record; give at least one field, e.g. {id: string}"));
  }
}
