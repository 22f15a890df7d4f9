package dev.streamtemplates.pipelines.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A node of a validated spec together with its path, so that every later error can say where it
 * is, e.g. {@code sources[0].schema}. Shape errors are caught earlier by the JSON Schema; these
 * accessors only read.
 */
public final class SpecNode {
  private final JsonNode node;
  private final String path;

  public SpecNode(JsonNode node, String path) {
    this.node = node == null ? MissingNode.getInstance() : node;
    this.path = path;
  }

  public String path() {
    return path;
  }

  public JsonNode json() {
    return node;
  }

  public boolean has(String key) {
    JsonNode child = node.get(key);
    return child != null && !child.isNull();
  }

  public SpecNode child(String key) {
    return new SpecNode(node.get(key), path.isEmpty() ? key : path + "." + key);
  }

  public String childPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public String text(String key) {
    JsonNode child = node.get(key);
    if (child == null || child.isNull()) {
      throw new SpecException("spec", childPath(key) + ": is required");
    }
    return child.asText();
  }

  public @Nullable String text(String key, @Nullable String fallback) {
    JsonNode child = node.get(key);
    return child == null || child.isNull() ? fallback : child.asText();
  }

  public boolean bool(String key, boolean fallback) {
    JsonNode child = node.get(key);
    return child == null || child.isNull() ? fallback : child.asBoolean();
  }

  public long number(String key, long fallback) {
    JsonNode child = node.get(key);
    return child == null || child.isNull() ? fallback : child.asLong();
  }

  /** A string or a list of strings, as a list. */
  public List<String> texts(String key) {
    JsonNode child = node.get(key);
    List<String> out = new ArrayList<>();
    if (child == null || child.isNull()) {
      return out;
    }
    if (child.isArray()) {
      child.forEach(item -> out.add(item.asText()));
    } else {
      out.add(child.asText());
    }
    return out;
  }

  /** The elements of a list, each with its indexed path. */
  public List<SpecNode> items(String key) {
    JsonNode child = node.get(key);
    List<SpecNode> out = new ArrayList<>();
    if (child != null && child.isArray()) {
      for (int i = 0; i < child.size(); i++) {
        out.add(new SpecNode(child.get(i), childPath(key) + "[" + i + "]"));
      }
    }
    return out;
  }

  /** The entries of an object, in spec order. */
  public Map<String, SpecNode> entries(String key) {
    JsonNode child = node.get(key);
    Map<String, SpecNode> out = new LinkedHashMap<>();
    if (child != null && child.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = child.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.put(e.getKey(), new SpecNode(e.getValue(), childPath(key) + "." + e.getKey()));
      }
    }
    return out;
  }

  /** The entries of an object as strings (e.g. client properties). */
  public Map<String, String> stringMap(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    entries(key).forEach((k, v) -> out.put(k, v.json().asText()));
    return out;
  }
}
