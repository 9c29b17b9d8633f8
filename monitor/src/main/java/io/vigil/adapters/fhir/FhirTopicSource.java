package io.vigil.adapters.fhir;

import io.vigil.config.VigilConfig;
import io.vigil.topics.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topic mode of {@code vigil ingest fhir}: consumes FHIR R4 JSON (a DiagnosticReport, an Observation or a
 * Bundle) from {@value VigilConfig#FHIR_SOURCE_TOPIC} in the consumer group {@code <application.id>-ingest-fhir}
 * and hands each record to the same {@link FhirReceiver} as the HTTP endpoint: ground truth to the ground-truth
 * topic, what cannot be mapped to the dead-letter topic (with the source topic, partition and offset), results
 * that are not ground truth yet skipped. A record's offset is committed only after Kafka acknowledged what it
 * gave; when Kafka does not, the record is read again after a pause (the retry is idempotent: the same prediction
 * ids and revisions).
 */
public final class FhirTopicSource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FhirTopicSource.class);
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(2);

    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final FhirReceiver receiver;
    private final String topic;
    private final Thread thread;
    private volatile boolean stopping;

    private FhirTopicSource(
            Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer, FhirReceiver receiver, String topic) {
        this.consumer = consumer;
        this.producer = producer;
        this.receiver = receiver;
        this.topic = topic;
        this.thread = new Thread(this::run, "vigil-fhir-topic");
        thread.setDaemon(true);
    }

    /** The consumer group of the topic mode. */
    public static String group(VigilConfig config) {
        return config.getString(VigilConfig.APPLICATION_ID) + "-ingest-fhir";
    }

    /**
     * Starts consuming {@value VigilConfig#FHIR_SOURCE_TOPIC} with {@code mapping}.
     *
     * @throws IllegalArgumentException when the source topic is not set
     */
    public static FhirTopicSource start(VigilConfig config, FhirMapping mapping) {
        String topic = config.getString(VigilConfig.FHIR_SOURCE_TOPIC);
        if (topic.isEmpty()) {
            throw new IllegalArgumentException(VigilConfig.FHIR_SOURCE_TOPIC + " is not set");
        }
        Map<String, Object> c = new HashMap<>(config.kafkaClientSettings());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group(config));
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "vigil-fhir-source");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Producer<byte[], byte[]> producer = FhirListener.newProducer(config, "vigil-fhir-source");
        Topics topics = Topics.from(config);
        FhirReceiver receiver = new FhirReceiver(
                new FhirMapper(mapping),
                producer,
                topics.groundTruth().name(),
                topics.deadLetters().name());
        FhirTopicSource source = new FhirTopicSource(consumer, producer, receiver, topic);
        consumer.subscribe(List.of(topic));
        source.thread.start();
        LOG.info(
                "Consuming FHIR R4 from {} (group {}); ground truth to {}, dead letters to {}",
                topic,
                group(config),
                topics.groundTruth().name(),
                topics.deadLetters().name());
        return source;
    }

    private void run() {
        try {
            while (!stopping) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                boolean failed = false;
                for (TopicPartition partition : records.partitions()) {
                    List<ConsumerRecord<byte[], byte[]>> batch = records.records(partition);
                    if (failed) {
                        consumer.seek(partition, batch.getFirst().offset()); // read again after the pause
                    } else {
                        failed = !take(partition, batch);
                    }
                }
                if (failed) {
                    pause();
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.error("FHIR topic source stopped: {}", e.getClass().getSimpleName());
        } finally {
            consumer.close(Duration.ofSeconds(10));
        }
    }

    /** Handles a partition's records in order; false when Kafka did not take one (it is read again). */
    private boolean take(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (r.value() != null) {
                FhirReceiver.Response response = receiver.receive(
                        r.value(),
                        FhirReceiver.Accepts.ANY,
                        new FhirReceiver.Origin(r.topic(), r.partition(), r.offset()));
                if (response.status() == 503) {
                    consumer.seek(partition, r.offset());
                    return false;
                }
            }
            consumer.commitSync(Map.of(partition, new OffsetAndMetadata(r.offset() + 1)));
        }
        return true;
    }

    private void pause() {
        try {
            Thread.sleep(RETRY_PAUSE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    /** The topic consumed. */
    public String topic() {
        return topic;
    }

    public FhirReceiver.Counts counts() {
        return receiver.counts();
    }

    @Override
    public void close() {
        stopping = true;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
    }
}
