package io.vigil.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.vigil.app.Monitor;
import io.vigil.cli.ReferenceCommand;
import io.vigil.config.VigilConfig;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.sim.EventJson;
import io.vigil.sim.KafkaSink;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import io.vigil.testing.Tools;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The dashboards and rules against a real Prometheus scraping a real run: a broker, a monitor with
 * short intervals, a labelled reference profile, the {@code demo-short} simulator timeline (software
 * update on S02-CT2 on day 20) produced as fast as possible, a few malformed records (dead letters) and
 * a webhook receiver; Debian's {@code prometheus} scrapes {@code /metrics} every 2 s with a config
 * derived from {@code dashboards/prometheus/prometheus.yml} (only targets, intervals and the rule-file
 * path changed) and evaluates the real {@code vigil-rules.yml}. Then, through Prometheus's HTTP API,
 * for every dashboard panel target, template variable and rule expression:
 * <ol>
 *   <li>every metric it names (recording rules included) has data;</li>
 *   <li>every label it uses exists on at least one of its metrics;</li>
 *   <li>every vector selector (template variables replaced by values discovered from Prometheus, as
 *       Grafana would, {@code $job} included) selects data, unless the expression tolerates absence
 *       ({@code or vector(0)});</li>
 *   <li>every dashboard panel expression without a comparison or set filter returns data;</li>
 *   <li>every template variable query returns values; every rule evaluates without error.</li>
 * </ol>
 */
