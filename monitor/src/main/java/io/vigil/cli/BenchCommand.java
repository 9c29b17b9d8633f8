package io.vigil.cli;

import io.vigil.app.Monitor;
import io.vigil.broker.EmbeddedKafka;
import io.vigil.config.VigilConfig;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.serde.Json;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import io.vigil.stages.OutcomeJoin;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
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
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vigil bench}: end-to-end throughput through a real broker. Fills a predictions topic (and a
 * ground-truth topic) from the simulator, reads it with a plain consumer, then runs the monitor on
 * it from the beginning and reports predictions/s until every record is accounted for (accepted +
 * dead-lettered = produced), next to the plain consumer's rate on the same topic in the same run.
 *
 * <p>Also reports the heap after a full GC (before the monitor starts, at every millionth prediction
 * accounted for, at the end; one JVM holds the bench, the monitor and, unless
 * {@code --bootstrap-servers} is given, the embedded broker) and, with {@code --latency-labels N},
 * the prediction-to-{@code /metrics} and label-to-{@code /metrics} latencies of N probe records of a model of their
 * own ({@link LatencyProbe}), after the replay, optionally under the live load of a second model
 * ({@link LiveLoad}, {@code --live-rate} or {@code --live-fraction}).
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = {
            "Measure end-to-end throughput against a real (embedded or given) Kafka broker, the heap "
                    + "after full GCs and, with --latency-labels, the latency from a new prediction or label to "
                    + "/metrics, under live load with --live-rate or --live-fraction.",
            "Heap figures cover the whole JVM: bench, monitor and the embedded broker; the baseline taken "
                    + "before the monitor starts holds the broker's share at that point."
        })
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--predictions", description = "Predictions to produce (default ${DEFAULT-VALUE}).")
    long predictions = 1_000_000;

    @Option(names = "--partitions", description = "Partitions of the input topics (default ${DEFAULT-VALUE}).")
    int partitions = 2;

    @Option(names = "--threads", description = "Stream threads (default ${DEFAULT-VALUE}).")
    int threads = 2;

    @Option(
            names = "--instances",
            description = "Monitor instances sharing the work (one application.id, a state.dir each), started "
                    + "together in this JVM; with --set num.standby.replicas=1 each keeps warm copies of another's "
                    + "state. Counts and CPU are those of all instances together (default ${DEFAULT-VALUE}).")
    int instances = 1;

    @Option(names = "--guarantee", description = "exactly_once_v2 or at_least_once (default ${DEFAULT-VALUE}).")
    String guarantee = "exactly_once_v2";

    @Option(names = "--bootstrap-servers", description = "Use this cluster instead of an embedded broker.")
    String bootstrapServers;

    @Option(
            names = "--days",
            description =
                    "Event-time span the predictions are spread over, ending now "
                            + "(default ${DEFAULT-VALUE}: 1M predictions over 30 days is a network of about 30k studies a day).")
    int spanDays = 30;

    @Option(
            names = "--set",
            description =
                    "Override one monitor setting, key=value (repeatable), e.g. to " + "measure a subset of stages.")
    Map<String, String> overrides = new HashMap<>();

    @Option(
            names = "--no-floor",
            description = "Skip the no-op Kafka Streams application, measured by default: "
                    + "one that reads both input topics under the same guarantee and threads and only counts the records, "
                    + "the ceiling of any Kafka Streams application on this machine.")
    boolean noFloor;

    @Option(names = "--timeout", description = "Give up after this many seconds (default ${DEFAULT-VALUE}).")
    long timeoutSeconds = 900;

    @Option(
            names = "--latency-labels",
            description = "After the replay, produce N probe predictions and N probe labels of a model of their own "
                    + "(latency-probe; each label for the prediction sent 10 s before it), one of each per tick, and "
                    + "report how long each takes to show in /metrics (vigil_window_predictions of the widest "
                    + "exported drift window, vigil_window_labelled of the widest outcomes window, all slice): p50, "
                    + "p95, p99, max. With --live-rate or --live-fraction, under live load. 0 = off (default "
                    + "${DEFAULT-VALUE}). Bounded by the flush and snapshot intervals + the commit interval; lower "
                    + "them with --set to see the rest.")
    int latencyLabels = 0;

    @Option(
            names = "--latency-rate",
            description = "Probe predictions per second, and as many labels, during the latency measurement "
                    + "(default ${DEFAULT-VALUE}).")
    double latencyRate = 20;

    @Option(
            names = "--latency-poll-ms",
            description = "Milliseconds between the end of one GET /metrics and the start of the next during the "
                    + "latency measurement: the latencies' resolution, with one GET; each GET renders the whole page "
                    + "in the monitor, on the same cores (default ${DEFAULT-VALUE}).")
    long latencyPollMillis = 250;

    @Option(
            names = "--live-rate",
            description = "Predictions per second of a live stream of a second model (live-load, its labels as the "
                    + "simulator draws them, stamped with the current time), from before the latency measurement's "
                    + "warm-up until its end: the latency under load. 0 = none (default ${DEFAULT-VALUE}).")
    double liveRate = 0;

    @Option(
            names = "--live-fraction",
            description = "The live stream's predictions per second as a fraction of the replay's measured "
                    + "predictions/s (its labels come along, so 0.5 is half the measured capacity in events too); "
                    + "--live-rate, when given, wins. 0 = none (default ${DEFAULT-VALUE}).")
    double liveFraction = 0;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (instances < 1) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--instances must be at least 1, got " + instances);
        }
        Path dir = Files.createTempDirectory("vigil-bench-");
        EmbeddedKafka embedded = bootstrapServers == null ? EmbeddedKafka.start(dir.resolve("kafka")) : null;
        String bootstrap = embedded == null ? bootstrapServers : embedded.bootstrapServers();
        String run = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        String predictionsTopic = run + ".predictions";
        String labelsTopic = run + ".ground-truth";
        try {
            Map<String, String> keep = Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1");
            EmbeddedKafka.createTopics(
                    bootstrap,
                    List.of(
                            new NewTopic(predictionsTopic, partitions, (short) 1).configs(keep),
                            new NewTopic(labelsTopic, partitions, (short) 1).configs(keep)));

            long[] produced = produce(bootstrap, predictionsTopic, labelsTopic);
            out(
                    "produced %,d predictions and %,d labels (%.0f predictions/s producer)%n",
                    produced[0], produced[1], produced[0] / (produced[2] / 1e9));

            double consumerRate = plainConsumerRate(bootstrap, predictionsTopic, produced[0]);
            out("plain consumer: %,.0f records/s%n", consumerRate);
            double floorRate = Double.NaN;
            StreamsFloor.Result floor = null;
            if (!noFloor) {
                floor = StreamsFloor.run(
                        bootstrap,
                        List.of(predictionsTopic, labelsTopic),
                        produced[0] + produced[1],
                        guarantee,
                        threads,
                        dir.resolve("floor-state"),
                        run + ".floor",
                        Duration.ofSeconds(timeoutSeconds));
                floorRate = floor.rate();
                out(
                        "no-op Kafka Streams application (%s, %d threads, both topics, counts only): %s%n",
                        guarantee,
                        threads,
                        Double.isNaN(floorRate)
                                ? "did not finish within --timeout"
                                : String.format("%,.0f events/s", floorRate));
            }

            Map<String, Object> values = new HashMap<>();
            values.put(VigilConfig.BOOTSTRAP_SERVERS, bootstrap);
            values.put(VigilConfig.APPLICATION_ID, run + ".vigil");
            values.put(VigilConfig.TOPIC_PREDICTIONS, predictionsTopic);
            values.put(VigilConfig.TOPIC_GROUND_TRUTH, labelsTopic);
            values.put(VigilConfig.TOPIC_DEAD_LETTERS, run + ".dead-letters");
            values.put(VigilConfig.TOPIC_SNAPSHOTS, run + ".snapshots");
            values.put(VigilConfig.TOPIC_ALERTS, run + ".alerts");
            values.put(VigilConfig.TOPIC_INCIDENTS, run + ".incidents");
            values.put(VigilConfig.TOPIC_REFERENCES, run + ".references");
            values.put(VigilConfig.TOPIC_PARTITIONS, Integer.toString(partitions));
            values.put(VigilConfig.PROCESSING_GUARANTEE, guarantee);
            values.put(VigilConfig.NUM_STREAM_THREADS, Integer.toString(threads));
            values.put(VigilConfig.HTTP_PORT, "0");
            values.put("kafka.auto.offset.reset", "earliest");
            values.putAll(overrides);
            List<VigilConfig> configs = new ArrayList<>();
            // A state.dir given with --set is the parent of the instances' own directories, as the bench's is:
            // two instances on one directory would fight over its lock and task directories.
            Path stateRoot = values.containsKey(VigilConfig.STATE_DIR)
                    ? Path.of(values.get(VigilConfig.STATE_DIR).toString())
                    : dir.resolve("state");
            for (int i = 0; i < instances; i++) {
                Map<String, Object> own = new HashMap<>(values);
                own.put(
                        VigilConfig.STATE_DIR,
                        (instances == 1 ? stateRoot : stateRoot.resolve("instance-" + i)).toString());
                configs.add(new VigilConfig(own));
            }
            VigilConfig config = configs.get(0);
            String shape = instances == 1 ? "" : String.format(", %d instances", instances);

            List<String> heap = new ArrayList<>();
            long baselineHeap = heapAfterGc();
            heap.add(String.format(
                    "%,d MB before the monitor started (%s; the baseline)",
                    baselineHeap >> 20, embedded == null ? "topics filled" : "embedded broker up, topics filled"));
            try (MonitorInstances monitors = new MonitorInstances(configs)) {
                Monitor monitor = monitors.first();
                long start = System.nanoTime();
                ThreadCpu cpuBefore = ThreadCpu.take();
                monitors.start();
                long deadline = start + Duration.ofSeconds(timeoutSeconds).toNanos();
                long firstRunning = 0;
                long received = 0;
                // Full GCs stop every thread; their pauses are taken out of the measured time.
                long gcPauses = 0;
                long nextHeapMark = 1_000_000;
                while (System.nanoTime() < deadline) {
                    if (firstRunning == 0 && monitors.anyRunning()) {
                        firstRunning = System.nanoTime();
                    }
                    received = monitors.predictionsReceivedByIngest();
                    if (received >= nextHeapMark) {
                        long t = System.nanoTime();
                        long used = heapAfterGc();
                        gcPauses += System.nanoTime() - t;
                        heap.add(String.format(
                                "%,d MB at %,d predictions accounted for (+%,d MB)",
                                used >> 20, nextHeapMark, (used - baselineHeap) >> 20));
                        nextHeapMark += 1_000_000;
                    }
                    if (received >= produced[0] || monitors.anyFailed()) {
                        break;
                    }
                    Thread.sleep(50);
                }
                if (monitors.anyFailed()) {
                    out(
                            "FAILED: Kafka Streams stopped (states %s) after %,d of %,d predictions; see the log%n",
                            monitors.states(), received, produced[0]);
                    return 1;
                }
                long end = System.nanoTime() - gcPauses;
                if (received < produced[0]) {
                    out("TIMEOUT: %,d of %,d predictions processed%n", received, produced[0]);
                    return 1;
                }
                long labels = 0;
                while (System.nanoTime() < deadline) {
                    labels = monitors.labelsSettled();
                    // Predictions too: one whose slice value awaited its admission decision reaches the join
                    // after ingest counted it (SliceAssignment), so ingest alone does not mean joined.
                    if ((labels >= produced[1] && monitors.predictionsReceivedByJoin() >= produced[0])
                            || monitors.anyFailed()) {
                        break;
                    }
                    Thread.sleep(50);
                }
                if (monitors.anyFailed()) {
                    out(
                            "FAILED: Kafka Streams stopped (states %s) after %,d of %,d labels; see the log%n",
                            monitors.states(), labels, produced[1]);
                    return 1;
                }
                long labelsEnd = System.nanoTime() - gcPauses;
                ThreadCpu cpu = ThreadCpu.take().minus(cpuBefore);
                double seconds = (end - firstRunning) / 1e9;
                double rate = produced[0] / seconds;
                double labelSeconds = (labelsEnd - firstRunning) / 1e9;
                long joinBytes = directorySize(dir.resolve("state"), OutcomeJoin.PREDICTIONS_STORE);
                out(
                        "vigil (%s, %d partitions, %d threads%s): %,d predictions in %.1f s after RUNNING "
                                + "(%.1f s incl. startup) = %,.0f predictions/s, %.2f of the plain consumer%n",
                        guarantee,
                        partitions,
                        threads,
                        shape,
                        produced[0],
                        seconds,
                        (end - start) / 1e9,
                        rate,
                        rate / consumerRate);
                double eventRate = (produced[0] + labels) / labelSeconds;
                out(
                        "labels: %,d of %,d taken in by the outcome join %.1f s after RUNNING "
                                + "(with the predictions: %,.0f events/s%s)%n",
                        labels,
                        produced[1],
                        labelSeconds,
                        eventRate,
                        Double.isNaN(floorRate)
                                ? ""
                                : String.format(
                                        ", %.2f of the no-op Kafka Streams application", eventRate / floorRate));
                if (instances > 1) {
                    out("tasks at the end: %s%n", monitors.tasks());
                }
                cpuTable(cpu, produced[0] + labels, floor);
                // The join keeps every prediction until labels.max-delay-days: all of them await a label
                // (or, once labelled, a revision).
                out(
                        "outcome-join prediction store on disk: %,d bytes = %,.0f MB per million predictions awaiting "
                                + "labels (%,d held%s)%n",
                        joinBytes,
                        joinBytes / (produced[0] / 1e6) / 1e6,
                        produced[0],
                        config.getInt(VigilConfig.NUM_STANDBY_REPLICAS) > 0 && instances > 1
                                ? ", standby copies included"
                                : "");
                long indexBytes = directorySize(dir.resolve("state"), OutcomeJoin.EXPIRY_STORE);
                out(
                        "the join's other stores on disk: expiry index %,d bytes (%,.0f MB per million predictions), "
                                + "labels waiting for their prediction %,d bytes, ids of expired predictions %,d bytes%n",
                        indexBytes,
                        indexBytes / (produced[0] / 1e6) / 1e6,
                        directorySize(dir.resolve("state"), OutcomeJoin.ORPHANS_STORE),
                        directorySize(dir.resolve("state"), OutcomeJoin.EXPIRED_STORE));
                if (embedded != null) {
                    long changelogBytes = topicSize(dir.resolve("kafka"), OutcomeJoin.PREDICTIONS_STORE + "-changelog");
                    out(
                            "its changelog on the broker, before compaction (a prediction is written again when "
                                    + "labelled): %,d bytes = %,.0f MB per million predictions%n",
                            changelogBytes, changelogBytes / (produced[0] / 1e6) / 1e6);
                    long inputBytes = topicSize(dir.resolve("kafka"), predictionsTopic)
                            + topicSize(dir.resolve("kafka"), labelsTopic);
                    long vigilBytes = vigilTopicsSize(dir.resolve("kafka"), run, predictionsTopic, labelsTopic);
                    out(
                            "broker log segments: the input topics %,d bytes (%,.0f per prediction with its labels), "
                                    + "the topics Vigil wrote %,d bytes (%,.0f per prediction, %.1f× the input)%n",
                            inputBytes,
                            inputBytes / (double) produced[0],
                            vigilBytes,
                            vigilBytes / (double) produced[0],
                            vigilBytes / (double) inputBytes);
                }
                out(
                        "| %s | %s | %d | %d | %,d | %,.0f | %,.0f | %.2f | %,d | %.1f |%n",
                        LocalDate.now(ZoneOffset.UTC),
                        guarantee,
                        partitions,
                        threads,
                        produced[0],
                        consumerRate,
                        rate,
                        rate / consumerRate,
                        produced[1],
                        labelSeconds);
                if (latencyLabels > 0) {
                    measureLatency(bootstrap, predictionsTopic, labelsTopic, run, monitor, config, rate);
                }
                long used = heapAfterGc();
                heap.add(String.format("%,d MB at the end (+%,d MB)", used >> 20, (used - baselineHeap) >> 20));
                out(
                        "heap used after a full GC (%s, max heap %,d MB; one JVM: bench, monitor%s): %s%n",
                        gcNames(),
                        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax() >> 20,
                        embedded == null ? "" : " and the embedded broker",
                        String.join("; ", heap));
            }
            return 0;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
            deleteRecursively(dir);
        }
    }

    /**
     * The latency from a new record to {@code /metrics}, under live load with {@link #liveRate} (or
     * {@link #liveFraction}): {@link #latencyLabels} probe predictions and as many probe labels (model
     * {@link LatencyProbe#MODEL}), one of each per tick at {@link #latencyRate} per second, each label for the
     * prediction sent {@code lag} ticks (10 s) earlier, while {@code /metrics} is polled over HTTP. A prediction is
     * seen when the probe model's {@code all}-slice {@code vigil_window_predictions} of the widest exported drift
     * window has grown by as many as were sent up to it, a label likewise in {@code vigil_window_labelled} of the
     * widest exported outcomes window. The probe model has nothing else, so nothing but the probes moves either
     * count. Prints the percentiles next to the settings that bound them, and the monitor's CPU per event over the
     * measurement.
     */
    private void measureLatency(
            String bootstrap,
            String predictionsTopic,
            String labelsTopic,
            String run,
            Monitor monitor,
            VigilConfig config,
            double replayPredictionsPerSecond)
            throws Exception {
        long flushMs = Math.max(
                config.getLong(VigilConfig.OUTCOMES_FLUSH_INTERVAL_MS),
                config.getLong(VigilConfig.DRIFT_FLUSH_INTERVAL_MS));
        long snapshotMs = Math.max(
                config.getLong(VigilConfig.OUTCOMES_SNAPSHOT_INTERVAL_MS),
                config.getLong(VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS));
        Object commitMs = config.streamsProperties().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
        String labelWindow = widestExportedWindow(config, config.outcomeWindowDays(), "outcomes");
        String predictionWindow = widestExportedWindow(
                config, VigilConfig.windowDays(config.getList(VigilConfig.DRIFT_WINDOWS)), "drift");
        String settings = String.format(
                "drift.flush-interval-ms=%d, drift.snapshot-interval-ms=%d, outcomes.flush-interval-ms=%d, "
                        + "outcomes.snapshot-interval-ms=%d, commit.interval.ms=%s, %s",
                config.getLong(VigilConfig.DRIFT_FLUSH_INTERVAL_MS),
                config.getLong(VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS),
                config.getLong(VigilConfig.OUTCOMES_FLUSH_INTERVAL_MS),
                config.getLong(VigilConfig.OUTCOMES_SNAPSHOT_INTERVAL_MS),
                commitMs,
                guarantee);
        int n = latencyLabels;
        int lag = (int) Math.max(1, Math.ceil(latencyRate * 10));
        long periodNanos = (long) (1e9 / latencyRate);
        // The longest a record can wait for the flush, the snapshot and the commit that publish it, and then some.
        long quietNanos = Duration.ofMillis(flushMs + snapshotMs + 5_000).toNanos()
                + Duration.ofMillis(Long.parseLong(commitMs.toString())).toNanos();
        String host = config.getString(VigilConfig.HTTP_BIND);
        URI metrics = URI.create("http://" + (host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host) + ":"
                + monitor.http().port() + "/metrics");
        MetricsPoller poller =
                new MetricsPoller(metrics, predictionWindow, labelWindow, LatencyProbe.MODEL.id(), latencyPollMillis);
        Thread pollThread = new Thread(poller, "bench-metrics-poller");
        pollThread.setDaemon(true);
        double rate = liveRate > 0 ? liveRate : liveFraction * replayPredictionsPerSecond;
        LiveLoad live = rate > 0 ? new LiveLoad(bootstrap, predictionsTopic, labelsTopic, rate) : null;
        Thread liveThread = null;
        try (LatencyProbe probe = new LatencyProbe(bootstrap, predictionsTopic, labelsTopic, run)) {
            if (live != null) {
                liveThread = new Thread(live, ThreadCpu.LOAD_GENERATOR_PREFIX + "live");
                liveThread.setDaemon(true);
                liveThread.start();
            }
            pollThread.start();
            // Warm-up: the probe model's first predictions (the labels of the first ticks are theirs) open its
            // slices; the live load, if any, runs meanwhile. Measured from when all of them are on /metrics.
            for (int i = 0; i < lag; i++) {
                probe.sendPrediction();
                Thread.sleep(periodNanos / 1_000_000);
            }
            long warmDeadline = System.nanoTime() + Duration.ofMinutes(5).toNanos() + 2 * quietNanos;
            while (poller.latestPredictions() < lag && System.nanoTime() < warmDeadline) {
                Thread.sleep(100);
            }
            long predictionBaseline = poller.latestPredictions();
            long labelBaseline = Math.max(0, poller.latestLabelled());
            if (predictionBaseline < lag) {
                out(
                        "latency: the probe model's %d warm-up predictions never all showed on /metrics (%s{model=\"%s\","
                                + "slice=\"all\",window=\"%s\"} = %d); not measured%n",
                        lag, LabelLatency.PREDICTIONS, LatencyProbe.MODEL.id(), predictionWindow, predictionBaseline);
                return;
            }
            long liveBefore = live == null ? 0 : live.events();
            ThreadCpu cpuBefore = ThreadCpu.take();
            long[] predictionSent = new long[n];
            long[] labelSent = new long[n];
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long wait = t0 + i * periodNanos - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                predictionSent[i] = System.nanoTime();
                probe.sendPrediction();
                labelSent[i] = System.nanoTime();
                probe.sendLabel(i);
            }
            long waitDeadline =
                    System.nanoTime() + 2 * quietNanos + Duration.ofSeconds(30).toNanos();
            while ((poller.latestPredictions() < predictionBaseline + n || poller.latestLabelled() < labelBaseline + n)
                    && System.nanoTime() < waitDeadline) {
                Thread.sleep(100);
            }
            ThreadCpu cpu = ThreadCpu.take().minus(cpuBefore);
            long liveEvents = live == null ? 0 : live.events() - liveBefore;
            double measuredSeconds = (System.nanoTime() - t0) / 1e9;
            poller.stop();
            pollThread.join(10_000);
            String under = live == null ? "" : " under live load";
            report(
                    "prediction",
                    under,
                    LabelLatency.latencies(predictionSent, predictionBaseline, poller.predictionObservations()),
                    LabelLatency.PREDICTIONS,
                    predictionWindow,
                    poller);
            report(
                    "label",
                    under,
                    LabelLatency.latencies(labelSent, labelBaseline, poller.labelledObservations()),
                    LabelLatency.LABELLED,
                    labelWindow,
                    poller);
            out("latency settings: %s%n", settings);
            long events = liveEvents + 2L * n;
            out(
                    "during the measurement (%.0f s): %,d events (%,.0f/s: the live load's and the probes'); the monitor's "
                            + "CPU per event: stream threads %s µs, application %s µs (the load generators' %s µs apart)%n",
                    measuredSeconds,
                    events,
                    events / measuredSeconds,
                    ThreadCpu.perEvent(cpu.nanos(ThreadCpu.STREAM) + cpu.nanos(ThreadCpu.GLOBAL), events),
                    ThreadCpu.perEvent(cpu.applicationNanos(), events),
                    ThreadCpu.perEvent(cpu.nanos(ThreadCpu.LOAD_GENERATORS), events));
            for (String row : ThreadCpu.table(cpu, events, null, 0)) {
                out("%s%n", row);
            }
            out("/metrics at the end: %,d series in %,d KB%n", poller.lastSeries(), poller.lastPageBytes() >> 10);
        } finally {
            poller.stop();
            if (live != null) {
                live.stop();
                if (liveThread != null) {
                    liveThread.join(30_000);
                }
                out("%s%n", live.summary());
            }
        }
    }

    private void report(
            String what, String under, long[] latencies, String metric, String window, MetricsPoller poller) {
        long seen = java.util.Arrays.stream(latencies).filter(v -> v >= 0).count();
        out(
                "%s latency to /metrics%s (%,d %ss at %.2f/s, %s{model=\"%s\",slice=\"all\",window=\"%s\"} polled every "
                        + "%d ms + %.0f ms mean GET of %,d KB): p50 %.2f s, p95 %.2f s, p99 %.2f s, max %.2f s "
                        + "(%,d of %,d seen)%n",
                what,
                under,
                latencies.length,
                what,
                latencyRate,
                metric,
                LatencyProbe.MODEL.id(),
                window,
                latencyPollMillis,
                poller.meanGetMillis(),
                poller.lastPageBytes() >> 10,
                seconds(LabelLatency.percentile(latencies, 50)),
                seconds(LabelLatency.percentile(latencies, 95)),
                seconds(LabelLatency.percentile(latencies, 99)),
                seconds(LabelLatency.percentile(latencies, 100)),
                seen,
                latencies.length);
    }

    /**
     * The widest of a stage's windows that {@code /metrics} shows: without metrics.detail only metrics.windows are
     * exported (default 7d and 30d), and a window that is computed but not exported has no series to poll.
     */
    private static String widestExportedWindow(VigilConfig config, List<Integer> windowDays, String stage) {
        boolean detail = config.getBoolean(VigilConfig.METRICS_DETAIL);
        Set<String> exported = config.getList(VigilConfig.METRICS_WINDOWS).stream()
                .map(String::strip)
                .collect(Collectors.toSet());
        return windowDays.stream()
                        .mapToInt(Integer::intValue)
                        .filter(days -> detail || exported.contains(days + "d"))
                        .max()
                        .orElseThrow(() -> new IllegalStateException("no " + stage
                                + " window is exported on /metrics (metrics.windows): latency not measurable"))
                + "d";
    }

    /**
     * CPU microseconds per event by thread group for the monitor (from {@code start()} until every prediction and
     * label was taken in, its startup included, and with it the full GCs of the heap readings) and for the no-op
     * application, with the Java version and the machine's load: on a shared machine wall time is noise, CPU per
     * event is the figure to compare.
     */
    private static void cpuTable(ThreadCpu vigil, long vigilEvents, StreamsFloor.Result floor) {
        out(
                "CPU per event (Java %s, %d processors, load average %s; thread CPU from ThreadMXBean, GC and JIT "
                        + "threads from /proc/self/task):%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), loadAverage());
        for (String row : ThreadCpu.table(
                vigil, vigilEvents, floor == null ? null : floor.cpu(), floor == null ? 0 : floor.events())) {
            out("%s%n", row);
        }
    }

    /** The first three fields of {@code /proc/loadavg}, or "n/a". */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static double seconds(long nanos) {
        return nanos < 0 ? Double.NaN : nanos / 1e9;
    }

    /**
     * Polls {@code /metrics} with a fixed pause between GETs and records each answer's predictions and labelled
     * totals of one model.
     */
    private static final class MetricsPoller implements Runnable {
        private final HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final HttpRequest request;
        private final String predictionWindow;
        private final String labelWindow;
        private final String model;
        private final long pauseMillis;
        private final List<LabelLatency.Observation> predictions = new ArrayList<>();
        private final List<LabelLatency.Observation> labelled = new ArrayList<>();
        private volatile boolean running = true;
        private volatile long latestPredictions = -1;
        private volatile long latestLabelled = -1;
        private volatile long lastPageBytes;
        private volatile long lastSeries;
        private long getNanos;
        private long gets;

        MetricsPoller(URI uri, String predictionWindow, String labelWindow, String model, long pauseMillis) {
            this.request = HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(30))
                    .GET()
                    .build();
            this.predictionWindow = predictionWindow;
            this.labelWindow = labelWindow;
            this.model = model;
            this.pauseMillis = pauseMillis;
        }

        @Override
        public void run() {
            while (running) {
                try {
                    long t = System.nanoTime();
                    HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                    long at = System.nanoTime();
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("GET " + request.uri() + " answered " + r.statusCode()
                                + " (the latency poller speaks plain HTTP without credentials)");
                    }
                    long p = LabelLatency.countAll(r.body(), LabelLatency.PREDICTIONS, predictionWindow, model);
                    long l = LabelLatency.countAll(r.body(), LabelLatency.LABELLED, labelWindow, model);
                    synchronized (this) {
                        predictions.add(new LabelLatency.Observation(at, p));
                        labelled.add(new LabelLatency.Observation(at, l));
                        getNanos += at - t;
                        gets++;
                    }
                    lastPageBytes = r.body().length();
                    lastSeries = r.body()
                            .lines()
                            .filter(line -> !line.isEmpty() && line.charAt(0) != '#')
                            .count();
                    latestPredictions = p;
                    latestLabelled = l;
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (java.io.IOException e) {
                    out("GET /metrics failed: %s%n", e);
                }
            }
        }

        void stop() {
            running = false;
        }

        long latestPredictions() {
            return latestPredictions;
        }

        long latestLabelled() {
            return latestLabelled;
        }

        long lastSeries() {
            return lastSeries;
        }

        long lastPageBytes() {
            return lastPageBytes;
        }

        synchronized List<LabelLatency.Observation> predictionObservations() {
            return List.copyOf(predictions);
        }

        synchronized List<LabelLatency.Observation> labelledObservations() {
            return List.copyOf(labelled);
        }

        synchronized double meanGetMillis() {
            return gets == 0 ? Double.NaN : getNanos / 1e6 / gets;
        }
    }

    /**
     * Heap in use right after a full GC that really ran. On JDK 17 a full GC requested while any thread
     * is inside a JNI critical region (lz4 compression, RocksDB) is skipped without a word, and the
     * reading then counts garbage as heap (seen here as one-off readings 1 GB above their neighbours): so
     * it retries until a full collector's count moves, and says so if it never does.
     */
    private static long heapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int attempt = 0; attempt < 100; attempt++) {
            long before = fullCollections();
            memory.gc();
            if (fullCollections() > before) {
                return memory.getHeapMemoryUsage().getUsed();
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        out("(heap reading below taken without a confirmed full GC)%n");
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Collections so far by the collectors that collect the whole heap (not the young-generation ones). */
    private static long fullCollections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = gc.getName();
            if (!(name.contains("Young") || name.contains("Scavenge") || name.equals("Copy"))) {
                n += gc.getCollectionCount();
            }
        }
        return n;
    }

    private static String gcNames() {
        return String.join(
                " + ",
                ManagementFactory.getGarbageCollectorMXBeans().stream()
                        .map(GarbageCollectorMXBean::getName)
                        .toList());
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
        java.util.function.UnaryOperator<Instant> remap =
                t -> newStart.plusMillis((long) (Duration.between(simStart, t).toMillis() * factor));
        long t0 = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (SimEvent e : Simulator.create(Scenario.builtIn("default"), 42, start, days)
                    .withMaxPredictions(predictions)) {
                Instant t = remap.apply(e.time());
                if (t.isAfter(end)) {
                    continue; // a label beyond the horizon
                }
                if (e.isPrediction()) {
                    Prediction x = e.prediction();
                    Prediction moved = x.restamped(x.predictionId(), t, x.model());
                    producer.send(new ProducerRecord<>(
                            predictionsTopic,
                            null,
                            t.toEpochMilli(),
                            e.key(),
                            Json.mapper().writeValueAsBytes(moved)));
                    nPredictions++;
                } else {
                    GroundTruth x = e.groundTruth();
                    GroundTruth moved = new GroundTruth(x.predictionId(), x.label(), t, x.source(), x.revision());
                    producer.send(new ProducerRecord<>(
                            labelsTopic,
                            null,
                            t.toEpochMilli(),
                            e.key(),
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
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            while (n < expected) {
                n += c.poll(Duration.ofMillis(500)).count();
            }
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    /** Bytes under every directory named {@code name} below {@code root} (a RocksDB store). */
    private static long directorySize(Path root, String name) {
        return bytesOf(root, p -> p.toString().contains("/" + name + "/"));
    }

    /** Bytes of the log segments in every partition directory ({@code <topic>-<n>}) of the topic ending with {@code suffix}. */
    private static long topicSize(Path logDirs, String suffix) {
        java.util.regex.Pattern partitionDir =
                java.util.regex.Pattern.compile(".*" + java.util.regex.Pattern.quote(suffix) + "-\\d+");
        // Segment files only: the active segment's index files are preallocated (sparse, 10 MB each).
        return bytesOf(
                logDirs,
                p -> p.getFileName().toString().endsWith(".log")
                        && partitionDir
                                .matcher(p.getParent().getFileName().toString())
                                .matches());
    }

    /**
     * Bytes of the log segments of every topic of this run other than its inputs and the no-op app's: what the
     * monitor wrote (repartition and changelog topics, snapshots, alerts, dead letters), before compaction.
     */
    private static long vigilTopicsSize(Path logDirs, String run, String... inputs) {
        java.util.regex.Pattern partitionDir =
                java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(run + ".") + ".*-\\d+");
        java.util.Set<String> excluded = new java.util.HashSet<>(List.of(inputs));
        excluded.add(run + ".floor");
        return bytesOf(logDirs, p -> {
            if (!p.getFileName().toString().endsWith(".log")) {
                return false;
            }
            String dirName = p.getParent().getFileName().toString();
            if (!partitionDir.matcher(dirName).matches()) {
                return false;
            }
            String topic = dirName.substring(0, dirName.lastIndexOf('-'));
            return excluded.stream().noneMatch(topic::startsWith);
        });
    }

    /** Total length of the regular files below {@code root} that {@code include} accepts; -1 if unreadable. */
    private static long bytesOf(Path root, java.util.function.Predicate<Path> include) {
        try (var paths = Files.walk(root)) {
            return paths.filter(p -> Files.isRegularFile(p) && include.test(p))
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static void out(String format, Object... args) {
        System.out.printf(format, args);
        System.out.flush();
    }

    static void deleteRecursively(Path dir) {
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
