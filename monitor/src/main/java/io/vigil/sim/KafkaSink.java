package io.vigil.sim;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces predictions and ground truth as JSON to two Kafka topics, keyed by prediction id, with the
 * event time as the record timestamp.
 *
 * <p>Producer defaults (a caller's {@code producerConfig} wins): idempotent, {@code acks=all},
 * {@code lz4}, {@code linger.ms=10}, {@code batch.size=262144}. The serializers are always
 * String/bytes. Sends are asynchronous; the first failed send is rethrown by the next
 * {@link #accept} or by {@link #close()}.
 *
 * <p>Record timestamps are simulated event times, which may be months old: give the topics a
 * {@code retention.ms} longer than the simulated span (or -1), or the broker may delete the segments
 * as soon as they roll.
 */
public final class KafkaSink implements SimSink {
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final Producer<String, byte[]> producer;
    private final String predictionsTopic;
    private final String groundTruthTopic;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final AtomicLong acknowledged = new AtomicLong();
    private long sent;

    /**
     * @param producerConfig   Kafka producer settings; needs at least {@code bootstrap.servers}
     * @param predictionsTopic topic for predictions
     * @param groundTruthTopic topic for ground truth
     */
    public KafkaSink(Map<String, Object> producerConfig, String predictionsTopic, String groundTruthTopic) {
        this(
                new KafkaProducer<>(withDefaults(producerConfig), new StringSerializer(), new ByteArraySerializer()),
                predictionsTopic,
                groundTruthTopic);
    }

    /** With a given producer (tests use {@code MockProducer}); closes it on {@link #close()}. */
    KafkaSink(Producer<String, byte[]> producer, String predictionsTopic, String groundTruthTopic) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.predictionsTopic = Checks.text(predictionsTopic, "predictionsTopic");
        this.groundTruthTopic = Checks.text(groundTruthTopic, "groundTruthTopic");
    }

    /** The producer settings actually used: the defaults above overridden by {@code config}. */
    static Map<String, Object> withDefaults(Map<String, Object> config) {
        Map<String, Object> merged = new HashMap<>();
        merged.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        merged.put(ProducerConfig.ACKS_CONFIG, "all");
        merged.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        merged.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        merged.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        merged.putAll(config);
        merged.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
        merged.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
        return merged;
    }

    @Override
    public void accept(SimEvent event) {
        rethrowFailure();
        String topic = event.isPrediction() ? predictionsTopic : groundTruthTopic;
        producer.send(
                new ProducerRecord<>(topic, null, event.time().toEpochMilli(), event.key(), EventJson.bytes(event)),
                (metadata, exception) -> {
                    if (exception != null) {
                        failure.compareAndSet(null, exception);
                    } else {
                        acknowledged.incrementAndGet();
                    }
                });
        sent++;
    }

    /** Records handed to the producer. */
    public long sent() {
        return sent;
    }

    /** Records the broker acknowledged so far. */
    public long acknowledged() {
        return acknowledged.get();
    }

    @Override
    public void close() {
        try {
            producer.flush();
        } finally {
            producer.close(CLOSE_TIMEOUT);
        }
        rethrowFailure();
    }

    private void rethrowFailure() {
        Exception e = failure.get();
        if (e != null) {
            throw new KafkaException(
                    "sending simulated events failed after " + acknowledged.get() + " acknowledged records", e);
        }
    }
}
