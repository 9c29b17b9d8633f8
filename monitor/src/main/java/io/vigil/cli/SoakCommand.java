package io.vigil.cli;

import io.vigil.broker.BrokerProcess;
import io.vigil.broker.EmbeddedKafka;
import io.vigil.config.VigilConfig;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.serde.Json;
import io.vigil.sim.HostileRecords;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import io.vigil.topics.Input;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vigil soak}: Vigil as a hospital runs it, for half an hour, with faults. A Kafka broker in its
 * own JVM ({@link BrokerProcess}) and {@code vigil run} in another; simulated predictions and labels at a
 * steady rate with a share of hostile records ({@link HostileRecords}); the broker restarted at a quarter
 * of the run and Vigil killed with SIGKILL (and started again on its state directory) halfway. Every
 * minute Vigil's heap is measured after a full GC ({@code jcmd GC.run}, then {@code /metrics}). At the
 * end, once the input is consumed, {@link SoakCheck} judges the accounting (exact, per stream), the
 * heap (first vs last 10 of the measured minutes, after {@code --warmup-minutes} of load), deadlocks and
 * readiness. Exit 0 when every verdict passes.
 */
@Command(
        name = "soak",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = {
            "Run Vigil for a long time against a broker in its own JVM, with hostile records, a broker "
                    + "restart and a SIGKILL of Vigil, then check that every record is accounted for exactly, the heap "
                    + "after GC stayed flat and no thread is deadlocked.",
            "Needs a JDK (jcmd) and about 3 GB of memory; files in --dir (default a temporary directory, "
                    + "deleted unless --keep)."
        })
final class SoakCommand implements Callable<Integer> {
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(10);
    private static final String COUNTER = "vigil_ingest_records_total";

    @Option(names = "--minutes", description = "Length of the load (default ${DEFAULT-VALUE}).")
    double minutes = 30;

    @Option(
            names = "--rate",
            description = "Predictions per second (default ${DEFAULT-VALUE}: half of the "
                    + "12,542/s `vigil bench` measured at the defaults on 2 cores, see docs/benchmarks.md).")
    double rate = 6_000;

    @Option(names = "--hostile", description = "Hostile records per valid record (default ${DEFAULT-VALUE}).")
    double hostileFraction = 0.01;

    @Option(
            names = "--oversized",
            description = "Share of hostile predictions that are 1.5 MiB " + "(default ${DEFAULT-VALUE}).")
    double oversizedFraction = 0.002;

    @Option(names = "--partitions", description = "Partitions of the input topics (default ${DEFAULT-VALUE}).")
    int partitions = 2;

    @Option(
            names = "--broker-restart-at",
            description = "When to restart the broker, as a fraction of --minutes "
                    + "(default ${DEFAULT-VALUE}; negative: never).")
    double brokerRestartAt = 0.25;

    @Option(
            names = "--kill-at",
            description = "When to SIGKILL Vigil, as a fraction of --minutes "
                    + "(default ${DEFAULT-VALUE}; negative: never).")
    double killAt = 0.5;

    @Option(
            names = "--warmup-minutes",
            description = "Load before the measured --minutes begin (default ${DEFAULT-VALUE}): the heap grows "
                    + "while caches and the aggregates of every slice fill (measured 2026-12-03: 19 MB to 149 MB in "
                    + "the first 10 minutes, flat after). The faults and the heap windows are placed in the measured "
                    + "part; 0 measures from the start.")
    double warmupMinutes = 10;

    @Option(names = "--heap-every", description = "Seconds between heap measurements (default ${DEFAULT-VALUE}).")
    long heapEverySeconds = 60;

    @Option(
            names = "--settle-minutes",
            description = "How long Vigil may take after the load to account for "
                    + "every record (default ${DEFAULT-VALUE}).")
    long settleMinutes = 20;

    @Option(names = "--vigil-heap", description = "-Xmx of Vigil's JVM (default ${DEFAULT-VALUE}).")
    String vigilHeap = "1g";

