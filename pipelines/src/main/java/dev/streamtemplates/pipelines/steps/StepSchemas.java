package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads a step type's JSON Schema from the classpath, next to its provider. */
public final class StepSchemas {
  private StepSchemas() {}

  public static JsonNode read(String resource) {
    try (InputStream in = StepSchemas.class.getResourceAsStream("/step-schemas/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("step schema /step-schemas/" + resource + " is missing from the classpath");
      }
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
