package io.vigil.cli;

import io.vigil.events.GroundTruth;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.serde.Json;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The live stream of {@code vigil bench --live-rate}: a second model's simulated predictions at a fixed rate,
 * with their labels in the simulator's order, all stamped with the current time, from before the latency
 * measurement's warm-up until its end. A year of the default scenario is replayed as fast as the rate asks and again
 * with new ids when it runs out. Its model ({@link #MODEL}) is neither the replay's nor the latency probe's.
 */
final class LiveLoad implements Runnable {
    static final ModelRef MODEL = new ModelRef("live-load", "1.0.0");

    private final String bootstrap;
    private final String predictionsTopic;
    private final String labelsTopic;
    private final double predictionsPerSecond;
    private final AtomicLong predictions = new AtomicLong();
    private final AtomicLong labels = new AtomicLong();
    private volatile boolean running = true;
    private volatile Exception failure;
    private volatile long startNanos;
    private volatile long endNanos;

    LiveLoad(String bootstrap, String predictionsTopic, String labelsTopic, double predictionsPerSecond) {
        if (!(predictionsPerSecond > 0)) {
            throw new IllegalArgumentException("rate must be positive, got " + predictionsPerSecond);
        }
        this.bootstrap = bootstrap;
        this.predictionsTopic = predictionsTopic;
        this.labelsTopic = labelsTopic;
        this.predictionsPerSecond = predictionsPerSecond;
    }

    @Override
    public void run() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, ThreadCpu.LOAD_GENERATOR_PREFIX + "live");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        startNanos = System.nanoTime();
        long periodNanos = (long) (1e9 / predictionsPerSecond);
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            LocalDate start = LocalDate.now(ZoneOffset.UTC).minusDays(400);
            for (int round = 0; running; round++) {
                String prefix = "live-" + round + "-";
                for (SimEvent e : Simulator.create(Scenario.builtIn("default"), 1000L + round, start, 365)) {
                    if (!running) {
                        break;
                    }
                    String id = prefix + e.key();
                    if (e.isPrediction()) {
                        long wait = startNanos + predictions.get() * periodNanos - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        Instant now = Instant.now();
                        Prediction x = e.prediction();
                        Prediction live = new Prediction(
                                id,
                                now,
                                MODEL,
                                x.task(),
                                x.score(),
                                x.threshold(),
                                x.predictedLabel(),
                                x.site(),
                                x.scanner(),
                                x.subjectKey(),
                                x.studyKey(),
                                x.demographics(),
                                x.uncertainty(),
                                x.abstained(),
                                x.features(),
                                x.attributes());
                        producer.send(new ProducerRecord<>(
                                predictionsTopic,
                                null,
                                now.toEpochMilli(),
                                id,
                                Json.mapper().writeValueAsBytes(live)));
                        predictions.incrementAndGet();
                    } else {
                        Instant now = Instant.now();
                        GroundTruth x = e.groundTruth();
                        GroundTruth live = new GroundTruth(id, x.label(), now, x.source(), x.revision());
                        producer.send(new ProducerRecord<>(
                                labelsTopic,
                                null,
                                now.toEpochMilli(),
                                id,
                                Json.mapper().writeValueAsBytes(live)));
                        labels.incrementAndGet();
                    }
                }
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failure = e;
        } finally {
            endNanos = System.nanoTime();
        }
    }

    /** Predictions and labels sent so far. */
    long events() {
        return predictions.get() + labels.get();
    }

    void stop() {
        running = false;
    }

    /** What was sent, for the bench's report; call after the thread ended. */
    String summary() {
        double seconds = (endNanos - startNanos) / 1e9;
        return String.format(
                "live load: %,d predictions and %,d labels of model %s in %.0f s (%,.0f predictions/s, %,.0f events/s;"
                        + " asked %,.0f predictions/s)%s",
                predictions.get(),
                labels.get(),
                MODEL.id(),
                seconds,
                predictions.get() / seconds,
                (predictions.get() + labels.get()) / seconds,
                predictionsPerSecond,
                failure == null ? "" : "; FAILED: " + failure);
    }
}