    @Option(names = "--dir", description = "Directory for the broker, Vigil's state, logs and the report.")
    Path dir;

    @Option(names = "--keep", description = "Keep --dir's files after the run.")
    boolean keep;

    @Option(names = "--set", description = "Override one Vigil setting, key=value (repeatable).")
    Map<String, String> overrides = new HashMap<>();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public Integer call() throws Exception {
        Path base = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("vigil-soak-");
        List<String> report = new ArrayList<>();
        // Ctrl-C or a kill of the soak takes its broker and Vigil JVMs with it.
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly),
                        "soak-reaper"));
        try (BrokerProcess broker = BrokerProcess.start(base.resolve("kafka"))) {
            say(report, "broker (own JVM, pid %d) at %s; files in %s", broker.pid(), broker.bootstrapServers(), base);
            Map<String, String> settings = settings(broker.bootstrapServers(), base);
            // The input topics take the oversized records, the dead-letter topic keeps the broker's 1 MiB.
            Map<String, String> inputConfigs = Map.of(
                    TopicConfig.RETENTION_MS_CONFIG,
                    "-1",
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                    Integer.toString(4 << 20));
            EmbeddedKafka.createTopics(
                    broker.bootstrapServers(),
                    List.of(
                            new NewTopic(settings.get(VigilConfig.TOPIC_PREDICTIONS), partitions, (short) 1)
                                    .configs(inputConfigs),
                            new NewTopic(settings.get(VigilConfig.TOPIC_GROUND_TRUTH), partitions, (short) 1)
                                    .configs(inputConfigs)));
            URI uri = URI.create("http://127.0.0.1:" + settings.get(VigilConfig.HTTP_PORT));
            Process vigil = startVigil(settings, base, 0);
            long readyMillis = awaitReady(uri, vigil, Duration.ofMinutes(5));
            say(report, "vigil run (own JVM, pid %d, -Xmx%s) ready in %,d ms", vigil.pid(), vigilHeap, readyMillis);

            Traffic traffic = new Traffic(broker.bootstrapServers(), settings);
            Thread producer = new Thread(traffic, "soak-producer");
            producer.start();
            // t0 is where the measured minutes start, after the warm-up; the load starts warmupMinutes before it.
            long t0 = System.nanoTime() + (long) (warmupMinutes * 60e9);
            long end = t0 + (long) (minutes * 60e9);
            long restartAt = brokerRestartAt < 0 ? Long.MAX_VALUE : t0 + (long) (brokerRestartAt * minutes * 60e9);
            long killAtNanos = killAt < 0 ? Long.MAX_VALUE : t0 + (long) (killAt * minutes * 60e9);
            long nextHeap = System.nanoTime();
            int readySamples = 0;
            int readyOk = 0;
            List<SoakCheck.HeapSample> heap = new ArrayList<>();
            while (System.nanoTime() < end) {
                long now = System.nanoTime();
                double minute = (now - t0) / 60e9;
                if (now >= restartAt) {
                    restartAt = Long.MAX_VALUE;
                    long t = System.nanoTime();
                    broker.restart();
                    say(
                            report,
                            "minute %.1f: broker restarted (SIGTERM, start) in %,d ms",
                            minute,
                            (System.nanoTime() - t) / 1_000_000);
                } else if (now >= killAtNanos) {
                    killAtNanos = Long.MAX_VALUE;
                    vigil.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                    long t = System.nanoTime();
                    vigil = startVigil(settings, base, 1);
                    // Exactly-once wipes the unclean stores and restores them from their changelogs: minutes.
                    long ready = awaitReady(uri, vigil, Duration.ofMinutes(15));
                    say(
                            report,
                            "minute %.1f: vigil killed with SIGKILL; the new process (pid %d) was ready in %,d ms",
                            minute,
                            vigil.pid(),
                            (System.nanoTime() - t) / 1_000_000);
                } else if (now >= nextHeap) {
                    nextHeap += TimeUnit.SECONDS.toNanos(heapEverySeconds);
                    long bytes = heapAfterGc(vigil, uri);
                    if (bytes > 0) {
                        heap.add(new SoakCheck.HeapSample(minute, bytes));
                    }
                }
                readySamples++;
                readyOk += status(uri.resolve("/health/ready")) == 200 ? 1 : 0;
                if (!vigil.isAlive()) {
                    say(
                            report,
                            "minute %.1f: vigil exited by itself with %d; see %s",
                            minute,
                            vigil.exitValue(),
                            base.resolve("vigil-1.log"));
                    break;
                }
                Thread.sleep(SAMPLE_EVERY.toMillis());
            }
            traffic.stop();
            producer.join();
            double loadMinutes = (System.nanoTime() - t0) / 60e9;
            say(
                    report,
                    "load: %.1f minutes of warm-up, then %.1f measured minutes; sent %s; %,d sends failed "
                            + "(not counted as sent)",
                    warmupMinutes,
                    loadMinutes,
                    traffic.describe(),
                    traffic.failed.get());
            say(report, "/health/ready answered 200 in %d of %d samples taken during the load", readyOk, readySamples);

            Map<String, SoakCheck.Sent> sent = traffic.sent();
            Map<String, SoakCheck.Counted> counted = Map.of();
            long settleDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(settleMinutes);
            long settleStart = System.nanoTime();
            while (System.nanoTime() < settleDeadline && vigil.isAlive()) {
                counted = counted(get(uri.resolve("/metrics")));
                if (settled(sent, counted)) {
                    break;
                }
                Thread.sleep(5_000);
            }
            say(
                    report,
                    "accounting read %,d s after the load ended",
                    (System.nanoTime() - settleStart) / 1_000_000_000);
            int deadlocks = deadlocks(vigil, base);
            boolean ready = status(uri.resolve("/health/ready")) == 200;
            SoakCheck.Verdict verdict = SoakCheck.check(sent, counted, heap, loadMinutes, deadlocks, ready);
            // Minutes are counted from the end of the warm-up (negative: during it; not in the verdict).
            heap.forEach(s ->
                    report.add(String.format("  heap after GC at minute %5.1f: %,d MB", s.minute(), s.bytes() >> 20)));
            verdict.lines().forEach(line -> say(report, "%s", line));
            say(report, "%s", verdict.passed() ? "SOAK PASSED" : "SOAK FAILED");
            vigil.destroy();
            if (!vigil.waitFor(30, TimeUnit.SECONDS)) {
                vigil.destroyForcibly();
            }
            Files.write(base.resolve("soak-report.txt"), report, StandardCharsets.UTF_8);
            return verdict.passed() ? 0 : 1;
        } finally {
            if (dir == null && !keep) {
                BenchCommand.deleteRecursively(base);
            }
        }
    }

    private Map<String, String> settings(String bootstrap, Path base) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(VigilConfig.BOOTSTRAP_SERVERS, bootstrap);
        s.put(VigilConfig.APPLICATION_ID, "soak.vigil");
        s.put(VigilConfig.STATE_DIR, base.resolve("state").toString());
        s.put(VigilConfig.TOPIC_PREDICTIONS, "soak.predictions");
        s.put(VigilConfig.TOPIC_GROUND_TRUTH, "soak.ground-truth");
        s.put(VigilConfig.TOPIC_DEAD_LETTERS, "soak.dead-letters");
        s.put(VigilConfig.TOPIC_SNAPSHOTS, "soak.snapshots");
        s.put(VigilConfig.TOPIC_ALERTS, "soak.alerts");
        s.put(VigilConfig.TOPIC_INCIDENTS, "soak.incidents");
        s.put(VigilConfig.TOPIC_REFERENCES, "soak.references");
        s.put(VigilConfig.TOPIC_PARTITIONS, Integer.toString(partitions));
        s.put(VigilConfig.HTTP_PORT, Integer.toString(BrokerProcess.freePorts(1)[0]));
        s.put("kafka.auto.offset.reset", "earliest");
        s.putAll(overrides);
        return s;
    }

    private Process startVigil(Map<String, String> settings, Path base, int run) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + vigilHeap,
                "-cp",
                System.getProperty("java.class.path"),
                Vigil.class.getName(),
                "run"));
        settings.forEach((k, v) -> {
            cmd.add("--set");
            cmd.add(k + "=" + v);
        });
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(base.resolve("vigil-" + run + ".log").toFile())
                .start();
    }

    private long awaitReady(URI uri, Process vigil, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!vigil.isAlive()) {
                throw new IllegalStateException("vigil run exited " + vigil.exitValue() + " before it was ready");
            }
            if (status(uri.resolve("/health/ready")) == 200) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("vigil run was not ready within " + timeout);
    }

    /** Full GC in Vigil's JVM, then its heap in use from {@code /metrics}; -1 when either failed. */
    private long heapAfterGc(Process vigil, URI uri) {
        try {
            if (jcmd(vigil.pid(), "GC.run").isEmpty()) {
                return -1;
            }
            return (long) MetricsPage.samples(get(uri.resolve("/metrics")), "jvm_memory_used_bytes").stream()
                    .filter(s -> "heap".equals(s.labels().get("area")))
                    .mapToDouble(MetricsPage.Sample::value)
                    .sum();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Deadlock cycles the JVM reports in a thread dump (kept as threads.txt). */
    private int deadlocks(Process vigil, Path base) throws IOException {
        String dump = jcmd(vigil.pid(), "Thread.print");
        Files.writeString(base.resolve("threads.txt"), dump, StandardCharsets.UTF_8);
        if (dump.isEmpty()) {
            return -1;
        }
        return dump.split("Found one Java-level deadlock", -1).length - 1;
    }

    private static String jcmd(long pid, String command) {
        try {
            Process p = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "jcmd")
                                    .toString(),
                            Long.toString(pid),
                            command)
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** Vigil's ingest counts per stream: accepted, dead-lettered and dropped records as ingest saw them. */
    static Map<String, SoakCheck.Counted> counted(String page) {
        Map<String, long[]> sums = new HashMap<>();
        for (MetricsPage.Sample s : MetricsPage.samples(page, COUNTER)) {
            if ("outcome_join".equals(s.labels().get("stage"))) {
                continue; // a later stage's verdict on records ingest already counted
            }
            long[] c = sums.computeIfAbsent(s.labels().get("stream"), k -> new long[3]);
            int i = switch (s.labels().getOrDefault("outcome", "")) {
                case "accepted" -> 0;
                case "dead_lettered" -> 1;
                case "dropped" -> 2;
                default -> -1;
            };
            if (i >= 0) {
                c[i] += Math.round(s.value());
            }
        }
        Map<String, SoakCheck.Counted> out = new HashMap<>();
        sums.forEach((stream, c) -> out.put(stream, new SoakCheck.Counted(c[0], c[1], c[2])));
        return out;
    }

    private static boolean settled(Map<String, SoakCheck.Sent> sent, Map<String, SoakCheck.Counted> counted) {
        return sent.entrySet().stream().allMatch(e -> {
            SoakCheck.Counted c = counted.get(e.getKey());
            SoakCheck.Sent s = e.getValue();
            return c != null
                    && c.accepted() + c.deadLettered() + c.dropped()
                            >= s.valid() + s.hostileAccepted() + s.hostileRejected();
        });
    }

    private int status(URI uri) {
        try {
            return http.send(
                            HttpRequest.newBuilder(uri)
                                    .timeout(Duration.ofSeconds(5))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private String get(URI uri) {
        try {
            return http.send(
                            HttpRequest.newBuilder(uri)
                                    .timeout(Duration.ofSeconds(30))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void say(List<String> report, String format, Object... args) {
        String line = String.format(format, args);
        report.add(line);
        System.out.println(line);
    }

    /**
     * The producer: the simulator's default scenario at {@link #rate} predictions per second with event
     * times of now, each label right after its turn in the simulated timeline, and after each valid record,
     * with probability {@link #hostileFraction}, a hostile one on the same topic. Counts what the broker
     * acknowledged, by stream and kind.
     */
    private final class Traffic implements Runnable {
        // Index: stream (0 predictions, 1 ground truth) * 3 + (0 valid, 1 hostile to accept, 2 to reject).
        private final AtomicLongArray acked = new AtomicLongArray(6);
        private final AtomicLong failed = new AtomicLong();
        private final String bootstrap;
        private final String predictionsTopic;
        private final String labelsTopic;
        private volatile boolean running = true;

        Traffic(String bootstrap, Map<String, String> settings) {
            this.bootstrap = bootstrap;
            this.predictionsTopic = settings.get(VigilConfig.TOPIC_PREDICTIONS);
            this.labelsTopic = settings.get(VigilConfig.TOPIC_GROUND_TRUTH);
        }

        void stop() {
            running = false;
        }

        @Override
        public void run() {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
            p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 << 20);
            // Survive the broker restart: retry for up to ten minutes, block rather than fail when full.
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000);
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 600_000);
            HostileRecords hostile = new HostileRecords(7, oversizedFraction);
            SplittableRandom random = new SplittableRandom(11);
            long total = (long) (rate * (warmupMinutes + minutes) * 60) + 1;
            int days = (int) Math.max(30, total / 1_400 + 1);
            LocalDate start = LocalDate.now(ZoneOffset.UTC).minusDays(days + 1L);
            long periodNanos = (long) (1e9 / rate);
            long t0 = System.nanoTime();
            long n = 0;
            try (KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
                for (SimEvent e : Simulator.create(Scenario.builtIn("default"), 42, start, days)
                        .withMaxPredictions(total)) {
                    if (!running) {
                        break;
                    }
                    Instant now = Instant.now();
                    boolean isPrediction = e.isPrediction();
                    byte[] value;
                    if (isPrediction) {
                        long wait = t0 + n++ * periodNanos - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                        Prediction x = e.prediction();
                        value = Json.mapper().writeValueAsBytes(x.restamped(x.predictionId(), now, x.model()));
                    } else {
                        GroundTruth x = e.groundTruth();
                        value = Json.mapper()
                                .writeValueAsBytes(
                                        new GroundTruth(x.predictionId(), x.label(), now, x.source(), x.revision()));
                    }
                    int stream = isPrediction ? 0 : 1;
                    String topic = isPrediction ? predictionsTopic : labelsTopic;
                    send(producer, topic, e.key(), value, stream * 3);
                    if (random.nextDouble() < hostileFraction) {
                        HostileRecords.Hostile h =
                                isPrediction ? hostile.prediction(value) : hostile.groundTruth(value);
                        send(producer, topic, h.key(), h.value(), stream * 3 + (h.kind().accepted ? 1 : 2));
                    }
                }
                producer.flush();
            } catch (IOException | InterruptedException e) {
                failed.incrementAndGet();
                System.err.println("The producer stopped: " + e);
            }
        }

        private void send(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value, int slot) {
            producer.send(new ProducerRecord<>(topic, key, value), (metadata, exception) -> {
                if (exception == null) {
                    acked.incrementAndGet(slot);
                } else {
                    failed.incrementAndGet();
                }
            });
        }

        Map<String, SoakCheck.Sent> sent() {
            Map<String, SoakCheck.Sent> out = new LinkedHashMap<>();
            out.put(Input.PREDICTIONS.label, new SoakCheck.Sent(acked.get(0), acked.get(1), acked.get(2)));
            out.put(Input.GROUND_TRUTH.label, new SoakCheck.Sent(acked.get(3), acked.get(4), acked.get(5)));
            return out;
        }

        String describe() {
            return sent().entrySet().stream()
                    .map(e -> String.format(
                            "%s %,d valid + %,d hostile",
                            e.getKey(),
                            e.getValue().valid(),
                            e.getValue().hostileAccepted() + e.getValue().hostileRejected()))
                    .reduce((a, b) -> a + ", " + b)
                    .orElse("");
        }
    }
}
