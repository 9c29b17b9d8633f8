package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.config.VigilConfig;
import io.vigil.serde.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code vigil demo} for real: embedded broker, monitor and paced simulator in this JVM, on the
 * 30-day {@code demo-short} scenario (software update on day 20) played in 30 s. Checks that the page
 * and API answer while it runs, and that it stops cleanly, releasing its port, its threads and its
 * temporary directory, both at the end of the timeline and when stopped early (as by Ctrl-C).
 */
class DemoIT {
    private static final Pattern PAGE = Pattern.compile("Status page {2}(http://127\\.0\\.0\\.1:(\\d+))/");
    private static final Pattern DATA = Pattern.compile("data in (\\S+) \\(deleted on exit\\)");
    /** A transcript's incident line: transition, id and root slice. */
    private static final Pattern INCIDENT = Pattern.compile("^INCIDENT (\\S+) \\S+ (inc-[0-9a-f]+) root (.+?): ");

    private final HttpClient http = HttpClient.newHttpClient();
    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> new Thread(r, "demo-it-runner"));

    @AfterEach
    void shutdown() {
        runner.shutdownNow();
    }

    @Test
    void shouldPlayTheTimelineServeThePageAndLeaveNothingBehindWhenTheSimulationEnds() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        StringWriter out = new StringWriter();
        DemoCommand demo = new DemoCommand();
        Future<Integer> exit = runner.submit(() -> command(demo, out)
                .execute(
                        "--scenario",
                        "demo-short",
                        "--days",
                        "30",
                        "--duration",
                        "30s",
                        "--port",
                        "0",
                        "--summary-interval",
                        "3s",
                        "--exit-after-simulation"));

        String base = awaitUrl(out);
        HttpResponse<String> page = get(base + "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("id=\"fleet-table\"");
        assertThat(Json.mapper()
                        .readTree(get(base + "/api/status").body())
                        .path("stream_state")
                        .asText())
                .isEqualTo("RUNNING");
        assertThat(get(base + "/api/fleet").statusCode()).isEqualTo(200);
        assertThat(get(base + "/metrics").body()).contains("vigil_ingest_records_total");
        await("the first summary")
                .atMost(Duration.ofSeconds(30))
                .until(() -> out.toString().contains("] 20"));

        assertThat(exit.get(240, TimeUnit.SECONDS)).as(out.toString()).isZero();
        String text = out.toString();
        Path transcript = Path.of("target", "demo-it-output.txt");
        Files.writeString(transcript, text);
        assertThat(text)
                .contains(
                        "Vigil demo: scenario demo-short, seed 42, 30 simulated days",
                        "Timeline complete",
                        "Vigil demo stopped.");
        assertThat(text).containsPattern("\\[100%] \\d{4}-\\d{2}-\\d{2}  predictions [1-9][0-9,]+  labels [1-9]");
        if (VigilConfig.definition().names().contains("drift.windows")) {
            // With the drift stage on this build, the updated scanner's site must show it, and only it.
            List<String> summaries =
                    text.lines().filter(l -> l.startsWith("[100%]")).toList();
            assertThat(summaries.get(summaries.size() - 1))
                    .containsPattern("S02 (DRIFT|ALERT)\\(S02-CT2\\)")
                    .contains("S01 ok", "S03 ok");
        }
        // Issue 19: the S02-CT2 update is one incident, announced with the simulated time since the change, that
        // ends rooted at that scanner, never at its rollups (site S02, its scanner model or software, the fleet).
        // It may open at a rollup: the site's CUSUMs, on more data a day, can cross a simulated day before the
        // scanner's (2 of 4 fresh-clone CI runs, 2026-12-05/06). The incident then keeps its id and moves to the
        // scanner when its alerts come (IncidentGrouping's root_changed; IncidentScenarioIT checks the roots
        // deterministically). Another scanner's own alert (a chance positive-rate shift passes now and then) is
        // an incident of its own.
        List<String> incidents =
                text.lines().filter(l -> l.startsWith("INCIDENT opened")).toList();
        Map<String, String> lastRoot = new LinkedHashMap<>();
        text.lines().map(INCIDENT::matcher).filter(Matcher::find).forEach(m -> lastRoot.put(m.group(2), m.group(3)));
        List<String> openedAtRollup = incidents.stream()
                .filter(l -> l.contains("root site=S02")
                        || l.contains("root all=")
                        || l.contains("root scanner_model=")
                        || l.contains("root software="))
                .toList();
        for (String opened : openedAtRollup) {
            Matcher m = INCIDENT.matcher(opened);
            assertThat(m.find()).as(opened).isTrue();
            assertThat(lastRoot.get(m.group(2)))
                    .as("the last root of %s in%n%s", m.group(2), text)
                    .isEqualTo("scanner=S02/S02-CT2");
        }
        if (text.lines().anyMatch(l -> l.startsWith("ALERT    warning") && l.contains("S02/S02-CT2"))) {
            // One, unless its alerts all resolve and fire again within the run (IncidentScenarioIT measures
            // "exactly one" deterministically; here the wall clock decides how rounds fall).
            assertThat(incidents)
                    .as(text)
                    .filteredOn(l -> l.contains("root scanner=S02/S02-CT2") || openedAtRollup.contains(l))
                    .isNotEmpty()
                    .first()
                    .asString()
                    .containsPattern("simulated days after the change on");
        }
        assertThat(text).containsPattern("Alerts fired: \\d+; incidents opened: " + incidents.size());
        assertLeftNothingBehind(base, text, before);
    }

    @Test
    void shouldStopCleanlyWhenStoppedMidTimeline() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        StringWriter out = new StringWriter();
        DemoCommand demo = new DemoCommand();
        Future<Integer> exit = runner.submit(() -> command(demo, out)
                .execute("--scenario", "demo-short", "--duration", "120s", "--port", "0", "--summary-interval", "1s"));

        String base = awaitUrl(out);
        await("the simulator producing")
                .atMost(Duration.ofSeconds(60))
                .until(() ->
                        out.toString().lines().anyMatch(l -> l.matches("\\[ *\\d+%] \\d{4}.*predictions [1-9].*")));
        // What Ctrl-C's shutdown hook does; issue 17 asks for the demo to be gone within 10 s.
        long stopped = System.nanoTime();
        demo.stop();

        assertThat(exit.get(90, TimeUnit.SECONDS)).as(out.toString()).isZero();
        long millis = (System.nanoTime() - stopped) / 1_000_000;
        System.out.println("[demo] stopped " + millis + " ms after stop()");
        assertThat(millis).as("demo stopped within 10 s").isLessThan(10_000);
        assertThat(out.toString())
                .contains("Stopping...", "Vigil demo stopped.")
                .doesNotContain("Timeline complete");
        assertLeftNothingBehind(base, out.toString(), before);
    }

    private static CommandLine command(DemoCommand demo, StringWriter out) {
        PrintWriter w = new PrintWriter(out, true);
        return new CommandLine(demo).setOut(w).setErr(w);
    }

    private static String awaitUrl(StringWriter out) {
        await("the demo's URLs")
                .atMost(Duration.ofSeconds(120))
                .until(() -> PAGE.matcher(out.toString()).find());
        Matcher m = PAGE.matcher(out.toString());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    /** The HTTP port can be bound again, the temporary directory is gone, no new thread is alive. */
    private static void assertLeftNothingBehind(String base, String text, Set<Thread> before) throws Exception {
        int port = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
        Matcher data = DATA.matcher(text);
        assertThat(data.find()).isTrue();
        assertThat(Path.of(data.group(1))).doesNotExist();
        await("no thread left behind").atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            Set<String> left = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.isAlive() && !before.contains(t))
                    .map(Thread::getName)
                    // Not the demo's: the test's HTTP client, runner and Awaitility poller, and the daemon
                    // ticker of Kafka's JVM-wide Yammer metrics registry, started once by the first broker, and
                    // the JDK's shared "process reaper" pool thread. Nor Kafka's share-coordinator timer
                    // (SystemTimer "share-coordinator"): any broker in this JVM starts it lazily, the shared
                    // broker of the other ITs included, and the names do not say whose it is; once (CI,
                    // 2026-11-22) one outlived the 90 s below. Whether the demo's broker or the shared one
                    // left it, it is Kafka's, and `vigil demo` ends with System.exit.
                    .filter(n -> !n.startsWith("HttpClient-")
                            && !n.equals("demo-it-runner")
                            && !n.startsWith("awaitility")
                            && !n.startsWith("metrics-meter-tick-thread")
                            && !n.equals("process reaper")
                            && !n.equals("executor-share-coordinator"))
                    .collect(Collectors.toSet());
            assertThat(left).isEmpty();
        });
        assertThat(Files.exists(Path.of(data.group(1)))).isFalse();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
