package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.vigil.deadletters.DeadLetters;
import io.vigil.events.GroundTruth;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.Prediction;
import io.vigil.events.Reason;
import io.vigil.stages.OutcomeJoin;
import io.vigil.stats.BinaryOutcomeStats;
import io.vigil.testing.Events;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Order chaos through a real broker (issue 17, Must 3): the same predictions and labels (duplicates,
 * revisions) in three orders, every label first, every prediction first and a fixed shuffle, each
 * through its own monitor and topics, give the same final metrics, equal to a batch computation over
 * the final labels; an unmatched label waits outcomes.label-wait of wall clock, then is dead-lettered
 * and counted so that received = accepted + dead-lettered + dropped holds for ground truth.
 */
@RealKafka
class OutcomeChaosIT {
    private static final int PREDICTIONS = 300;
    private static final Instant NOW = Instant.now();
    private static final Instant START = NOW.minus(Duration.ofDays(40));

    /** One record to send: a prediction or a label. */
    private record Send(boolean prediction, String id, byte[] json) {}

    @Test
    void shouldGiveIdenticalFinalMetricsWhenTheSameEventsArriveInShuffledOrders(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        Random random = new Random(7);
        List<Send> events = new ArrayList<>();
        Map<String, GroundTruth> finalLabels = new HashMap<>();
        Map<String, Prediction> predictions = new HashMap<>();
        for (int i = 0; i < PREDICTIONS; i++) {
            String id = "p-" + i;
            Instant at = START.plus(Duration.ofMinutes(random.nextInt(10 * 24 * 60)));
            double score = Math.round(random.nextDouble() * 1e6) / 1e6;
            Prediction p = Events.prediction(id, score, at, i % 2 == 0 ? "S01" : "S02", "CT-" + (i % 3), "5.0");
            predictions.put(id, p);
            events.add(new Send(true, id, Events.json(p)));
            if (random.nextDouble() < 0.15) {
                events.add(new Send(true, id, Events.json(p))); // duplicate prediction
            }
            double u = random.nextDouble();
            if (u < 0.15) {
                continue; // never labelled
            }
            int label = random.nextDouble() < score ? 1 : 0;
            GroundTruth first = Events.label(id, label, at.plus(Duration.ofHours(1 + random.nextInt(96))), 0);
            events.add(new Send(false, id, Events.json(first)));
            GroundTruth last = first;
            if (u < 0.35) {
                last = Events.label(id, 1 - label, first.observedAt().plus(Duration.ofDays(2)), 1);
                events.add(new Send(false, id, Events.json(last)));
            }
            if (random.nextDouble() < 0.2) {
                events.add(new Send(false, id, Events.json(random.nextBoolean() ? first : last))); // duplicate label
            }
            finalLabels.put(id, last);
        }
        BinaryOutcomeStats batch = new BinaryOutcomeStats(0.5);
        finalLabels.forEach((id, gt) -> batch.add(predictions.get(id).score(), gt.label()));
        byte[] ghost = Events.json(Events.label("ghost", 1, START.minus(Duration.ofDays(20)), 0));

        List<Send> labelsFirst =
                new ArrayList<>(events.stream().filter(e -> !e.prediction()).toList());
        labelsFirst.addAll(events.stream().filter(Send::prediction).toList());
        List<Send> predictionsFirst =
                new ArrayList<>(events.stream().filter(Send::prediction).toList());
        predictionsFirst.addAll(events.stream().filter(e -> !e.prediction()).toList());
        List<Send> shuffled = new ArrayList<>(events);
        Collections.shuffle(shuffled, new Random(100));
        List<Map<String, String>> results = new ArrayList<>();
        int run = 0;
        for (List<Send> order : List.of(labelsFirst, predictionsFirst, shuffled)) {
            results.add(runOnce(
                    kafka,
                    Files.createDirectory(state.resolve("run" + run++)),
                    ghost,
                    order,
                    batch,
                    predictions.size(),
                    false));
        }
        // The shuffle again from producers as a hospital may run them: predictions keyed by prediction_id (Java's
        // default partitioner), labels keyed by it, by another key or not at all, into a ground-truth topic of 2
        // partitions beside 3 for predictions. Labels mostly reach the join through its repartition topic.
        results.add(runOnce(
                kafka,
                Files.createDirectory(state.resolve("run" + run)),
                ghost,
                shuffled,
                batch,
                predictions.size(),
                true));
        assertThat(results.get(0)).isNotEmpty();
        assertThat(results.get(1)).isEqualTo(results.get(0));
        assertThat(results.get(2)).isEqualTo(results.get(0));
        assertThat(results.get(3)).isEqualTo(results.get(0));
    }

