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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, Must 5: Vigil's counters never go backwards while a stream thread is removed and another
 * added (its tasks move, are restored and counted again), and a restart on the same state counts every
 * record once. /metrics is scraped every 100 ms throughout; every vigil_*_total series is checked.
 */
@RealKafka
class CountersNeverDecreaseIT {

    @Test
    void shouldNeverLowerACounterWhenAStreamThreadIsReplacedOrVigilRestarts(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        VigilConfig config = h.config(state, Map.of(VigilConfig.NUM_STREAM_THREADS, "2"));
        List<String> decreases = new CopyOnWriteArrayList<>();
        try (Monitor monitor = new Monitor(config).start()) {
            await("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            String uri = monitor.http().uri();
            AtomicBoolean scraping = new AtomicBoolean(true);
            Map<String, Double> last = new ConcurrentHashMap<>();
            Thread scraper = new Thread(
                    () -> {
                        while (scraping.get()) {
                            try {
                                String page = h.get(uri, "/metrics");
                                for (String line : page.split("\n")) {
                                    if (line.startsWith("vigil_") && line.contains("_total{")) {
                                        int space = line.lastIndexOf(' ');
                                        String series = line.substring(0, space);
                                        double v = Double.parseDouble(line.substring(space + 1));
                                        Double before = last.put(series, v);
                                        if (before != null && v < before) {
                                            decreases.add(series + ": " + before + " -> " + v);
                                        }
                                    }
                                }
                                Thread.sleep(100);
                            } catch (Exception e) {
                                // a scrape during close; the next one tells
                            }
                        }
                    },
                    "counter-scraper");
            scraper.start();

            send(h, 0, 600);
            awaitAccepted(h, uri, 600);
            // Replace a stream thread through Kafka Streams' public API: its tasks move to a new thread,
            // which restores their stores from the changelogs.
            assertThat(monitor.streams().removeStreamThread()).isPresent();
            send(h, 600, 300);
            Thread.sleep(2_000);
            assertThat(monitor.streams().addStreamThread()).isPresent();
            send(h, 900, 300);
            awaitAccepted(h, uri, 1_200);
            Thread.sleep(2_000);
            scraping.set(false);
            scraper.join();
            assertThat(last).as("series scraped").isNotEmpty();
        }
        assertThat(decreases).as("counters that went backwards").isEmpty();

        Monitor restarted = new Monitor(config).start();
        try (restarted) {
            await("restarted").atMost(Duration.ofSeconds(60)).until(restarted::isRunning);
            String uri = restarted.http().uri();
            awaitAccepted(h, uri, 1_200);
            Thread.sleep(3_000);
            assertThat(MonitorHarness.ingestCount(h.get(uri, "/metrics"), "predictions", "accepted", "none"))
                    .as("every record counted once after a restart")
                    .isEqualTo(1_200);
        }
        // Read once Kafka Streams has stopped, as the alert evaluator's last punctuation and a late scrape read
        // while it shuts down: the counts are the last ones, not an exception (Kafka Streams' store lookup throws
        // IllegalStateException outside RUNNING and REBALANCING; the punctuation counted it as a dropped record).
        assertThat(restarted.state()).isEqualTo(org.apache.kafka.streams.KafkaStreams.State.NOT_RUNNING);
        assertThat(restarted.ingestMetrics().received(io.vigil.topics.Input.PREDICTIONS))
                .isEqualTo(1_200);
        assertThat(restarted.localStore(io.vigil.stages.OutcomeJoin.COUNTS_STORE, 0))
                .isNull();
    }

    private static void send(MonitorHarness h, int from, int n) {
        Instant now = Instant.now();
        try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
            for (int i = from; i < from + n; i++) {
                producer.send(new ProducerRecord<>(
                        h.topic("predictions"),
                        ("c-" + i).getBytes(StandardCharsets.UTF_8),
                        Events.json(Events.prediction("c-" + i, (i % 10) / 10.0, now.minusSeconds(i)))));
            }
        }
    }

    private static void awaitAccepted(MonitorHarness h, String uri, long n) {
        await("accepted " + n)
                .atMost(Duration.ofSeconds(90))
                .ignoreExceptions()
                .until(() ->
                        MonitorHarness.ingestCount(h.get(uri, "/metrics"), "predictions", "accepted", "none") == n);
    }
}
