package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.serde.Json;
import io.vigil.testing.Events;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import io.vigil.testing.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, Must 6: ids from a hostile or buggy sender (quotes, backslashes, newlines, BEL, NUL, RTL
 * marks, markup; all within the contract's 64 characters) reach /metrics and the JSON API sanitised:
 * the real promtool accepts the page, the API is valid JSON, and no raw control character leaves.
 */
@RealKafka
class HostileLabelValuesIT {
    private static final List<String> SITES = List.of(
            "q\"uote",
            "back\\slash",
            "new\nline\r",
            "bel\u0007nul\u0000",
            "rtl\u202Eltr\u200F",
            "<img src=x onerror=alert(1)>");

    @Test
    void shouldExportHostileIdsSoThatPromtoolAcceptsTheMetricsPage(KafkaBroker kafka, @TempDir Path dir)
            throws Exception {
        Tools.require("prometheus", "promtool");
        MonitorHarness h = new MonitorHarness(kafka);
        try (Monitor monitor = new Monitor(h.config(
                        dir.resolve("state"),
                        Map.of("drift.flush-interval-ms", "200", "drift.snapshot-interval-ms", "500")))
                .start()) {
            await("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            Instant now = Instant.now();
            try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
                int i = 0;
                for (String site : SITES) {
                    for (int k = 0; k < 40; k++, i++) {
                        producer.send(new ProducerRecord<>(
                                h.topic("predictions"),
                                ("h-" + i).getBytes(StandardCharsets.UTF_8),
                                Events.json(Events.prediction(
                                        "h-" + i, (k % 10) / 10.0, now.minusSeconds(i), site, site + "-CT", "5.0"))));
                    }
                }
            }
            String uri = monitor.http().uri();
            String page = await("hostile slices on /metrics")
                    .atMost(Duration.ofSeconds(90))
                    .ignoreExceptions()
                    .until(
                            () -> h.get(uri, "/metrics"),
                            p -> p.contains("rtl\uFFFDltr\uFFFD")
                                    && p.contains("bel\uFFFDnul\uFFFD")
                                    && p.contains("<img src=x onerror=alert(1)>")
                                    // every site, not three of six: partitions flush at their own pace
                                    && p.contains("q\\\"uote")
                                    && p.contains("back\\\\slash")
                                    && p.contains("new\uFFFDline\uFFFD"));
            String body = page.substring(page.indexOf('\n') + 1);
            assertThat(body.codePoints()
                            .filter(cp -> cp != '\n'
                                    && (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT)))
                    .as("raw control characters")
                    .isEmpty();
            assertThat(body).contains("q\\\"uote").contains("back\\\\slash").contains("new\uFFFDline\uFFFD");

            Path file = dir.resolve("metrics.txt");
            Files.writeString(file, body, StandardCharsets.UTF_8);
            Process promtool = new ProcessBuilder("sh", "-c", "promtool check metrics < " + file)
                    .redirectErrorStream(true)
                    .start();
            String out = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
            System.out.println("[hostile] promtool check metrics: exit " + promtool.exitValue() + "\n"
                    + out.lines().limit(20).reduce("", (a, b) -> a + b + "\n"));
            // promtool's lint findings (e.g. units in names) are reported but the page must parse.
            assertThat(out).doesNotContain("error while linting").doesNotContain("text format parsing error");

            // Vigil's own families, where the hostile values are, pass promtool without a single finding
            // (the full page has lint findings about Kafka's client metric names, not about label values).
            Path vigilOnly = dir.resolve("vigil-metrics.txt");
            Files.writeString(
                    vigilOnly,
                    body.lines()
                            .filter(l -> l.startsWith("vigil_")
                                    || l.startsWith("# HELP vigil_")
                                    || l.startsWith("# TYPE vigil_"))
                            .reduce("", (a, b) -> a + b + "\n"),
                    StandardCharsets.UTF_8);
            Process vigil = new ProcessBuilder("sh", "-c", "promtool check metrics < " + vigilOnly)
                    .redirectErrorStream(true)
                    .start();
            String vigilOut = new String(vigil.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(vigil.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(vigil.exitValue())
                    .as("promtool on vigil_* families: %s", vigilOut)
                    .isZero();

            String fleet = h.get(uri, "/api/fleet");
            JsonNode json = Json.mapper().readTree(fleet.substring(fleet.indexOf('\n') + 1));
            assertThat(json.toString())
                    .contains("<img src=x onerror=alert(1)>")
                    .doesNotContain("\\u0000")
                    .doesNotContain("\\u0007");
        }
    }
}
