package io.vigil.testing;

import static io.vigil.testing.MonitorHarness.ingestCount;
import static io.vigil.testing.MonitorHarness.joinCount;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.deadletters.DeadLetters;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.Prediction;
import io.vigil.stages.OutcomeJoin;
import io.vigil.stats.BinaryOutcomeStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The comparisons of the exactly-once fault tests (kill -9 of the monitor, hard restart of the
 * broker): what a monitor shows after processing an {@link ExactInput} equals a batch computation
 * over it, exactly. Counters are read from {@code /metrics}; dead letters and snapshots with
 * {@code read_committed}.
 */
public final class ExactChecks {
    private ExactChecks() {}

    /** Snapshot key of a performance metric of slice all, 30-day window. */
    public static String perfKey(String metric) {
        return String.join("|", Events.MODEL.id(), Events.MODEL.version(), "all", "all", "30d", metric);
    }

    /** Snapshot key of the drift prediction count of slice all, 30-day window. */
    public static String driftKey() {
        return perfKey("predictions");
    }

    /** The batch outcome statistics over the final label of every labelled valid prediction. */
    public static BinaryOutcomeStats batch(ExactInput in) {
        BinaryOutcomeStats batch = new BinaryOutcomeStats(0.5);
        in.finalLabels.forEach((id, gt) -> batch.add(in.valid.get(id).score(), gt.label()));
        return batch;
    }

    /**
     * (a) ingest and join counts on {@code /metrics}, (b) the dead-letter topic, (c) performance
     * snapshots with their Wilson bounds, (d) drift counts and per-scanner slices: each equals the batch
     * computation over {@code in}. {@code tag} prefixes what is printed.
     */
    public static void assertEqualsBatch(MonitorHarness h, String uri, ExactInput in, String tag)
            throws IOException, InterruptedException {
        // (a) ingest counts on /metrics equal the produced counts, per outcome and reason.
        String metrics = h.get(uri, "/metrics");
        System.out.println(
                tag + " metrics: predictions accepted=" + ingestCount(metrics, "predictions", "accepted", null)
                        + " ground_truth accepted=" + ingestCount(metrics, "ground_truth", "accepted", null)
                        + " registered=" + joinCount(metrics, OutcomeJoin.PREDICTIONS_REGISTERED)
                        + " joined=" + joinCount(metrics, OutcomeJoin.LABELS_JOINED)
                        + " revised=" + joinCount(metrics, OutcomeJoin.LABELS_REVISED)
                        + " duplicate_labels=" + joinCount(metrics, OutcomeJoin.LABELS_DUPLICATE));
        assertThat(ingestCount(metrics, "predictions", "accepted", null)).isEqualTo(in.valid.size());
        assertThat(ingestCount(metrics, "ground_truth", "accepted", null)).isEqualTo(in.labelRecords);
        for (var e : in.deadPredictions.entrySet()) {
            assertThat(ingestCount(metrics, "predictions", "dead_lettered", e.getKey()))
                    .as(e.getKey())
                    .isEqualTo(e.getValue().longValue());
        }
        for (var e : in.deadLabels.entrySet()) {
            assertThat(ingestCount(metrics, "ground_truth", "dead_lettered", e.getKey()))
                    .as(e.getKey())
                    .isEqualTo(e.getValue().longValue());
        }
        // The outcome join registered each valid prediction once, despite any replay.
        assertThat(joinCount(metrics, OutcomeJoin.PREDICTIONS_REGISTERED)).isEqualTo(in.valid.size());
        assertThat(joinCount(metrics, OutcomeJoin.PREDICTIONS_DUPLICATE)).isZero();

        // (b) the dead-letter topic holds exactly the invalid records, once each.
        List<ConsumerRecord<byte[], byte[]>> dead = h.readAll(h.topic("dead-letters"));
        Map<String, Integer> byReason = new TreeMap<>();
        Map<String, Integer> bySource = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            byReason.merge(header(r, DeadLetters.REASON), 1, Integer::sum);
            bySource.merge(
                    header(r, DeadLetters.SOURCE_TOPIC) + "/" + header(r, DeadLetters.SOURCE_PARTITION) + "/"
                            + header(r, DeadLetters.SOURCE_OFFSET),
                    1,
                    Integer::sum);
        }
        Map<String, Integer> expectedDead = new TreeMap<>(in.deadPredictions);
        in.deadLabels.forEach((k, v) -> expectedDead.merge(k, v, Integer::sum));
        System.out.println(tag + " dead letters: " + dead.size() + " " + byReason + " expected " + expectedDead);
        assertThat(bySource.values()).as("no dead letter twice").allMatch(x -> x == 1);
        assertThat(dead)
                .hasSize(expectedDead.values().stream()
                        .mapToInt(Integer::intValue)
                        .sum());
        assertThat(byReason).isEqualTo(expectedDead);

