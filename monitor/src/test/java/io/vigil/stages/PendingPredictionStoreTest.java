package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.aggregates.OutcomeChange;
import io.vigil.stages.OutcomeJoin.Pending;
import io.vigil.stages.shared.EventDay;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The join's compact prediction records: every field back as written, group tuples stored once and read back
 * after a restart, the earlier formats still read, the tuple count bounded.
 */
class PendingPredictionStoreTest {
    /** Seven groups, as slice assignment gives a prediction with every standard dimension. */
    private static final List<String> GROUPS = List.of(
            "chest-ct-nodule|2.3.0|all|all",
            "chest-ct-nodule|2.3.0|site|S02",
            "chest-ct-nodule|2.3.0|scanner|S02/S02-CT2",
            "chest-ct-nodule|2.3.0|scanner_model|Siemens SOMATOM Force",
            "chest-ct-nodule|2.3.0|software|Siemens SOMATOM Force VB20",
            "chest-ct-nodule|2.3.0|sex|F",
            "chest-ct-nodule|2.3.0|age_band|60-69");

    private static final long AT = 1_771_000_000_123L;

    @TempDir
    File stateDir;

    private KeyValueStore<Bytes, byte[]> inner;

    @BeforeEach
    void setUp() {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "pending-store-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        MockProcessorContext<Void, Void> context = new MockProcessorContext<>(config, new TaskId(0, 0), stateDir);
        inner = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(OutcomeJoin.PREDICTIONS_STORE), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        inner.init(context.getStateStoreContext(), inner);
    }

    private static Pending unlabelled(List<String> groups, double score, double threshold, long at) {
        return new Pending(
                groups, score, threshold, EventDay.ofEpochMilli(at), at, -1, -1, 0L, OutcomeChange.NO_SUBJECT, false);
    }

    @Test
    void shouldReadBackEveryFieldAsWritten() {
        var store = new OutcomeJoin.PendingPredictionStore(inner);
        List<Pending> cases = List.of(
                unlabelled(GROUPS, 0.7341234567891, 0.5, AT),
                unlabelled(GROUPS, 0.7341234567891, 0.5, AT)
                        .withLabel(
                                new io.vigil.events.GroundTruth(
                                        "p", 1, java.time.Instant.ofEpochMilli(AT + 86_400_000L), "s", 3),
                                AT + 86_400_000L),
                // A revision, a label observed before the prediction's own time, a subject, a cohort day that is not
                // the event time's day, an event time before 1970: none of them is in the common case's layout.
                new Pending(
                        GROUPS, 0.0, 0.25, 20_500L, -86_400_001L, 0, 7, -90_000_000L, 0x5eed_cafe_f00d_1234L, false),
                new Pending(GROUPS, 1.0, 0.5, EventDay.ofEpochMilli(AT), AT, -1, 2, 0L, -1L, false),
                unlabelled(GROUPS, 0.25, 0.5, AT).withOwnWait(),
                new Pending(
                        List.of("m|1|all|all"),
                        Double.MIN_VALUE,
                        0.5,
                        EventDay.ofEpochMilli(AT),
                        AT,
                        1,
                        0,
                        AT,
                        1L,
                        false));
        for (int i = 0; i < cases.size(); i++) {
            store.put("p-" + i, cases.get(i));
        }
        for (int i = 0; i < cases.size(); i++) {
            assertThat(store.get("p-" + i)).as("case %d", i).isEqualTo(cases.get(i));
        }
        assertThat(store.get("absent")).isNull();
        store.delete("p-0");
        assertThat(store.get("p-0")).isNull();
    }

    @Test
    void shouldStoreEachGroupTupleOnceAndKeepTheRecordSmall() {
        var store = new OutcomeJoin.PendingPredictionStore(inner);
        for (int i = 0; i < 100; i++) {
            store.put("p-" + i, unlabelled(GROUPS, i / 100.0, 0.5, AT + i));
        }
        store.put("other-threshold", unlabelled(GROUPS, 0.3, 0.6, AT));
        store.put("other-groups", unlabelled(GROUPS.subList(0, 3), 0.3, 0.5, AT));

        assertThat(store.tupleCount()).isEqualTo(3);
        assertThat(inner.approximateNumEntries()).isEqualTo(102 + 3);
        byte[] compact = inner.get(Bytes.wrap("p-1".getBytes(StandardCharsets.UTF_8)));
        byte[] earlier =
                new OutcomeJoin.PendingSerde().serializer().serialize("t", unlabelled(GROUPS, 0.01, 0.5, AT + 1));
        assertThat(compact[0]).isEqualTo((byte) OutcomeJoin.PendingPredictionStore.FORMAT);
        // format, tuple number, score, event time (6 bytes as a varint), flags
        assertThat(compact).hasSize(1 + 1 + 8 + 6 + 1);
        assertThat(earlier.length).isGreaterThan(250);
    }

