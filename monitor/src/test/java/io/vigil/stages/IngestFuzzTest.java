package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.events.EventValidator;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.serde.JsonSerde;
import io.vigil.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, Must 9: no input makes ingest throw. 3,000 records per stream, random bytes, malformed
 * UTF-8, byte edits of valid examples, deep nesting, huge numbers, empty and null values and keys, go
 * through the ingest stage; each is accepted or dead-lettered (never an exception), and the counts add
 * up to what was sent. Fixed seed.
 */
class IngestFuzzTest {
    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

    @Test
    void shouldAcceptOrDeadLetterEveryRecordWhateverItsBytes() throws Exception {
        VigilConfig config = new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092"));
        Topics topics = Topics.from(config);
        StreamsBuilder builder = new StreamsBuilder();
        Ingest.Output out = new Ingest(topics, new EventValidator(4096, Duration.ofMinutes(5))).addTo(builder);
        out.predictions().to("accepted-predictions", Produced.with(Serdes.String(), JsonSerde.of(Prediction.class)));
        out.groundTruth().to("accepted-labels", Produced.with(Serdes.String(), JsonSerde.of(GroundTruth.class)));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ingest-fuzz");
        props.put(
                StreamsConfig.STATE_DIR_CONFIG,
                io.vigil.testing.TestDirs.fresh().toString());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        // No exception handler: an exception in ingest would surface here and fail the test.
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props, NOW)) {
            TestInputTopic<byte[], byte[]> predictions = driver.createInputTopic(
                    topics.predictions().name(), new ByteArraySerializer(), new ByteArraySerializer());
            TestInputTopic<byte[], byte[]> labels = driver.createInputTopic(
                    topics.groundTruth().name(), new ByteArraySerializer(), new ByteArraySerializer());
            SplittableRandom random = new SplittableRandom(2026);
            int n = 3_000;
            for (int i = 0; i < n; i++) {
                predictions.pipeInput(key(random), fuzz(random, valid("prediction")));
                labels.pipeInput(key(random), fuzz(random, valid("ground_truth")));
            }
            long accepted = driver.createOutputTopic(
                            "accepted-predictions", new StringDeserializer(), new ByteArrayDeserializer())
                    .readRecordsToList()
                    .size();
            long acceptedLabels = driver.createOutputTopic(
                            "accepted-labels", new StringDeserializer(), new ByteArrayDeserializer())
                    .readRecordsToList()
                    .size();
            long dead = driver.createOutputTopic(
                            topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer())
                    .readRecordsToList()
                    .size();
            System.out.printf(
                    "[ingest-fuzz] %d predictions accepted, %d labels accepted, %d dead-lettered%n",
                    accepted, acceptedLabels, dead);
            assertThat(accepted + acceptedLabels + dead).isEqualTo(2L * n);
            // Both outcomes are exercised, or the test proves little.
            assertThat(accepted).isBetween(50L, (long) n - 500);
            assertThat(acceptedLabels).isBetween(50L, (long) n - 500);
        }
    }

    private static final Map<String, List<byte[]>> VALID = new java.util.HashMap<>();

    private static List<byte[]> valid(String type) throws Exception {
        if (!VALID.containsKey(type)) {
            List<byte[]> out = new ArrayList<>();
            try (var files = Files.list(Path.of("../schemas/examples", type, "valid"))) {
                for (Path f : files.sorted().toList()) {
                    out.add(Files.readAllBytes(f));
                }
            }
            VALID.put(type, out);
        }
        return VALID.get(type);
    }

    private static byte[] key(SplittableRandom r) {
        return switch (r.nextInt(4)) {
            case 0 -> null;
            case 1 -> new byte[0];
            case 2 -> randomBytes(r, 1 + r.nextInt(40));
            default -> ("p-" + r.nextInt(1000)).getBytes(StandardCharsets.UTF_8);
        };
    }

    private static byte[] fuzz(SplittableRandom r, List<byte[]> valid) {
        byte[] base = valid.get(r.nextInt(valid.size()));
        return switch (r.nextInt(9)) {
            case 0 -> null;
            case 1 -> randomBytes(r, r.nextInt(200));
            case 2 -> new byte[] {(byte) 0xC3, (byte) 0x28, '{', (byte) 0xFF};
            case 3 -> ("[".repeat(5_000) + "]".repeat(5_000)).getBytes(StandardCharsets.UTF_8);
            case 4 ->
                new String(base, StandardCharsets.UTF_8)
                        .replaceFirst("\"score\":\\s*[0-9.]+", "\"score\": 1e400")
                        .replaceFirst("\"label\":\\s*[01]", "\"label\": 1e400")
                        .getBytes(StandardCharsets.UTF_8);
            case 5, 6 -> {
                byte[] c = base.clone();
                for (int k = 0; k < 1 + r.nextInt(3); k++) {
                    c[r.nextInt(c.length)] = (byte) r.nextInt(256);
                }
                yield c;
            }
            default -> base; // valid
        };
    }

    private static byte[] randomBytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }
}
