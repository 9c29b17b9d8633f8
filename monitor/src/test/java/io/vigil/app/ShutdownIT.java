package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.testing.ChildMonitor;
import io.vigil.testing.Events;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, Must 8: SIGTERM (Kubernetes, Ctrl-C) stops {@code vigil run} within 10 s, committing what it
 * processed: a new process on the same state directory counts every record once, not twice.
 */
@RealKafka
class ShutdownIT {
    private static final int N = 500;

    @Test
    void shouldStopWithinTenSecondsOfSigtermAndCommitWhatItProcessed(KafkaBroker kafka, @TempDir Path dir)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        Map<String, String> settings = ChildMonitor.settings(h, kafka, Files.createDirectory(dir.resolve("state")));
        ChildMonitor first = ChildMonitor.start(settings, dir.resolve("first.log"));
        try {
            String uri = first.awaitReady(h);
            Instant now = Instant.now();
            try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
                for (int i = 0; i < N; i++) {
                    producer.send(new ProducerRecord<>(
                            h.topic("predictions"),
                            ("p-" + i).getBytes(StandardCharsets.UTF_8),
                            Events.json(Events.prediction("p-" + i, (i % 10) / 10.0, now.minusSeconds(i)))));
                }
            }
            await("all counted")
                    .atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() ->
                            MonitorHarness.ingestCount(h.get(uri, "/metrics"), "predictions", "accepted", "none") == N);

            long signalled = System.nanoTime();
            first.terminate();
            boolean ended = first.awaitExit(Duration.ofSeconds(10));
            long millis = (System.nanoTime() - signalled) / 1_000_000;
            System.out.println("[shutdown] vigil run ended " + millis + " ms after SIGTERM");
            assertThat(ended)
                    .as("vigil run ended within 10 s of SIGTERM; log:%n%s", Files.readString(first.log()))
                    .isTrue();
            assertThat(Files.readString(first.log())).contains("Stopping Vigil");
        } finally {
            if (first.isAlive()) {
                first.kill();
            }
        }

        ChildMonitor second = ChildMonitor.start(settings, dir.resolve("second.log"));
        try {
            String uri = second.awaitReady(h);
            // Nothing reprocessed: the committed state holds each record once.
            await("counts restored")
                    .atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() ->
                            MonitorHarness.ingestCount(h.get(uri, "/metrics"), "predictions", "accepted", "none") >= N);
            Thread.sleep(3_000);
            assertThat(MonitorHarness.ingestCount(h.get(uri, "/metrics"), "predictions", "accepted", "none"))
                    .isEqualTo(N);
        } finally {
            second.kill();
        }
    }
}
