package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import io.vigil.topics.MetricSnapshots;
import io.vigil.topics.Topics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AlertEvaluatorTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration INTERVAL = Duration.ofSeconds(10);
    private static final double FDR = 0.05;
    private static final List<String> P_METRICS = List.of("score_psi", "positive_rate", "feature_psi:kvp");

    private TopologyTestDriver driver;
    private TestInputTopic<String, MetricSnapshot> snapshots;
    private TestOutputTopic<String, Alert> alerts;
    private Instant now = START;

    @BeforeEach
    void setUp() {
        VigilConfig config = new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092"));
        Topics topics = Topics.from(config);
        StreamsBuilder builder = new StreamsBuilder();
        new MetricSnapshots(topics).addViewTo(builder);
        new io.vigil.stages.ScannerInventory(topics).addViewTo(builder);
        AlertEvaluator evaluator = new AlertEvaluator(
                topics,
                new AlertEvaluation(AlertRules.defaults(), Map.of(), FDR),
                io.vigil.events.Alert.Severity.WARNING,
                INTERVAL,
                List::of,
                50);
        evaluator.addTo(builder);
        evaluator.addViewTo(builder);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "alert-evaluator-test");
        props.put(
                StreamsConfig.STATE_DIR_CONFIG,
                io.vigil.testing.TestDirs.fresh().toString());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        driver = new TopologyTestDriver(builder.build(), props, START);
        snapshots = driver.createInputTopic(
                topics.snapshots().name(),
                topics.snapshots().keySerde().serializer(),
                topics.snapshots().valueSerde().serializer());
        alerts = driver.createOutputTopic(
                topics.alerts().name(),
                topics.alerts().keySerde().deserializer(),
                topics.alerts().valueSerde().deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    private static List<String> slices(int sites, int scannersPerSite) {
        List<String> out = new ArrayList<>();
        for (int s = 1; s <= sites; s++) {
            for (int c = 1; c <= scannersPerSite; c++) {
                out.add(String.format("S%02d/CT-%d", s, c));
            }
        }
        return out;
    }

    private void publish(String dim, String value, String metric, double p) {
        // Effect size 0.3 passes every rule's size gate: only the p-value (and BH) decides.
        publish(dim, value, metric, 0.3, p);
    }

    private void publish(String dim, String value, String metric, double estimate, Double p) {
        MetricSnapshot s = new MetricSnapshot(
                "chest-ct",
                "2.3.0",
                dim,
                value,
                "7d",
                now,
                metric,
                estimate,
                estimate - 0.05,
                estimate + 0.05,
                2000,
                p,
                MetricSnapshot.Status.FINAL,
                now);
        snapshots.pipeInput(s.key(), s, now);
    }

    private List<Alert> round() {
        now = now.plus(INTERVAL);
        driver.advanceWallClockTime(INTERVAL);
        return alerts.readValuesToList();
    }

    @Test
    void shouldStayWithinTheFalseAlarmBudgetWhenNothingChangesForAYear() {
        Random random = new Random(20260101L);
        List<String> scanners = slices(10, 4); // 40 slices x 3 p-value metrics = 120 tests per round
        int rounds = 365;
        int roundsWithFalseAlert = 0;
        int falseAlerts = 0;
        int uncorrected = 0;
        for (int day = 0; day < rounds; day++) {
            for (String scanner : scanners) {
                for (String metric : P_METRICS) {
                    double p = random.nextDouble();
                    uncorrected += p <= FDR ? 1 : 0;
                    publish("scanner", scanner, metric, p);
                }
            }
            long firing = round().stream()
                    .filter(a -> a.status() == Alert.Status.FIRING)
                    .count();
            falseAlerts += (int) firing;
            roundsWithFalseAlert += firing > 0 ? 1 : 0;
        }
        // Under the complete null BH's FDR is P(any rejection) <= q per round with fresh p-values, so
        // rounds with a false alert ~ Binomial(365, <= 0.05): mean <= 18.25, sd <= 4.16; allow 3 sd.
        double bound = FDR * rounds + 3 * Math.sqrt(rounds * FDR * (1 - FDR));
        org.slf4j.LoggerFactory.getLogger(AlertEvaluatorTest.class)
                .info(
                        "null year: {} false alerts in {} rounds ({} rounds with any); bound {}; uncorrected {}",
                        falseAlerts,
                        rounds,
                        roundsWithFalseAlert,
                        bound,
                        uncorrected);
        assertThat(roundsWithFalseAlert).isLessThanOrEqualTo((int) bound);
        // A rejected round rarely rejects more than one (E[R | R > 0] ~ 1.03 here).
        assertThat(falseAlerts).isLessThanOrEqualTo((int) bound);
        // The same tests uncorrected at level q would have alarmed about q x 120 x 365 = 2190 times.
        assertThat(uncorrected).isGreaterThan(1800);
    }

    @Test
    void shouldFireExactlyOneAlertPerShiftedSliceAndResolveItAfterTheShiftReverts() {
        Random random = new Random(7L);
        List<String> scanners = slices(5, 4);
        List<Alert> all = new ArrayList<>();
        String shiftedFp = Fingerprints.fingerprint(
                "VigilScoreDistributionShift", "score_psi", "chest-ct", "2.3.0", "scanner", "S03/CT-2");
        String rollupFp = Fingerprints.fingerprint(
                "VigilScoreDistributionShift", "score_psi", "chest-ct", "2.3.0", "site", "S03");
        int activeDuringShift = -1;
        for (int r = 0; r < 60; r++) {
            boolean shifted = r >= 10 && r < 30;
            for (String scanner : scanners) {
                for (String metric : P_METRICS) {
                    boolean hit = shifted && scanner.equals("S03/CT-2") && metric.equals("score_psi");
                    publish("scanner", scanner, metric, hit ? 1e-10 : random.nextDouble());
                }
            }
            for (int site = 1; site <= 5; site++) {
                boolean hit = shifted && site == 3;
                publish("site", String.format("S%02d", site), "score_psi", hit ? 1e-6 : random.nextDouble());
            }
            all.addAll(round());
            if (r == 20) {
                activeDuringShift = (int) activeAlerts().active().stream()
                        .filter(a -> a.fingerprint().equals(shiftedFp)
                                || a.fingerprint().equals(rollupFp))
                        .count();
            }
        }
        for (String fp : List.of(shiftedFp, rollupFp)) {
            List<Alert> mine =
                    all.stream().filter(a -> a.fingerprint().equals(fp)).toList();
            assertThat(mine).extracting(Alert::status).containsExactly(Alert.Status.FIRING, Alert.Status.RESOLVED);
            assertThat(mine.get(0).startedAt()).isEqualTo(START.plus(INTERVAL.multipliedBy(11)));
            assertThat(mine.get(1).resolvedAt()).isAfter(START.plus(INTERVAL.multipliedBy(30)));
        }
        assertThat(activeDuringShift).isEqualTo(2);
        // Other slices stay null: their alerts stay within the same per-round budget (60 rounds x 0.05 = 3).
        long others = all.stream()
                .filter(a -> a.status() == Alert.Status.FIRING)
                .filter(a ->
                        !a.fingerprint().equals(shiftedFp) && !a.fingerprint().equals(rollupFp))
                .count();
        assertThat(others).isLessThanOrEqualTo(8);
        // The compacted view keeps the latest transition per fingerprint: both resolved now.
        assertThat(activeAlerts().recentlyResolved())
                .extracting(Alert::fingerprint)
                .contains(shiftedFp, rollupFp);
    }

    @Test
    void shouldExportActiveAlertsAsABoundedGauge() {
        publish("scanner", "S01/CT-1", "acquisition_change", 1.0, null);
        round();
        var gauge = activeAlerts().collect();
        var points = gauge.stream()
                .flatMap(m -> m.getDataPoints().stream())
                .map(d -> d.getLabels().get("rule") + "|" + d.getLabels().get("slice_value"))
                .collect(Collectors.toList());
        assertThat(points).containsExactly("VigilAcquisitionChange|S01/CT-1");
        assertThat(activeAlerts().json()).contains("\"active\":[{").contains("\"rule\":\"VigilAcquisitionChange\"");
    }

    private ActiveAlerts activeAlerts() {
        KeyValueStore<String, ValueAndTimestamp<Alert>> view =
                driver.getTimestampedKeyValueStore(AlertEvaluator.VIEW_STORE);
        return new ActiveAlerts(
                () -> {
                    List<Alert> out = new ArrayList<>();
                    try (var it = view.all()) {
                        it.forEachRemaining(kv -> out.add(kv.value.value()));
                    }
                    return out;
                },
                Duration.ofDays(1),
                Clock.fixed(now, ZoneOffset.UTC));
    }
}
