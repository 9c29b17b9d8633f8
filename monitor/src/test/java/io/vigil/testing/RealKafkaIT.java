package io.vigil.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Proves the broker harness: transactions, read_committed consumption and exactly-once Streams. */
@RealKafka
class RealKafkaIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void shouldReadEveryCommittedRecordExactlyOnceWhenProducedTransactionally(KafkaBroker kafka) {
        String topic = "harness-tx-" + UUID.randomUUID();
        kafka.createTopic(topic, 3);
        Map<String, String> sent = new LinkedHashMap<>();
        IntStream.range(0, 1_000).forEach(i -> sent.put("key-" + i, "value-" + i));

        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(kafka))) {
            producer.initTransactions();
            // Ten transactions of 100 records, so the consumer crosses several commit markers.
            List<Map.Entry<String, String>> entries = new ArrayList<>(sent.entrySet());
            for (int batch = 0; batch < 10; batch++) {
                producer.beginTransaction();
                for (Map.Entry<String, String> e : entries.subList(batch * 100, batch * 100 + 100)) {
                    producer.send(new ProducerRecord<>(topic, e.getKey(), e.getValue()));
                }
                producer.commitTransaction();
            }
            // An aborted transaction must stay invisible to read_committed.
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "aborted", "aborted"));
            producer.flush();
            producer.abortTransaction();
        }

        Map<String, String> received = new HashMap<>();
        List<ConsumerRecord<String, String>> all = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                consumerConfig(kafka, StringDeserializer.class), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            await("1,000 committed records").atMost(WAIT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    all.add(r);
                    received.put(r.key(), r.value());
                });
                return all.size() >= 1_000;
            });
            // A further poll proves nothing beyond the committed records arrives.
            consumer.poll(Duration.ofMillis(500)).forEach(all::add);
        }

        assertThat(all).hasSize(1_000);
        assertThat(received).isEqualTo(sent);
    }

    @Test
    void shouldCountEachKeyExactlyWhenStreamsRunsExactlyOnceV2(KafkaBroker kafka, @TempDir Path stateDir) {
        String suffix = UUID.randomUUID().toString();
        String input = "harness-words-" + suffix;
        String output = "harness-counts-" + suffix;
        kafka.createTopic(input, 2);
        kafka.createTopic(output, 2);

        Map<String, Long> expected = Map.of("ct", 500L, "mr", 300L, "xr", 200L);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(kafka))) {
            producer.initTransactions();
            producer.beginTransaction();
            expected.forEach((key, n) -> {
                for (long i = 0; i < n; i++) {
                    producer.send(new ProducerRecord<>(input, key, "study-" + i));
                }
            });
            producer.commitTransaction();
        }

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()).withName("read-words"))
                .groupByKey(Grouped.<String, String>as("group-by-key")
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.String()))
                .count(
                        Named.as("count-by-key"),
                        Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("count-store")
                                .withKeySerde(Serdes.String())
                                .withValueSerde(Serdes.Long()))
                .toStream(Named.as("counts-to-stream"))
                .to(output, Produced.with(Serdes.String(), Serdes.Long()).withName("write-counts"));

        Properties streamsConfig = new Properties();
        streamsConfig.put(StreamsConfig.APPLICATION_ID_CONFIG, "harness-count-" + suffix);
        streamsConfig.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        streamsConfig.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        streamsConfig.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        streamsConfig.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        streamsConfig.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        streamsConfig.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);

        Map<String, Long> latest = new HashMap<>();
        try (KafkaStreams streams = new KafkaStreams(builder.build(), streamsConfig);
                KafkaConsumer<String, Long> consumer = new KafkaConsumer<>(
                        consumerConfig(kafka, LongDeserializer.class),
                        new StringDeserializer(),
                        new LongDeserializer())) {
            streams.start();
            consumer.subscribe(List.of(output));
            await("final counts on " + output).atMost(WAIT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> latest.put(r.key(), r.value()));
                return latest.equals(expected);
            });
            // A probing rebalance may still be under way on a loaded machine; what matters is that the
            // application is healthy, not in ERROR.
            await("streams running").atMost(WAIT).until(() -> streams.state() == KafkaStreams.State.RUNNING);
            streams.close(Duration.ofSeconds(30));
        }

        assertThat(latest).isEqualTo(expected);
    }

    private static Map<String, Object> producerConfig(KafkaBroker kafka) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "harness-producer-" + UUID.randomUUID());
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        return config;
    }

    private static Map<String, Object> consumerConfig(KafkaBroker kafka, Class<?> valueDeserializer) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "harness-reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, valueDeserializer);
        return config;
    }
}