        // (c) performance snapshots (slice all, widest window) equal the batch over the final labels.
        BinaryOutcomeStats batch = batch(in);
        Map<String, MetricSnapshot> latest = h.committedSnapshots();
        MetricSnapshot labelled = latest.get(perfKey("labelled"));
        MetricSnapshot sens = latest.get(perfKey("sensitivity"));
        MetricSnapshot spec = latest.get(perfKey("specificity"));
        var cm = batch.confusion();
        System.out.println(tag + " batch: labelled=" + batch.n() + " tp=" + cm.tp() + " fp=" + cm.fp()
                + " tn=" + cm.tn() + " fn=" + cm.fn() + " sens="
                + cm.sensitivity().value()
                + " spec=" + cm.specificity().value());
        System.out.println(tag + " snapshots: labelled=" + labelled.estimate() + " sens=" + sens.estimate()
                + " (n=" + sens.n() + ") spec=" + spec.estimate() + " (n=" + spec.n()
                + ") drift predictions=" + latest.get(driftKey()).n());
        assertThat(labelled.estimate()).isEqualTo((double) batch.n());
        assertThat(sens.n()).isEqualTo(cm.tp() + cm.fn());
        assertThat(spec.n()).isEqualTo(cm.tn() + cm.fp());
        assertThat(sens.estimate()).isEqualTo(cm.sensitivity().value());
        assertThat(spec.estimate()).isEqualTo(cm.specificity().value());
        assertThat(sens.lower()).isEqualTo(cm.sensitivity().lower());
        assertThat(sens.upper()).isEqualTo(cm.sensitivity().upper());
        assertThat(spec.lower()).isEqualTo(cm.specificity().lower());
        assertThat(spec.upper()).isEqualTo(cm.specificity().upper());

        // (d) drift: predictions in the widest window of the all slice = every valid prediction,
        // and per scanner slice (site/scanner) the drift and performance counts are exact too.
        assertThat(latest.get(driftKey()).n()).isEqualTo(in.valid.size());
        assertThat(latest.get(driftKey()).estimate()).isEqualTo((double) in.valid.size());
        Map<String, Long> perScanner = new TreeMap<>();
        Map<String, BinaryOutcomeStats> perScannerBatch = new TreeMap<>();
        in.valid
                .values()
                .forEach(p -> perScanner.merge(p.site() + "/" + p.scanner().id(), 1L, Long::sum));
        in.finalLabels.forEach((id, gt) -> {
            Prediction p = in.valid.get(id);
            perScannerBatch
                    .computeIfAbsent(p.site() + "/" + p.scanner().id(), k -> new BinaryOutcomeStats(0.5))
                    .add(p.score(), gt.label());
        });
        assertThat(perScanner).hasSize(4);
        for (var e : perScanner.entrySet()) {
            checkScanner(latest, e.getKey(), e.getValue(), perScannerBatch.get(e.getKey()));
        }
        System.out.println(tag + " per scanner predictions " + perScanner);
    }

    private static void checkScanner(
            Map<String, MetricSnapshot> latest, String scanner, long predictions, BinaryOutcomeStats b) {
        String prefix = String.join("|", Events.MODEL.id(), Events.MODEL.version(), "scanner", scanner, "30d", "");
        assertThat(latest.get(prefix + "predictions").n())
                .as(scanner + " predictions")
                .isEqualTo(predictions);
        assertThat(latest.get(prefix + "labelled").estimate())
                .as(scanner + " labelled")
                .isEqualTo((double) b.n());
        assertThat(latest.get(prefix + "sensitivity").estimate())
                .as(scanner + " sensitivity")
                .isEqualTo(b.confusion().sensitivity().value());
        assertThat(latest.get(prefix + "specificity").estimate())
                .as(scanner + " specificity")
                .isEqualTo(b.confusion().specificity().value());
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
