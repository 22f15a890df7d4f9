package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import dev.streamtemplates.pipelines.launcher.Launcher;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Secrets given as Kafka properties (a SASL JAAS config with a password, a key password), as
 * secret template parameters or as pipeline options, never appear in what a run prints: the
 * launcher's output, every log line (Beam's, Kafka clients', ours, on stdout and stderr), {@code
 * --help}, or error messages. Runs a real job against a real broker and captures both streams.
 */
public class SecretsNotLoggedTest {
  @ClassRule public static final KafkaBrokerRule KAFKA = new KafkaBrokerRule();
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  private static final String PASSWORD = "TopSecret-9f2c";
  private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"svc\" password=\"" + PASSWORD + "\";";

  private Path spec() throws Exception {
    Path dir = work.getRoot().toPath();
    Files.writeString(dir.resolve("event.avsc"), "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}");
    Path spec = dir.resolve("secret-demo.yaml");
    Files.writeString(spec, String.join("\n",
        "name: secret-demo",
        "description: Kafka to Kafka with credentials.",
        "parameters:",
        "  jaas: {type: string, secret: true, pattern: 'org\\..*', description: SASL JAAS config}",
        "  keyPassword: {type: string, secret: true, description: SSL key password}",
        "sources:",
        "  - {name: in, type: kafka, bootstrapServers: '" + KAFKA.broker().bootstrapServers() + "', topics: secret-in, format: json,",
        "     schema: '" + dir.resolve("event.avsc") + "', maxRecords: 1,",
        "     properties: {sasl.jaas.config: '${jaas}', ssl.key.password: '${keyPassword}'}}",
        "sinks:",
        "  - {name: out, input: in, type: kafka, bootstrapServers: '" + KAFKA.broker().bootstrapServers() + "', topic: secret-out, format: json,",
        "     properties: {sasl.jaas.config: '${jaas}', ssl.key.password: '${keyPassword}'}}",
        "deadLetter: {type: file, format: json, path: '" + dir.resolve("dlq/dead") + "'}",
        ""));
    return spec;
  }

  /** Runs the launcher with stdout and stderr captured; returns everything printed. */
  private static String run(String... args) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(all, true, StandardCharsets.UTF_8);
    PrintStream out = System.out;
    PrintStream err = System.err;
    System.setOut(capture);
    System.setErr(capture);
    try {
      new Launcher(capture).main(args);
    } catch (RuntimeException e) {
      e.printStackTrace(capture);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  @Test
  public void runLogsHelpAndErrorsNeverShowKafkaSecrets() throws Exception {
    KAFKA.broker().createTopics("secret-in", "secret-out");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      producer.send(new ProducerRecord<>("secret-in", "{\"id\":\"e1\"}")).get();
    }
    String spec = spec().toString();

    // A full run: the Kafka clients print their whole configuration at INFO.
    String run = run(spec, "--runner=DirectRunner", "--jaas=" + JAAS, "--keyPassword=" + PASSWORD);
    assertThat(run, containsString("secret-demo DONE"));
    assertThat(run, containsString("sasl.jaas.config"));
    // Help, a bad secret parameter, a secret passed as an unknown pipeline option.
    String help = run(spec, "--help", "--jaas=" + JAAS);
    String badValue = run(spec, "--runner=DirectRunner", "--jaas=not-a-jaas-" + PASSWORD, "--keyPassword=" + PASSWORD);
    assertThat(badValue, containsString("--jaas=****** is not valid"));
    String unknownOption = run(spec, "--runner=DirectRunner", "--jaas=" + JAAS, "--keyPassword=x", "--sasl.jaas.config=" + JAAS);
    assertThat(unknownOption, containsString("--sasl.jaas.config is neither a parameter"));

    for (Map.Entry<String, String> printed : Map.of("run", run, "help", help, "bad value", badValue, "unknown option", unknownOption).entrySet()) {
      assertThat(printed.getKey() + " output shows the password", printed.getValue(), not(containsString(PASSWORD)));
    }
    assertThat(run.contains(PASSWORD), equalTo(false));
  }
}
