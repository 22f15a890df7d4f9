package dev.streamtemplates.benchmarks.templates;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one template reads: the parameter that names each of its sources' files, and a function
 * from an event's position and time to one record of one of those sources. An instance holds the
 * state of one generator run (a price's random walk, a garage's door), so it is made afresh for
 * each run and called for positions 0, 1, 2, ... in order.
 */
interface InputShape {

  /** One generated record: the source it belongs to and its fields by name (nested records as maps). */
  record Record(String source, Map<String, Object> fields) {}

  /** The template parameter that names each source's file, by source name. */
  Map<String, String> files();

  /** The record at position {@code i}, whose event time is {@code millis}. */
  Record next(long i, long millis, Draw draw);

  /** Fields from alternating names and values; values may be null (a nullable field left empty). */
  static Map<String, Object> fields(Object... namesAndValues) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int k = 0; k < namesAndValues.length; k += 2) {
      fields.put((String) namesAndValues[k], namesAndValues[k + 1]);
    }
    return fields;
  }
}