    @Test
    void shouldReadTuplesBackAfterARestartAndNumberNewOnesAfterThem() {
        var before = new OutcomeJoin.PendingPredictionStore(inner);
        before.put("a", unlabelled(GROUPS, 0.1, 0.5, AT));
        before.put("b", unlabelled(GROUPS.subList(0, 2), 0.2, 0.5, AT));

        var after =
                new OutcomeJoin.PendingPredictionStore(inner); // what a restarted task builds from the restored store
        assertThat(after.tupleCount()).isEqualTo(2);
        assertThat(after.get("a")).isEqualTo(unlabelled(GROUPS, 0.1, 0.5, AT));
        assertThat(after.get("b")).isEqualTo(unlabelled(GROUPS.subList(0, 2), 0.2, 0.5, AT));
        after.put("c", unlabelled(GROUPS.subList(0, 4), 0.3, 0.5, AT));
        after.put("d", unlabelled(GROUPS, 0.4, 0.5, AT));

        assertThat(after.tupleCount()).isEqualTo(3);
        var again = new OutcomeJoin.PendingPredictionStore(inner);
        assertThat(again.get("a").groups()).isEqualTo(GROUPS);
        assertThat(again.get("b").groups()).isEqualTo(GROUPS.subList(0, 2));
        assertThat(again.get("c").groups()).isEqualTo(GROUPS.subList(0, 4));
        assertThat(again.get("d").groups()).isEqualTo(GROUPS);
    }

    @Test
    void shouldReadRecordsOfTheEarlierFormatUnderTheSameKeys() {
        Pending p = new Pending(GROUPS, 0.8, 0.5, EventDay.ofEpochMilli(AT), AT, 1, 2, AT + 5_000L, 42L, false);
        // The previous version's store: String keys (UTF-8) and format 3 values.
        String id = "acc-ü-\uD83D\uDE00";
        inner.put(
                Bytes.wrap(Serdes.String().serializer().serialize("t", id)),
                new OutcomeJoin.PendingSerde().serializer().serialize("t", p));
        var store = new OutcomeJoin.PendingPredictionStore(inner);
        assertThat(store.tupleCount()).isZero();
        assertThat(store.get(id)).isEqualTo(p);
        store.put(id, p); // written again (a label joining): compact from now on
        assertThat(inner.get(Bytes.wrap(id.getBytes(StandardCharsets.UTF_8)))[0])
                .isEqualTo((byte) OutcomeJoin.PendingPredictionStore.FORMAT);
        assertThat(store.get(id)).isEqualTo(p);
    }

    @Test
    void shouldWriteTheGroupsIntoTheRecordOnceATaskHasNumberedItsMaximumOfTuples() {
        var store = new OutcomeJoin.PendingPredictionStore(inner);
        for (int i = 0; i < OutcomeJoin.PendingPredictionStore.MAX_TUPLES; i++) {
            store.put(
                    "p-" + i, unlabelled(GROUPS, 0.5, i / (double) OutcomeJoin.PendingPredictionStore.MAX_TUPLES, AT));
        }
        Pending beyond = unlabelled(GROUPS, 0.5, 1.0, AT).withOwnWait();
        store.put("beyond", beyond);

        assertThat(store.tupleCount()).isEqualTo(OutcomeJoin.PendingPredictionStore.MAX_TUPLES);
        byte[] bytes = inner.get(Bytes.wrap("beyond".getBytes(StandardCharsets.UTF_8)));
        assertThat(bytes[0]).isEqualTo((byte) OutcomeJoin.PendingPredictionStore.FORMAT);
        assertThat(bytes[1]).as("no tuple number: the groups follow").isZero();
        assertThat(store.get("beyond")).isEqualTo(beyond);
        assertThat(new OutcomeJoin.PendingPredictionStore(inner).get("p-65535").threshold())
                .isEqualTo(65_535 / 65_536.0);
    }

    @Test
    void shouldPageThroughThePredictionsInKeyOrderWithoutTheTuples() {
        var store = new OutcomeJoin.PendingPredictionStore(inner);
        for (int i = 0; i < 25; i++) {
            store.put(String.format("p-%02d", i), unlabelled(GROUPS.subList(0, 1 + i % 3), i / 25.0, 0.5, AT));
        }
        List<String> ids = new java.util.ArrayList<>();
        String after = null;
        List<org.apache.kafka.streams.KeyValue<String, Pending>> page;
        do {
            page = store.page(after, 10);
            page.forEach(kv -> {
                ids.add(kv.key);
                assertThat(kv.value).isEqualTo(store.get(kv.key));
            });
            after = page.isEmpty() ? after : page.get(page.size() - 1).key;
        } while (page.size() == 10);

        assertThat(store.tupleCount()).isEqualTo(3);
        assertThat(ids).hasSize(25).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void shouldSayTheStoreIsDamagedWhenARecordNamesAMissingTuple() {
        var store = new OutcomeJoin.PendingPredictionStore(inner);
        store.put("a", unlabelled(GROUPS, 0.1, 0.5, AT));
        inner.delete(Bytes.wrap(OutcomeJoin.PendingPredictionStore.tupleKey(0)));

        assertThatThrownBy(() -> new OutcomeJoin.PendingPredictionStore(inner).get("a"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no group tuple 0")
                .hasMessageContaining("damaged");
    }
}
