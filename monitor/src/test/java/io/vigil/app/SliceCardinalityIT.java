package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.config.VigilConfig;
import io.vigil.testing.Events;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, Must 4: the slice cap holds per model version and dimension across every task and instance.
 * Two instances share 6 partitions; 10,000 predictions carry 10,000 distinct scanner ids and 200 sites
 * (50 predictions each). With a cap per task (the old behaviour) /metrics showed 6 × 64 + 1 scanner values;
 * with the single admission owner it shows exactly 64 + {@code other}, and the overflow counters add up.
 */
@RealKafka
class SliceCardinalityIT {
    private static final int PREDICTIONS = 10_000;
    private static final int SITES = 200;

    @Test
    void shouldAdmitAtMostTheCapPerDimensionAcrossSixPartitionsAndTwoInstances(KafkaBroker kafka, @TempDir Path dir)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        Map<String, Object> overrides = Map.of(
                VigilConfig.TOPIC_PARTITIONS,
                "6",
                "drift.flush-interval-ms",
                "200",
                "drift.snapshot-interval-ms",
                "500");
        int cap = h.config(dir.resolve("x"), overrides).getInt(VigilConfig.SLICES_MAX_VALUES);
        assertThat(cap).as("the default cap").isEqualTo(64);
        try (Monitor a = new Monitor(h.config(dir.resolve("a"), overrides)).start();
                Monitor b = new Monitor(h.config(dir.resolve("b"), overrides)).start()) {
            await("both instances running").atMost(Duration.ofSeconds(90)).until(() -> a.isRunning() && b.isRunning());
            Instant now = Instant.now();
            try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
                for (int i = 0; i < PREDICTIONS; i++) {
                    String id = "c-" + i;
                    producer.send(new ProducerRecord<>(
                            h.topic("predictions"),
                            id.getBytes(StandardCharsets.UTF_8),
                            Events.json(Events.prediction(
                                    id,
                                    (i % 10) / 10.0,
                                    now.minusSeconds(i % 600),
                                    "S" + (i % SITES),
                                    "CT-" + i,
                                    "5.0"))));
                }
            }
            String uriA = a.http().uri();
            String uriB = b.http().uri();
            await("every prediction in the 'all' slice and the overflow counted")
                    .atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofSeconds(1))
                    .ignoreExceptions()
                    .until(() -> {
                        String page = h.get(uriA, "/metrics");
                        double all = MonitorHarness.sample(
                                page,
                                "vigil_window_predictions",
                                Map.of("slice", "all", "window", "7d", "bound", "estimate"));
                        long scanner = overflow(h, uriA, uriB, "scanner");
                        long site = overflow(h, uriA, uriB, "site");
                        System.out.printf("[slice-cap] all %.0f, overflow scanner %d, site %d%n", all, scanner, site);
                        return all == PREDICTIONS
                                && scanner == PREDICTIONS - cap
                                && site == PREDICTIONS - cap * (PREDICTIONS / SITES);
                    });
            // Snapshots settle: the 'other' slices carry what the cap turned away.
            String page = await("the 'other' slices complete")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(
                            () -> h.get(uriB, "/metrics"),
                            p -> MonitorHarness.sample(
                                            p,
                                            "vigil_window_predictions",
                                            Map.of(
                                                    "slice",
                                                    "scanner",
                                                    "slice_value",
                                                    "other",
                                                    "window",
                                                    "7d",
                                                    "bound",
                                                    "estimate"))
                                    == PREDICTIONS - cap);
            Set<String> scanners = values(page, "scanner");
            Set<String> sites = values(page, "site");
            System.out.printf(
                    "[slice-cap] scanner values %d, site values %d, metrics page %,d bytes%n",
                    scanners.size(), sites.size(), page.length());
            assertThat(scanners)
                    .as("64 admitted scanners and 'other'")
                    .hasSize(cap + 1)
                    .contains("other");
            assertThat(sites)
                    .as("64 admitted sites and 'other'")
                    .hasSize(cap + 1)
                    .contains("other");
            assertThat(MonitorHarness.sample(
                            page,
                            "vigil_window_predictions",
                            Map.of("slice", "site", "slice_value", "other", "window", "7d", "bound", "estimate")))
                    .isEqualTo(PREDICTIONS - cap * (PREDICTIONS / SITES));
            // Both instances serve the same values (decisions are cluster-wide, not per instance).
            assertThat(values(h.get(uriA, "/metrics"), "scanner")).isEqualTo(scanners);
            for (String uri : new String[] {uriA, uriB}) {
                assertThat(MonitorHarness.sample(
                                h.get(uri, "/metrics"),
                                "vigil_slice_admission_timeouts_total",
                                Map.of("dimension", "scanner")))
                        .as("no decision timed out")
                        .isZero();
            }
            // A dimension under its cap overflows nothing.
            assertThat(overflow(h, uriA, uriB, "scanner_model")).isZero();
        }
    }

    /** {@code vigil_slice_overflow_total} of a dimension summed over both instances (each counts its own tasks). */
    private static long overflow(MonitorHarness h, String uriA, String uriB, String dimension) throws Exception {
        long sum = 0;
        for (String uri : new String[] {uriA, uriB}) {
            sum += MonitorHarness.exactCount(MonitorHarness.sample(
                    h.get(uri, "/metrics"), "vigil_slice_overflow_total", Map.of("dimension", dimension)));
        }
        return sum;
    }

    /** The distinct slice values of one dimension across every model gauge on the page. */
    private static Set<String> values(String page, String dimension) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("slice=\"" + Pattern.quote(dimension) + "\",slice_value=\"([^\"]*)\"")
                .matcher(page);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
