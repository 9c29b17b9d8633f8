package io.vigil.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The monitor ({@code io.vigil.cli.Vigil run --set k=v ...}) in its own JVM, so a test can kill it with
 * SIGKILL or run several instances of one application. Its output goes to a log file; the test finds
 * the HTTP address in the "HTTP listening on" line.
 */
public final class ChildMonitor {
    private static final Pattern LISTENING = Pattern.compile("HTTP listening on (http://127\\.0\\.0\\.1:\\d+)");

    private final Process process;
    private final Path log;
    private volatile String uri;

    private ChildMonitor(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Settings for a child on the harness's topics with state in {@code state}: exactly-once, 3
     * partitions, an ephemeral HTTP port, short flush, snapshot and commit intervals so a test sees
     * results within seconds, and a 6 s session timeout so the group notices a killed child quickly.
     * Callers may change any entry before {@link #start}.
     */
    public static Map<String, String> settings(MonitorHarness h, KafkaBroker kafka, Path state) {
        Map<String, String> set = new LinkedHashMap<>();
        set.put("bootstrap.servers", kafka.bootstrapServers());
        set.put("application.id", h.topic("vigil"));
        set.put("state.dir", state.toString());
        set.put("topic.predictions", h.topic("predictions"));
        set.put("topic.ground-truth", h.topic("ground-truth"));
        set.put("topic.dead-letters", h.topic("dead-letters"));
        set.put("topic.snapshots", h.topic("snapshots"));
        set.put("topic.alerts", h.topic("alerts"));
        set.put("topic.references", h.topic("references"));
        set.put("topic.partitions", "3");
        set.put("http.port", "0");
        set.put("processing.guarantee", "exactly_once_v2");
        set.put("drift.windows", "7d,30d");
        set.put("drift.grace-days", "15");
        set.put("drift.flush-interval-ms", "500");
        set.put("drift.snapshot-interval-ms", "1000");
        set.put("outcomes.windows", "7d,30d");
        set.put("outcomes.flush-interval-ms", "500");
        set.put("outcomes.snapshot-interval-ms", "1000");
        set.put("kafka.commit.interval.ms", "200");
        set.put("kafka.session.timeout.ms", "6000");
        set.put("kafka.heartbeat.interval.ms", "1000");
        return set;
    }

    /** Starts {@code vigil run} with these settings (in order, as {@code --set k=v}), output to {@code log}. */
    public static ChildMonitor start(Map<String, String> settings, Path log) throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "-Xmx384m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "io.vigil.cli.Vigil",
                "run"));
        settings.forEach((k, v) -> {
            cmd.add("--set");
            cmd.add(k + "=" + v);
        });
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new ChildMonitor(p, log);
    }

    /** Waits until the child serves HTTP and reports ready; returns its base URI. */
    public String awaitReady(MonitorHarness h) {
        String base = awaitListening();
        await("child ready")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> h.status(base, "/health/ready") == 200);
        return base;
    }

    /** Waits until the child serves HTTP (Kafka Streams may still be starting); returns its base URI. */
    public String awaitListening() {
        await("child listening")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(
                                "child exited " + process.exitValue() + ":\n" + Files.readString(log));
                    }
                    Matcher m = LISTENING.matcher(Files.readString(log));
                    if (m.find()) {
                        uri = m.group(1);
                        return true;
                    }
                    return false;
                });
        return uri;
    }

    /** The base URI once {@link #awaitListening()} or {@link #awaitReady} returned. */
    public String uri() {
        return uri;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit status, once the child has ended by itself. */
    public int exitValue() {
        return process.exitValue();
    }

    public Path log() {
        return log;
    }

    /** SIGKILL (on Unix {@link Process#destroyForcibly()} sends it), then waits until the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM (on Unix {@link Process#destroy()} sends it), as Kubernetes or Ctrl-C would stop it. */
    public void terminate() {
        process.destroy();
    }

    /** Waits at most {@code timeout} for the process to end; true when it did. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
}
