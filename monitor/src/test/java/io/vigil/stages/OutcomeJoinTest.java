package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.deadletters.DeadLetters;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.Reason;
import io.vigil.stats.BinaryOutcomeStats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OutcomeJoinTest {
    private static final Instant T0 = Instant.parse("2026-01-10T08:00:00Z");

    private OutcomeDriver d;

    @BeforeEach
    void setUp() {
        // The join is under test, not the minimum n: every metric is published from one labelled case.
        d = new OutcomeDriver(Map.of("outcomes.min-n", 1));
    }

    @AfterEach
    void tearDown() {
        d.close();
    }

    @Test
    void shouldJoinLabelThatArrivedBeforeItsPredictionWhenPredictionArrives() {
        d.label("p1", 1, T0.plusSeconds(3600), 0);
        assertThat(d.all("7d", "labelled")).isNull();
        assertThat(indexKeys()).filteredOn(k -> k.endsWith("|L|p1")).hasSize(1); // the end of its wait

        d.predict(OutcomeDriver.prediction("p1", T0, 0.8));

        assertThat(d.all("7d", "labelled").estimate()).isEqualTo(1.0);
        assertThat(d.all("7d", "sensitivity").estimate()).isEqualTo(1.0);
        assertThat(d.all("7d", "label_delay:0.5").estimate()).isBetween(3600 / 1.045, 3600 * 1.045);
        assertThat(d.joinCounts())
                .containsEntry(OutcomeJoin.LABELS_HELD, 1L)
                .containsEntry(OutcomeJoin.LABELS_JOINED, 1L);
        assertThat(indexKeys()).noneMatch(k -> k.contains("|L|")); // joined: its wait ended with it
    }

    @Test
    void shouldCountOneOutcomeWhenLabelAndPredictionAreDuplicated() {
        d.predict(OutcomeDriver.prediction("p1", T0, 0.8));
        d.predict(OutcomeDriver.prediction("p1", T0, 0.8));
        d.label("p1", 1, T0.plusSeconds(60), 0);
        d.label("p1", 1, T0.plusSeconds(60), 0);

        assertThat(d.all("7d", "labelled").estimate()).isEqualTo(1.0);
        assertThat(d.all("7d", "label_coverage").n()).isEqualTo(1);
        assertThat(d.joinCounts())
                .containsEntry(OutcomeJoin.PREDICTIONS_DUPLICATE, 1L)
                .containsEntry(OutcomeJoin.LABELS_DUPLICATE, 1L);
    }

    @Test
    void shouldRetractOldOutcomeExactlyWhenHigherRevisionArrives() {
        d.predict(OutcomeDriver.prediction("p1", T0, 0.8));
        d.predict(OutcomeDriver.prediction("p2", T0, 0.3));
        d.label("p2", 0, T0.plusSeconds(60), 0);
        d.label("p1", 0, T0.plusSeconds(60), 0);
        assertThat(d.all("7d", "ppv").estimate()).isEqualTo(0.0);

        d.label("p1", 1, T0.plusSeconds(120), 1);

        BinaryOutcomeStats batch = new BinaryOutcomeStats(0.5);
        batch.add(0.8, 1);
        batch.add(0.3, 0);
        assertThat(d.all("7d", "labelled").estimate()).isEqualTo(2.0);
        assertThat(d.all("7d", "ppv").estimate()).isEqualTo(1.0);
        assertThat(d.all("7d", "brier").estimate())
                .isEqualTo(batch.calibration().brier().value());
        assertThat(d.all("7d", "auc").estimate()).isEqualTo(batch.auc().auc().value());
        assertThat(d.all("7d", "log_loss").estimate())
                .isEqualTo(batch.calibration().logLoss().value());
        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.LABELS_REVISED, 1L);
    }

    @Test
    void shouldIgnoreLowerRevisionWhenHigherOneIsKnown() {
        d.predict(OutcomeDriver.prediction("p1", T0, 0.8));
        d.label("p1", 1, T0.plusSeconds(60), 2);
        d.label("p1", 0, T0.plusSeconds(30), 1);

        assertThat(d.all("7d", "prevalence").estimate()).isEqualTo(1.0);
        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.LABELS_STALE_REVISION, 1L);
    }

    @Test
    void shouldKeepOnlyHighestRevisionWhenRevisionsArriveBeforeThePrediction() {
        d.label("p1", 1, T0.plusSeconds(60), 1);
        d.label("p1", 0, T0.plusSeconds(30), 0);
        d.label("p1", 1, T0.plusSeconds(60), 1);
        d.predict(OutcomeDriver.prediction("p1", T0, 0.8));

        assertThat(d.all("7d", "labelled").estimate()).isEqualTo(1.0);
        assertThat(d.all("7d", "prevalence").estimate()).isEqualTo(1.0);
    }

    @Test
    void shouldDeadLetterAndCountAnUnmatchedLabelOnlyWhenItsWallClockWaitIsOver() {
        d.close();
        d = new OutcomeDriver(Map.of("outcomes.label-wait", "PT1H"));
        d.label("ghost", 1, T0, 0);
        // Other scanners' predictions push event time 31 days on: that must not expire the early label.
        d.predict(OutcomeDriver.prediction("p1", T0.plus(Duration.ofDays(29)), 0.4));
        d.predict(OutcomeDriver.prediction("p2", T0.plus(Duration.ofDays(31)), 0.4));
        d.advanceWall(Duration.ofMinutes(59));
        assertThat(d.deadLetters()).isEmpty();
        assertThat(d.joinCounts()).doesNotContainKey(OutcomeJoin.LABELS_UNMATCHED_EXPIRED);

        d.advanceWall(Duration.ofMinutes(2));

        List<TestRecord<byte[], byte[]>> dead = d.deadLetters();
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).key())).isEqualTo("ghost");
        assertThat(new String(dead.get(0).value())).contains("\"prediction_id\":\"ghost\"");
        assertThat(OutcomeDriver.header(dead.get(0), DeadLetters.REASON)).isEqualTo(Reason.UNMATCHED_LABEL);
        assertThat(OutcomeDriver.header(dead.get(0), DeadLetters.STAGE)).isEqualTo("outcome-join");
        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.LABELS_UNMATCHED_EXPIRED, 1L);
        // The expired label no longer joins a prediction that arrives later.
        d.predict(OutcomeDriver.prediction("ghost", T0.plus(Duration.ofDays(31)), 0.9));
        assertThat(d.get("v1", "all", "all", "7d", "labelled").estimate()).isEqualTo(0.0);
    }

    @Test
    void shouldJoinAnEarlyLabelWhosePredictionComesAfterOtherScannersMovedEventTimeOn() {
        d.label("early", 1, T0.plus(Duration.ofDays(2)), 0);
        for (int day = 1; day <= 60; day++) {
            d.predict(OutcomeDriver.prediction("other-" + day, T0.plus(Duration.ofDays(day)), 0.1));
        }
        d.predict(OutcomeDriver.prediction("early", T0, 0.9));

        assertThat(d.deadLetters()).isEmpty();
        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.LABELS_JOINED, 1L);
    }

    @Test
    void shouldJoinALabelToAPredictionThatAnEarlierVersionStoredAndRewriteItCompactly() {
        d.predict(OutcomeDriver.prediction("new", T0, 0.2));
        d.advanceWall(Duration.ofSeconds(1)); // its new slice values are admitted: it reaches the join
        // What the previous version left in the state directory: the id's UTF-8 bytes (its String key), a format 3
        // record with the groups as strings. No group tuple refers to it.
        KeyValueStore<Bytes, byte[]> store = d.driver.getKeyValueStore(OutcomeJoin.PREDICTIONS_STORE);
        var old = new OutcomeJoin.Pending(
                List.of("model|v1|all|all", "model|v1|site|S01"),
                0.9,
                0.5,
                io.vigil.stages.shared.EventDay.ofEpochMilli(T0.toEpochMilli()),
                T0.toEpochMilli(),
                -1,
                -1,
                0L,
                io.vigil.aggregates.OutcomeChange.NO_SUBJECT,
                false);
        Bytes key = Bytes.wrap("old".getBytes(StandardCharsets.UTF_8));
        store.put(key, new OutcomeJoin.PendingSerde().serializer().serialize("t", old));

        d.label("old", 1, T0.plusSeconds(7200), 0);
        d.label("new", 0, T0.plusSeconds(60), 0);

        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.LABELS_JOINED, 2L);
        assertThat(d.all("7d", "labelled").estimate()).isEqualTo(2.0);
        assertThat(d.get("v1", "site", "S01", "7d", "labelled").estimate()).isEqualTo(2.0);
        assertThat(d.all("7d", "sensitivity").estimate()).isEqualTo(1.0);
        assertThat(d.all("7d", "specificity").estimate()).isEqualTo(1.0);
        assertThat(store.get(key)[0]).isEqualTo((byte) OutcomeJoin.PendingPredictionStore.FORMAT);
    }

    /** The expiry index's keys other than the clock. */
    private List<String> indexKeys() {
        KeyValueStore<String, byte[]> index = d.driver.getKeyValueStore(OutcomeJoin.EXPIRY_STORE);
        List<String> keys = new java.util.ArrayList<>();
        try (var it = index.all()) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        keys.remove("~clock");
        return keys;
    }

    @Test
    void shouldRemovePredictionsALabelWaitAfterTheirWindowClosedWithoutAnIndexEntryPerPrediction() {
        d.close();
        d = new OutcomeDriver(
                Map.of("labels.max-delay-days", 10, "outcomes.label-wait", "PT1H", "labels.orphan-retention-days", 5));
        for (int i = 0; i < 40; i++) {
            d.predict(OutcomeDriver.prediction("c-" + i, T0.plusSeconds(i), 0.3));
        }
        d.advanceWall(Duration.ofSeconds(1)); // the new slice values are admitted: the predictions reach the join
        d.label("c-1", 1, T0.plus(Duration.ofDays(2)), 0);
        // One step per day the join's clock entered (the predictions' day 0, the label's day 2), none per prediction.
        assertThat(indexKeys()).hasSize(2).allMatch(k -> k.startsWith(OutcomeJoin.STEP_PREFIX));

        // Day 12: the windows of day 0 (10 days of max delay) have closed; a label wait of wall clock later they go.
        d.predict(OutcomeDriver.prediction("later", T0.plus(Duration.ofDays(12)), 0.3));
        d.advanceWall(Duration.ofMinutes(59));
        assertThat(d.joinCounts()).doesNotContainKey(OutcomeJoin.PREDICTIONS_EXPIRED_UNLABELLED);
        d.label("c-2", 0, T0.plus(Duration.ofDays(9)), 0); // within the max delay: joins, its window closed or not
        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.LABELS_JOINED, 2L);

        d.advanceWall(Duration.ofMinutes(2));

        assertThat(d.joinCounts())
                .containsEntry(OutcomeJoin.PREDICTIONS_EXPIRED_UNLABELLED, 38L)
                .containsEntry(OutcomeJoin.PREDICTIONS_EXPIRED_LABELLED, 2L);
        // Every step was due and is gone; a label for an expired prediction is dead-lettered at once.
        assertThat(indexKeys()).isEmpty();
        d.label("c-3", 1, T0.plus(Duration.ofDays(3)), 0);
        assertThat(d.deadLetters())
                .singleElement()
                .satisfies(r -> assertThat(OutcomeDriver.header(r, DeadLetters.REASON))
                        .isEqualTo(Reason.LABEL_AFTER_MAX_DELAY));
        KeyValueStore<String, Long> expired = d.driver.getKeyValueStore(OutcomeJoin.EXPIRED_STORE);
        try (var it = expired.all()) {
            assertThat(it).toIterable().hasSize(40);
        }

        // Day 40: "later" expires in its turn, and the ids expired on day 12 have outlived their 5 days of retention.
        d.predict(OutcomeDriver.prediction("much-later", T0.plus(Duration.ofDays(40)), 0.3));
        d.advanceWall(Duration.ofMinutes(61));
        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.PREDICTIONS_EXPIRED_UNLABELLED, 39L);
        try (var it = expired.all()) {
            List<String> left = new java.util.ArrayList<>();
            it.forEachRemaining(kv -> left.add(kv.key));
            assertThat(left).containsExactly("later");
        }
    }

    @Test
    void shouldReadTheSweepBatchDefaultFromTheSameConstantTheJoinUsesWithoutConfiguration() {
        assertThat(io.vigil.config.VigilConfig.definition()
                        .defaultValues()
                        .get(io.vigil.config.VigilConfig.OUTCOMES_EXPIRY_SWEEP_BATCH))
                .isEqualTo(OutcomeJoin.SWEEP_BUDGET);
    }

    @Test
    void shouldSpreadAnExpirySweepOverPunctuationsAndResumeWhereEachStopped() {
        d.close();
        // A batch of 7 records per punctuation stands in for the default 200,000 (a store that large is too slow
        // for the test driver); with a label wait of an hour the join punctuates every 3 minutes.
        d = new OutcomeDriver(Map.of(
                "labels.max-delay-days",
                10,
                "outcomes.label-wait",
                "PT1H",
                "labels.orphan-retention-days",
                5,
                "outcomes.expiry-sweep-batch",
                7));
        for (int i = 0; i < 40; i++) {
            d.predict(OutcomeDriver.prediction("c-" + i, T0.plusSeconds(i), 0.3));
        }
        d.advanceWall(Duration.ofSeconds(1));
        d.predict(OutcomeDriver.prediction("later", T0.plus(Duration.ofDays(12)), 0.3)); // day 0's windows close
        // Ten predictions of day 12 whose ids sort first: every pass reads them and keeps them, so a punctuation that
        // started again from the first id instead of where the last one stopped would never get past them.
        for (int i = 0; i < 10; i++) {
            d.predict(OutcomeDriver.prediction("a-" + i, T0.plus(Duration.ofDays(12)), 0.3));
        }
        d.advanceWall(Duration.ofMinutes(61));

        // The first sweep punctuation reads one batch of 7: a-0 to a-6, none due.
        assertThat(d.joinCounts()).doesNotContainKey(OutcomeJoin.PREDICTIONS_EXPIRED_UNLABELLED);
        // A label within the max delay for a prediction the sweep has not reached yet (ids sort a-*, c-0, c-1, c-10,
        // ..., c-8, c-9: c-9 is read last) still joins it.
        d.label("c-9", 1, T0.plus(Duration.ofDays(9)), 0);
        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.LABELS_JOINED, 1L);
        List<Long> expiredAfterEach = new java.util.ArrayList<>();
        for (int round = 0; round < 16; round++) {
            d.advanceWall(Duration.ofMinutes(3)); // one punctuation each
            expiredAfterEach.add(d.joinCounts().getOrDefault(OutcomeJoin.PREDICTIONS_EXPIRED_UNLABELLED, 0L));
        }
        // Each punctuation went on where the previous one stopped, 7 records at a time (the second page holds a-7 to
        // a-9, the last page c-9 and "later"): every prediction expired once, none twice.
        assertThat(expiredAfterEach).startsWith(4L, 11L, 18L, 25L, 32L, 39L).endsWith(39L);
        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.PREDICTIONS_EXPIRED_LABELLED, 1L);
        KeyValueStore<Bytes, byte[]> predictions = d.driver.getKeyValueStore(OutcomeJoin.PREDICTIONS_STORE);
        List<String> left = new java.util.ArrayList<>();
        try (var it = predictions.all()) {
            it.forEachRemaining(kv -> {
                if (kv.key.get()[0] != (byte) 0xFF) { // not a group tuple
                    left.add(new String(kv.key.get(), StandardCharsets.UTF_8));
                }
            });
        }
        assertThat(left)
                .containsExactlyInAnyOrder(
                        "later", "a-0", "a-1", "a-2", "a-3", "a-4", "a-5", "a-6", "a-7", "a-8", "a-9");
        // The pass over the 40 expired ids followed, batch by batch, and then the swept steps were deleted.
        KeyValueStore<String, Long> expired = d.driver.getKeyValueStore(OutcomeJoin.EXPIRED_STORE);
        try (var it = expired.all()) {
            assertThat(it).toIterable().hasSize(40);
        }
        assertThat(indexKeys()).isEmpty();
        d.label("c-3", 1, T0.plus(Duration.ofDays(3)), 0);
        assertThat(d.deadLetters())
                .singleElement()
                .satisfies(r -> assertThat(OutcomeDriver.header(r, DeadLetters.REASON))
                        .isEqualTo(Reason.LABEL_AFTER_MAX_DELAY));
    }

    @Test
    void shouldKeepAPredictionThatCameAfterItsWindowClosedALabelWaitFromItsArrival() {
        d.close();
        d = new OutcomeDriver(Map.of("labels.max-delay-days", 10, "outcomes.label-wait", "PT1H"));
        d.predict(OutcomeDriver.prediction("now", T0.plus(Duration.ofDays(20)), 0.3));
        d.advanceWall(Duration.ofSeconds(1)); // admitted: it reaches the join, whose clock enters day 20
        d.advanceWall(Duration.ofMinutes(30));
        d.predict(OutcomeDriver.prediction("old", T0, 0.8)); // its window closed ten days ago in event time
        d.advanceWall(Duration.ofMinutes(59));
        d.label("old", 1, T0.plus(Duration.ofDays(4)), 0);
        assertThat(d.joinCounts())
                .containsEntry(OutcomeJoin.LABELS_JOINED, 1L)
                .doesNotContainKey(OutcomeJoin.PREDICTIONS_EXPIRED_LABELLED);

        d.advanceWall(Duration.ofMinutes(2));

        assertThat(d.joinCounts())
                .containsEntry(OutcomeJoin.PREDICTIONS_EXPIRED_LABELLED, 1L)
                .doesNotContainKey(OutcomeJoin.PREDICTIONS_EXPIRED_UNLABELLED);
    }

    @Test
    void shouldHonourTheExpiryEntriesAnEarlierVersionWroteAndCountEachPredictionOnce() {
        d.close();
        d = new OutcomeDriver(
                Map.of("labels.max-delay-days", 10, "outcomes.label-wait", "PT1H", "labels.orphan-retention-days", 5));
        d.predict(OutcomeDriver.prediction("new", T0, 0.2));
        d.advanceWall(Duration.ofSeconds(1));
        // The previous version's state: a prediction with its day entry, and an expired id with its own.
        long day0 = io.vigil.stages.shared.EventDay.ofEpochMilli(T0.toEpochMilli());
        KeyValueStore<Bytes, byte[]> predictions = d.driver.getKeyValueStore(OutcomeJoin.PREDICTIONS_STORE);
        predictions.put(
                Bytes.wrap("old".getBytes(StandardCharsets.UTF_8)),
                new OutcomeJoin.PendingSerde()
                        .serializer()
                        .serialize(
                                "t",
                                new OutcomeJoin.Pending(
                                        List.of("model|v1|all|all"),
                                        0.9,
                                        0.5,
                                        day0,
                                        T0.toEpochMilli(),
                                        -1,
                                        -1,
                                        0L,
                                        io.vigil.aggregates.OutcomeChange.NO_SUBJECT,
                                        false)));
        KeyValueStore<String, byte[]> index = d.driver.getKeyValueStore(OutcomeJoin.EXPIRY_STORE);
        index.put(String.format("%010d|P|old", day0 + 10), new byte[0]);
        KeyValueStore<String, Long> expired = d.driver.getKeyValueStore(OutcomeJoin.EXPIRED_STORE);
        expired.put("gone", day0 + 3);
        index.put(String.format("%010d|X|gone", day0 + 3), new byte[0]);

        d.predict(OutcomeDriver.prediction("later", T0.plus(Duration.ofDays(12)), 0.3));
        assertThat(expired.get("gone")).isNull();
        assertThat(indexKeys()).noneMatch(k -> k.contains("|"));
        d.advanceWall(Duration.ofMinutes(61));

        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.PREDICTIONS_EXPIRED_UNLABELLED, 2L);
        assertThat(predictions.get(Bytes.wrap("old".getBytes(StandardCharsets.UTF_8))))
                .isNull();
    }

    @Test
    void shouldJoinLabelSixtyDaysLateInEventTime() {
        d.predict(OutcomeDriver.prediction("early", T0, 0.9));
        for (int day = 1; day <= 60; day++) {
            d.predict(OutcomeDriver.prediction("later-" + day, T0.plus(Duration.ofDays(day)), 0.1));
        }
        d.label("early", 1, T0.plus(Duration.ofDays(60)), 0);

        // The 90-day window still covers the early cohort; its only label is 60 days late.
        MetricSnapshot labelled = d.all("90d", "labelled");
        assertThat(labelled.estimate()).isEqualTo(1.0);
        assertThat(d.all("90d", "label_delay:0.5").estimate()).isBetween(60 * 86400 / 1.045, 60 * 86400 * 1.045);
        assertThat(d.all("90d", "label_coverage").estimate()).isEqualTo(1.0 / 61);
        assertThat(d.deadLetters()).isEmpty();
    }

    @Test
    void shouldDeadLetterALabelObservedAfterTheMaxDelayWhateverTheOrderAndJoinOneWithinIt() {
        d.close();
        d = new OutcomeDriver(Map.of("labels.max-delay-days", 10, "outcomes.label-wait", "PT1H"));
        d.predict(OutcomeDriver.prediction("p1", T0, 0.9));
        d.predict(OutcomeDriver.prediction("p3", T0, 0.9));
        d.predict(OutcomeDriver.prediction("p2", T0.plus(Duration.ofDays(12)), 0.1));
        // p1's label is 12 days after its prediction: too late. p3's is 9 days after: it joins, although
        // event time already passed p3's window (its prediction waits the label wait of wall clock).
        d.label("p1", 1, T0.plus(Duration.ofDays(12)), 0);
        d.label("p3", 1, T0.plus(Duration.ofDays(9)), 0);

        List<TestRecord<byte[], byte[]>> dead = d.deadLetters();
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).key())).isEqualTo("p1");
        assertThat(OutcomeDriver.header(dead.get(0), DeadLetters.REASON)).isEqualTo(Reason.LABEL_AFTER_MAX_DELAY);
        assertThat(d.joinCounts())
                .containsEntry(OutcomeJoin.LABELS_AFTER_MAX_DELAY, 1L)
                .containsEntry(OutcomeJoin.LABELS_JOINED, 1L)
                .doesNotContainKey(OutcomeJoin.PREDICTIONS_EXPIRED_UNLABELLED);

        d.advanceWall(Duration.ofMinutes(61));

        // The wait is over: p1 (unlabelled) and p3 (labelled) leave; a label for p1 now is dead-lettered at once.
        assertThat(d.joinCounts())
                .containsEntry(OutcomeJoin.PREDICTIONS_EXPIRED_UNLABELLED, 1L)
                .containsEntry(OutcomeJoin.PREDICTIONS_EXPIRED_LABELLED, 1L);
        d.label("p1", 1, T0.plus(Duration.ofDays(3)), 1);
        assertThat(d.joinCounts()).containsEntry(OutcomeJoin.LABELS_AFTER_MAX_DELAY, 2L);
    }

    @Test
    void shouldDeadLetterJoinRejectedLabelsAsTheyWereSentWithTheirKeyHeadersAndOffsets() {
        d.close();
        d = new OutcomeDriver(Map.of("labels.max-delay-days", 10, "outcomes.label-wait", "PT1H"));
        d.predict(OutcomeDriver.prediction("p1", T0, 0.9));
        d.advanceWall(Duration.ofSeconds(1)); // the prediction's new slice values are admitted: it reaches the join
        // Formatting and field order a re-serialisation would not reproduce, a key that is not the id and a
        // sender header: an unmatched label (held, then expired through the orphans store) and a label
        // after the max delay (dead-lettered at once).
        byte[] ghost = ("{ \"source\" : \"pathology\", \"label\": 1, \"revision\": 0,\n"
                        + "  \"observed_at\": \"2026-03-01T10:00:00Z\", \"prediction_id\": \"ghost\" }")
                .getBytes(StandardCharsets.UTF_8);
        byte[] late = ("{\"prediction_id\":\"p1\",   \"label\":1,\"observed_at\":\"" + T0.plus(Duration.ofDays(12))
                        + "\",\"source\":\"pathology\",\"revision\":0}")
                .getBytes(StandardCharsets.UTF_8);
        RecordHeaders ghostHeaders = new RecordHeaders();
        ghostHeaders.add("traceparent", "00-abc-01".getBytes(StandardCharsets.UTF_8));
        d.labelRecord(
                new TestRecord<>("lis-key-7".getBytes(StandardCharsets.UTF_8), ghost, ghostHeaders, Instant.EPOCH));
        d.labelRecord(new TestRecord<>(null, late, new RecordHeaders(), Instant.EPOCH));

        List<TestRecord<byte[], byte[]>> dead = new java.util.ArrayList<>(d.deadLetters());
        d.advanceWall(Duration.ofMinutes(61));
        dead.addAll(d.deadLetters());

        assertThat(dead).hasSize(2);
        TestRecord<byte[], byte[]> afterMaxDelay = dead.stream()
                .filter(r -> Reason.LABEL_AFTER_MAX_DELAY.equals(OutcomeDriver.header(r, DeadLetters.REASON)))
                .findFirst()
                .orElseThrow();
        assertThat(afterMaxDelay.value()).isEqualTo(late);
        assertThat(new String(afterMaxDelay.key(), StandardCharsets.UTF_8)).isEqualTo("p1"); // sent without a key
        assertThat(OutcomeDriver.header(afterMaxDelay, DeadLetters.REASON)).isEqualTo(Reason.LABEL_AFTER_MAX_DELAY);
        assertThat(OutcomeDriver.header(afterMaxDelay, DeadLetters.SOURCE_OFFSET))
                .isEqualTo("1");
        TestRecord<byte[], byte[]> unmatched =
                dead.stream().filter(r -> r != afterMaxDelay).findFirst().orElseThrow();
        assertThat(unmatched.value()).isEqualTo(ghost);
        assertThat(new String(unmatched.key(), StandardCharsets.UTF_8)).isEqualTo("lis-key-7");
        assertThat(OutcomeDriver.header(unmatched, "traceparent")).isEqualTo("00-abc-01");
        assertThat(OutcomeDriver.header(unmatched, DeadLetters.REASON)).isEqualTo(Reason.UNMATCHED_LABEL);
        assertThat(OutcomeDriver.header(unmatched, DeadLetters.SOURCE_PARTITION))
                .isEqualTo("0");
        assertThat(OutcomeDriver.header(unmatched, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
        for (TestRecord<byte[], byte[]> r : dead) {
            assertThat(r.headers().toArray())
                    .extracting(h -> h.key())
                    .doesNotContain("vigil.origin.value", "vigil.origin.key");
        }
    }
}
