package dev.streamtemplates.transforms.format;

import com.ctc.wstx.stax.WstxInputFactory;
import com.ctc.wstx.stax.WstxOutputFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.xml.XmlFactory;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.codehaus.stax2.XMLStreamReader2;
import org.joda.time.ReadableInstant;
import org.joda.time.format.ISODateTimeFormat;

/**
 * XML records to and from Rows, with Jackson XML (Woodstox underneath).
 *
 * <p>A payload is an XML document. Each element named {@code recordElement} directly under the
 * root is one record (or the root itself, when it has that name). Records are cut out of the
 * document by their character offsets while streaming, so a record with a bad value is
 * dead-lettered alone. XML syntax errors cannot be resynchronised: the text from the start of the
 * broken record to the end of the document becomes one dead letter.
 *
 * <p>Record elements are matched by local name ({@code <ns:order>} is an {@code order} record) or
 * by the prefixed name as written ({@code recordElement: ns:order}); fields are matched by local
 * name. Namespaces declared on the root stay in scope for each record cut out of the document.
 *
 * <p>DTDs and external entities are disabled, so entity-expansion ("billion laughs") and external
 * entity attacks fail as syntax errors instead of expanding. A reference to an entity that no DTD
 * defines ({@code &xxe;}) makes its record a dead letter naming the entity, instead of reading as
 * nothing.
 */
final class XmlFormat implements RecordFormat {
  private static final long serialVersionUID = 1L;

  private final Schema schema;
  private final String recordElement;
  private final String rootElement;
  private transient XMLInputFactory inputFactory;
  private transient XmlMapper mapper;

  XmlFormat(Schema schema, String recordElement, String rootElement) {
    this.schema = schema;
    this.recordElement = recordElement;
    this.rootElement = rootElement;
  }

  @Override
  public String name() {
    return "xml";
  }

  @Override
  public Schema schema() {
    return schema;
  }

  @Override
  public String fileHeader() {
    return "<" + rootElement + ">";
  }

  @Override
  public String fileFooter() {
    return "</" + rootElement + ">";
  }

  private void init() {
    if (mapper == null) {
      inputFactory = secureInputFactory();
      mapper = new XmlMapper(new XmlFactory(inputFactory, new WstxOutputFactory()));
    }
  }

  static XMLInputFactory secureInputFactory() {
    XMLInputFactory factory = new WstxInputFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    return factory;
  }

  @Override
  public void decode(byte[] payload, Receiver receiver) {
    init();
    Utf8Text decoded = Utf8Text.of(payload);
    String text = decoded.text();
    int records = 0;
    int resumeAt = 0; // start of the text not yet handed out as a record or a failure
    int lastEnd = 0; // end of the last record, where bytes between records start
    try {
      XMLStreamReader2 reader = (XMLStreamReader2) inputFactory.createXMLStreamReader(new StringReader(text));
      int depth = 0;
      int recordStart = -1;
      int recordDepth = -1;
      String recordName = null;
      String element = null; // the innermost open element, to name where an entity stands
      String undefinedEntity = null; // why the current record cannot be read, if so
      String rootNamespaces = ""; // xmlns declarations of a root that is not itself a record
      while (reader.hasNext()) {
        int event = reader.next();
        if (event == XMLStreamConstants.DTD) {
          throw new XMLStreamException(
              "DOCTYPE declarations are not allowed: entity expansion and external entities are disabled");
        }
        if (event == XMLStreamConstants.START_ELEMENT) {
          depth++;
          element = reader.getLocalName();
          boolean isRecord = isRecordElement(reader) && (depth == 1 || depth == 2) && recordStart < 0;
          if (isRecord) {
            recordStart = (int) reader.getLocationInfo().getStartingCharOffset();
            recordDepth = depth;
            recordName = reader.getLocalName();
            resumeAt = recordStart;
          } else if (depth == 1) {
            rootNamespaces = namespaceDeclarations(reader);
          }
        } else if (event == XMLStreamConstants.ENTITY_REFERENCE && recordStart >= 0 && undefinedEntity == null) {
          // Without a DTD no entity but the five predefined ones exists; Woodstox reports the
          // reference instead of failing, and Jackson would read it as nothing.
          undefinedEntity = "entity '&" + reader.getLocalName() + ";' in element '" + element
              + "' is not defined (DTDs are refused, so only &lt; &gt; &amp; &quot; &apos; and character references are)";
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          if (depth == recordDepth) {
            int end = (int) reader.getLocationInfo().getEndingCharOffset();
            String record = text.substring(recordStart, end);
            // A record with bytes that are not UTF-8 is a dead letter of its own, with its bytes as they were.
            Utf8Text.BadBytes between = decoded.isClean() ? null : decoded.inChars(lastEnd, recordStart);
            if (between != null) {
              receiver.failure(decoded.chars(lastEnd, recordStart), between.reason("outside any record, so no record is lost"));
            }
            Utf8Text.BadBytes bad = decoded.isClean() ? null : decoded.inChars(recordStart, end);
            lastEnd = end;
            if (bad != null) {
              receiver.failure(decoded.chars(recordStart, end), bad.reason("the record is not read"));
            } else if (undefinedEntity != null) {
              receiver.failure(record.getBytes(StandardCharsets.UTF_8), undefinedEntity);
            } else {
              decodeRecord(record, recordName, recordDepth == 2 ? rootNamespaces : "", receiver);
            }
            records++;
            resumeAt = end;
            recordStart = -1;
            recordDepth = -1;
            undefinedEntity = null;
          }
          depth--;
        }
      }
      reader.close();
      Utf8Text.BadBytes outside = decoded.isClean() ? null : decoded.inChars(lastEnd, text.length());
      if (records == 0) {
        Utf8Text.BadBytes bad = decoded.first();
        receiver.failure(payload, bad != null ? bad.reason("the document holds no readable <" + recordElement + "> record")
            : "no <" + recordElement + "> record in the XML document");
      } else if (outside != null) {
        receiver.failure(decoded.chars(lastEnd, text.length()), outside.reason("outside any record, so no record is lost"));
      }
    } catch (XMLStreamException | RuntimeException e) {
      // The rest of the document, without the white space around it, as its own bytes.
      int from = Math.min(resumeAt, text.length());
      int to = text.length();
      while (from < to && Character.isWhitespace(text.charAt(from))) {
        from++;
      }
      while (to > from && Character.isWhitespace(text.charAt(to - 1))) {
        to--;
      }
      String reason = "malformed XML: " + firstLine(e.getMessage());
      Utf8Text.BadBytes bad = decoded.isClean() ? null : decoded.inChars(from, text.length());
      if (bad != null) {
        reason = bad.reason("the rest of the document is not read (" + reason + ")");
      }
      receiver.failure(from == to ? payload : decoded.chars(from, to), reason);
    }
  }

