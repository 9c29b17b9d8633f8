package io.vigil.cli;

import io.vigil.events.GroundTruth;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.serde.Json;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The live stream of {@code vigil bench --live-rate}: a second model's simulated predictions at a fixed rate, with
 * their labels in the simulator's order, all stamped with the current time, from before the latency measurement's
 * warm-up until its end. Its model ({@link #MODEL}) is neither the replay's nor the latency probe's.
 *
 * <p>It shares the bench's two cores with the monitor and the broker, so it sends as cheaply as it can: the first
 * {@link #TEMPLATE_DAYS} simulated days of the default scenario are serialised once, with a fixed-width id and time,
 * and each send copies one of these templates and writes the round's id digits and the current time into the copy.
 * The templates are sent in order, round after round, each round with new ids (about 90,000 predictions a round).
 */
final class LiveLoad implements Runnable {
    static final ModelRef MODEL = new ModelRef("live-load", "1.0.0");

    /** Simulated days serialised as templates; a label later than this after its prediction is not sent. */
    static final int TEMPLATE_DAYS = 60;

    /** A time Jackson writes with all 24 characters of {@code yyyy-MM-ddTHH:mm:ss.SSSZ}. */
    private static final Instant PLACEHOLDER_TIME = Instant.parse("2001-02-03T04:05:06.789Z");

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final String ROUND_PLACEHOLDER = "RRRRRR";

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

    /** One serialised record: its key and value with the round and time placeholders at known offsets. */
    record Template(boolean prediction, String key, byte[] value, int[] roundAt, int timeAt) {
        /** A copy with this round's digits and this time written in. */
        byte[] render(byte[] roundDigits, byte[] time) {
            byte[] out = value.clone();
            for (int at : roundAt) {
                System.arraycopy(roundDigits, 0, out, at, roundDigits.length);
            }
            System.arraycopy(time, 0, out, timeAt, time.length);
            return out;
        }

        String key(String round) {
            return key.replace(ROUND_PLACEHOLDER, round);
        }
    }

    /** The first {@code days} simulated days of the default scenario as templates, in the simulator's order. */
    static List<Template> templates(int days) throws IOException {
        List<Template> out = new ArrayList<>();
        Map<String, String> ids = new HashMap<>();
        LocalDate start = LocalDate.now(ZoneOffset.UTC).minusDays(400);
        for (SimEvent e : Simulator.create(Scenario.builtIn("default"), 1000L, start, days)) {
            if (e.isPrediction()) {
                Prediction x = e.prediction();
                String id = String.format("live-%s-%08d", ROUND_PLACEHOLDER, ids.size());
                ids.put(x.predictionId(), id);
                Prediction live = x.restamped(id, PLACEHOLDER_TIME, MODEL);
                out.add(template(true, id, Json.mapper().writeValueAsBytes(live)));
            } else {
                GroundTruth x = e.groundTruth();
                String id = ids.get(x.predictionId());
                if (id != null) {
                    GroundTruth live = new GroundTruth(id, x.label(), PLACEHOLDER_TIME, x.source(), x.revision());
                    out.add(template(false, id, Json.mapper().writeValueAsBytes(live)));
                }
            }
        }
        return out;
    }

    private static Template template(boolean prediction, String id, byte[] json) {
        byte[] round = ROUND_PLACEHOLDER.getBytes(StandardCharsets.US_ASCII);
        List<Integer> roundAt = new ArrayList<>();
        for (int at = indexOf(json, round, 0); at >= 0; at = indexOf(json, round, at + round.length)) {
            roundAt.add(at);
        }
        byte[] time = TIME.format(PLACEHOLDER_TIME).getBytes(StandardCharsets.US_ASCII);
        int timeAt = indexOf(json, time, 0);
        if (roundAt.size() != 1 || timeAt < 0 || indexOf(json, time, timeAt + 1) >= 0) {
            throw new IllegalStateException("a live-load template must hold its id and its time once: "
                    + new String(json, StandardCharsets.UTF_8));
        }
        return new Template(
                prediction,
                id,
                json,
                roundAt.stream().mapToInt(Integer::intValue).toArray(),
                timeAt);
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void run() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, ThreadCpu.LOAD_GENERATOR_PREFIX + "live");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            List<Template> templates = templates(TEMPLATE_DAYS);
            startNanos = System.nanoTime();
            long periodNanos = (long) (1e9 / predictionsPerSecond);
            long timeMillis = Long.MIN_VALUE;
            byte[] time = null;
            for (int round = 0; running; round++) {
                String roundText = String.format("%06d", round % 1_000_000);
                byte[] roundDigits = roundText.getBytes(StandardCharsets.US_ASCII);
                for (Template t : templates) {
                    if (!running) {
                        break;
                    }
                    if (t.prediction()) {
                        // Asleep only when a millisecond or more ahead: a sleep per record (every ~100 µs at 10k/s)
                        // cost the generator more CPU than the sends.
                        long wait = startNanos + predictions.get() * periodNanos - System.nanoTime();
                        if (wait >= 1_000_000) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                    }
                    long now = System.currentTimeMillis();
                    if (now != timeMillis) {
                        time = TIME.format(Instant.ofEpochMilli(now)).getBytes(StandardCharsets.US_ASCII);
                        timeMillis = now;
                    }
                    producer.send(new ProducerRecord<>(
                            t.prediction() ? predictionsTopic : labelsTopic,
                            null,
                            now,
                            t.key(roundText),
                            t.render(roundDigits, time)));
                    (t.prediction() ? predictions : labels).incrementAndGet();
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
