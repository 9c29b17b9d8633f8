package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.testing.ChildMonitor;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure a new stream thread cannot escape ends {@code vigil run} with status 1 (StreamThreadFailures),
 * so a supervisor restarts it, instead of a process that stays live while its threads die and are
 * replaced forever. The failure here is an operator's: the predictions topic deleted under a running
 * monitor, which fails every new thread's rebalance in the same way.
 */
@RealKafka
class StreamFailureExitIT {

    @Test
    void vigilRunExitsWithStatusOneWhenItsStreamThreadsKeepFailing(KafkaBroker kafka, @TempDir Path dir)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        Map<String, String> settings = ChildMonitor.settings(h, kafka, Files.createDirectory(dir.resolve("state")));
        ChildMonitor child = ChildMonitor.start(settings, dir.resolve("child.log"));
        try {
            child.awaitReady(h);

            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                admin.deleteTopics(List.of(settings.get("topic.predictions")))
                        .all()
                        .get(30, TimeUnit.SECONDS);
            }
            long failedAt = System.nanoTime();
            // Health tells the truth within 10 s: the threads fail, /health/ready stops answering 200.
            await("/health/ready answers 503")
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> h.status(child.uri(), "/health/ready") == 503);
            System.out.println(
                    "[stream-failure] /health/ready 503 after " + (System.nanoTime() - failedAt) / 1_000_000 + " ms");

            await("vigil run exits by itself")
                    .atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> !child.isAlive());
            String log = Files.readString(child.log());
            long replaced = log.lines()
                    .filter(l -> l.contains("Stream thread failed; replacing it"))
                    .count();
            System.out.println("[stream-failure] exited " + child.exitValue() + " after " + replaced
                    + " thread replacements; first failure: "
                    + log.lines()
                            .filter(l -> l.contains("Exception:") || l.contains("Exception: "))
                            .findFirst()
                            .orElse("-"));
            assertThat(child.exitValue()).as("exit status; log:%n%s", log).isEqualTo(1);
            assertThat(replaced)
                    .as("threads replaced before giving up")
                    .isEqualTo(StreamThreadFailures.MAX_REPLACEMENTS);
            assertThat(log)
                    .contains("stopping Kafka Streams")
                    .contains("Stopped: Kafka Streams stopped after stream-thread failures it could not recover from");
        } finally {
            if (child.isAlive()) {
                child.kill();
            }
        }
    }
}
