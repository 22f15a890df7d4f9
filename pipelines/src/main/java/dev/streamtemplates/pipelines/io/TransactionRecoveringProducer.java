package dev.streamtemplates.pipelines.io;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * The transactional producer our exactly-once Kafka sinks use: a plain {@link KafkaProducer} that
 * recovers from a transaction left open by a failed attempt before it begins the next one.
 *
 * <p>Why by hand: Beam's exactly-once sink ({@code KafkaExactlyOnceSink}, Beam 2.70) keeps its
 * transactional producers in a static per-JVM cache. When a bundle fails inside a transaction
 * (for example because the runner cancels the task after another operator failed), the producer
 * goes back into the cache still in a transaction; when the runner restarts the job in the same
 * JVM (Flink restarting a job on the same TaskManager, or [local]), the next {@code
 * beginTransaction()} throws "Invalid transition attempted from state IN_TRANSACTION to state
 * IN_TRANSACTION" on every retry and the job never recovers (measured: FlinkExactlyOnceTest).
 * Aborting the stale transaction is what the broker would do when it times out: its records were
 * never committed, and the sink's own sequence ids (stored with each commit) decide what is
 * written again.
 *
 * <p>It also waits for the outcome of a commit that was interrupted. The same cache keeps each
 * shard writer's last committed sequence id in memory and does not re-read it from Kafka on a
 * restart in the same JVM. When Flink cancels the writer's task (because another task failed)
 * while {@code commitTransaction()} waits for the broker, Kafka throws {@code InterruptException},
 * but the commit request has been sent and the broker completes it. The cached writer then still
 * holds the previous id, and after the restart it writes that transaction's records again: one or
 * more duplicated outputs (measured: FlinkExactlyOnceTest failed so in 3 of 7 runs). Kafka documents
 * that an interrupted or timed-out commit may be retried and that no other operation is allowed
 * until it has been, so this producer retries it until the broker answers, then restores the
 * thread's interrupt. If the outcome is still unknown after {@link #COMMIT_OUTCOME_WAIT}, the
 * producer refuses every later transaction with an error that says why, rather than let the
 * writer continue from an id that may be stale.
 */
final class TransactionRecoveringProducer implements Producer<byte[], byte[]> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TransactionRecoveringProducer.class);

  /** How long a commit whose wait was interrupted or timed out is retried before giving up. */
  static final Duration COMMIT_OUTCOME_WAIT = Duration.ofSeconds(60);

  private final Map<String, Object> config;
  private Producer<byte[], byte[]> delegate;
  private boolean inTransaction;
  /** Set when a commit's outcome could not be learned: the writer's cached id may be stale. */
  private String outcomeUnknown;

  private final Duration commitOutcomeWait;

  TransactionRecoveringProducer(Map<String, Object> config) {
    this(config, COMMIT_OUTCOME_WAIT);
  }

  TransactionRecoveringProducer(Map<String, Object> config, Duration commitOutcomeWait) {
    this.config = Map.copyOf(config);
    this.commitOutcomeWait = commitOutcomeWait;
    this.delegate = new KafkaProducer<>(this.config);
  }

  /** The producer factory to pass to {@code KafkaIO.write().withProducerFactoryFn}. */
  static SerializableFunction<Map<String, Object>, Producer<byte[], byte[]>> factory() {
    return TransactionRecoveringProducer::new;
  }

  /**
   * Begins a transaction. If the previous one was left open, the producer that holds it may be
   * broken (its attempt was cancelled mid-call), so it is closed and replaced by a new producer
   * with the same transactional id: the new producer's {@code initTransactions()} fences the old
   * one and makes the broker abort its open transaction, as Kafka documents for recovery.
   */
  @Override
  public synchronized void beginTransaction() {
    if (outcomeUnknown != null) {
      throw new IllegalStateException(outcomeUnknown);
    }
    if (inTransaction) {
      LOG.warn("producer {}: a failed attempt left a transaction open; replacing the producer, which aborts it",
          config.get("transactional.id"));
      delegate.close(Duration.ZERO);
      delegate = new KafkaProducer<>(config);
      delegate.initTransactions();
    }
    delegate.beginTransaction();
    inTransaction = true;
  }

  /**
   * Commits, and learns the outcome even when the wait is interrupted or times out: Kafka keeps
   * the pending commit and a repeated {@code commitTransaction()} waits for the same result.
   */
  @Override
  public synchronized void commitTransaction() {
    long deadline = System.nanoTime() + commitOutcomeWait.toNanos();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          delegate.commitTransaction();
          inTransaction = false;
          return;
        } catch (InterruptException e) {
          interrupted = true;
          Thread.interrupted(); // Kafka re-sets the flag; clear it so that the retry can wait
          if (System.nanoTime() - deadline > 0) {
            throw unknownOutcome(e);
          }
          LOG.info("producer {}: commit interrupted (the task is being cancelled); waiting for its outcome",
              config.get("transactional.id"));
        } catch (TimeoutException e) {
          if (System.nanoTime() - deadline > 0) {
            throw unknownOutcome(e);
          }
          LOG.warn("producer {}: commit timed out; retrying it, as Kafka requires", config.get("transactional.id"));
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private RuntimeException unknownOutcome(RuntimeException cause) {
    outcomeUnknown = "producer " + config.get("transactional.id") + ": the outcome of a transaction commit is unknown after "
        + commitOutcomeWait.toSeconds() + " s (" + cause + "). Beam's exactly-once writer keeps its last committed "
        + "sequence id in this JVM, so writing on could duplicate records; restart the job's workers (a new JVM "
        + "reads the committed id from Kafka).";
    LOG.error(outcomeUnknown);
    return new IllegalStateException(outcomeUnknown, cause);
  }

  @Override
  public synchronized void abortTransaction() {
    delegate.abortTransaction();
    inTransaction = false;
  }

  @Override
  public void initTransactions() {
    delegate.initTransactions();
  }

  @Override
  @SuppressWarnings("deprecation")
  public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets, String consumerGroupId) {
    delegate.sendOffsetsToTransaction(offsets, consumerGroupId);
  }

  @Override
  public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata groupMetadata) {
    delegate.sendOffsetsToTransaction(offsets, groupMetadata);
  }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    return delegate.send(record);
  }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
    return delegate.send(record, callback);
  }

  @Override
  public void flush() {
    delegate.flush();
  }

  @Override
  public List<PartitionInfo> partitionsFor(String topic) {
    return delegate.partitionsFor(topic);
  }

  @Override
  public Map<MetricName, ? extends Metric> metrics() {
    return delegate.metrics();
  }

  @Override
  public Uuid clientInstanceId(Duration timeout) {
    return delegate.clientInstanceId(timeout);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public void close(Duration timeout) {
    delegate.close(timeout);
  }
}
