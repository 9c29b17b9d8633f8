package io.vigil.app;

import io.vigil.config.VigilConfig;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.serde.Json;
import java.io.IOException;
import java.time.Instant;
import io.vigil.metrics.IngestMetrics;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import io.vigil.topology.Ingest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vigil bench}: end-to-end throughput through a real broker. Fills a predictions topic (and a
 * ground-truth topic) from the simulator, reads it with a plain consumer, then runs the monitor on
 * it from the beginning and reports predictions/s until every record is accounted for (accepted +
 * dead-lettered = produced), next to the plain consumer's rate on the same topic in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Vigil.Version.class,
        description = "Measure end-to-end throughput against a real (embedded or given) Kafka broker.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--predictions", description = "Predictions to produce (default ${DEFAULT-VALUE}).")
    long predictions = 1_000_000;

    @Option(names = "--partitions", description = "Partitions of the input topics (default ${DEFAULT-VALUE}).")
    int partitions = 2;

    @Option(names = "--threads", description = "Stream threads (default ${DEFAULT-VALUE}).")
    int threads = 2;

    @Option(names = "--guarantee", description = "exactly_once_v2 or at_least_once (default ${DEFAULT-VALUE}).")
    String guarantee = "exactly_once_v2";

    @Option(names = "--bootstrap-servers", description = "Use this cluster instead of an embedded broker.")
    String bootstrapServers;

    @Option(names = "--days", description = "Event-time span the predictions are spread over, ending now "
            + "(default ${DEFAULT-VALUE}: 1M predictions over 30 days is a network of about 30k studies a day).")
    int spanDays = 30;

    @Option(names = "--set", description = "Override one monitor setting, key=value (repeatable), e.g. to "
            + "measure a subset of stages.")
    Map<String, String> overrides = new HashMap<>();

    @Option(names = "--timeout", description = "Give up after this many seconds (default ${DEFAULT-VALUE}).")
    long timeoutSeconds = 900;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("vigil-bench-");
        EmbeddedKafka embedded = bootstrapServers == null ? EmbeddedKafka.start(dir.resolve("kafka")) : null;
        String bootstrap = embedded == null ? bootstrapServers : embedded.bootstrapServers();
        String run = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        String predictionsTopic = run + ".predictions";
        String labelsTopic = run + ".ground-truth";
        try {
            Map<String, String> keep = Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1");
            EmbeddedKafka.createTopics(bootstrap, List.of(
                    new NewTopic(predictionsTopic, partitions, (short) 1).configs(keep),
                    new NewTopic(labelsTopic, partitions, (short) 1).configs(keep)));

            long[] produced = produce(bootstrap, predictionsTopic, labelsTopic);
            out("produced %,d predictions and %,d labels (%.0f predictions/s producer)%n",
                    produced[0], produced[1], produced[0] / (produced[2] / 1e9));

            double consumerRate = plainConsumerRate(bootstrap, predictionsTopic, produced[0]);
            out("plain consumer: %,.0f records/s%n", consumerRate);

            Map<String, Object> values = new HashMap<>();
            values.put(VigilConfig.BOOTSTRAP_SERVERS, bootstrap);
            values.put(VigilConfig.APPLICATION_ID, run + ".vigil");
            values.put(VigilConfig.STATE_DIR, dir.resolve("state").toString());
            values.put(VigilConfig.TOPIC_PREDICTIONS, predictionsTopic);
            values.put(VigilConfig.TOPIC_GROUND_TRUTH, labelsTopic);
            values.put(VigilConfig.TOPIC_DEAD_LETTERS, run + ".dead-letters");
            values.put(VigilConfig.TOPIC_SNAPSHOTS, run + ".snapshots");
            values.put(VigilConfig.TOPIC_ALERTS, run + ".alerts");
            values.put(VigilConfig.TOPIC_REFERENCES, run + ".references");
            values.put(VigilConfig.TOPIC_PARTITIONS, Integer.toString(partitions));
            values.put(VigilConfig.PROCESSING_GUARANTEE, guarantee);
            values.put(VigilConfig.NUM_STREAM_THREADS, Integer.toString(threads));
            values.put(VigilConfig.HTTP_PORT, "0");
            values.put("kafka.auto.offset.reset", "earliest");
            values.putAll(overrides);
            try (Monitor monitor = new Monitor(new VigilConfig(values))) {
                long start = System.nanoTime();
                monitor.start();
                long deadline = start + Duration.ofSeconds(timeoutSeconds).toNanos();
                long firstRunning = 0;
                long received = 0;
                IngestMetrics counts = monitor.ingestMetrics();
                while (System.nanoTime() < deadline) {
                    if (firstRunning == 0 && monitor.isRunning()) {
                        firstRunning = System.nanoTime();
                    }
                    received = counts.received(Ingest.Stream.PREDICTIONS);
                    if (received >= produced[0]) {
                        break;
                    }
                    Thread.sleep(50);
                }
                long end = System.nanoTime();
                if (received < produced[0]) {
                    out("TIMEOUT: %,d of %,d predictions processed%n", received, produced[0]);
                    return 1;
                }
                long labels = 0;
                while (System.nanoTime() < deadline) {
                    labels = monitor.outcomeJoinMetrics().labelsReceived();
                    if (labels >= produced[1]) {
                        break;
                    }
                    Thread.sleep(50);
                }
                long labelsEnd = System.nanoTime();
                double seconds = (end - firstRunning) / 1e9;
                double rate = produced[0] / seconds;
                double labelSeconds = (labelsEnd - firstRunning) / 1e9;
                long joinBytes = directorySize(dir.resolve("state"), "outcome-join-predictions");
                out("vigil (%s, %d partitions, %d threads): %,d predictions in %.1f s after RUNNING "
                                + "(%.1f s incl. startup) = %,.0f predictions/s, %.2f of the plain consumer%n",
                        guarantee, partitions, threads, produced[0], seconds, (end - start) / 1e9, rate,
                        rate / consumerRate);
                out("labels: %,d of %,d taken in by the outcome join %.1f s after RUNNING "
                                + "(with the predictions: %,.0f events/s)%n", labels, produced[1], labelSeconds,
                        (produced[0] + labels) / labelSeconds);
                out("outcome-join prediction store on disk: %,d bytes = %,.0f MB per million stored predictions%n",
                        joinBytes, joinBytes / (produced[0] / 1e6) / 1e6);
                out("| %s | %s | %d | %d | %,d | %,.0f | %,.0f | %.2f | %,d | %.1f |%n",
                        LocalDate.now(ZoneOffset.UTC), guarantee, partitions, threads, produced[0], consumerRate,
                        rate, rate / consumerRate, produced[1], labelSeconds);
            }
            return 0;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
            deleteRecursively(dir);
        }
    }

    private long[] produce(String bootstrap, String predictionsTopic, String labelsTopic) throws IOException {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        long nPredictions = 0;
        long nLabels = 0;
        // The simulator's default network makes about 1,500 predictions a day; a benchmark of N
        // predictions models a bigger network by compressing the simulated timeline linearly into the
        // last `spanDays` days (order and label delays scale together, so no label precedes its prediction).
        int days = (int) Math.max(30, predictions / 1_400 + 1);
        LocalDate start = LocalDate.now(ZoneOffset.UTC).minusDays(days + 1L);
        Instant simStart = start.atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant end = Instant.now().minus(Duration.ofHours(1));
        double factor = (double) spanDays / days;
        Instant newStart = end.minus(Duration.ofDays(spanDays));
        java.util.function.UnaryOperator<Instant> remap = t -> newStart.plusMillis(
                (long) (Duration.between(simStart, t).toMillis() * factor));
        long t0 = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                new ByteArraySerializer())) {
            for (SimEvent e : Simulator.create(Scenario.builtIn("default"), 42, start, days)
                    .withMaxPredictions(predictions)) {
                Instant t = remap.apply(e.time());
                if (t.isAfter(end)) {
                    continue; // a label beyond the horizon
                }
                if (e.isPrediction()) {
                    Prediction x = e.prediction();
                    Prediction moved = new Prediction(x.predictionId(), t, x.model(), x.task(), x.score(),
                            x.threshold(), x.predictedLabel(), x.site(), x.scanner(), x.subjectKey(), x.studyKey(),
                            x.demographics(), x.uncertainty(), x.abstained(), x.features(), x.attributes());
                    producer.send(new ProducerRecord<>(predictionsTopic, null, t.toEpochMilli(), e.key(),
                            Json.mapper().writeValueAsBytes(moved)));
                    nPredictions++;
                } else {
                    GroundTruth x = e.groundTruth();
                    GroundTruth moved = new GroundTruth(x.predictionId(), x.label(), t, x.source(), x.revision());
                    producer.send(new ProducerRecord<>(labelsTopic, null, t.toEpochMilli(), e.key(),
                            Json.mapper().writeValueAsBytes(moved)));
                    nLabels++;
                }
            }
            producer.flush();
        }
        return new long[] {nPredictions, nLabels, System.nanoTime() - t0};
    }

    private static double plainConsumerRate(String bootstrap, String topic, long expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-plain-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        long n = 0;
        long t0 = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            while (n < expected) {
                n += c.poll(Duration.ofMillis(500)).count();
            }
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    /** Bytes under every directory named {@code name} below {@code root} (a RocksDB store). */
    private static long directorySize(Path root, String name) {
        try (var paths = Files.walk(root)) {
            return paths.filter(p -> Files.isRegularFile(p))
                    .filter(p -> p.toString().contains("/" + name + "/"))
                    .mapToLong(p -> p.toFile().length()).sum();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static void out(String format, Object... args) {
        System.out.printf(format, args);
        System.out.flush();
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(paths.toList());
            java.util.Collections.reverse(all);
            for (Path path : all) {
                Files.deleteIfExists(path);
            }
        } catch (java.io.IOException e) {
            // best effort: a temp directory
        }
    }
}
