package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.events.Slice;
import io.vigil.events.SlicedPrediction;
import io.vigil.serde.JsonSerde;
import io.vigil.stages.shared.SliceAdmission;
import io.vigil.topics.Topics;
import java.io.File;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admission timeout, which a TopologyTestDriver cannot trip (it delivers every decision at once): the
 * assignment processor alone, with a decisions store that never receives anything, as when the owner's task
 * stays unassigned. Before {@link SliceAssignment#DECISION_TIMEOUT} predictions wait and nothing is counted;
 * after it they go out in arrival order with their undecided values as {@code other}, counted per dimension
 * and under {@code admission_timeout}.
 */
class SliceAdmissionTimeoutTest {
    private static final Instant AT = Instant.parse("2026-11-30T10:00:00Z");

    @TempDir
    File stateDir;

    private MockProcessorContext<String, SlicedPrediction> context;
    private Processor<String, io.vigil.events.Prediction, String, SlicedPrediction> processor;
    private KeyValueStore<String, Long> overflow;
    private KeyValueStore<String, SliceAssignment.Held> held;
    private SliceAssignment assignment;

    @BeforeEach
    void setUp() {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "admission-timeout-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        context = new MockProcessorContext<>(config, new TaskId(0, 0), stateDir);
        KeyValueStore<String, Long> decisions = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(SliceAdmission.STORE), Serdes.String(), Serdes.Long())
                .withLoggingDisabled()
                .build();
        held = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(SliceAssignment.HELD_STORE),
                        Serdes.String(),
                        new JsonSerde<>(SliceAssignment.Held.class))
                .withLoggingDisabled()
                .build();
        overflow = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(SliceAssignment.OVERFLOW_STORE), Serdes.String(), Serdes.Long())
                .withLoggingDisabled()
                .build();
        for (KeyValueStore<?, ?> store : List.of(decisions, held, overflow)) {
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
        }
        Topics topics = Topics.from(new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092")));
        assignment = new SliceAssignment(new SliceAdmission(topics, 64), List.of());
        processor = assignment.processor();
        processor.init(context);
    }

    @Test
    void shouldHoldUntilTheTimeoutThenSendUndecidedValuesToOtherAndCountThem() {
        context.setCurrentSystemTimeMs(0);
        for (int i = 0; i < 3; i++) {
            processor.process(new Record<>(
                    "p" + i,
                    OutcomeDriver.prediction("p" + i, AT.plusSeconds(i), 0.4),
                    AT.plusSeconds(i).toEpochMilli()));
        }
        MockProcessorContext.CapturedPunctuator release =
                context.scheduledPunctuators().get(0);

        // Quiet: 4 min 59 s without a decision; nothing forwarded, nothing counted.
        release.getPunctuator().punctuate(Duration.ofMinutes(5).minusSeconds(1).toMillis());
        assertThat(context.forwarded()).isEmpty();
        assertThat(overflow.get(SliceAssignment.TIMEOUT_PREFIX + "scanner")).isNull();

        // Fires: at 5 min all three go, in arrival order, every dimension but 'all' as other.
        release.getPunctuator().punctuate(Duration.ofMinutes(5).toMillis());
        List<MockProcessorContext.CapturedForward<? extends String, ? extends SlicedPrediction>> out =
                context.forwarded();
        assertThat(out.stream().map(f -> (String) f.record().key()).toList()).containsExactly("p0", "p1", "p2");
        assertThat(out.get(0).record().value().slices())
                .contains(Slice.ALL, new Slice("scanner", Slice.OTHER), new Slice("site", Slice.OTHER));
        assertThat(out.get(0).record().timestamp()).isEqualTo(AT.toEpochMilli());
        for (String dimension : List.of("site", "scanner", "scanner_model", "software")) {
            assertThat(overflow.get(SliceAssignment.TIMEOUT_PREFIX + dimension))
                    .as(dimension)
                    .isEqualTo(3L);
            assertThat(overflow.get(dimension)).as(dimension).isEqualTo(3L);
        }
    }

    @Test
    void shouldReleaseRecordsAnEarlierTaskHeldInTheirArrivalOrderAndEmptyTheStore() {
        context.setCurrentSystemTimeMs(0);
        for (int i = 0; i < 20; i++) {
            processor.process(new Record<>(
                    "p" + i,
                    OutcomeDriver.prediction("p" + i, AT.plusSeconds(i), 0.4),
                    AT.plusSeconds(i).toEpochMilli()));
        }
        assertThat(held.approximateNumEntries()).isEqualTo(20);

        // A restarted task: a new processor over the same (restored) store, then one more record behind them.
        processor.close();
        context.resetForwards();
        Processor<String, io.vigil.events.Prediction, String, SlicedPrediction> restarted = assignment.processor();
        restarted.init(context);
        restarted.process(new Record<>(
                "p20",
                OutcomeDriver.prediction("p20", AT.plusSeconds(20), 0.4),
                AT.plusSeconds(20).toEpochMilli()));
        assertThat(context.forwarded()).isEmpty();

        assertThat(held.approximateNumEntries()).isEqualTo(21);
        List<MockProcessorContext.CapturedPunctuator> punctuators = context.scheduledPunctuators();
        assertThat(punctuators).hasSize(2); // the first processor's and the restarted one's
        punctuators.get(1).getPunctuator().punctuate(Duration.ofMinutes(5).toMillis());
        assertThat(context.forwarded().stream()
                        .map(f -> (String) f.record().key())
                        .toList())
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(0, 20)
                        .mapToObj(i -> "p" + i)
                        .toList());
        assertThat(held.approximateNumEntries()).isZero();
        assertThat(overflow.get(SliceAssignment.TIMEOUT_PREFIX + "scanner")).isEqualTo(21L);
    }
}
