package io.vigil.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.vigil.app.Monitor;
import io.vigil.broker.EmbeddedKafka;
import io.vigil.config.VigilConfig;
import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import io.vigil.http.Fleet;
import io.vigil.sim.KafkaSink;
import io.vigil.sim.PacedSink;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.SimSink;
import io.vigil.sim.Simulator;
import io.vigil.topics.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vigil demo}: the embedded default. Starts a single-node KRaft broker in this JVM, the monitor
 * against it (HTTP on 127.0.0.1), and the hospital simulator producing a compressed timeline that
 * ends now; prints the URLs, a live summary and each alert or drift crossing as it happens. Ctrl-C,
 * {@link #stop()} or, with {@code --exit-after-simulation}, the end of the timeline stops the
 * simulator, the monitor and the broker, and deletes the temporary data directory. Exit codes: 0
 * success, 1 failure, 2 usage.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = {
            "Run the whole thing in one process: an embedded Kafka broker, the monitor with its status page, "
                    + "and a simulated hospital network whose months of traffic play out in minutes.",
            "The simulated timeline ends now: it starts --days days ago. Data (the broker's logs and the "
                    + "monitor's state, both holding simulated PHI) goes to a temporary directory deleted on "
                    + "exit, unless --data-dir is given."
        })
public final class DemoCommand implements Callable<Integer> {
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);
    /** How long Ctrl-C or SIGTERM holds the JVM for the demo's cleanup: within the 10 s an operator waits. */
    private static final Duration HOOK_WAIT = Duration.ofSeconds(9);

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(500);
    /** Snapshots unchanged this long after the timeline ends count as settled. */
    private static final Duration SETTLE = Duration.ofSeconds(8);
    /** Give up waiting for snapshots to settle after this long. */
    private static final Duration SETTLE_MAX = Duration.ofSeconds(90);
    /** Slice dimensions whose status changes are printed (the page shows them all). */
    private static final Set<String> ANNOUNCED_DIMENSIONS = Set.of("all", "site", "scanner");
    /**
     * Short wall-clock intervals so the page moves with the compressed timeline. A key is applied only
     * if this build declares it (the stages that read them may be absent).
     */
    static final Map<String, Object> LIVELY = livelySettings();

    @Spec
    CommandSpec spec;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "8080",
            description = "HTTP port of the status page, /metrics and /api/ on 127.0.0.1; 0 picks a free one "
                    + "(default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Keep the broker's logs and the monitor's state in DIR (absent or empty) instead of a "
                    + "temporary directory deleted on exit.")
    Path dataDir;

    @Option(
            names = "--scenario",
            paramLabel = "NAME|FILE",
            defaultValue = "default",
            description = "Built-in scenario (default, steady, demo-short) or a scenario JSON file "
                    + "(default: ${DEFAULT-VALUE}).")
    String scenario;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            defaultValue = "42",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--days", paramLabel = "N", description = "Simulated days (default: the scenario's length).")
    Integer days;

    @Option(
            names = "--duration",
            paramLabel = "DURATION",
            defaultValue = "120s",
            converter = DurationConverter.class,
            description = "Wall-clock time the timeline takes, e.g. 120s, 5m (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(
            names = "--speed",
            paramLabel = "N",
            description = "Simulated seconds per wall-clock second; overrides --duration.")
    Double speed;

    @Option(
            names = "--summary-interval",
            paramLabel = "DURATION",
            defaultValue = "5s",
            converter = DurationConverter.class,
            description = "How often to print the summary (default: ${DEFAULT-VALUE}).")
    Duration summaryInterval;

    @Option(
            names = "--exit-after-simulation",
            description = "Stop once the timeline has played and the metric snapshots have settled.")
    boolean exitAfterSimulation;

    @Option(names = "--verbose", description = "Keep Vigil's and Kafka Streams' INFO logs on the console.")
    boolean verbose;

    private final Clock clock;
    private final CountDownLatch stop = new CountDownLatch(1);

    /** A demo on the system clock. */
    public DemoCommand() {
        this(Clock.systemUTC());
    }

    /** A demo whose timeline ends at {@code clock}'s now (for tests). */
    DemoCommand(Clock clock) {
        this.clock = clock;
    }

    /** Asks a running demo to stop, as Ctrl-C does; {@link #call()} then cleans up and returns. */
    public void stop() {
        stop.countDown();
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if ((days != null && days < 1)
                || port < 0
                || port > 65_535
                || duration.isNegative()
                || duration.isZero()
                || summaryInterval.isNegative()
                || summaryInterval.isZero()
                || (speed != null && (!(speed > 0) || speed.isInfinite()))) {
            err.println("--days must be >= 1, --port 0..65535, --duration and --summary-interval > 0, "
                    + "--speed a finite number > 0.");
            return 2;
        }
        Scenario sc;
        try {
            sc = resolveScenario(scenario);
        } catch (IOException | RuntimeException e) {
            err.println("Cannot load scenario " + scenario + ": " + e.getMessage());
            return 2;
        }
        int n = days != null ? days : sc.days();
        Instant now = clock.instant();
        LocalDate first = LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(n);
        Simulator simulator = Simulator.create(sc, seed, first, n);
        // Labels up to now, so the timeline ends at the present and nothing lies in the future.
        simulator = simulator.withLabelHorizon(
                Duration.between(simulator.end(), now).isNegative()
                        ? Duration.ZERO
                        : Duration.between(simulator.end(), now));
        double span = Duration.between(simulator.start(), simulator.labelEnd()).toMillis() / 1000.0;
        double pace = speed != null ? speed : span / (duration.toMillis() / 1000.0);

        Thread hook = new Thread(this::awaitCleanupOnShutdown, "vigil-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Map<String, Level> savedLevels = quietLogs();
        try {
            return run(sc, simulator, pace, out, err);
        } finally {
            restoreLogs(savedLevels);
            cleanedUp.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting (Ctrl-C): the hook is already running and now returns
            }
        }
    }

    private final CountDownLatch cleanedUp = new CountDownLatch(1);

    /** The shutdown hook: tells the demo to stop, then holds the JVM until it has cleaned up. */
    private void awaitCleanupOnShutdown() {
        stop();
        try {
            cleanedUp.await(HOOK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int run(Scenario sc, Simulator simulator, double pace, PrintWriter out, PrintWriter err) {
        boolean temporary = dataDir == null;
        Path base;
        try {
            base = temporary ? Files.createTempDirectory("vigil-demo-") : Files.createDirectories(dataDir);
        } catch (IOException e) {
            err.println("Cannot create the data directory: " + e.getMessage());
            return 1;
        }
        Simulation simulation = null;
        try (EmbeddedKafka kafka = EmbeddedKafka.start(base.resolve("kafka"))) {
            VigilConfig config = config(kafka.bootstrapServers(), base.resolve("state"));
            prepareTopics(kafka, config);
            try (Monitor monitor = new Monitor(config)) {
                monitor.start();
                if (!awaitRunning(monitor)) {
                    if (stop.getCount() == 0) {
                        return 0;
                    }
                    err.println("The monitor did not reach RUNNING within " + STARTUP_TIMEOUT.toSeconds() + " s (state "
                            + monitor.state() + ").");
                    return 1;
                }
                String uri = monitor.http().uri();
                out.printf(
                        Locale.ROOT,
                        "Vigil demo: scenario %s, seed %d, %d simulated days (%s to %s) in about %s "
                                + "(%,.0f simulated seconds per second)%n",
                        sc.name(),
                        seed,
                        Duration.between(simulator.start(), simulator.end()).toDays(),
                        LocalDate.ofInstant(simulator.start(), ZoneOffset.UTC),
                        LocalDate.ofInstant(simulator.labelEnd(), ZoneOffset.UTC),
                        human(span(simulator, pace)),
                        pace);
                out.printf("  Status page  %s/%n", uri);
                out.printf("  Prometheus   %s/metrics%n", uri);
                out.printf("  JSON API     %s/api/%n", uri);
                out.printf(
                        "  Kafka        %s, data in %s%s%n",
                        kafka.bootstrapServers(), base, temporary ? " (deleted on exit)" : "");
                out.println(
                        exitAfterSimulation
                                ? "Stops when the timeline has played; Ctrl-C stops earlier."
                                : "Ctrl-C stops everything.");
                out.flush();

                simulation = new Simulation(simulator, pace, config);
                simulation.start();
                watch(monitor, simulation, sc, out);
                simulation.stop();
                Throwable failure = simulation.failure.get();
                if (failure != null) {
                    err.println("The simulator failed: " + failure);
                    return 1;
                }
                return 0;
            }
        } catch (IOException | RuntimeException e) {
            err.println("The demo failed: " + e);
            return 1;
        } finally {
            if (simulation != null) {
                simulation.stop();
            }
            if (temporary) {
                deleteRecursively(base, err);
            }
            out.println("Vigil demo stopped.");
            out.flush();
        }
    }

    /**
     * Creates the topics and waits until every partition has a leader: on a broker that has just
     * started, a Streams global consumer that looks a topic up before its metadata has propagated
     * fails its store initialisation and takes the client to ERROR.
     */
    private void prepareTopics(EmbeddedKafka kafka, VigilConfig config) {
        List<NewTopic> definitions = Topics.from(config)
                .definitions(
                        config.getInt(VigilConfig.TOPIC_PARTITIONS),
                        config.getShort(VigilConfig.TOPIC_REPLICATION),
                        config.getLong(VigilConfig.TOPIC_INPUT_RETENTION_MS));
        kafka.createTopics(definitions);
        List<String> names = definitions.stream().map(NewTopic::name).toList();
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            while (true) {
                try {
                    Map<String, TopicDescription> described =
                            admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
                    if (described.size() == names.size()
                            && described.values().stream()
                                    .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null))) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // not visible yet: retry until the deadline
                }
                if (System.nanoTime() > deadline || stop.await(100, TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("topics not ready within " + STARTUP_TIMEOUT.toSeconds() + " s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for topics", e);
        }
    }

    private boolean awaitRunning(Monitor monitor) {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        try {
            while (!monitor.isRunning()) {
                if (monitor.failed() || monitor.state() == KafkaStreams.State.NOT_RUNNING) {
                    return false;
                }
                if (System.nanoTime() > deadline || stop.await(100, TimeUnit.MILLISECONDS)) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Prints the summary and status changes until stopped, or until the timeline settled if asked to. */
    private void watch(Monitor monitor, Simulation simulation, Scenario sc, PrintWriter out) {
        Announcer announcer = new Announcer(out);
        long nextSummary = System.nanoTime();
        String fingerprint = "";
        long fingerprintSince = System.nanoTime();
        Long finishedAt = null;
        try {
            while (!stop.await(POLL.toMillis(), TimeUnit.MILLISECONDS)) {
                List<Fleet.Row> rows = monitor.statusApi().fleet();
                announcer.announce(rows, monitor.statusApi().alerts(), simulation.simulatedNow());
                announcer.announceIncidents(
                        monitor.latestIncidents(), simulation.simulatedNow(), simulation.firstChange(sc));
                long now = System.nanoTime();
                if (now >= nextSummary) {
                    out.println(summary(simulation, sc, rows));
                    out.flush();
                    nextSummary = now + summaryInterval.toNanos();
                }
                List<MetricSnapshot> snaps = monitor.latestSnapshots();
                String fp = snaps.size() + "/"
                        + snaps.stream()
                                .map(MetricSnapshot::computedAt)
                                .max(Comparator.naturalOrder())
                                .map(Instant::toString)
                                .orElse("-");
                if (!fp.equals(fingerprint)) {
                    fingerprint = fp;
                    fingerprintSince = now;
                }
                if (simulation.finished()) {
                    if (simulation.failure.get() != null) {
                        return;
                    }
                    if (finishedAt == null) {
                        finishedAt = now;
                        out.printf(
                                Locale.ROOT,
                                "Timeline complete: %,d predictions and %,d labels sent.%n",
                                simulation.predictions.get(),
                                simulation.labels.get());
                        out.flush();
                    }
                    boolean settled = now - Math.max(fingerprintSince, finishedAt) >= SETTLE.toNanos();
                    if (exitAfterSimulation && (settled || now - finishedAt >= SETTLE_MAX.toNanos())) {
                        out.println(summary(simulation, sc, monitor.statusApi().fleet()));
                        out.println(announcer.tally());
                        out.println(
                                settled
                                        ? "Snapshots settled; stopping."
                                        : "Snapshots still changing after " + SETTLE_MAX.toSeconds() + " s; stopping.");
                        out.flush();
                        return;
                    }
                }
            }
            out.println(announcer.tally());
            out.println("Stopping...");
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One line: progress, simulated date, counts and the status of each site. */
    static String summary(Simulation simulation, Scenario sc, List<Fleet.Row> rows) {
        StringBuilder b = new StringBuilder();
        Instant simNow = simulation.simulatedNow();
        b.append(String.format(
                Locale.ROOT,
                "[%3.0f%%] %s  predictions %,d  labels %,d  |",
                simulation.progress() * 100,
                simNow == null ? "----------" : LocalDate.ofInstant(simNow, ZoneOffset.UTC),
                simulation.predictions.get(),
                simulation.labels.get()));
        for (Scenario.SiteSpec site : sc.sites()) {
            b.append("  ").append(site.id()).append(' ').append(siteStatus(site.id(), rows));
        }
        return b.toString();
    }

    /**
     * A site's status from its own row and its scanners' rows: {@code ALERT} when any is alerting,
     * {@code DRIFT} when any crosses a drift threshold, else {@code ok}; the scanners concerned follow.
     */
    static String siteStatus(String site, List<Fleet.Row> rows) {
        Fleet.Status worst = Fleet.Status.OK;
        Set<String> scanners = new java.util.TreeSet<>();
        for (Fleet.Row r : rows) {
            boolean siteRow =
                    r.sliceDimension().equals("site") && r.sliceValue().equals(site);
            boolean scannerRow =
                    r.sliceDimension().equals("scanner") && r.sliceValue().startsWith(site + "/");
            if ((siteRow || scannerRow) && r.status() != Fleet.Status.OK) {
                if (r.status().compareTo(worst) < 0) {
                    worst = r.status();
                }
                if (scannerRow) {
                    scanners.add(r.sliceValue().substring(site.length() + 1));
                }
            }
        }
        String word = switch (worst) {
            case ALERTING -> "ALERT";
            case DRIFTING -> "DRIFT";
            case OK -> "ok";
        };
        return scanners.isEmpty() ? word : word + "(" + String.join(",", scanners) + ")";
    }

    /** Prints each alert and each drift crossing of a site or scanner once, as it happens. */
    private static final class Announcer {
        private final PrintWriter out;
        private final Set<String> alertsSeen = new HashSet<>();
        private final Map<String, String> incidentRoots = new HashMap<>();
        private final Map<String, Fleet.Status> rowStatus = new HashMap<>();

        Announcer(PrintWriter out) {
            this.out = out;
        }

        void announce(List<Fleet.Row> rows, List<Alert> alerts, Instant simNow) {
            String when = simNow == null ? "" : "  [simulated " + LocalDate.ofInstant(simNow, ZoneOffset.UTC) + "]";
            for (Alert a : alerts) {
                if (alertsSeen.add(a.id())) {
                    out.printf(
                            Locale.ROOT,
                            "%s %s %s %s %s %s=%s%s: %s%s%n",
                            a.status() == Alert.Status.FIRING ? "ALERT   " : "RESOLVED",
                            a.severity().name().toLowerCase(Locale.ROOT),
                            a.rule(),
                            a.model().id(),
                            a.model().version(),
                            a.sliceDimension(),
                            a.sliceValue(),
                            a.window() == null ? "" : " (" + a.window() + ")",
                            a.summary(),
                            when);
                }
            }
            for (Fleet.Row r : rows) {
                if (!ANNOUNCED_DIMENSIONS.contains(r.sliceDimension())) {
                    continue;
                }
                String key = r.keyPrefix();
                Fleet.Status before = rowStatus.getOrDefault(key, Fleet.Status.OK);
                rowStatus.put(key, r.status());
                if (r.status() == Fleet.Status.DRIFTING && before == Fleet.Status.OK) {
                    Fleet.Signal s = r.signals().get(0);
                    out.printf(
                            Locale.ROOT,
                            "DRIFT    %s=%s: %s (%s) = %.4g%s, n = %,d: %s%s%s%n",
                            r.sliceDimension(),
                            r.sliceValue(),
                            s.metric(),
                            s.window(),
                            s.estimate(),
                            s.pValue() == null ? "" : String.format(Locale.ROOT, ", p = %.2g", s.pValue()),
                            s.n(),
                            s.reason(),
                            r.signals().size() > 1 ? " (+" + (r.signals().size() - 1) + " more)" : "",
                            when);
                } else if (r.status() == Fleet.Status.OK && before != Fleet.Status.OK) {
                    out.printf("OK       %s=%s: back within thresholds%s%n", r.sliceDimension(), r.sliceValue(), when);
                }
            }
            out.flush();
        }

        /** "Alerts fired: 22 (...); incidents opened: 1", what an on-call engineer would have been paged for. */
        String tally() {
            long fired =
                    alertsSeen.stream().filter(id -> id.endsWith("-firing")).count();
            return String.format(
                    Locale.ROOT, "Alerts fired: %d; incidents opened: %d (one page each)", fired, incidentRoots.size());
        }

        void announceIncidents(List<io.vigil.events.Incident> incidents, Instant simNow, Instant change) {
            for (io.vigil.events.Incident i : incidents) {
                String was = incidentRoots.get(i.id());
                String now = i.status() + "|" + i.root();
                if (now.equals(was)) {
                    continue;
                }
                incidentRoots.put(i.id(), now);
                String what = i.status() == io.vigil.events.Incident.Status.RESOLVED
                        ? "resolved"
                        : was == null ? "opened" : "root_changed";
                if (was == null && i.status() == io.vigil.events.Incident.Status.RESOLVED) {
                    continue; // opened and resolved between two polls of a replay: nothing to page about now
                }
                announceIncident(out, what, i, simNow, change);
            }
            out.flush();
        }
    }

    /**
     * Prints an incident when it is first seen, when its root changes and when it resolves (member changes are
     * not announced), with the simulated time from the scenario's change to the incident's opening.
     */
    private static void announceIncident(
            PrintWriter out, String what, io.vigil.events.Incident i, Instant simNow, Instant change) {
        String when = simNow == null ? "" : "  [simulated " + LocalDate.ofInstant(simNow, ZoneOffset.UTC) + "]";
        String since = "";
        if (change != null && simNow != null && "opened".equals(what) && simNow.isAfter(change)) {
            since = String.format(
                    Locale.ROOT,
                    " (%.1f simulated days after the change on %s)",
                    Duration.between(change, simNow).toMinutes() / 1440.0,
                    LocalDate.ofInstant(change, ZoneOffset.UTC));
        }
        out.printf(
                Locale.ROOT,
                "INCIDENT %s %s %s root %s: %s%s%s%n",
                what,
                i.severity().name().toLowerCase(Locale.ROOT),
                i.id(),
                i.root().isEmpty() ? "-" : i.root().get(0),
                i.summary(),
                since,
                when);
    }

    /** The simulator on its own thread, producing through a paced Kafka sink. */
    static final class Simulation {
        private final Simulator simulator;
        private final double pace;
        private final VigilConfig config;
        private final Thread thread;
        final AtomicLong predictions = new AtomicLong();
        final AtomicLong labels = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile Instant simulatedNow;
        private volatile boolean stopping;
        private volatile boolean finished;

        Simulation(Simulator simulator, double pace, VigilConfig config) {
            this.simulator = simulator;
            this.pace = pace;
            this.config = config;
            this.thread = new Thread(this::run, "vigil-demo-simulator");
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void run() {
            Map<String, Object> producer = new HashMap<>(config.kafkaClientSettings());
            producer.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-demo-simulator");
            SimSink sink = null;
            try {
                sink = new PacedSink(
                        new KafkaSink(
                                producer,
                                config.getString(VigilConfig.TOPIC_PREDICTIONS),
                                config.getString(VigilConfig.TOPIC_GROUND_TRUTH)),
                        pace);
                for (Iterator<SimEvent> it = simulator.iterator(); it.hasNext() && !stopping; ) {
                    SimEvent e = it.next();
                    sink.accept(e);
                    (e.isPrediction() ? predictions : labels).incrementAndGet();
                    simulatedNow = e.time();
                }
            } catch (RuntimeException e) {
                if (!stopping) {
                    failure.compareAndSet(null, e);
                }
            } finally {
                Thread.interrupted(); // a stop interrupts pacing; the producer must still flush and close
                if (sink != null) {
                    try {
                        sink.close();
                    } catch (RuntimeException e) {
                        if (!stopping) {
                            failure.compareAndSet(null, e);
                        }
                    }
                }
                finished = true;
            }
        }

        /** Stops producing (interrupting the pacing wait) and waits for the producer to close. */
        void stop() {
            if (!thread.isAlive()) {
                return;
            }
            stopping = true;
            thread.interrupt();
            try {
                thread.join(SHUTDOWN_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        boolean finished() {
            return finished;
        }

        Instant simulatedNow() {
            return simulatedNow;
        }

        /** When the scenario's first scheduled event (e.g. a software update) happens, or null without one. */
        Instant firstChange(Scenario sc) {
            return sc.events().stream().mapToDouble(io.vigil.sim.ScheduledEvent::day).min().stream()
                    .mapToObj(d -> simulator.start().plusMillis(Math.round(d * 86_400_000L)))
                    .findFirst()
                    .orElse(null);
        }

        /** Share of the timeline (first day to label end) played, 0..1. */
        double progress() {
            Instant t = simulatedNow;
            if (finished && failure.get() == null && !stopping) {
                return 1.0;
            }
            if (t == null) {
                return 0.0;
            }
            double total =
                    Duration.between(simulator.start(), simulator.labelEnd()).toMillis();
            return Math.max(
                    0, Math.min(1, Duration.between(simulator.start(), t).toMillis() / total));
        }
    }

    private VigilConfig config(String bootstrapServers, Path stateDir) {
        Map<String, Object> v = new HashMap<>();
        v.put(VigilConfig.BOOTSTRAP_SERVERS, bootstrapServers);
        v.put(VigilConfig.APPLICATION_ID, "vigil-demo");
        v.put(VigilConfig.STATE_DIR, stateDir.toString());
        v.put(VigilConfig.PROCESSING_GUARANTEE, "exactly_once_v2");
        v.put(VigilConfig.HTTP_BIND, "127.0.0.1");
        v.put(VigilConfig.HTTP_PORT, Integer.toString(port));
        v.put(VigilConfig.TOPIC_PARTITIONS, "3");
        v.putAll(LIVELY);
        // Subject keys are hashed with a secret before they touch a store; a demo run gets a fresh one.
        v.put(
                VigilConfig.STABILITY_SUBJECT_KEY_SECRET,
                java.util.UUID.randomUUID().toString());
        return new VigilConfig(v);
    }

    /** Short intervals so that a compressed timeline shows its signals within seconds. */
    private static Map<String, Object> livelySettings() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(VigilConfig.DRIFT_FLUSH_INTERVAL_MS, "1000");
        out.put(VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS, "2000");
        out.put(VigilConfig.OUTCOMES_FLUSH_INTERVAL_MS, "1000");
        out.put(VigilConfig.OUTCOMES_SNAPSHOT_INTERVAL_MS, "3000");
        out.put(VigilConfig.ALERTS_EVALUATION_INTERVAL_MS, "2000");
        out.put(VigilConfig.STABILITY_ENABLED, "true");
        return Map.copyOf(out);
    }

    /** A built-in scenario, a scenario shipped on the classpath ({@code scenarios/NAME.json}), or a file. */
    public static Scenario resolveScenario(String nameOrPath) throws IOException {
        if (Scenario.BUILT_IN.contains(nameOrPath)) {
            return Scenario.builtIn(nameOrPath);
        }
        if (nameOrPath.matches("[a-z0-9][a-z0-9-]*")) {
            try (InputStream in = DemoCommand.class.getResourceAsStream("/scenarios/" + nameOrPath + ".json")) {
                if (in != null) {
                    return Scenario.fromJson(in);
                }
            }
        }
        return Scenario.load(Path.of(nameOrPath));
    }

    private static Duration span(Simulator simulator, double pace) {
        return Duration.ofMillis((long)
                (Duration.between(simulator.start(), simulator.labelEnd()).toMillis() / pace));
    }

    private static String human(Duration d) {
        long s = Math.max(1, Math.round(d.toMillis() / 1000.0));
        return s < 120 ? s + " s" : String.format(Locale.ROOT, "%.1f min", s / 60.0);
    }

    /** The demo's own output is the summary: keep Vigil to WARN and Kafka to ERROR unless --verbose. */
    private Map<String, Level> quietLogs() {
        Map<String, Level> saved = new HashMap<>();
        if (verbose || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return saved;
        }
        // The embedded broker and clients warn about single-node and startup conditions that are expected here.
        Map<String, Level> quiet = Map.of(
                "io.vigil",
                Level.WARN,
                "org.apache.kafka.streams.KafkaStreams",
                Level.WARN,
                "org.apache.kafka",
                Level.ERROR,
                "kafka",
                Level.ERROR,
                "io.micrometer",
                Level.ERROR);
        quiet.forEach((name, level) -> {
            ch.qos.logback.classic.Logger logger = context.getLogger(name);
            saved.put(name, logger.getLevel());
            logger.setLevel(level);
        });
        return saved;
    }

    private static void restoreLogs(Map<String, Level> saved) {
        if (saved.isEmpty() || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        saved.forEach((name, level) -> context.getLogger(name).setLevel(level));
    }

    private static void deleteRecursively(Path dir, PrintWriter err) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            err.println("Could not delete " + dir + " completely: " + e.getMessage());
        }
    }

    /** Parses {@code 30s}, {@code 2m}, {@code 1h}, {@code 500ms}, a number of seconds, or ISO-8601 ({@code PT2M}). */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            if (v.startsWith("pt")) {
                return Duration.parse(v.toUpperCase(Locale.ROOT));
            }
            var m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?")
                    .matcher(v);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a duration: " + value + " (e.g. 30s, 2m, 500ms)");
            }
            double amount = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            double ms = switch (unit) {
                case "ms" -> amount;
                case "m" -> amount * 60_000;
                case "h" -> amount * 3_600_000;
                default -> amount * 1000;
            };
            return Duration.ofMillis(Math.round(ms));
        }
    }
}
