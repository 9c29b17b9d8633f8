package io.vigil.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.app.Monitor;
import io.vigil.config.VigilConfig;
import io.vigil.events.MetricSnapshot;
import io.vigil.serde.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Starts a real {@link Monitor} against a broker with topic names unique to one test, and reads its outputs. */
public final class MonitorHarness {
    private final KafkaBroker kafka;
    private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
    private final HttpClient http = HttpClient.newHttpClient();

    public MonitorHarness(KafkaBroker kafka) {
        this.kafka = kafka;
    }

    /** Config for a monitor with this harness's topics and a fresh state directory. */
    public VigilConfig config(Path stateDir, Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>();
        values.put(VigilConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        values.put(VigilConfig.APPLICATION_ID, prefix + "vigil");
        values.put(VigilConfig.STATE_DIR, stateDir.toString());
        values.put(VigilConfig.TOPIC_PREDICTIONS, prefix + "predictions");
        values.put(VigilConfig.TOPIC_GROUND_TRUTH, prefix + "ground-truth");
        values.put(VigilConfig.TOPIC_DEAD_LETTERS, prefix + "dead-letters");
        values.put(VigilConfig.TOPIC_SNAPSHOTS, prefix + "snapshots");
        values.put(VigilConfig.TOPIC_ALERTS, prefix + "alerts");
        values.put(VigilConfig.TOPIC_INCIDENTS, prefix + "incidents");
        values.put(VigilConfig.TOPIC_REFERENCES, prefix + "references");
        values.put(VigilConfig.TOPIC_PARTITIONS, "3");
        values.put(VigilConfig.HTTP_PORT, "0");
        values.put("kafka.commit.interval.ms", "100");
        values.putAll(overrides);
        return new VigilConfig(values);
    }

    public KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Every committed record currently in a topic (read_committed, from the beginning). */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition()))
                    .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 30_000;
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))
                    && System.currentTimeMillis() < deadline) {
                c.poll(java.time.Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    public String get(String baseUri, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(baseUri + path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + "\n" + r.body();
    }

    public int status(String baseUri, String path) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(URI.create(baseUri + path)).build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** The value of one Prometheus sample whose name and labels match, or NaN. */
    public static double sample(String exposition, String name, Map<String, String> labels) {
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(exposition);
        while (m.find()) {
            String ls = m.group(1);
            boolean all =
                    labels.entrySet().stream().allMatch(e -> ls.contains(e.getKey() + "=\"" + e.getValue() + "\""));
            if (all) {
                return Double.parseDouble(m.group(2));
            }
        }
        return Double.NaN;
    }

    public String topic(String suffix) {
        return prefix + suffix;
    }

    /** The latest committed metric snapshot per key in this harness's snapshots topic (read_committed, in offset order). */
    public Map<String, MetricSnapshot> committedSnapshots() throws IOException {
        Map<String, MetricSnapshot> out = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(topic("snapshots"))) {
            if (r.value() != null) {
                MetricSnapshot s = Json.mapper().readValue(r.value(), MetricSnapshot.class);
                out.put(s.key(), s);
            }
        }
        return out;
    }

    /** A counter sample that must be present and integral, as a long. */
    public static long exactCount(double v) {
        assertThat(v).as("sample present and integral").isNotNaN();
        assertThat(v).isEqualTo(Math.rint(v));
        return (long) v;
    }

    /** {@code vigil_ingest_records_total} of one stream, outcome and reason (null: no reason label), exact. */
    public static long ingestCount(String metrics, String stream, String outcome, String reason) {
        Map<String, String> labels = new HashMap<>(Map.of("stream", stream, "outcome", outcome));
        if (reason != null) {
            labels.put("reason", reason);
        }
        return exactCount(sample(metrics, "vigil_ingest_records_total", labels));
    }

    /** {@code vigil_outcome_join_events_total} of one event, exact. */
    public static long joinCount(String metrics, String event) {
        return exactCount(sample(metrics, "vigil_outcome_join_events_total", Map.of("event", event)));
    }
}
