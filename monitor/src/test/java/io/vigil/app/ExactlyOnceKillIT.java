package io.vigil.app;

import static io.vigil.testing.MonitorHarness.ingestCount;
import static io.vigil.testing.MonitorHarness.joinCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.events.MetricSnapshot;
import io.vigil.events.Prediction;
import io.vigil.stats.BinaryOutcomeStats;
import io.vigil.testing.ChildMonitor;
import io.vigil.testing.Events;
import io.vigil.testing.ExactInput;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import io.vigil.topology.DeadLetters;
import io.vigil.topology.OutcomeJoin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once under kill -9 (issue 9): the monitor runs as a child JVM, is killed with SIGKILL three
 * times while a fixed input is being produced and processed, and is restarted on the same state
 * directory each time (under exactly_once_v2 an unclean stop wipes the stores and restores them from
 * their changelogs). Afterwards every count read through {@code /metrics} and every snapshot and
 * dead letter read with {@code read_committed} equals a batch computation over the input: nothing
 * lost, nothing counted twice.
 */
@RealKafka
class ExactlyOnceKillIT {
    private static final int PREDICTIONS = 30_000;
    private static final int CHUNKS = 10;
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);



    @Test
    void shouldCountEverythingExactlyOnceWhenTheMonitorIsKilledRepeatedlyMidStream(KafkaBroker kafka,
                                                                                  @TempDir Path dir)
            throws Exception {
        killRepeatedly(kafka, dir, false);
    }

    /**
     * The same with the outcome join reading the input topics directly ({@code outcomes.join.co-partitioned}):
     * the producer keys every record by its prediction id, as that mode requires.
     */
    @Test
    void shouldCountEverythingExactlyOnceWhenTheMonitorIsKilledRepeatedlyWithTheJoinCoPartitioned(
            KafkaBroker kafka, @TempDir Path dir) throws Exception {
        killRepeatedly(kafka, dir, true);
    }

    private void killRepeatedly(KafkaBroker kafka, Path dir, boolean coPartitioned) throws Exception {
        long started = System.nanoTime();
        MonitorHarness h = new MonitorHarness(kafka);
        ExactInput in = ExactInput.generate(20261122L, PREDICTIONS, NOW);
        BinaryOutcomeStats batch = new BinaryOutcomeStats(0.5);
        in.finalLabels.forEach((id, gt) -> batch.add(in.valid.get(id).score(), gt.label()));
        long validLabels = in.labelRecords;

        Path state = Files.createDirectory(dir.resolve("state"));
        ChildMonitor child = null;
        int run = 0;
        try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
            child = startChild(h, kafka, state, dir, run++, coPartitioned);
            String uri = child.awaitReady(h);
            long validSent = 0;
            int perChunk = (in.sends.size() + CHUNKS - 1) / CHUNKS;
            for (int c = 0; c < CHUNKS; c++) {
                List<ExactInput.Send> chunk = in.sends.subList(c * perChunk, Math.min(in.sends.size(), (c + 1) * perChunk));
                // Three kills at different points of different chunks: a quarter, half and
                // three quarters through what has been sent of the chunk.
                int killAt = c == 2 ? chunk.size() / 2 : c == 5 ? chunk.size() * 3 / 4 : c == 8 ? chunk.size() / 4 : -1;
                for (int i = 0; i < chunk.size(); i++) {
                    ExactInput.Send s = chunk.get(i);
                    producer.send(new ProducerRecord<>(h.topic(s.topic()), coPartitioned ? s.key() : null, s.value()));
                    validSent += s.validPrediction() ? 1 : 0;
                    if (i == killAt) {
                        producer.flush();
                        // Kill only once the child has processed part of what was sent, so the kill lands
                        // with committed state, open transactions and in-flight partials all present.
                        String u = uri;
                        // Substantial work since the restart (2,000 predictions, or all sent so far), not all of it.
                        long target = Math.min(accepted(h, u) + 2_000, validSent);
                        await("child " + (run - 1) + " makes progress before the kill").atMost(Duration.ofSeconds(60))
                                .pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                                .until(() -> accepted(h, u) >= target);
                        System.out.println("[eos] kill -9 of child " + (run - 1) + " in chunk " + c + " at record " + i
                                + ", valid predictions sent " + validSent + ", accepted so far " + accepted(h, u));
                        child.kill();
                        child = startChild(h, kafka, state, dir, run++, coPartitioned);
                        uri = child.awaitReady(h);
                        // Informational: /metrics reads the stores, which showed uncommitted counts before
                        // the kill; the restored stores hold the last committed ones, so this may be lower.
                        System.out.println("[eos] child " + (run - 1) + " ready, accepted after restore "
                                + accepted(h, uri));
                    }
                }
                producer.flush();
            }
            String finalUri = uri;
            await("processing settled: every input record counted").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
                        String m = h.get(finalUri, "/metrics");
                        assertThat(ingestCount(m, "predictions", "accepted", null)).as("predictions accepted")
                                .isEqualTo(in.valid.size());
                        assertThat(ingestCount(m, "ground_truth", "accepted", null)).as("labels accepted")
                                .isEqualTo(validLabels);
                        assertThat(joinCount(m, OutcomeJoin.PREDICTIONS_REGISTERED)).as("predictions registered")
                                .isEqualTo(in.valid.size());
                    });
            await("snapshots settled on the batch values").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
                        Map<String, MetricSnapshot> s = h.committedSnapshots();
                        assertThat(s.get(perfKey("labelled")).estimate()).as("labelled, all/30d")
                                .isEqualTo((double) batch.n());
                        assertThat(s.get(driftKey()).n()).as("drift predictions, all/30d").isEqualTo(in.valid.size());
                    });

            // The mode really is what the test says: the join's repartition topic exists only without it.
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                boolean repartition = admin.listTopics().names().get().stream()
                        .anyMatch(t -> t.startsWith(h.topic("")) && t.endsWith("outcome-join-by-prediction-repartition"));
                assertThat(repartition).as("outcome-join repartition topic exists").isEqualTo(!coPartitioned);
            }

            // (a) ingest counts on /metrics equal the produced counts, per outcome and reason.
            String metrics = h.get(finalUri, "/metrics");
            System.out.println("[eos] metrics: predictions accepted=" + ingestCount(metrics, "predictions", "accepted", null)
                    + " ground_truth accepted=" + ingestCount(metrics, "ground_truth", "accepted", null)
                    + " registered=" + joinCount(metrics, OutcomeJoin.PREDICTIONS_REGISTERED)
                    + " joined=" + joinCount(metrics, OutcomeJoin.LABELS_JOINED)
                    + " revised=" + joinCount(metrics, OutcomeJoin.LABELS_REVISED)
                    + " duplicate_labels=" + joinCount(metrics, OutcomeJoin.LABELS_DUPLICATE));
            assertThat(ingestCount(metrics, "predictions", "accepted", null)).isEqualTo(in.valid.size());
            assertThat(ingestCount(metrics, "ground_truth", "accepted", null)).isEqualTo(validLabels);
            for (var e : in.deadPredictions.entrySet()) {
                assertThat(ingestCount(metrics, "predictions", "dead_lettered", e.getKey())).as(e.getKey())
                        .isEqualTo(e.getValue().longValue());
            }
            for (var e : in.deadLabels.entrySet()) {
                assertThat(ingestCount(metrics, "ground_truth", "dead_lettered", e.getKey())).as(e.getKey())
                        .isEqualTo(e.getValue().longValue());
            }
            // (e) the outcome join registered each valid prediction once, despite the replays.
            assertThat(joinCount(metrics, OutcomeJoin.PREDICTIONS_REGISTERED)).isEqualTo(in.valid.size());
            assertThat(joinCount(metrics, OutcomeJoin.PREDICTIONS_DUPLICATE)).isZero();

            // (b) the dead-letter topic holds exactly the invalid records, once each.
            List<ConsumerRecord<byte[], byte[]>> dead = h.readAll(h.topic("dead-letters"));
            Map<String, Integer> byReason = new TreeMap<>();
            Map<String, Integer> bySource = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                String reason = new String(r.headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8);
                byReason.merge(reason, 1, Integer::sum);
                String source = new String(r.headers().lastHeader(DeadLetters.SOURCE_TOPIC).value(),
                        StandardCharsets.UTF_8) + "/"
                        + new String(r.headers().lastHeader(DeadLetters.SOURCE_PARTITION).value(), StandardCharsets.UTF_8)
                        + "/" + new String(r.headers().lastHeader(DeadLetters.SOURCE_OFFSET).value(),
                        StandardCharsets.UTF_8);
                bySource.merge(source, 1, Integer::sum);
            }
            Map<String, Integer> expectedDead = new TreeMap<>(in.deadPredictions);
            in.deadLabels.forEach((k, v) -> expectedDead.merge(k, v, Integer::sum));
            System.out.println("[eos] dead letters: " + dead.size() + " " + byReason + " expected " + expectedDead);
            assertThat(bySource.values()).as("no dead letter twice").allMatch(n -> n == 1);
            assertThat(dead).hasSize(expectedDead.values().stream().mapToInt(Integer::intValue).sum());
            assertThat(byReason).isEqualTo(expectedDead);

            // (c) performance snapshots (slice all, widest window) equal the batch over the final labels.
            Map<String, MetricSnapshot> latest = h.committedSnapshots();
            MetricSnapshot labelled = latest.get(perfKey("labelled"));
            MetricSnapshot sens = latest.get(perfKey("sensitivity"));
            MetricSnapshot spec = latest.get(perfKey("specificity"));
            var cm = batch.confusion();
            System.out.println("[eos] batch: labelled=" + batch.n() + " tp=" + cm.tp() + " fp=" + cm.fp()
                    + " tn=" + cm.tn() + " fn=" + cm.fn() + " sens=" + cm.sensitivity().value()
                    + " spec=" + cm.specificity().value());
            System.out.println("[eos] snapshots: labelled=" + labelled.estimate() + " sens=" + sens.estimate()
                    + " (n=" + sens.n() + ") spec=" + spec.estimate() + " (n=" + spec.n() + ") drift predictions="
                    + latest.get(driftKey()).n());
            assertThat(labelled.estimate()).isEqualTo((double) batch.n());
            assertThat(sens.n()).isEqualTo(cm.tp() + cm.fn());
            assertThat(spec.n()).isEqualTo(cm.tn() + cm.fp());
            assertThat(sens.estimate()).isEqualTo(cm.sensitivity().value());
            assertThat(spec.estimate()).isEqualTo(cm.specificity().value());
            assertThat(sens.lower()).isEqualTo(cm.sensitivity().lower());
            assertThat(spec.upper()).isEqualTo(cm.specificity().upper());

            // (d) drift: predictions in the widest window of the all slice = every valid prediction.
            assertThat(latest.get(driftKey()).n()).isEqualTo(in.valid.size());
            assertThat(latest.get(driftKey()).estimate()).isEqualTo((double) in.valid.size());
            // Per scanner slice (site/scanner): drift predictions and performance counts, exact too.
            Map<String, Long> perScanner = new TreeMap<>();
            Map<String, BinaryOutcomeStats> perScannerBatch = new TreeMap<>();
            in.valid.values().forEach(p -> perScanner.merge(p.site() + "/" + p.scanner().id(), 1L, Long::sum));
            in.finalLabels.forEach((id, gt) -> {
                Prediction p = in.valid.get(id);
                perScannerBatch.computeIfAbsent(p.site() + "/" + p.scanner().id(), k -> new BinaryOutcomeStats(0.5))
                        .add(p.score(), gt.label());
            });
            assertThat(perScanner).hasSize(4);
            for (var e : perScanner.entrySet()) {
                ConfusionCheck.check(latest, e.getKey(), e.getValue(), perScannerBatch.get(e.getKey()));
            }
            System.out.println("[eos] per scanner predictions " + perScanner);
            System.out.println("[eos] runs=" + run + " wall=" + Duration.ofNanos(System.nanoTime() - started));
        } finally {
            if (child != null) {
                child.kill();
            }
        }
    }

    /** Exact per-slice checks of the scanner dimension. */
    private static final class ConfusionCheck {
        static void check(Map<String, MetricSnapshot> latest, String scanner, long predictions, BinaryOutcomeStats b) {
            String prefix = String.join("|", Events.MODEL.id(), Events.MODEL.version(), "scanner", scanner, "30d", "");
            assertThat(latest.get(prefix + "predictions").n()).as(scanner + " predictions").isEqualTo(predictions);
            assertThat(latest.get(prefix + "labelled").estimate()).as(scanner + " labelled").isEqualTo((double) b.n());
            assertThat(latest.get(prefix + "sensitivity").estimate()).as(scanner + " sensitivity")
                    .isEqualTo(b.confusion().sensitivity().value());
            assertThat(latest.get(prefix + "specificity").estimate()).as(scanner + " specificity")
                    .isEqualTo(b.confusion().specificity().value());
        }
    }

    private static String perfKey(String metric) {
        return String.join("|", Events.MODEL.id(), Events.MODEL.version(), "all", "all", "30d", metric);
    }

    private static String driftKey() {
        return String.join("|", Events.MODEL.id(), Events.MODEL.version(), "all", "all", "30d", "predictions");
    }


    private static long accepted(MonitorHarness h, String uri) throws Exception {
        return ingestCount(h.get(uri, "/metrics"), "predictions", "accepted", null);
    }





    /** A child monitor on the shared state directory, logging to {@code child-<run>.log}. */
    private static ChildMonitor startChild(MonitorHarness h, KafkaBroker kafka, Path state, Path dir, int run,
                                           boolean coPartitioned) throws IOException {
        Map<String, String> set = ChildMonitor.settings(h, kafka, state);
        set.put("outcomes.join.co-partitioned", String.valueOf(coPartitioned));
        // Overridable only to show the test's teeth: with at_least_once the same kills over-count.
        set.put("processing.guarantee", System.getProperty("vigil.it.processing-guarantee", "exactly_once_v2"));
        return ChildMonitor.start(set, dir.resolve("child-" + run + ".log"));
    }
}