  private boolean isRecordElement(XMLStreamReader2 reader) {
    String prefix = reader.getPrefix();
    return reader.getLocalName().equals(recordElement)
        || (prefix != null && !prefix.isEmpty() && recordElement.equals(prefix + ":" + reader.getLocalName()));
  }

  /** The element's own namespace declarations, as attributes to repeat on a wrapper element. */
  private static String namespaceDeclarations(XMLStreamReader2 reader) {
    StringBuilder declarations = new StringBuilder();
    for (int i = 0; i < reader.getNamespaceCount(); i++) {
      String prefix = reader.getNamespacePrefix(i);
      String uri = reader.getNamespaceURI(i) == null ? "" : reader.getNamespaceURI(i);
      declarations.append(prefix == null || prefix.isEmpty() ? " xmlns" : " xmlns:" + prefix)
          .append("=\"")
          .append(uri.replace("&", "&amp;").replace("<", "&lt;").replace("\"", "&quot;"))
          .append('"');
    }
    return declarations.toString();
  }

  /**
   * Reads one record cut out of its document. A record under a root that declares namespaces is
   * read inside a wrapper element repeating those declarations, so that {@code <ns:order>} cut out
   * of {@code <orders xmlns:ns="...">} still has its prefix bound; the dead letter keeps the record
   * as written.
   */
  private void decodeRecord(String xml, String name, String namespaces, Receiver receiver) {
    Row row;
    try {
      JsonNode node =
          namespaces.isEmpty() ? mapper.readTree(xml) : mapper.readTree("<wrapper" + namespaces + ">" + xml + "</wrapper>").path(name);
      row = TextValues.fromTree(schema, node, "");
    } catch (Exception e) {
      String reason = e instanceof com.fasterxml.jackson.core.JsonProcessingException
          ? "malformed XML record: " + firstLine(((com.fasterxml.jackson.core.JsonProcessingException) e).getOriginalMessage())
          : DeadLetter.reason(e);
      receiver.failure(xml.getBytes(StandardCharsets.UTF_8), reason);
      return;
    }
    receiver.record(row);
  }

  @Override
  public byte[] encode(Row row) {
    init();
    TextValues.requireFinite(row); // XML text of NaN or Infinity would not read back; see TextValues.finite
    try {
      return mapper.writer().withRootName(recordElement).writeValueAsString(toTree(row)).getBytes(StandardCharsets.UTF_8);
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot write the row as XML: " + e.getMessage(), e);
    }
  }

  private static ObjectNode toTree(Row row) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (Schema.Field field : row.getSchema().getFields()) {
      Object value = row.getValue(field.getName());
      if (value != null) {
        node.set(field.getName(), toNode(value));
      }
    }
    return node;
  }

  private static JsonNode toNode(Object value) {
    if (value instanceof Row) {
      return toTree((Row) value);
    }
    if (value instanceof Iterable) {
      ArrayNode array = JsonNodeFactory.instance.arrayNode();
      for (Object item : (Iterable<?>) value) {
        array.add(toNode(item));
      }
      return array;
    }
    if (value instanceof ReadableInstant) {
      return JsonNodeFactory.instance.textNode(ISODateTimeFormat.dateTime().withZoneUTC().print((ReadableInstant) value));
    }
    if (value instanceof byte[]) {
      return JsonNodeFactory.instance.textNode(Base64.getEncoder().encodeToString((byte[]) value));
    }
    return JsonNodeFactory.instance.textNode(value.toString());
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
