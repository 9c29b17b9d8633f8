package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.cli.ReferenceCommand;
import io.vigil.config.VigilConfig;
import io.vigil.testing.Events;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Drift through a real broker and a real monitor: a vendor reference published with
 * {@code vigil reference build}, then 2 sites x 2 scanners of predictions over ten past days, where
 * one scanner's scores shift upwards from day D on. {@code /metrics} must show KS and PSI drift for
 * that scanner and not for the other three.
 */
@RealKafka
class ScoreDriftIT {
    private static final List<String> SCANNERS = List.of("S01/CT-1", "S01/CT-2", "S02/CT-1", "S02/CT-2");
    private static final String SHIFTED = "S02/CT-2";

    @Test
    void shouldShowDriftForTheShiftedScannerOnlyWhenItsScoresMoveAfterDayD(KafkaBroker kafka, @TempDir Path dir)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        VigilConfig config = h.config(
                dir.resolve("state"),
                Map.of(
                        VigilConfig.DRIFT_FLUSH_INTERVAL_MS, "300",
                        VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS, "1000",
                        VigilConfig.REFERENCE_BURN_IN_ENABLED, "false",
                        // The validation-file path end to end: every slice against the published profile. (Per-slice
                        // baselines need more days than this 10-day backfill; DemoIT plays them on a real broker.)
                        VigilConfig.DRIFT_BASELINE_DAYS, "0"));
        Random rnd = new Random(17);

        StringBuilder csv = new StringBuilder("score,label,site,scanner,manufacturer,model,software_version\n");
        for (int i = 0; i < 4000; i++) {
            double s = score(rnd);
            String[] scanner = SCANNERS.get(i % 4).split("/");
            csv.append(s)
                    .append(',')
                    .append(rnd.nextDouble() < s ? 1 : 0)
                    .append(',')
                    .append(scanner[0])
                    .append(',')
                    .append(scanner[1])
                    .append(",Siemens,SOMATOM Force,5.0\n");
        }
        Path file = dir.resolve("validation.csv");
        Files.writeString(file, csv);

        try (Monitor monitor = new Monitor(config).start()) {
            await("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            StringWriter out = new StringWriter();
            int rc = new CommandLine(new ReferenceCommand())
                    .setOut(new PrintWriter(out))
                    .execute(
                            "build",
                            "--input",
                            file.toString(),
                            "--model",
                            Events.MODEL.id(),
                            "--version",
                            Events.MODEL.version(),
                            "--threshold",
                            "0.5",
                            "--bootstrap-servers",
                            kafka.bootstrapServers(),
                            "--topic",
                            h.topic("references"));
            assertThat(rc).as(out.toString()).isZero();

            Instant today = Instant.now().truncatedTo(ChronoUnit.DAYS);
            int id = 0;
            try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
                for (int day = 10; day >= 1; day--) {
                    for (String slice : SCANNERS) {
                        String[] sc = slice.split("/");
                        boolean shift = slice.equals(SHIFTED) && day <= 5;
                        for (int i = 0; i < 150; i++) {
                            double s = score(rnd);
                            Instant at = today.minus(Duration.ofDays(day)).plusSeconds(rnd.nextInt(86_400));
                            producer.send(new ProducerRecord<>(
                                    h.topic("predictions"),
                                    Events.json(Events.prediction(
                                            "p-" + id++, shift ? Math.min(1, s + 0.2) : s, at, sc[0], sc[1], "5.0"))));
                        }
                    }
                }
            }

            String uri = monitor.http().uri();
            await("drift visible per scanner")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        String metrics = h.get(uri, "/metrics");
                        // Each partition is replayed in day order, so nothing is late; a prediction that waits for
                        // its slice admission decision must not be overtaken by later days of its partition.
                        assertThat(MonitorHarness.sample(
                                        metrics,
                                        "vigil_window_late_records",
                                        Map.of("slice", "all", "window", "7d", "bound", "estimate")))
                                .as("late records")
                                .isZero();
                        for (String slice : SCANNERS) {
                            Map<String, String> labels =
                                    Map.of("slice", "scanner", "slice_value", slice, "window", "7d");
                            assertThat(MonitorHarness.sample(
                                            metrics, "vigil_window_predictions", with(labels, "bound", "estimate")))
                                    .as("n " + slice)
                                    .isEqualTo(7 * 150);
                            double ks = MonitorHarness.sample(
                                    metrics, "vigil_score_ks_statistic", with(labels, "bound", "estimate"));
                            double critical = MonitorHarness.sample(
                                    metrics, "vigil_score_ks_statistic", with(labels, "bound", "upper"));
                            double psiP = MonitorHarness.sample(
                                    metrics, "vigil_snapshot_p_value", with(labels, "metric", "score_psi"));
                            assertThat(MonitorHarness.sample(
                                            metrics, "vigil_score_psi", with(labels, "bound", "estimate")))
                                    .as("psi " + slice)
                                    .isNotNaN();
                            if (slice.equals(SHIFTED)) {
                                assertThat(ks).as("ks " + slice).isGreaterThan(critical);
                                assertThat(psiP).as("psi p " + slice).isLessThan(1e-6);
                            } else {
                                assertThat(ks).as("ks " + slice).isLessThanOrEqualTo(critical);
                                assertThat(psiP).as("psi p " + slice).isGreaterThan(1e-3);
                            }
                        }
                    });
        }
    }

    private static double score(Random rnd) {
        double u = rnd.nextDouble();
        return u * u;
    }

    private static Map<String, String> with(Map<String, String> labels, String key, String value) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>(labels);
        m.put(key, value);
        return m;
    }
}
