package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.events.ModelRef;
import io.vigil.events.ReferenceProfile;
import io.vigil.serde.Json;
import io.vigil.stages.shared.References;
import io.vigil.topics.Topics;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * The references view: a lookup answers from its cache between writes, and sees every write to the
 * global store (a new version of a profile, a tombstone, a profile that does not parse) at the next
 * lookup, with no wall-clock delay.
 */
class ReferencesTest {
    private static final Instant NOW = Instant.parse("2026-11-01T00:00:00Z");
    private static final ModelRef MODEL = new ModelRef("m", "1");
    private static final String KEY = ReferenceProfile.key("m", "1");

    @Test
    void shouldSeeEachNewVersionDeletionAndBadProfileAtTheNextLookup() throws Exception {
        VigilConfig config = new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092"));
        Topics topics = Topics.from(config);
        References references = new References(topics);
        StreamsBuilder builder = new StreamsBuilder();
        references.addViewTo(builder);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "references-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(
                StreamsConfig.STATE_DIR_CONFIG,
                io.vigil.testing.TestDirs.fresh().toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props, NOW)) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic(
                    topics.references().name(), new StringSerializer(), new ByteArraySerializer());
            ReadOnlyKeyValueStore<String, ?> store = driver.getTimestampedKeyValueStore(References.STORE);

            assertThat(references.lookup(store, KEY)).isEmpty();

            in.pipeInput(KEY, bytes(PerformanceEstimationTest.reference(MODEL, 2_000, 1L, false)));
            References.Parsed first = references.lookup(store, KEY).orElseThrow();
            assertThat(first.isValid()).isTrue();
            assertThat(first.profile().score().n()).isEqualTo(2_000);
            // Between writes the cached object itself comes back.
            assertThat(references.lookup(store, KEY).orElseThrow()).isSameAs(first);

            in.pipeInput(KEY, bytes(PerformanceEstimationTest.reference(MODEL, 3_000, 2L, false)));
            References.Parsed second = references.lookup(store, KEY).orElseThrow();
            assertThat(second.profile().score().n()).isEqualTo(3_000);

            // A write to another key moves the count; this key's bytes are unchanged, so its parse is kept.
            in.pipeInput(
                    ReferenceProfile.key("m", "2"),
                    bytes(PerformanceEstimationTest.reference(new ModelRef("m", "2"), 500, 3L, false)));
            assertThat(references.lookup(store, KEY).orElseThrow()).isSameAs(second);

            in.pipeInput(KEY, "{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(references.lookup(store, KEY).orElseThrow().isValid()).isFalse();

            in.pipeInput(KEY, (byte[]) null);
            assertThat(references.lookup(store, KEY)).isEqualTo(Optional.empty());
            assertThat(references
                            .lookup(store, ReferenceProfile.key("m", "2"))
                            .orElseThrow()
                            .profile()
                            .score()
                            .n())
                    .isEqualTo(500);
        }
    }

    private static byte[] bytes(ReferenceProfile p) throws Exception {
        return Json.writer().writeValueAsBytes(p);
    }
}