@RealKafka
class PrometheusScrapeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DATA_TIMEOUT = Duration.ofSeconds(150);
    private static final String ATTRIBUTE = "protocol";
    private static final int VOLUME_DIVISOR = 3;
    /**
     * Preferred values for variables when Prometheus offers them (Vigil's scrape job, all slice, the 30-day window,
     * the updated site).
     */
    private static final Map<String, String> PREFERRED = Map.of(
            "job",
            "vigil",
            "window",
            "30d",
            "drift_window",
            "30d",
            "outcome_window",
            "30d",
            "slice",
            "all",
            "slice_value",
            "all",
            "site",
            "S02",
            "scanner",
            "S02/S02-CT2");

    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern COMPARISON = Pattern.compile("==|!=|>=|<=|>|<|\\band\\b|\\bunless\\b");

    /** One PromQL expression and where it comes from. */
    record Expr(String where, String expr, boolean panel) {}

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldReturnDataForEveryDashboardAndRuleExpressionWhenPrometheusScrapesARealRun(
            KafkaBroker kafka, @TempDir Path dir) throws Exception {
        Tools.require("prometheus", "prometheus", "promtool");
        MonitorHarness h = new MonitorHarness(kafka);
        byte[] key = "vigil-prometheus-it-webhook-key-0123".getBytes(StandardCharsets.UTF_8);
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        Map<String, Object> overrides = new HashMap<>();
        overrides.put(VigilConfig.DRIFT_FLUSH_INTERVAL_MS, "1000");
        overrides.put(VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS, "1000");
        overrides.put(VigilConfig.OUTCOMES_FLUSH_INTERVAL_MS, "1000");
        overrides.put(VigilConfig.OUTCOMES_SNAPSHOT_INTERVAL_MS, "1000");
        overrides.put(VigilConfig.ALERTS_EVALUATION_INTERVAL_MS, "1000");
        overrides.put(VigilConfig.REFERENCE_BURN_IN_ENABLED, "false");
        // A 30-day timeline is shorter than a slice baseline plus a 30d window: compare every slice with
        // the published reference so that every window's drift metrics exist.
        overrides.put(VigilConfig.DRIFT_BASELINE_DAYS, "0");
        // The demo labels only part of its studies, so at the default maturity coverage (0.8) no window of
        // a 30-day run turns final, and the estimator backtest (realised minus label-free estimate, final
        // windows only: vigil_estimation_error, read by VigilEstimatorBacktestError) never exists. A low
        // maturity coverage makes the windows final.
        overrides.put(VigilConfig.OUTCOMES_MATURITY_COVERAGE, "0.05");
        overrides.put(VigilConfig.STABILITY_ENABLED, "true");
        // Every dashboard expression must return data, including the detail panels (off by default).
        overrides.put(VigilConfig.METRICS_DETAIL, "true");
        overrides.put(VigilConfig.STABILITY_SUBJECT_KEY_SECRET, "prometheus-it-subject-key-secret");
        overrides.put(VigilConfig.ALERTS_WEBHOOKS, "test");
        overrides.put(
                "alerts.webhook.test.url",
                "http://127.0.0.1:" + receiver.getAddress().getPort() + "/");
        overrides.put(
                "alerts.webhook.test.secret", "whsec_" + Base64.getEncoder().encodeToString(key));
        VigilConfig config = h.config(dir.resolve("state"), overrides);

        Process prometheus = null;
        try (Monitor monitor = new Monitor(config).start()) {
            await("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            URI vigil = URI.create(monitor.http().uri());

            int promPort = freePort();
            String prom = "http://127.0.0.1:" + promPort;
            Path promConfig = prometheusConfig(dir, vigil.getHost() + ":" + vigil.getPort(), "127.0.0.1:" + promPort);
            Process check = new ProcessBuilder("promtool", "check", "config", promConfig.toString())
                    .redirectErrorStream(true)
                    .start();
            String checked = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(check.waitFor(60, TimeUnit.SECONDS) && check.exitValue() == 0)
                    .as(checked)
                    .isTrue();
            prometheus = new ProcessBuilder(
                            "prometheus",
                            "--config.file=" + promConfig,
                            "--storage.tsdb.path=" + dir.resolve("tsdb"),
                            "--web.listen-address=127.0.0.1:" + promPort,
                            "--storage.tsdb.retention.time=1d",
                            "--log.level=warn")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("prometheus.log").toFile())
                    .start();
            Process running = prometheus;
            await("prometheus ready")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> {
                        assertThat(running.isAlive())
                                .as("prometheus exited: %s", log(dir))
                                .isTrue();
                        return status(prom + "/-/ready") == 200;
                    });

            long t0 = System.nanoTime();
            publishReference(kafka, h, dir);
            produceTimeline(config, h);
            long produced = System.nanoTime();

            List<Expr> exprs = expressions();
            assertThat(exprs).hasSizeGreaterThan(100);
            // A query that times out on a loaded machine (2 shared cores) is asked again at the next poll.
            await("every dashboard and rule expression returns data")
                    .atMost(DATA_TIMEOUT)
                    .ignoreException(HttpTimeoutException.class)
                    .pollInterval(Duration.ofSeconds(3))
                    .pollDelay(Duration.ofSeconds(5))
                    .untilAsserted(() -> {
                        assertThat(running.isAlive())
                                .as("prometheus exited: %s", log(dir))
                                .isTrue();
                        List<String> problems = problems(prom, exprs);
                        assertThat(problems)
                                .as(
                                        "dashboard/rule references without data in Prometheus "
                                                + "(scraping a real Vigil run):%n  %s",
                                        String.join("\n  ", problems))
                                .isEmpty();
                    });
            // Kafka Streams' state-store metrics reach Prometheus for every store type under one set of
            // label names (KafkaStoreTags), not only for whichever type registered first. Micrometer's
            // Kafka binder looks for new Kafka metrics once a minute, so the stores' show up after that.
            await("state-store series of both store types")
                    .atMost(Duration.ofSeconds(150))
                    .pollInterval(Duration.ofSeconds(3))
                    .untilAsserted(() -> assertThat(
                                    query(prom, "count by (store_type) ({__name__=~\"kafka_stream_state_.+\"})")
                                            .findValuesAsText("store_type"))
                            .as("store types with series")
                            .contains("rocksdb", "in.memory"));
            assertThat(query(prom, "count({__name__=~\"kafka_stream_state_.+\", rocksdb_state_id!=\"\"})"))
                    .as("series still labelled by a type-specific key")
                    .isEmpty();
            System.out.printf(
                    "PrometheusScrapeIT: %d expressions checked; timeline produced in %d s, all data after "
                            + "%d s more%n",
                    exprs.size(), (produced - t0) / 1_000_000_000L, (System.nanoTime() - produced) / 1_000_000_000L);
        } finally {
            receiver.stop(0);
            if (prometheus != null) {
                prometheus.destroy();
                if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    // ------------------------------------------------------------------ the run

    /**
     * The scrape config docker-compose mounts, with only the targets (Vigil, Prometheus itself), the
     * intervals (2 s instead of 15 s: a scrape of a busy monitor on 2 shared cores can take over 1 s) and the rule file (the repository's, by absolute path) changed.
     */
    static Path prometheusConfig(Path dir, String vigil, String self) throws IOException {
        String original = Files.readString(DashboardsTest.PROMETHEUS_CONFIG);
        Map<String, String> replacements = new LinkedHashMap<>();
        replacements.put("\"vigil:8080\"", "\"" + vigil + "\"");
        replacements.put("\"localhost:9090\"", "\"" + self + "\"");
        replacements.put("- vigil-rules.yml", "- " + DashboardsTest.RULES);
        replacements.put("scrape_interval: 15s", "scrape_interval: 2s");
        replacements.put("evaluation_interval: 15s", "evaluation_interval: 1s");
        replacements.put("scrape_timeout: 10s", "scrape_timeout: 2s");
        String config = original;
        for (Map.Entry<String, String> r : replacements.entrySet()) {
            assertThat(config)
                    .as("%s in %s", r.getKey(), DashboardsTest.PROMETHEUS_CONFIG)
                    .contains(r.getKey());
            config = config.replace(r.getKey(), r.getValue());
        }
        Path out = dir.resolve("prometheus.yml");
        Files.writeString(out, config);
        return out;
    }

    /** A categorical attribute, an uncertainty and an occasional abstention, so those families exist too. */
    static Prediction enrich(Prediction p) {
        int h = Math.floorMod(p.predictionId().hashCode(), 100);
        double uncertainty = Math.round((1 - Math.abs(2 * p.score() - 1)) * 1e4) / 1e4;
        return new Prediction(
                p.predictionId(),
                p.occurredAt(),
                p.model(),
                p.task(),
                p.score(),
                p.threshold(),
                p.predictedLabel(),
                p.site(),
                p.scanner(),
                p.subjectKey(),
                p.studyKey(),
                p.demographics(),
                uncertainty,
                h < 2,
                p.features(),
                Map.of(ATTRIBUTE, h < 30 ? "low_dose" : "standard"));
    }

    /**
     * The {@code demo-short} scenario at a third of its daily volumes (still hundreds of predictions per
     * scanner and week), so the broker, the monitor and this test fit the IT fork's heap and 2 cores.
     */
    private static Scenario demoShort() throws IOException {
        try (InputStream in = PrometheusScrapeIT.class.getResourceAsStream("/scenarios/demo-short.json")) {
            assertThat(in).as("scenarios/demo-short.json on the classpath").isNotNull();
            JsonNode scenario = JSON.readTree(in);
            for (JsonNode site : scenario.path("sites")) {
                for (JsonNode scanner : site.path("scanners")) {
                    ((ObjectNode) scanner)
                            .put(
                                    "daily_volume",
                                    Math.max(20, scanner.path("daily_volume").asInt() / VOLUME_DIVISOR));
                }
            }
            return Scenario.fromJson(new ByteArrayInputStream(JSON.writeValueAsBytes(scenario)));
        }
    }

    /**
     * A labelled reference from the same scenario without its software update (earlier days, another
     * seed), built and published with {@code vigil reference build}.
     */
    private void publishReference(KafkaBroker kafka, MonitorHarness h, Path dir) throws IOException {
        Simulator sim = Simulator.create(
                        demoShort().withoutEvents(),
                        7,
                        LocalDate.now(ZoneOffset.UTC).minusDays(90),
                        14)
                .withMaxPredictions(6000)
                .withLabelHorizon(Duration.ofDays(30));
        Map<String, Prediction> predictions = new LinkedHashMap<>();
        Map<String, Integer> labels = new HashMap<>();
        for (SimEvent e : sim) {
            if (e.isPrediction()) {
                predictions.put(e.key(), enrich(e.prediction()));
            } else {
                GroundTruth g = e.groundTruth();
                labels.put(g.predictionId(), g.label());
            }
        }
        StringBuilder lines = new StringBuilder();
        for (Prediction p : predictions.values()) {
            String json = new String(
                    EventJson.bytes(new SimEvent(SimEvent.Type.PREDICTION, p.predictionId(), p, p.occurredAt())),
                    StandardCharsets.UTF_8);
            Integer label = labels.get(p.predictionId());
            lines.append(label == null ? json : json.substring(0, json.length() - 1) + ",\"label\":" + label + "}")
                    .append('\n');
        }
        Path file = dir.resolve("reference.jsonl");
        Files.writeString(file, lines);
        StringWriter out = new StringWriter();
        Prediction first = predictions.values().iterator().next();
        int rc = new CommandLine(new ReferenceCommand())
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(out))
                .execute(
                        "build",
                        "--input",
                        file.toString(),
                        "--model",
                        first.model().id(),
                        "--version",
                        first.model().version(),
                        "--threshold",
                        Double.toString(first.threshold()),
                        "--bootstrap-servers",
                        kafka.bootstrapServers(),
                        "--topic",
                        h.topic("references"));
        assertThat(rc).as(out.toString()).isZero();
    }

    /** The 30-day demo timeline ending today (labels up to now), as fast as the broker takes it, plus dead letters. */
    private static void produceTimeline(VigilConfig config, MonitorHarness h) throws IOException {
        Simulator sim =
                Simulator.create(demoShort(), 42, LocalDate.now(ZoneOffset.UTC).minusDays(30), 30);
        sim = sim.withLabelHorizon(Duration.between(sim.end(), java.time.Instant.now()));
        Map<String, Object> producer = new HashMap<>(config.kafkaClientSettings());
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, "prometheus-it-simulator");
        try (KafkaSink sink = new KafkaSink(
                producer,
                config.getString(VigilConfig.TOPIC_PREDICTIONS),
                config.getString(VigilConfig.TOPIC_GROUND_TRUTH))) {
            for (Iterator<SimEvent> it = sim.iterator(); it.hasNext(); ) {
                SimEvent e = it.next();
                sink.accept(
                        e.isPrediction()
                                ? new SimEvent(SimEvent.Type.PREDICTION, e.key(), enrich(e.prediction()), e.time())
                                : e);
            }
        }
        try (KafkaProducer<byte[], byte[]> p = h.producer()) {
            for (int i = 0; i < 5; i++) {
                p.send(new ProducerRecord<>(h.topic("predictions"), "{not json".getBytes(StandardCharsets.UTF_8)));
                p.send(new ProducerRecord<>(h.topic("ground-truth"), "{}".getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    // ------------------------------------------------------------------ expressions

    /** Every dashboard panel target and query variable, and every rule expression, with where it comes from. */
    static List<Expr> expressions() throws IOException {
        List<Expr> out = new ArrayList<>();
        for (Map.Entry<Path, JsonNode> e : DashboardsTest.dashboards().entrySet()) {
            String uid = e.getValue().path("uid").asText();
            for (JsonNode panel : DashboardsTest.panels(e.getValue())) {
                for (JsonNode t : panel.path("targets")) {
                    out.add(new Expr(
                            "dashboard " + uid + ", panel '"
                                    + panel.path("title").asText() + "' target "
                                    + t.path("refId").asText(),
                            t.path("expr").asText(),
                            true));
                }
            }
            for (JsonNode v : e.getValue().path("templating").path("list")) {
                if (v.path("type").asText().equals("query")) {
                    out.add(new Expr(
                            "dashboard " + uid + ", variable $" + v.path("name").asText(),
                            DashboardsTest.variableQuery(v),
                            false));
                }
            }
        }
        List<String> lines = Files.readAllLines(DashboardsTest.RULES);
        Pattern rule = Pattern.compile("^\\s*-\\s+(alert|record):\\s*(\\S+)\\s*$");
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = rule.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            int end = i + 1;
            while (end < lines.size() && !rule.matcher(lines.get(end)).matches()) {
                end++;
            }
            for (String expr : DashboardsTest.yamlScalars(lines.subList(i, end), "expr")) {
                out.add(new Expr("vigil-rules.yml " + m.group(1) + " " + m.group(2), expr, false));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ checks

    /** Every problem found in one pass; empty when every reference has data. */
    private List<String> problems(String prom, List<Expr> exprs) throws Exception {
        List<String> problems = new ArrayList<>();
        // (1) metric names, each once, with every place that uses it.
        Map<String, List<String>> users = new TreeMap<>();
        for (Expr e : exprs) {
            for (String name : DashboardsTest.metricNames(e.expr())) {
                users.computeIfAbsent(name, n -> new ArrayList<>()).add(e.where());
            }
        }
        for (Map.Entry<String, List<String>> u : users.entrySet()) {
            if (query(prom, "count({__name__=\"" + u.getKey() + "\"})").isEmpty()) {
                problems.add("metric " + u.getKey() + " has no data; used by " + summarise(u.getValue()));
            }
        }
        // (2) labels, each on at least one of the metrics of the expression that uses it.
        Map<String, List<String>> labelUsers = new TreeMap<>();
        for (Expr e : exprs) {
            Set<String> metrics = DashboardsTest.metricNames(e.expr());
            Set<String> labels = new TreeSet<>(DashboardsTest.labelNames(e.expr()));
            Matcher lv = Pattern.compile("^\\s*label_values\\(.*,\\s*(\\w+)\\s*\\)\\s*$", Pattern.DOTALL)
                    .matcher(e.expr());
            if (lv.matches()) {
                labels.add(lv.group(1));
            }
            labels.remove("__name__");
            for (String label : labels) {
                labelUsers
                        .computeIfAbsent(label + " on " + String.join("|", metrics), k -> new ArrayList<>())
                        .add(e.where());
            }
        }
        for (Map.Entry<String, List<String>> u : labelUsers.entrySet()) {
            String[] parts = u.getKey().split(" on ", 2);
            String q = "count by (" + parts[0] + ") ({__name__=~\"" + parts[1] + "\", " + parts[0] + "!=\"\"})";
            if (query(prom, q).isEmpty()) {
                problems.add(
                        "label " + parts[0] + " is on none of " + parts[1] + "; used by " + summarise(u.getValue()));
            }
        }
        // (3)-(5) per dashboard with discovered variable values; rules with their own selectors.
        for (Map.Entry<Path, JsonNode> d : DashboardsTest.dashboards().entrySet()) {
            problems.addAll(dashboardProblems(prom, d.getValue()));
        }
        for (Expr e : exprs) {
            if (e.where().startsWith("vigil-rules.yml")) {
                problems.addAll(selectorProblems(prom, e.where(), e.expr()));
            }
        }
        for (JsonNode t : get(prom, "/api/v1/targets").path("data").path("activeTargets")) {
            if (!t.path("health").asText().equals("up")) {
                problems.add(
                        0,
                        "scrape target " + t.path("scrapeUrl").asText() + " (job "
                                + t.path("labels").path("job").asText() + ") is "
                                + t.path("health").asText() + ": "
                                + t.path("lastError").asText());
            }
        }
        JsonNode rules = get(prom, "/api/v1/rules").path("data").path("groups");
        int evaluated = 0;
        for (JsonNode g : rules) {
            for (JsonNode r : g.path("rules")) {
                evaluated++;
                if (!r.path("health").asText().equals("ok")) {
                    problems.add("rule " + r.path("name").asText() + " health "
                            + r.path("health").asText() + ": "
                            + r.path("lastError").asText());
                }
            }
        }
        if (evaluated < 10) {
            problems.add("Prometheus loaded only " + evaluated + " rules from " + DashboardsTest.RULES);
        }
        return problems;
    }

    private List<String> dashboardProblems(String prom, JsonNode dashboard) throws Exception {
        String uid = dashboard.path("uid").asText();
        List<String> problems = new ArrayList<>();
        Map<String, String> values =
                new LinkedHashMap<>(Map.of("__rate_interval", "1m", "__interval", "15s", "__range", "1h"));
        for (JsonNode v : dashboard.path("templating").path("list")) {
            String name = v.path("name").asText();
            List<String> options;
            if (v.path("type").asText().equals("datasource")
                    || v.path("type").asText().equals("textbox")) {
                // The Prometheus queried here stands for the datasource; a text box (Vigil's URL) is no query.
                values.put(name, v.path("current").path("value").asText());
                continue;
            }
            if (v.path("type").asText().equals("custom")) {
                options = List.of(v.path("query").asText().split("\\s*,\\s*"));
            } else {
                String query = substitute(DashboardsTest.variableQuery(v), values);
                Matcher lv = Pattern.compile("^\\s*label_values\\((.*),\\s*(\\w+)\\s*\\)\\s*$", Pattern.DOTALL)
                        .matcher(query);
                if (!lv.matches()) {
                    problems.add("dashboard " + uid + ", variable $" + name + ": not a label_values() query: " + query);
                    continue;
                }
                options = labelValues(prom, lv.group(2), lv.group(1));
                if (options.isEmpty()) {
                    problems.add("dashboard " + uid + ", variable $" + name + " has no values: " + query);
                    continue;
                }
            }
            String preferred = PREFERRED.get(name);
            values.put(name, options.contains(preferred) ? preferred : options.get(0));
        }
        for (JsonNode panel : DashboardsTest.panels(dashboard)) {
            for (JsonNode t : panel.path("targets")) {
                String where = "dashboard " + uid + ", panel '"
                        + substitute(panel.path("title").asText(), values) + "' target "
                        + t.path("refId").asText();
                String expr = substitute(t.path("expr").asText(), values);
                problems.addAll(selectorProblems(prom, where, expr));
                if (!filters(expr) && query(prom, expr).isEmpty()) {
                    problems.add(where + " returns no data: " + expr);
                }
            }
        }
        return problems;
    }

    /** Each vector selector of an expression selects data, unless the expression tolerates absence. */
    private List<String> selectorProblems(String prom, String where, String expr) throws Exception {
        List<String> problems = new ArrayList<>();
        if (expr.contains("or vector(")) {
            return problems;
        }
        Matcher m = SELECTOR.matcher(expr.replaceAll("\\$\\{?\\w+(?::\\w+)?}?", ".*"));
        while (m.find()) {
            String selector = m.group();
            if (selector.startsWith("ALERTS{")) {
                continue; // Prometheus' own series of pending and firing alerts: data only while one fires (promtool
                // tests it)
            }
            if (query(prom, "count(" + selector + ")").isEmpty()) {
                problems.add(where + ": selector " + selector + " selects nothing");
            }
        }
        return problems;
    }

    /** Whether an expression compares or filters (its result may legitimately be empty). */
    static boolean filters(String expr) {
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("\\{[^}]*}", "");
        return COMPARISON.matcher(s).find();
    }

    static String substitute(String text, Map<String, String> values) {
        Matcher m = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\[\\[(\\w+)]]|\\$(\\w+)")
                .matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            m.appendReplacement(out, Matcher.quoteReplacement(values.getOrDefault(name, m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String summarise(List<String> where) {
        List<String> distinct = where.stream().distinct().toList();
        return distinct.size() <= 3
                ? String.join("; ", distinct)
                : String.join("; ", distinct.subList(0, 3)) + " (+" + (distinct.size() - 3) + " more)";
    }

    // ------------------------------------------------------------------ Prometheus HTTP API

    private JsonNode query(String prom, String promql) throws Exception {
        JsonNode r = get(prom, "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        assertThat(r.path("status").asText()).as("query %s: %s", promql, r).isEqualTo("success");
        return r.path("data").path("result");
    }

    private List<String> labelValues(String prom, String label, String selector) throws Exception {
        JsonNode r = get(
                prom,
                "/api/v1/label/" + label + "/values?match[]="
                        + URLEncoder.encode(selector, StandardCharsets.UTF_8) + "&start="
                        + (System.currentTimeMillis() / 1000 - 300));
        assertThat(r.path("status").asText())
                .as("label values %s of %s: %s", label, selector, r)
                .isEqualTo("success");
        List<String> out = new ArrayList<>();
        r.path("data").forEach(v -> out.add(v.asText()));
        return out.stream().sorted().collect(Collectors.toList());
    }

    private JsonNode get(String prom, String path) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(prom + path))
                        .timeout(Duration.ofSeconds(20))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    private int status(String url) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static String log(Path dir) {
        try {
            return Files.readString(dir.resolve("prometheus.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
