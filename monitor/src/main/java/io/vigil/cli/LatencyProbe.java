package io.vigil.cli;

import io.vigil.events.GroundTruth;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.serde.Json;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The measured records of {@code vigil bench --latency-labels}: predictions and labels of a model of their own
 * ({@link #MODEL}), stamped with the current time when sent, so that their counts on {@code /metrics} move by one
 * per probe record and by nothing else: no other model's records and no window edge (a probe is always in today's
 * cohort, and so is every other record a live load sends). A probe prediction is a simulated one of the default
 * scenario with a new id, time and model; its label is drawn from its score (a calibrated model's outcome).
 *
 * <p>Each send waits for the broker's acknowledgement (acks=all), so a record's send time is when the monitor could
 * first read it, give or take the producer's round trip.
 */
final class LatencyProbe implements AutoCloseable {
    static final ModelRef MODEL = new ModelRef("latency-probe", "1.0.0");

    private final String predictionsTopic;
    private final String labelsTopic;
    private final KafkaProducer<String, byte[]> producer;
    private final Iterator<SimEvent> simulated;
    private final List<Prediction> sent = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom(42);
    private final String idPrefix;

    LatencyProbe(String bootstrap, String predictionsTopic, String labelsTopic, String run) {
        this.predictionsTopic = predictionsTopic;
        this.labelsTopic = labelsTopic;
        this.idPrefix = "probe-" + run + "-";
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, ThreadCpu.LOAD_GENERATOR_PREFIX + "probe");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.simulated = Simulator.create(
                        Scenario.builtIn("default"),
                        7,
                        LocalDate.now(ZoneOffset.UTC).minusDays(400),
                        365)
                .iterator();
    }

    /** Sends the next probe prediction, stamped now; returns its index (0, 1, ...). */
    int sendPrediction() throws IOException, InterruptedException, ExecutionException {
        Prediction x = nextSimulatedPrediction();
        Instant now = Instant.now();
        String id = idPrefix + sent.size();
        Prediction probe = x.restamped(id, now, MODEL);
        producer.send(new ProducerRecord<>(
                        predictionsTopic,
                        null,
                        now.toEpochMilli(),
                        id,
                        Json.mapper().writeValueAsBytes(probe)))
                .get();
        sent.add(probe);
        return sent.size() - 1;
    }

    /** Sends the label of probe prediction {@code index}, drawn from its score and observed now. */
    void sendLabel(int index) throws IOException, InterruptedException, ExecutionException {
        Prediction target = sent.get(index);
        int label = random.nextDouble() < target.score() ? 1 : 0;
        Instant now = Instant.now();
        byte[] json =
                Json.mapper().writeValueAsBytes(new GroundTruth(target.predictionId(), label, now, "pathology", 0));
        producer.send(new ProducerRecord<>(labelsTopic, null, now.toEpochMilli(), target.predictionId(), json))
                .get();
    }

    private Prediction nextSimulatedPrediction() {
        while (simulated.hasNext()) {
            SimEvent e = simulated.next();
            if (e.isPrediction()) {
                return e.prediction();
            }
        }
        throw new IllegalStateException("the simulated year ran out of predictions for the latency probe");
    }

    @Override
    public void close() {
        producer.close();
    }
}