    private Map<String, String> runOnce(
            KafkaBroker kafka,
            Path state,
            byte[] ghost,
            List<Send> order,
            BinaryOutcomeStats batch,
            int predicted,
            boolean mixedProducers)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        if (mixedProducers) {
            kafka.createTopics(List.of(new NewTopic(h.topic("ground-truth"), 2, (short) 1)));
        }
        // The comparison is the outcome join's: the label-free stages (drift, estimation, stability) snapshot at the
        // drift interval, and the drift stage's late_records rule (a prediction more than drift.grace-days before
        // the latest day its task has seen is counted, not aggregated) depends on arrival order by design. Since
        // their interval became 5 s (2026-12-06) their snapshots reached these runs; an hour keeps them out.
        Map<String, Object> overrides = Map.of(
                "drift.snapshot-interval-ms",
                3_600_000L,
                "outcomes.flush-interval-ms",
                200L,
                "outcomes.snapshot-interval-ms",
                500L,
                "labels.orphan-retention-days",
                15,
                "outcomes.label-wait",
                "PT45S",
                "outcomes.windows",
                "7d,30d");
        try (Monitor monitor = new Monitor(h.config(state, overrides)).start()) {
            await("monitor running").atMost(Duration.ofSeconds(30)).until(monitor::isRunning);
            try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
                // The ghost is held first, so the event time of the shuffled events passes its retention.
                producer.send(new ProducerRecord<>(h.topic("ground-truth"), ghost));
                producer.flush();
                await("ghost label held")
                        .atMost(Duration.ofSeconds(20))
                        .ignoreExceptions()
                        .until(() -> joinCount(monitor, OutcomeJoin.LABELS_HELD) == 1);
                int i = 0;
                for (Send s : order) {
                    byte[] key = null;
                    if (mixedProducers) {
                        String id = s.id();
                        int way = s.prediction() ? 0 : i++ % 3;
                        key = way == 0
                                ? id.getBytes(StandardCharsets.UTF_8)
                                : way == 1 ? ("visit-" + id).getBytes(StandardCharsets.UTF_8) : null;
                    }
                    producer.send(new ProducerRecord<>(
                            h.topic(s.prediction() ? "predictions" : "ground-truth"), key, s.json()));
                }
            }
            await("final metrics equal the batch computation")
                    .atMost(Duration.ofSeconds(25))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .untilAsserted(() -> {
                        Map<String, MetricSnapshot> all = allSlice(monitor.latestSnapshots());
                        assertThat(all.get("labelled").estimate()).isEqualTo((double) batch.n());
                        assertThat(all.get("label_coverage").n()).isEqualTo(predicted);
                        assertThat(all.get("sensitivity").estimate())
                                .isEqualTo(batch.confusion().sensitivity().value());
                        assertThat(all.get("specificity").estimate())
                                .isEqualTo(batch.confusion().specificity().value());
                        assertThat(all.get("ppv").lower())
                                .isEqualTo(batch.confusion().ppv().lower());
                        assertThat(all.get("auc").estimate())
                                .isEqualTo(batch.auc().auc().value());
                        assertThat(all.get("auc").lower())
                                .isCloseTo(batch.auc().auc().lower(), within(1e-12));
                        assertThat(all.get("brier").estimate())
                                .isCloseTo(batch.calibration().brier().value(), within(1e-12));
                        assertThat(all.get("ece").estimate())
                                .isCloseTo(batch.calibration().ece().value(), within(1e-12));
                        assertThat(all.get("oe_ratio").estimate())
                                .isCloseTo(
                                        batch.calibration()
                                                .observedExpectedRatio()
                                                .value(),
                                        within(1e-12));
                        assertThat(all.get("calibration_slope").estimate())
                                .isCloseTo(batch.recalibrationFit().slope().value(), within(1e-9));
                    });
            long labelsSent = order.stream().filter(e -> !e.prediction()).count() + 1;
            await("unmatched label dead-lettered after the label wait")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        List<ConsumerRecord<byte[], byte[]>> dead = h.readAll(h.topic("dead-letters"));
                        assertThat(dead).hasSize(1);
                        assertThat(new String(
                                        dead.get(0)
                                                .headers()
                                                .lastHeader(DeadLetters.REASON)
                                                .value(),
                                        StandardCharsets.UTF_8))
                                .isEqualTo(Reason.UNMATCHED_LABEL);
                        assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8))
                                .isEqualTo("ghost");
                        assertThat(MonitorHarness.sample(
                                        h.get(monitor.http().uri(), "/metrics"),
                                        "vigil_outcome_join_events_total",
                                        Map.of("event", OutcomeJoin.LABELS_UNMATCHED_EXPIRED)))
                                .isEqualTo(1.0);
                        String metrics = h.get(monitor.http().uri(), "/metrics");
                        assertThat(MonitorHarness.ingestCount(
                                        metrics, "ground_truth", "dead_lettered", "unmatched_label"))
                                .isEqualTo(1);
                        assertThat(MonitorHarness.ingestCount(metrics, "ground_truth", "accepted", "none"))
                                .isEqualTo(labelsSent - 1);
                    });
            String metrics = h.get(monitor.http().uri(), "/metrics");
            long predictionsMoved = MonitorHarness.joinCount(metrics, OutcomeJoin.PREDICTIONS_REPARTITIONED);
            long labelsMoved = MonitorHarness.joinCount(metrics, OutcomeJoin.LABELS_REPARTITIONED);
            System.out.printf(
                    "[chaos] mixed producers %s: repartitioned %d predictions, %d of %d labels%n",
                    mixedProducers, predictionsMoved, labelsMoved, labelsSent);
            if (mixedProducers) {
                // Keyed by prediction_id with 3 partitions, and the join has max(3, 2) = 3: all in place.
                assertThat(predictionsMoved).isZero();
                assertThat(labelsMoved).isBetween(labelsSent / 3, labelsSent - 1);
            }
            // Label delays depend on which revision arrives first, by design: compared separately.
            Map<String, String> out = new TreeMap<>();
            for (MetricSnapshot s : monitor.latestSnapshots()) {
                if (!s.metric().startsWith("label_delay")) {
                    out.put(
                            s.key(),
                            s.estimate() + " [" + s.lower() + ", " + s.upper() + "] n=" + s.n() + " " + s.status());
                }
            }
            return out;
        }
    }

    private static long joinCount(Monitor monitor, String key) {
        ReadOnlyKeyValueStore<String, Long> counts = monitor.localStore(OutcomeJoin.COUNTS_STORE);
        long sum = 0;
        try (KeyValueIterator<String, Long> it = counts.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                sum += kv.key.equals(key) ? kv.value : 0;
            }
        }
        return sum;
    }

    private static Map<String, MetricSnapshot> allSlice(List<MetricSnapshot> latest) {
        Map<String, MetricSnapshot> out = new HashMap<>();
        for (MetricSnapshot s : latest) {
            if (s.sliceDimension().equals("all") && s.window().equals("30d")) {
                out.put(s.metric(), s);
            }
        }
        return out;
    }
}
