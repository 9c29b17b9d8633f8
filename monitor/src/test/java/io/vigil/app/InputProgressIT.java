package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The lag and committed offsets the stall detector is fed, against a real broker, transactions included. */
@RealKafka
class InputProgressIT {

    @Test
    void shouldCountWaitingRecordsButNotTransactionMarkersOrAbortedRecords(KafkaBroker kafka) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        String a = h.topic("a");
        String b = h.topic("b");
        kafka.createTopic(a, 2);
        kafka.createTopic(b, 1);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, h.topic("tx"));
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(a, i % 2, null, new byte[] {1}));
            }
            producer.send(new ProducerRecord<>(b, 0, null, new byte[] {1}));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(b, 0, null, new byte[] {2}));
            producer.abortTransaction();
        }
        Map<String, Object> admin = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        String group = h.topic("group");
        try (InputProgress progress = new InputProgress(admin, group, List.of(a, b))) {
            InputProgress.Sample before = progress.sample();
            // Nothing committed: every committed record waits (11). Lag is measured in offsets against the
            // read-committed end offsets, and the two commit markers, the aborted record and its abort marker
            // take offsets too (16 in all once the abort marker is written; it may still be in flight).
            // What matters is below: after reading everything the same end offsets give a lag of exactly 0,
            // so markers never leave a phantom backlog that would look like a stall.
            assertThat(before.committed()).isZero();
            assertThat(before.lag()).isBetween(11L, 16L);

            Properties c = new Properties();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            try (KafkaConsumer<byte[], byte[]> consumer =
                    new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> parts =
                        List.of(new TopicPartition(a, 0), new TopicPartition(a, 1), new TopicPartition(b, 0));
                consumer.assign(parts);
                int seen = 0;
                long deadline = System.currentTimeMillis() + 30_000;
                while ((seen < 11
                                || parts.stream()
                                        .anyMatch(tp -> consumer.position(tp)
                                                < consumer.endOffsets(List.of(tp))
                                                        .get(tp)))
                        && System.currentTimeMillis() < deadline) {
                    seen += consumer.poll(java.time.Duration.ofMillis(200)).count();
                }
                assertThat(seen).isEqualTo(11);
                Map<TopicPartition, OffsetAndMetadata> positions = new java.util.HashMap<>();
                parts.forEach(tp -> positions.put(tp, new OffsetAndMetadata(consumer.position(tp))));
                consumer.commitSync(positions);
            }
            InputProgress.Sample after = progress.sample();
            assertThat(after.lag())
                    .as("everything read and committed: nothing waits")
                    .isZero();
            assertThat(after.committed()).isGreaterThanOrEqualTo(11L);
        }
    }
}
