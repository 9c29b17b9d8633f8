package io.vigil.cli;

import io.vigil.sim.JsonLinesSink;
import io.vigil.sim.KafkaSink;
import io.vigil.sim.PacedSink;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.SimSink;
import io.vigil.sim.Simulator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vigil simulate}: runs the hospital simulator and writes its events as JSON lines to a directory
 * or produces them to Kafka, optionally paced in simulated time. Exit codes: 0 success, 1 failure,
 * 2 usage.
 */
@Command(
        name = "simulate",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = {
            "Simulate predictions and delayed ground truth of a hospital network and write them as JSON lines "
                    + "(--out) or produce them to Kafka (--bootstrap-servers).",
            "Event times are simulated: by default the run ends at the start of today (UTC), so no event lies "
                    + "in the future; Vigil dead-letters events more than ingest.max-future-skew ahead of "
                    + "its wall clock. Kafka record timestamps are event times, so give the topics a "
                    + "retention.ms longer than the simulated span."
        })
public final class SimulateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--scenario",
            paramLabel = "FILE|default|steady",
            defaultValue = "default",
            description = "Scenario JSON file, or a built-in name (default: ${DEFAULT-VALUE}).")
    String scenario;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            defaultValue = "42",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--days", paramLabel = "N", description = "Days to simulate (default: the scenario's length).")
    Integer days;

    @Option(
            names = "--start",
            paramLabel = "YYYY-MM-DD",
            description = "First simulated day, UTC (default: today minus --days).")
    LocalDate start;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Write predictions.jsonl and ground_truth.jsonl (or events.jsonl with --merged) to DIR.")
    Path out;

    @Option(names = "--merged", description = "With --out: one time-ordered events.jsonl instead of two files.")
    boolean merged;

    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT[,...]",
            description = "Produce to this Kafka cluster.")
    String bootstrapServers;

    @Option(
            names = "--predictions-topic",
            paramLabel = "TOPIC",
            defaultValue = "vigil.predictions",
            description = "Topic for predictions (default: ${DEFAULT-VALUE}).")
    String predictionsTopic;

    @Option(
            names = "--ground-truth-topic",
            paramLabel = "TOPIC",
            defaultValue = "vigil.ground-truth",
            description = "Topic for ground truth (default: ${DEFAULT-VALUE}).")
    String groundTruthTopic;

    @Option(
            names = "--kafka-property",
            paramLabel = "KEY=VALUE",
            description = "Extra producer setting, e.g. security.protocol=SASL_SSL (repeatable).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(
            names = "--speed",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "Simulated seconds per wall-clock second; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(
            names = "--limit",
            paramLabel = "N",
            description = "Stop after N predictions (their labels are still emitted).")
    Long limit;

    private final Clock clock;

    /** A command on the system clock. */
    public SimulateCommand() {
        this(Clock.systemUTC());
    }

    /** A command whose default start date comes from {@code clock} (for tests). */
    SimulateCommand(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if ((out == null) == (bootstrapServers == null)) {
            err.println("Give exactly one of --out DIR or --bootstrap-servers.");
            return 2;
        }
        if (merged && out == null) {
            err.println("--merged needs --out.");
            return 2;
        }
        if (!(speed >= 0) || Double.isInfinite(speed)) {
            err.println("--speed must be a finite number >= 0, was " + speed);
            return 2;
        }
        if ((days != null && days < 1) || (limit != null && limit < 0)) {
            err.println("--days must be >= 1 and --limit >= 0.");
            return 2;
        }
        Scenario sc;
        try {
            sc = Scenario.resolve(scenario);
        } catch (IOException | IllegalArgumentException e) {
            err.println("Cannot load scenario " + scenario + ": " + e.getMessage());
            return 2;
        }
        int n = days != null ? days : sc.days();
        LocalDate first = start != null
                ? start
                : LocalDate.now(clock.withZone(ZoneOffset.UTC)).minusDays(n);
        Simulator simulator = Simulator.create(sc, seed, first, n);
        if (limit != null) {
            simulator = simulator.withMaxPredictions(limit);
        }
        if (simulator.labelEnd().isAfter(clock.instant())) {
            err.println("Warning: the run ends at " + simulator.labelEnd() + ", in the future; Vigil dead-letters "
                    + "events more than ingest.max-future-skew ahead of its clock.");
        }

        long predictions = 0;
        long labels = 0;
        long revisions = 0;
        long began = System.nanoTime();
        try (SimSink sink = new PacedSink(openSink(), speed)) {
            for (Iterator<SimEvent> it = simulator.iterator(); it.hasNext(); ) {
                SimEvent e = it.next();
                sink.accept(e);
                if (e.isPrediction()) {
                    predictions++;
                } else {
                    labels++;
                    if (e.groundTruth().revision() > 0) {
                        revisions++;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            err.println("Simulation failed after " + predictions + " predictions and " + labels + " labels: " + e
                    + (e.getCause() != null ? " (" + e.getCause() + ")" : ""));
            return 1;
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        spec.commandLine()
                .getOut()
                .printf(
                        "simulated %d predictions and %d ground-truth labels (%d revisions) of scenario %s, seed %d, %s to %s,"
                                + " in %.1f s -> %s%n",
                        predictions,
                        labels,
                        revisions,
                        sc.name(),
                        seed,
                        simulator.start(),
                        simulator.end(),
                        seconds,
                        out != null
                                ? out.toAbsolutePath()
                                : bootstrapServers + " [" + predictionsTopic + ", " + groundTruthTopic + "]");
        return 0;
    }

    private SimSink openSink() throws IOException {
        if (out != null) {
            return JsonLinesSink.toDirectory(out, merged);
        }
        Map<String, Object> config = new HashMap<>(kafkaProperties);
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "vigil-simulate");
        return new KafkaSink(config, predictionsTopic, groundTruthTopic);
    }
}
