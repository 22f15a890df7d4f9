package dev.streamtemplates.transforms.ml;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.pmml4s.metadata.Field;
import org.pmml4s.metadata.OutputField;
import org.pmml4s.model.Model;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * A PMML model file as bytes, and what {@link Score} needs to know of it, read once in the main
 * program: its inputs and their kinds, whether it classifies or regresses, its classes, and the
 * names pmml4s gives the predicted value and the class probabilities in its results.
 *
 * <p>Only plain Java values are kept (the model itself, a Scala object, is not serializable and is
 * loaded again from the bytes by each worker's {@code DoFn} in {@code @Setup}).
 */
final class PmmlModel implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A model travels in the serialized pipeline; beyond this size, that is refused. */
  static final int MAX_BYTES = 64 * 1024 * 1024;

  /** How a model input's values are given to the model, and which row types can feed it. */
  enum Kind {
    NUMBER,
    INTEGER,
    STRING,
    BOOLEAN
  }

  /** One model input: its name, its kind and its PMML data type (for messages). */
  record Input(String name, Kind kind, String dataType) implements Serializable {}

  final String source;
  final byte[] bytes;
  final List<Input> inputs;
  final boolean regression;
  final String targetName;
  final String targetDataType;
  final String predictedOutput;
  /** Class (as text) to the name of its probability in pmml4s's results; empty for regression. */
  final LinkedHashMap<String, String> probabilityOutputs;
  /**
   * The inputs whose DataField declares its valid values ({@code <Value>}) or intervals: only
   * those are checked. (pmml4s also infers valid values of an undeclared categorical field from
   * the values the model tests, e.g. only {@code true} of a boolean, and would refuse the others.)
   */
  final Set<String> declaredValid;

  private PmmlModel(String source, byte[] bytes, List<Input> inputs, boolean regression, String targetName, String targetDataType,
      String predictedOutput, LinkedHashMap<String, String> probabilityOutputs, Set<String> declaredValid) {
    this.source = source;
    this.bytes = bytes;
    this.inputs = inputs;
    this.regression = regression;
    this.targetName = targetName;
    this.targetDataType = targetDataType;
    this.predictedOutput = predictedOutput;
    this.probabilityOutputs = probabilityOutputs;
    this.declaredValid = declaredValid;
  }

  /** Reads and checks a model file; an {@link IllegalArgumentException} naming the file otherwise. */
  static PmmlModel fromFile(String path) {
    Path file = Path.of(path);
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("model file '" + path + "' does not exist");
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("model file '" + path + "' is not a regular file");
    }
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new IllegalArgumentException("model file '" + path + "' has " + Files.size(file) + " bytes, more than the " + MAX_BYTES
            + " a model may have (it travels in the serialized pipeline)");
      }
      return of(Files.readAllBytes(file), path);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("model file '" + path + "' does not exist", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("model file '" + path + "' cannot be read: " + e.getMessage(), e);
    }
  }

  /** Checks a model given as bytes; {@code source} names it in messages. */
  static PmmlModel of(byte[] bytes, String source) {
    if (bytes.length > MAX_BYTES) {
      throw new IllegalArgumentException("model '" + source + "' has " + bytes.length + " bytes, more than the " + MAX_BYTES + " a model may have");
    }
    Set<String> declaredValid = declaredValid(checkXml(bytes, source));
    Model model = load(bytes, source);
    if (!model.isClassification() && !model.isRegression()) {
      throw new IllegalArgumentException("model '" + source + "' is a " + model.modelElement() + " that neither classifies nor regresses;"
          + " Score takes classification and regression models");
    }
    if (!model.singleTarget()) {
      throw new IllegalArgumentException("model '" + source + "' has " + model.targetNames().length + " targets "
          + Arrays.toString(model.targetNames()) + "; Score takes a model with one target");
    }
    List<Input> inputs = new ArrayList<>();
    for (Field field : model.inputFields()) {
      inputs.add(new Input(field.name(), kindOf(field, source), String.valueOf(field.dataType())));
    }
    String predicted = null;
    LinkedHashMap<String, String> probabilities = new LinkedHashMap<>();
    for (OutputField output : model.outputFields()) {
      String feature = String.valueOf(output.feature());
      if (feature.equals("predictedValue") && predicted == null) {
        predicted = output.name();
      } else if (feature.equals("probability") && output.value().isDefined()) {
        probabilities.put(String.valueOf(output.value().get()), output.name());
      }
    }
    if (predicted == null) {
      throw new IllegalArgumentException("model '" + source + "' gives no predicted value");
    }
    boolean regression = model.isRegression();
    LinkedHashMap<String, String> classes = new LinkedHashMap<>();
    if (!regression) {
      for (Object value : model.classes()) {
        String name = String.valueOf(value);
        classes.put(name, probabilities.get(name)); // null: the model gives no probability for it
      }
    }
    return new PmmlModel(source, bytes.clone(), List.copyOf(inputs), regression, model.targetName(),
        String.valueOf(model.targetField().dataType()), predicted, classes, Set.copyOf(declaredValid));
  }

  /**
   * The pmml4s model of {@code bytes}, with its default outputs (the predicted value and, for a
   * classification, each class's probability), whatever its own {@code Output} element lists.
   *
   * <p>The XML is first parsed by the JDK with DTDs refused: scala-xml, which pmml4s uses, would
   * expand entities and print syntax errors on stderr instead of throwing them.
   */
  static Model load(byte[] bytes, String source) {
    checkXml(bytes, source);
    Model model;
    try {
      model = Model.fromBytes(bytes);
    } catch (Exception | LinkageError e) { // pmml4s (Scala) also throws checked exceptions
      throw new IllegalArgumentException("model '" + source + "' is not a PMML model pmml4s can read: " + reason(e), e);
    }
    if (model == null) {
      throw new IllegalArgumentException("model '" + source + "' holds no model element (TreeModel, RegressionModel, ...)");
    }
    model.setOutputFields(model.defaultOutputFields());
    return model;
  }

  private static Set<String> declaredValid(Document document) {
    Set<String> names = new HashSet<>();
    NodeList fields = document.getElementsByTagNameNS("*", "DataField");
    for (int i = 0; i < fields.getLength(); i++) {
      Element field = (Element) fields.item(i);
      NodeList children = field.getChildNodes();
      for (int j = 0; j < children.getLength(); j++) {
        if (children.item(j) instanceof Element) {
          Element child = (Element) children.item(j);
          String property = child.getAttribute("property");
          if ("Interval".equals(child.getLocalName())
              || ("Value".equals(child.getLocalName()) && (property.isEmpty() || property.equals("valid")))) {
            names.add(field.getAttribute("name"));
          }
        }
      }
    }
    return names;
  }

  private static Document checkXml(byte[] bytes, String source) {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setXIncludeAware(false);
      factory.setExpandEntityReferences(false);
      DocumentBuilder builder = factory.newDocumentBuilder();
      builder.setErrorHandler(new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {}

        @Override
        public void error(SAXParseException e) throws SAXException {
          throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
          throw e;
        }
      });
      Document document = builder.parse(new ByteArrayInputStream(bytes));
      String root = document.getDocumentElement().getLocalName();
      if (!"PMML".equals(root)) {
        throw new IllegalArgumentException("model '" + source + "' is not PMML: its root element is <" + root + ">, not <PMML>");
      }
      return document;
    } catch (SAXParseException e) {
      throw new IllegalArgumentException("model '" + source + "' is not valid XML: line " + e.getLineNumber() + ", column "
          + e.getColumnNumber() + ": " + e.getMessage(), e);
    } catch (SAXException | IOException | ParserConfigurationException e) {
      throw new IllegalArgumentException("model '" + source + "' is not valid XML: " + e.getMessage(), e);
    }
  }

  private static Kind kindOf(Field field, String source) {
    String type = String.valueOf(field.dataType()).toLowerCase(Locale.ROOT);
    switch (type) {
      case "double":
      case "float":
      case "real":
        return Kind.NUMBER;
      case "integer":
        return Kind.INTEGER;
      case "string":
        return Kind.STRING;
      case "boolean":
        return Kind.BOOLEAN;
      default:
        throw new IllegalArgumentException("model '" + source + "': input '" + field.name() + "' is of type " + type
            + ", which Score cannot feed from a row; it takes double, float, integer, string and boolean inputs");
    }
  }

  static String reason(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
  }

  /** The model's inputs by name. */
  Map<String, Input> inputsByName() {
    Map<String, Input> byName = new LinkedHashMap<>();
    inputs.forEach(i -> byName.put(i.name(), i));
    return byName;
  }
}
