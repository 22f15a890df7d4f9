package dev.streamtemplates.pipelines.launcher;

import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The template catalogue: spec files on the classpath under {@code catalog/}, listed in {@code
 * catalog/index.txt}, plus any spec file given by path.
 */
public final class Catalog {
  private Catalog() {}

  /** Names of the catalogue's templates, in index order. */
  public static List<String> names() {
    try (InputStream in = Catalog.class.getResourceAsStream("/catalog/index.txt")) {
      if (in == null) {
        return List.of();
      }
      List<String> names = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          names.add(line.trim());
        }
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Loads a catalogue template by name, or a spec file by path (anything ending in .yaml or .yml). */
  public static TemplateSpec load(String nameOrPath) {
    if (nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml")) {
      Path path = Path.of(nameOrPath);
      if (!Files.isRegularFile(path)) {
        throw new SpecException(nameOrPath, "no such spec file");
      }
      try {
        return TemplateSpec.parse(nameOrPath, Files.readString(path, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new SpecException(nameOrPath, "cannot read: " + e.getMessage());
      }
    }
    try (InputStream in = Catalog.class.getResourceAsStream("/catalog/" + nameOrPath + ".yaml")) {
      if (in == null) {
        throw new SpecException(nameOrPath, "no such template; the catalogue has " + names() + " (or give a path to a .yaml spec)");
      }
      return TemplateSpec.parse(nameOrPath, in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
