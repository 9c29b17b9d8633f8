package io.vigil.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.testing.Events;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import io.vigil.topics.JoinPartitions;
import io.vigil.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil doctor} against a real broker: a healthy setup passes; a missing topic, input topics with
 * different partition counts, invalid recent records and records outside their prediction id's join partition
 * are named with a fix; an unreachable broker is one failed line within 10 s.
 */
@RealKafka
class DoctorIT {

    @Test
    void shouldPassAHealthySetupAndNameEachThingABrokenOneGetsWrong(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        VigilConfig healthy = h.config(state, Map.of(VigilConfig.TOPIC_CREATE, "false"));
        List<NewTopic> all = Topics.from(healthy).definitions(3, (short) 1, 86_400_000L);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(all).all().get();
        }
        try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(
                        h.topic("predictions"),
                        ("p-" + i).getBytes(StandardCharsets.UTF_8),
                        Events.json(
                                Events.prediction("p-" + i, 0.3, Instant.now().minusSeconds(60)))));
            }
        }

        Map<String, Check> ok = byName(new Doctor(healthy).run());
        assertThat(ok.values()).noneMatch(c -> c.status() == Check.Status.FAIL || c.status() == Check.Status.WARN);
        assertThat(ok.get("Kafka reachable and authenticated").status()).isEqualTo(Check.Status.PASS);
        assertThat(ok.get("topics present").detail()).contains("all " + all.size() + " topics");
        assertThat(ok.get("cleanup policy").status()).isEqualTo(Check.Status.PASS);
        assertThat(ok.get("input partitions").detail()).contains("have 3 each");
        assertThat(ok.get("recent input records").detail()).startsWith("20 of the latest 20 records valid");
        assertThat(ok.get("join keys").detail()).startsWith("all 20 valid recent records are in the partition");
        // This broker has no authorizer: it reports every operation allowed.
        assertThat(ok.get("ACLs").status()).isEqualTo(Check.Status.PASS);

        // Broken: a topic missing (and Vigil may not create it), ground truth with 5 partitions beside 3 for
        // predictions, a record that is not JSON among the recent input, and a valid one its producer put in a
        // partition other than its prediction id's.
        MonitorHarness b = new MonitorHarness(kafka);
        VigilConfig broken = b.config(state, Map.of(VigilConfig.TOPIC_CREATE, "false"));
        Topics topics = Topics.from(broken);
        List<NewTopic> some = topics.definitions(3, (short) 1, 86_400_000L).stream()
                .filter(t -> !t.name().equals(topics.alerts().name()))
                .map(t -> t.name().equals(topics.groundTruth().name()) ? new NewTopic(t.name(), 5, (short) 1) : t)
                // The references topic, read as a table, created without compaction.
                .map(t -> t.name().equals(topics.references().name()) ? new NewTopic(t.name(), 1, (short) 1) : t)
                .toList();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(some).all().get();
        }
        try (KafkaProducer<byte[], byte[]> producer = b.producer()) {
            producer.send(new ProducerRecord<>(b.topic("predictions"), "{not json".getBytes(StandardCharsets.UTF_8)));
            // The join has max(3, 5) = 5 partitions; this record sits in another of the 3.
            int elsewhere = (JoinPartitions.partitionOf("p-x", 5) + 1) % 3;
            producer.send(new ProducerRecord<>(
                    b.topic("predictions"),
                    elsewhere,
                    "p-x".getBytes(StandardCharsets.UTF_8),
                    Events.json(Events.prediction("p-x", 0.3, Instant.now().minusSeconds(60)))));
        }

        Map<String, Check> bad = byName(new Doctor(broken).run());
        assertThat(bad.get("topics present").status()).isEqualTo(Check.Status.FAIL);
        assertThat(bad.get("topics present").detail())
                .contains(topics.alerts().name())
                .contains("topic.create=false");
        assertThat(bad.get("topics present").remedy()).contains("kafka-topics.sh");
        assertThat(bad.get("cleanup policy").status()).isEqualTo(Check.Status.FAIL);
        assertThat(bad.get("cleanup policy").detail())
                .contains(topics.references().name() + " (delete)");
        assertThat(bad.get("input partitions").status()).isEqualTo(Check.Status.WARN);
        assertThat(bad.get("input partitions").detail())
                .contains("has 3")
                .contains("has 5")
                .contains("the outcome join has 5 partitions");
        assertThat(bad.get("join keys").status()).isEqualTo(Check.Status.WARN);
        assertThat(bad.get("join keys").detail()).startsWith("1 of the latest 1 valid records");
        assertThat(bad.get("join keys").remedy()).contains("partitioner=murmur2_random");
        assertThat(bad.get("recent input records").status()).isEqualTo(Check.Status.WARN);
        assertThat(bad.get("recent input records").detail())
                .contains("not_json")
                .doesNotContain("{not json");
    }

    @Test
    void shouldSayInOneLineWithinTenSecondsThatNoBrokerAnswers(@TempDir Path state) throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        VigilConfig config = new VigilConfig(Map.of(
                VigilConfig.BOOTSTRAP_SERVERS,
                "127.0.0.1:" + closed,
                VigilConfig.STATE_DIR,
                state.toString(),
                VigilConfig.HTTP_PORT,
                "0"));
        long start = System.nanoTime();
        List<Check> checks = new Doctor(config).run();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(took).isLessThan(Duration.ofSeconds(10));
        assertThat(checks.get(0).status()).isEqualTo(Check.Status.FAIL);
        assertThat(checks.get(0).line())
                .contains("no answer from 127.0.0.1:" + closed)
                .contains("fix:");
        assertThat(checks).filteredOn(c -> c.status() == Check.Status.FAIL).hasSize(1);
    }

    private static Map<String, Check> byName(List<Check> checks) {
        checks.forEach(c -> System.out.println("[doctor] " + c.line()));
        return checks.stream().collect(Collectors.toMap(Check::name, c -> c, (a, b) -> a));
    }
}
