package io.vigil.app;

import static io.vigil.testing.MonitorHarness.ingestCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.testing.ChildMonitor;
import io.vigil.testing.ExactInput;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SIGKILL must never leave a state directory that the next start cannot open (issue 17, Must 10;
 * docs/notes/global-store-after-sigkill.md). Under exactly-once, Kafka Streams 4.3 treats a RocksDB store
 * that was not closed cleanly as corrupted; a task's store is wiped and restored, but the global thread
 * dies instead (KAFKA-21034), so a monitor killed while a global RocksDB store held checkpointed offsets
 * exited 1 at every restart. The soak found it after minutes of load, when the global topics had passed
 * the 10,000 records after which the global thread checkpoints.
 *
 * <p>Here three global topics (snapshots, alerts, incidents) first receive 12,000 tombstones each for
 * 4 KiB keys nobody uses: more than the 10,000 records after which the global thread checkpoints, and
 * more than the 16 MB RocksDB write buffer, whose flush makes the store's "open" status durable. Both
 * happened in the soak after minutes of real snapshots. The monitor is then
 * killed at seeded random moments, some while it processes predictions, and restarted on the same state
 * directory each time: every restart must become ready and stay alive, and the predictions sent in between
 * must all be counted. With RocksDB global stores the first restart exits 1.
 */
@RealKafka
class GlobalStoresAfterKillIT {
    private static final int TOMBSTONES = 12_000;
    /** Keys this long make the tombstones fill RocksDB's 16 MB write buffer, whose flush persists the "open" status. */
    private static final int KEY_BYTES = 4_096;

    private static final int KILLS = 4;

    @Test
    void shouldStartAgainAfterEverySigkillWhenTheGlobalStoresHaveCheckpointed(KafkaBroker kafka, @TempDir Path dir)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        Path state = Files.createDirectory(dir.resolve("state"));
        SplittableRandom random = new SplittableRandom(20261205L);
        ExactInput in = ExactInput.generate(20261205L, 4_000, Instant.now().truncatedTo(ChronoUnit.SECONDS));
        int run = 0;
        ChildMonitor child = start(h, kafka, state, dir, run++);
        try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
            String uri = child.awaitReady(h);
            for (String topic : new String[] {"snapshots", "alerts", "incidents"}) {
                for (int i = 0; i < TOMBSTONES; i++) {
                    byte[] key = ("unused-" + i + "-" + "x".repeat(KEY_BYTES)).getBytes(StandardCharsets.UTF_8);
                    producer.send(new ProducerRecord<>(h.topic(topic), key, null));
                }
            }
            producer.flush();
            // The global thread checkpoints every commit interval once 10,000 records have passed.
            Thread.sleep(3_000);

            int perRun = (in.sends.size() + KILLS - 1) / KILLS;
            long validSent = 0;
            for (int k = 0; k < KILLS; k++) {
                for (ExactInput.Send s : in.sends.subList(k * perRun, Math.min(in.sends.size(), (k + 1) * perRun))) {
                    producer.send(new ProducerRecord<>(h.topic(s.topic()), null, s.value()));
                    validSent += s.validPrediction() ? 1 : 0;
                }
                producer.flush();
                long delayMs = random.nextLong(200, 4_000);
                Thread.sleep(delayMs);
                System.out.println("[global-kill] kill -9 of child " + (run - 1) + " " + delayMs
                        + " ms after sending part " + k + " (valid predictions sent " + validSent + ")");
                child.kill();
                child = start(h, kafka, state, dir, run++);
                uri = ready(child, h);
            }

            String finalUri = uri;
            long expected = validSent;
            await("every prediction counted after " + KILLS + " kills")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .untilAsserted(
                            () -> assertThat(ingestCount(h.get(finalUri, "/metrics"), "predictions", "accepted", null))
                                    .isEqualTo(expected));
            ChildMonitor last = child;
            await("the last child keeps running")
                    .during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(5))
                    .until(last::isAlive);
            assertThat(h.status(finalUri, "/health/ready")).isEqualTo(200);
        } finally {
            child.kill();
        }
    }

    /** The child's URI once ready; otherwise fails with the reason from its log (an exit, the global thread dying). */
    private static String ready(ChildMonitor child, MonitorHarness h) throws java.io.IOException {
        try {
            return child.awaitReady(h);
        } catch (RuntimeException e) {
            String errors = Files.readAllLines(child.log()).stream()
                    .filter(l -> l.contains("ERROR") || l.contains("Caused by"))
                    .limit(12)
                    .collect(java.util.stream.Collectors.joining("\n"));
            throw new AssertionError(
                    "a restart after SIGKILL did not become ready (alive: " + child.isAlive() + "); its log says:\n"
                            + errors,
                    e);
        }
    }

    private static ChildMonitor start(MonitorHarness h, KafkaBroker kafka, Path state, Path dir, int run)
            throws java.io.IOException {
        Map<String, String> set = ChildMonitor.settings(h, kafka, state);
        set.put("topic.incidents", h.topic("incidents"));
        return ChildMonitor.start(set, dir.resolve("child-" + run + ".log"));
    }
}
